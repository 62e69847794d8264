//! `users`: logged-in sessions, like `w`, from `utmp` (`utmp(5)`: `/run/utmp`, or
//! `/var/run/utmp` on old systems), parsed by the `utmp-rs` crate. Idle time is the age of
//! the terminal's last access, as `w` computes it (live host only).

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use super::Ctx;
use crate::error::{Error, Result};
use crate::snapshot::{time_from_unix, UserSession};

/// Parse `/etc/passwd` text into uid → user name. Malformed lines are skipped.
pub(crate) fn parse_passwd(text: &str) -> HashMap<u32, String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let uid = f.nth(1)?.parse().ok()?;
            (!name.is_empty()).then(|| (uid, name.to_string()))
        })
        .collect()
}

/// uid → name from the root's `/etc/passwd` (empty when unreadable; a passwd file that
/// is there but unreadable or without a single entry is named in a warning).
pub(crate) fn user_names(ctx: &Ctx) -> HashMap<u32, String> {
    let path = ctx.root.path("etc/passwd");
    match ctx.root.read_string("etc/passwd").map(|t| parse_passwd(&t)) {
        Ok(names) if names.is_empty() => {
            ctx.warn(format!(
                "{}: no user entry in it; user names unknown",
                path.display()
            ));
            names
        }
        Ok(names) => names,
        Err(e) if e.is_not_found() && !path.is_symlink() => HashMap::new(),
        Err(e) => {
            ctx.warn(format!("{e}; user names unknown"));
            HashMap::new()
        }
    }
}

/// Collect the users section.
pub(crate) fn collect(ctx: &Ctx) -> Result<Vec<UserSession>> {
    let path = ctx
        .root
        .first_existing(&["run/utmp", "var/run/utmp"])
        .ok_or_else(|| {
            Error::Unavailable(
                "no utmp file (run/utmp or var/run/utmp): logged-in users unknown".into(),
            )
        })?;
    let file = crate::HostRoot::open_regular(&path)?;
    let mut sessions = parse_utmp(file, &path, ctx)?;
    if ctx.root.is_live() {
        let now = ctx.now.timestamp();
        for s in &mut sessions {
            if let Ok(meta) =
                crate::HostRoot::metadata(&ctx.root.path(Path::new("dev").join(&s.tty)))
            {
                use std::os::unix::fs::MetadataExt;
                s.idle_seconds = Some((now - meta.atime()).max(0) as u64);
            }
        }
    }
    Ok(sessions)
}

fn parse_utmp(file: File, path: &Path, ctx: &Ctx) -> Result<Vec<UserSession>> {
    let mut out = Vec::new();
    let mut bad = 0usize;
    for entry in utmp_rs::UtmpParser::from_file(file) {
        match entry {
            Ok(utmp_rs::UtmpEntry::UserProcess {
                pid,
                line,
                user,
                host,
                time,
                ..
            }) => out.push(UserSession {
                user,
                tty: line,
                from: host,
                login_at: time_from_unix(time.unix_timestamp()),
                idle_seconds: None,
                pid: Some(pid),
            }),
            Ok(_) => {}
            Err(utmp_rs::ParseError::Io(e)) => return Err(Error::io(path, e)),
            Err(_) => bad += 1,
        }
    }
    if bad > 0 {
        ctx.warn(format!(
            "{}: {bad} unreadable utmp record(s) skipped",
            path.display()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_names() {
        let map = parse_passwd("root:x:0:0:root:/root:/bin/bash\n# comment\nbroken\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n");
        assert_eq!(map[&0], "root");
        assert_eq!(map[&33], "www-data");
        assert_eq!(map.len(), 2);
    }
}

#[cfg(test)]
mod utmp_tests {
    use super::*;
    use crate::collect::{Ctx, Options};

    /// One glibc `struct utmp` record (x86_64 layout, 384 bytes).
    fn record(kind: i16, pid: i32, line: &str, user: &str, host: &str, secs: i32) -> Vec<u8> {
        let mut r = vec![0u8; 384];
        r[0..2].copy_from_slice(&kind.to_le_bytes());
        r[4..8].copy_from_slice(&pid.to_le_bytes());
        r[8..8 + line.len()].copy_from_slice(line.as_bytes());
        r[44..44 + user.len()].copy_from_slice(user.as_bytes());
        r[76..76 + host.len()].copy_from_slice(host.as_bytes());
        r[340..344].copy_from_slice(&secs.to_le_bytes());
        r
    }

    #[test]
    fn sessions_from_utmp_skip_bad_records() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("run")).unwrap();
        let mut bytes = record(2, 0, "~", "reboot", "6.1.0", 1_763_852_400); // BOOT_TIME
        bytes.extend(record(7, 4242, "pts/0", "alice", "10.0.0.7", 1_763_900_000));
        bytes.extend(record(99, 1, "x", "y", "z", 0)); // unknown type
        bytes.extend(record(7, 4343, "tty1", "bob", "", 1_763_900_100));
        std::fs::write(dir.path().join("run/utmp"), bytes).unwrap();
        let ctx = Ctx::new(
            crate::HostRoot::new(dir.path()).unwrap(),
            Options::default(),
        );
        let sessions = collect(&ctx).unwrap();
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions[0].user, "alice");
        assert_eq!(sessions[0].tty, "pts/0");
        assert_eq!(sessions[0].from, "10.0.0.7");
        assert_eq!(sessions[0].pid, Some(4242));
        assert_eq!(sessions[0].login_at.unwrap().timestamp(), 1_763_900_000);
        assert_eq!(sessions[1].from, "");
        let warnings = ctx.take_warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].message.contains("1 unreadable utmp record"),
            "{warnings:?}"
        );
    }

    #[test]
    fn no_utmp_is_an_actionable_error() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Ctx::new(
            crate::HostRoot::new(dir.path()).unwrap(),
            Options::default(),
        );
        let err = collect(&ctx).unwrap_err().to_string();
        assert!(err.contains("utmp"), "{err}");
    }

    #[test]
    fn unusable_passwd_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        let ctx = || {
            Ctx::new(
                crate::HostRoot::new(dir.path()).unwrap(),
                Default::default(),
            )
        };
        // Missing: no warning (a minimal container).
        let c = ctx();
        assert!(user_names(&c).is_empty());
        assert!(c.take_warnings().is_empty());
        for damage in [0, 1] {
            let p = dir.path().join("etc/passwd");
            let _ = std::fs::remove_file(&p);
            if damage == 0 {
                std::fs::write(&p, "").unwrap();
            } else {
                std::os::unix::fs::symlink("/nonexistent/x", &p).unwrap();
            }
            let c = ctx();
            assert!(user_names(&c).is_empty());
            let w = c.take_warnings();
            assert!(w.iter().any(|w| w.message.contains("etc/passwd")), "{w:?}");
        }
    }
}
