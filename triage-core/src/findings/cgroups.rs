//! Rules over the `cgroups` section: a container or service held back by its own limits
//! while the host may look idle — CPU quota throttling, memory at its limit, OOM kills
//! inside a memory cgroup (from `memory.events`, `memory.oom_control`, and the kernel's
//! `oom-kill:constraint=CONSTRAINT_MEMCG,…,oom_memcg=PATH` line).
//!
//! Titles name the pod/container/unit first, then the cgroup. A parent and its child
//! hitting the same limit (a pod and its one container) give one finding, the child's.

use super::thresholds as t;
use super::{finding, label, Context};
use crate::fmt::bytes as human_bytes;
use crate::snapshot::{Cgroup, Finding, Severity, Snapshot};

fn cgroups(s: &Snapshot) -> &[Cgroup] {
    s.cgroups.as_deref().unwrap_or_default()
}

/// The last path component with 64-hex ids cut to 12: `cri-containerd-9d3b1f6e2c4a….scope`.
pub fn short_path(path: &str) -> String {
    let last = path.rsplit('/').find(|p| !p.is_empty()).unwrap_or(path);
    let mut out = String::new();
    let mut run = String::new();
    for ch in last.chars().chain(std::iter::once('/')) {
        if ch.is_ascii_hexdigit() {
            run.push(ch);
            continue;
        }
        if run.len() >= 32 {
            out.push_str(&run[..12]);
            out.push('…');
        } else {
            out.push_str(&run);
        }
        run.clear();
        if ch != '/' {
            out.push(ch);
        }
    }
    out
}

/// `pod shop/web container nginx (cgroup cri-containerd-9d3b….scope)`.
fn who(c: &Cgroup) -> String {
    let l = c.label();
    let short = short_path(&c.path);
    if l.starts_with("cgroup ")
        || c.unit.as_deref() == Some(short.as_str()) && c.container.is_none()
    {
        l
    } else {
        format!("{l} (cgroup {})", short_path(&c.path))
    }
}

/// Keep only the deepest of nested qualifying cgroups.
fn deepest(hits: Vec<&Cgroup>) -> Vec<&Cgroup> {
    hits.iter()
        .copied()
        .filter(|c| {
            !hits.iter().any(|d| {
                d.path.len() > c.path.len()
                    && d.path
                        .starts_with(&format!("{}/", c.path.trim_end_matches('/')))
            })
        })
        .collect()
}

/// The runbook variables of a cgroup: where its files are, and who it is.
fn with_cgroup(mut f: Finding, s: &Snapshot, c: &Cgroup) -> Finding {
    f = f.var("cgroup", &c.path);
    if let Some(d) = c
        .dir_for("memory")
        .or(c.dir_for("cpu"))
        .or(c.dirs.first().map(String::as_str))
    {
        f = f.var("cgroup_dir", d);
    }
    if let Some(u) = &c.unit {
        f = f.var("unit", u);
    }
    if let Some(k) = &c.container {
        f = f.var("runtime", &k.runtime);
        if !k.id.is_empty() {
            f = f.var("container_id", &k.id);
        }
        if let Some(n) = &k.name {
            f = f.var("container", n);
        }
        if let Some(p) = &k.pod {
            f = f.var("pod", p);
        }
        if let Some(n) = &k.namespace {
            f = f.var("namespace", n);
        }
    }
    if let Some(p) = top_process(s, c) {
        f = f.var("pid", p.pid).var("process", super::short_name(p));
    }
    f
}

fn top_process<'a>(s: &'a Snapshot, c: &Cgroup) -> Option<&'a crate::snapshot::Process> {
    s.processes
        .as_ref()?
        .iter()
        .filter(|p| p.cgroup.as_deref() == Some(c.path.as_str()))
        .max_by(|a, b| {
            a.cpu_percent
                .total_cmp(&b.cpu_percent)
                .then(a.rss_bytes.cmp(&b.rss_bytes))
        })
}

fn process_line(s: &Snapshot, c: &Cgroup) -> Option<String> {
    let p = top_process(s, c)?;
    Some(format!(
        "busiest process in it: {} at {:.0}% CPU, {} resident — {}",
        label(p),
        p.cpu_percent,
        human_bytes(p.rss_bytes),
        super::cut(&p.command, super::COMMAND_CHARS)
    ))
}

fn file(c: &Cgroup, controller: &str, name: &str) -> String {
    match c.dir_for(controller) {
        Some(d) => format!("{d}/{name}"),
        None => name.to_string(),
    }
}

/// `cgroup_cpu_throttled`: a cgroup with a CPU quota throttled in a large share of its
/// enforcement periods — during the sampling interval on a live host (and using most of
/// its quota), over its lifetime on a saved tree.
pub fn cgroup_cpu_throttled(s: &Snapshot, _c: &Context) -> Vec<Finding> {
    let hits: Vec<&Cgroup> = cgroups(s)
        .iter()
        .filter(|c| {
            let (Some(q), Some(tp)) = (c.cpu.quota_cores, c.cpu.throttled_percent) else {
                return false;
            };
            let used_enough = c
                .cpu
                .usage_percent
                .is_none_or(|u| u / (q * 100.0) * 100.0 >= t::CGROUP_QUOTA_USED_FLOOR);
            tp >= t::CGROUP_THROTTLED_WARNING && used_enough
        })
        .collect();
    deepest(hits)
        .into_iter()
        .map(|c| {
            let q = c.cpu.quota_cores.unwrap_or_default();
            let tp = c.cpu.throttled_percent.unwrap_or_default();
            let sev = if tp >= t::CGROUP_THROTTLED_CRITICAL {
                Severity::Critical
            } else {
                Severity::Warning
            };
            let window = if c.cpu.usage_percent.is_some() {
                "during the sampling interval"
            } else {
                "since the cgroup was created (a saved tree: no second sample)"
            };
            let stat = file(c, "cpu", "cpu.stat");
            let mut ev = vec![format!(
                "throttled in {tp:.0}% of its CFS periods {window}; {} of {} periods and {:.1} s throttled in all (cat {stat}: nr_throttled, nr_periods)",
                c.cpu.throttled_periods.unwrap_or(0),
                c.cpu.periods.unwrap_or(0),
                c.cpu.throttled_seconds.unwrap_or(0.0),
            )];
            let quota_file = if c.version == 2 {
                file(c, "cpu", "cpu.max")
            } else {
                format!("{} {}", file(c, "cpu", "cpu.cfs_quota_us"), file(c, "cpu", "cpu.cfs_period_us"))
            };
            ev.push(match c.cpu.usage_percent {
                Some(u) => format!("quota {q} CPU; using {:.2} CPU now (cat {quota_file})", u / 100.0),
                None => format!("quota {q} CPU (cat {quota_file})"),
            });
            if let Some(p) = c.pressure.as_ref().and_then(|p| p.cpu.as_ref()) {
                ev.push(format!(
                    "its tasks waited for CPU {:.1}% of the last 10 s (cat {})",
                    p.some_avg10,
                    file(c, "cpu", "cpu.pressure")
                ));
            }
            ev.extend(process_line(s, c));
            let title = format!(
                "{} throttled {tp:.0}% of periods (quota {q} CPU)",
                who(c)
            );
            with_cgroup(finding("cgroup_cpu_throttled", sev, title, ev), s, c)
        })
        .collect()
}

/// `cgroup_memory_near_limit`: memory at 90% of the cgroup's hard limit or more, or above
/// its `memory.high`; critical when its own memory PSI shows the tasks stalling.
pub fn cgroup_memory_near_limit(s: &Snapshot, _c: &Context) -> Vec<Finding> {
    let ratio = |c: &Cgroup| match (c.memory.current_bytes, c.memory.max_bytes) {
        (Some(cur), Some(max)) if max > 0 => Some(cur as f64 / max as f64 * 100.0),
        _ => None,
    };
    let above_high = |c: &Cgroup| matches!((c.memory.current_bytes, c.memory.high_bytes), (Some(cur), Some(h)) if cur >= h);
    let hits: Vec<&Cgroup> = cgroups(s)
        .iter()
        .filter(|c| ratio(c).is_some_and(|r| r >= t::CGROUP_MEMORY_WARNING) || above_high(c))
        .collect();
    deepest(hits)
        .into_iter()
        .map(|c| {
            let cur = c.memory.current_bytes.unwrap_or(0);
            let psi = c.pressure.as_ref().and_then(|p| p.memory.as_ref());
            let stalled = psi.is_some_and(|p| p.some_avg10 >= t::CGROUP_MEMORY_PSI_CRITICAL);
            let sev = if stalled { Severity::Critical } else { Severity::Warning };
            let current = if c.version == 2 { "memory.current" } else { "memory.usage_in_bytes" };
            let limit = if c.version == 2 { "memory.max" } else { "memory.limit_in_bytes" };
            let mut ev = Vec::new();
            let title = match (ratio(c), c.memory.max_bytes) {
                (Some(r), Some(max)) => {
                    ev.push(format!(
                        "{} of {} used ({r:.1}%; page cache included) (cat {} {})",
                        human_bytes(cur),
                        human_bytes(max),
                        file(c, "memory", current),
                        file(c, "memory", limit)
                    ));
                    format!("{} at {r:.0}% of its {} memory limit", who(c), human_bytes(max))
                }
                _ => format!(
                    "{} above its memory.high {} (reclaim-throttled)",
                    who(c),
                    human_bytes(c.memory.high_bytes.unwrap_or(0))
                ),
            };
            if let Some(h) = c.memory.high_bytes {
                ev.push(format!(
                    "memory.high {} — above it the kernel throttles and reclaims (cat {})",
                    human_bytes(h),
                    file(c, "memory", "memory.high")
                ));
            }
            match psi {
                Some(p) => ev.push(format!(
                    "its tasks stalled on memory {:.1}% of the last 10 s (cat {})",
                    p.some_avg10,
                    file(c, "memory", "memory.pressure")
                )),
                None if c.version == 1 => ev.push(
                    "cgroup v1: no per-cgroup PSI; check the page cache share in memory.stat (cache vs rss)".to_string(),
                ),
                None => {}
            }
            if let Some(sw) = c.memory.swap_current_bytes.filter(|b| *b > 0) {
                ev.push(format!("{} swapped out", human_bytes(sw)));
            }
            ev.extend(process_line(s, c));
            with_cgroup(finding("cgroup_memory_near_limit", sev, title, ev), s, c)
        })
        .collect()
}

/// A kernel memcg OOM record: `oom-kill:constraint=CONSTRAINT_MEMCG,…,oom_memcg=PATH,
/// task_memcg=…,task=NAME,pid=N,uid=U` (mm/oom_kill.c `dump_oom_summary`).
struct MemcgOom {
    memcg: String,
    task: String,
    pid: String,
    line: String,
}

fn memcg_ooms(s: &Snapshot) -> Vec<MemcgOom> {
    // The kernel log facts cover the whole ring buffer (their first and last lines); the
    // tail kept in the snapshot has the latest records in full.
    let from_facts = s
        .facts
        .log_events
        .iter()
        .filter(|e| e.id == "oom_kill")
        .flat_map(|e| e.lines.iter().map(String::as_str));
    let tail: Vec<String> = s
        .kernel_log
        .iter()
        .flatten()
        .map(|e| {
            let time = e
                .time
                .map(|t| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string())
                .unwrap_or_else(|| "-".into());
            format!("{time} {}", e.message)
        })
        .collect();
    let mut out: Vec<MemcgOom> = Vec::new();
    for line in from_facts.map(str::to_string).chain(tail) {
        let Some(at) = line.find("oom-kill:constraint=CONSTRAINT_MEMCG") else {
            continue;
        };
        let rest = &line[at..];
        let get = |key: &str| {
            rest.split(',')
                .find_map(|kv| kv.strip_prefix(key))
                .map(|v| v.trim().to_string())
        };
        let (Some(memcg), task, pid) = (
            get("oom_memcg="),
            get("task=").unwrap_or_else(|| "?".into()),
            get("pid=").unwrap_or_else(|| "?".into()),
        ) else {
            continue;
        };
        if out.iter().any(|o| o.memcg == memcg && o.pid == pid) {
            continue;
        }
        out.push(MemcgOom {
            memcg,
            task,
            pid,
            line,
        });
    }
    out
}

/// `cgroup_oom_kill`: processes OOM-killed inside a memory cgroup, at its limit: its
/// `oom_kill` counter is above zero, or the kernel log has a memcg OOM record for it.
/// Critical when the kernel log shows it (it just happened); a counter alone only says
/// "since the cgroup was created" — a warning.
pub fn cgroup_oom_kill(s: &Snapshot, _c: &Context) -> Vec<Finding> {
    let records = memcg_ooms(s);
    let hits: Vec<&Cgroup> = cgroups(s)
        .iter()
        .filter(|c| {
            c.memory.oom_kills.unwrap_or(0) > 0 || records.iter().any(|r| r.memcg == c.path)
        })
        .collect();
    let hits = deepest(hits);
    let mut out: Vec<Finding> = hits.iter().map(|c| oom_in(s, c, &records)).collect();
    // Records for cgroups not listed (gone since, or beyond the 50 kept): named from the
    // path alone.
    let mut seen: Vec<&str> = Vec::new();
    for r in records.iter().rev() {
        if seen.contains(&r.memcg.as_str())
            || cgroups(s).iter().any(|c| c.path == r.memcg)
            || hits
                .iter()
                .any(|c| c.path.starts_with(&format!("{}/", r.memcg)))
        {
            continue;
        }
        seen.push(&r.memcg);
        out.push(oom_in_unlisted(r));
    }
    out
}

/// The finding for a listed cgroup `c`: its counter, limit, the kernel's records for it.
fn oom_in(s: &Snapshot, c: &Cgroup, records: &[MemcgOom]) -> Finding {
    let kills = c.memory.oom_kills.unwrap_or(0);
    let mine: Vec<&MemcgOom> = records.iter().filter(|r| r.memcg == c.path).collect();
    let sev = if mine.is_empty() {
        Severity::Warning
    } else {
        Severity::Critical
    };
    let counter = if c.version == 2 {
        format!("cat {}: oom_kill", file(c, "memory", "memory.events"))
    } else {
        format!("cat {}: oom_kill", file(c, "memory", "memory.oom_control"))
    };
    let mut ev = vec![format!(
        "{kills} process(es) OOM-killed in it since it was created ({counter}){}",
        if kills == 0 && !mine.is_empty() {
            "; the kernel log below says otherwise: the counter was reset (cgroup re-created) or the kernel has no oom_kill counter"
        } else {
            ""
        }
    )];
    if let Some(max) = c.memory.max_bytes {
        ev.push(format!(
            "limit {}, using {} now",
            human_bytes(max),
            human_bytes(c.memory.current_bytes.unwrap_or(0))
        ));
    }
    ev.extend(mine.iter().map(|r| r.line.clone()));
    ev.extend(process_line(s, c));
    let limit = c
        .memory
        .max_bytes
        .map(|m| format!(" at its {} limit", human_bytes(m)))
        .unwrap_or_default();
    let title = match mine.last() {
        Some(r) => format!("{}: {} (pid {}) OOM-killed{limit}", who(c), r.task, r.pid),
        None => format!("{}: {kills} process(es) OOM-killed{limit}", who(c)),
    };
    with_cgroup(finding("cgroup_oom_kill", sev, title, ev), s, c)
}

/// The finding for a kernel record whose cgroup is not listed, named from its path.
fn oom_in_unlisted(r: &MemcgOom) -> Finding {
    let facts = crate::collect::cgroups::naming::from_path(&r.memcg);
    let name = match (facts.runtime, facts.id.as_deref(), facts.unit.as_deref()) {
        (Some(rt), Some(id), _) if !rt.is_empty() => {
            format!("{rt} {}", &id[..id.len().min(12)])
        }
        (_, _, Some(u)) => format!("unit {u}"),
        _ => format!("cgroup {}", r.memcg),
    };
    let title = format!(
        "{name}: {} (pid {}) OOM-killed at its cgroup's memory limit",
        r.task, r.pid
    );
    let ev = vec![
        r.line.clone(),
        format!(
            "cgroup {} (gone now, or not among the cgroups listed)",
            r.memcg
        ),
    ];
    let mut f = finding("cgroup_oom_kill", Severity::Critical, title, ev).var("cgroup", &r.memcg);
    if let Some(u) = facts.unit {
        f = f.var("unit", u);
    }
    f
}

/// An `oom_kill` event about a kill inside a memory cgroup: the kernel said
/// `constraint=CONSTRAINT_MEMCG`, `Memory cgroup out of memory`, or (v1) `Task in X killed
/// as a result of limit of Y`.
pub(super) fn is_memcg_oom(e: &crate::facts::LogEvent) -> bool {
    e.id == "oom_kill"
        && (e
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("CONSTRAINT_MEMCG") || d.contains("memory cgroup "))
            || e.lines
                .iter()
                .any(|l| l.contains("Memory cgroup out of memory")))
}
