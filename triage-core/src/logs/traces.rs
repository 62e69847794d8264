//! Multi-line kernel reports, read as a responder reads them: the header line says what
//! happened, the call trace below it says where.
//!
//! - `WARNING: CPU: 1 PID: 2 at FILE:LINE FUNC+0x…` (kernel/panic.c `__warn`):
//!   `kernel_warning`, named by FUNC and FILE:LINE;
//! - `BUG: …`, `kernel BUG at FILE:LINE!`, `Oops: …` (arch/x86/mm/fault.c, lib/bug.c):
//!   `kernel_bug`, named by the function in the `RIP:`/`pc :` line or the first frame;
//! - a `Call Trace:` no header claims (`dump_stack()` from a driver, a module):
//!   `kernel_call_trace`, named by its first frame that is not the printing machinery;
//! - the trace under `INFO: task … blocked for more than` (kernel/hung_task.c) says where
//!   the task waits: `fanotify`, `bcache`, `nfs`, `jbd2`, `fuse`… is added to the hung task;
//! - `invoked oom-killer: … order=-1` or `moom_callback` in the trace (drivers/tty/sysrq.c,
//!   SysRq-f) marks the kill that follows as requested, and the v4 memcg line
//!   `Task in X killed as a result of limit of Y` names the cgroup of the kill.

use std::sync::LazyLock;

use regex::Regex;

use super::{evidence_line, Classifier};
use crate::logs::rules::Hit;
use crate::logs::LogEntry;
use crate::snapshot::Time;

/// Lines between a header and its `Call Trace:` (CPU, hardware, workqueue, registers).
const HEADER_REACH: usize = 60;
/// Lines between `invoked oom-killer` and its `Killed process` (the task dump lists
/// every process).
const OOM_REACH: usize = 100_000;
/// Frames looked at for the subsystem a hung task waits in.
const MAX_FRAMES: usize = 40;

/// Marker the OOM title reads (see `findings::events::oom_kill`).
pub const SYSRQ_MARK: &str = "requested with SysRq-f";

static FRAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:\[<[0-9a-f]+>\]\s+)?(\?\s+)?([\w.$]+)\+0x[0-9a-f]+/0x[0-9a-f]+(?:\s+\[([\w-]+)\])?",
    )
    .expect("static regex")
});
static WARNING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^WARNING: (?:CPU: \d+ PID: (\d+) )?at (\S+?)(?: ([\w.$]+)\+0x[0-9a-f]+/0x[0-9a-f]+(?: \[([\w-]+)\])?)?(?:\(\))?$")
        .expect("static regex")
});
static IP_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:RIP: [0-9a-f]{4}:|pc : |NIP \[[0-9a-f]+\] |EIP: [0-9a-f]{4}:)(?:\[<[0-9a-f]+>\] )?([\w.$]+)\+0x")
        .expect("static regex")
});
static COMM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^CPU: \d+ (?:UID: \d+ )?PID: (\d+) Comm: (\S+)").expect("static regex")
});
static MEMCG_V1: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"Task in (\S+) killed as a result of limit of (\S+)").expect("static regex")
});

/// Frames that print the report, not the code that had the problem.
const MACHINERY: &[&str] = &[
    "dump_stack",
    "dump_stack_lvl",
    "__dump_stack",
    "show_stack",
    "dump_header",
    "__warn",
    "warn_slowpath_fmt",
    "warn_slowpath_null",
    "warn_slowpath_common",
    "report_bug",
    "handle_bug",
    "exc_invalid_op",
    "asm_exc_invalid_op",
    "do_error_trap",
    "do_invalid_op",
    "invalid_op",
    "panic",
];

/// Frames every sleeping task shows: where it waits is below them.
const SLEEPING: &[&str] = &[
    "__schedule",
    "schedule",
    "schedule_timeout",
    "schedule_preempt_disabled",
    "io_schedule",
    "io_schedule_timeout",
    "bit_wait",
    "bit_wait_io",
    "__wait_on_bit",
    "out_of_line_wait_on_bit",
    "wait_for_completion",
    "__mutex_lock",
    "__mutex_lock_slowpath",
    "mutex_lock",
    "rwsem_down_read_slowpath",
    "rwsem_down_write_slowpath",
    "call_rwsem_down_write_failed",
    "call_rwsem_down_read_failed",
    "down_read",
    "down_write",
    "__switch_to",
    "__switch_to_asm",
];

/// Which report a header started.
#[derive(Debug, Clone)]
enum Report {
    /// A hung task: its group, the first plain frame seen, and whether its subsystem is known.
    Hung {
        group: usize,
        first: Option<String>,
        done: bool,
    },
    /// The OOM killer's report, a soft lockup, an RCU stall: its trace belongs to it.
    Claimed,
    /// `WARNING:` or `BUG:` not yet counted (no function known yet).
    Unnamed {
        id: &'static str,
        what: String,
        time: Option<Time>,
        line: String,
    },
}

/// What the classifier remembers between the lines of one report.
#[derive(Debug, Clone, Default)]
pub(super) struct TraceState {
    report: Option<(Report, usize)>,
    in_trace: bool,
    frames: usize,
    /// `CPU: n PID: p Comm: c`: the process the next bare trace is about.
    comm: Option<(String, String, usize)>,
    /// `Call Trace:` without a header: its line and time, until its first frame.
    bare: Option<(Option<Time>, String)>,
    /// The OOM killer was invoked: where, whether by SysRq, and the v4 memcg named.
    oom: Option<Oom>,
}

#[derive(Debug, Clone)]
struct Oom {
    at: usize,
    sysrq: bool,
    memcg: Option<String>,
}

fn hit(culprit: String, detail: Option<String>) -> Hit {
    Hit {
        culprit,
        detail,
        counts: true,
    }
}

/// Where a hung task waits, from one frame: its module, else its function's prefix.
fn subsystem(func: &str, module: Option<&str>) -> Option<&'static str> {
    let by_module = module.and_then(|m| {
        Some(match m {
            "bcache" => "bcache",
            "nfs" | "nfsv3" | "nfsv4" | "sunrpc" | "nfsd" | "lockd" => "nfs",
            "jbd2" => "jbd2",
            "fuse" => "fuse",
            "xfs" => "xfs",
            "ext4" => "ext4",
            "btrfs" => "btrfs",
            "ceph" | "libceph" | "rbd" => "ceph",
            "zfs" | "spl" => "zfs",
            "ocfs2" => "ocfs2",
            "cifs" => "cifs",
            "overlay" => "overlayfs",
            _ => return None,
        })
    });
    by_module.or_else(|| {
        [
            ("fanotify", "fanotify"),
            ("bch_", "bcache"),
            ("closure_sync", "bcache"),
            ("nfs", "nfs"),
            ("rpc_wait", "nfs"),
            ("__rpc_", "nfs"),
            ("jbd2", "jbd2"),
            ("fuse_", "fuse"),
            ("xfs_", "xfs"),
            ("ext4_", "ext4"),
            ("btrfs_", "btrfs"),
            ("ceph_", "ceph"),
            ("cifs_", "cifs"),
            ("blk_mq_get_tag", "block I/O"),
            ("wait_on_page_bit", "block I/O"),
            ("folio_wait_bit", "block I/O"),
        ]
        .iter()
        .find(|(prefix, _)| func.starts_with(prefix))
        .map(|(_, s)| *s)
    })
}

impl Classifier {
    /// Reads the lines of a multi-line report; true when `e` was one of its lines and
    /// needs no pattern.
    pub(super) fn trace_step(&mut self, e: &LogEntry, i: usize) -> bool {
        let msg = e.message.trim();
        if self.trace.in_trace {
            if let Some(c) = FRAME.captures(msg) {
                let unsure = c.get(1).is_some();
                let module = c.get(3).map(|m| m.as_str());
                self.frame(&c[2], module, unsure, e);
                return true;
            }
            if is_trace_filler(msg) {
                if let Some(c) = IP_LINE.captures(msg) {
                    self.name_unnamed(&c[1], e);
                }
                return true;
            }
            self.end_trace();
        }
        if msg.starts_with("Call Trace:") || msg.starts_with("Call trace:") {
            self.start_trace(e, i);
            return true;
        }
        self.header(e, msg, i);
        false
    }

    /// Header and context lines: they start a report, or note its process or its kind.
    fn header(&mut self, e: &LogEntry, msg: &str, i: usize) {
        // Every line passes here: each anchored regex runs only behind its literal start
        // (a `captures` call costs an allocation even when nothing matches).
        if let Some(c) = msg
            .starts_with("CPU: ")
            .then(|| COMM.captures(msg))
            .flatten()
        {
            self.trace.comm = Some((c[2].to_string(), c[1].to_string(), i));
        } else if msg.contains(" invoked oom-killer:") {
            self.flush_report();
            let sysrq = msg.contains("order=-1,") || msg.contains("order=-1 ");
            self.trace.oom = Some(Oom {
                at: i,
                sysrq,
                memcg: None,
            });
            self.trace.report = Some((Report::Claimed, i));
        } else if msg.contains("moom_callback") {
            if let Some(o) = self.trace.oom.as_mut() {
                o.sysrq = true;
            }
        } else if let Some(c) = msg
            .contains("Task in ")
            .then(|| MEMCG_V1.captures(msg))
            .flatten()
        {
            if let Some(o) = self.trace.oom.as_mut() {
                o.memcg = Some(c[2].to_string());
            }
        } else if let Some(c) = ip_line(msg) {
            self.name_unnamed(&c[1], e);
        } else if e.kernel || e.program.is_none() {
            self.kernel_header(e, msg, i);
        }
    }

    /// `WARNING:`, `BUG:`, `kernel BUG at`, `Oops:`, RCU stalls.
    fn kernel_header(&mut self, e: &LogEntry, msg: &str, i: usize) {
        if let Some(c) = msg
            .starts_with("WARNING: ")
            .then(|| WARNING.captures(msg))
            .flatten()
        {
            self.flush_report();
            let place = c[2].to_string();
            match c.get(3) {
                Some(func) => {
                    let module = c.get(4).map(|m| format!(" [{}]", m.as_str()));
                    let detail = format!("at {place}{}", module.unwrap_or_default());
                    self.record(
                        "kernel_warning",
                        hit(func.as_str().to_string(), Some(detail)),
                        e.time,
                        evidence_line(e),
                    );
                    self.trace.report = Some((Report::Claimed, i));
                }
                None => self.unnamed("kernel_warning", format!("at {place}"), e, i),
            }
        } else if let Some(what) = msg.strip_prefix("BUG: ") {
            if what.starts_with("soft lockup") {
                return; // the soft_lockup pattern's
            }
            self.flush_report();
            let what = what.split(", ").next().unwrap_or(what);
            let what = what.split(" at ").next().unwrap_or(what).trim().to_string();
            self.unnamed("kernel_bug", what, e, i);
        } else if msg.starts_with("kernel BUG at ") {
            self.flush_report();
            let what = msg.trim_end_matches('!').to_string();
            self.unnamed("kernel_bug", what, e, i);
        } else if msg.starts_with("Oops: ") || msg.starts_with("Internal error: Oops") {
            let after_bug = matches!(
                &self.trace.report,
                Some((Report::Unnamed { .. }, at)) if i - at <= HEADER_REACH
            );
            if !after_bug {
                self.flush_report();
                self.unnamed("kernel_bug", "Oops".into(), e, i);
            }
        } else if msg.contains("rcu_sched self-detected stall")
            || msg.contains("rcu: INFO: rcu_")
            || msg.contains("detected stalls on CPUs")
        {
            self.flush_report();
            self.trace.report = Some((Report::Claimed, i));
        }
    }

    fn unnamed(&mut self, id: &'static str, what: String, e: &LogEntry, i: usize) {
        let report = Report::Unnamed {
            id,
            what,
            time: e.time,
            line: evidence_line(e),
        };
        self.trace.report = Some((report, i));
    }

    /// After a pattern's hit: a hung task, a lockup or an OOM kill owns the trace below it.
    pub(super) fn after_hit(&mut self, id: &str, group: usize, counts: bool, i: usize) {
        match id {
            "hung_task" if counts => {
                self.flush_report();
                let report = Report::Hung {
                    group,
                    first: None,
                    done: false,
                };
                self.trace.report = Some((report, i));
            }
            "soft_lockup" => {
                self.flush_report();
                self.trace.report = Some((Report::Claimed, i));
            }
            "oom_kill" if counts => self.oom_killed(group, i),
            _ => {}
        }
    }

    /// The victim line: add what the report above it said (SysRq, the v4 memcg).
    fn oom_killed(&mut self, group: usize, i: usize) {
        let Some(oom) = self.trace.oom.take() else {
            return;
        };
        if i - oom.at > OOM_REACH {
            return;
        }
        let g = &mut self.groups[group];
        let mut detail = g.detail.take().unwrap_or_default();
        if let Some(cg) = oom.memcg.filter(|_| !detail.contains("cgroup ")) {
            detail.push_str(&format!(", memory cgroup {cg} at its limit"));
        }
        if oom.sysrq && !detail.contains(SYSRQ_MARK) {
            detail.push_str(&format!(", {SYSRQ_MARK}"));
        }
        g.detail = Some(detail.trim_start_matches(", ").to_string());
    }

    fn start_trace(&mut self, e: &LogEntry, i: usize) {
        let claimed = matches!(&self.trace.report, Some((_, at)) if i - at <= HEADER_REACH);
        if !claimed {
            self.flush_report();
            self.trace.bare = Some((e.time, evidence_line(e)));
        }
        self.trace.in_trace = true;
        self.trace.frames = 0;
    }

    fn frame(&mut self, func: &str, module: Option<&str>, unsure: bool, e: &LogEntry) {
        self.trace.frames += 1;
        if unsure || self.trace.frames > MAX_FRAMES {
            return;
        }
        if func == "moom_callback" {
            if let Some(o) = self.trace.oom.as_mut() {
                o.sysrq = true;
            }
        }
        if let Some((time, line)) = self.trace.bare.take() {
            if MACHINERY.contains(&func) {
                self.trace.bare = Some((time, line));
                return;
            }
            let now = self.seen.saturating_sub(1);
            let detail = self
                .trace
                .comm
                .as_ref()
                .filter(|(_, _, at)| now - at <= HEADER_REACH)
                .map(|(c, p, _)| format!("{c}, pid {p}"));
            let gi = self.record("kernel_call_trace", hit(func.into(), detail), time, line);
            let g = &mut self.groups[gi];
            g.evidence.push(evidence_line(e));
            return;
        }
        match self.trace.report.as_mut() {
            Some((Report::Hung { group, first, done }, _)) if !*done => {
                let group = *group;
                if let Some(s) = subsystem(func, module) {
                    *done = true;
                    self.waits_in(group, &format!("{s}: {func}"));
                } else if first.is_none() && !SLEEPING.contains(&func) {
                    *first = Some(func.to_string());
                }
            }
            Some((Report::Unnamed { .. }, _)) if !MACHINERY.contains(&func) => {
                self.name_unnamed(func, e);
            }
            _ => {}
        }
    }

    fn waits_in(&mut self, group: usize, place: &str) {
        let g = &mut self.groups[group];
        let d = g.detail.take().unwrap_or_default();
        let d = match d.find(", waiting in ") {
            Some(at) => d[..at].to_string(),
            None => d,
        };
        g.detail = Some(
            format!("{d}, waiting in {place}")
                .trim_start_matches(", ")
                .to_string(),
        );
    }

    /// A `WARNING:`/`BUG:` header learns its function: count it now.
    fn name_unnamed(&mut self, func: &str, e: &LogEntry) {
        let Some((Report::Unnamed { .. }, at)) = &self.trace.report else {
            return;
        };
        let at = *at;
        let Some((
            Report::Unnamed {
                id,
                what,
                time,
                line,
            },
            _,
        )) = self.trace.report.take()
        else {
            return;
        };
        let gi = self.record(id, hit(func.to_string(), Some(what)), time, line);
        self.groups[gi].evidence.push(evidence_line(e));
        self.trace.report = Some((Report::Claimed, at));
    }

    fn end_trace(&mut self) {
        self.trace.in_trace = false;
        self.trace.bare = None;
        match self.trace.report.take() {
            Some((Report::Hung { group, first, done }, _)) => {
                if let (false, Some(f)) = (done, first) {
                    self.waits_in(group, &f);
                }
            }
            Some((
                Report::Unnamed {
                    id,
                    what,
                    time,
                    line,
                },
                _,
            )) => {
                self.record(id, hit(String::new(), Some(what)), time, line);
            }
            _ => {}
        }
    }

    /// Ends the report in progress; a header whose function never showed is counted by
    /// what it said.
    pub(super) fn flush_report(&mut self) {
        if self.trace.in_trace {
            self.end_trace();
        }
        if let Some((
            Report::Unnamed {
                id,
                what,
                time,
                line,
            },
            _,
        )) = self.trace.report.take()
        {
            self.record(id, hit(String::new(), Some(what)), time, line);
        }
    }
}

/// Lines inside a call trace that are not frames: context markers, registers, code bytes.
/// [`IP_LINE`], run only on lines starting with one of its literal prefixes.
fn ip_line(msg: &str) -> Option<regex::Captures<'_>> {
    ["RIP: ", "pc : ", "NIP [", "EIP: "]
        .iter()
        .any(|p| msg.starts_with(p))
        .then(|| IP_LINE.captures(msg))
        .flatten()
}

fn is_trace_filler(msg: &str) -> bool {
    msg.starts_with('<')
        || msg.starts_with("RIP:")
        || msg.starts_with("RSP:")
        || msg.starts_with("RAX:")
        || msg.starts_with("RDX:")
        || msg.starts_with("RBP:")
        || msg.starts_with("R10:")
        || msg.starts_with("R13:")
        || msg.starts_with("Code:")
        || msg.starts_with("? ")
        || msg.starts_with("pc : ")
        || msg.starts_with("lr : ")
}

#[cfg(test)]
#[path = "traces_tests.rs"]
mod tests;
