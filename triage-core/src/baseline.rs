//! "What is usual for this host": the same-hour figures of earlier days, as computed from
//! the recorded history (`history` module) and consumed by the findings engine and the TUI.

use serde::{Deserialize, Serialize};

use crate::snapshot::Time;

/// The spread of one figure at a given hour over earlier days.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Usual {
    /// Median of the samples.
    pub median: f64,
    /// Spread: the median absolute deviation (robust to one bad day).
    pub spread: f64,
    /// Number of samples behind it.
    pub samples: u64,
}

/// The usual figures around one time of day, from earlier days' history.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Baseline {
    /// The time the baseline is for.
    pub at: Option<Time>,
    /// How many earlier days contributed.
    pub days: u32,
    /// Width of the window around the time of day, minutes each side.
    pub window_minutes: u32,
    /// 1-minute load average.
    pub load1: Option<Usual>,
    /// CPU busy percent.
    pub cpu_usage_percent: Option<Usual>,
    /// CPU iowait percent.
    pub iowait_percent: Option<Usual>,
    /// Memory used (total − available), bytes.
    pub memory_used_bytes: Option<Usual>,
    /// Swap used, bytes.
    pub swap_used_bytes: Option<Usual>,
    /// PSI memory some avg10, percent.
    pub psi_memory_some: Option<Usual>,
    /// PSI io some avg10, percent.
    pub psi_io_some: Option<Usual>,
    /// TCP connections: ESTABLISHED + CLOSE_WAIT (`CurrEstab` of `/proc/net/snmp`) plus
    /// TIME_WAIT (`tw` of `/proc/net/sockstat`), as the recorder samples them.
    pub tcp_connections: Option<Usual>,
    /// TCP ports that listened in nearly every sample of the last 24 h (not only this
    /// hour: a listener is expected all day), ascending. Empty when the history has too
    /// few samples with listeners, or was recorded by a triage that did not record them.
    #[serde(default)]
    pub usual_listeners: Vec<UsualListener>,
}

/// A TCP port this host normally listens on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UsualListener {
    /// Local port.
    pub port: u16,
    /// The process that usually owns it (the name seen most often), when known.
    pub process: Option<String>,
    /// Share of the samples it was listening in, 0–1.
    pub seen_share: f64,
    /// Samples with listeners recorded in the window (the share's denominator).
    pub samples: u64,
    /// Hours the window covers, back from the baseline's time.
    pub window_hours: u32,
    /// Seconds from the window's first sample with listeners to the baseline's time (less
    /// than the window on a recorder started recently).
    #[serde(default)]
    pub covered_seconds: u64,
}

impl Usual {
    /// How many spreads `value` is away from the median (∞-safe: a zero spread counts as
    /// 5% of the median, at least 0.01).
    pub fn deviations(&self, value: f64) -> f64 {
        let spread = self.spread.max(self.median.abs() * 0.05).max(0.01);
        (value - self.median) / spread
    }
}
