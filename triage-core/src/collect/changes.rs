//! `recent_changes`: what changed on the host recently.
//!
//! Placeholder until the changes collector lands: the section is registered so the
//! snapshot shape does not change when it does.

use super::Ctx;
use crate::error::{Error, Result};
use crate::snapshot::Change;

/// Collect recent changes, newest first.
pub fn collect(_ctx: &Ctx) -> Result<Vec<Change>> {
    Err(Error::Unavailable(
        "recent changes are not collected by this build yet".into(),
    ))
}
