//! Kernel and system events → findings. A pure function over entries, used by the
//! snapshot (over the whole kernel ring buffer) and by `triage logs`.
//!
//! Each rule matches a message format printed by the kernel or systemd:
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
//! One finding per id and culprit, with a count, first and last time and up to
//! [`MAX_EVIDENCE`] matching lines.

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use super::rules::{service_support, Hit, Rule, RULES};
use super::LogEntry;
use crate::snapshot::{Finding, Severity, Time};

/// Every rule's needle and the service-support phrases in one automaton: most lines
/// match none, and one pass over them says so (instead of one `contains` per rule).
static NEEDLES: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    let needles = RULES.iter().map(|r| r.needle);
    AhoCorasick::new(needles.chain(["Main process exited", "Failed to start "])).ok()
});

/// Most evidence lines kept per finding (the first ones and the last one).
pub const MAX_EVIDENCE: usize = 5;

#[derive(Debug, Clone)]
struct Group {
    id: &'static str,
    severity: Severity,
    culprit: String,
    detail: Option<String>,
    count: usize,
    first: Option<Time>,
    last: Option<Time>,
    evidence: Vec<String>,
    last_line: Option<String>,
}

/// The findings in `entries` (any order of sources; oldest first within each), one per
/// id and culprit, in order of first appearance.
pub fn classify(entries: &[LogEntry]) -> Vec<Finding> {
    let mut c = Classifier::default();
    for e in entries {
        c.push(e);
    }
    c.finish()
}

/// [`classify`] one entry at a time, for a stream: memory grows with the number of
/// distinct findings (id and culprit), not with the entries.
#[derive(Debug, Default)]
pub struct Classifier {
    groups: Vec<Group>,
    index: HashMap<(&'static str, String), usize>,
    /// The last `service_failed` unit and at which entry, to attach the
    /// description-only "Failed to start X." that follows it.
    last_unit: Option<(String, usize)>,
    seen: usize,
}

impl Classifier {
    /// Look at the next entry.
    pub fn push(&mut self, e: &LogEntry) {
        let i = self.seen;
        self.seen += 1;
        let msg = e.message.as_str();
        if NEEDLES.as_ref().is_some_and(|n| !n.is_match(msg)) {
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
        let (id, severity, h) = match found {
            Some((r, h)) => (r.id, r.severity, h),
            None => match service_support(msg, &self.last_unit, i) {
                Some(h) => ("service_failed", Severity::Warning, h),
                None => return,
            },
        };
        if id == "service_failed" && h.counts {
            self.last_unit = Some((h.culprit.clone(), i));
        }
        let groups = &mut self.groups;
        let key = (id, h.culprit.clone());
        let gi = *self.index.entry(key).or_insert_with(|| {
            groups.push(Group {
                id,
                severity,
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
        if let Some(t) = e.time {
            g.first = Some(g.first.map_or(t, |f| f.min(t)));
            g.last = Some(g.last.map_or(t, |l| l.max(t)));
        }
        let line = evidence_line(e);
        if g.evidence.len() < MAX_EVIDENCE - 1 {
            g.evidence.push(line);
        } else {
            g.last_line = Some(line);
        }
    }

    /// How many findings so far (a new one means an event fired).
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// True before the first finding.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The findings so far, in order of first appearance.
    pub fn findings(&self) -> Vec<Finding> {
        self.groups.iter().cloned().map(finding).collect()
    }

    /// The findings, in order of first appearance.
    pub fn finish(self) -> Vec<Finding> {
        self.groups.into_iter().map(finding).collect()
    }
}

fn evidence_line(e: &LogEntry) -> String {
    let time = e
        .time
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string())
        .unwrap_or_else(|| "-".into());
    format!("{time} {}", e.message)
}

fn finding(g: Group) -> Finding {
    let count = g.count.max(1);
    let c = &g.culprit;
    let d = g.detail.as_deref();
    let with = |s: &str| d.map_or(s.to_string(), |d| format!("{s} ({d})"));
    let mut title = match g.id {
        "oom_kill" => with(&format!("OOM killer killed {c}")),
        "hung_task" => with(&format!("hung task {c}")),
        "soft_lockup" => with(&format!("soft lockup: {c}")),
        "segfault" => match d {
            Some(d) => format!("{c} crashed: segfault {d}"),
            None => format!("{c} crashed: segfault"),
        },
        "io_error" => with(&format!("I/O errors on {c}")),
        "fs_error" => with(&format!("filesystem error on {c}")),
        "conntrack_full" => "conntrack table full: new connections dropped".to_string(),
        "syn_flood" => format!("possible SYN flood on port {c}"),
        "service_failed" => match d {
            Some(d) => format!("{c} failed ({d})"),
            None => format!("{c} failed"),
        },
        other => format!("{other}: {c}"),
    };
    if count > 1 {
        title.push_str(&format!(", {count} times"));
    }
    let fmt = |t: Option<Time>| {
        t.map(|t| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string())
            .unwrap_or_else(|| "unknown".into())
    };
    let mut evidence = vec![format!(
        "{count} time{} in the log, first {}, last {}",
        if count == 1 { "" } else { "s" },
        fmt(g.first),
        fmt(g.last)
    )];
    evidence.extend(g.evidence);
    if let Some(l) = g.last_line {
        evidence.push(l);
    }
    Finding {
        id: g.id.to_string(),
        severity: g.severity,
        title,
        evidence,
        vars: runbook_vars(g.id, &g.culprit, g.detail.as_deref()),
    }
}

/// The culprit as runbook variables: the process, device, unit or port it names, and
/// the pid where the kernel printed one.
fn runbook_vars(
    id: &str,
    culprit: &str,
    detail: Option<&str>,
) -> std::collections::BTreeMap<String, String> {
    let mut vars = std::collections::BTreeMap::new();
    let name = match id {
        "oom_kill" | "hung_task" | "soft_lockup" | "segfault" => Some("process"),
        "io_error" | "fs_error" => Some("device"),
        "service_failed" => Some("unit"),
        "syn_flood" => Some("port"),
        _ => None,
    };
    if let Some(name) = name.filter(|_| !culprit.is_empty() && !culprit.starts_with("cpu ")) {
        vars.insert(name.to_string(), culprit.to_string());
    }
    let pid = detail
        .and_then(|d| d.split("pid ").nth(1))
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|p| !p.is_empty());
    if let Some(pid) = pid {
        vars.insert("pid".to_string(), pid);
    }
    vars
}

#[cfg(test)]
#[path = "classify_tests.rs"]
mod tests;
