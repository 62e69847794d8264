//! The snapshot pipeline: run every collector at once, each on its own thread under its
//! own deadline (see [`crate::deadline`]), gather their sections and facts into a
//! [`Snapshot`], then let [`crate::findings`] decide, then redact. A collector that fails
//! or hangs costs its section (`null` plus a `warnings[]` entry), never the snapshot. The
//! CPU and process collectors sample twice, one sampling interval apart, while the others
//! run; the baseline from recorded history is computed alongside.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::baseline::Baseline;
use crate::collect::{
    cgroups, changes, clock, cpu, filesystems, host, kernel_log, kernel_state, load, log_tail,
    memory, network, pressure, processes, units, users, Ctx, Options,
};
use crate::deadline::{self, InFlight, Task};
use crate::error::{Error, Result};
use crate::host_root::HostRoot;
use crate::snapshot::{collector, now, Snapshot};

/// How long a computed baseline is reused before it is computed again.
pub const BASELINE_MAX_AGE: Duration = Duration::from_secs(600);

type BaselineCache = Arc<Mutex<Option<(Instant, Option<Baseline>)>>>;

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
    Ready(Box<Option<Baseline>>),
    Running(Task<Result<Option<Baseline>>>),
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

    fn finish_baseline(&self, snap: &mut Snapshot, job: BaselineJob) -> Option<Baseline> {
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
        let ctx = Ctx::sharing(
            self.root.clone(),
            self.opts.clone(),
            Arc::clone(&self.in_flight),
        );
        let t = self.opts.collector_timeout;
        let sampled = self.opts.sample_interval + t;
        // Start everything, slowest first.
        let processes = self.launch(&ctx, collector::PROCESSES, sampled, processes::collect);
        let cpu = self.launch(&ctx, collector::CPU, sampled, cpu::collect);
        let cgroups = self.launch(&ctx, collector::CGROUPS, sampled, cgroups::collect);
        let network = self.launch(&ctx, collector::NETWORK, t, network::collect);
        let kernel_log = self.launch(&ctx, collector::KERNEL_LOG, t, kernel_log::collect);
        let kernel_state = self.launch(&ctx, collector::KERNEL_STATE, t, kernel_state::collect);
        let units = self.launch(&ctx, collector::UNITS, t, units::collect);
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
        if ctx.now != ctx.analysed_at {
            snap.analysed_at = Some(ctx.analysed_at);
        }
        if let Some(w) = &ctx.capture_note {
            snap.warn(collector::CAPTURE, w.clone());
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
        if let Some(k) = self.finish(&mut snap, collector::KERNEL_LOG, kernel_log) {
            snap.kernel_log = Some(k.tail);
            snap.facts.log_events.extend(k.events);
        }
        snap.facts.kernel = self.finish(&mut snap, collector::KERNEL_STATE, kernel_state);
        snap.facts.units = self.finish(&mut snap, collector::UNITS, units);
        if let Some(l) = self.finish(&mut snap, collector::LOG_TAIL, log_tail) {
            snap.log_tail = Some(l.tail);
            snap.facts.log_events.extend(l.events);
        }
        snap.recent_changes = self.finish(&mut snap, collector::RECENT_CHANGES, changes);
        snap.cpu = self.finish(&mut snap, collector::CPU, cpu);
        if let Some(table) = self.finish(&mut snap, collector::PROCESSES, processes) {
            snap.processes = Some(table.processes);
            snap.process_summary = Some(table.summary);
        }
        snap.cgroups = self.finish(&mut snap, collector::CGROUPS, cgroups);
        snap.warnings.extend(ctx.take_warnings());
        self.decide(&mut snap, baseline);
        snap.duration_ms = started.elapsed().as_millis() as u64;
        snap
    }

    /// After the collectors: the facts derived from sections, the baseline, the findings;
    /// warnings in collector order; redaction last.
    fn decide(&self, snap: &mut Snapshot, baseline: BaselineJob) {
        let t_findings = Instant::now();
        changes::add_process_starts(snap);
        if self.root.is_live() {
            snap.facts.clock = clock::read();
        }
        snap.baseline = self.finish_baseline(snap, baseline);
        let context = crate::findings::Context::for_snapshot(snap);
        snap.findings = crate::findings::evaluate(snap, &context);
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
