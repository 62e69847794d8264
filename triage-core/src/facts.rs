//! Evidence collectors hand to the findings engine that has no section of its own in
//! `snapshot --json`: the kernel and system events seen in the logs (the whole kernel ring
//! buffer, not only the tail the snapshot keeps) and the kernel's clock state. Collectors
//! fill these; only [`crate::findings`] turns them into findings.

use crate::snapshot::Time;

/// The facts of one snapshot, carried in memory next to its sections (not serialised:
/// the findings they support carry the evidence to JSON).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// Events in the kernel log, then in the system logs, each in order of first appearance.
    pub log_events: Vec<LogEvent>,
    /// What `adjtimex(2)` said; `None` under `--root` (no kernel to ask) or when it failed.
    pub clock: Option<ClockState>,
}

/// One kind of event about one culprit, seen `count` times in the logs.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEvent {
    /// The finding id it supports (`oom_kill`, `service_failed`…), see
    /// [`crate::findings::catalogue`].
    pub id: &'static str,
    /// The process, device, unit or port the lines name; empty when they name none.
    pub culprit: String,
    /// What else the lines say (`pid 4242, constraint CONSTRAINT_MEMCG`).
    pub detail: Option<String>,
    /// Counting lines (supporting lines such as `oom-kill:constraint=` add none); at least 1.
    pub count: usize,
    /// Time of the first and the last matching line, when the lines had one.
    pub first: Option<Time>,
    /// See `first`.
    pub last: Option<Time>,
    /// The matching lines as `TIME message`: the first few and the last one.
    pub lines: Vec<String>,
}

/// What `adjtimex(2)` said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockState {
    /// The return value (`TIME_OK`, …, `TIME_ERROR` = 5).
    pub state: i32,
    /// The status bits (`STA_UNSYNC` = 0x40).
    pub status: i32,
    /// Maximum error, microseconds.
    pub max_error_us: i64,
}

impl Facts {
    /// Mask secrets in the log lines and culprits (see [`crate::redact`]).
    pub fn redact(&mut self) {
        use crate::redact::redact_in_place as r;
        for e in &mut self.log_events {
            r(true, &mut e.culprit);
            crate::redact::redact_lines(true, e.lines.iter_mut());
        }
    }
}
