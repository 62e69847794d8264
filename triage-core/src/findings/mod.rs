//! The findings engine: small pure rules over a [`Snapshot`] and the facts collectors
//! gathered with it, worst first. Collectors never decide; this module does.
//!
//! Each rule is a function of the snapshot and a [`Context`] (CPU count, the usual
//! figures from history) listed once in [`catalogue::CATALOGUE`] with its stable id. Thresholds live in
//! [`thresholds`], each with the reason for its value. The rules follow Brendan Gregg's
//! USE method: for CPU, memory, disks and network, look at utilisation, saturation and
//! errors — and report saturation, not mere busyness.

pub mod catalogue;
mod cgroups;
mod clock;
mod events;
mod kernel;
mod listeners;
mod net;
mod procs;
pub mod rules;
pub mod thresholds;
mod units;
pub mod usual;

#[cfg(test)]
mod tests;

pub use catalogue::{Decide, Entry, CATALOGUE};
pub use cgroups::short_path;

use crate::baseline::Baseline;
use crate::snapshot::{Finding, Process, Severity, Snapshot};

/// What the rules know besides the snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// Online CPUs (at least 1).
    pub cpus: u32,
    /// The usual figures at this time of day, from recorded history, when there is any.
    pub baseline: Option<Baseline>,
}

impl Context {
    /// A context for `snapshot`: its CPU count (1 when unknown), the baseline it carries.
    pub fn for_snapshot(snapshot: &Snapshot) -> Self {
        Context {
            cpus: snapshot.cpu_count().unwrap_or(1).max(1),
            baseline: snapshot.baseline.clone(),
        }
    }

    /// The same context with `baseline` instead.
    pub fn with_baseline(mut self, baseline: Option<Baseline>) -> Self {
        self.baseline = baseline;
        self
    }

    fn cpus_f(&self) -> f64 {
        f64::from(self.cpus.max(1))
    }
}

/// Every finding of `snapshot` (its sections and [`crate::facts::Facts`]): the catalogue's
/// rules in table order, then one per log event in the order they appeared; duplicates
/// (same id and title) merged keeping the worse; sorted worst first (stable).
pub fn evaluate(snapshot: &Snapshot, context: &Context) -> Vec<Finding> {
    let mut findings: Vec<Finding> = Vec::new();
    for entry in CATALOGUE {
        match entry.decide {
            Decide::One(f) => findings.extend(f(snapshot, context)),
            Decide::Many(f) => findings.extend(f(snapshot, context)),
            Decide::Event { .. } => {}
        }
    }
    // A memory-cgroup OOM kill is the cgroup's limit, said once by cgroup_oom_kill
    // (naming the cgroup); oom_kill keeps the host-wide kills.
    let cgroup_said = findings.iter().any(|f| f.id == "cgroup_oom_kill");
    let events: Vec<crate::facts::LogEvent> = snapshot
        .facts
        .log_events
        .iter()
        .filter(|e| !(cgroup_said && cgroups::is_memcg_oom(e)))
        .cloned()
        .collect();
    for f in catalogue::event_findings(&events) {
        match findings
            .iter_mut()
            .find(|g| g.id == f.id && g.title == f.title)
        {
            Some(g) if f.severity > g.severity => *g = f,
            Some(_) => {}
            None => findings.push(f),
        }
    }
    units::reconcile(snapshot, &mut findings);
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

/// Evaluate again with a new `context` (the TUI, once history has produced a baseline).
/// Needs the snapshot's facts, so only on a snapshot this process collected.
pub fn reevaluate(snapshot: &mut Snapshot, context: &Context) {
    snapshot.findings = evaluate(snapshot, context);
}

/// The worst severity among `findings`, `None` when there are none.
pub fn worst(findings: &[Finding]) -> Option<Severity> {
    findings.iter().map(|f| f.severity).max()
}

pub(crate) fn finding(
    id: &str,
    severity: Severity,
    title: impl Into<String>,
    evidence: Vec<String>,
) -> Finding {
    let mut f = Finding::new(id, severity, title);
    f.evidence = evidence;
    f
}

/// `f` with the runbook variables `pid` and `process` of `p`.
pub(crate) fn with_process(f: Finding, p: &Process) -> Finding {
    f.var("pid", p.pid).var("process", short_name(p))
}

/// `name (pid N)`: how findings name a process.
pub(crate) fn label(p: &Process) -> String {
    format!("{} (pid {})", short_name(p), p.pid)
}

/// The process's short name: `comm`, else the basename of the command's first word.
pub(crate) fn short_name(p: &Process) -> String {
    if !p.name.is_empty() {
        return p.name.clone();
    }
    let first = p.command.split_whitespace().next().unwrap_or("?");
    first.rsplit('/').next().unwrap_or(first).to_string()
}

/// Command lines in evidence are cut to this many characters.
pub(crate) const COMMAND_CHARS: usize = 160;

pub(crate) use crate::fmt::cut;

/// Severity from a value and two thresholds, higher is worse.
pub(crate) fn grade(value: f64, warning: f64, critical: f64) -> Option<Severity> {
    if value >= critical {
        Some(Severity::Critical)
    } else if value >= warning {
        Some(Severity::Warning)
    } else {
        None
    }
}
