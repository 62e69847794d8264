//! Kernel and system log events ([`LogEvent`], from [`crate::logs::classify`]) as
//! findings: one per event, titled by its catalogue entry, with a count line and the
//! matching log lines as evidence.

use crate::facts::LogEvent;
use crate::logs::SYSRQ_MARK;
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
    if requested(e) {
        return with(
            e,
            format!(
                "OOM killer killed {} on request (SysRq-f), not from a memory shortage",
                e.culprit
            ),
        );
    }
    with(e, format!("OOM killer killed {}", e.culprit))
}

/// An OOM kill someone asked for (`echo f > /proc/sysrq-trigger`, the SysRq key).
fn requested(e: &LogEvent) -> bool {
    e.detail.as_deref().is_some_and(|d| d.contains(SYSRQ_MARK))
}

/// Critical, except a kill requested with SysRq-f (a person or a script chose it).
pub(super) fn oom_kill_severity(e: &LogEvent) -> Severity {
    if requested(e) {
        Severity::Warning
    } else {
        Severity::Critical
    }
}

/// A loop device is a file on another filesystem (snaps, images): its errors say that
/// file is damaged or was removed, not that a disk fails. Every other device: critical.
pub(super) fn io_error_severity(e: &LogEvent) -> Severity {
    if e.culprit.starts_with("loop") {
        Severity::Warning
    } else {
        Severity::Critical
    }
}

/// `BUG: unable to handle …` in `func`; the function is the one the kernel was running.
pub(super) fn kernel_bug(e: &LogEvent) -> String {
    let what = e.detail.as_deref().unwrap_or("BUG");
    if e.culprit.is_empty() {
        format!("kernel BUG: {what}")
    } else {
        format!("kernel BUG in {}: {what}", e.culprit)
    }
}

pub(super) fn kernel_warning(e: &LogEvent) -> String {
    with(e, format!("kernel WARNING in {}", e.culprit))
}

pub(super) fn kernel_call_trace(e: &LogEvent) -> String {
    with(e, format!("kernel call trace in {}", e.culprit))
}

pub(super) fn over_mtu_drop(e: &LogEvent) -> String {
    with(
        e,
        format!("packets larger than the MTU dropped on {}", e.culprit),
    )
}

pub(super) fn scsi_host_problem(e: &LogEvent) -> String {
    match &e.detail {
        Some(d) => format!("{} {d}", e.culprit),
        None => format!("SCSI host problem on {}", e.culprit),
    }
}

pub(super) fn nfs_server_unresolved(e: &LogEvent) -> String {
    with(
        e,
        format!(
            "NFS server {} could not be resolved: mount failed",
            e.culprit
        ),
    )
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
    if e.culprit.starts_with("loop") {
        return with(
            e,
            format!(
                "I/O errors on {} (a loop device: its backing file)",
                e.culprit
            ),
        );
    }
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
