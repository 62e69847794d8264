//! Ranking and correlation: which host is worst, which findings and recent changes the
//! sick hosts have in common.

use std::cmp::{Ordering, Reverse};
use std::collections::HashMap;
use std::time::Duration;

use super::{Fleet, FleetHost, ReadHost, SharedChange, SharedFinding};
use crate::snapshot::{Severity, Time};

/// A host is sick when its worst finding is a warning or critical; info findings alone
/// (an unsynchronised clock) do not make a host part of an incident.
pub(crate) fn is_sick(h: &FleetHost) -> bool {
    h.worst.is_some_and(|s| s >= Severity::Warning)
}

fn count(h: &FleetHost, sev: Severity) -> usize {
    h.findings.iter().filter(|f| f.severity == sev).count()
}

/// Worst first: readable before unreadable, then by worst severity, number of critical
/// and warning findings, load per CPU, memory used; the name breaks ties so the order is
/// the same on every run.
fn rank(a: &FleetHost, b: &FleetHost) -> Ordering {
    let key = |h: &FleetHost| {
        (
            h.error.is_none(),
            h.worst,
            count(h, Severity::Critical),
            count(h, Severity::Warning),
            h.findings.len(),
        )
    };
    let figure = |v: Option<f64>| v.unwrap_or(f64::NEG_INFINITY);
    key(b)
        .cmp(&key(a))
        .then_with(|| figure(b.load_per_cpu).total_cmp(&figure(a.load_per_cpu)))
        .then_with(|| figure(b.memory_used_percent).total_cmp(&figure(a.memory_used_percent)))
        .then_with(|| a.name.cmp(&b.name))
}

/// Rank the hosts and find what they share.
pub(crate) fn fleet(mut read: Vec<ReadHost>, window: Duration) -> Fleet {
    read.sort_by(|a, b| rank(&a.host, &b.host));
    let shared_findings = shared_findings(&read);
    let shared_changes = shared_changes(&read);
    Fleet {
        hosts: read.into_iter().map(|r| r.host).collect(),
        shared_findings,
        shared_changes,
        window_seconds: window.as_secs(),
    }
}

/// Finding ids on two hosts or more (hosts in rank order), most hosts first.
fn shared_findings(read: &[ReadHost]) -> Vec<SharedFinding> {
    let mut by_id: HashMap<&str, SharedFinding> = HashMap::new();
    for r in read {
        let mut seen: Vec<&str> = Vec::new();
        for f in &r.host.findings {
            if seen.contains(&f.id.as_str()) {
                continue;
            }
            seen.push(&f.id);
            let e = by_id.entry(&f.id).or_insert_with(|| SharedFinding {
                id: f.id.clone(),
                severity: f.severity,
                hosts: Vec::new(),
            });
            e.severity = e.severity.max(f.severity);
            e.hosts.push(r.host.name.clone());
        }
    }
    let mut out: Vec<SharedFinding> = by_id.into_values().filter(|s| s.hosts.len() >= 2).collect();
    out.sort_by(|a, b| {
        (Reverse(a.hosts.len()), Reverse(a.severity), &a.id).cmp(&(
            Reverse(b.hosts.len()),
            Reverse(b.severity),
            &b.id,
        ))
    });
    out
}

/// The same change (kind and summary word for word) on two sick hosts or more, within the
/// window before each one's snapshot; healthy hosts with the same change are named beside.
fn shared_changes(read: &[ReadHost]) -> Vec<SharedChange> {
    struct Seen<'a> {
        sick: Vec<&'a str>,
        healthy: Vec<&'a str>,
        first: Option<Time>,
        last: Option<Time>,
    }
    let mut by_change: HashMap<(&str, &str), Seen> = HashMap::new();
    for r in read {
        let sick = is_sick(&r.host);
        for c in &r.changes {
            let e = by_change
                .entry((&c.kind, &c.summary))
                .or_insert_with(|| Seen {
                    sick: Vec::new(),
                    healthy: Vec::new(),
                    first: None,
                    last: None,
                });
            let list = if sick { &mut e.sick } else { &mut e.healthy };
            if list.last() == Some(&r.host.name.as_str()) {
                continue; // the same change twice on one host (two dpkg runs)
            }
            list.push(&r.host.name);
            if sick {
                e.first = Some(e.first.map_or(c.time, |t| t.min(c.time)));
                e.last = Some(e.last.map_or(c.time, |t| t.max(c.time)));
            }
        }
    }
    let mut out: Vec<SharedChange> = by_change
        .into_iter()
        .filter_map(|((kind, summary), seen)| {
            if seen.sick.len() < 2 {
                return None;
            }
            Some(SharedChange {
                kind: kind.to_string(),
                summary: summary.to_string(),
                hosts: seen.sick.iter().map(|s| s.to_string()).collect(),
                healthy_hosts: seen.healthy.iter().map(|s| s.to_string()).collect(),
                first_at: seen.first?,
                last_at: seen.last?,
            })
        })
        .collect();
    // Most sick hosts first; among equals, fewer healthy hosts with it (more suspicious),
    // then the most recent.
    out.sort_by(|a, b| {
        b.hosts
            .len()
            .cmp(&a.hosts.len())
            .then(a.healthy_hosts.len().cmp(&b.healthy_hosts.len()))
            .then(b.last_at.cmp(&a.last_at))
            .then_with(|| (&a.kind, &a.summary).cmp(&(&b.kind, &b.summary)))
    });
    out
}
