//! `triage-core`: incident triage for Linux servers.
//!
//! Data flows [`HostRoot`] → collectors ([`collect`]) → [`Snapshot`] → findings
//! ([`findings`]) → renderers ([`render`]). Nothing in this crate prints; renderers write
//! to any [`std::io::Write`].
#![warn(missing_docs)]

pub mod baseline;
pub mod collect;
pub mod command;
pub mod contain;
pub mod deadline;
pub mod diff;
pub mod error;
pub mod facts;
pub mod findings;
pub mod fleet;
pub mod fmt;
pub mod fsutil;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod history;
pub mod host_root;
pub mod incident;
pub mod logs;
pub mod pipeline;
pub mod postmortem;
pub mod redact;
pub mod render;
pub mod runbook;
pub mod sanitize;
pub mod snapshot;
pub mod state;
pub mod timespec;

#[cfg(test)]
mod garbage;

pub use error::{Error, Result};
pub use host_root::HostRoot;
pub use snapshot::Snapshot;
