//! Untrusted text made safe to draw, with the shared sanitiser
//! ([`triage_core::sanitize`]): process names, log lines, findings, changes and journal
//! text are a local user's words. Control bytes become visible `\xNN` text instead of
//! being dropped by the terminal library (which hid that something was there).

use std::borrow::Cow;

use triage_core::sanitize::terminal_line;
use triage_core::snapshot::Snapshot;

/// One field: control bytes as `\xNN`, a newline as `\x0a`.
pub fn line(s: &str) -> Cow<'_, str> {
    terminal_line(s)
}

/// A journal text (note, command, title) for the screen: secrets masked, then sanitised.
/// The journal keeps what was typed; the screen may be shared or recorded.
pub fn journal(s: &str) -> String {
    terminal_line(&triage_core::redact::redact(s)).into_owned()
}

fn in_place(s: &mut String) {
    if let Cow::Owned(clean) = terminal_line(s) {
        *s = clean;
    }
}

/// Every free-text field of `snap` the steps draw, sanitised in place. Called on the
/// TUI's copy after the incident has saved the snapshot as collected.
pub fn snapshot(snap: &mut Snapshot) {
    if let Some(h) = snap.host.as_mut() {
        in_place(&mut h.hostname);
        in_place(&mut h.os);
        in_place(&mut h.kernel);
    }
    for p in snap.processes.iter_mut().flatten() {
        in_place(&mut p.command);
        in_place(&mut p.name);
        p.user.iter_mut().for_each(in_place);
        p.unit.iter_mut().for_each(in_place);
        p.cgroup.iter_mut().for_each(in_place);
    }
    for e in snap.kernel_log.iter_mut().flatten() {
        in_place(&mut e.message);
    }
    for e in snap.log_tail.iter_mut().flatten() {
        in_place(&mut e.message);
        in_place(&mut e.source);
    }
    for c in snap.recent_changes.iter_mut().flatten() {
        in_place(&mut c.summary);
    }
    for l in snap.listeners.iter_mut().flatten() {
        l.process.iter_mut().for_each(in_place);
    }
    for f in &mut snap.findings {
        in_place(&mut f.title);
        f.evidence.iter_mut().for_each(in_place);
    }
    for w in &mut snap.warnings {
        in_place(&mut w.message);
    }
}
