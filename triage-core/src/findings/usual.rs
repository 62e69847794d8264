//! Now against the usual value at this time of day ([`crate::baseline::Baseline`], carried
//! in the snapshot): [`compare`] judges every figure once, with one threshold, for the
//! `unusual_vs_baseline` findings, `triage history --compare` and the TUI's Scope step.

use super::thresholds as t;
use super::{finding, Context};
use crate::baseline::{Baseline, Usual};
use crate::fmt::bytes as human_bytes;
use crate::snapshot::{Finding, Severity, Snapshot};

/// How a figure is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Load: one decimal.
    Plain,
    /// Percent, no decimals.
    Percent,
    /// Bytes, human units.
    Bytes,
    /// A count (connections): no decimals, no unit.
    Count,
}

/// `v` as findings show it.
pub fn show(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Plain => format!("{v:.1}"),
        Unit::Percent => format!("{v:.0}%"),
        Unit::Bytes => human_bytes(v.max(0.0) as u64),
        Unit::Count => format!("{v:.0}"),
    }
}

/// The figures now that a [`Baseline`] has usual values for, from a snapshot
/// ([`Now::from_snapshot`]) or a history sample (`history`), so every view compares the
/// same way.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Now {
    /// Online CPUs (0: unknown, counted as 1).
    pub cpus: u32,
    /// 1-minute load average.
    pub load1: Option<f64>,
    /// Busy time (all but idle and iowait), percent of all CPUs: 100 is every CPU busy.
    pub cpu_usage_percent: Option<f64>,
    /// Idle time with I/O outstanding, percent of all CPUs.
    pub iowait_percent: Option<f64>,
    /// Memory size, bytes (a memory rise must be a share of it).
    pub memory_total_bytes: Option<f64>,
    /// Memory used (total − MemAvailable: reclaimable cache does not count), bytes.
    pub memory_used_bytes: Option<f64>,
    /// Swap used (total − free), bytes.
    pub swap_used_bytes: Option<f64>,
    /// Percent of the last 10 s in which some task stalled on memory (PSI `some avg10`).
    pub psi_memory_some: Option<f64>,
    /// Percent of the last 10 s in which some task stalled on I/O (PSI `some avg10`).
    pub psi_io_some: Option<f64>,
    /// TCP connections: ESTABLISHED + CLOSE_WAIT + TIME_WAIT, as history records them.
    pub tcp_connections: Option<f64>,
}

impl Now {
    /// The figures of `s`; a section the snapshot lacks leaves its figures `None` (not
    /// judged). Connections count only the states the recorder counts.
    pub fn from_snapshot(s: &Snapshot) -> Now {
        let psi = s.pressure.as_ref();
        Now {
            cpus: s.cpu_count().unwrap_or(0),
            load1: s.load.as_ref().map(|l| l.one),
            cpu_usage_percent: s.cpu.as_ref().map(|x| x.usage_percent),
            iowait_percent: s.cpu.as_ref().map(|x| x.iowait_percent),
            memory_total_bytes: s.memory.as_ref().map(|m| m.total_bytes as f64),
            memory_used_bytes: s.memory.as_ref().map(|m| m.used_bytes as f64),
            swap_used_bytes: s
                .memory
                .as_ref()
                .map(|m| m.swap_total_bytes.saturating_sub(m.swap_free_bytes) as f64),
            psi_memory_some: psi.and_then(|p| p.memory.as_ref()).map(|p| p.some_avg10),
            psi_io_some: psi.and_then(|p| p.io.as_ref()).map(|p| p.some_avg10),
            // The recorder's measure (see `Baseline::tcp_connections`), not all states.
            tcp_connections: s.connections.as_ref().map(|c| {
                ["ESTABLISHED", "CLOSE_WAIT", "TIME_WAIT"]
                    .iter()
                    .filter_map(|st| c.by_state.get(*st))
                    .sum::<u64>() as f64
            }),
        }
    }
}

/// How a figure stands against its usual value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Near the usual value, trivially small, or not enough history to tell.
    Usual,
    /// Far above: reported as `unusual_vs_baseline`.
    Higher,
    /// Far below where a fall matters (connections vanishing: traffic lost).
    Lower,
}

/// One figure now against its usual value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Compared {
    /// The figure as findings name it (`load`, `CPU busy`…).
    pub name: &'static str,
    /// Its value now, when measured.
    pub now: Option<f64>,
    /// Its usual value at this hour, when history has one.
    pub usual: Option<Usual>,
    /// How `now` and the usual value are printed (see [`show`]).
    pub unit: Unit,
    /// Spreads from the median, when both are known.
    pub deviations: Option<f64>,
    /// The one judgement every view shows.
    pub verdict: Verdict,
}

/// The figures `compare` judges, in order: name, now, usual, unit, floor (the figure must
/// reach it for a rise to count), least rise over the median, whether a fall counts.
type Row = (
    &'static str,
    Option<f64>,
    Option<Usual>,
    Unit,
    f64,
    f64,
    bool,
);

/// Every figure of `now` against `b`, in a fixed order: the one comparison behind
/// `unusual_vs_baseline`, `triage history --compare` and the TUI's Scope step. A figure is
/// unusual [`t::BASELINE_DEVIATIONS`] spreads away, when history covers
/// [`t::BASELINE_MIN_DAYS`] days and [`t::BASELINE_MIN_SAMPLES`] samples and the figure is
/// not trivially small.
pub fn compare(now: &Now, b: &Baseline) -> Vec<Compared> {
    rows(now, b).into_iter().map(|row| judge(row, b)).collect()
}

/// Each figure now and usually, with its unit, floor, minimum rise and whether a fall
/// counts too.
fn rows(now: &Now, b: &Baseline) -> [Row; 8] {
    let cpus = f64::from(now.cpus.max(1));
    let mem_rise = now.memory_total_bytes.unwrap_or(0.0) * t::BASELINE_MEMORY_RISE_PERCENT / 100.0;
    [
        (
            "load",
            now.load1,
            b.load1,
            Unit::Plain,
            t::BASELINE_LOAD_PER_CPU_FLOOR * cpus,
            0.0,
            false,
        ),
        (
            "CPU busy",
            now.cpu_usage_percent,
            b.cpu_usage_percent,
            Unit::Percent,
            t::BASELINE_PERCENT_FLOOR,
            0.0,
            false,
        ),
        (
            "iowait",
            now.iowait_percent,
            b.iowait_percent,
            Unit::Percent,
            t::BASELINE_PERCENT_FLOOR,
            0.0,
            false,
        ),
        (
            "memory used",
            now.memory_used_bytes,
            b.memory_used_bytes,
            Unit::Bytes,
            0.0,
            mem_rise,
            false,
        ),
        (
            "swap used",
            now.swap_used_bytes,
            b.swap_used_bytes,
            Unit::Bytes,
            0.0,
            mem_rise,
            false,
        ),
        (
            "memory pressure",
            now.psi_memory_some,
            b.psi_memory_some,
            Unit::Percent,
            t::BASELINE_PSI_FLOOR,
            0.0,
            false,
        ),
        (
            "I/O pressure",
            now.psi_io_some,
            b.psi_io_some,
            Unit::Percent,
            t::BASELINE_PSI_FLOOR,
            0.0,
            false,
        ),
        (
            "TCP connections",
            now.tcp_connections,
            b.tcp_connections,
            Unit::Count,
            t::BASELINE_CONNECTIONS_FLOOR,
            0.0,
            true,
        ),
    ]
}

/// One figure's verdict: usual unless history is long and dense enough to trust.
fn judge(row: Row, b: &Baseline) -> Compared {
    let (name, value, usual, unit, floor, min_rise, falls_count) = row;
    let deviations = value.zip(usual).map(|(v, u)| u.deviations(v));
    let trusted = b.days >= t::BASELINE_MIN_DAYS;
    let verdict = match (value, usual, deviations) {
        (Some(v), Some(u), Some(dev)) if trusted && u.samples >= t::BASELINE_MIN_SAMPLES => {
            let factor_ok = unit == Unit::Bytes || v >= u.median * t::BASELINE_RISE_FACTOR;
            if dev >= t::BASELINE_DEVIATIONS && v >= floor && v - u.median >= min_rise && factor_ok
            {
                Verdict::Higher
            } else if falls_count && dev <= -t::BASELINE_DEVIATIONS && u.median >= floor {
                Verdict::Lower
            } else {
                Verdict::Usual
            }
        }
        _ => Verdict::Usual,
    };
    Compared {
        name,
        now: value,
        usual,
        unit,
        deviations,
        verdict,
    }
}

/// `unusual_vs_baseline`: one finding per figure [`compare`] calls higher or lower than
/// usual at this hour.
pub fn unusual_vs_baseline(s: &Snapshot, c: &Context) -> Vec<Finding> {
    let Some(b) = &c.baseline else {
        return Vec::new();
    };
    let mut now = Now::from_snapshot(s);
    now.cpus = c.cpus;
    compare(&now, b)
        .into_iter()
        .filter(|f| f.verdict != Verdict::Usual)
        .filter_map(|f| {
            let (value, usual, dev) = (f.now?, f.usual?, f.deviations?);
            Some(finding(
                "unusual_vs_baseline",
                Severity::Warning,
                format!(
                    "{} {} — usual at this hour {} ± {}",
                    f.name,
                    show(value, f.unit),
                    show(usual.median, f.unit),
                    show(usual.spread, f.unit)
                ),
                vec![
                    format!(
                        "now {} vs median {} (spread {}) over {} sample(s) from {} earlier day(s), ±{} min around this time: {dev:+.1} spreads (triage history)",
                        show(value, f.unit),
                        show(usual.median, f.unit),
                        show(usual.spread, f.unit),
                        usual.samples,
                        b.days,
                        b.window_minutes
                    ),
                ],
            ))
        })
        .collect()
}
