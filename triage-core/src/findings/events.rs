//! Kernel and system log events ([`LogEvent`], from [`crate::logs::classify`]) as
//! findings: one per event, titled by its catalogue entry, with a count line and the
//! matching log lines as evidence.

use crate::facts::LogEvent;
use crate::snapshot::{Finding, Severity, Time};

/// The finding for `e`: `title` names the culprit, `culprit_var` is the runbook variable
/// that receives it (and `pid` is set wherever the kernel printed one).
pub(super) fn finding(
    e: &LogEvent,
    severity: Severity,
    title: fn(&LogEvent) -> String,
    culprit_var: Option<&str>,
) -> Finding {
    let count = e.count.max(1);
    let mut title = title(e);
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
        fmt(e.first),
        fmt(e.last)
    )];
    evidence.extend(e.lines.iter().cloned());
    let mut f = Finding::new(e.id, severity, title);
    f.evidence = evidence;
    let named = !e.culprit.is_empty() && !e.culprit.starts_with("cpu ");
    if let Some(name) = culprit_var.filter(|_| named) {
        f = f.var(name, &e.culprit);
    }
    let pid = e
        .detail
        .as_deref()
        .and_then(|d| d.split("pid ").nth(1))
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|p| !p.is_empty());
    match pid {
        Some(pid) => f.var("pid", pid),
        None => f,
    }
}

/// `text (detail)`, or `text` when the lines said nothing more.
fn with(e: &LogEvent, text: String) -> String {
    match &e.detail {
        Some(d) => format!("{text} ({d})"),
        None => text,
    }
}

pub(super) fn oom_kill(e: &LogEvent) -> String {
    with(e, format!("OOM killer killed {}", e.culprit))
}

pub(super) fn hung_task(e: &LogEvent) -> String {
    with(e, format!("hung task {}", e.culprit))
}

pub(super) fn soft_lockup(e: &LogEvent) -> String {
    with(e, format!("soft lockup: {}", e.culprit))
}

pub(super) fn segfault(e: &LogEvent) -> String {
    match &e.detail {
        Some(d) => format!("{} crashed: segfault {d}", e.culprit),
        None => format!("{} crashed: segfault", e.culprit),
    }
}

pub(super) fn io_error(e: &LogEvent) -> String {
    with(e, format!("I/O errors on {}", e.culprit))
}

pub(super) fn fs_error(e: &LogEvent) -> String {
    with(e, format!("filesystem error on {}", e.culprit))
}

pub(super) fn conntrack_full(_: &LogEvent) -> String {
    "conntrack table full: new connections dropped".to_string()
}

pub(super) fn syn_flood(e: &LogEvent) -> String {
    format!("possible SYN flood on port {}", e.culprit)
}

pub(super) fn service_failed(e: &LogEvent) -> String {
    match &e.detail {
        Some(d) => format!("{} failed ({d})", e.culprit),
        None => format!("{} failed", e.culprit),
    }
}
