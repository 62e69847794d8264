//! `kernel_log`: the last kernel log records.
//!
//! Placeholder until the logs module lands: the section is registered so the snapshot
//! shape does not change when it does.

use super::Ctx;
use crate::error::{Error, Result};
use crate::snapshot::KernelLogEntry;

/// Collect the last kernel log records, most recent last.
pub fn collect(_ctx: &Ctx) -> Result<Vec<KernelLogEntry>> {
    Err(Error::Unavailable(
        "the kernel log is not read by this build yet".into(),
    ))
}
