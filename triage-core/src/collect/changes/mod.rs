//! `recent_changes`: what changed on the host just before the incident, newest first.
//!
//! Sources, each optional (a missing file is silence, an unreadable one a warning):
//! - packages: `/var/log/dpkg.log` (+ rotated, `dpkg(1)`), `/var/log/apt/history.log`,
//!   `/var/log/dnf.rpm.log`, `/var/log/yum.log` ([`packages`]);
//! - reboots, kernel changes and logins: `/var/log/wtmp` (`utmp(5)`, parsed by `utmp-rs`;
//!   what `last -x` reads), the boot time from `/proc/stat` `btime`, and sshd's
//!   "Accepted … for" lines in `/var/log/auth.log` or `/var/log/secure` ([`logins`]);
//! - files modified under `/etc`, `/usr/local/bin`, the systemd unit directories and the
//!   cron spool, by a bounded walk ([`files`]), and cron jobs due in the last hour
//!   ([`cron`], schedules evaluated by the `croner` crate);
//! - systemd units in the failed state (`systemctl --failed`, live host only) ([`system`]);
//! - deploy markers under `/opt`, `/srv`, `/var/www`: a `current` symlink switched, a
//!   `REVISION` file, a git `HEAD` that moved ([`deploy`]);
//! - processes started in the last hour, from the snapshot's process table, added after
//!   collection by [`add_process_starts`].

pub mod cron;
pub mod deploy;
pub mod files;
pub mod logins;
pub mod packages;
pub mod system;

use std::io::Read;
use std::path::PathBuf;

use super::Ctx;
use crate::error::Result;
use crate::host_root::HostRoot;
use crate::snapshot::{Change, Snapshot, Time};

/// How far back changes are looked for by default, hours.
pub(crate) const WINDOW_HOURS: i64 = 48;
/// At most this many changes are kept (the newest); a warning says when more were found.
pub const MAX_CHANGES: usize = 200;
/// Processes started this recently count as changes, seconds.
pub(crate) const PROCESS_WINDOW_SECONDS: i64 = 3600;
/// Rotated log files looked at beyond the current one (`.1`, `.2.gz`…).
const MAX_ROTATIONS: usize = 4;
/// Cap on a decompressed rotated log.
const MAX_LOG_BYTES: u64 = 64 * 1024 * 1024;

/// The `kind` values of a [`Change`].
pub mod kind {
    /// A package installed, upgraded or removed.
    pub const PACKAGE: &str = "package";
    /// The host booted.
    pub const REBOOT: &str = "reboot";
    /// The host booted another kernel than before.
    pub const KERNEL: &str = "kernel";
    /// Someone logged in.
    pub const LOGIN: &str = "login";
    /// A configuration file changed.
    pub const CONFIG: &str = "config";
    /// A cron job was due, or a crontab changed.
    pub const CRON: &str = "cron";
    /// A process started.
    pub const PROCESS: &str = "process";
    /// A service failed.
    pub const SERVICE: &str = "service";
    /// A program was deployed (a binary under /usr/local).
    pub const DEPLOY: &str = "deploy";
}

pub(crate) fn change(
    time: Time,
    kind: &str,
    summary: impl Into<String>,
    source: impl Into<String>,
) -> Change {
    Change {
        time,
        kind: kind.to_string(),
        summary: summary.into(),
        source: source.into(),
    }
}

/// Collect recent changes over the default window ([`WINDOW_HOURS`]).
pub fn collect(ctx: &Ctx) -> Result<Vec<Change>> {
    Ok(collect_since(
        ctx,
        ctx.now - chrono::Duration::hours(WINDOW_HOURS),
    ))
}

/// Collect changes since `since`, newest first, capped at [`MAX_CHANGES`].
pub(crate) fn collect_since(ctx: &Ctx, since: Time) -> Vec<Change> {
    let mut out = Vec::new();
    packages::collect(ctx, since, &mut out);
    logins::collect(ctx, since, &mut out);
    files::collect(ctx, since, &mut out);
    cron::collect(ctx, &mut out);
    system::collect(ctx, since, &mut out);
    deploy::collect(ctx, since, &mut out);
    out.retain(|c| c.time >= since && c.time <= ctx.now + chrono::Duration::minutes(5));
    let (list, dropped) = finish(out);
    if dropped > 0 {
        ctx.warn(format!(
            "{dropped} older change(s) not shown: only the newest {MAX_CHANGES} are kept"
        ));
    }
    list
}

/// Sort newest first and cap at [`MAX_CHANGES`]; returns the list and how many were cut.
pub fn finish(mut changes: Vec<Change>) -> (Vec<Change>, usize) {
    changes.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| a.summary.cmp(&b.summary)));
    changes.dedup_by(|a, b| a.time == b.time && a.kind == b.kind && a.summary == b.summary);
    let dropped = changes.len().saturating_sub(MAX_CHANGES);
    changes.truncate(MAX_CHANGES);
    (changes, dropped)
}

/// Add the processes started in the last hour (from the snapshot's process table) to
/// `recent_changes`, grouped by command. Kernel threads are left out, and nothing is added
/// within the first hour after boot (the boot itself is the change then).
pub(crate) fn add_process_starts(snap: &mut Snapshot) {
    let uptime = snap.host.as_ref().map(|h| h.uptime_seconds).unwrap_or(0);
    if uptime < PROCESS_WINDOW_SECONDS as u64 {
        return;
    }
    let now = snap.collected_at;
    let me = std::process::id() as i32;
    let mut groups: std::collections::BTreeMap<String, Vec<(Time, i32, String)>> =
        Default::default();
    for p in snap.processes.iter().flatten() {
        let Some(t) = p.started_at else { continue };
        let age = (now - t).num_seconds();
        if p.command.starts_with('[')
            || p.pid == me
            || p.ppid == me
            || !(0..=PROCESS_WINDOW_SECONDS).contains(&age)
        {
            continue;
        }
        let name = if p.name.is_empty() {
            p.command.clone()
        } else {
            p.name.clone()
        };
        groups
            .entry(name)
            .or_default()
            .push((t, p.pid, p.command.clone()));
    }
    if groups.is_empty() {
        return;
    }
    let source = "process table (/proc/PID/stat starttime)";
    let added = groups.into_iter().map(|(name, mut v)| {
        v.sort();
        let (t, pid, cmd) = v.last().cloned().unwrap_or((now, 0, String::new()));
        let summary = if v.len() == 1 {
            format!("started {name} (pid {pid}): {cmd}")
        } else {
            format!("started {} × {name} (newest pid {pid}): {cmd}", v.len())
        };
        change(t, kind::PROCESS, summary, source)
    });
    let mut all = snap.recent_changes.take().unwrap_or_default();
    all.extend(added);
    let (list, dropped) = finish(all);
    if dropped > 0 {
        snap.warn(
            crate::snapshot::collector::RECENT_CHANGES,
            format!("{dropped} older change(s) not shown: only the newest {MAX_CHANGES} are kept"),
        );
    }
    snap.recent_changes = Some(list);
}

/// A log file and its rotations (`NAME`, `NAME.1`, `NAME.2.gz`…) whose modification time
/// is not older than `since`, newest file first, as text. Unreadable files are warned
/// about; missing ones are skipped.
pub(crate) fn read_rotated(ctx: &Ctx, rel: &str, since: Time) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut candidates = vec![rel.to_string()];
    for n in 1..=MAX_ROTATIONS {
        candidates.push(format!("{rel}.{n}"));
        candidates.push(format!("{rel}.{n}.gz"));
    }
    for c in candidates {
        let path = ctx.root.path(&c);
        let Ok(meta) = HostRoot::metadata(&path) else {
            continue;
        };
        if let Ok(m) = meta.modified() {
            let mtime: chrono::DateTime<chrono::Utc> = m.into();
            if mtime < since {
                continue;
            }
        }
        match read_maybe_gz(&path) {
            Ok(text) => out.push((path, text)),
            Err(e) => ctx.warn(e.to_string()),
        }
    }
    out
}

fn read_maybe_gz(path: &std::path::Path) -> Result<String> {
    if path.extension().is_some_and(|e| e == "gz") {
        let file = HostRoot::open_regular(path)?;
        let mut text = String::new();
        flate2::read::GzDecoder::new(file)
            .take(MAX_LOG_BYTES)
            .read_to_string(&mut text)
            .map_err(|e| crate::Error::io(path, e))?;
        Ok(text)
    } else {
        HostRoot::read_path_string(path)
    }
}

/// Parse a syslog-style timestamp at the start of `line`: RFC 3339 (`2026-11-23T10:15:42…`)
/// or RFC 3164 (`Nov 23 10:15:42`, year inferred: the latest not after `now`). Returns
/// the time and the rest of the line.
pub(crate) fn parse_syslog_time(line: &str, now: Time) -> Option<(Time, &str)> {
    let first = line.split_whitespace().next()?;
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(first) {
        return Some((t, line.get(first.len()..)?.trim_start()));
    }
    let head = line.get(..15)?;
    let year = now.format("%Y").to_string();
    let naive =
        chrono::NaiveDateTime::parse_from_str(&format!("{year} {head}"), "%Y %b %e %H:%M:%S")
            .ok()?;
    let mut t = local(naive)?;
    if t > now + chrono::Duration::days(1) {
        t = local(naive.checked_sub_months(chrono::Months::new(12))?)?;
    }
    Some((t, line.get(15..)?.trim_start()))
}

/// A local naive time as a [`Time`].
pub(crate) fn local(naive: chrono::NaiveDateTime) -> Option<Time> {
    use chrono::TimeZone;
    chrono::Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.fixed_offset())
}
