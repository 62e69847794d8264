//! `triage fleet --md`: the fleet view for the incident channel. Long lists are cut (the
//! JSON has everything) so a paste of 5,000 hosts stays readable.

use std::io::{self, Write};

use super::{Fleet, FleetHost};
use crate::fmt::cut;
use crate::sanitize::md_cell as cell;
use crate::snapshot::Severity;

/// Hosts shown in the table; the rest are counted.
const HOST_ROWS: usize = 50;
/// Host names listed in one cell before "+N more".
const NAMES: usize = 8;
/// Shared findings and changes shown.
const SHARED_ROWS: usize = 20;

fn names(list: &[String]) -> String {
    let mut s = list
        .iter()
        .take(NAMES)
        .map(|n| cell(n))
        .collect::<Vec<_>>()
        .join(", ");
    if list.len() > NAMES {
        s.push_str(&format!(" +{} more", list.len() - NAMES));
    }
    s
}

fn worst_word(h: &FleetHost) -> &'static str {
    match (&h.error, h.worst) {
        (Some(_), _) => "unreadable",
        (None, Some(s)) => s.as_str(),
        (None, None) => "ok",
    }
}

/// One line: `12 hosts: 2 critical, 3 warning, 6 ok, 1 unreadable`.
pub fn summary(f: &Fleet) -> String {
    let mut counts = [0usize; 5];
    for h in &f.hosts {
        let i = match (&h.error, h.worst) {
            (Some(_), _) => 4,
            (None, Some(Severity::Critical)) => 0,
            (None, Some(Severity::Warning)) => 1,
            (None, Some(Severity::Info)) => 2,
            (None, None) => 3,
        };
        counts[i] += 1;
    }
    let words = ["critical", "warning", "info", "ok", "unreadable"];
    let parts: Vec<String> = counts
        .iter()
        .zip(words)
        .filter(|(n, _)| **n > 0)
        .map(|(n, w)| format!("{n} {w}"))
        .collect();
    format!("{} hosts: {}", f.hosts.len(), parts.join(", "))
}

/// Write the fleet view as Markdown.
pub fn write(f: &Fleet, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "# triage fleet: {}", summary(f))?;
    writeln!(out)?;
    hosts(f, out)?;
    shared(f, out)?;
    let bad: Vec<&FleetHost> = f.hosts.iter().filter(|h| h.error.is_some()).collect();
    if !bad.is_empty() {
        writeln!(out, "## Could not read\n")?;
        for h in bad.iter().take(HOST_ROWS) {
            let why = h.error.as_deref().unwrap_or("");
            writeln!(out, "- {}: {}", cell(&h.name), cell(&cut(why, 200)))?;
        }
        if bad.len() > HOST_ROWS {
            writeln!(out, "- …and {} more", bad.len() - HOST_ROWS)?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn hosts(f: &Fleet, out: &mut impl Write) -> io::Result<()> {
    let readable: Vec<&FleetHost> = f.hosts.iter().filter(|h| h.error.is_none()).collect();
    if readable.is_empty() {
        return writeln!(out, "No snapshot could be read.\n");
    }
    writeln!(out, "## Hosts, worst first\n")?;
    writeln!(
        out,
        "| host | worst | findings | load/CPU | mem used | top process | collected |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for h in readable.iter().take(HOST_ROWS) {
        let host = match &h.hostname {
            Some(n) if *n != h.name => format!("{} ({})", h.name, n),
            _ => h.name.clone(),
        };
        let findings = if h.findings.is_empty() {
            "—".to_string()
        } else {
            let first = &h.findings[0];
            let more = h.findings.len() - 1;
            let mut s = format!("{}: {}", first.id, cut(&first.title, 80));
            if more > 0 {
                s.push_str(&format!(" (+{more})"));
            }
            s
        };
        let top = h
            .top_process
            .as_ref()
            .map(|p| format!("{} ({}) {:.0}%", p.name, p.pid, p.cpu_percent))
            .unwrap_or_else(|| "—".into());
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&host),
            worst_word(h),
            cell(&findings),
            h.load_per_cpu
                .map(|v| format!("{v:.2}"))
                .unwrap_or("—".into()),
            h.memory_used_percent
                .map(|v| format!("{v:.0}%"))
                .unwrap_or("—".into()),
            cell(&top),
            h.collected_at
                .map(|t| t.format("%m-%d %H:%M").to_string())
                .unwrap_or("—".into()),
        )?;
    }
    if readable.len() > HOST_ROWS {
        writeln!(
            out,
            "\n…and {} more hosts (all of them in `triage fleet --json`).",
            readable.len() - HOST_ROWS
        )?;
    }
    writeln!(out)
}

fn shared(f: &Fleet, out: &mut impl Write) -> io::Result<()> {
    if !f.shared_findings.is_empty() {
        writeln!(out, "## Shared findings\n")?;
        writeln!(out, "| finding | severity | hosts |")?;
        writeln!(out, "|---|---|---|")?;
        for s in f.shared_findings.iter().take(SHARED_ROWS) {
            writeln!(
                out,
                "| {} | {} | {}: {} |",
                cell(&s.id),
                s.severity,
                s.hosts.len(),
                names(&s.hosts)
            )?;
        }
        writeln!(out)?;
    }
    let window = if f.window_seconds.is_multiple_of(3600) {
        format!("{}h", f.window_seconds / 3600)
    } else {
        crate::fmt::duration(f.window_seconds)
    };
    if f.shared_changes.is_empty() {
        return writeln!(
            out,
            "No change is shared by two sick hosts in the {window} before their snapshots.\n"
        );
    }
    writeln!(
        out,
        "## Shared changes (in the {window} before the sick hosts' snapshots)\n"
    )?;
    writeln!(
        out,
        "| kind | change | sick hosts | healthy hosts with it | when |"
    )?;
    writeln!(out, "|---|---|---|---|---|")?;
    for c in f.shared_changes.iter().take(SHARED_ROWS) {
        let when = if c.first_at == c.last_at {
            c.first_at.format("%m-%d %H:%M").to_string()
        } else {
            format!(
                "{} – {}",
                c.first_at.format("%m-%d %H:%M"),
                c.last_at.format("%m-%d %H:%M")
            )
        };
        let healthy = if c.healthy_hosts.is_empty() {
            "none".to_string()
        } else {
            format!("{}: {}", c.healthy_hosts.len(), names(&c.healthy_hosts))
        };
        writeln!(
            out,
            "| {} | {} | {}: {} | {} | {} |",
            cell(&c.kind),
            cell(&cut(&c.summary, 100)),
            c.hosts.len(),
            names(&c.hosts),
            healthy,
            when
        )?;
    }
    writeln!(out)
}
