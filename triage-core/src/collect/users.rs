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
pub fn parse_passwd(text: &str) -> HashMap<u32, String> {
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

/// uid → name from the root's `/etc/passwd` (empty when unreadable).
pub fn user_names(ctx: &Ctx) -> HashMap<u32, String> {
    ctx.root
        .read_string("etc/passwd")
        .map(|t| parse_passwd(&t))
        .unwrap_or_default()
}

/// Collect the users section.
pub fn collect(ctx: &Ctx) -> Result<Vec<UserSession>> {
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
            if let Ok(meta) = std::fs::metadata(ctx.root.path(Path::new("dev").join(&s.tty))) {
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
