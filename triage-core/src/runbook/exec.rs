//! Running runbook commands: `sh -c COMMAND` with stdin from `/dev/null`, in its own process
//! group so a timeout kills the whole pipeline (`killpg(2)` SIGTERM, then SIGKILL after a
//! grace period), stdout and stderr drained on their own threads into bounded buffers, the
//! output trimmed to its last lines and redacted; and recording the result in the incident
//! journal as a `command` event.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::sys::wait::{waitid, Id, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

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

/// Keeps the last `cap` bytes of a stream, counting the lines it dropped.
#[derive(Debug, Default)]
struct Tail {
    buf: Vec<u8>,
    cap: usize,
    dropped_lines: usize,
    dropped_any: bool,
}

impl Tail {
    fn push(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
        if self.buf.len() > self.cap.saturating_mul(2).max(8192) {
            self.shrink();
        }
    }

    fn shrink(&mut self) {
        if self.buf.len() <= self.cap {
            return;
        }
        let cut = self.buf.len() - self.cap;
        // Cut at the end of a line when there is one in the kept part, so no half line
        // is kept.
        let cut = match self.buf[cut..].iter().position(|b| *b == b'\n') {
            Some(p) => cut + p + 1,
            None => cut,
        };
        self.dropped_lines += self.buf[..cut].iter().filter(|b| **b == b'\n').count();
        self.dropped_any = true;
        self.buf.drain(..cut);
    }

    fn finish(mut self) -> (String, usize) {
        self.shrink();
        let extra = usize::from(self.dropped_any && self.dropped_lines == 0);
        (
            String::from_utf8_lossy(&self.buf).into_owned(),
            self.dropped_lines + extra,
        )
    }
}

fn drain<R: Read + Send + 'static>(mut r: R, cap: usize) -> Receiver<(String, usize)> {
    let (tx, rx) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("triage-cmd-output".into())
        .spawn(move || {
            let mut tail = Tail {
                cap,
                ..Tail::default()
            };
            let mut chunk = [0u8; 8192];
            loop {
                match r.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => tail.push(&chunk[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = tx.send(tail.finish());
        });
    if spawned.is_err() {
        let (tx, rx2) = mpsc::sync_channel(1);
        let _ = tx.send(("[could not start an output reader thread]".to_string(), 0));
        return rx2;
    }
    rx
}

/// True once the process `pid` has exited; leaves it unreaped (`WNOWAIT`) so its process
/// group id cannot be reused before we signal the group.
fn exited(pid: Pid) -> bool {
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    !matches!(waitid(Id::Pid(pid), flags), Ok(WaitStatus::StillAlive))
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
    let started = Instant::now();
    let mut result = CommandResult {
        command: command.to_string(),
        exit_code: None,
        duration: Duration::ZERO,
        output: String::new(),
        timed_out: false,
    };
    let mut child = match Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("PAGER", "cat")
        .env("SYSTEMD_PAGER", "cat")
        .env("TRIAGE", triage_exe())
        .process_group(0)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            result.output = format!("could not start sh: {e}");
            result.duration = started.elapsed();
            return result;
        }
    };
    let pid = Pid::from_raw(child.id() as i32);
    let mut readers: Vec<Receiver<(String, usize)>> = Vec::new();
    if let Some(out) = child.stdout.take() {
        readers.push(drain(out, opts.max_bytes));
    }
    if let Some(err) = child.stderr.take() {
        readers.push(drain(err, opts.max_bytes));
    }
    let mut outputs: Vec<Option<(String, usize)>> = vec![None; readers.len()];
    let deadline = crate::deadline::add_saturating(started, timeout);
    let mut pause = Duration::from_millis(1);
    let mut leader_done = false;
    let mut notes: Vec<String> = Vec::new();
    loop {
        for (slot, rx) in outputs.iter_mut().zip(&readers) {
            if slot.is_none() {
                if let Ok(o) = rx.try_recv() {
                    *slot = Some(o);
                }
            }
        }
        leader_done = leader_done || exited(pid);
        if leader_done && outputs.iter().all(Option::is_some) {
            break;
        }
        if Instant::now() >= deadline {
            // The group: the shell and everything it started that did not leave it.
            let _ = killpg(pid, Signal::SIGTERM);
            let grace_end = Instant::now() + opts.grace;
            while !exited(pid) && Instant::now() < grace_end {
                std::thread::sleep(Duration::from_millis(10));
            }
            // Still unreaped, so the group id is still ours.
            let _ = killpg(pid, Signal::SIGKILL);
            if leader_done {
                notes.push(format!(
                    "[processes it left running in the background were killed at the {} s \
                     timeout]",
                    timeout.as_secs_f64()
                ));
            } else {
                result.timed_out = true;
                notes.push(format!(
                    "[killed at the {} s timeout]",
                    timeout.as_secs_f64()
                ));
            }
            break;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
    match child.wait() {
        Ok(status) if !result.timed_out => {
            use std::os::unix::process::ExitStatusExt;
            result.exit_code = status.code().or(status.signal().map(|s| 128 + s));
        }
        Ok(_) => {}
        Err(e) => notes.push(format!("[could not reap the command: {e}]")),
    }
    // Readers end once the killed group's pipes close; a process that escaped the group
    // (setsid) may hold them: give up on it after a moment.
    let give_up = Instant::now() + Duration::from_secs(1);
    for (slot, rx) in outputs.iter_mut().zip(&readers) {
        if slot.is_none() {
            let left = give_up.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(o) => *slot = Some(o),
                Err(_) => notes
                    .push("[output incomplete: a process outside the group kept it open]".into()),
            }
        }
    }
    result.duration = started.elapsed();
    result.output = assemble(outputs.into_iter().flatten().collect(), &notes, opts);
    result
}

/// stdout then stderr, the notes, cut to the last `max_lines` lines and `max_bytes` bytes
/// with a `[… N lines cut]` marker, then redacted.
fn assemble(streams: Vec<(String, usize)>, notes: &[String], opts: &RunOptions) -> String {
    let mut cut = 0;
    let mut lines: Vec<&str> = Vec::new();
    for (text, dropped) in &streams {
        cut += dropped;
        lines.extend(text.lines());
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
    if opts.redact {
        crate::redact::redact(&out).into_owned()
    } else {
        out
    }
}

/// Append `result` to `incident`'s journal as a `command` event (`mode` is `check` or
/// `fix`), the command line redacted.
pub fn record(
    incident: &Incident,
    result: &CommandResult,
    mode: &str,
    runbook_id: &str,
) -> Result<()> {
    if mode != "check" && mode != "fix" {
        return Err(Error::Invalid(format!(
            "command mode {mode:?}: expected check or fix"
        )));
    }
    incident.append(EventBody::Command {
        command: crate::redact::redact(&result.command).into_owned(),
        exit_code: result.exit_code,
        duration_ms: u64::try_from(result.duration.as_millis()).unwrap_or(u64::MAX),
        output: result.output.clone(),
        mode: Some(mode.to_string()),
        runbook: (!runbook_id.is_empty()).then(|| runbook_id.to_string()),
    })?;
    Ok(())
}

#[cfg(test)]
#[path = "exec_tests.rs"]
mod tests;
