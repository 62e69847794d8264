//! Cron jobs due in the last hour, from `/etc/crontab`, `/etc/cron.d/*` (both with a user
//! field, `crontab(5)`) and the per-user spools `/var/spool/cron/crontabs/*` (Debian) and
//! `/var/spool/cron/*` (RHEL). Schedules are evaluated by the `croner` crate in local
//! time (Vixie cron semantics: day-of-month OR day-of-week). `@reboot` jobs and lines
//! croner cannot read are skipped; a job due many times is one line with its count.

use std::path::Path;
use std::str::FromStr;

use super::{change, kind};
use crate::collect::Ctx;
use crate::snapshot::{Change, Time};

/// How far back due jobs are looked for, minutes.
pub(crate) const WINDOW_MINUTES: i64 = 60;
/// Occurrences counted per job at most (an every-minute job is due 60 times an hour).
const MAX_OCCURRENCES: usize = 61;
/// Crontab files read at most.
const MAX_FILES: usize = 200;

/// One job line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Job {
    /// The five schedule fields or an `@` alias.
    pub schedule: String,
    /// The user it runs as.
    pub user: String,
    /// The command.
    pub command: String,
    /// 1-based line in its file.
    pub line: usize,
}

/// Parse crontab text. `system` files (`/etc/crontab`, `/etc/cron.d`) have a user field;
/// user spools run as `owner`.
pub(crate) fn parse_crontab(text: &str, system: bool, owner: &str) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let first = fields[0];
        // VAR=value lines.
        if !first.starts_with('@') && first.contains('=') {
            continue;
        }
        let sched_len = if first.starts_with('@') { 1 } else { 5 };
        let user_len = usize::from(system);
        if fields.len() <= sched_len + user_len {
            continue;
        }
        jobs.push(Job {
            schedule: fields[..sched_len].join(" "),
            user: if system {
                fields[sched_len].to_string()
            } else {
                owner.to_string()
            },
            command: fields[sched_len + user_len..].join(" "),
            line: i + 1,
        });
    }
    jobs
}

/// When `schedule` was due in the hour up to `now`: (count, last time); `None` when never
/// or when the schedule cannot be read.
pub(crate) fn due_in_last_hour(schedule: &str, now: Time) -> Option<(usize, Time)> {
    if schedule == "@reboot" {
        return None;
    }
    let cron = croner::Cron::from_str(schedule).ok()?;
    let start = now - chrono::Duration::minutes(WINDOW_MINUTES);
    let times: Vec<Time> = cron
        .iter_from(now, croner::Direction::Backward)
        .take(MAX_OCCURRENCES)
        .take_while(|t| *t > start)
        .collect();
    let last = *times.first()?;
    Some((times.len(), last))
}

fn job_changes(jobs: &[Job], now: Time, source: &Path) -> Vec<Change> {
    jobs.iter()
        .filter_map(|j| {
            let (n, last) = due_in_last_hour(&j.schedule, now)?;
            let times = if n >= MAX_OCCURRENCES - 1 {
                "every minute".to_string()
            } else if n == 1 {
                "once".to_string()
            } else {
                format!("{n} times")
            };
            Some(change(
                last,
                kind::CRON,
                format!(
                    "cron job due {times} in the last hour ({}) as {}: {}",
                    j.schedule, j.user, j.command
                ),
                format!("{}:{}", source.display(), j.line),
            ))
        })
        .collect()
}

/// Cron jobs due in the last hour.
pub fn collect(ctx: &Ctx, out: &mut Vec<Change>) {
    let mut files: Vec<(std::path::PathBuf, bool, String)> =
        vec![(ctx.root.path("etc/crontab"), true, "root".into())];
    let list = |rel: &str| -> Vec<std::path::PathBuf> {
        crate::HostRoot::read_dir(&ctx.root.path(rel))
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    // A link leading out of a `--root` tree is kept: its read is
                    // refused with a warning naming it, nothing outside is stat'ed.
                    .filter(|p| {
                        crate::HostRoot::is_file(p)
                            || matches!(
                                crate::HostRoot::contained(p),
                                Err(crate::error::Error::OutsideRoot { .. })
                            )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    files.extend(
        list("etc/cron.d")
            .into_iter()
            .map(|p| (p, true, "root".into())),
    );
    for spool in ["var/spool/cron/crontabs", "var/spool/cron"] {
        for p in list(spool) {
            let owner = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push((p, false, owner));
        }
    }
    for (path, system, owner) in files.into_iter().take(MAX_FILES) {
        // Editor leftovers and package backups are not read by cron.
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.')
            || name.contains('~')
            || name.ends_with(".dpkg-old")
            || name.ends_with(".dpkg-dist")
        {
            continue;
        }
        match crate::HostRoot::read_path_string(&path) {
            Ok(text) => out.extend(job_changes(
                &parse_crontab(&text, system, &owner),
                ctx.now,
                &path,
            )),
            Err(e) if e.is_not_found() => {}
            Err(e) => ctx.warn(format!("{e} (its cron jobs are not shown)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cron_file_linked_out_of_the_tree_is_named_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("job"), "* * * * * root OUTSIDE-JOB-42\n").unwrap();
        let r = dir.path().join("root");
        std::fs::create_dir_all(r.join("etc/cron.d")).unwrap();
        std::os::unix::fs::symlink("../../../outside/job", r.join("etc/cron.d/job")).unwrap();
        let ctx = Ctx::new(crate::HostRoot::new(&r).unwrap(), Default::default());
        let mut out = Vec::new();
        collect(&ctx, &mut out);
        assert!(
            out.iter().all(|c| !c.summary.contains("OUTSIDE")),
            "{out:?}"
        );
        let w: Vec<String> = ctx.take_warnings().into_iter().map(|w| w.message).collect();
        assert!(
            w.iter()
                .any(|m| m.contains("etc/cron.d/job") && !m.contains("OUTSIDE")),
            "{w:?}"
        );
    }

    #[test]
    fn parses_system_and_user_crontabs() {
        let text = "SHELL=/bin/sh\n# m h dom mon dow user command\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n@reboot root /usr/local/bin/warm\n*/5 * * * *\n";
        let jobs = parse_crontab(text, true, "root");
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].user, "root");
        assert_eq!(
            jobs[0].command,
            "cd / && run-parts --report /etc/cron.hourly"
        );
        assert_eq!(jobs[0].line, 3);
        let user = parse_crontab("*/5 * * * * /home/alice/bin/sync\n", false, "alice");
        assert_eq!(user[0].user, "alice");
    }

    #[test]
    fn due_times() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T12:30:00+00:00").unwrap();
        let (n, last) = due_in_last_hour("17 * * * *", now).unwrap();
        assert_eq!(n, 1);
        assert_eq!(last.format("%H:%M").to_string(), "12:17");
        let (n, _) = due_in_last_hour("*/5 * * * *", now).unwrap();
        assert_eq!(n, 12);
        assert!(due_in_last_hour("0 3 * * *", now).is_none());
        assert!(due_in_last_hour("@reboot", now).is_none());
        assert!(due_in_last_hour("not a schedule", now).is_none());
        let (n, _) = due_in_last_hour("@hourly", now).unwrap();
        assert_eq!(n, 1);
    }
}
