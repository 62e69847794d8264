//! Reboots, kernel changes and logins: `/var/log/wtmp` (`utmp(5)` records, parsed by
//! `utmp-rs`; the file `last -x` reads), the boot time (`btime` in `/proc/stat`), and
//! sshd's `Accepted … for USER from ADDR` lines in `/var/log/auth.log` (Debian) or
//! `/var/log/secure` (RHEL). A login seen in both wtmp and the auth log is listed once.

use std::path::Path;

use super::{change, kind, parse_syslog_time, read_rotated};
use crate::collect::Ctx;
use crate::snapshot::{time_from_unix, Change, Time};

/// One wtmp record that matters here.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WtmpEvent {
    /// A boot, with the kernel release.
    Boot {
        /// When.
        time: Time,
        /// Kernel release recorded with the boot.
        kernel: String,
    },
    /// A user session started.
    Login {
        /// When.
        time: Time,
        /// User name.
        user: String,
        /// Terminal.
        tty: String,
        /// Remote host, empty when local.
        from: String,
    },
}

/// Parse wtmp records from `reader`; returns the events and how many records were
/// unreadable.
pub(crate) fn parse_wtmp(reader: impl std::io::Read) -> (Vec<WtmpEvent>, usize) {
    let mut events = Vec::new();
    let mut bad = 0;
    for entry in utmp_rs::UtmpParser::from_reader(reader) {
        match entry {
            Ok(utmp_rs::UtmpEntry::BootTime {
                kernel_version,
                time,
            }) => events.extend(
                time_from_unix(time.unix_timestamp()).map(|t| WtmpEvent::Boot {
                    time: t,
                    kernel: kernel_version,
                }),
            ),
            Ok(utmp_rs::UtmpEntry::UserProcess {
                user,
                line,
                host,
                time,
                ..
            }) => events.extend(
                time_from_unix(time.unix_timestamp()).map(|t| WtmpEvent::Login {
                    time: t,
                    user,
                    tty: line,
                    from: host,
                }),
            ),
            Ok(_) => {}
            Err(utmp_rs::ParseError::Io(_)) => break,
            Err(_) => bad += 1,
        }
    }
    (events, bad)
}

/// Changes from wtmp events since `since`: logins, boots, and a `kernel` change when a
/// boot ran another kernel than the boot before it.
pub(crate) fn wtmp_changes(events: &[WtmpEvent], since: Time, source: &str) -> Vec<Change> {
    let mut out = Vec::new();
    let mut prev_kernel: Option<&str> = None;
    for e in events {
        match e {
            WtmpEvent::Boot { time, kernel } => {
                if *time >= since {
                    out.push(change(
                        *time,
                        kind::REBOOT,
                        format!("host booted (kernel {kernel})"),
                        source,
                    ));
                    if let Some(prev) = prev_kernel.filter(|p| *p != kernel && !kernel.is_empty()) {
                        out.push(change(
                            *time,
                            kind::KERNEL,
                            format!("kernel changed: {prev} → {kernel}"),
                            source,
                        ));
                    }
                }
                if !kernel.is_empty() {
                    prev_kernel = Some(kernel);
                }
            }
            WtmpEvent::Login {
                time,
                user,
                tty,
                from,
            } if *time >= since => {
                let from = if from.is_empty() {
                    String::new()
                } else {
                    format!(" from {from}")
                };
                out.push(change(
                    *time,
                    kind::LOGIN,
                    format!("{user} logged in on {tty}{from}"),
                    source,
                ));
            }
            WtmpEvent::Login { .. } => {}
        }
    }
    out
}

/// One sshd `Accepted METHOD for USER from ADDR` line.
pub(crate) fn parse_auth_line(line: &str, now: Time) -> Option<(Time, String, String, String)> {
    let (time, rest) = parse_syslog_time(line, now)?;
    let i = rest.find("Accepted ")?;
    let f: Vec<&str> = rest.get(i..)?.split_whitespace().collect();
    // Accepted publickey for alice from 10.0.0.5 port 52311 ssh2
    if f.len() < 6 || f[2] != "for" || f[4] != "from" {
        return None;
    }
    Some((time, f[3].to_string(), f[5].to_string(), f[1].to_string()))
}

/// Changes from an auth log's accepted logins since `since`.
pub(crate) fn auth_changes(text: &str, now: Time, since: Time, source: &Path) -> Vec<Change> {
    text.lines()
        .filter_map(|l| parse_auth_line(l, now))
        .filter(|(t, ..)| *t >= since)
        .map(|(t, user, from, method)| {
            change(
                t,
                kind::LOGIN,
                format!("{user} logged in from {from} (ssh {method})"),
                source.display().to_string(),
            )
        })
        .collect()
}

fn same_login(a: &Change, b: &Change) -> bool {
    let user = |c: &Change| c.summary.split_whitespace().next().map(str::to_string);
    let from = |c: &Change| {
        c.summary
            .split(" from ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .map(str::to_string)
    };
    (a.time - b.time).num_seconds().abs() <= 10 && user(a) == user(b) && from(a) == from(b)
}

/// Reboots, kernel changes and logins since `since`.
pub fn collect(ctx: &Ctx, since: Time, out: &mut Vec<Change>) {
    let mut found = Vec::new();
    let wtmp = ctx.root.path("var/log/wtmp");
    if wtmp.exists() {
        match crate::HostRoot::open_regular(&wtmp) {
            Ok(file) => {
                let (events, bad) = parse_wtmp(std::io::BufReader::new(file));
                if bad > 0 {
                    ctx.warn(format!(
                        "{}: {bad} unreadable record(s) skipped",
                        wtmp.display()
                    ));
                }
                found.extend(wtmp_changes(&events, since, &wtmp.display().to_string()));
            }
            Err(e) => ctx.warn(format!("{e} (logins and reboots from wtmp not shown)")),
        }
    }
    // The boot itself, even without wtmp.
    if let Ok(stat) = crate::collect::cpu::read_stat(&ctx.root) {
        if let Some(boot) = time_from_unix(stat.btime as i64).filter(|b| *b >= since) {
            let known = found
                .iter()
                .any(|c| c.kind == kind::REBOOT && (c.time - boot).num_seconds().abs() <= 120);
            if !known {
                let kernel = ctx
                    .root
                    .read_proc("sys/kernel/osrelease")
                    .unwrap_or_default();
                found.push(change(
                    boot,
                    kind::REBOOT,
                    format!("host booted (kernel {})", kernel.trim()),
                    ctx.root.proc("stat").display().to_string(),
                ));
            }
        }
    }
    for rel in ["var/log/auth.log", "var/log/secure"] {
        for (path, text) in read_rotated(ctx, rel, since) {
            for c in auth_changes(&text, ctx.now, since, &path) {
                if !found
                    .iter()
                    .any(|f| f.kind == kind::LOGIN && same_login(f, &c))
                {
                    found.push(c);
                }
            }
        }
    }
    out.extend(found);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Time {
        chrono::DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn auth_lines() {
        let now = t("2026-11-23T12:00:00+00:00");
        let l = "2026-11-23T10:15:42.123456+00:00 web1 sshd[1234]: Accepted publickey for alice from 10.0.0.5 port 52311 ssh2: ED25519 SHA256:abc";
        let (time, user, from, method) = parse_auth_line(l, now).unwrap();
        assert_eq!(time, t("2026-11-23T10:15:42.123456+00:00"));
        assert_eq!(
            (user.as_str(), from.as_str(), method.as_str()),
            ("alice", "10.0.0.5", "publickey")
        );
        assert!(parse_auth_line(
            "Nov 23 10:15:42 web1 sshd[1]: Failed password for root from 1.2.3.4 port 1 ssh2",
            now
        )
        .is_none());
        let (_, user, ..) = parse_auth_line(
            "Nov 23 09:00:01 web1 sshd[9]: Accepted password for bob from 10.0.0.9 port 2 ssh2",
            now,
        )
        .unwrap();
        assert_eq!(user, "bob");
    }

    #[test]
    fn kernel_change_between_boots() {
        let events = vec![
            WtmpEvent::Boot {
                time: t("2026-11-01T00:00:00+00:00"),
                kernel: "6.1.0-25".into(),
            },
            WtmpEvent::Boot {
                time: t("2026-11-23T09:00:00+00:00"),
                kernel: "6.1.0-26".into(),
            },
            WtmpEvent::Login {
                time: t("2026-11-23T09:10:00+00:00"),
                user: "alice".into(),
                tty: "pts/0".into(),
                from: "10.0.0.5".into(),
            },
        ];
        let c = wtmp_changes(&events, t("2026-11-21T12:00:00+00:00"), "wtmp");
        let kinds: Vec<&str> = c.iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(kinds, ["reboot", "kernel", "login"]);
        assert_eq!(c[1].summary, "kernel changed: 6.1.0-25 → 6.1.0-26");
        assert_eq!(c[2].summary, "alice logged in on pts/0 from 10.0.0.5");
    }
}
