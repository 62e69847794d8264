//! The phases of an incident (Detection, Diagnosis, Repair, Recovery), read from the
//! journal's events, and which timeline lines a person wrote. Boundaries:
//!
//! - Diagnosis starts after the incident was reported (a `reported` event or the `report`
//!   step, and the events of that report), or at the first look around (a `scope`/`logs`/
//!   `state` step, or a command that is not a fix), whichever comes first;
//! - Repair starts at the first fix command or the `fix` step started;
//! - Recovery starts after the last fix command that succeeded (the fix is in; what follows
//!   is watching it hold), else after the `fix` step done.
//!
//! A boundary the journal does not show leaves the previous phase running, so a journal
//! with no step events at all is one Detection phase until its first fix.

use serde::Serialize;

use super::model::{Facts, What};
use super::Lang;
use crate::snapshot::Time;

/// A stage of the response, told from the journal's events (see [`spans`]); the
/// variants are in the order they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// From the alert to someone saying "I am on it".
    Detection,
    /// Finding out what is wrong.
    Diagnosis,
    /// Changing the system.
    Repair,
    /// Watching the fix hold, until the close.
    Recovery,
}

impl Phase {
    /// The phase's heading in `lang`, as the timeline and the templates' `phases` show it.
    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Phase::Detection, Lang::En) => "Detection",
            (Phase::Diagnosis, Lang::En) => "Diagnosis",
            (Phase::Repair, Lang::En) => "Repair",
            (Phase::Recovery, Lang::En) => "Recovery",
            (Phase::Detection, Lang::Ja) => "検知",
            (Phase::Diagnosis, Lang::Ja) => "調査",
            (Phase::Repair, Lang::Ja) => "対処",
            (Phase::Recovery, Lang::Ja) => "回復確認",
        }
    }
}

/// A run of consecutive timeline entries in one phase.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The phase of these entries; each phase has at most one span.
    pub phase: Phase,
    /// Its first entry (index into [`Facts::timeline`]).
    pub first: usize,
    /// One past its last entry.
    pub end: usize,
    /// When it started (see [`spans`]).
    pub from: Time,
    /// When it ended: the next phase's start, else the close (else the last entry).
    pub to: Time,
}

impl Span {
    /// Its length in whole seconds (0 when `to` is not after `from`).
    pub fn seconds(&self) -> u64 {
        (self.to - self.from).num_seconds().max(0).unsigned_abs()
    }
}

/// Where each phase starts: (phase, index of its first entry, when it started), in
/// order, only phases with at least one entry. A phase that starts after an event (the
/// report, the last fix) starts at that event's time, not at the next entry's.
fn starts(f: &Facts) -> Vec<(Phase, usize, Time)> {
    let n = f.timeline.len();
    let Some(first) = f.timeline.first() else {
        return Vec::new();
    };
    let at = |i: usize| Some((i, f.timeline[i].time));
    let after = |i: usize| Some((i + 1, f.timeline[i].time));
    let what = |i: usize| &f.timeline[i].what;
    let step = |i: usize| match what(i) {
        What::Step { step, status } => Some((step.as_str(), status.as_str())),
        _ => None,
    };
    let command = |i: usize| match what(i) {
        What::Command(c) => f.commands.get(*c),
        _ => None,
    };
    let fix = |i: usize| command(i).filter(|c| c.is_fix());
    let is_report =
        |i: usize| matches!(what(i), What::Reported(_)) || step(i).is_some_and(|s| s.0 == "report");
    let reported = (0..n)
        .find(|&i| is_report(i))
        .and_then(|r| after((r..n).take_while(|&i| is_report(i)).last().unwrap_or(r)));
    let looking = (0..n)
        .find(|&i| {
            step(i).is_some_and(|(s, _)| matches!(s, "scope" | "logs" | "state"))
                || command(i).is_some_and(|c| !c.is_fix())
        })
        .and_then(at);
    let diagnosis = reported.into_iter().chain(looking).min();
    let repair = (0..n)
        .find(|&i| fix(i).is_some() || step(i) == Some(("fix", "started")))
        .and_then(at);
    let recovery = (0..n)
        .rev()
        .find(|&i| fix(i).is_some_and(|c| c.exit_code == Some(0)))
        .or_else(|| (0..n).find(|&i| step(i) == Some(("fix", "done"))))
        .and_then(after);
    let mut out = vec![(Phase::Detection, 0, first.time)];
    let later = [
        (Phase::Diagnosis, diagnosis),
        (Phase::Repair, repair),
        (Phase::Recovery, recovery),
    ];
    for (phase, start) in later {
        let Some((i, t)) = start else { continue };
        let (pi, pt) = out.last().map_or((0, first.time), |s| (s.1, s.2));
        let (i, t) = if i < pi { (pi, pt) } else { (i, t.max(pt)) };
        if i >= n {
            continue;
        }
        // The phase before had no entry of its own: this one replaces it.
        if out.last().is_some_and(|s| s.1 == i) {
            out.pop();
        }
        out.push((phase, i, t));
    }
    out
}

/// The phase of each timeline entry of `f`, in order.
pub fn of(f: &Facts) -> Vec<Phase> {
    let mut out = Vec::with_capacity(f.timeline.len());
    for s in spans(f) {
        out.extend(std::iter::repeat_n(s.phase, s.end - s.first));
    }
    out
}

/// The phases of `f` as runs of entries, in order; empty for an empty journal. The last
/// one ends at the close, else at the last entry.
pub fn spans(f: &Facts) -> Vec<Span> {
    let starts = starts(f);
    let Some(last) = f.timeline.last() else {
        return Vec::new();
    };
    let close = f.closed_at.unwrap_or(last.time).max(last.time);
    starts
        .iter()
        .enumerate()
        .map(|(k, &(phase, first, from))| {
            let next = starts.get(k + 1);
            Span {
                phase,
                first,
                end: next.map_or(f.timeline.len(), |s| s.1),
                from,
                to: next.map_or(close, |s| s.2),
            }
        })
        .collect()
}

/// True for what a person wrote (a title, a note, the status message, impact answers, the
/// closing summary, an action item), false for what triage recorded (steps, snapshots,
/// findings, commands, events of kinds this version does not know).
pub fn is_human(what: &What) -> bool {
    matches!(
        what,
        What::Opened(_)
            | What::Note(_)
            | What::Reported(_)
            | What::Impact(_)
            | What::Closed(_)
            | What::Action(_)
    )
}
