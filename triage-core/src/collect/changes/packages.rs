//! Package changes: `dpkg.log` (one line per package action, `dpkg(1)`), apt's
//! `history.log` (one block per apt run, with the command line and who ran it), and on
//! RPM systems `dnf.rpm.log` and `yum.log`. dpkg lines that fall inside an apt run are
//! folded into that run's single change, so a 150-package upgrade is one line.

use std::path::Path;

use super::{change, kind, local, parse_syslog_time, read_rotated};
use crate::collect::Ctx;
use crate::snapshot::{Change, Time};

/// How many package names a summary lists before "+N more".
const NAMES_SHOWN: usize = 6;

/// One package action from `dpkg.log`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DpkgAction {
    /// When.
    pub time: Time,
    /// `install`, `upgrade`, `remove` or `purge`.
    pub action: String,
    /// Package name without the architecture.
    pub package: String,
    /// Version before (`<none>` for an install).
    pub from: String,
    /// Version after (`<none>` for a removal).
    pub to: String,
}

/// Parse `dpkg.log` text: `2026-11-23 10:15:42 upgrade nginx:amd64 1.18.0-6 1.18.0-7`.
/// Status and configure lines are skipped.
pub(crate) fn parse_dpkg(text: &str) -> Vec<DpkgAction> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 6 || !matches!(f[2], "install" | "upgrade" | "remove" | "purge") {
                return None;
            }
            let naive = chrono::NaiveDateTime::parse_from_str(
                &format!("{} {}", f[0], f[1]),
                "%Y-%m-%d %H:%M:%S",
            )
            .ok()?;
            Some(DpkgAction {
                time: local(naive)?,
                action: f[2].to_string(),
                package: f[3].split(':').next().unwrap_or(f[3]).to_string(),
                from: f[4].to_string(),
                to: f[5].to_string(),
            })
        })
        .collect()
}

/// One apt run from `history.log`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AptRun {
    /// Start-Date.
    pub start: Time,
    /// End-Date (the start when missing: a run cut short).
    pub end: Time,
    /// Commandline.
    pub command: String,
    /// Requested-By (`alice (1000)`), when sudo was used.
    pub requested_by: Option<String>,
    /// Action (`Install`, `Upgrade`, `Remove`, `Purge`, `Downgrade`, `Reinstall`) →
    /// package names.
    pub actions: Vec<(String, Vec<String>)>,
}

fn apt_time(value: &str) -> Option<Time> {
    let v = value.split_whitespace().collect::<Vec<_>>().join(" ");
    local(chrono::NaiveDateTime::parse_from_str(&v, "%Y-%m-%d %H:%M:%S").ok()?)
}

/// Parse apt's `history.log`: blocks of `Key: value` lines separated by blank lines.
pub(crate) fn parse_apt_history(text: &str) -> Vec<AptRun> {
    let mut runs = Vec::new();
    for block in text.split("\n\n") {
        let mut run: Option<AptRun> = None;
        for line in block.lines() {
            let Some((key, value)) = line.split_once(": ") else {
                continue;
            };
            let value = value.trim();
            match key {
                "Start-Date" => {
                    run = apt_time(value).map(|t| AptRun {
                        start: t,
                        end: t,
                        command: String::new(),
                        requested_by: None,
                        actions: Vec::new(),
                    })
                }
                "End-Date" => {
                    if let (Some(r), Some(t)) = (run.as_mut(), apt_time(value)) {
                        r.end = t;
                    }
                }
                "Commandline" => run.iter_mut().for_each(|r| r.command = value.to_string()),
                "Requested-By" => run
                    .iter_mut()
                    .for_each(|r| r.requested_by = Some(value.to_string())),
                "Install" | "Upgrade" | "Remove" | "Purge" | "Downgrade" | "Reinstall" => {
                    let names = value
                        .split("), ")
                        .filter_map(|item| item.split(" (").next())
                        .map(|n| n.split(':').next().unwrap_or(n).trim().to_string())
                        .filter(|n| !n.is_empty())
                        .collect();
                    if let Some(r) = run.as_mut() {
                        r.actions.push((key.to_string(), names));
                    }
                }
                _ => {}
            }
        }
        runs.extend(run);
    }
    runs
}

fn names_list(names: &[String]) -> String {
    let mut s = names
        .iter()
        .take(NAMES_SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > NAMES_SHOWN {
        s.push_str(&format!(" +{} more", names.len() - NAMES_SHOWN));
    }
    s
}

/// The change for one apt run.
pub(crate) fn apt_change(run: &AptRun, source: &Path) -> Change {
    let acts = run
        .actions
        .iter()
        .map(|(a, names)| {
            format!(
                "{} {}: {}",
                a.to_lowercase(),
                names.len(),
                names_list(names)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let who = run
        .requested_by
        .as_deref()
        .map(|w| format!(" by {w}"))
        .unwrap_or_default();
    let cmd = if run.command.is_empty() {
        "apt"
    } else {
        &run.command
    };
    change(
        run.end,
        kind::PACKAGE,
        format!("{cmd}{who} — {acts}"),
        source.display().to_string(),
    )
}

/// The change for one dpkg action outside any apt run.
pub(crate) fn dpkg_change(a: &DpkgAction, source: &Path) -> Change {
    let what = match a.action.as_str() {
        "install" => format!("installed {} {}", a.package, a.to),
        "upgrade" => format!("upgraded {} {} → {}", a.package, a.from, a.to),
        other => format!("{other}d {} {}", a.package, a.from),
    };
    change(a.time, kind::PACKAGE, what, source.display().to_string())
}

/// Parse `dnf.rpm.log` (`2026-11-23T10:15:42+0000 SUBDEBUG Upgrade: nginx-1.20…`) or
/// `yum.log` (`Nov 23 10:15:42 Updated: nginx-1.20…`) into changes.
pub(crate) fn parse_rpm_log(text: &str, now: Time, source: &Path) -> Vec<Change> {
    const ACTIONS: &[(&str, &str)] = &[
        ("Installed:", "installed"),
        ("Install:", "installed"),
        ("Upgrade:", "upgraded to"),
        ("Updated:", "upgraded to"),
        ("Downgrade:", "downgraded to"),
        ("Erase:", "removed"),
        ("Erased:", "removed"),
        ("Reinstall:", "reinstalled"),
    ];
    text.lines()
        .filter_map(|line| {
            let first = line.split_whitespace().next()?;
            let (time, rest) = match chrono::DateTime::parse_from_str(first, "%Y-%m-%dT%H:%M:%S%z")
            {
                Ok(t) => (t, line.get(first.len()..)?.trim_start()),
                Err(_) => parse_syslog_time(line, now)?,
            };
            let rest = rest.strip_prefix("SUBDEBUG ").unwrap_or(rest);
            ACTIONS.iter().find_map(|(tag, verb)| {
                let pkg = rest.strip_prefix(tag)?.trim();
                Some(change(
                    time,
                    kind::PACKAGE,
                    format!("{verb} {pkg}"),
                    source.display().to_string(),
                ))
            })
        })
        .collect()
}

/// Package changes since `since`.
pub fn collect(ctx: &Ctx, since: Time, out: &mut Vec<Change>) {
    let mut runs = Vec::new();
    for (path, text) in read_rotated(ctx, "var/log/apt/history.log", since) {
        for run in parse_apt_history(&text)
            .into_iter()
            .filter(|r| r.end >= since)
        {
            out.push(apt_change(&run, &path));
            runs.push(run);
        }
    }
    for (path, text) in read_rotated(ctx, "var/log/dpkg.log", since) {
        for a in parse_dpkg(&text).into_iter().filter(|a| a.time >= since) {
            let in_run = runs.iter().any(|r| {
                a.time >= r.start - chrono::Duration::seconds(2)
                    && a.time <= r.end + chrono::Duration::seconds(2)
            });
            if !in_run {
                out.push(dpkg_change(&a, &path));
            }
        }
    }
    for rel in ["var/log/dnf.rpm.log", "var/log/yum.log"] {
        for (path, text) in read_rotated(ctx, rel, since) {
            out.extend(
                parse_rpm_log(&text, ctx.now, &path)
                    .into_iter()
                    .filter(|c| c.time >= since),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DPKG: &str = "2026-11-23 10:15:40 startup archives unpack\n\
2026-11-23 10:15:41 upgrade nginx:amd64 1.18.0-6 1.18.0-7\n\
2026-11-23 10:15:41 status half-configured nginx:amd64 1.18.0-7\n\
2026-11-23 11:00:00 install curl:amd64 <none> 7.88.1-10\n\
2026-11-23 11:05:00 remove telnet:amd64 0.17-44 <none>\n\
garbage line\n";

    #[test]
    fn dpkg_actions() {
        let a = parse_dpkg(DPKG);
        assert_eq!(a.len(), 3);
        assert_eq!(a[0].action, "upgrade");
        assert_eq!(a[0].package, "nginx");
        let c = dpkg_change(&a[0], Path::new("/var/log/dpkg.log"));
        assert_eq!(c.summary, "upgraded nginx 1.18.0-6 → 1.18.0-7");
        assert_eq!(
            dpkg_change(&a[2], Path::new("x")).summary,
            "removed telnet 0.17-44"
        );
    }

    #[test]
    fn apt_history_runs() {
        let text = "\nStart-Date: 2026-11-23  10:15:38\nCommandline: apt-get upgrade -y\nRequested-By: alice (1000)\nUpgrade: nginx:amd64 (1.18.0-6, 1.18.0-7), nginx-common:amd64 (1.18.0-6, 1.18.0-7)\nEnd-Date: 2026-11-23  10:15:44\n\nStart-Date: 2026-11-23  11:00:00\nCommandline: apt install curl\nInstall: curl:amd64 (7.88.1-10), libcurl4:amd64 (7.88.1-10, automatic)\n";
        let runs = parse_apt_history(text);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].actions[0].1, ["nginx", "nginx-common"]);
        let c = apt_change(&runs[0], Path::new("h"));
        assert_eq!(
            c.summary,
            "apt-get upgrade -y by alice (1000) — upgrade 2: nginx, nginx-common"
        );
        assert_eq!(runs[1].end, runs[1].start, "no End-Date");
    }

    #[test]
    fn rpm_logs() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T12:00:00+00:00").unwrap();
        let dnf = "2026-11-23T10:15:42+0000 SUBDEBUG Upgrade: nginx-1:1.20.1-14.el9.x86_64\n2026-11-23T10:15:42+0000 SUBDEBUG Upgraded: nginx-1:1.20.1-13.el9.x86_64\n2026-11-23T10:15:43+0000 INFO --- logging initialized ---\n";
        let c = parse_rpm_log(dnf, now, Path::new("dnf.rpm.log"));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].summary, "upgraded to nginx-1:1.20.1-14.el9.x86_64");
        let yum = "Nov 23 10:15:42 Erased: telnet-0.17-1.x86_64\n";
        let c = parse_rpm_log(yum, now, Path::new("yum.log"));
        assert_eq!(c[0].summary, "removed telnet-0.17-1.x86_64");
    }
}
