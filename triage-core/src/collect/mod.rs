//! Collectors and the snapshot orchestrator.
//!
//! Each collector is a function `fn(&Ctx) -> Result<Section>` that reads only through
//! [`Ctx::root`]. [`Collector::collect`] runs them all at once, each on its own thread
//! under its own deadline (see [`crate::deadline`]): a collector that fails or hangs costs
//! its section (`null` plus a `warnings[]` entry), never the snapshot. The CPU and process
//! collectors sample twice, one sampling interval apart, while the others run.

pub mod capture;
pub mod changes;
pub mod clock;
pub mod cmdline;
pub mod cpu;
pub mod filesystems;
pub mod host;
pub mod kernel_log;
pub mod load;
pub mod log_tail;
pub mod memory;
pub mod network;
pub mod pressure;
pub mod processes;
pub mod ps_output;
pub mod saved;
pub mod users;

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::deadline::{self, InFlight, Task};
use crate::error::{Error, Result};
use crate::host_root::HostRoot;
use crate::snapshot::{collector, now, Finding, Snapshot, Time, Warning};

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

/// How long a computed baseline is reused before it is computed again.
pub const BASELINE_MAX_AGE: Duration = Duration::from_secs(600);

type BaselineCache = Arc<Mutex<Option<(Instant, Option<crate::baseline::Baseline>)>>>;

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
    collector: &'static str,
    warnings: Arc<Mutex<Vec<Warning>>>,
    findings: Arc<Mutex<Vec<Finding>>>,
    in_flight: Arc<Mutex<InFlight>>,
}

impl Ctx {
    /// A context for running one collector by itself (tests, the recorder, `triage logs`).
    pub fn new(root: HostRoot, opts: Options) -> Self {
        let anchor = capture::anchor(&root, now());
        Ctx {
            root,
            opts,
            now: anchor.now,
            now_known: anchor.known,
            collector: "",
            warnings: Arc::default(),
            findings: Arc::default(),
            in_flight: Arc::default(),
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

    /// Report a finding a collector saw in its own data (a kernel OOM record, a listen
    /// queue at its backlog). Merged with the findings engine's, worst first.
    pub fn add_finding(&self, finding: Finding) {
        if let Ok(mut f) = self.findings.lock() {
            f.push(finding);
        }
    }

    /// Findings reported so far by collectors.
    pub fn take_findings(&self) -> Vec<Finding> {
        self.findings
            .lock()
            .map(|mut f| std::mem::take(&mut *f))
            .unwrap_or_default()
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

/// Takes snapshots of one root, again and again (the TUI refreshes every few seconds).
/// Remembers collectors that are stuck so a blocked mount does not pile up threads.
#[derive(Debug, Clone)]
pub struct Collector {
    root: HostRoot,
    opts: Options,
    in_flight: Arc<Mutex<InFlight>>,
    baseline: BaselineCache,
}

enum BaselineJob {
    Ready(Box<Option<crate::baseline::Baseline>>),
    Running(Task<Result<Option<crate::baseline::Baseline>>>),
}

enum Launched<T> {
    Running(Task<Result<T>>, Arc<AtomicBool>, Duration),
    Skipped(String),
}

impl Collector {
    /// A collector for `root` with `opts`.
    pub fn new(root: HostRoot, opts: Options) -> Self {
        Collector {
            root,
            opts,
            in_flight: Arc::default(),
            baseline: Arc::default(),
        }
    }

    /// The options in use.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// The root in use.
    pub fn root(&self) -> &HostRoot {
        &self.root
    }

    fn launch<T, F>(&self, ctx: &Ctx, name: &'static str, limit: Duration, f: F) -> Launched<T>
    where
        T: Send + 'static,
        F: FnOnce(&Ctx) -> Result<T> + Send + 'static,
    {
        if let Some(since) = self
            .in_flight
            .lock()
            .ok()
            .and_then(|mut f| f.still_stuck(name))
        {
            return Launched::Skipped(format!(
                "still blocked from a run {} s ago; not started again until it returns",
                since.elapsed().as_secs()
            ));
        }
        let ctx = ctx.for_collector(name);
        let task = deadline::spawn(name, limit, move || f(&ctx));
        let flag = task.finished_flag();
        Launched::Running(task, flag, limit)
    }

    fn finish<T>(
        &self,
        snap: &mut Snapshot,
        name: &'static str,
        launched: Launched<T>,
    ) -> Option<T> {
        match launched {
            Launched::Skipped(why) => {
                snap.warn(name, why);
                None
            }
            Launched::Running(task, flag, limit) => match task.wait() {
                Ok((Ok(value), took)) => {
                    snap.timings_ms
                        .insert(name.to_string(), took.as_millis() as u64);
                    Some(value)
                }
                Ok((Err(e), took)) => {
                    snap.timings_ms
                        .insert(name.to_string(), took.as_millis() as u64);
                    snap.warn(name, hint(&e));
                    None
                }
                Err(e) => {
                    snap.timings_ms
                        .insert(name.to_string(), limit.as_millis() as u64);
                    if matches!(e, Error::Timeout { .. }) {
                        if let Ok(mut f) = self.in_flight.lock() {
                            f.abandoned(name, flag, Instant::now());
                        }
                    }
                    snap.warn(name, e.to_string());
                    None
                }
            },
        }
    }

    /// Start computing the baseline from recorded history, unless one was given, there is
    /// no history, or a recent one is cached.
    fn launch_baseline(&self, limit: Duration) -> BaselineJob {
        if let Some(b) = &self.opts.baseline {
            return BaselineJob::Ready(Box::new(Some(b.clone())));
        }
        let Some(dir) = self.opts.history_dir.clone() else {
            return BaselineJob::Ready(Box::new(None));
        };
        if let Some((at, cached)) = self.baseline.lock().ok().and_then(|c| c.clone()) {
            if at.elapsed() < BASELINE_MAX_AGE {
                return BaselineJob::Ready(Box::new(cached));
            }
        }
        if !crate::history::has_store(&dir) {
            return BaselineJob::Ready(Box::new(None));
        }
        if self
            .in_flight
            .lock()
            .ok()
            .and_then(|mut f| f.still_stuck("baseline"))
            .is_some()
        {
            return BaselineJob::Ready(Box::new(None));
        }
        let at = now();
        BaselineJob::Running(deadline::spawn("baseline", limit, move || {
            crate::history::baseline_for(&dir, at)
        }))
    }

    fn finish_baseline(
        &self,
        snap: &mut Snapshot,
        job: BaselineJob,
    ) -> Option<crate::baseline::Baseline> {
        let task = match job {
            BaselineJob::Ready(b) => return *b,
            BaselineJob::Running(task) => task,
        };
        let flag = task.finished_flag();
        let result = match task.wait() {
            Ok((Ok(b), _)) => b,
            Ok((Err(e), _)) => {
                snap.warn(
                    collector::FINDINGS,
                    format!("no baseline from history: {e}"),
                );
                None
            }
            Err(e) => {
                if let Ok(mut f) = self.in_flight.lock() {
                    f.abandoned("baseline", flag, Instant::now());
                }
                snap.warn(
                    collector::FINDINGS,
                    format!("no baseline from history: {e}"),
                );
                None
            }
        };
        if let Ok(mut c) = self.baseline.lock() {
            *c = Some((Instant::now(), result.clone()));
        }
        result
    }

    /// Take one snapshot. Never fails and never blocks past the sampling interval plus
    /// the collector deadline (plus a few milliseconds).
    pub fn collect(&self) -> Snapshot {
        let started = Instant::now();
        let analysed_at = now();
        let anchor = capture::anchor(&self.root, analysed_at);
        let ctx = Ctx {
            root: self.root.clone(),
            opts: self.opts.clone(),
            now: anchor.now,
            now_known: anchor.known,
            collector: "",
            warnings: Arc::default(),
            findings: Arc::default(),
            in_flight: Arc::clone(&self.in_flight),
        };
        let t = self.opts.collector_timeout;
        let sampled = self.opts.sample_interval + t;
        // Start everything, slowest first.
        let processes = self.launch(&ctx, collector::PROCESSES, sampled, processes::collect);
        let cpu = self.launch(&ctx, collector::CPU, sampled, cpu::collect);
        let network = self.launch(&ctx, collector::NETWORK, t, network::collect);
        let kernel_log = self.launch(&ctx, collector::KERNEL_LOG, t, kernel_log::collect);
        let log_tail = self.launch(&ctx, collector::LOG_TAIL, t, log_tail::collect);
        let changes = self.launch(&ctx, collector::RECENT_CHANGES, t, changes::collect);
        let filesystems = self.launch(&ctx, collector::FILESYSTEMS, t, filesystems::collect);
        let host = self.launch(&ctx, collector::HOST, t, host::collect);
        let load = self.launch(&ctx, collector::LOAD, t, load::collect);
        let memory = self.launch(&ctx, collector::MEMORY, t, memory::collect);
        let pressure = self.launch(&ctx, collector::PRESSURE, t, pressure::collect);
        let users = self.launch(&ctx, collector::USERS, t, users::collect);
        let baseline = self.launch_baseline(t);

        let mut snap = Snapshot::empty(ctx.now);
        if ctx.now != analysed_at {
            snap.analysed_at = Some(analysed_at);
        }
        if let Some(w) = anchor.warning {
            snap.warn(collector::CAPTURE, w);
        }
        snap.host = self.finish(&mut snap, collector::HOST, host);
        snap.load = self.finish(&mut snap, collector::LOAD, load);
        snap.memory = self.finish(&mut snap, collector::MEMORY, memory);
        snap.pressure = self.finish(&mut snap, collector::PRESSURE, pressure);
        snap.filesystems = self.finish(&mut snap, collector::FILESYSTEMS, filesystems);
        snap.users = self.finish(&mut snap, collector::USERS, users);
        if let Some(net) = self.finish(&mut snap, collector::NETWORK, network) {
            snap.listeners = Some(net.listeners);
            snap.connections = Some(net.connections);
        }
        snap.kernel_log = self.finish(&mut snap, collector::KERNEL_LOG, kernel_log);
        snap.log_tail = self.finish(&mut snap, collector::LOG_TAIL, log_tail);
        snap.recent_changes = self.finish(&mut snap, collector::RECENT_CHANGES, changes);
        snap.cpu = self.finish(&mut snap, collector::CPU, cpu);
        if let Some(table) = self.finish(&mut snap, collector::PROCESSES, processes) {
            snap.processes = Some(table.processes);
            snap.process_summary = Some(table.summary);
        }
        snap.warnings.extend(ctx.take_warnings());

        let t_findings = Instant::now();
        changes::add_process_starts(&mut snap);
        let mut from_collectors = ctx.take_findings();
        if self.root.is_live() {
            from_collectors.extend(clock::probe());
        }
        let baseline = self.finish_baseline(&mut snap, baseline);
        let context = crate::findings::Context::for_snapshot(&snap).with_baseline(baseline);
        snap.findings = crate::findings::evaluate(&snap, &context, from_collectors);
        snap.timings_ms.insert(
            collector::FINDINGS.to_string(),
            t_findings.elapsed().as_millis() as u64,
        );

        // Stable order: by collector, in snapshot order.
        let rank = |c: &str| {
            collector::ALL
                .iter()
                .position(|n| *n == c)
                .unwrap_or(usize::MAX)
        };
        snap.warnings.sort_by_key(|w| rank(&w.collector));
        if self.opts.redact {
            snap.redact();
        }
        snap.duration_ms = started.elapsed().as_millis() as u64;
        snap
    }
}

/// Take one snapshot of `root`.
pub fn snapshot(root: &HostRoot, opts: &Options) -> Snapshot {
    Collector::new(root.clone(), opts.clone()).collect()
}

/// An error as a warning a user can act on.
fn hint(e: &Error) -> String {
    if e.is_permission_denied() {
        format!("{e} (run as root to see this)")
    } else {
        e.to_string()
    }
}
