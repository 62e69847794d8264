//! The snapshot as Markdown (`triage snapshot --md`): what a responder pastes into a
//! ticket. One plain function per section; sections that were not collected say so.

use std::io::{self, Write};

use crate::fmt::{bytes as human_bytes, cut, duration as human_duration, percent};
use crate::sanitize::{md_cell, md_code, md_fenced_line, md_inline, md_list_item};
use crate::snapshot::{Process, Snapshot};

/// How many processes each top table shows.
pub(crate) const TOP_PROCESSES: usize = 10;

/// The snapshot as the Markdown report `triage snapshot` prints: host header, findings
/// first (what to act on), then the "Now" figures, recent changes, top processes, cgroups,
/// filesystems, listeners, connections, log tails and collector warnings.
pub fn write(s: &Snapshot, out: &mut impl Write) -> io::Result<()> {
    header(s, out)?;
    findings(s, out)?;
    headline(s, out)?;
    recent_changes(s, out)?;
    top_processes(s, out)?;
    super::cgroups::markdown(s, out)?;
    filesystems(s, out)?;
    listeners(s, out)?;
    connections(s, out)?;
    logs(s, out)?;
    warnings(s, out)?;
    Ok(())
}

/// How many log lines each log section shows (the JSON has them all).
pub(crate) const LOG_LINES: usize = 15;

fn log_time(t: &Option<crate::snapshot::Time>) -> String {
    t.map(|t| t.format("%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "?".into())
}

/// A log line inside a fenced block: a fence in the text must not end the block.
fn fenced(text: &str) -> String {
    md_fenced_line(text)
}

/// Kernel lines at warning level or worse, and the syslog/journal tail, as code blocks
/// (log text is not Markdown).
fn logs(s: &Snapshot, out: &mut impl Write) -> io::Result<()> {
    if let Some(k) = &s.kernel_log {
        let alarming: Vec<_> = k
            .iter()
            .filter(|e| {
                matches!(
                    e.level.as_str(),
                    "emerg" | "alert" | "crit" | "err" | "warning"
                )
            })
            .collect();
        writeln!(out, "## Kernel log (warning and worse, last {LOG_LINES})\n")?;
        if k.is_empty() {
            writeln!(out, "No kernel log records found.\n")?;
        } else if alarming.is_empty() {
            writeln!(
                out,
                "Nothing at warning level or worse in the last {} records.\n",
                k.len()
            )?;
        } else {
            writeln!(out, "```")?;
            for e in alarming.iter().rev().take(LOG_LINES).rev() {
                writeln!(
                    out,
                    "{} {:<7} {}",
                    log_time(&e.time),
                    e.level,
                    fenced(&e.message)
                )?;
            }
            writeln!(out, "```\n")?;
        }
    }
    if let Some(tail) = s.log_tail.as_ref().filter(|t| !t.is_empty()) {
        writeln!(out, "## Log tail (last {LOG_LINES})\n")?;
        writeln!(out, "```")?;
        for e in tail.iter().rev().take(LOG_LINES).rev() {
            let source = e.source.rsplit('/').next().unwrap_or(&e.source);
            writeln!(
                out,
                "{} {source}: {}",
                log_time(&e.time),
                fenced(&e.message)
            )?;
        }
        writeln!(out, "```\n")?;
    }
    Ok(())
}

/// How many recent changes the report lists (the JSON has them all).
pub(crate) const CHANGES: usize = 15;

/// What changed recently, newest first.
fn recent_changes(s: &Snapshot, out: &mut impl Write) -> io::Result<()> {
    let Some(changes) = &s.recent_changes else {
        return Ok(());
    };
    writeln!(out, "## Recent changes\n")?;
    if changes.is_empty() {
        return writeln!(out, "Nothing changed in the window looked at.\n");
    }
    writeln!(out, "| time | kind | what | source |")?;
    writeln!(out, "|---|---|---|---|")?;
    for c in changes.iter().take(CHANGES) {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            c.time.format("%m-%d %H:%M"),
            md_cell(&c.kind),
            md_cell(&cut(&c.summary, 100)),
            md_cell(&c.source)
        )?;
    }
    if changes.len() > CHANGES {
        writeln!(out, "\n…and {} more in the JSON.", changes.len() - CHANGES)?;
    }
    writeln!(out)
}

/// Escape a cell for a Markdown table whose text may hold Markdown of our own (the
/// postmortem's code spans): `|` and newlines only, and no control bytes. Untrusted text
/// goes through [`crate::sanitize::md_cell`] instead.
pub fn cell(text: &str) -> String {
    crate::sanitize::terminal_line(&text.replace(['\n', '\r'], " "))
        .replace('\\', "\\\\")
        .replace('|', "\\|")
}

fn header(s: &Snapshot, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "# triage snapshot: {}", md_inline(s.hostname()))?;
    writeln!(out)?;
    match s.analysed_at {
        // A saved tree: when it was captured, and when it was read.
        Some(a) => writeln!(
            out,
            "- captured: {}; analysed {} ({} ms)",
            s.collected_at.format("%Y-%m-%d %H:%M:%S %:z"),
            a.format("%Y-%m-%d %H:%M:%S %:z"),
            s.duration_ms
        )?,
        None => writeln!(
            out,
            "- collected: {} ({} ms)",
            s.collected_at.format("%Y-%m-%d %H:%M:%S %:z"),
            s.duration_ms
        )?,
    }
    if let Some(h) = &s.host {
        writeln!(
            out,
            "- host: {} — {} — kernel {}",
            md_inline(&h.hostname),
            md_inline(&h.os),
            md_inline(&h.kernel)
        )?;
        let boot = h
            .boot_time
            .map(|b| b.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "?".into());
        writeln!(
            out,
            "- up: {} (since {boot})",
            human_duration(h.uptime_seconds)
        )?;
    }
    writeln!(out)
}

fn findings(s: &Snapshot, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "## Findings")?;
    writeln!(out)?;
    if s.findings.is_empty() {
        writeln!(out, "No findings.")?;
    }
    for f in &s.findings {
        writeln!(
            out,
            "- **{}** {} {}",
            f.severity.as_str().to_uppercase(),
            md_code(&f.id),
            md_list_item(&f.title, 2)
        )?;
        for e in &f.evidence {
            writeln!(out, "  - {}", md_list_item(e, 4))?;
        }
    }
    writeln!(out)
}

fn headline(s: &Snapshot, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "## Now")?;
    writeln!(out)?;
    writeln!(out, "| figure | value |")?;
    writeln!(out, "|---|---|")?;
    if let Some(l) = &s.load {
        let per_core = s
            .cpu_count()
            .map(|c| format!(" ({:.2} per CPU)", l.one / c.max(1) as f64))
            .unwrap_or_default();
        writeln!(
            out,
            "| load 1/5/15 min | {:.2} / {:.2} / {:.2}{per_core}; {} runnable of {} tasks |",
            l.one, l.five, l.fifteen, l.runnable, l.total_tasks
        )?;
    } else {
        writeln!(out, "| load | not collected |")?;
    }
    if let Some(c) = &s.cpu {
        writeln!(
            out,
            "| CPU ({} CPUs) | {:.1}% busy, {:.1}% iowait, {:.1}% steal |",
            c.count, c.usage_percent, c.iowait_percent, c.steal_percent
        )?;
    } else {
        writeln!(out, "| CPU | not collected |")?;
    }
    memory_rows(s, out)?;
    pressure_row(s, out)?;
    process_and_user_rows(s, out)?;
    writeln!(out)
}

fn memory_rows(s: &Snapshot, out: &mut impl Write) -> io::Result<()> {
    if let Some(m) = &s.memory {
        writeln!(
            out,
            "| memory | {} used of {} ({:.0}%), {} available |",
            human_bytes(m.used_bytes),
            human_bytes(m.total_bytes),
            percent(m.used_bytes, m.total_bytes),
            human_bytes(m.available_bytes)
        )?;
        let swap_used = m.swap_total_bytes.saturating_sub(m.swap_free_bytes);
        if m.swap_total_bytes > 0 {
            writeln!(
                out,
                "| swap | {} used of {} ({:.0}%) |",
                human_bytes(swap_used),
                human_bytes(m.swap_total_bytes),
                percent(swap_used, m.swap_total_bytes)
            )?;
        } else {
            writeln!(out, "| swap | none |")?;
        }
    } else {
        writeln!(out, "| memory | not collected |")?;
    }
    Ok(())
}

fn pressure_row(s: &Snapshot, out: &mut impl Write) -> io::Result<()> {
    match &s.pressure {
        Some(p) => {
            let f = |l: &Option<crate::snapshot::PressureLine>| {
                l.as_ref()
                    .map(|l| format!("{:.1}%", l.some_avg10))
                    .unwrap_or_else(|| "-".into())
            };
            writeln!(
                out,
                "| pressure (some, avg10) | cpu {}, memory {}, io {} |",
                f(&p.cpu),
                f(&p.memory),
                f(&p.io)
            )
        }
        None => writeln!(out, "| pressure | not available |"),
    }
}

/// The process counts and who is logged in, closing the "Now" table.
fn process_and_user_rows(s: &Snapshot, out: &mut impl Write) -> io::Result<()> {
    if let Some(ps) = &s.process_summary {
        writeln!(
            out,
            "| processes | {} total, {} running, {} sleeping, {} uninterruptible (D), {} zombie |",
            ps.total, ps.running, ps.sleeping, ps.uninterruptible, ps.zombie
        )?;
    }
    if let Some(u) = &s.users {
        let names: Vec<String> = u
            .iter()
            .map(|u| {
                format!(
                    "{}@{}",
                    u.user,
                    if u.from.is_empty() { &u.tty } else { &u.from }
                )
            })
            .collect();
        writeln!(
            out,
            "| users logged in | {} {} |",
            u.len(),
            md_cell(&names.join(", "))
        )?;
    }
    Ok(())
}

fn process_table(out: &mut impl Write, procs: &[&Process]) -> io::Result<()> {
    use super::cgroups::process_owner;
    // The unit/container column only where some process has one (not on a bare tree).
    let owners = procs.iter().any(|p| process_owner(p).is_some());
    if owners {
        writeln!(
            out,
            "| pid | user | state | cpu% | rss | unit/container | command |"
        )?;
        writeln!(out, "|---:|---|---|---:|---:|---|---|")?;
    } else {
        writeln!(out, "| pid | user | state | cpu% | rss | command |")?;
        writeln!(out, "|---:|---|---|---:|---:|---|")?;
    }
    for p in procs {
        let owner = if owners {
            format!(
                " {} |",
                md_cell(&cut(&process_owner(p).unwrap_or_else(|| "-".into()), 60))
            )
        } else {
            String::new()
        };
        writeln!(
            out,
            "| {} | {} | {} | {:.1} | {} |{owner} {} |",
            p.pid,
            md_cell(p.user.as_deref().unwrap_or("?")),
            md_cell(&p.state),
            p.cpu_percent,
            human_bytes(p.rss_bytes),
            md_cell(&cut(&p.command, 120))
        )?;
    }
    writeln!(out)
}

fn top_processes(s: &Snapshot, out: &mut impl Write) -> io::Result<()> {
    let Some(procs) = &s.processes else {
        writeln!(out, "## Processes\n\nNot collected (see warnings).\n")?;
        return Ok(());
    };
    let mut by_cpu: Vec<&Process> = procs.iter().collect();
    by_cpu.sort_by(|a, b| {
        b.cpu_percent
            .total_cmp(&a.cpu_percent)
            .then(a.pid.cmp(&b.pid))
    });
    by_cpu.truncate(TOP_PROCESSES);
    writeln!(out, "## Top processes by CPU\n")?;
    process_table(out, &by_cpu)?;
    let mut by_mem: Vec<&Process> = procs.iter().collect();
    by_mem.sort_by(|a, b| b.rss_bytes.cmp(&a.rss_bytes).then(a.pid.cmp(&b.pid)));
    by_mem.truncate(TOP_PROCESSES);
    writeln!(out, "## Top processes by memory\n")?;
    process_table(out, &by_mem)
}

fn filesystems(s: &Snapshot, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "## Filesystems\n")?;
    let Some(fss) = &s.filesystems else {
        return writeln!(out, "Not collected (see warnings).\n");
    };
    writeln!(
        out,
        "| mount | device | type | size | used | avail | use% | inodes use% |"
    )?;
    writeln!(out, "|---|---|---|---:|---:|---:|---:|---:|")?;
    for f in fss {
        let inodes = if f.inodes_total > 0 {
            format!("{:.0}%", percent(f.inodes_used, f.inodes_total))
        } else {
            "-".into()
        };
        writeln!(
            out,
            "| {}{} | {} | {} | {} | {} | {} | {:.0}% | {} |",
            md_cell(&f.mount_point),
            if f.read_only { " (ro)" } else { "" },
            md_cell(&f.device),
            md_cell(&f.fs_type),
            human_bytes(f.size_bytes),
            human_bytes(f.used_bytes),
            human_bytes(f.available_bytes),
            percent(f.used_bytes, f.used_bytes + f.available_bytes),
            inodes
        )?;
    }
    writeln!(out)
}

fn listeners(s: &Snapshot, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "## Listening sockets\n")?;
    let Some(ls) = &s.listeners else {
        return writeln!(out, "Not collected (see warnings).\n");
    };
    if ls.is_empty() {
        return writeln!(out, "None.\n");
    }
    writeln!(
        out,
        "| proto | address:port | process | pid | user | Recv-Q | Send-Q |"
    )?;
    writeln!(out, "|---|---|---|---:|---|---:|---:|")?;
    let q = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
    for l in ls {
        let addr = l.address_port();
        // A TCP accept queue at its backlog drops new connections.
        let full = l.protocol.starts_with("tcp")
            && matches!((l.recv_q, l.send_q), (Some(r), Some(b)) if b > 0 && r >= b);
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {}{} | {} |",
            md_cell(&l.protocol),
            md_cell(&addr),
            md_cell(l.process.as_deref().unwrap_or("?")),
            l.pid.map(|p| p.to_string()).unwrap_or_else(|| "?".into()),
            md_cell(l.user.as_deref().unwrap_or("?")),
            q(l.recv_q),
            if full { " (full)" } else { "" },
            q(l.send_q)
        )?;
    }
    writeln!(out)
}

fn connections(s: &Snapshot, out: &mut impl Write) -> io::Result<()> {
    let Some(c) = &s.connections else {
        return Ok(());
    };
    writeln!(out, "## Connections\n")?;
    let mut states: Vec<(&String, &u64)> = c
        .by_state
        .iter()
        .filter(|(k, v)| **v > 0 && k.as_str() != "LISTEN")
        .collect();
    states.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let states: Vec<String> = states.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let listening = c.by_state.get("LISTEN").copied().unwrap_or(0);
    writeln!(
        out,
        "- TCP connections: {}{}; {listening} listening",
        c.total,
        if states.is_empty() {
            String::new()
        } else {
            format!(" ({})", states.join(", "))
        }
    )?;
    let list = |items: Vec<String>| items.join(", ");
    if !c.top_remote.is_empty() {
        let peers = c
            .top_remote
            .iter()
            .map(|r| format!("{} ({})", md_inline(&r.address), r.count))
            .collect();
        writeln!(out, "- top peers: {}", list(peers))?;
    }
    if !c.top_local_ports.is_empty() {
        let ports = c
            .top_local_ports
            .iter()
            .map(|p| format!("{} ({})", p.port, p.count))
            .collect();
        writeln!(out, "- top local ports: {}", list(ports))?;
    }
    if !c.top_processes.is_empty() {
        let procs = c
            .top_processes
            .iter()
            .map(|p| format!("{} pid {} ({})", md_cell(&p.process), p.pid, p.count))
            .collect();
        writeln!(out, "- top processes: {}", list(procs))?;
    }
    writeln!(out)
}

fn warnings(s: &Snapshot, out: &mut impl Write) -> io::Result<()> {
    if s.warnings.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Warnings\n")?;
    for w in &s.warnings {
        writeln!(
            out,
            "- {}: {}",
            md_code(&w.collector),
            md_list_item(&w.message, 2)
        )?;
    }
    writeln!(out)
}
