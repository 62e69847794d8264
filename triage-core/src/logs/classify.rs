//! Kernel and system events in log entries, as [`LogEvent`] facts. A pure function over
//! entries, used by the snapshot (over the whole kernel ring buffer) and by `triage logs`;
//! [`crate::findings`] turns the events into findings.
//!
//! Each pattern matches a message format printed by the kernel or systemd:
//! `oom_kill` (mm/oom_kill.c `Out of memory: Killed process %d (%s)`, `oom-kill:constraint=…`),
//! `hung_task` (kernel/hung_task.c `INFO: task %s:%d blocked for more than %ld seconds.`),
//! `soft_lockup` (kernel/watchdog.c `BUG: soft lockup - CPU#%d stuck for %us! [%s:%d]`),
//! `segfault` (arch/x86/mm/fault.c `%s[%d]: segfault at %lx ip %px sp %px error %lx in …`),
//! `io_error` (block/blk-core.c `%s error, dev %s, sector %llu`, fs/buffer.c
//! `Buffer I/O error on dev %pg`), `fs_error` (fs/ext4/super.c `EXT4-fs error (device %s)`,
//! `Remounting filesystem read-only`, XFS shutdown), `conntrack_full`
//! (`nf_conntrack: table full, dropping packet`), `syn_flood` (net/ipv4/tcp_input.c
//! `Possible SYN flooding on port %d`) and `service_failed` (systemd
//! `UNIT: Failed with result '%s'`, `Failed to start %s`).
//!
//! One event per id and culprit, with a count, first and last time and up to
//! [`MAX_EVIDENCE`] matching lines.

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use super::rules::{service_support, Hit, Rule, RULES};
use super::LogEntry;
use crate::facts::LogEvent;
use crate::snapshot::Time;

/// Every rule's needle and the service-support phrases: most lines match none, and one
/// pass over them says so (instead of one `contains` per rule).
fn needles() -> impl Iterator<Item = &'static str> {
    RULES
        .iter()
        .map(|r| r.needle)
        .chain(["Main process exited", "Failed to start "])
}

/// [`needles`] in a SIMD multi-substring searcher (Teddy): every line of the window passes
/// it, and took a third of the time of the DFA below on loghub's Linux lines (perf, 500k
/// lines: ~20 ms against ~55 ms).
static PACKED: LazyLock<Option<aho_corasick::packed::Searcher>> =
    LazyLock::new(|| aho_corasick::packed::Searcher::new(needles()));

/// [`needles`] in a DFA, where the CPU has no Teddy.
static NEEDLES: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasick::builder()
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(needles())
        .ok()
});

/// True when `msg` holds a needle (or when no searcher could be built).
fn has_needle(msg: &str) -> bool {
    match (PACKED.as_ref(), NEEDLES.as_ref()) {
        (Some(p), _) => p.find(msg).is_some(),
        (None, Some(n)) => n.is_match(msg),
        (None, None) => true,
    }
}

/// Most lines kept per event (the first ones and the last one); the finding adds a
/// count line before them.
pub(crate) const MAX_EVIDENCE: usize = 5;

#[derive(Debug, Clone)]
struct Group {
    id: &'static str,
    culprit: String,
    detail: Option<String>,
    count: usize,
    first: Option<Time>,
    last: Option<Time>,
    evidence: Vec<String>,
    last_line: Option<String>,
}

/// The events in `entries` (any order of sources; oldest first within each), one per
/// id and culprit, in order of first appearance.
pub fn events(entries: &[LogEntry]) -> Vec<LogEvent> {
    let mut c = Classifier::default();
    for e in entries {
        c.push(e);
    }
    c.finish()
}

/// [`events`] one entry at a time, for a stream: memory grows with the number of
/// distinct events (id and culprit), not with the entries.
#[derive(Debug, Default)]
pub struct Classifier {
    groups: Vec<Group>,
    index: HashMap<(&'static str, String), usize>,
    /// The last `service_failed` unit and at which entry, to attach the
    /// description-only "Failed to start X." that follows it.
    last_unit: Option<(String, usize)>,
    seen: usize,
    /// The multi-line report being read (see `traces.rs`).
    trace: traces::TraceState,
}

#[path = "traces.rs"]
mod traces;
pub use traces::SYSRQ_MARK;

impl Classifier {
    /// Look at the next entry.
    pub fn push(&mut self, e: &LogEntry) {
        let i = self.seen;
        self.seen += 1;
        let msg = e.message.as_str();
        // Multi-line reports (call traces, the OOM killer's dump) first: their frame lines
        // match no pattern.
        if self.trace_step(e, i) {
            return;
        }
        if !has_needle(msg) {
            return;
        }
        let mut found: Option<(&Rule, Hit)> = None;
        for r in RULES.iter() {
            if msg.contains(r.needle) {
                if let Some(c) = r.re.captures(msg) {
                    found = Some((r, (r.hit)(&c)));
                    break;
                }
            }
        }
        let (id, h) = match found {
            Some((r, h)) => (r.id, h),
            None => match service_support(msg, &self.last_unit, i) {
                Some(h) => ("service_failed", h),
                None => return,
            },
        };
        if id == "service_failed" && h.counts {
            self.last_unit = Some((h.culprit.clone(), i));
        }
        let counts = h.counts;
        let gi = self.record(id, h, e.time, evidence_line(e));
        self.after_hit(id, gi, counts, i);
    }

    /// Count `h` in the group of `id` and its culprit (made on first sight); the group's index.
    fn record(&mut self, id: &'static str, h: Hit, time: Option<Time>, line: String) -> usize {
        let groups = &mut self.groups;
        let key = (id, h.culprit.clone());
        let gi = *self.index.entry(key).or_insert_with(|| {
            groups.push(Group {
                id,
                culprit: h.culprit.clone(),
                detail: None,
                count: 0,
                first: None,
                last: None,
                evidence: Vec::new(),
                last_line: None,
            });
            groups.len() - 1
        });
        let g = &mut self.groups[gi];
        if h.counts {
            g.count += 1;
        }
        // A counting line's detail wins, unless the one kept already says more about the
        // same event ("pid 4242, constraint …, cgroup …" before "pid 4242").
        if let Some(d) = h.detail {
            let richer = g.detail.as_deref().is_some_and(|old| old.starts_with(&d));
            if (h.counts && !richer) || g.detail.is_none() {
                g.detail = Some(d);
            }
        }
        if let Some(t) = time {
            g.first = Some(g.first.map_or(t, |f| f.min(t)));
            g.last = Some(g.last.map_or(t, |l| l.max(t)));
        }
        if g.evidence.len() < MAX_EVIDENCE - 1 {
            g.evidence.push(line);
        } else {
            g.last_line = Some(line);
        }
        gi
    }

    /// How many events so far (a new one means an event fired).
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// True before the first event.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The events so far, in order of first appearance.
    pub fn events(&self) -> Vec<LogEvent> {
        self.groups.iter().cloned().map(event).collect()
    }

    /// The events, in order of first appearance.
    pub fn finish(mut self) -> Vec<LogEvent> {
        self.flush_report();
        self.groups.into_iter().map(event).collect()
    }
}

fn evidence_line(e: &LogEntry) -> String {
    let time = e
        .time
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string())
        .unwrap_or_else(|| "-".into());
    format!("{time} {}", e.message)
}

fn event(g: Group) -> LogEvent {
    let mut lines = g.evidence;
    lines.extend(g.last_line);
    LogEvent {
        id: g.id,
        culprit: g.culprit,
        detail: g.detail,
        count: g.count.max(1),
        first: g.first,
        last: g.last,
        lines,
    }
}

#[cfg(test)]
#[path = "classify_tests.rs"]
mod tests;
