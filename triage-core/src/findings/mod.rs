//! The findings engine: small pure rules over a [`Snapshot`], merged with the findings
//! collectors reported from their own data, worst first.
//!
//! Each rule is a function of the snapshot and a [`Context`] (CPU count, the usual
//! figures from history) listed once in [`RULES`] with its stable id. Thresholds live in
//! [`thresholds`], each with the reason for its value. The rules follow Brendan Gregg's
//! USE method: for CPU, memory, disks and network, look at utilisation, saturation and
//! errors — and report saturation, not mere busyness.

mod cgroups;
mod listeners;
mod net;
mod procs;
pub mod rules;
pub mod thresholds;
mod usual;

#[cfg(test)]
mod tests;

pub use cgroups::short_path;
pub use net::listen_queue_title;

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
    /// A context for `snapshot`: its CPU count (1 when unknown), no baseline.
    pub fn for_snapshot(snapshot: &Snapshot) -> Self {
        Context {
            cpus: snapshot.cpu_count().unwrap_or(1).max(1),
            baseline: None,
        }
    }

    /// The same context with `baseline` (from the history module).
    pub fn with_baseline(mut self, baseline: Option<Baseline>) -> Self {
        self.baseline = baseline;
        self
    }

    fn cpus_f(&self) -> f64 {
        f64::from(self.cpus.max(1))
    }
}

/// How a rule reports: at most one finding, or one per culprit (per mount).
#[derive(Clone, Copy)]
pub enum Check {
    /// At most one finding.
    One(fn(&Snapshot, &Context) -> Option<Finding>),
    /// Any number of findings (one per mount point…).
    Many(fn(&Snapshot, &Context) -> Vec<Finding>),
}

/// One rule: its stable id and its check.
#[derive(Clone, Copy)]
pub struct Rule {
    /// The `id` of the findings it produces.
    pub id: &'static str,
    /// What the rule looks for, one line (for `--help`-like listings and the README).
    pub about: &'static str,
    /// The check itself.
    pub check: Check,
}

/// Every rule, in the order they appear within a severity.
pub const RULES: &[Rule] = &[
    Rule {
        id: "memory_pressure",
        about: "little memory available or tasks stalled on memory (PSI)",
        check: Check::One(rules::memory_pressure),
    },
    Rule {
        id: "disk_almost_full",
        about: "a filesystem (tmpfs included) 90% used or more",
        check: Check::Many(rules::disk_almost_full),
    },
    Rule {
        id: "inodes_almost_full",
        about: "a filesystem with 90% of its inodes used or more",
        check: Check::Many(rules::inodes_almost_full),
    },
    Rule {
        id: "load_high",
        about: "1-minute load or runnable tasks well above the CPU count",
        check: Check::One(rules::load_high),
    },
    Rule {
        id: "cpu_saturated",
        about: "CPUs busy 90% or more",
        check: Check::One(rules::cpu_saturated),
    },
    Rule {
        id: "iowait_high",
        about: "CPUs idle waiting for I/O",
        check: Check::One(rules::iowait_high),
    },
    Rule {
        id: "steal_high",
        about: "the hypervisor gives CPU time to other guests",
        check: Check::One(rules::steal_high),
    },
    Rule {
        id: "swap_heavy",
        about: "swap mostly used",
        check: Check::One(rules::swap_heavy),
    },
    Rule {
        id: "uninterruptible_processes",
        about: "processes stuck in D state (usually storage or NFS)",
        check: Check::One(procs::uninterruptible_processes),
    },
    Rule {
        id: "zombie_processes",
        about: "zombies: a parent that does not reap its children",
        check: Check::One(procs::zombie_processes),
    },
    Rule {
        id: "process_restarting",
        about: "several young processes of one command: a crash loop",
        check: Check::One(procs::process_restarting),
    },
    Rule {
        id: "cgroup_oom_kill",
        about: "processes OOM-killed inside a memory cgroup (a container or unit at its limit)",
        check: Check::Many(cgroups::cgroup_oom_kill),
    },
    Rule {
        id: "cgroup_memory_near_limit",
        about: "a cgroup at 90% of its memory limit or above memory.high",
        check: Check::Many(cgroups::cgroup_memory_near_limit),
    },
    Rule {
        id: "cgroup_cpu_throttled",
        about: "a cgroup throttled by its CPU quota in a large share of periods",
        check: Check::Many(cgroups::cgroup_cpu_throttled),
    },
    Rule {
        id: "listen_queue_overflow",
        about: "a listener's accept queue is full: connections are dropped",
        check: Check::Many(net::listen_queue_overflow),
    },
    Rule {
        id: "listener_gone",
        about: "a TCP port listening all day (in history) is not listening now",
        check: Check::Many(listeners::listener_gone),
    },
    Rule {
        id: "conn_state_anomaly",
        about: "many CLOSE_WAIT, SYN_RECV or TIME_WAIT connections",
        check: Check::Many(net::conn_state_anomaly),
    },
    Rule {
        id: "unusual_vs_baseline",
        about: "a figure far from its usual value at this hour (needs history)",
        check: Check::Many(usual::unusual_vs_baseline),
    },
];

/// Ids of findings produced outside [`RULES`] by collectors (live-only probes).
pub const COLLECTOR_IDS: &[&str] = &["clock_unsynced"];

/// Evaluate every rule over `snapshot`, add `from_collectors`, drop duplicates (same id
/// and title: the worse one stays), and sort worst first (stable: rules keep their table
/// order within a severity, collector findings come after).
pub fn evaluate(
    snapshot: &Snapshot,
    context: &Context,
    from_collectors: Vec<Finding>,
) -> Vec<Finding> {
    let mut findings: Vec<Finding> = Vec::new();
    for rule in RULES {
        match rule.check {
            Check::One(f) => findings.extend(f(snapshot, context)),
            Check::Many(f) => findings.extend(f(snapshot, context)),
        }
    }
    for f in from_collectors {
        match findings
            .iter_mut()
            .find(|g| g.id == f.id && g.title == f.title)
        {
            Some(g) if f.severity > g.severity => *g = f,
            Some(_) => {}
            None => findings.push(f),
        }
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

/// Evaluate the rules again over `snapshot` with a new `context` (the TUI, once history
/// has produced a baseline): findings of rule ids are replaced, findings collectors
/// reported (ids not in [`RULES`]) are kept.
pub fn reevaluate(snapshot: &mut Snapshot, context: &Context) {
    let kept: Vec<Finding> = std::mem::take(&mut snapshot.findings)
        .into_iter()
        .filter(|f| !RULES.iter().any(|r| r.id == f.id))
        .collect();
    snapshot.findings = evaluate(snapshot, context, kept);
}

/// The worst severity among `findings`, `None` when there are none.
pub fn worst(findings: &[Finding]) -> Option<Severity> {
    findings.iter().map(|f| f.severity).max()
}

/// A finding.
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

/// `text` cut to `max` characters with an ellipsis.
pub(crate) fn cut(text: &str, max: usize) -> String {
    crate::render::markdown::cut(text, max)
}

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
