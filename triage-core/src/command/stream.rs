//! [`spawn_stream`]: [`run_command`](super::run_command)'s rules (stdin from `/dev/null`,
//! own process group, SIGTERM then SIGKILL to the group at the deadline, stderr kept to
//! its last bytes) with stdout read as it is written instead of collected, so a reader
//! (`journalctl -o json` over a big journal) holds one buffer, not the whole output.

use std::io::Read;
use std::process::{Child, ChildStdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use super::{drain, exited, spawn_grouped, Cmd, Stream};

/// A running command whose stdout is read through [`Read`]; reading ends (`Ok(0)`) when
/// it exits or when the deadline kills its group.
pub struct Streaming {
    child: Child,
    stdout: ChildStdout,
    stderr: Option<Receiver<Stream>>,
    /// Set when we are done with it (end of output or drop): the watchdog stops.
    done: Arc<AtomicBool>,
    timed_out: Arc<AtomicBool>,
    /// Raised by a [`Stopper`]: the watchdog kills the group now.
    kill: Arc<AtomicBool>,
    watchdog: Option<JoinHandle<()>>,
}

/// Kills a [`Streaming`] command's process group from another thread, while a reader is
/// blocked reading it (`journalctl -f` never ends by itself). The watchdog does the kill,
/// before the child is reaped, so the group id signalled is still the command's.
#[derive(Debug, Clone)]
pub struct Stopper(Arc<AtomicBool>);

impl Stopper {
    /// Kill the group (SIGTERM, then SIGKILL after the grace period); its reader sees the
    /// end of the output.
    pub fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// How a streamed command ended.
#[derive(Debug, Default)]
pub struct Ended {
    /// Exit code (`128 + signal`); `None` when killed at the deadline or not reaped.
    pub exit_code: Option<i32>,
    /// Killed at the deadline.
    pub timed_out: bool,
    /// The last bytes of its stderr.
    pub stderr: String,
}

/// Start `cmd`; its group is killed `deadline` from now if still running. `Err` only when
/// it cannot start (`NotFound`: no such program).
pub fn spawn_stream(
    cmd: &Cmd,
    deadline: Duration,
    stderr_bytes: usize,
) -> std::io::Result<Streaming> {
    let mut child = spawn_grouped(cmd)?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| std::io::Error::other("no stdout pipe"))?;
    let stderr = child
        .stderr
        .take()
        .map(|e| drain(e, stderr_bytes, cmd.redact));
    let pid = Pid::from_raw(child.id() as i32);
    let done = Arc::new(AtomicBool::new(false));
    let timed_out = Arc::new(AtomicBool::new(false));
    let kill = Arc::new(AtomicBool::new(false));
    let end = crate::deadline::add_saturating(Instant::now(), deadline);
    let grace = cmd.grace;
    let (d, t, k) = (Arc::clone(&done), Arc::clone(&timed_out), Arc::clone(&kill));
    // The child is reaped only after this thread is joined, so the group id it signals
    // is still ours.
    let watchdog = std::thread::spawn(move || {
        while !d.load(Ordering::Relaxed) {
            let asked = k.load(Ordering::Relaxed);
            if asked || Instant::now() >= end {
                if !asked && !exited(pid) {
                    t.store(true, Ordering::Relaxed);
                }
                kill_group(pid, grace);
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    Ok(Streaming {
        child,
        stdout,
        stderr,
        done,
        timed_out,
        kill,
        watchdog: Some(watchdog),
    })
}

/// SIGTERM to the group, SIGKILL after `grace` if the leader is still there.
fn kill_group(pid: Pid, grace: Duration) {
    let _ = killpg(pid, Signal::SIGTERM);
    let grace_end = Instant::now() + grace;
    while !exited(pid) && Instant::now() < grace_end {
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = killpg(pid, Signal::SIGKILL);
}

impl Read for Streaming {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.stdout.read(buf)
    }
}

impl Streaming {
    /// A handle that kills the command from another thread.
    pub fn stopper(&self) -> Stopper {
        Stopper(Arc::clone(&self.kill))
    }

    /// Stop it (its group is killed if still running), reap it, say how it ended.
    pub fn finish(mut self) -> Ended {
        self.stop()
    }

    fn stop(&mut self) -> Ended {
        let pid = Pid::from_raw(self.child.id() as i32);
        let still_running = !exited(pid);
        self.done.store(true, Ordering::Relaxed);
        if let Some(w) = self.watchdog.take() {
            let _ = w.join();
        }
        if still_running && !self.timed_out.load(Ordering::Relaxed) {
            // We stopped reading early: it is not needed any more.
            kill_group(pid, Duration::from_millis(200));
        }
        let mut ended = Ended {
            timed_out: self.timed_out.load(Ordering::Relaxed),
            ..Ended::default()
        };
        if let Ok(status) = self.child.wait() {
            use std::os::unix::process::ExitStatusExt;
            if !ended.timed_out && !still_running {
                ended.exit_code = status.code().or(status.signal().map(|s| 128 + s));
            }
        }
        if let Some(rx) = self.stderr.take() {
            if let Ok(s) = rx.recv_timeout(Duration::from_secs(1)) {
                ended.stderr = s.text;
            }
        }
        ended
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        if self.watchdog.is_some() {
            self.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_streams_and_the_deadline_kills_the_group() {
        let mut s =
            spawn_stream(&Cmd::shell("seq 1 200000"), Duration::from_secs(20), 100).unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        assert_eq!(text.lines().count(), 200_000);
        let e = s.finish();
        assert_eq!((e.exit_code, e.timed_out), (Some(0), false));

        let started = Instant::now();
        let mut s = spawn_stream(
            &Cmd::shell("echo first; sleep 30 | cat; echo never"),
            Duration::from_millis(300),
            100,
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        assert_eq!(text, "first\n");
        assert!(started.elapsed() < Duration::from_secs(10));
        let e = s.finish();
        assert!(e.timed_out && e.exit_code.is_none(), "{e:?}");

        let err = spawn_stream(
            &Cmd::new("triage-no-such-program"),
            Duration::from_secs(1),
            10,
        );
        assert_eq!(
            err.err().map(|e| e.kind()),
            Some(std::io::ErrorKind::NotFound)
        );
    }
}
