//! One [`Event`] enum over one mpsc channel: the input thread, the collection thread and
//! background jobs (commands, reachability) all send into it; the UI loop only receives,
//! updates and draws (bottom's `src/event.rs` pattern). Nothing here touches the screen.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self as ct, KeyEvent, KeyEventKind};
use triage_core::collect::{Collector, Options};
use triage_core::runbook::exec::CommandResult;
use triage_core::runbook::inventory::Reach;
use triage_core::snapshot::{Snapshot, Time};
use triage_core::HostRoot;

/// Everything the UI loop reacts to.
#[derive(Debug)]
pub enum Event {
    /// A key was pressed (presses only; repeats and releases are dropped).
    Key(KeyEvent),
    /// The terminal was resized.
    Resize,
    Snapshot(Box<Snapshot>),
    /// Recorded history for the sparkline: time, load1, memory PSI.
    History(Vec<(Time, f64, Option<f64>)>),
    /// A clock tick (elapsed time, "refreshed N s ago").
    Tick,
    /// A command started by a step finished; `job` is the id the step gave it.
    CommandDone {
        /// The step's job id.
        job: u64,
        /// What happened.
        result: CommandResult,
    },
    /// Reachability results for the dependencies.
    Reach(Vec<Reach>),
    /// The slow, once-per-session sources: runbooks, inventory entry.
    Sources(Box<Sources>),
    /// The fleet directory read (`--fleet DIR` or the inventory's `fleet_dir`), or why not.
    Fleet(Box<Result<triage_core::fleet::Fleet, String>>),
    /// SIGTERM/SIGHUP (a dropped SSH session): save and quit.
    Terminate,
    /// The follow thread has updates waiting ([`Ctx::follow_updates`](super::ctx::Ctx)).
    Followed,
    /// One of them, handed to the steps.
    Follow(Box<super::follow::Update>),
}

/// How often the sparkline's history is read again.
const HISTORY_EVERY: Duration = Duration::from_secs(30);

/// How often the input thread looks at the terminate flag.
const INPUT_POLL: Duration = Duration::from_millis(200);

/// Read keys and resizes until the receiver is gone; turn a raised `terminate` flag into
/// [`Event::Terminate`].
pub fn spawn_input(tx: Sender<Event>, terminate: Arc<AtomicBool>) {
    std::thread::spawn(move || loop {
        if terminate.load(Ordering::Relaxed) {
            let _ = tx.send(Event::Terminate);
            return;
        }
        match ct::poll(INPUT_POLL) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(_) => {
                let _ = tx.send(Event::Terminate);
                return;
            }
        }
        let ev = match ct::read() {
            Ok(ct::Event::Key(k)) if k.kind == KeyEventKind::Press => Event::Key(k),
            Ok(ct::Event::Resize(..)) => Event::Resize,
            Ok(_) => continue,
            Err(_) => Event::Terminate,
        };
        let stop = matches!(ev, Event::Terminate);
        if tx.send(ev).is_err() || stop {
            return;
        }
    });
}

/// Collect a snapshot every `interval` (or at once when `refresh` receives), with ONE
/// [`Collector`] kept alive so a collector stuck on a dead mount is skipped, not
/// restarted (`opts` already carries the inventory's log files, see
/// `commands::snapshot::options`). Also sends the history for the sparkline after each
/// snapshot.
pub fn spawn_collector(
    root: HostRoot,
    opts: Options,
    tx: Sender<Event>,
    refresh: Receiver<()>,
    interval: Duration,
) {
    std::thread::spawn(move || collect_loop(Collector::new(root, opts), tx, refresh, interval));
}

fn collect_loop(
    collector: Collector,
    tx: Sender<Event>,
    refresh: Receiver<()>,
    interval: Duration,
) {
    let mut history_at: Option<Instant> = None;
    loop {
        let snap = collector.collect();
        let since = snap.collected_at - chrono::Duration::hours(1);
        if tx.send(Event::Snapshot(Box::new(snap))).is_err() {
            return;
        }
        // History moves at the recorder's pace (10 s): no need to read it every refresh.
        if history_at.is_none_or(|t| t.elapsed() >= HISTORY_EVERY) {
            history_at = Some(Instant::now());
            let _ = tx.send(Event::History(crate::sources::history_samples(since)));
        }
        match refresh.recv_timeout(interval) {
            Ok(()) => while refresh.try_recv().is_ok() {},
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// What [`spawn_sources`] loads.
#[derive(Debug, Default)]
pub struct Sources {
    /// The runbook library.
    pub runbooks: triage_core::runbook::Library,
    /// This host in the inventory.
    pub inventory: Option<triage_core::runbook::inventory::HostEntry>,
}

/// Load runbooks and the inventory entry of `hostname` off the UI thread
/// (they read files that may be slow on a sick box); they arrive as [`Event::Sources`].
pub fn spawn_sources(tx: &Sender<Event>, hostname: String) {
    let tx = tx.clone();
    std::thread::spawn(move || {
        let s = Sources {
            runbooks: crate::sources::runbooks(),
            inventory: crate::sources::inventory_entry(&hostname),
        };
        let _ = tx.send(Event::Sources(Box::new(s)));
    });
}

/// Run `cmd` off the UI thread; its result comes back as [`Event::CommandDone`].
pub fn spawn_command(tx: &Sender<Event>, job: u64, cmd: String, timeout: Duration) {
    let tx = tx.clone();
    std::thread::spawn(move || {
        let result = crate::sources::run_command(&cmd, timeout);
        let _ = tx.send(Event::CommandDone { job, result });
    });
}

/// Read the fleet directory `dir` off the UI thread (5,000 files take about a second of
/// CPU); the result comes back as [`Event::Fleet`].
pub fn spawn_fleet(tx: &Sender<Event>, dir: std::path::PathBuf) {
    let tx = tx.clone();
    std::thread::spawn(move || {
        let _ = tx.send(Event::Fleet(Box::new(crate::sources::fleet(&dir))));
    });
}

/// Test reachability of `targets` off the UI thread; results come back as
/// [`Event::Reach`].
pub fn spawn_reach(tx: &Sender<Event>, targets: Vec<String>, timeout: Duration) {
    let tx = tx.clone();
    std::thread::spawn(move || {
        let _ = tx.send(Event::Reach(crate::sources::reachability(
            &targets, timeout,
        )));
    });
}
