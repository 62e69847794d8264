//! Running runbook commands: with a timeout, output captured and trimmed.

use std::time::Duration;

/// What running a command gave.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandResult {
    /// The command as run.
    pub command: String,
    /// Exit code; `None` when killed at the timeout or not started.
    pub exit_code: Option<i32>,
    /// Wall time.
    pub duration: Duration,
    /// stdout then stderr, trimmed to a bounded size.
    pub output: String,
    /// True when it was killed at its timeout.
    pub timed_out: bool,
}
