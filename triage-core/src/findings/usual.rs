//! `unusual_vs_baseline`: figures far from their usual value at this time of day, from the
//! baseline the history module computes ([`crate::baseline::Baseline`]).

use super::thresholds as t;
use super::{finding, Context};
use crate::baseline::{Baseline, Usual};
use crate::render::human_bytes;
use crate::snapshot::{Finding, Severity, Snapshot};

/// How a figure is shown.
#[derive(Clone, Copy)]
enum Unit {
    Plain,
    Percent,
    Bytes,
    Count,
}

fn show(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Plain => format!("{v:.1}"),
        Unit::Percent => format!("{v:.0}%"),
        Unit::Bytes => human_bytes(v.max(0.0) as u64),
        Unit::Count => format!("{v:.0}"),
    }
}

struct Figure {
    name: &'static str,
    now: f64,
    usual: Usual,
    unit: Unit,
    /// The figure must be at least this for a rise to count.
    floor: f64,
    /// The rise over the median must be at least this.
    min_rise: f64,
    /// A fall counts too (connections vanishing: traffic lost).
    falls_count: bool,
}

fn figures(s: &Snapshot, c: &Context, b: &Baseline) -> Vec<Figure> {
    let mut out = Vec::new();
    let mut add = |name, now: Option<f64>, usual: Option<Usual>, unit, floor, min_rise, falls| {
        if let (Some(now), Some(usual)) = (now, usual) {
            out.push(Figure {
                name,
                now,
                usual,
                unit,
                floor,
                min_rise,
                falls_count: falls,
            });
        }
    };
    let mem_total = s
        .memory
        .as_ref()
        .map(|m| m.total_bytes as f64)
        .unwrap_or(0.0);
    let mem_rise = mem_total * t::BASELINE_MEMORY_RISE_PERCENT / 100.0;
    add(
        "load",
        s.load.as_ref().map(|l| l.one),
        b.load1,
        Unit::Plain,
        t::BASELINE_LOAD_PER_CPU_FLOOR * c.cpus_f(),
        0.0,
        false,
    );
    add(
        "CPU busy",
        s.cpu.as_ref().map(|x| x.usage_percent),
        b.cpu_usage_percent,
        Unit::Percent,
        t::BASELINE_PERCENT_FLOOR,
        0.0,
        false,
    );
    add(
        "iowait",
        s.cpu.as_ref().map(|x| x.iowait_percent),
        b.iowait_percent,
        Unit::Percent,
        t::BASELINE_PERCENT_FLOOR,
        0.0,
        false,
    );
    add(
        "memory used",
        s.memory.as_ref().map(|m| m.used_bytes as f64),
        b.memory_used_bytes,
        Unit::Bytes,
        0.0,
        mem_rise,
        false,
    );
    add(
        "swap used",
        s.memory
            .as_ref()
            .map(|m| m.swap_total_bytes.saturating_sub(m.swap_free_bytes) as f64),
        b.swap_used_bytes,
        Unit::Bytes,
        0.0,
        mem_rise,
        false,
    );
    let psi = s.pressure.as_ref();
    add(
        "memory pressure",
        psi.and_then(|p| p.memory.as_ref()).map(|p| p.some_avg10),
        b.psi_memory_some,
        Unit::Percent,
        t::BASELINE_PSI_FLOOR,
        0.0,
        false,
    );
    add(
        "I/O pressure",
        psi.and_then(|p| p.io.as_ref()).map(|p| p.some_avg10),
        b.psi_io_some,
        Unit::Percent,
        t::BASELINE_PSI_FLOOR,
        0.0,
        false,
    );
    add(
        "TCP connections",
        s.connections.as_ref().map(|c| c.total as f64),
        b.tcp_connections,
        Unit::Count,
        t::BASELINE_CONNECTIONS_FLOOR,
        0.0,
        true,
    );
    out
}

/// `unusual_vs_baseline`: one finding per figure more than
/// [`t::BASELINE_DEVIATIONS`] spreads above (or, for connections, below) its usual value
/// at this hour, when history covers enough days and the figure is not trivially small.
pub fn unusual_vs_baseline(s: &Snapshot, c: &Context) -> Vec<Finding> {
    let Some(b) = &c.baseline else {
        return Vec::new();
    };
    if b.days < t::BASELINE_MIN_DAYS {
        return Vec::new();
    }
    figures(s, c, b)
        .into_iter()
        .filter(|f| f.usual.samples >= t::BASELINE_MIN_SAMPLES)
        .filter_map(|f| {
            let dev = f.usual.deviations(f.now);
            let rise = f.now - f.usual.median;
            let factor_ok = matches!(f.unit, Unit::Bytes)
                || f.now >= f.usual.median * t::BASELINE_RISE_FACTOR;
            let high = dev >= t::BASELINE_DEVIATIONS
                && f.now >= f.floor
                && rise >= f.min_rise
                && factor_ok;
            let low = f.falls_count
                && dev <= -t::BASELINE_DEVIATIONS
                && f.usual.median >= f.floor;
            if !high && !low {
                return None;
            }
            let usual = format!(
                "{} ± {}",
                show(f.usual.median, f.unit),
                show(f.usual.spread, f.unit)
            );
            Some(finding(
                "unusual_vs_baseline",
                Severity::Warning,
                format!(
                    "{} {} — usual at this hour {usual}",
                    f.name,
                    show(f.now, f.unit)
                ),
                vec![
                    format!(
                        "now {} vs median {} (spread {}) over {} sample(s) from {} earlier day(s), ±{} min around this time: {dev:+.1} spreads (triage history)",
                        show(f.now, f.unit),
                        show(f.usual.median, f.unit),
                        show(f.usual.spread, f.unit),
                        f.usual.samples,
                        b.days,
                        b.window_minutes
                    ),
                ],
            ))
        })
        .collect()
}
