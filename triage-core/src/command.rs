//! The one way triage runs a subprocess ([`run_command`]): stdin from `/dev/null`, in its
//! own process group so the deadline kills the whole pipeline (`killpg(2)` SIGTERM, then
//! SIGKILL after a grace period), stdout and stderr drained on their own threads into
//! buffers that keep only the last `max_bytes` of each, and redacted unless the caller
//! parses the output itself ([`Cmd::raw`]: the snapshot redacts its sections afterwards).
//! Runbook steps, the TUI's Fix step, `systemctl`, `journalctl` and `sadf` all go through it.

mod stream;

pub use stream::{spawn_stream, Ended, Stopper, Streaming};

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::sys::wait::{waitid, Id, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

/// What to run.
#[derive(Debug, Clone)]
pub struct Cmd {
    program: String,
    args: Vec<std::ffi::OsString>,
    envs: Vec<(String, std::ffi::OsString)>,
    redact: bool,
    grace: Duration,
}

impl Cmd {
    /// `program` (looked up in `$PATH`) with no arguments yet.
    pub fn new(program: &str) -> Cmd {
        Cmd {
            program: program.to_string(),
            args: Vec::new(),
            envs: Vec::new(),
            redact: true,
            grace: Duration::from_millis(500),
        }
    }

    /// `sh -c script`.
    pub fn shell(script: &str) -> Cmd {
        Cmd::new("sh").arg("-c").arg(script)
    }

    /// Add an argument.
    pub fn arg(mut self, arg: impl Into<std::ffi::OsString>) -> Cmd {
        self.args.push(arg.into());
        self
    }

    /// Add arguments.
    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<std::ffi::OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Set an environment variable.
    pub fn env(mut self, key: &str, value: impl Into<std::ffi::OsString>) -> Cmd {
        self.envs.push((key.to_string(), value.into()));
        self
    }

    /// Mask secrets in the output (the default) or not.
    pub fn redact(mut self, on: bool) -> Cmd {
        self.redact = on;
        self
    }

    /// Keep the output as printed, for a parser (JSON lines, `sadf -j`).
    pub fn raw(self) -> Cmd {
        self.redact(false)
    }

    /// Time between SIGTERM and SIGKILL at the deadline.
    pub fn grace(mut self, grace: Duration) -> Cmd {
        self.grace = grace;
        self
    }

    /// `program arg…` for messages.
    pub fn describe(&self) -> String {
        let mut s = self.program.clone();
        for a in &self.args {
            s.push(' ');
            s.push_str(&a.to_string_lossy());
        }
        s
    }
}

/// One output stream: its last bytes and how many lines were dropped before them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stream {
    /// The kept text (lossy UTF-8, redacted unless [`Cmd::raw`]).
    pub text: String,
    /// Lines dropped from the start to stay within `max_bytes` (1 when less than a line).
    pub dropped_lines: usize,
}

/// What running a command gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    /// Standard output.
    pub stdout: Stream,
    /// Standard error.
    pub stderr: Stream,
    /// Exit code (`128 + signal` when killed by a signal); `None` when killed at the
    /// deadline.
    pub exit_code: Option<i32>,
    /// Killed at the deadline while still running.
    pub timed_out: bool,
    /// It exited, but processes it left in its group were killed at the deadline.
    pub left_running: bool,
    /// A process outside the group kept a pipe open: the output may be incomplete.
    pub incomplete: bool,
    /// `wait(2)` failed (the exit code is unknown).
    pub reap_error: Option<String>,
    /// Wall time.
    pub duration: Duration,
}

impl Output {
    /// True when it ran and exited 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }
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

    fn finish(mut self, redact: bool) -> Stream {
        self.shrink();
        let extra = usize::from(self.dropped_any && self.dropped_lines == 0);
        let text = String::from_utf8_lossy(&self.buf);
        Stream {
            text: if redact {
                crate::redact::redact(&text).into_owned()
            } else {
                text.into_owned()
            },
            dropped_lines: self.dropped_lines + extra,
        }
    }
}

fn drain<R: Read + Send + 'static>(mut r: R, cap: usize, redact: bool) -> Receiver<Stream> {
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
            let _ = tx.send(tail.finish(redact));
        });
    if spawned.is_err() {
        let (tx, rx2) = mpsc::sync_channel(1);
        let _ = tx.send(Stream {
            text: "[could not start an output reader thread]".to_string(),
            dropped_lines: 0,
        });
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

/// Start `cmd` with no stdin and piped stdout/stderr, as the leader of its own process
/// group, so that a deadline can kill it and every child it started with one `killpg`.
fn spawn_grouped(cmd: &Cmd) -> std::io::Result<std::process::Child> {
    let mut command = Command::new(&cmd.program);
    command
        .args(&cmd.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for (k, v) in &cmd.envs {
        command.env(k, v);
    }
    command.spawn()
}

/// Run `cmd`, killing its whole process group at `deadline` (from now); keep the last
/// `max_bytes` of stdout and of stderr. Fails only when it cannot be started (the
/// error's kind says `NotFound` for a missing program).
pub fn run_command(cmd: &Cmd, deadline: Duration, max_bytes: usize) -> std::io::Result<Output> {
    let started = Instant::now();
    let mut child = spawn_grouped(cmd)?;
    let pid = Pid::from_raw(child.id() as i32);
    let stdout = child.stdout.take().map(|o| drain(o, max_bytes, cmd.redact));
    let stderr = child.stderr.take().map(|e| drain(e, max_bytes, cmd.redact));
    let readers: Vec<Receiver<Stream>> = stdout.into_iter().chain(stderr).collect();
    let mut streams: Vec<Option<Stream>> = vec![None; readers.len()];
    let end = crate::deadline::add_saturating(started, deadline);
    let mut out = Output::default();
    let mut pause = Duration::from_millis(1);
    let mut leader_done = false;
    loop {
        for (slot, rx) in streams.iter_mut().zip(&readers) {
            if slot.is_none() {
                if let Ok(s) = rx.try_recv() {
                    *slot = Some(s);
                }
            }
        }
        leader_done = leader_done || exited(pid);
        if leader_done && streams.iter().all(Option::is_some) {
            break;
        }
        if Instant::now() >= end {
            // The group: the program and everything it started that did not leave it.
            let _ = killpg(pid, Signal::SIGTERM);
            let grace_end = Instant::now() + cmd.grace;
            while !exited(pid) && Instant::now() < grace_end {
                std::thread::sleep(Duration::from_millis(10));
            }
            // Still unreaped, so the group id is still ours.
            let _ = killpg(pid, Signal::SIGKILL);
            out.left_running = leader_done;
            out.timed_out = !leader_done;
            break;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
    match child.wait() {
        Ok(status) if !out.timed_out => {
            use std::os::unix::process::ExitStatusExt;
            out.exit_code = status.code().or(status.signal().map(|s| 128 + s));
        }
        Ok(_) => {}
        Err(e) => out.reap_error = Some(e.to_string()),
    }
    // Readers end once the killed group's pipes close; a process that escaped the group
    // (setsid) may hold them: give up on it after a moment.
    let give_up = Instant::now() + Duration::from_secs(1);
    for (slot, rx) in streams.iter_mut().zip(&readers) {
        if slot.is_none() {
            match rx.recv_timeout(give_up.saturating_duration_since(Instant::now())) {
                Ok(s) => *slot = Some(s),
                Err(_) => out.incomplete = true,
            }
        }
    }
    let mut streams = streams.into_iter();
    out.stdout = streams.next().flatten().unwrap_or_default();
    out.stderr = streams.next().flatten().unwrap_or_default();
    out.duration = started.elapsed();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_bounded_redacted_and_a_hang_is_killed_with_its_group() {
        let o = run_command(
            &Cmd::shell("seq 1 100000; echo password=hunter2 >&2"),
            Duration::from_secs(20),
            1000,
        )
        .unwrap();
        assert!(o.success());
        assert!(o.stdout.text.len() <= 1000, "{}", o.stdout.text.len());
        assert!(o.stdout.text.ends_with("100000\n"));
        assert!(o.stdout.dropped_lines > 99_000);
        assert!(!o.stderr.text.contains("hunter2"), "{}", o.stderr.text);
        let raw = run_command(
            &Cmd::shell("echo password=hunter2").raw(),
            Duration::from_secs(20),
            100,
        )
        .unwrap();
        assert!(raw.stdout.text.contains("hunter2"));

        let t = Instant::now();
        let o = run_command(
            &Cmd::shell("sleep 30 | cat"),
            Duration::from_millis(200),
            100,
        )
        .unwrap();
        assert!(o.timed_out && o.exit_code.is_none(), "{o:?}");
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        let e = run_command(
            &Cmd::new("/nonexistent/triage-x"),
            Duration::from_secs(1),
            10,
        );
        assert_eq!(e.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    }
}
