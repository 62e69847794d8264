//! Collectors: each a function `fn(&Ctx) -> Result<Section>` that reads only through
//! [`Ctx::root`] and returns typed facts, never findings. [`crate::pipeline`] runs them
//! (each on its own thread under its own deadline) and hands the facts to
//! [`crate::findings`].

pub mod capture;
pub mod cgroups;
pub mod changes;
pub mod clock;
pub mod cmdline;
pub mod counters;
pub mod cpu;
pub mod filesystems;
pub mod host;
pub mod kernel_log;
pub mod kernel_state;
pub mod load;
pub mod log_tail;
pub mod memory;
pub mod network;
pub mod pressure;
pub mod proc_sample;
pub mod processes;
pub mod ps_output;
pub mod saved;
pub mod units;
pub mod users;

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::deadline::InFlight;
use crate::host_root::HostRoot;
use crate::snapshot::{now, Time, Warning};

pub use crate::pipeline::{snapshot, Collector, BASELINE_MAX_AGE};

/// How a snapshot is taken.
#[derive(Debug, Clone)]
pub struct Options {
    /// Interval between the two CPU/process samples.
    pub sample_interval: Duration,
    /// Deadline for each collector (on top of the sampling interval for the sampling ones).
    pub collector_timeout: Duration,
    /// Mask secrets (on by default; `--no-redact` turns it off).
    pub redact: bool,
    /// Extra log files to include in the log tail (from `--file` or the inventory).
    pub extra_logs: Vec<std::path::PathBuf>,
    /// The usual figures at this hour from recorded history (the TUI and `triage check`
    /// set it when history exists); the findings engine compares now against it.
    pub baseline: Option<crate::baseline::Baseline>,
    /// Where recorded history lives. When set (and `baseline` is not), the baseline is
    /// computed from it in parallel with the collectors, under the same deadline, and
    /// reused for [`BASELINE_MAX_AGE`] by a [`Collector`] that refreshes.
    pub history_dir: Option<std::path::PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sample_interval: Duration::from_millis(250),
            collector_timeout: Duration::from_secs(2),
            redact: true,
            extra_logs: Vec::new(),
            baseline: None,
            history_dir: None,
        }
    }
}

/// What a collector gets: where to read, the options, and a place for partial warnings.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Where to read from.
    pub root: HostRoot,
    /// The snapshot options.
    pub opts: Options,
    /// "Now" for this snapshot: when it started on a live host, the capture time of a
    /// saved tree (see [`capture`]); every relative window is anchored to it.
    pub now: Time,
    /// False when `now` is only the analyst's clock standing in for an unknown capture
    /// time (then "now − boot time" is no uptime).
    pub now_known: bool,
    /// When the snapshot started by the analyst's clock.
    pub analysed_at: Time,
    /// Where `now` came from, for `warnings[]` (saved trees only).
    pub(crate) capture_note: Option<String>,
    collector: &'static str,
    warnings: Arc<Mutex<Vec<Warning>>>,
    in_flight: Arc<Mutex<InFlight>>,
}

impl Ctx {
    /// A context for running one collector by itself (tests, the recorder, `triage logs`).
    pub fn new(root: HostRoot, opts: Options) -> Self {
        Self::sharing(root, opts, Arc::default())
    }

    /// A context whose stuck-work memory is `in_flight` (the pipeline's, kept across
    /// snapshots).
    pub(crate) fn sharing(root: HostRoot, opts: Options, in_flight: Arc<Mutex<InFlight>>) -> Self {
        let analysed_at = now();
        let anchor = capture::anchor(&root, analysed_at);
        Ctx {
            root,
            opts,
            now: anchor.now,
            now_known: anchor.known,
            analysed_at,
            capture_note: anchor.warning,
            collector: "",
            warnings: Arc::default(),
            in_flight,
        }
    }

    /// The same context, attributing warnings to `name`.
    pub fn for_collector(&self, name: &'static str) -> Ctx {
        Ctx {
            collector: name,
            ..self.clone()
        }
    }

    /// Record a partial failure: the section is still produced.
    pub fn warn(&self, message: impl Into<String>) {
        if let Ok(mut w) = self.warnings.lock() {
            w.push(Warning {
                collector: self.collector.to_string(),
                message: message.into(),
            });
        }
    }

    /// Warnings recorded so far (for callers that run one collector by itself).
    pub fn take_warnings(&self) -> Vec<Warning> {
        self.warnings
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default()
    }

    /// When work `key` was abandoned earlier and is still blocked, when it started.
    pub fn in_flight_stuck(&self, key: &str) -> Option<Instant> {
        self.in_flight.lock().ok()?.still_stuck(key)
    }

    /// Remember that work `key` was abandoned at its deadline.
    pub fn abandoned(&self, key: &str, finished: Arc<AtomicBool>) {
        if let Ok(mut f) = self.in_flight.lock() {
            f.abandoned(key, finished, Instant::now());
        }
    }
}
