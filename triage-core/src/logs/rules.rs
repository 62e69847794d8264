//! The pattern table of [`super::classify`]: one entry per kernel or systemd message
//! format, each with the finding id it supports (severity and title are decided in
//! [`crate::findings::catalogue`]), a substring that must appear (so the regex
//! runs only on candidate lines) and how to read the culprit from the captures.

use std::sync::LazyLock;

use regex::{Captures, Regex};

/// What a rule saw in one message.
pub(super) struct Hit {
    pub culprit: String,
    pub detail: Option<String>,
    /// False for lines that only support another (`oom-kill:constraint=` before
    /// `Killed process`, `Main process exited` before `Failed with result`).
    pub counts: bool,
}

/// A pattern: finding id, a cheap substring that must appear, the pattern, and how to
/// read the captures.
pub(super) struct Rule {
    pub id: &'static str,
    pub needle: &'static str,
    pub re: LazyLock<Regex>,
    pub hit: fn(&Captures<'_>) -> Hit,
}

macro_rules! rule {
    ($id:expr, $needle:expr, $re:expr, $hit:expr) => {
        Rule {
            id: $id,
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

pub(super) static RULES: [Rule; 25] = [
    rule!(
        "oom_kill",
        "illed process",
        r"Killed process (\d+),? (?:UID \d+,? )?\(([^)]*)\)",
        |c| hit(cap(c, 2), Some(format!("pid {}", cap(c, 1))))
    ),
    rule!(
        "oom_kill",
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
        "Kill process",
        r"Kill process (\d+) \(([^)]*)\) score",
        |c| support(cap(c, 2), Some(format!("pid {}", cap(c, 1))))
    ),
    rule!(
        "hung_task",
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
        "hard LOCKUP",
        r"[Hh]ard LOCKUP on cpu (\d+)",
        |c| hit(format!("cpu {}", cap(c, 1)), Some("hard lockup".into()))
    ),
    rule!(
        "segfault",
        "segfault at",
        r"(\S+?)\[(\d+)\]: segfault at \S+ ip \S+ sp \S+ error \S+(?: in ([^\[\s]+))?",
        |c| hit(cap(c, 1), c.get(3).map(|m| format!("in {}", m.as_str())))
    ),
    rule!(
        "segfault",
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
        "error, dev ",
        r"(\w[\w/ ]*?) error, dev ([\w-]+), sector (\d+)",
        |c| hit(cap(c, 2), Some(format!("{} error", cap(c, 1))))
    ),
    rule!(
        "io_error",
        "Buffer I/O error",
        r"Buffer I/O error on dev(?:ice)? ([\w-]+)",
        |c| hit(cap(c, 1), Some("buffer I/O error".into()))
    ),
    rule!(
        "io_error",
        "failing I/O",
        r"block ([\w-]+): no available path - failing I/O",
        |c| hit(cap(c, 1), Some("no available path".into()))
    ),
    rule!(
        "io_error",
        "timeout",
        r"nvme (nvme\d+): I/O (?:tag )?\d+ .*timeout",
        |c| hit(cap(c, 1), Some("I/O timeout".into()))
    ),
    rule!(
        "io_error",
        "Disk failure on",
        r"(md\S*?): Disk failure on ([\w-]+)",
        |c| hit(cap(c, 2), Some(format!("disk failure in {}", cap(c, 1))))
    ),
    rule!(
        "fs_error",
        "-fs error",
        r"(EXT[234])-fs error \(device ([^)]+)\)",
        |c| hit(cap(c, 2), Some(format!("{} error", cap(c, 1))))
    ),
    rule!(
        "fs_error",
        "Remounting filesystem read-only",
        r"(?:([\w-]+?)(?:-fs)?(?: \w+)? ?(?:\(([^)]+)\))?: )?Remounting filesystem read-only",
        |c| hit(or_unknown(cap(c, 2)), Some("remounted read-only".into()))
    ),
    rule!(
        "fs_error",
        "XFS",
        r"XFS \(([^)]+)\): .*?(?:[Ss]hutting down filesystem|[Ff]ilesystem has been shut down|Corruption)",
        |c| hit(cap(c, 1), Some("XFS shut down".into()))
    ),
    rule!(
        "fs_error",
        "error while writing superblock",
        r"(?:\(([^)]+)\): )?I/O error while writing superblock",
        |c| hit(
            or_unknown(cap(c, 1)),
            Some("I/O error writing the superblock".into())
        )
    ),
    rule!(
        "fs_error",
        "BTRFS",
        r"BTRFS (?:error|critical) \(device ([^)]+)\)",
        |c| hit(cap(c, 1), Some("btrfs error".into()))
    ),
    rule!(
        "over_mtu_drop",
        "dropped over-mtu packet",
        r"(\S+): dropped over-mtu packet: (\d+) > (\d+)",
        |c| hit(
            cap(c, 1),
            Some(format!("{} bytes > MTU {}", cap(c, 2), cap(c, 3)))
        )
    ),
    rule!(
        "scsi_host_problem",
        "skipping scsi_scan_host()",
        r"(qla2xxx) \[([^\]]+)\]-(\w+:\d+): skipping scsi_scan_host\(\) for non-initiator port",
        |c| {
            hit(
            format!("{} [{}]-{}", cap(c, 1), cap(c, 2), cap(c, 3)),
            Some("did not perform SCSI scan: disks or paths behind it may be missing (module option qla2xxx.qlini_mode)".into())
        )
        }
    ),
    rule!(
        "nfs_server_unresolved",
        "Failed to resolve server",
        r"(mount\.nfs4?): Failed to resolve server ([^:\s]+): (.+?)\.?$",
        |c| hit(cap(c, 2), Some(format!("{}: {}", cap(c, 1), cap(c, 3))))
    ),
    rule!(
        "conntrack_full",
        "table full",
        r"nf_conntrack: (?:nf_conntrack: )?table full, dropping packet",
        |_| hit(String::new(), None)
    ),
    rule!(
        "syn_flood",
        "SYN flooding",
        r"Possible SYN flooding on port (?:\[[^\]]*\]:)?(\d+)",
        |c| hit(cap(c, 1), None)
    ),
    rule!(
        "service_failed",
        "Failed with result",
        r"(\S+\.(?:service|socket|mount|timer|path|scope|slice|swap|automount|target|device)): Failed with result '([^']+)'",
        |c| hit(cap(c, 1), Some(cap(c, 2)))
    ),
    rule!(
        "service_failed",
        "failed state",
        r"Unit (\S+) entered failed state",
        |c| hit(cap(c, 1), None)
    ),
];

/// The finding ids the patterns support (`service_failed` also from supporting lines).
#[cfg(test)]
pub(crate) fn pattern_ids() -> impl Iterator<Item = &'static str> {
    RULES.iter().map(|r| r.id).chain(["service_failed"])
}

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

/// `Main process exited` and `Failed to start X.` lines, which support a unit's failure.
pub(super) fn service_support(
    msg: &str,
    last_unit: &Option<(String, usize)>,
    i: usize,
) -> Option<Hit> {
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
