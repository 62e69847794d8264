//! `kernel_log`: the last kernel log records, and the kernel events in the whole ring
//! buffer (facts for the findings engine).
//!
//! Reads `/dev/kmsg` on the live host (falling back to `klogctl(2)` and the kernel lines
//! of the syslog files), or a sosreport's dmesg / `var/log/kern.log` under `--root`; see
//! [`crate::logs::kmsg`]. Every record is classified ([`crate::logs::classify`]), not
//! only the last [`KEEP`] shown.

use super::Ctx;
use crate::error::{Error, Result};
use crate::facts::LogEvent;
use crate::logs::{classify, kmsg, LogEntry};
use crate::snapshot::KernelLogEntry;

/// Records kept in the snapshot, the most recent.
pub(crate) const KEEP: usize = 50;

/// The section and the events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KernelLog {
    /// The last [`KEEP`] records, most recent last.
    pub tail: Vec<KernelLogEntry>,
    /// Every event in the ring buffer, in order of first appearance.
    pub events: Vec<LogEvent>,
}

/// Collect the last kernel log records and the events in all of them.
pub fn collect(ctx: &Ctx) -> Result<KernelLog> {
    let read = kmsg::read_kernel(&ctx.root, None);
    if read.entries.is_empty() && !read.warnings.is_empty() {
        return Err(Error::Unavailable(read.warnings.join("; ")));
    }
    for w in read.warnings {
        ctx.warn(w);
    }
    let events = classify::events(&read.entries);
    Ok(KernelLog {
        tail: tail(read.entries),
        events,
    })
}

/// The last [`KEEP`] entries as snapshot records.
pub fn tail(entries: Vec<LogEntry>) -> Vec<KernelLogEntry> {
    let skip = entries.len().saturating_sub(KEEP);
    entries
        .into_iter()
        .skip(skip)
        .map(|e| KernelLogEntry {
            time: e.time,
            level: e.level.unwrap_or_else(|| "unknown".into()),
            message: e.message,
        })
        .collect()
}
