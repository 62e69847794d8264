//! `kernel_log`: the last kernel log records, and the kernel events in the whole ring
//! buffer as findings.
//!
//! Reads `/dev/kmsg` on the live host (falling back to `klogctl(2)` and the kernel lines
//! of the syslog files), or a sosreport's dmesg / `var/log/kern.log` under `--root`; see
//! [`crate::logs::kmsg`]. Every record is classified ([`crate::logs::classify`]), not
//! only the last [`KEEP`] shown.

use super::Ctx;
use crate::error::{Error, Result};
use crate::logs::{classify, kmsg, LogEntry};
use crate::snapshot::KernelLogEntry;

/// Records kept in the snapshot, the most recent.
pub const KEEP: usize = 50;

/// Collect the last kernel log records, most recent last.
pub fn collect(ctx: &Ctx) -> Result<Vec<KernelLogEntry>> {
    let read = kmsg::read_kernel(&ctx.root, None);
    if read.entries.is_empty() && !read.warnings.is_empty() {
        return Err(Error::Unavailable(read.warnings.join("; ")));
    }
    for w in read.warnings {
        ctx.warn(w);
    }
    for f in classify::classify(&read.entries) {
        ctx.add_finding(f);
    }
    Ok(tail(read.entries))
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
