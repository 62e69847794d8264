//! Deploy markers in the usual application layouts, one level under `/opt`, `/srv` and
//! `/var/www` (and those directories themselves): a `current` symlink switched to a new
//! release (Capistrano, Deployer, Ansible's deploy_helper), a `REVISION` file, and a git
//! checkout whose `.git/HEAD` moved. Modification times only (`lstat(2)`), no git process.

use std::path::Path;

use super::{change, kind};
use crate::collect::Ctx;
use crate::snapshot::{time_from_unix, Change, Time};

/// Where applications are deployed.
pub(crate) const APP_DIRS: &[&str] = &["opt", "srv", "var/www"];
/// Application directories looked at under each, at most.
const MAX_APPS: usize = 200;

fn mtime(path: &Path) -> Option<Time> {
    use std::os::unix::fs::MetadataExt;
    time_from_unix(crate::HostRoot::symlink_metadata(path).ok()?.mtime())
}

fn shown(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .map(|p| format!("/{}", p.display()))
        .unwrap_or_else(|_| path.display().to_string())
}

/// Markers in one application directory `app` changed since `since`.
pub(crate) fn markers(root: &Path, app: &Path, since: Time) -> Vec<Change> {
    let mut out = Vec::new();
    let current = app.join("current");
    if let (Ok(target), Some(t)) = (crate::HostRoot::read_link(&current), mtime(&current)) {
        if t >= since {
            out.push(change(
                t,
                kind::DEPLOY,
                format!(
                    "{} now points to {}",
                    shown(root, &current),
                    target.display()
                ),
                "symlink modification time (lstat)",
            ));
        }
    }
    for rev in [app.join("REVISION"), current.join("REVISION")] {
        if let Some(t) = mtime(&rev).filter(|t| *t >= since) {
            let text = crate::HostRoot::read_path_limited(&rev, 256)
                .map(|b| String::from_utf8_lossy(&b).trim().to_string())
                .unwrap_or_default();
            out.push(change(
                t,
                kind::DEPLOY,
                format!(
                    "{} written: {}",
                    shown(root, &rev),
                    crate::fmt::cut(&text, 60)
                ),
                "file modification time (stat)",
            ));
            break;
        }
    }
    let head = app.join(".git/HEAD");
    if let Some(t) = mtime(&head).filter(|t| *t >= since) {
        let text = crate::HostRoot::read_path_limited(&head, 256)
            .map(|b| String::from_utf8_lossy(&b).trim().to_string())
            .unwrap_or_default();
        out.push(change(
            t,
            kind::DEPLOY,
            format!("git checkout in {} moved (HEAD: {text})", shown(root, app)),
            "file modification time (stat)",
        ));
    }
    out
}

/// Deploy markers changed since `since`.
pub fn collect(ctx: &Ctx, since: Time, out: &mut Vec<Change>) {
    let root = ctx.root.root();
    for dir in APP_DIRS {
        let base = ctx.root.path(dir);
        out.extend(markers(root, &base, since));
        let Ok(entries) = crate::HostRoot::read_dir(&base) else {
            continue;
        };
        for e in entries.flatten().take(MAX_APPS) {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                out.extend(markers(root, &e.path(), since));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `current` and a whole application directory linked out of a `--root` tree: the
    /// link is reported, nothing behind it is stat'ed (no REVISION or HEAD change).
    #[test]
    fn markers_behind_links_out_of_the_tree_are_not_stated() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(outside.join(".git")).unwrap();
        std::fs::write(outside.join("REVISION"), "SECRET-REV\n").unwrap();
        std::fs::write(outside.join(".git/HEAD"), "SECRET-HEAD\n").unwrap();
        let r = dir.path().join("root");
        std::fs::create_dir_all(r.join("srv/shop")).unwrap();
        std::os::unix::fs::symlink("../../../outside", r.join("srv/shop/current")).unwrap();
        std::os::unix::fs::symlink("../../outside", r.join("srv/evil")).unwrap();
        let r = r.canonicalize().unwrap();
        crate::contain::register(&r);
        let since = crate::snapshot::now() - chrono::Duration::hours(1);
        let shop: Vec<String> = markers(&r, &r.join("srv/shop"), since)
            .into_iter()
            .map(|c| c.summary)
            .collect();
        assert_eq!(shop, ["/srv/shop/current now points to ../../../outside"]);
        assert!(markers(&r, &r.join("srv/evil"), since).is_empty());
    }

    #[test]
    fn current_symlink_revision_and_git_head() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        let app = r.join("srv/shop");
        std::fs::create_dir_all(app.join("releases/20261123101500")).unwrap();
        std::fs::create_dir_all(app.join(".git")).unwrap();
        std::os::unix::fs::symlink("releases/20261123101500", app.join("current")).unwrap();
        std::fs::write(app.join("releases/20261123101500/REVISION"), "4f2c9e1\n").unwrap();
        std::fs::write(app.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        let since = crate::snapshot::now() - chrono::Duration::hours(1);
        let c: Vec<String> = markers(r, &app, since)
            .into_iter()
            .map(|c| c.summary)
            .collect();
        assert_eq!(
            c,
            [
                "/srv/shop/current now points to releases/20261123101500",
                "/srv/shop/current/REVISION written: 4f2c9e1",
                "git checkout in /srv/shop moved (HEAD: ref: refs/heads/main)",
            ]
        );
        let later = crate::snapshot::now() + chrono::Duration::hours(1);
        assert!(markers(r, &app, later).is_empty());
    }
}
