//! What every step reads and the few things it may ask for: the latest snapshot, the
//! incident and its journal-derived state, the theme, and side effects the UI loop
//! carries out (an OSC 52 copy, a refresh, background jobs). Steps write to the journal
//! only through [`Ctx::journal`], which shows "saved" only after the fsync returned.

use std::collections::BTreeSet;
use std::sync::mpsc::Sender;
use std::time::Duration;

use anyhow::Result;
use triage_core::incident::journal::pick_responder;
use triage_core::incident::{EventBody, Incident, State, Store, STEPS};
use triage_core::runbook::inventory::{HostEntry, Reach};
use triage_core::snapshot::{Severity, Snapshot, Time};

use super::event::{self, Event};
use super::theme::Theme;

/// Shared state of the TUI.
pub struct Ctx {
    /// The latest snapshot (None until the first one arrives).
    pub snap: Option<Snapshot>,
    /// Where incidents live.
    pub store: Store,
    /// The open incident and what its journal says.
    pub incident: Option<(Incident, State)>,
    /// The runbook library.
    pub runbooks: triage_core::runbook::Library,
    /// The inventory entry of this host.
    pub inventory: Option<HostEntry>,
    /// Recorded history: time, load1, memory PSI.
    pub history: Vec<(Time, f64, Option<f64>)>,
    /// Reachability of the inventory's dependencies (None: not tested yet).
    pub reach: Option<Vec<Reach>>,
    /// Colours.
    pub theme: Theme,
    /// Who is at the keyboard.
    pub user: String,
    /// `$TRIAGE_RESPONDER`: who the status message names, before the inventory and `user`.
    pub named_responder: Option<String>,
    /// One-line message for the footer ("saved", errors).
    pub flash: Option<String>,
    /// Text to copy with OSC 52, taken by the UI loop.
    pub clipboard: Option<String>,
    /// Set to ask the collection thread for a snapshot now.
    pub refresh_requested: bool,
    /// Where background jobs send their results (None in tests: jobs are not started).
    pub jobs: Option<Sender<Event>>,
    /// A fixed clock (tests); None: the real one.
    pub clock: Option<Time>,
    /// Finding ids already journaled for this incident.
    seen: BTreeSet<String>,
    /// Whether a snapshot was saved for this incident in this session.
    snapshot_saved: bool,
}

impl Ctx {
    /// A context over `store`, resuming its open incident.
    pub fn new(store: Store, theme: Theme) -> Ctx {
        let incident = store.open_incident().ok().flatten();
        let mut ctx = Ctx {
            snap: None,
            store,
            incident: None,
            runbooks: triage_core::runbook::Library::default(),
            inventory: None,
            history: Vec::new(),
            reach: None,
            theme,
            user: triage_core::incident::journal::current_user().unwrap_or_else(|| "me".into()),
            named_responder: std::env::var("TRIAGE_RESPONDER").ok(),
            flash: None,
            clipboard: None,
            refresh_requested: false,
            jobs: None,
            clock: None,
            seen: BTreeSet::new(),
            snapshot_saved: false,
        };
        ctx.set_incident(incident);
        ctx
    }

    fn set_incident(&mut self, incident: Option<(Incident, State)>) {
        self.seen.clear();
        self.snapshot_saved = false;
        if let Some((_, st)) = &incident {
            for ev in &st.events {
                if let EventBody::Finding { id, .. } = &ev.body {
                    self.seen.insert(id.clone());
                }
            }
            self.snapshot_saved = st.events.iter().any(|e| e.body.kind() == "snapshot");
        }
        self.incident = incident;
    }

    /// Now (the fixed clock in tests).
    pub fn now(&self) -> Time {
        self.clock.unwrap_or_else(triage_core::snapshot::now)
    }

    /// The host name, from the snapshot, else the kernel.
    pub fn hostname(&self) -> String {
        match &self.snap {
            Some(s) if s.host.is_some() => s.hostname().to_string(),
            _ => crate::sources::local_hostname(),
        }
    }

    /// The journal-derived state of the open incident.
    pub fn state(&self) -> Option<&State> {
        self.incident.as_ref().map(|(_, s)| s)
    }

    /// A title for a new incident: the top finding, else the host.
    pub fn default_title(&self) -> String {
        self.snap
            .as_ref()
            .and_then(|s| s.findings.first())
            .map(|f| f.title.clone())
            .unwrap_or_else(|| format!("incident on {}", self.hostname()))
    }

    /// Start an incident (or pick up the one already open) titled from the top finding.
    pub fn start_incident(&mut self) -> Result<()> {
        if self.incident.is_some() {
            return Ok(());
        }
        let (inc, created) = self.store.start(&self.default_title(), &self.hostname())?;
        let state = inc.state()?;
        self.flash = Some(if created {
            format!("incident {} started", inc.id)
        } else {
            format!("incident {} was already open", inc.id)
        });
        self.set_incident(Some((inc, state)));
        self.on_snapshot();
        Ok(())
    }

    /// Append `body` to the journal (starting an incident when none is open) and reload
    /// the state. Returns only after the line is fsynced.
    pub fn journal(&mut self, body: EventBody) -> Result<()> {
        self.start_incident()?;
        if let Some((inc, st)) = &mut self.incident {
            inc.append(body)?;
            *st = inc.state()?;
        }
        Ok(())
    }

    /// Journal a note (starting an incident if needed); "note saved" only after the fsync.
    pub fn save_note(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let r = self.journal(EventBody::Note {
            text: text.to_string(),
        });
        self.flash = Some(match r {
            Ok(()) => "note saved".into(),
            Err(e) => format!("note NOT saved: {e:#}"),
        });
    }

    /// Copy the status message (the UI loop sends it with OSC 52) and journal `reported`.
    pub fn copy_status(&mut self) {
        let message = self.status_message();
        self.clipboard = Some(message.clone());
        self.flash = Some(match self.journal(EventBody::Reported { message }) {
            Ok(()) => "status message copied (OSC 52), recorded as reported".into(),
            Err(e) => format!("copied, but not recorded: {e:#}"),
        });
    }

    /// Mark step `step` (0-based) done, or not done when it was.
    pub fn toggle_done(&mut self, step: usize) {
        let Some(name) = STEPS.get(step) else { return };
        let done = self.state().is_some_and(|s| s.steps_done.contains(*name));
        let status = if done { "undone" } else { "done" };
        let r = self.journal(EventBody::Step {
            step: name.to_string(),
            status: status.into(),
        });
        let shown = super::steps::NAMES.get(step).copied().unwrap_or(name);
        self.flash = Some(match r {
            Ok(()) => format!("{shown} marked {status}"),
            Err(e) => format!("not saved: {e:#}"),
        });
    }

    /// After a new snapshot: save the first one of the incident, journal new findings.
    pub fn on_snapshot(&mut self) {
        self.sync();
        let (Some(snap), Some((inc, _))) = (&self.snap, &self.incident) else {
            return;
        };
        let mut err = None;
        let mut appended = false;
        if !self.snapshot_saved && snap.host.is_some() {
            match inc.save_snapshot(snap) {
                Ok(_) => {
                    self.snapshot_saved = true;
                    appended = true;
                }
                Err(e) => err = Some(e.to_string()),
            }
        }
        for f in &snap.findings {
            if f.severity == Severity::Info || self.seen.contains(&f.id) {
                continue;
            }
            let body = EventBody::Finding {
                id: f.id.clone(),
                severity: f.severity,
                title: f.title.clone(),
                evidence: f.evidence.clone(),
            };
            match inc.append(body) {
                Ok(_) => {
                    self.seen.insert(f.id.clone());
                    appended = true;
                }
                Err(e) => err = Some(e.to_string()),
            }
        }
        if appended {
            if let Ok(st) = inc.state() {
                if let Some((_, s)) = &mut self.incident {
                    *s = st;
                }
            }
        }
        if let Some(e) = err {
            self.flash = Some(format!("journal: {e}"));
        }
    }

    /// Pick up what other responders did meanwhile (a second `triage`, `triage note`,
    /// `triage incident start|close`): their events, an incident opened or closed.
    pub fn sync(&mut self) {
        match &self.incident {
            None => {
                // Only the newest can have been started elsewhere: one journal read.
                let newest = self.store.all().ok().and_then(|mut all| all.pop());
                let open = newest.and_then(|inc| {
                    let st = inc.state().ok()?;
                    st.is_open().then_some((inc, st))
                });
                if let Some(open) = open {
                    self.flash = Some(format!("incident {} was started elsewhere", open.0.id));
                    self.set_incident(Some(open));
                }
            }
            Some((inc, _)) => match inc.state() {
                Ok(st) if !st.is_open() => {
                    self.flash = Some(format!("incident {} was closed", inc.id));
                    self.set_incident(None);
                }
                Ok(st) => {
                    if let Some((_, s)) = &mut self.incident {
                        *s = st;
                    }
                }
                Err(e) => self.flash = Some(format!("journal: {e}")),
            },
        }
    }

    /// The status message of the Report step.
    pub fn status_message(&self) -> String {
        let host = self.hostname();
        let role = match &self.inventory {
            Some(e) if !e.project.is_empty() || !e.role.is_empty() => {
                format!(" ({}/{})", e.project, e.role)
            }
            _ => String::new(),
        };
        let findings: Vec<String> = self
            .snap
            .as_ref()
            .map(|s| {
                s.findings
                    .iter()
                    .filter(|f| f.severity != Severity::Info)
                    .take(3)
                    .map(|f| f.title.clone())
                    .collect()
            })
            .unwrap_or_default();
        let what = if findings.is_empty() {
            match self.state() {
                Some(st) => st.title.clone(),
                None => "no abnormal findings yet".into(),
            }
        } else {
            findings.join("; ")
        };
        format!(
            "[triage] host {host}{role} — investigating: {what}. On it: {}",
            pick_responder(
                self.named_responder.as_deref(),
                self.inventory.as_ref().map(|e| e.responder.as_str()),
                Some(self.user.as_str()),
            )
            .unwrap_or_else(|| "me".into())
        )
    }

    /// Run `cmd` in the background as job `job` (no-op without a job channel).
    pub fn spawn_command(&self, job: u64, cmd: String, timeout: Duration) -> bool {
        match &self.jobs {
            Some(tx) => {
                event::spawn_command(tx, job, cmd, timeout);
                true
            }
            None => false,
        }
    }

    /// Test the inventory's dependencies in the background.
    pub fn spawn_reach(&mut self) {
        let targets = self
            .inventory
            .as_ref()
            .map(|e| e.dependencies.clone())
            .unwrap_or_default();
        if let (Some(tx), false) = (&self.jobs, targets.is_empty()) {
            event::spawn_reach(tx, targets, Duration::from_secs(2));
        }
    }
}
