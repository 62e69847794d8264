//! systemd units: what the logs say failed, reconciled with the units' state when the
//! snapshot was taken ([`crate::facts::Units`]). A unit that failed earlier and is active
//! now is `service_recovered` (info), not a failure now; a unit failed now is
//! `service_failed` even when no log line says so.

use super::finding;
use super::Context;
use crate::facts::{LogEvent, UnitState};
use crate::snapshot::{Finding, Severity, Snapshot};

fn state<'a>(s: &'a Snapshot, unit: &str) -> Option<&'a UnitState> {
    s.facts.units.as_ref()?.get(unit)
}

fn running(u: &UnitState) -> bool {
    matches!(u.active.as_str(), "active" | "reloading" | "activating")
}

fn when(s: &Snapshot) -> &'static str {
    if s.analysed_at.is_some() {
        "when captured"
    } else {
        "now"
    }
}

/// `service_recovered`: a `service_failed` event whose unit is active now.
pub fn service_recovered(s: &Snapshot, _: &Context) -> Vec<Finding> {
    s.facts
        .log_events
        .iter()
        .filter(|e| e.id == "service_failed")
        .filter_map(|e| {
            let u = state(s, &e.culprit).filter(|u| running(u))?;
            Some(recovered(s, e, u))
        })
        .collect()
}

fn recovered(s: &Snapshot, e: &LogEvent, u: &UnitState) -> Finding {
    let times = if e.count > 1 {
        format!("{} times", e.count)
    } else {
        "once".into()
    };
    let why = e
        .detail
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    let last = e
        .last
        .map(|t| format!(", last at {}", t.format("%Y-%m-%d %H:%M:%S")))
        .unwrap_or_default();
    let title = format!(
        "{} recovered: failed {times}{why}{last}, {} ({}) {}",
        e.culprit,
        u.active,
        u.sub,
        when(s)
    );
    let mut evidence = vec![format!(
        "{}: {} {} {} {}",
        u.source, u.unit, u.active, u.sub, u.description
    )];
    evidence.extend(e.lines.iter().cloned());
    finding("service_recovered", Severity::Info, title, evidence).var("unit", &e.culprit)
}

/// Drops the `service_failed` findings of units active now (`service_recovered` says it)
/// and adds one for every unit failed now that no log line named.
pub(super) fn reconcile(s: &Snapshot, findings: &mut Vec<Finding>) {
    let Some(units) = s.facts.units.as_ref() else {
        return;
    };
    findings.retain(|f| {
        f.id != "service_failed"
            || !f
                .vars
                .get("unit")
                .and_then(|u| units.get(u))
                .is_some_and(running)
    });
    for u in units.states.iter().filter(|u| u.active == "failed") {
        let line = format!(
            "{}: {} {} {} {}",
            u.source, u.unit, u.active, u.sub, u.description
        );
        let named = findings
            .iter_mut()
            .find(|f| f.id == "service_failed" && f.vars.get("unit") == Some(&u.unit));
        match named {
            Some(f) => {
                f.title.push_str(&format!(", still failed {}", when(s)));
                f.evidence.insert(0, line);
            }
            None => {
                let desc = if u.description.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", u.description)
                };
                let title = if s.analysed_at.is_some() {
                    format!("{} was failed when captured{desc}", u.unit)
                } else {
                    format!("{} is failed now{desc}", u.unit)
                };
                let f = finding("service_failed", Severity::Warning, title, vec![line])
                    .var("unit", &u.unit);
                findings.push(f);
            }
        }
    }
}
