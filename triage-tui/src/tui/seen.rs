//! "Seen before": the current findings that an earlier incident also recorded, with how
//! that one was fixed ([`triage_core::incident::search::seen_before`], the code behind
//! `triage incident search --finding`). The Scope step shows them above what changed.
//! Reading every journal costs a pass over the state dir, so it runs again only when the
//! finding ids, the host or the open incident change, not at every 2-second refresh.

use triage_core::incident::search::{seen_before, SeenBefore};

use super::ctx::Ctx;

/// The last answer and what it was for.
#[derive(Debug, Default)]
pub struct SeenCache {
    /// Finding ids, host, open incident.
    key: Option<(Vec<String>, String, Option<String>)>,
    /// One per current finding seen in an earlier incident.
    pub hits: Vec<SeenBefore>,
}

impl Ctx {
    /// Bring [`Ctx::seen_before`] up to date with the snapshot and the open incident.
    pub fn refresh_seen_before(&mut self) {
        let Some(snap) = &self.snap else {
            return;
        };
        let ids: Vec<String> = snap.findings.iter().map(|f| f.id.clone()).collect();
        let current = self.incident.as_ref().map(|(inc, _)| inc.id.clone());
        let key = (ids, self.hostname(), current);
        if self.seen_before.key.as_ref() == Some(&key) {
            return;
        }
        let ids: Vec<&str> = key.0.iter().map(String::as_str).collect();
        // An unreadable state dir means nothing was seen before; the Scope step stays usable.
        self.seen_before.hits =
            seen_before(&self.store, &ids, &key.1, key.2.as_deref(), true).unwrap_or_default();
        self.seen_before.key = Some(key);
    }
}
