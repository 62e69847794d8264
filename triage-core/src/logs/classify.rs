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

use regex::{Captures, Regex};

use super::LogEntry;
use crate::snapshot::{Finding, Severity, Time};

/// Most evidence lines kept per finding (the first ones and the last one).
pub const MAX_EVIDENCE: usize = 5;

/// What a rule saw in one message.
struct Hit {
    culprit: String,
    detail: Option<String>,
    /// False for lines that only support another (`oom-kill:constraint=` before
    /// `Killed process`, `Main process exited` before `Failed with result`).
    counts: bool,
}

/// A rule: finding id, severity, a cheap substring that must appear, the pattern, and
/// how to read the captures.
struct Rule {
    id: &'static str,
    severity: Severity,
    needle: &'static str,
    re: LazyLock<Regex>,
    hit: fn(&Captures<'_>) -> Hit,
}

macro_rules! rule {
    ($id:expr, $sev:ident, $needle:expr, $re:expr, $hit:expr) => {
        Rule {
            id: $id,
            severity: Severity::$sev,
            needle: $needle,
            re: LazyLock::new(|| Regex::new($re).expect("static regex")),
            hit: $hit,
        }
    };
}

fn cap(c: &Captures<'_>, i: usize) -> String {
    c.get(i).map_or("", |m| m.as_str()).trim().to_string()
}

fn hit(culprit: String, detail: Option<String>) -> Hit {
    Hit {
        culprit,
        detail,
        counts: true,
    }
}

fn support(culprit: String, detail: Option<String>) -> Hit {
    Hit {
        culprit,
        detail,
        counts: false,
    }
}

const UNIT: &str =
    r"(\S+\.(?:service|socket|mount|timer|path|scope|slice|swap|automount|target|device))";

static RULES: [Rule; 22] = [
    rule!(
        "oom_kill",
        Critical,
        "illed process",
        r"Killed process (\d+),? (?:UID \d+,? )?\(([^)]*)\)",
        |c| hit(cap(c, 2), Some(format!("pid {}", cap(c, 1))))
    ),
    rule!(
        "oom_kill",
        Critical,
        "oom-kill:",
        r"oom-kill:constraint=([A-Z_]+).*?(?:,oom_memcg=([^,]*))?(?:,task_memcg=[^,]*)?,task=([^,]*),pid=(\d+)",
        |c| support(
            cap(c, 3),
            Some(match cap(c, 2) {
                m if m.is_empty() => format!("pid {}, constraint {}", cap(c, 4), cap(c, 1)),
                m => format!("pid {}, constraint {}, cgroup {m}", cap(c, 4), cap(c, 1)),
            })
        )
    ),
    rule!(
        "oom_kill",
        Critical,
        "Kill process",
        r"Kill process (\d+) \(([^)]*)\) score",
        |c| support(cap(c, 2), Some(format!("pid {}", cap(c, 1))))
    ),
    rule!(
        "hung_task",
        Warning,
        "blocked for more than",
        r"task (.+?):(\d+) blocked for more than (\d+) seconds",
        |c| hit(
            cap(c, 1),
            Some(format!(
                "pid {}, blocked for more than {} s",
                cap(c, 2),
                cap(c, 3)
            ))
        )
    ),
    rule!(
        "soft_lockup",
        Critical,
        "soft lockup",
        r"soft lockup - CPU#(\d+) stuck for (\d+)s! \[(.+):(\d+)\]",
        |c| hit(
            cap(c, 3),
            Some(format!(
                "CPU#{} stuck for {} s, pid {}",
                cap(c, 1),
                cap(c, 2),
                cap(c, 4)
            ))
        )
    ),
    rule!(
        "soft_lockup",
        Critical,
        "hard LOCKUP",
        r"[Hh]ard LOCKUP on cpu (\d+)",
        |c| hit(format!("cpu {}", cap(c, 1)), Some("hard lockup".into()))
    ),
    rule!(
        "segfault",
        Warning,
        "segfault at",
        r"(\S+?)\[(\d+)\]: segfault at \S+ ip \S+ sp \S+ error \S+(?: in ([^\[\s]+))?",
        |c| hit(cap(c, 1), c.get(3).map(|m| format!("in {}", m.as_str())))
    ),
    rule!(
        "segfault",
        Warning,
        "general protection",
        r"traps: (\S+?)\[(\d+)\] general protection(?:.* in ([^\[\s]+))?",
        |c| hit(
            cap(c, 1),
            Some(match c.get(3) {
                Some(m) => format!("general protection fault in {}", m.as_str()),
                None => "general protection fault".into(),
            })
        )
    ),
    rule!(
        "io_error",
        Critical,
        "error, dev ",
        r"(\w[\w ]*?) error, dev ([\w-]+), sector (\d+)",
        |c| hit(cap(c, 2), Some(format!("{} error", cap(c, 1))))
    ),
    rule!(
        "io_error",
        Critical,
        "Buffer I/O error",
        r"Buffer I/O error on dev(?:ice)? ([\w-]+)",
        |c| hit(cap(c, 1), Some("buffer I/O error".into()))
    ),
    rule!(
        "io_error",
        Critical,
        "failing I/O",
        r"block ([\w-]+): no available path - failing I/O",
        |c| hit(cap(c, 1), Some("no available path".into()))
    ),
    rule!(
        "io_error",
        Critical,
        "timeout",
        r"nvme (nvme\d+): I/O (?:tag )?\d+ .*timeout",
        |c| hit(cap(c, 1), Some("I/O timeout".into()))
    ),
    rule!(
        "io_error",
        Critical,
        "Disk failure on",
        r"(md\S*?): Disk failure on ([\w-]+)",
        |c| hit(cap(c, 2), Some(format!("disk failure in {}", cap(c, 1))))
    ),
    rule!(
        "fs_error",
        Critical,
        "-fs error",
        r"(EXT[234])-fs error \(device ([^)]+)\)",
        |c| hit(cap(c, 2), Some(format!("{} error", cap(c, 1))))
    ),
    rule!(
        "fs_error",
        Critical,
        "Remounting filesystem read-only",
        r"(?:([\w-]+?)(?:-fs)?(?: \w+)? ?(?:\(([^)]+)\))?: )?Remounting filesystem read-only",
        |c| hit(or_unknown(cap(c, 2)), Some("remounted read-only".into()))
    ),
    rule!(
        "fs_error",
        Critical,
        "XFS",
        r"XFS \(([^)]+)\): .*?(?:[Ss]hutting down filesystem|[Ff]ilesystem has been shut down|Corruption)",
        |c| hit(cap(c, 1), Some("XFS shut down".into()))
    ),
    rule!(
        "fs_error",
        Critical,
        "error while writing superblock",
        r"(?:\(([^)]+)\): )?I/O error while writing superblock",
        |c| hit(
            or_unknown(cap(c, 1)),
            Some("I/O error writing the superblock".into())
        )
    ),
    rule!(
        "fs_error",
        Critical,
        "BTRFS",
        r"BTRFS (?:error|critical) \(device ([^)]+)\)",
        |c| hit(cap(c, 1), Some("btrfs error".into()))
    ),
    rule!(
        "conntrack_full",
        Critical,
        "table full",
        r"nf_conntrack: (?:nf_conntrack: )?table full, dropping packet",
        |_| hit(String::new(), None)
    ),
    rule!(
        "syn_flood",
        Warning,
        "SYN flooding",
        r"Possible SYN flooding on port (?:\[[^\]]*\]:)?(\d+)",
        |c| hit(cap(c, 1), None)
    ),
    rule!(
        "service_failed",
        Warning,
        "Failed with result",
        r"(\S+\.(?:service|socket|mount|timer|path|scope|slice|swap|automount|target|device)): Failed with result '([^']+)'",
        |c| hit(cap(c, 1), Some(cap(c, 2)))
    ),
    rule!(
        "service_failed",
        Warning,
        "failed state",
        r"Unit (\S+) entered failed state",
        |c| hit(cap(c, 1), None)
    ),
];

static MAIN_EXITED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"{UNIT}: Main process exited, code=(\w+), status=(\S+)"
    ))
    .expect("static regex")
});
static FAILED_TO_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^Failed to start (.+?)\.?$").expect("static regex"));

fn or_unknown(s: String) -> String {
    if s.is_empty() {
        "unknown device".into()
    } else {
        s
    }
}

#[derive(Debug)]
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
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<(&'static str, String), usize> = HashMap::new();
    // The last `service_failed` unit and how many entries ago, to attach the
    // description-only "Failed to start X." that follows it.
    let mut last_unit: Option<(String, usize)> = None;
    for (i, e) in entries.iter().enumerate() {
        let msg = e.message.as_str();
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
            None => match service_support(msg, &last_unit, i) {
                Some(h) => ("service_failed", Severity::Warning, h),
                None => continue,
            },
        };
        if id == "service_failed" && h.counts {
            last_unit = Some((h.culprit.clone(), i));
        }
        let key = (id, h.culprit.clone());
        let gi = *index.entry(key).or_insert_with(|| {
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
        let g = &mut groups[gi];
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
    groups.into_iter().map(finding).collect()
}

/// `Main process exited` and `Failed to start X.` lines, which support a unit's failure.
fn service_support(msg: &str, last_unit: &Option<(String, usize)>, i: usize) -> Option<Hit> {
    if msg.contains("Main process exited") {
        let c = MAIN_EXITED.captures(msg)?;
        let status = cap(&c, 3);
        if status == "0/SUCCESS" {
            return None;
        }
        return Some(support(
            cap(&c, 1),
            Some(format!("{}, status={status}", cap(&c, 2))),
        ));
    }
    if msg.starts_with("Failed to start ") {
        let c = FAILED_TO_START.captures(msg)?;
        return Some(match last_unit {
            Some((unit, at)) if i - at <= 5 => support(unit.clone(), None),
            _ => hit(cap(&c, 1), None),
        });
    }
    None
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
    }
}

#[cfg(test)]
#[path = "classify_tests.rs"]
mod tests;
