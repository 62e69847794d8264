//! `triage diff A.json B.json`: what changed between two snapshots — listeners opened or
//! closed, commands that appeared or vanished from the process table (by command, not
//! pid), findings that appeared or cleared, and figures that moved a lot. Pure over two
//! [`Snapshot`]s; [`write_text`] renders it for a terminal, serde for `--json`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::findings::rules::df_percent;
use crate::render::{human_bytes, percent};
use crate::snapshot::{Connections, Filesystem, Finding, Severity, Snapshot, Time};

/// The 1-minute load must move by at least this much per CPU to be reported.
pub(crate) const LOAD_PER_CPU_MOVE: f64 = 0.5;
/// CPU busy or iowait must move by this many percentage points.
pub(crate) const CPU_POINTS_MOVE: f64 = 20.0;
/// Memory or swap used must move by this share of memory, percent.
pub(crate) const MEMORY_PERCENT_MOVE: f64 = 10.0;
/// A filesystem's use must move by this many percentage points.
pub(crate) const DISK_POINTS_MOVE: f64 = 5.0;
/// A connection count (total or one state) must move by this many …
pub(crate) const CONNECTIONS_MOVE: u64 = 50;
/// … and by this share of its earlier value, percent.
pub(crate) const CONNECTIONS_PERCENT_MOVE: f64 = 50.0;
/// A command's process count must change by this many to be listed when it exists in
/// both snapshots (worker pools shrinking or growing).
pub(crate) const PROCESS_COUNT_MOVE: i64 = 3;

/// A listener, as compared.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ListenerKey {
    /// `tcp`, `tcp6`, `udp`, `udp6`.
    pub protocol: String,
    /// Local address.
    pub address: String,
    /// Local port.
    pub port: u16,
    /// Owning process, when known.
    pub process: Option<String>,
}

/// How many processes ran one command before and after.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CommandCount {
    /// The command's short name.
    pub command: String,
    /// Processes in A.
    pub before: u64,
    /// Processes in B.
    pub after: u64,
}

/// A figure that moved a lot.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Move {
    /// What (`load1`, `cpu_usage_percent`, `disk_used_percent /var`…).
    pub figure: String,
    /// Value in A.
    pub before: f64,
    /// Value in B.
    pub after: f64,
    /// Both values for a human (`1.2 → 8.4`, `4.0G → 7.5G`).
    pub text: String,
}

/// What changed from snapshot A to snapshot B.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SnapshotDiff {
    /// When A was taken.
    pub a_collected_at: Time,
    /// When B was taken.
    pub b_collected_at: Time,
    /// Listening in B, not in A.
    pub listeners_new: Vec<ListenerKey>,
    /// Listening in A, not in B.
    pub listeners_gone: Vec<ListenerKey>,
    /// Commands running in B, not in A (before = 0).
    pub processes_new: Vec<CommandCount>,
    /// Commands running in A, not in B (after = 0).
    pub processes_gone: Vec<CommandCount>,
    /// Commands in both whose process count changed by [`PROCESS_COUNT_MOVE`] or more.
    pub processes_changed: Vec<CommandCount>,
    /// Findings in B, not in A.
    pub findings_appeared: Vec<Finding>,
    /// Findings in A, not in B.
    pub findings_cleared: Vec<Finding>,
    /// Figures that moved past their threshold.
    pub moves: Vec<Move>,
    /// Sections missing from either snapshot, so their absence of change means nothing.
    pub not_compared: Vec<String>,
}

impl SnapshotDiff {
    /// True when nothing worth reporting changed.
    pub fn is_empty(&self) -> bool {
        self.listeners_new.is_empty()
            && self.listeners_gone.is_empty()
            && self.processes_new.is_empty()
            && self.processes_gone.is_empty()
            && self.processes_changed.is_empty()
            && self.findings_appeared.is_empty()
            && self.findings_cleared.is_empty()
            && self.moves.is_empty()
    }
}

fn listeners(s: &Snapshot) -> Option<BTreeSet<ListenerKey>> {
    Some(
        s.listeners
            .as_ref()?
            .iter()
            .map(|l| ListenerKey {
                protocol: l.protocol.clone(),
                address: l.address.clone(),
                port: l.port,
                process: l.process.clone(),
            })
            .collect(),
    )
}

fn commands(s: &Snapshot) -> Option<BTreeMap<String, u64>> {
    let mut m = BTreeMap::new();
    for p in s.processes.as_ref()? {
        if p.command.starts_with('[') {
            continue; // kernel threads come and go
        }
        *m.entry(crate::findings::short_name(p)).or_insert(0) += 1;
    }
    Some(m)
}

/// What identifies a finding across snapshots: its id and its subject (mount, port,
/// connection state), not its title, whose figures change.
fn finding_key(f: &Finding) -> String {
    let subject: Vec<&str> = ["mount", "port", "state", "device", "unit"]
        .iter()
        .filter_map(|k| f.vars.get(*k).map(String::as_str))
        .collect();
    if subject.is_empty() && f.vars.is_empty() {
        // No variables (an older snapshot): the title without its figures.
        let title: String = f.title.chars().filter(|c| !c.is_ascii_digit()).collect();
        format!("{}|{title}", f.id)
    } else {
        format!("{}|{}", f.id, subject.join("|"))
    }
}

fn moved_counts(before: u64, after: u64) -> bool {
    let d = before.abs_diff(after);
    d >= CONNECTIONS_MOVE && percent(d, before.max(1)) >= CONNECTIONS_PERCENT_MOVE
}

fn push(moves: &mut Vec<Move>, figure: impl Into<String>, before: f64, after: f64, text: String) {
    moves.push(Move {
        figure: figure.into(),
        before,
        after,
        text,
    });
}

fn figure_moves(a: &Snapshot, b: &Snapshot) -> Vec<Move> {
    let mut m = Vec::new();
    let cpus = f64::from(b.cpu_count().or(a.cpu_count()).unwrap_or(1).max(1));
    if let (Some(x), Some(y)) = (&a.load, &b.load) {
        if (y.one - x.one).abs() >= LOAD_PER_CPU_MOVE * cpus {
            push(
                &mut m,
                "load1",
                x.one,
                y.one,
                format!("{:.2} → {:.2}", x.one, y.one),
            );
        }
    }
    if let (Some(x), Some(y)) = (&a.cpu, &b.cpu) {
        for (name, p, q) in [
            ("cpu_usage_percent", x.usage_percent, y.usage_percent),
            ("iowait_percent", x.iowait_percent, y.iowait_percent),
            ("steal_percent", x.steal_percent, y.steal_percent),
        ] {
            if (q - p).abs() >= CPU_POINTS_MOVE {
                push(&mut m, name, p, q, format!("{p:.0}% → {q:.0}%"));
            }
        }
    }
    if let (Some(x), Some(y)) = (&a.memory, &b.memory) {
        let limit = y.total_bytes as f64 * MEMORY_PERCENT_MOVE / 100.0;
        let sx = x.swap_total_bytes.saturating_sub(x.swap_free_bytes);
        let sy = y.swap_total_bytes.saturating_sub(y.swap_free_bytes);
        for (name, p, q) in [
            ("memory_used_bytes", x.used_bytes, y.used_bytes),
            ("swap_used_bytes", sx, sy),
        ] {
            if p.abs_diff(q) as f64 >= limit && limit > 0.0 {
                let text = format!("{} → {}", human_bytes(p), human_bytes(q));
                push(&mut m, name, p as f64, q as f64, text);
            }
        }
    }
    if let (Some(x), Some(y)) = (&a.filesystems, &b.filesystems) {
        disk_moves(x, y, &mut m);
    }
    if let (Some(x), Some(y)) = (&a.connections, &b.connections) {
        connection_moves(x, y, &mut m);
    }
    m
}

/// Filesystems on both sides whose use moved by [`DISK_POINTS_MOVE`] points.
fn disk_moves(x: &[Filesystem], y: &[Filesystem], m: &mut Vec<Move>) {
    for fy in y {
        let Some(fx) = x.iter().find(|f| f.mount_point == fy.mount_point) else {
            continue;
        };
        let (p, q) = (
            df_percent(fx.used_bytes, fx.available_bytes),
            df_percent(fy.used_bytes, fy.available_bytes),
        );
        if (q - p).abs() >= DISK_POINTS_MOVE {
            let text = format!(
                "{p:.0}% → {q:.0}% ({} → {} free)",
                human_bytes(fx.available_bytes),
                human_bytes(fy.available_bytes)
            );
            push(
                m,
                format!("disk_used_percent {}", fy.mount_point),
                p,
                q,
                text,
            );
        }
    }
}

/// The connection total and each state's count, when moved (see [`moved_counts`]).
fn connection_moves(x: &Connections, y: &Connections, m: &mut Vec<Move>) {
    if moved_counts(x.total, y.total) {
        let text = format!("{} → {}", x.total, y.total);
        push(m, "connections", x.total as f64, y.total as f64, text);
    }
    let states: BTreeSet<&String> = x.by_state.keys().chain(y.by_state.keys()).collect();
    for st in states {
        let p = x.by_state.get(st).copied().unwrap_or(0);
        let q = y.by_state.get(st).copied().unwrap_or(0);
        if moved_counts(p, q) {
            push(
                m,
                format!("connections {st}"),
                p as f64,
                q as f64,
                format!("{p} → {q}"),
            );
        }
    }
}

/// Compare snapshot `a` (earlier) with `b` (later).
pub fn diff(a: &Snapshot, b: &Snapshot) -> SnapshotDiff {
    let mut not_compared = Vec::new();
    let mut d = SnapshotDiff {
        a_collected_at: a.collected_at,
        b_collected_at: b.collected_at,
        listeners_new: Vec::new(),
        listeners_gone: Vec::new(),
        processes_new: Vec::new(),
        processes_gone: Vec::new(),
        processes_changed: Vec::new(),
        findings_appeared: Vec::new(),
        findings_cleared: Vec::new(),
        moves: figure_moves(a, b),
        not_compared: Vec::new(),
    };
    match (listeners(a), listeners(b)) {
        (Some(x), Some(y)) => {
            d.listeners_new = y.difference(&x).cloned().collect();
            d.listeners_gone = x.difference(&y).cloned().collect();
        }
        _ => not_compared.push("listeners".to_string()),
    }
    match (commands(a), commands(b)) {
        (Some(x), Some(y)) => {
            let names: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for n in names {
                let (p, q) = (
                    x.get(n).copied().unwrap_or(0),
                    y.get(n).copied().unwrap_or(0),
                );
                let c = CommandCount {
                    command: n.clone(),
                    before: p,
                    after: q,
                };
                if p == 0 {
                    d.processes_new.push(c);
                } else if q == 0 {
                    d.processes_gone.push(c);
                } else if (q as i64 - p as i64).abs() >= PROCESS_COUNT_MOVE {
                    d.processes_changed.push(c);
                }
            }
        }
        _ => not_compared.push("processes".to_string()),
    }
    let keys_a: BTreeSet<String> = a.findings.iter().map(finding_key).collect();
    let keys_b: BTreeSet<String> = b.findings.iter().map(finding_key).collect();
    d.findings_appeared = b
        .findings
        .iter()
        .filter(|f| !keys_a.contains(&finding_key(f)))
        .cloned()
        .collect();
    d.findings_cleared = a
        .findings
        .iter()
        .filter(|f| !keys_b.contains(&finding_key(f)))
        .cloned()
        .collect();
    d.not_compared = not_compared;
    d
}

fn sev(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "CRITICAL",
        Severity::Warning => "WARNING",
        Severity::Info => "INFO",
    }
}

/// Write `d` as text for a terminal.
pub fn write_text(d: &SnapshotDiff, out: &mut impl Write) -> io::Result<()> {
    let span = (d.b_collected_at - d.a_collected_at).num_seconds();
    writeln!(
        out,
        "triage diff: {} → {} ({})",
        d.a_collected_at.format("%Y-%m-%d %H:%M:%S"),
        d.b_collected_at.format("%Y-%m-%d %H:%M:%S"),
        crate::fmt::duration(span.unsigned_abs())
    )?;
    if d.is_empty() {
        writeln!(out, "no notable change")?;
    }
    for f in &d.findings_appeared {
        writeln!(out, "+ finding  {} {}: {}", sev(f.severity), f.id, f.title)?;
    }
    for f in &d.findings_cleared {
        writeln!(out, "- finding  {} {}: {}", sev(f.severity), f.id, f.title)?;
    }
    let lkey = |l: &ListenerKey| {
        let addr = if l.address.contains(':') {
            format!("[{}]", l.address)
        } else {
            l.address.clone()
        };
        format!(
            "{} {addr}:{}{}",
            l.protocol,
            l.port,
            l.process
                .as_deref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        )
    };
    for l in &d.listeners_new {
        writeln!(out, "+ listen   {}", lkey(l))?;
    }
    for l in &d.listeners_gone {
        writeln!(out, "- listen   {}", lkey(l))?;
    }
    for c in &d.processes_new {
        writeln!(out, "+ process  {} ×{}", c.command, c.after)?;
    }
    for c in &d.processes_gone {
        writeln!(out, "- process  {} ×{}", c.command, c.before)?;
    }
    for c in &d.processes_changed {
        writeln!(out, "~ process  {} ×{} → ×{}", c.command, c.before, c.after)?;
    }
    for m in &d.moves {
        writeln!(out, "~ figure   {}: {}", m.figure, m.text)?;
    }
    if !d.not_compared.is_empty() {
        writeln!(
            out,
            "(not compared, missing from a snapshot: {})",
            d.not_compared.join(", ")
        )?;
    }
    Ok(())
}
