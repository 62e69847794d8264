//! `log_tail`: the last syslog/journal lines.
//!
//! Placeholder until the logs module lands: the section is registered so the snapshot
//! shape does not change when it does.

use super::Ctx;
use crate::error::{Error, Result};
use crate::snapshot::LogTailEntry;

/// Collect the last syslog/journal lines, most recent last.
pub fn collect(_ctx: &Ctx) -> Result<Vec<LogTailEntry>> {
    Err(Error::Unavailable(
        "the system log is not read by this build yet".into(),
    ))
}
