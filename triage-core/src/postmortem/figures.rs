//! The figures of the incident window, taken from the recorded history (`triage record`,
//! `STATE_DIR/history`): from an hour before detection to close, each with its usual band
//! (the baseline at detection: median ± [`BAND_SPREADS`] spreads of the same time of day on
//! the 7 earlier days) where history has one. [`super::charts`] draws them; [`super::impact`]
//! reads them to find when the impact started.

use std::collections::BTreeMap;

use chrono::Duration;

use crate::baseline::{Baseline, Usual};
use crate::history::{self, Sample};
use crate::snapshot::Time;

/// How far before detection the figures start.
pub(crate) const LEAD: Duration = Duration::hours(1);
/// The half-width of the usual band, in spreads (median absolute deviations). One spread
/// would put half of an ordinary day outside the band; three leaves out only what stands out.
pub(crate) const BAND_SPREADS: f64 = 3.0;
/// Processes drawn in the top-processes figure.
pub(crate) const TOP_PROCESSES: usize = 5;

/// One line of a figure: (unix seconds, value) in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its legend: a metric's name, or in the top-processes figure a command (one line, at
    /// most 40 characters).
    pub name: String,
    /// (unix seconds, value in the figure's unit), in sample order. Samples without the
    /// value are left out (the line has a gap), except in the top-processes figure, where
    /// a command not among a sample's top counts as 0.
    pub points: Vec<(i64, f64)>,
}

/// One figure: a few lines sharing a unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Stable id, part of the file name: `load`, `cpu`, `memory`, `pressure`, `top`.
    pub id: &'static str,
    /// The chart's caption, in English whatever the postmortem's language.
    pub title: &'static str,
    /// The y axis' unit.
    pub unit: &'static str,
    /// The lines; the first one is the one the band belongs to.
    pub series: Vec<Series>,
    /// The usual band (low, high) of the first series, when history has a baseline.
    pub band: Option<(f64, f64)>,
    /// The top of the y axis: a round value (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ) above every
    /// point and the band's top, never below 100 for the percent-of-a-whole figures.
    pub y_max: f64,
}

/// The incident's moments drawn as vertical lines.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Markers {
    /// Detection: the first snapshot, else the incident's opening.
    pub detection: Time,
    /// When the first command run in `fix` mode was journaled; `None` when nothing was
    /// fixed through triage.
    pub first_fix: Option<Time>,
    /// The close, else the last journal event.
    pub close: Time,
    /// When the impact started: a note's time, else where a figure left its band (see
    /// [`super::impact::find`]); `None` when neither says.
    pub impact_start: Option<Time>,
}

/// The figures of an incident: samples read from `dir` between an hour before
/// `markers.detection` and `markers.close`, and the baseline at detection. `cpus` turns
/// the load into load per CPU (it is drawn as is when unknown). Empty when nothing was
/// recorded in the window.
pub(crate) fn gather(dir: &std::path::Path, markers: &Markers, cpus: Option<u32>) -> Vec<Figure> {
    let (samples, _) = history::read_range(dir, markers.detection - LEAD, markers.close);
    if samples.is_empty() {
        return Vec::new();
    }
    let baseline = history::baseline_for(dir, markers.detection).ok().flatten();
    build(&samples, baseline.as_ref(), cpus)
}

/// The figures from samples already read (see [`gather`]): load, CPU, memory (only when a
/// sample knows the RAM size), pressure and top processes, each without its empty lines and
/// dropped when no line is left.
pub fn build(samples: &[Sample], baseline: Option<&Baseline>, cpus: Option<u32>) -> Vec<Figure> {
    let mut out = vec![
        load_figure(samples, baseline, cpus),
        cpu_figure(samples, baseline),
    ];
    out.extend(memory_figure(samples, baseline));
    out.push(pressure_figure(samples, baseline));
    out.push(Figure {
        id: "top",
        title: "Top processes by CPU",
        unit: "% of one CPU",
        series: top_processes(samples),
        band: None,
        y_max: 0.0,
    });
    for f in &mut out {
        drop_empty_and_scale(f);
    }
    out.retain(|f| !f.series.is_empty());
    out
}

/// A line named `name` with `value` of every sample that has one.
fn series(samples: &[Sample], name: &str, value: impl Fn(&Sample) -> Option<f64>) -> Series {
    Series {
        name: name.to_string(),
        points: samples
            .iter()
            .filter_map(|s| Some((s.time, value(s)?)))
            .collect(),
    }
}

/// The usual band of `usual` divided by `scale` (the figure's unit): median ± [`BAND_SPREADS`]
/// spreads, the spread at least 5% of the median and 0.01 so a flat history still draws a
/// visible band; the low edge never below 0.
fn band(usual: Option<Usual>, scale: f64) -> Option<(f64, f64)> {
    usual.map(|u| {
        let spread = u.spread.max(u.median.abs() * 0.05).max(0.01) * BAND_SPREADS;
        (
            ((u.median - spread) / scale).max(0.0),
            (u.median + spread) / scale,
        )
    })
}

/// The 1-minute load, divided by `cpus` when it is known.
fn load_figure(samples: &[Sample], baseline: Option<&Baseline>, cpus: Option<u32>) -> Figure {
    let per_cpu = f64::from(cpus.unwrap_or(1).max(1));
    let (title, unit) = if cpus.is_some() {
        ("Load per CPU (1 min)", "load / CPU")
    } else {
        ("Load (1 min)", "load")
    };
    Figure {
        id: "load",
        title,
        unit,
        series: vec![series(samples, "load1", |s| {
            s.load.map(|l| f64::from(l.one) / per_cpu)
        })],
        band: band(baseline.and_then(|b| b.load1), per_cpu),
        y_max: 0.0,
    }
}

/// CPU busy and iowait percents; the band is the busy one's. The axis always goes to 100%.
fn cpu_figure(samples: &[Sample], baseline: Option<&Baseline>) -> Figure {
    Figure {
        id: "cpu",
        title: "CPU busy and iowait",
        unit: "%",
        series: vec![
            series(samples, "busy", |s| {
                s.cpu.map(|c| f64::from(c.usage_percent))
            }),
            series(samples, "iowait", |s| {
                s.cpu.map(|c| f64::from(c.iowait_percent))
            }),
        ],
        band: band(baseline.and_then(|b| b.cpu_usage_percent), 1.0),
        y_max: 100.0,
    }
}

/// Memory used as a percent of the RAM size of the latest sample that reports one; `None`
/// when no sample does (a percent of nothing cannot be drawn).
fn memory_figure(samples: &[Sample], baseline: Option<&Baseline>) -> Option<Figure> {
    let total = samples
        .iter()
        .rev()
        .find_map(|s| s.memory.map(|m| m.total_bytes))
        .filter(|t| *t > 0)? as f64;
    Some(Figure {
        id: "memory",
        title: "Memory used",
        unit: "% of RAM",
        series: vec![series(samples, "used", |s| {
            s.memory_used_bytes().map(|u| u as f64 * 100.0 / total)
        })],
        band: band(baseline.and_then(|b| b.memory_used_bytes), total / 100.0),
        y_max: 100.0,
    })
}

/// PSI "some" avg10 of memory, io and cpu; the band is memory's.
fn pressure_figure(samples: &[Sample], baseline: Option<&Baseline>) -> Figure {
    Figure {
        id: "pressure",
        title: "Pressure stall (PSI some avg10)",
        unit: "%",
        series: vec![
            series(samples, "memory", |s| s.pressure.memory.map(f64::from)),
            series(samples, "io", |s| s.pressure.io.map(f64::from)),
            series(samples, "cpu", |s| s.pressure.cpu.map(f64::from)),
        ],
        band: band(baseline.and_then(|b| b.psi_memory_some), 1.0),
        y_max: 0.0,
    }
}

/// Drops the lines without points and raises `y_max` (a floor: 100 for percents of a whole,
/// else 0) to a round value above every point and the band's top.
fn drop_empty_and_scale(f: &mut Figure) {
    f.series.retain(|s| !s.points.is_empty());
    let top = f
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(f.band.map(|b| b.1))
        .fold(f.y_max, f64::max);
    f.y_max = nice_ceiling(top);
}

/// The [`TOP_PROCESSES`] commands with the highest peak CPU, one line each (a command's
/// processes summed per sample; 0 where it was not among a sample's top).
fn top_processes(samples: &[Sample]) -> Vec<Series> {
    let per_sample: Vec<BTreeMap<&str, f64>> = samples
        .iter()
        .map(|s| {
            let mut m: BTreeMap<&str, f64> = BTreeMap::new();
            for p in &s.top {
                *m.entry(p.command.as_str()).or_default() += f64::from(p.cpu_percent);
            }
            m
        })
        .collect();
    let mut peak: BTreeMap<&str, f64> = BTreeMap::new();
    for m in &per_sample {
        for (c, v) in m {
            let e = peak.entry(c).or_default();
            *e = e.max(*v);
        }
    }
    let mut names: Vec<(&str, f64)> = peak.into_iter().filter(|(_, v)| *v > 0.0).collect();
    names.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    names
        .into_iter()
        .take(TOP_PROCESSES)
        .map(|(name, _)| Series {
            name: crate::postmortem::text::one_line(name)
                .chars()
                .take(40)
                .collect(),
            points: samples
                .iter()
                .zip(&per_sample)
                .map(|(s, m)| (s.time, m.get(name).copied().unwrap_or(0.0)))
                .collect(),
        })
        .collect()
}

/// 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten at or above `v` (at least 1).
fn nice_ceiling(v: f64) -> f64 {
    if !v.is_finite() || v <= 1.0 {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_are_round() {
        assert_eq!(nice_ceiling(0.3), 1.0);
        assert_eq!(nice_ceiling(1.7), 2.0);
        assert_eq!(nice_ceiling(2.45), 2.5);
        assert_eq!(nice_ceiling(62.0), 80.0);
        assert_eq!(nice_ceiling(100.0), 100.0);
        assert_eq!(nice_ceiling(f64::NAN), 1.0);
    }
}
