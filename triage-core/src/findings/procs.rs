//! Rules over the process table: zombies, D state, crash loops (the E of the USE method
//! for processes).

use std::collections::BTreeMap;

use super::thresholds as t;
use super::{finding, label, short_name, with_process, Context};
use crate::snapshot::{Finding, Process, Severity, Snapshot};

/// Processes in kernel state `state` (`"D"`, `"Z"`…).
pub(crate) fn in_state<'a>(s: &'a Snapshot, state: &str) -> Vec<&'a Process> {
    s.processes
        .iter()
        .flatten()
        .filter(|p| p.state == state)
        .collect()
}

fn by_pid(s: &Snapshot, pid: i32) -> Option<&Process> {
    s.processes.as_ref()?.iter().find(|p| p.pid == pid)
}

fn count_grade(n: usize, warning: usize, critical: usize) -> Option<Severity> {
    if n >= critical {
        Some(Severity::Critical)
    } else if n >= warning {
        Some(Severity::Warning)
    } else {
        None
    }
}

/// `zombie_processes`: any zombie. One finding for all of them, naming the parents that
/// do not reap (most zombies first).
pub fn zombie_processes(s: &Snapshot, _: &Context) -> Option<Finding> {
    let zombies = in_state(s, "Z");
    let sev = count_grade(zombies.len(), t::ZOMBIES_WARNING, t::ZOMBIES_CRITICAL)?;
    let mut parents: BTreeMap<i32, Vec<&Process>> = BTreeMap::new();
    for z in &zombies {
        parents.entry(z.ppid).or_default().push(z);
    }
    let mut parents: Vec<(i32, Vec<&Process>)> = parents.into_iter().collect();
    parents.sort_by_key(|(ppid, kids)| (std::cmp::Reverse(kids.len()), *ppid));
    let parent_label = |ppid: i32| match by_pid(s, ppid) {
        Some(p) => label(p),
        None => format!("pid {ppid}"),
    };
    let mut evidence = Vec::new();
    for (ppid, kids) in parents.iter().take(t::MAX_NAMED) {
        let parent = by_pid(s, *ppid);
        evidence.push(format!(
            "{} zombie(s) {} are children of {}{} (ps -o pid,ppid,stat,comm --ppid {ppid})",
            kids.len(),
            kids.iter()
                .take(t::MAX_NAMED)
                .map(|k| label(k))
                .collect::<Vec<_>>()
                .join(", "),
            parent_label(*ppid),
            parent
                .map(|p| format!(": {}", super::cut(&p.command, super::COMMAND_CHARS)))
                .unwrap_or_default()
        ));
    }
    if parents.len() > t::MAX_NAMED {
        evidence.push(format!(
            "… and {} more parent(s)",
            parents.len() - t::MAX_NAMED
        ));
    }
    evidence.push(
        "a zombie is freed when its parent calls wait(); restarting the parent hands them to init"
            .into(),
    );
    let (top_ppid, _) = parents.first()?;
    let title = if parents.len() == 1 {
        format!(
            "{} zombie process(es) — parent {} does not reap them",
            zombies.len(),
            parent_label(*top_ppid)
        )
    } else {
        format!(
            "{} zombie process(es) under {} parents — most under {}",
            zombies.len(),
            parents.len(),
            parent_label(*top_ppid)
        )
    };
    let f = finding("zombie_processes", sev, title, evidence);
    Some(match by_pid(s, *top_ppid) {
        Some(p) => with_process(f, p),
        None => f.var("pid", top_ppid),
    })
}

/// `uninterruptible_processes`: processes in D state, named (usually waiting on storage
/// or NFS; they add to the load and cannot be killed).
pub fn uninterruptible_processes(s: &Snapshot, _: &Context) -> Option<Finding> {
    // In D state at both samples of the snapshot (or in the only sample of a saved tree):
    // one disk read in flight at one instant is normal, not stuck.
    let d: Vec<&Process> = in_state(s, "D")
        .into_iter()
        .filter(|p| p.previous_state.as_deref().is_none_or(|st| st == "D"))
        .collect();
    let sev = count_grade(d.len(), t::D_STATE_WARNING, t::D_STATE_CRITICAL)?;
    let names: Vec<String> = d.iter().take(t::MAX_NAMED).map(|p| label(p)).collect();
    let more = d.len().saturating_sub(t::MAX_NAMED);
    let mut evidence: Vec<String> = d
        .iter()
        .take(t::MAX_NAMED)
        .map(|p| {
            format!(
                "{} state D, user {}, command {} (cat /proc/{}/wchan; cat /proc/{}/stack as root)",
                label(p),
                p.user.as_deref().unwrap_or("?"),
                super::cut(&p.command, super::COMMAND_CHARS),
                p.pid,
                p.pid
            )
        })
        .collect();
    if more > 0 {
        evidence.push(format!(
            "… and {more} more (ps -eo pid,state,wchan:32,comm | awk '$2==\"D\"')"
        ));
    }
    evidence
        .push("blocked tasks in the kernel log: dmesg | grep -i 'blocked for more than'".into());
    let first = d.first().copied()?;
    Some(with_process(
        finding(
            "uninterruptible_processes",
            sev,
            format!(
                "{} process(es) stuck in D state: {}{}",
                d.len(),
                names.join(", "),
                if more > 0 { " …" } else { "" }
            ),
            evidence,
        ),
        first,
    ))
}

/// `process_restarting`: several young processes of the same command — what is visible of
/// a crash loop or a respawning worker (only survivors show, so counts are a lower bound).
/// Info: a deploy or a batch job looks the same.
pub(crate) fn process_restarting(s: &Snapshot, _: &Context) -> Option<Finding> {
    if s.host
        .as_ref()
        .is_some_and(|h| h.uptime_seconds < t::RESTART_MIN_UPTIME_SECONDS)
    {
        return None;
    }
    let now = s.collected_at;
    let is_young = |p: &Process| {
        p.started_at
            .is_some_and(|t0| (0..=t::RESTART_WINDOW_SECONDS).contains(&(now - t0).num_seconds()))
    };
    let pids: std::collections::HashMap<i32, &Process> =
        s.processes.iter().flatten().map(|p| (p.pid, p)).collect();
    let mut young: BTreeMap<String, Vec<&Process>> = BTreeMap::new();
    for p in s.processes.iter().flatten() {
        // Respawned by a long-lived supervisor (systemd, supervisord, a master process);
        // children of young parents are a build or a script at work.
        let parent_young = pids.get(&p.ppid).is_some_and(|q| is_young(q));
        if p.command.starts_with('[') || p.state == "Z" || !is_young(p) || parent_young {
            continue;
        }
        young.entry(short_name(p)).or_default().push(p);
    }
    let mut groups: Vec<(String, Vec<&Process>)> = young
        .into_iter()
        .filter(|(_, v)| v.len() >= t::RESTARTS_WARNING)
        .collect();
    groups.sort_by_key(|(name, v)| (std::cmp::Reverse(v.len()), name.clone()));
    let (name, procs) = groups.first()?;
    let mut evidence: Vec<String> = groups
        .iter()
        .take(t::MAX_NAMED)
        .map(|(name, v)| {
            format!(
                "{} `{name}` process(es) started in the last {} min: pids {} (ps -o pid,lstart,cmd -C {name})",
                v.len(),
                t::RESTART_WINDOW_SECONDS / 60,
                v.iter()
                    .take(10)
                    .map(|p| p.pid.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    evidence.push(
        "a service restarting shows in: systemctl status; journalctl -u UNIT --since -15min".into(),
    );
    Some(
        finding(
            "process_restarting",
            Severity::Info,
            format!(
                "{} `{name}` processes started in the last {} min — restarting?",
                procs.len(),
                t::RESTART_WINDOW_SECONDS / 60
            ),
            evidence,
        )
        .var("process", name),
    )
}
