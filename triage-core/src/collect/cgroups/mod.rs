//! `cgroups`: the control groups that hold processes or carry limits, with how close each
//! runs to its limits — CPU throttling, memory against `memory.max`/`memory.high`, OOM
//! kills, tasks against `pids.max` — named by systemd unit, container and pod.
//!
//! Reads cgroup v2 (the unified hierarchy at `/sys/fs/cgroup`, kernel
//! `Documentation/admin-guide/cgroup-v2.rst`) and the v1 `cpu`, `cpuacct`, `memory` and
//! `pids` hierarchies (`Documentation/admin-guide/cgroup-v1/`), which RHEL 7/8 and older
//! distributions still run; a hybrid host's `unified/` is read too when it holds one of
//! those controllers. The layout is found by probing files, not `/proc/mounts`, so a
//! fixture or an unpacked sosreport (which captures `sys/fs/cgroup` partly) works the
//! same way. CPU counters are sampled twice, one sampling interval apart, like the
//! process CPU; the other files are read once, between the two samples.

pub mod naming;
pub mod parse;
mod read;
pub mod sample;

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::Ctx;
use crate::error::{Error, Result};
use crate::host_root::HostRoot;
use crate::snapshot::{Cgroup, MAX_CGROUPS};

pub use naming::Namer;
pub use parse::{proc_cgroup, ProcCgroups};

/// Walk no deeper than this. A Kubernetes container is at depth 4
/// (`kubepods.slice/kubepods-burstable.slice/…pod….slice/cri-containerd-….scope`), a
/// unit inside an LXD container at 3–4; deeper levels are a container's own nesting,
/// whose figures its parent already sums.
pub(crate) const MAX_DEPTH: usize = 8;
/// Cgroup directories read per hierarchy, shallowest first. A busy Kubernetes node
/// (110 pods × 2–3 cgroups + ~150 system units) has ~600; a sosreport's `sys/fs/cgroup`
/// can hold tens of thousands of files, and every cgroup costs ~10 reads.
pub(crate) const MAX_DIRS: usize = 2_000;

/// A controller's files: which hierarchy directory they are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Ctl {
    /// The unified hierarchy (every controller in one directory).
    V2,
    /// v1 `cpu` (maybe co-mounted with `cpuacct`).
    Cpu,
    /// v1 `cpuacct`, when mounted apart from `cpu`.
    Cpuacct,
    /// v1 `memory`.
    Memory,
    /// v1 `pids`.
    Pids,
}

/// One mounted hierarchy: its controller and its directory under the root.
#[derive(Debug, Clone)]
pub(crate) struct Hierarchy {
    pub ctl: Ctl,
    /// Root-relative (`sys/fs/cgroup/memory`).
    pub rel: String,
}

/// The hierarchies under `root`'s `sys/fs/cgroup`, found by probing files.
pub(crate) fn layout(root: &HostRoot) -> Vec<Hierarchy> {
    let base = "sys/fs/cgroup";
    if root.exists(format!("{base}/cgroup.controllers")) {
        return vec![Hierarchy {
            ctl: Ctl::V2,
            rel: base.into(),
        }];
    }
    let mut out = Vec::new();
    // A hybrid host's unified hierarchy usually holds no controller; read it only when
    // it holds one of ours.
    let unified = format!("{base}/unified");
    if let Ok(c) = root.read_string(format!("{unified}/cgroup.controllers")) {
        if c.split_whitespace()
            .any(|w| matches!(w, "cpu" | "memory" | "pids"))
        {
            out.push(Hierarchy {
                ctl: Ctl::V2,
                rel: unified,
            });
        }
    }
    let first = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("{base}/{n}"))
            .find(|rel| HostRoot::is_dir(&root.path(rel)))
    };
    let cpu = first(&["cpu", "cpu,cpuacct", "cpuacct,cpu"]);
    let acct = first(&["cpuacct", "cpu,cpuacct", "cpuacct,cpu"]);
    // Resolved inside a `--root` tree (a `cpu → cpu,cpuacct` link there must not be
    // followed the host's way); on the live host, `contained` leaves links as they are.
    let canon = |rel: &Option<String>| {
        rel.as_ref().and_then(|r| {
            let p = root.path(r);
            if root.is_live() {
                p.canonicalize().ok()
            } else {
                HostRoot::contained(&p).ok()
            }
        })
    };
    let mut add = |ctl, rel: Option<String>| {
        if let Some(rel) = rel {
            out.push(Hierarchy { ctl, rel });
        }
    };
    // Co-mounted cpu,cpuacct (one directory, or symlinks to one) is walked once, as cpu.
    let separate_acct = canon(&acct) != canon(&cpu);
    add(Ctl::Cpu, cpu);
    if separate_acct {
        add(Ctl::Cpuacct, acct);
    }
    add(Ctl::Memory, first(&["memory"]));
    add(Ctl::Pids, first(&["pids"]));
    out
}

/// Every cgroup directory of `h`, as paths inside the hierarchy (`/`, `/a`, `/a/b`),
/// breadth first: when a cap ([`MAX_DIRS`], [`MAX_DEPTH`]) stops the walk, what is left
/// out is the deepest, and a problem names the cap.
fn walk(
    root: &HostRoot,
    h: &Hierarchy,
    problems: &mut Vec<String>,
    capped: &mut Vec<String>,
) -> Vec<String> {
    let top = root.path(&h.rel);
    let mut out = vec!["/".to_string()];
    let mut queue: VecDeque<(PathBuf, String, usize)> = VecDeque::from([(top, String::new(), 0)]);
    let mut too_deep = 0usize;
    while let Some((dir, rel, depth)) = queue.pop_front() {
        let entries = match HostRoot::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        for entry in entries.flatten() {
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if depth + 1 > MAX_DEPTH {
                too_deep += 1;
                continue;
            }
            if out.len() >= MAX_DIRS {
                capped.push(format!(
                    "{}: more than {MAX_DIRS} cgroups (the cap); the deepest were not read",
                    root.path(&h.rel).display()
                ));
                return out;
            }
            let child = format!("{rel}/{name}");
            out.push(child.clone());
            queue.push_back((entry.path(), child, depth + 1));
        }
    }
    if too_deep > 0 {
        capped.push(format!(
            "{}: {too_deep} cgroup(s) deeper than {MAX_DEPTH} levels (the cap) not read",
            root.path(&h.rel).display()
        ));
    }
    out
}

/// Collect the cgroups section: worst first, at most [`MAX_CGROUPS`].
pub fn collect(ctx: &Ctx) -> Result<Vec<Cgroup>> {
    // The sampling interval runs from here, like the snapshot's: the walk and the reads of
    // the first sample happen inside it instead of adding to the snapshot.
    let started = Instant::now();
    let root = &ctx.root;
    let hierarchies = layout(root);
    if hierarchies.is_empty() {
        return Err(Error::Unavailable(format!(
            "no cgroup hierarchy with cpu, memory or pids under {} (not mounted, or the capture left it out)",
            root.path("sys/fs/cgroup").display()
        )));
    }
    let mut problems = Vec::new();
    let mut capped = Vec::new();
    // path -> the hierarchies it exists in.
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, h) in hierarchies.iter().enumerate() {
        for path in walk(root, h, &mut problems, &mut capped) {
            groups.entry(path).or_default().push(i);
        }
    }
    for c in capped {
        ctx.warn(c);
    }
    let live = root.is_live() && ctx.opts.sample_interval > Duration::ZERO;
    let reader = read::Reader::new(root, &hierarchies);
    let t0 = Instant::now();
    let first: Vec<_> = groups
        .iter()
        .map(|(path, hs)| reader.cpu_counters(path, hs))
        .collect();
    let mut namer = Namer::new(root);
    let mut rest: Vec<_> = groups
        .iter()
        .map(|(path, hs)| reader.rest(path, hs, &mut namer))
        .collect();
    // Only the cgroups that will be listed need the second sample: `/` and those with no
    // processes, limits or OOM kills are dropped anyway.
    let keep: Vec<bool> = groups
        .keys()
        .zip(&rest)
        .map(|(path, cg)| path != "/" && cg.as_ref().is_some_and(worth_keeping))
        .collect();
    let (second, seconds) = if live {
        // At least half an interval between the samples even when the walk was slow.
        let end = (started + ctx.opts.sample_interval).max(t0 + ctx.opts.sample_interval / 2);
        std::thread::sleep(end.saturating_duration_since(Instant::now()));
        let t1 = Instant::now();
        let second: Vec<_> = groups
            .iter()
            .zip(&keep)
            .map(|((path, hs), &k)| k.then(|| reader.cpu_counters(path, hs)))
            .collect();
        (second, Some((t1 - t0).as_secs_f64()))
    } else {
        (first.iter().cloned().map(Some).collect(), None)
    };
    let mut out: Vec<Cgroup> = Vec::new();
    for ((a, b), (partial, k)) in first.iter().zip(&second).zip(rest.iter_mut().zip(&keep)) {
        let (Some(mut cg), Some(b), true) = (partial.take(), b.as_ref(), *k) else {
            continue;
        };
        cg.cpu = parse::cpu_figures(a, b, seconds, cg.cpu.quota_cores);
        out.push(cg);
    }
    out.sort_by(|a, b| {
        badness(b)
            .total_cmp(&badness(a))
            .then(
                b.cpu
                    .usage_percent
                    .unwrap_or(0.0)
                    .total_cmp(&a.cpu.usage_percent.unwrap_or(0.0)),
            )
            .then(b.memory.current_bytes.cmp(&a.memory.current_bytes))
            .then(a.path.cmp(&b.path))
    });
    out.truncate(MAX_CGROUPS);
    problems.extend(reader.take_problems());
    if let Some(first) = problems.first() {
        ctx.warn(format!(
            "{} cgroup file(s) unreadable or malformed, first: {first}",
            problems.len()
        ));
    }
    let denied = reader.denied() + namer.denied.len();
    if denied > 0 {
        ctx.warn(format!(
            "{denied} cgroup or container file(s) need root (run as root to see every cgroup's figures and Docker container names)"
        ));
    }
    Ok(out)
}

/// A cgroup is listed when it holds processes, has a limit, or saw an OOM kill.
fn worth_keeping(c: &Cgroup) -> bool {
    c.processes > 0
        || c.cpu.quota_cores.is_some()
        || c.memory.max_bytes.is_some()
        || c.memory.high_bytes.is_some()
        || c.pids.max.is_some()
        || c.memory.oom_kills.unwrap_or(0) > 0
}

/// How close a cgroup runs to its limits, for "worst first": an OOM kill outranks
/// everything; then the larger of throttled share and memory or tasks against their
/// limits, in percent.
pub fn badness(c: &Cgroup) -> f64 {
    let ratio = |cur: Option<u64>, max: Option<u64>| match (cur, max) {
        (Some(c), Some(m)) if m > 0 => c as f64 / m as f64 * 100.0,
        _ => 0.0,
    };
    let oom: f64 = if c.memory.oom_kills.unwrap_or(0) > 0 {
        200.0
    } else {
        0.0
    };
    let limit = c.memory.max_bytes.or(c.memory.high_bytes);
    oom.max(c.cpu.throttled_percent.unwrap_or(0.0))
        .max(ratio(c.memory.current_bytes, limit))
        .max(ratio(c.pids.current, c.pids.max))
}

#[cfg(test)]
mod containment_tests {
    use super::*;

    /// A tree whose `sys/fs/cgroup/memory` is a link to a directory outside it: the
    /// hierarchy is not taken (it would be the analyst's, or anything), while the `cpu`
    /// hierarchy inside the tree is, and a `cpuacct → cpu` link inside counts as co-mounted.
    #[test]
    fn hierarchies_linked_out_of_the_tree_are_not_walked() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("cgroup.procs"), "1\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("sys/fs/cgroup");
        std::fs::create_dir_all(base.join("cpu")).unwrap();
        std::fs::write(base.join("cpu/cgroup.procs"), "1\n").unwrap();
        std::os::unix::fs::symlink("cpu", base.join("cpuacct")).unwrap();
        std::os::unix::fs::symlink(outside.path(), base.join("memory")).unwrap();
        let root = HostRoot::new(dir.path()).unwrap();
        let ctls: Vec<Ctl> = layout(&root).iter().map(|h| h.ctl).collect();
        assert_eq!(ctls, vec![Ctl::Cpu], "{ctls:?}");
    }
}
