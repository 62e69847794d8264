//! Running runbook commands: `sh -c COMMAND` through [`run_command`] (own process group,
//! killed at the timeout, output bounded and redacted), the output trimmed to its last
//! lines; and recording the result in the incident journal as a `command` event.

use std::time::{Duration, Instant};

use crate::command::{run_command, Cmd, Stream};
use crate::error::{Error, Result};
use crate::incident::{EventBody, Incident};

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

impl CommandResult {
    /// True when it ran and exited 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }
}

/// How [`run_with`] bounds and cleans the output.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Keep at most this many of the last lines.
    pub max_lines: usize,
    /// Keep at most this many of the last bytes (of each stream, and of the whole).
    pub max_bytes: usize,
    /// Mask secrets with [`crate::redact::redact`].
    pub redact: bool,
    /// Between SIGTERM and SIGKILL at the timeout.
    pub grace: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            max_lines: 200,
            max_bytes: 64 * 1024,
            redact: true,
            grace: Duration::from_millis(500),
        }
    }
}

/// Run `command` with `sh -c`, killed (with its whole process group) after `timeout`;
/// output bounded to the last 200 lines / 64 KiB and redacted.
pub fn run(command: &str, timeout: Duration) -> CommandResult {
    run_with(command, timeout, &RunOptions::default())
}

/// `$TRIAGE` for commands: this program when it is `triage` (so a runbook can call
/// `"${TRIAGE:-triage}" runbook inventory` even when triage is not on `$PATH`), else
/// plain `triage`.
fn triage_exe() -> std::ffi::OsString {
    std::env::current_exe()
        .ok()
        .filter(|p| p.file_name().is_some_and(|n| n == "triage"))
        .map_or_else(|| "triage".into(), |p| p.into_os_string())
}

/// [`run`] with explicit output bounds.
pub fn run_with(command: &str, timeout: Duration, opts: &RunOptions) -> CommandResult {
    let cmd = Cmd::shell(command)
        .env("PAGER", "cat")
        .env("SYSTEMD_PAGER", "cat")
        .env("TRIAGE", triage_exe())
        .redact(opts.redact)
        .grace(opts.grace);
    let mut result = CommandResult {
        command: command.to_string(),
        exit_code: None,
        duration: Duration::ZERO,
        output: String::new(),
        timed_out: false,
    };
    let started = Instant::now();
    let o = match run_command(&cmd, timeout, opts.max_bytes) {
        Ok(o) => o,
        Err(e) => {
            result.output = format!("could not start sh: {e}");
            result.duration = started.elapsed();
            return result;
        }
    };
    let mut notes: Vec<String> = Vec::new();
    if o.left_running {
        notes.push(format!(
            "[processes it left running in the background were killed at the {} s timeout]",
            timeout.as_secs_f64()
        ));
    }
    if o.timed_out {
        notes.push(format!(
            "[killed at the {} s timeout]",
            timeout.as_secs_f64()
        ));
    }
    if let Some(e) = &o.reap_error {
        notes.push(format!("[could not reap the command: {e}]"));
    }
    if o.incomplete {
        notes.push("[output incomplete: a process outside the group kept it open]".into());
    }
    result.exit_code = o.exit_code;
    result.timed_out = o.timed_out;
    result.duration = o.duration;
    result.output = assemble(vec![o.stdout, o.stderr], &notes, opts);
    result
}

/// stdout then stderr (already redacted by [`run_command`]), the notes, cut to the last
/// `max_lines` lines and `max_bytes` bytes with a `[… N lines cut]` marker.
fn assemble(streams: Vec<Stream>, notes: &[String], opts: &RunOptions) -> String {
    let mut cut = 0;
    let mut lines: Vec<&str> = Vec::new();
    for s in &streams {
        cut += s.dropped_lines;
        lines.extend(s.text.lines());
    }
    let keep = opts.max_lines.saturating_sub(notes.len()).max(1);
    if lines.len() > keep {
        cut += lines.len() - keep;
        lines.drain(..lines.len() - keep);
    }
    let mut body = lines.join("\n");
    if body.len() > opts.max_bytes {
        let mut start = body.len() - opts.max_bytes;
        while !body.is_char_boundary(start) {
            start += 1;
        }
        let next_line = body[start..].find('\n').map_or(start, |p| start + p + 1);
        cut += body[..next_line].matches('\n').count() + 1;
        body.drain(..next_line);
    }
    let mut out = String::new();
    if cut > 0 {
        out.push_str(&format!("[… {cut} lines cut]\n"));
    }
    out.push_str(body.trim_end());
    for n in notes {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(n);
    }
    out
}

/// Append `result` to `incident`'s journal as a [`command_event`].
pub fn record(
    incident: &Incident,
    result: &CommandResult,
    mode: &str,
    runbook_id: &str,
) -> Result<()> {
    incident.append(command_event(result, mode, runbook_id)?)?;
    Ok(())
}

/// `result` as a `command` journal event (`mode` is `check` or `fix`; `runbook_id` empty
/// for none), the command line redacted, the output as [`run`] bounded it.
pub fn command_event(result: &CommandResult, mode: &str, runbook_id: &str) -> Result<EventBody> {
    if mode != "check" && mode != "fix" {
        return Err(Error::Invalid(format!(
            "command mode {mode:?}: expected check or fix"
        )));
    }
    Ok(EventBody::Command {
        command: crate::redact::redact(&result.command).into_owned(),
        exit_code: result.exit_code,
        duration_ms: u64::try_from(result.duration.as_millis()).unwrap_or(u64::MAX),
        output: result.output.clone(),
        mode: Some(mode.to_string()),
        runbook: (!runbook_id.is_empty()).then(|| runbook_id.to_string()),
    })
}

#[cfg(test)]
#[path = "exec_tests.rs"]
mod tests;
