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
use super::steps::logs_live::LIVE_CAP;

/// Batches (one per poll) waiting for the UI, which takes them all on each wake-up: more
/// than this means it has been stuck for over a second and a half.
const QUEUE: usize = 8;

/// Items kept per batch: the Logs step shows no more lines than this anyway.
const BATCH_CAP: usize = LIVE_CAP;

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
            match offer(tx, std::mem::take(&mut next), &mut lost) {
                Some(true) => wake(),
                Some(false) => {}
                None => return,
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

/// Hand `u` to the UI unless the queue is full, keeping only its last [`BATCH_CAP`]
/// items; what is lost is counted into the next update that gets through. `Some(true)`:
/// sent; `Some(false)`: dropped; `None`: the UI is gone.
fn offer(tx: &SyncSender<Update>, mut u: Update, lost: &mut usize) -> Option<bool> {
    let over = u.items.len().saturating_sub(BATCH_CAP);
    u.items.drain(..over);
    u.dropped = *lost + over;
    match tx.try_send(u) {
        Ok(()) => {
            *lost = 0;
            Some(true)
        }
        Err(TrySendError::Full(u)) => {
            *lost = u.dropped + u.items.len();
            Some(false)
        }
        Err(TrySendError::Disconnected(_)) => None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use triage_core::logs::LogEntry;

    fn update(n: usize) -> Update {
        Update {
            items: (0..n)
                .map(|i| Followed::Entry(LogEntry::new("f", &format!("r{i}"))))
                .collect(),
            ..Update::default()
        }
    }

    #[test]
    fn a_full_queue_drops_batches_and_the_next_one_says_how_many_records() {
        let (tx, rx) = mpsc::sync_channel(1);
        let mut lost = 0;
        assert_eq!(offer(&tx, update(2), &mut lost), Some(true));
        assert_eq!(offer(&tx, update(3), &mut lost), Some(false));
        assert_eq!(offer(&tx, update(4), &mut lost), Some(false));
        assert_eq!(lost, 7);
        assert_eq!(rx.try_recv().unwrap().items.len(), 2);
        assert_eq!(offer(&tx, update(1), &mut lost), Some(true));
        let next = rx.try_recv().unwrap();
        assert_eq!((next.items.len(), next.dropped, lost), (1, 7, 0));
        // A batch bigger than the step keeps: its oldest records are counted as lost.
        assert_eq!(offer(&tx, update(BATCH_CAP + 5), &mut lost), Some(true));
        let big = rx.try_recv().unwrap();
        assert_eq!((big.items.len(), big.dropped), (BATCH_CAP, 5));
        assert_eq!(big.items[0], Followed::Entry(LogEntry::new("f", "r5")));
        drop(rx);
        assert_eq!(offer(&tx, update(1), &mut lost), None);
    }
}
