//! The "Containers and cgroups" section of the Markdown snapshot: the cgroups closest to
//! their limits, each named by pod/container/unit, with the figures a responder checks.

use std::io::{self, Write};

use crate::fmt::{bytes as human_bytes, cut};
use crate::sanitize::md_cell as cell;
use crate::snapshot::{Cgroup, Process, Snapshot};

/// Cgroups shown (the JSON has up to 50).
pub(crate) const ROWS: usize = 15;

/// Who a process runs as: `pod shop/web container nginx`, `docker db`, `nginx.service`.
pub(crate) fn process_owner(p: &Process) -> Option<String> {
    match (&p.container, &p.unit) {
        (Some(c), _) => Some(c.label()),
        (None, Some(u)) => Some(u.clone()),
        (None, None) => None,
    }
}

fn opt_pct(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.0}%")).unwrap_or_else(|| "-".into())
}

fn opt_bytes(v: Option<u64>) -> String {
    v.map(human_bytes).unwrap_or_else(|| "-".into())
}

/// The memory cell: `250.0M (98%)` against the hard limit, else just the use.
pub(crate) fn memory_cell(c: &Cgroup) -> String {
    match (c.memory.current_bytes, c.memory.max_bytes) {
        (Some(cur), Some(max)) if max > 0 => format!(
            "{} ({:.0}%)",
            human_bytes(cur),
            cur as f64 / max as f64 * 100.0
        ),
        (cur, _) => opt_bytes(cur),
    }
}

/// Write the section; says why when there are no cgroups.
pub fn markdown(s: &Snapshot, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "## Containers and cgroups\n")?;
    let Some(cgs) = &s.cgroups else {
        return writeln!(out, "Not collected (see warnings).\n");
    };
    if cgs.is_empty() {
        return writeln!(out, "No cgroup holds processes or has a limit.\n");
    }
    let live = cgs.iter().any(|c| c.cpu.usage_percent.is_some());
    writeln!(
        out,
        "Closest to their limits first. Throttled: share of CPU periods {}.\n",
        if live {
            "throttled during the sampling interval"
        } else {
            "throttled since the cgroup was created (saved tree)"
        }
    )?;
    writeln!(
        out,
        "| who | cgroup | procs | cpu% | quota | throttled | memory | limit | high | OOM kills | tasks |"
    )?;
    writeln!(
        out,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )?;
    for c in cgs.iter().take(ROWS) {
        let who = match (&c.container, &c.unit) {
            (Some(k), _) => k.label(),
            (None, Some(u)) => u.clone(),
            (None, None) => "-".into(),
        };
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&cut(&who, 60)),
            cell(&cut(&crate::findings::short_path(&c.path), 50)),
            c.processes,
            c.cpu
                .usage_percent
                .map(|u| format!("{u:.1}"))
                .unwrap_or_else(|| "-".into()),
            c.cpu
                .quota_cores
                .map(|q| format!("{q} CPU"))
                .unwrap_or_else(|| "-".into()),
            opt_pct(
                c.cpu
                    .throttled_percent
                    .filter(|_| c.cpu.quota_cores.is_some())
            ),
            memory_cell(c),
            opt_bytes(c.memory.max_bytes),
            opt_bytes(c.memory.high_bytes),
            c.memory
                .oom_kills
                .map(|k| k.to_string())
                .unwrap_or_else(|| "-".into()),
            match (c.pids.current, c.pids.max) {
                (Some(cur), Some(max)) => format!("{cur}/{max}"),
                (Some(cur), None) => cur.to_string(),
                _ => "-".into(),
            }
        )?;
    }
    if cgs.len() > ROWS {
        writeln!(out, "\n{} more in the JSON snapshot.", cgs.len() - ROWS)?;
    }
    writeln!(out)
}
