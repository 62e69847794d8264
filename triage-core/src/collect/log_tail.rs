//! `log_tail`: the last syslog/journal lines, merged by time, and the system events in
//! them (`service_failed`: facts for the findings engine).
//!
//! Reads `/var/log/syslog`, `/var/log/messages`, `auth.log`/`secure` (with their rotated
//! generations, see [`crate::logs::files`]), the journal through `journalctl -o json`
//! ([`crate::logs::journal`]) and the extra files in [`super::Options::extra_logs`].
//! Kernel lines are left to the `kernel_log` collector's events so an OOM kill is not
//! counted twice.

use std::time::Duration;

use super::Ctx;
use crate::error::{Error, Result};
use crate::facts::LogEvent;
use crate::logs::{classify, dedupe, files, journal, merge, LogEntry};
use crate::snapshot::LogTailEntry;

/// Lines kept in the snapshot, the most recent.
pub(crate) const KEEP: usize = 50;

/// Lines read from each source to look for events.
pub(crate) const SCAN: usize = 2000;

/// The section and the events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogTail {
    /// The last [`KEEP`] lines, most recent last.
    pub tail: Vec<LogTailEntry>,
    /// The system (non-kernel) events in the [`SCAN`] lines read per source.
    pub events: Vec<LogEvent>,
}

/// Collect the last syslog/journal lines and the system events in them.
pub fn collect(ctx: &Ctx) -> Result<LogTail> {
    // Leave a quarter of the collector deadline for the files.
    let journal_limit = ctx
        .opts
        .collector_timeout
        .mul_f64(0.75)
        .max(Duration::from_millis(100));
    let j = journal::read(&ctx.root, SCAN, None, false, journal_limit);
    let f = files::system_logs(&ctx.root, SCAN, None, &ctx.opts.extra_logs);
    let warnings: Vec<String> = j.warnings.into_iter().chain(f.warnings).collect();
    if j.entries.is_empty() && f.entries.is_empty() {
        return Err(Error::Unavailable(if warnings.is_empty() {
            "no system log found (no var/log/syslog or var/log/messages, no journal)".into()
        } else {
            warnings.join("; ")
        }));
    }
    for w in warnings {
        ctx.warn(w);
    }
    let mut entries = merge(dedupe(vec![f.entries, j.entries]));
    if !ctx.root.is_live() && ctx.now_known {
        super::capture::not_after(&mut entries, ctx.now);
    }
    let system: Vec<LogEntry> = entries.iter().filter(|e| !e.kernel).cloned().collect();
    let events = classify::events(&system);
    Ok(LogTail {
        tail: tail(entries),
        events,
    })
}

/// The last [`KEEP`] entries as snapshot records.
pub fn tail(entries: Vec<LogEntry>) -> Vec<LogTailEntry> {
    let skip = entries.len().saturating_sub(KEEP);
    entries
        .into_iter()
        .skip(skip)
        .map(|e| LogTailEntry {
            source: e.source,
            time: e.time,
            message: e.message,
        })
        .collect()
}
