//! When a saved tree was captured, and how long its host had been up then.
//!
//! A sosreport is read days or months after it was taken: "now" for it is the moment of
//! capture, not the analyst's clock. Every relative window (uptime, the 48 h of recent
//! changes, "cron due in the last hour", the year of an RFC 3164 syslog line) is anchored
//! to the time found here. Sources, best first: the `date` outputs sos saves
//! (`sos_commands/date/date_--utc`, `sos_commands/date/date`, a top-level `date`), the
//! "Universal time" of `timedatectl`, else the newest timestamp at the end of the tree's
//! own logs.

use chrono::{FixedOffset, NaiveDateTime, TimeZone};

use crate::host_root::HostRoot;
use crate::logs::formats::{parse_line, parse_rfc3339, ParseCtx, Parsed};
use crate::snapshot::Time;

/// Saved `date` outputs, best first (`--utc` has no zone-name ambiguity).
const DATE_FILES: &[&str] = &[
    "sos_commands/date/date_--utc",
    "sos_commands/date/date",
    "sos_commands/general/date",
    "date",
];

/// Logs whose last lines say roughly when the tree was captured, when nothing else does.
const LOG_FILES: &[&str] = &[
    "sos_commands/logs/journalctl_--no-pager",
    "var/log/syslog",
    "var/log/messages",
    "var/log/kern.log",
    "var/log/auth.log",
    "var/log/secure",
];

/// Bytes read from the end of each log for [`LOG_FILES`].
const LOG_TAIL_BYTES: u64 = 16 * 1024;

/// The capture time of a tree and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Capture {
    /// When the tree was captured.
    pub at: Time,
    /// The file it was read from, relative to the root.
    pub source: String,
    /// True when it is only the newest log line (a lower bound, not the capture itself).
    pub from_logs: bool,
}

/// "Now" for a snapshot of a root.
#[derive(Debug, Clone)]
pub struct Anchor {
    /// The capture time of a tree; `clock` on a live host or when the tree does not say.
    pub now: Time,
    /// False when `now` is the analyst's clock standing in for an unknown capture time.
    pub known: bool,
    /// What a reader of the snapshot should know about where `now` came from.
    pub warning: Option<String>,
}

/// "Now" for `root`: `clock` on the live host, else the tree's capture time.
pub fn anchor(root: &HostRoot, clock: Time) -> Anchor {
    if root.is_live() {
        return Anchor {
            now: clock,
            known: true,
            warning: None,
        };
    }
    let relative = "uptime, recent changes, cron windows and syslog years are relative to it";
    match capture_time(root) {
        Some(c) => Anchor {
            now: c.at,
            known: true,
            warning: Some(if c.from_logs {
                format!(
                    "capture time {} is the newest line of {} (no sos_commands/date output in the tree); {relative}",
                    c.at.to_rfc3339(),
                    c.source
                )
            } else {
                format!("capture time {} from {}; {relative}", c.at.to_rfc3339(), c.source)
            }),
        },
        None => Anchor {
            now: clock,
            known: false,
            warning: Some(
                "capture time unknown (no sos_commands/date/date, date, timedatectl or dated log line in the tree): relative times use the analyst's clock".into(),
            ),
        },
    }
}

/// The capture time of the tree at `root`, or `None` when nothing in it says.
pub(crate) fn capture_time(root: &HostRoot) -> Option<Capture> {
    for rel in DATE_FILES {
        let Ok(text) = root.read_string(rel) else {
            continue;
        };
        if let Some(at) = text.lines().find_map(parse_date_output) {
            return Some(Capture {
                at,
                source: (*rel).to_string(),
                from_logs: false,
            });
        }
    }
    let rel = "sos_commands/systemd/timedatectl";
    if let Some(at) = root
        .read_string(rel)
        .ok()
        .and_then(|t| parse_timedatectl(&t))
    {
        return Some(Capture {
            at,
            source: rel.into(),
            from_logs: false,
        });
    }
    if let Some(at) = boot_plus_uptime(root) {
        return Some(Capture {
            at,
            source: "proc/stat btime + proc/uptime".into(),
            from_logs: false,
        });
    }
    newest_log_time(root)
}

/// When a saved tree's host booted, for trees without `proc/stat`: its capture time
/// minus its uptime (`proc/uptime`, else the `uptime` output sos keeps).
pub fn boot_time(root: &HostRoot) -> Option<Time> {
    let at = capture_time(root)?.at;
    let up = root
        .read_proc("uptime")
        .ok()
        .and_then(|t| crate::collect::host::parse_uptime(&t).map(|v| v as u64))
        .or_else(|| {
            crate::collect::host::UPTIME_OUTPUTS
                .iter()
                .find_map(|rel| parse_uptime_output(&root.read_string(rel).ok()?))
        })?;
    Some(at - chrono::Duration::seconds(up as i64))
}

/// Put back in the capture's year the times of `entries` that came out after `capture`
/// (plus a day): an RFC 3164 line has no year, and its year is inferred from the file's
/// mtime, which a copied tree (a git checkout, `cp` without `-p`) sets to the day it was
/// copied. A dated format cannot be after the capture that contains it, so only year-less
/// lines move.
pub(crate) fn not_after(entries: &mut [crate::logs::LogEntry], capture: Time) {
    use chrono::Datelike;
    let limit = capture + chrono::Duration::days(1);
    for e in entries {
        let Some(t) = e.time else { continue };
        let mut fixed = t;
        for _ in 0..50 {
            if fixed <= limit {
                break;
            }
            match fixed.with_year(fixed.year() - 1) {
                Some(f) => fixed = f,
                None => break,
            }
        }
        e.time = Some(fixed);
    }
}

/// Boot time plus seconds up: the instant both files were copied.
fn boot_plus_uptime(root: &HostRoot) -> Option<Time> {
    let btime = crate::collect::cpu::read_stat(root).ok()?.btime as i64;
    let up = crate::collect::host::parse_uptime(&root.read_proc("uptime").ok()?)? as i64;
    crate::snapshot::time_from_unix(btime + up)
}

/// One line of `date` output: `Thu Feb 10 16:19:17 UTC 2022`, `Thu Feb 10 16:19:17 +0100
/// 2022`, or an RFC 3339-like `2022-02-10 16:19:16.999455+00:00`. A zone abbreviation
/// other than a few unambiguous ones gives `None` (the next source is tried).
pub(crate) fn parse_date_output(line: &str) -> Option<Time> {
    let line = line.trim();
    if let Some(t) = parse_rfc3339(line) {
        return Some(t);
    }
    let f: Vec<&str> = line.split_whitespace().collect();
    // `date`: weekday month day time zone year (the C locale's `%a %b %e %T %Z %Y`).
    let [_, mon, day, hms, zone, year] = f.as_slice() else {
        return None;
    };
    let offset = zone_offset(zone)?;
    let naive =
        NaiveDateTime::parse_from_str(&format!("{year} {mon} {day} {hms}"), "%Y %b %d %H:%M:%S")
            .ok()?;
    offset.from_local_datetime(&naive).single()
}

/// `Universal time: Thu 2022-02-10 16:19:19 UTC` from `timedatectl` output.
fn parse_timedatectl(text: &str) -> Option<Time> {
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Universal time:"))?;
    let f: Vec<&str> = line.split_whitespace().collect();
    let [_, date, hms, ..] = f.as_slice() else {
        return None;
    };
    let naive =
        NaiveDateTime::parse_from_str(&format!("{date} {hms}"), "%Y-%m-%d %H:%M:%S").ok()?;
    Some(FixedOffset::east_opt(0)?.from_utc_datetime(&naive))
}

/// A zone as printed by `date`: a numeric offset, or an abbreviation with one meaning.
fn zone_offset(zone: &str) -> Option<FixedOffset> {
    let hours = |h: i32| FixedOffset::east_opt(h * 3600);
    match zone {
        "UTC" | "GMT" | "Z" | "UCT" => hours(0),
        "EST" => hours(-5),
        "EDT" => hours(-4),
        "CDT" => hours(-5),
        "CST" => None, // US Central or China Standard: ambiguous.
        "MST" => hours(-7),
        "MDT" => hours(-6),
        "PST" => hours(-8),
        "PDT" => hours(-7),
        "CET" | "BST" | "WEST" => hours(1),
        "CEST" | "EET" => hours(2),
        "EEST" | "MSK" => hours(3),
        "JST" | "KST" => hours(9),
        z if (z.starts_with('+') || z.starts_with('-')) && z.len() == 5 => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let h: i32 = z.get(1..3)?.parse().ok()?;
            let m: i32 = z.get(3..5)?.parse().ok()?;
            FixedOffset::east_opt(sign * (h * 3600 + m * 60))
        }
        _ => None,
    }
}

/// The newest timestamp among the last lines of the tree's main logs.
fn newest_log_time(root: &HostRoot) -> Option<Capture> {
    let mut best: Option<(Time, &str)> = None;
    for rel in LOG_FILES {
        let path = root.path(rel);
        let Ok((meta, bytes)) = read_tail(&path) else {
            continue;
        };
        let reference = meta
            .modified()
            .ok()
            .map(|t| chrono::DateTime::<chrono::Local>::from(t).fixed_offset())
            .unwrap_or_else(crate::snapshot::now);
        let ctx = ParseCtx {
            source: (*rel).to_string(),
            reference,
            boot_time: None,
        };
        let text = String::from_utf8_lossy(&bytes);
        let newest = text
            .lines()
            .filter_map(|l| match parse_line(l, &ctx) {
                Parsed::Entry(e) => e.time,
                _ => None,
            })
            .max();
        if let Some(t) = newest {
            if best.is_none_or(|(b, _)| t > b) {
                best = Some((t, rel));
            }
        }
    }
    best.map(|(at, rel)| Capture {
        at,
        source: rel.to_string(),
        from_logs: true,
    })
}

/// The last [`LOG_TAIL_BYTES`] of `path` and its metadata, both from the one file opened
/// inside the tree.
fn read_tail(path: &std::path::Path) -> crate::error::Result<(std::fs::Metadata, Vec<u8>)> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = HostRoot::open_regular(path)?;
    let meta = file
        .metadata()
        .map_err(|e| crate::error::Error::io(path, e))?;
    let len = meta.len();
    let start = len.saturating_sub(LOG_TAIL_BYTES);
    file.seek(SeekFrom::Start(start))
        .map_err(|e| crate::error::Error::io(path, e))?;
    let mut buf = Vec::with_capacity((len - start) as usize);
    file.take(LOG_TAIL_BYTES)
        .read_to_end(&mut buf)
        .map_err(|e| crate::error::Error::io(path, e))?;
    Ok((meta, buf))
}

/// Seconds up from the `uptime` command's output (` 16:19:19 up 17:41,  2 users,  load
/// average: 3.58, 3.27, 2.58`; also `up 5 days,  3:02`, `up 12 min`, `up 1 day, 12 min`).
pub(crate) fn parse_uptime_output(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.contains(" up "))?;
    let after = line.split_once(" up ")?.1;
    // Everything up to the user count or the load average.
    let end = [" user", "load average"]
        .iter()
        .filter_map(|m| after.find(m))
        .min()
        .unwrap_or(after.len());
    let mut head = &after[..end];
    // Drop the trailing ",  2" of ",  2 users".
    if let Some(i) = head.rfind(',') {
        if head[i + 1..].trim().chars().all(|c| c.is_ascii_digit()) {
            head = &head[..i];
        }
    }
    let mut secs = 0u64;
    let mut any = false;
    for part in head.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let words: Vec<&str> = part.split_whitespace().collect();
        match words.as_slice() {
            [n, unit] if unit.starts_with("day") => secs += n.parse::<u64>().ok()? * 86_400,
            [n, unit] if unit.starts_with("min") => secs += n.parse::<u64>().ok()? * 60,
            [n, unit] if unit.starts_with("sec") => secs += n.parse::<u64>().ok()?,
            [n, unit] if unit.starts_with("hr") || unit.starts_with("hour") => {
                secs += n.parse::<u64>().ok()? * 3600
            }
            [hm] => {
                let (h, m) = hm.split_once(':')?;
                secs += h.parse::<u64>().ok()? * 3600 + m.parse::<u64>().ok()? * 60;
            }
            _ => return None,
        }
        any = true;
    }
    any.then_some(secs)
}

/// The three load averages from `uptime` output (`load average: 3.58, 3.27, 2.58`; some
/// locales print `3,58, 3,27, 2,58`).
pub(crate) fn parse_uptime_load(text: &str) -> Option<[f64; 3]> {
    let line = text.lines().find(|l| l.contains("load average"))?;
    let rest = line
        .split_once("load average")?
        .1
        .trim_start_matches(['s', ':', ' ']);
    let parts: Vec<f64> = rest
        .split(", ")
        .map(|p| p.trim().replace(',', ".").parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()?;
    match parts.as_slice() {
        [a, b, c] if [a, b, c].iter().all(|v| v.is_finite() && **v >= 0.0) => Some([*a, *b, *c]),
        _ => None,
    }
}

#[cfg(test)]
#[path = "capture_tests.rs"]
mod tests;
