//! The Logs step's follow mode: the stream `triage logs --follow` prints
//! ([`triage_core::logs::follow::Follow`]) run on its own thread, never on the UI thread.
//! Each poll's worth goes through a bounded queue; when the UI falls behind, batches are
//! dropped and counted (the next one says how many records were lost) instead of piling
//! up. The thread wakes the UI loop with one [`Event::Followed`] at a time (not one per
//! batch), and ends when follow mode is turned off or the TUI exits, dropping the stream,
//! which kills `journalctl`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use triage_core::logs::follow::{Follow, Followed, POLL};
use triage_core::logs::Query;
use triage_core::HostRoot;

use super::ctx::Ctx;
use super::event::Event;

/// Batches (one per poll) waiting for the UI: a minute at the 200 ms poll.
const QUEUE: usize = 300;

/// What follow mode reads: what `triage logs --follow` reads with the same `--root`
/// (the host's syslog files, kernel ring buffer and journal; under `--root`, the tree's
/// syslog files only) or the files given.
#[derive(Debug, Clone)]
pub struct Source {
    pub root: HostRoot,
    pub files: Vec<PathBuf>,
    pub redact: bool,
}

/// One poll's worth, for the Logs step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    /// What is followed (the first update only).
    pub sources: Option<Vec<String>>,
    /// Records and the findings they fired, in order.
    pub items: Vec<Followed>,
    /// Rotation, truncation, refused links, dropped journal lines.
    pub notes: Vec<String>,
    /// Records lost because the UI did not take the batches before this one.
    pub dropped: usize,
}

/// The running follow thread.
#[derive(Debug)]
pub struct Following {
    rx: Receiver<Update>,
    /// Dropping it (or sending) stops the thread at once.
    stop: Option<Sender<()>>,
    /// Set once the thread has dropped its stream (journalctl is reaped).
    done: Receiver<()>,
    /// A wake-up is on its way to the UI loop.
    pending: Arc<AtomicBool>,
}

impl Following {
    /// Start following `source`; updates wake the UI through `wake`.
    pub fn spawn(source: Source, wake: Sender<Event>) -> Following {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let (stop, stopped) = mpsc::channel();
        let (done_tx, done) = mpsc::channel();
        let pending = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&pending);
        std::thread::spawn(move || {
            run(&source, &tx, &stopped, &|| {
                if !flag.swap(true, Ordering::AcqRel) {
                    let _ = wake.send(Event::Followed);
                }
            });
            let _ = done_tx.send(());
        });
        Following {
            rx,
            stop: Some(stop),
            done,
            pending,
        }
    }

    /// The updates waiting, oldest first (the wake-up flag is cleared first, so an update
    /// sent meanwhile wakes the loop again).
    pub fn take(&self) -> Vec<Update> {
        self.pending.store(false, Ordering::Release);
        self.rx.try_iter().collect()
    }

    /// Stop the thread and wait up to `wait` for it to have stopped `journalctl`.
    pub fn finish(mut self, wait: Duration) {
        self.stop.take();
        let _ = self.done.recv_timeout(wait);
    }
}

/// The thread: open the stream, then poll it until told to stop.
fn run(source: &Source, tx: &SyncSender<Update>, stopped: &Receiver<()>, wake: &dyn Fn()) {
    let q = Query {
        files: source.files.clone(),
        ..Query::default()
    };
    let mut follow = Follow::open(&source.root, &q, source.redact);
    let mut next = Update {
        sources: Some(follow.sources()),
        ..Update::default()
    };
    let mut lost = 0;
    loop {
        if !next.items.is_empty() || !next.notes.is_empty() || next.sources.is_some() {
            next.dropped = lost;
            match tx.try_send(std::mem::take(&mut next)) {
                Ok(()) => {
                    lost = 0;
                    wake();
                }
                Err(TrySendError::Full(u)) => {
                    lost += u.dropped + u.items.len();
                }
                Err(TrySendError::Disconnected(_)) => return,
            }
        }
        match stopped.recv_timeout(POLL) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return,
        }
        let polled = follow.poll();
        next.items = polled.items;
        next.notes = polled.notes;
    }
}

impl Ctx {
    /// Turn follow mode's thread on; `Err` says why it cannot run here.
    pub fn start_follow(&mut self) -> Result<(), String> {
        let (Some(source), Some(wake)) = (self.follow_source.clone(), self.jobs.clone()) else {
            return Err("follow needs a live session".into());
        };
        if self.following.is_none() {
            self.following = Some(Following::spawn(source, wake));
        }
        Ok(())
    }

    /// Turn it off without waiting: the thread ends within one poll, off the UI thread.
    pub fn stop_follow(&mut self) {
        self.following = None;
    }

    /// The updates waiting for the Logs step.
    pub fn follow_updates(&self) -> Vec<Update> {
        self.following
            .as_ref()
            .map(Following::take)
            .unwrap_or_default()
    }
}
