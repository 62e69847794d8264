//! Files modified recently under the directories that change a host's behaviour:
//! `/etc`, `/usr/local/bin`, `/usr/local/sbin`, the systemd unit directories and the cron
//! spool. A bounded walk (depth, entry count and time limits; symlinks are not followed)
//! using the modification time (`stat(2)` `st_mtime`), so it stays cheap on a sick box.
//! Many files changed in one directory (a package unpacking certificates) become one
//! line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{change, kind};
use crate::collect::Ctx;
use crate::host_root::HostRoot;
use crate::snapshot::{time_from_unix, Change, Time};

/// Directories walked (relative to the root) and the kind their changes get.
pub(crate) const WATCHED: &[(&str, &str)] = &[
    ("etc", kind::CONFIG),
    ("usr/local/bin", kind::DEPLOY),
    ("usr/local/sbin", kind::DEPLOY),
    ("lib/systemd/system", kind::SERVICE),
    ("usr/lib/systemd/system", kind::SERVICE),
    ("var/spool/cron", kind::CRON),
];
/// How deep the walk goes below each watched directory.
pub(crate) const MAX_DEPTH: usize = 6;
/// How many directory entries the walk looks at in all.
pub(crate) const MAX_ENTRIES: usize = 50_000;
/// How long the walk may take.
pub(crate) const TIME_BUDGET: Duration = Duration::from_millis(400);
/// Files changed in one directory above which they are listed as one change.
const GROUP_ABOVE: usize = 5;

/// What the walk found and whether it stopped early.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    /// (path relative to the root with a leading `/`, mtime, kind).
    pub files: Vec<(String, Time, &'static str)>,
    /// Why the walk stopped before the end, if it did.
    pub stopped: Option<String>,
}

/// Walk the watched directories under `root_dir` for files modified since `since`.
pub(crate) fn walk(root_dir: &Path, since: Time) -> Walk {
    let started = Instant::now();
    let mut w = Walk::default();
    let mut seen = 0usize;
    let mut visited_dirs = std::collections::HashSet::new();
    // The root itself is the analyst's own argument (canonical already from HostRoot::new).
    let root_dir = &root_dir
        .canonicalize()
        .unwrap_or_else(|_| root_dir.to_path_buf());
    for (rel, kind) in WATCHED {
        let top = root_dir.join(rel);
        // Its links resolved inside a --root tree (an absolute one starts again at the
        // tree's root, one climbing out is refused): never a directory of the live host.
        // Canonical after that only so that lib → usr/lib on merged-/usr systems is
        // walked once.
        let Some(canon) = HostRoot::contained(&top)
            .ok()
            .and_then(|p| p.canonicalize().ok())
        else {
            continue;
        };
        if !canon.starts_with(root_dir) || !visited_dirs.insert(canon) {
            continue;
        }
        let mut stack: Vec<(PathBuf, usize)> = vec![(top, 0)];
        while let Some((dir, depth)) = stack.pop() {
            let Ok(entries) = HostRoot::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                seen += 1;
                if seen > MAX_ENTRIES {
                    w.stopped = Some(format!("stopped after {MAX_ENTRIES} entries"));
                    return w;
                }
                if started.elapsed() > TIME_BUDGET {
                    w.stopped = Some(format!("stopped after {} ms", TIME_BUDGET.as_millis()));
                    return w;
                }
                // Not `entry.path().symlink_metadata()`: that resolves the directory's
                // path again on the host, so a directory swapped for a link since it was
                // listed would make us stat (and report) the analyst's own files.
                let Ok(meta) = HostRoot::symlink_metadata(&entry.path()) else {
                    continue;
                };
                if meta.is_dir() {
                    if depth < MAX_DEPTH {
                        stack.push((entry.path(), depth + 1));
                    }
                    continue;
                }
                if !meta.is_file() {
                    continue;
                }
                use std::os::unix::fs::MetadataExt;
                let Some(mtime) = time_from_unix(meta.mtime()) else {
                    continue;
                };
                if mtime < since {
                    continue;
                }
                let path = entry.path();
                let shown = path
                    .strip_prefix(root_dir)
                    .map(|p| format!("/{}", p.display()))
                    .unwrap_or_else(|_| path.display().to_string());
                let kind = if shown.starts_with("/etc/cron") {
                    kind::CRON
                } else if shown.starts_with("/etc/systemd/") {
                    kind::SERVICE
                } else {
                    kind
                };
                w.files.push((shown, mtime, kind));
            }
        }
    }
    w
}

/// Turn found files into changes, one per file, or one per directory with many.
pub fn changes(files: &[(String, Time, &'static str)]) -> Vec<Change> {
    let mut by_dir: BTreeMap<String, Vec<&(String, Time, &'static str)>> = BTreeMap::new();
    for f in files {
        let dir =
            f.0.rsplit_once('/')
                .map(|(d, _)| d.to_string())
                .unwrap_or_default();
        by_dir.entry(dir).or_default().push(f);
    }
    let mut out = Vec::new();
    for (dir, mut list) in by_dir {
        list.sort_by_key(|f| std::cmp::Reverse(f.1));
        if list.len() > GROUP_ABOVE {
            let newest = list[0];
            out.push(change(
                newest.1,
                newest.2,
                format!(
                    "{} files modified in {dir}/ (newest {})",
                    list.len(),
                    newest.0
                ),
                "file modification times (stat)",
            ));
        } else {
            out.extend(list.into_iter().map(|(path, t, k)| {
                change(
                    *t,
                    k,
                    format!("modified {path}"),
                    "file modification time (stat)",
                )
            }));
        }
    }
    out
}

/// Files modified since `since`.
pub fn collect(ctx: &Ctx, since: Time, out: &mut Vec<Change>) {
    let w = walk(ctx.root.root(), since);
    if let Some(why) = &w.stopped {
        ctx.warn(format!(
            "modified-files walk {why}; the list of changed files may be incomplete"
        ));
    }
    out.extend(changes(&w.files));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watched_dir_linked_out_of_the_tree_is_not_walked() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("root");
        std::fs::create_dir_all(d.join("etc")).unwrap();
        let outside = dir.path().join("outside_cron");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("analysts-own-job"), "* * * * * root true\n").unwrap();
        std::os::unix::fs::symlink("../../outside_cron", d.join("etc/cron.d")).unwrap();
        crate::contain::register(&d);
        let since = crate::snapshot::now() - chrono::Duration::days(1);
        let w = walk(&d, since);
        assert!(
            w.files
                .iter()
                .all(|(p, _, _)| !p.contains("analysts-own-job")),
            "{:?}",
            w.files
        );
    }

    /// Sets `path`'s modification time to 2000-01-01: older than any `since`.
    fn make_old(path: &Path) {
        let old = std::time::UNIX_EPOCH + Duration::from_secs(946_684_800);
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }

    #[test]
    fn a_directory_swapped_for_a_link_out_of_the_tree_is_not_stated_outside() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("root");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(d.join("etc/sub")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("x"), "the analyst's file\n").unwrap();
        // The link is absolute: inside the tree it resolves to root/<outside>, which holds
        // an old `x` too, so a contained listing of the swapped link still names `x`.
        let mirror = d.join(outside.strip_prefix("/").unwrap());
        std::fs::create_dir_all(&mirror).unwrap();
        for f in [d.join("etc/sub/x"), mirror.join("x")] {
            std::fs::write(&f, "in the tree\n").unwrap();
            make_old(&f);
        }
        std::os::unix::fs::symlink(&outside, d.join("etc/.swap")).unwrap();
        crate::contain::register(&d.canonicalize().unwrap());
        let since = crate::snapshot::now() - chrono::Duration::days(1);
        // Every file in the tree is old, only the outside one is new: any change reported
        // was stat'ed outside. `entry.path().symlink_metadata()` (host-resolved) reported
        // one within a second.
        let leaked =
            crate::contain::while_swapping(&d.join("etc/sub"), &d.join("etc/.swap"), || {
                Some(walk(&d, since).files).filter(|f| !f.is_empty())
            });
        assert!(leaked.is_none(), "stat'ed outside the tree: {leaked:?}");
    }

    #[test]
    fn groups_many_files_in_one_dir() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-23T10:00:00+00:00").unwrap();
        let mut files: Vec<(String, Time, &'static str)> = (0..8)
            .map(|i| {
                (
                    format!("/etc/ssl/certs/c{i}.pem"),
                    t + chrono::Duration::seconds(i),
                    kind::CONFIG,
                )
            })
            .collect();
        files.push(("/etc/nginx/nginx.conf".into(), t, kind::CONFIG));
        let c = changes(&files);
        assert_eq!(c.len(), 2);
        assert!(c
            .iter()
            .any(|c| c.summary
                == "8 files modified in /etc/ssl/certs/ (newest /etc/ssl/certs/c7.pem)"));
        assert!(c
            .iter()
            .any(|c| c.summary == "modified /etc/nginx/nginx.conf"));
    }
}
