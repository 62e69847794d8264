//! Renderers: a snapshot as JSON or Markdown, written to any [`std::io::Write`].

pub mod cgroups;
pub mod json;
pub mod markdown;
pub mod textfile;

// The names renderers and the TUI used before the one formatting module.
pub use crate::fmt::{bytes as human_bytes, duration as human_duration, percent, split_duration};
