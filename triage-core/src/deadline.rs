//! Deadlines: the one place where "never hang" is enforced.
//!
//! A read that blocks inside the kernel (a D-state process's `cmdline`, `statvfs` on a
//! stale NFS mount) cannot be interrupted from user space. So each piece of work runs on its
//! own thread and the caller waits for it at most until its deadline; on timeout the thread
//! is abandoned (it is detached and finishes, or not, on its own) and the caller carries on.
//! [`InFlight`] remembers abandoned work so a refresh loop does not pile up a new stuck
//! thread every two seconds behind the same blocked mount.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// `start + d`, or about a century later when that does not fit in an [`Instant`]: a
/// limit nobody can wait for must not panic (`--timeout 18446744073709551615s`).
pub(crate) fn add_saturating(start: Instant, d: Duration) -> Instant {
    start
        .checked_add(d)
        .or_else(|| start.checked_add(Duration::from_secs(100 * 365 * 86400)))
        .unwrap_or(start)
}

/// Work running on its own thread with a deadline; see [`spawn`].
#[derive(Debug)]
pub struct Task<T> {
    name: String,
    rx: Receiver<std::result::Result<T, String>>,
    started: Instant,
    deadline: Instant,
    limit: Duration,
    done: Arc<AtomicBool>,
}

/// Run `f` on a new thread named `name`; its result must be claimed with [`Task::wait`]
/// before `limit` has passed since now.
pub fn spawn<T, F>(name: &str, limit: Duration, f: F) -> Task<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(1);
    let done = Arc::new(AtomicBool::new(false));
    let done_in_thread = Arc::clone(&done);
    let started = Instant::now();
    let body = move || {
        let result = std::panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
            payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string())
        });
        done_in_thread.store(true, Ordering::Release);
        // The receiver is gone when the caller gave up on us: nothing to do.
        let _ = tx.send(result);
    };
    let spawned = std::thread::Builder::new()
        .name(format!("triage-{name}"))
        .spawn(body);
    if let Err(e) = spawned {
        // Could not even start a thread (RLIMIT_NPROC on a sick box): report it as done
        // with an error so the caller gets a clear message instead of a timeout.
        done.store(true, Ordering::Release);
        let (tx, rx2) = mpsc::sync_channel(1);
        let _ = tx.send(Err(format!("could not start a thread: {e}")));
        return Task {
            name: name.to_string(),
            rx: rx2,
            started,
            deadline: add_saturating(started, limit),
            limit,
            done,
        };
    }
    Task {
        name: name.to_string(),
        rx,
        started,
        deadline: add_saturating(started, limit),
        limit,
        done,
    }
}

impl<T> Task<T> {
    /// Wait for the result until the deadline. Returns the value and how long the work
    /// took, or [`Error::Timeout`] (the thread is abandoned) or [`Error::Unavailable`] when
    /// the work panicked.
    pub fn wait(self) -> Result<(T, Duration)> {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(remaining) {
            Ok(Ok(value)) => Ok((value, self.started.elapsed())),
            Ok(Err(panic)) => Err(Error::Unavailable(format!(
                "{} failed unexpectedly: {panic}",
                self.name
            ))),
            Err(RecvTimeoutError::Timeout) => Err(Error::Timeout {
                what: self.name,
                after: self.limit,
            }),
            Err(RecvTimeoutError::Disconnected) => Err(Error::Unavailable(format!(
                "{} stopped without a result",
                self.name
            ))),
        }
    }

    /// A flag that turns true when the thread has finished, whether or not anyone waited.
    pub fn finished_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.done)
    }
}

/// Run `f` with a deadline and wait for it: [`spawn`] then [`Task::wait`].
pub fn run<T, F>(name: &str, limit: Duration, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    spawn(name, limit, f).wait().map(|(v, _)| v)
}

/// Work abandoned at its deadline and not finished yet, by name. Used by callers that
/// collect repeatedly (the TUI, the recorder) to skip work that is still stuck.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    stuck: HashMap<String, (Arc<AtomicBool>, Instant)>,
}

impl InFlight {
    /// When work named `name` was abandoned earlier and is still running, the instant it
    /// started; `None` when it is free to run again.
    pub fn still_stuck(&mut self, name: &str) -> Option<Instant> {
        match self.stuck.get(name) {
            Some((done, since)) if !done.load(Ordering::Acquire) => Some(*since),
            Some(_) => {
                self.stuck.remove(name);
                None
            }
            None => None,
        }
    }

    /// Remember that `name` was abandoned; `finished` turns true when its thread ends.
    pub fn abandoned(&mut self, name: &str, finished: Arc<AtomicBool>, since: Instant) {
        self.stuck.insert(name.to_string(), (finished, since));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_limit_does_not_overflow() {
        let t = spawn("huge", Duration::MAX, || 7);
        assert_eq!(t.wait().unwrap().0, 7);
        assert!(add_saturating(Instant::now(), Duration::MAX) > Instant::now());
    }

    #[test]
    fn fast_work_returns_its_value() {
        assert_eq!(run("t", Duration::from_secs(1), || 41 + 1).unwrap(), 42);
    }

    #[test]
    fn blocked_work_is_abandoned_at_the_deadline() {
        let started = Instant::now();
        let err = run("sleepy", Duration::from_millis(50), || {
            std::thread::sleep(Duration::from_secs(5))
        })
        .unwrap_err();
        // Well under the 5 s sleep (so it was not waited for), with room for a loaded
        // machine to start the thread late.
        assert!(started.elapsed() < Duration::from_secs(4));
        assert!(matches!(err, Error::Timeout { .. }), "{err}");
        assert!(err.to_string().contains("sleepy"));
    }

    #[test]
    fn a_panic_becomes_an_error() {
        // A panic returns at once; the limit only has to outlast a loaded machine starting
        // the thread and printing the panic (a timeout would fail the checks below).
        let err = run("boom", Duration::from_secs(60), || -> u32 {
            panic!("kaput")
        })
        .unwrap_err();
        assert!(matches!(err, Error::Unavailable(_)), "{err}");
        assert!(err.to_string().contains("kaput"), "{err}");
    }

    #[test]
    fn in_flight_remembers_until_finished() {
        let mut inflight = InFlight::default();
        let task = spawn("slow", Duration::from_millis(10), || {
            std::thread::sleep(Duration::from_secs(2))
        });
        let flag = task.finished_flag();
        assert!(task.wait().is_err());
        inflight.abandoned("slow", flag, Instant::now());
        assert!(inflight.still_stuck("slow").is_some());
        // Freed once the thread ends: polled, as a loaded machine wakes it late.
        let until = Instant::now() + Duration::from_secs(30);
        while inflight.still_stuck("slow").is_some() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(inflight.still_stuck("slow").is_none());
    }
}
