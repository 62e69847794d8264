//! What every step reads: the latest snapshot, the incident and its journal-derived
//! state, the runbooks, inventory and theme. Steps get it read-only and return effects
//! (`effect.rs`); the app writes the journal through [`Ctx::journal`], which returns
//! only after the fsync, so "saved" is never shown for a line that is not on disk.

use std::collections::BTreeSet;
use std::sync::mpsc::Sender;
use std::time::Duration;

use anyhow::Result;
use triage_core::incident::journal::pick_responder;
use triage_core::incident::{EventBody, Incident, State, Step, Store};
use triage_core::runbook::inventory::{HostEntry, Reach};
use triage_core::snapshot::{Severity, Snapshot, Time};

use super::effect::Effect;
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
    /// The fleet directory Scope shows (`--fleet DIR`, else the inventory's `fleet_dir`).
    pub fleet_dir: Option<std::path::PathBuf>,
    /// That directory as read (None: not read yet), or why it could not be.
    pub fleet: Option<Result<triage_core::fleet::Fleet, String>>,
    /// Colours.
    pub theme: Theme,
    /// Who is at the keyboard.
    pub user: String,
    /// `$TRIAGE_RESPONDER`: who the status message names, before the inventory and `user`.
    pub named_responder: Option<String>,
    /// Where background jobs send their results (None in tests: jobs are not started).
    pub jobs: Option<Sender<Event>>,
    /// A fixed clock (tests); None: the real one.
    pub clock: Option<Time>,
    /// Finding ids already journaled for this incident.
    seen: BTreeSet<String>,
    /// Whether a snapshot was saved for this incident in this session.
    snapshot_saved: bool,
    /// Current findings an earlier incident recorded (see `seen.rs`).
    pub seen_before: super::seen::SeenCache,
    /// What the Logs step's follow mode reads (None: it cannot run, as in tests).
    pub follow_source: Option<super::follow::Source>,
    /// The follow thread while follow mode is on.
    pub following: Option<super::follow::Following>,
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
            fleet_dir: None,
            fleet: None,
            theme,
            user: triage_core::incident::journal::current_user().unwrap_or_else(|| "me".into()),
            named_responder: std::env::var("TRIAGE_RESPONDER").ok(),
            jobs: None,
            clock: None,
            seen: BTreeSet::new(),
            snapshot_saved: false,
            seen_before: Default::default(),
            follow_source: None,
            following: None,
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
    /// Returns what to tell the responder; nothing when this session already had one.
    pub fn start_incident(&mut self) -> Result<Option<String>> {
        self.start_incident_titled(None)
    }

    /// [`Ctx::start_incident`] with the title the responder typed (the top finding's when
    /// `None` or blank).
    pub fn start_incident_titled(&mut self, title: Option<&str>) -> Result<Option<String>> {
        if self.incident.is_some() {
            return Ok(None);
        }
        let title = match title.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => t.to_string(),
            None => self.default_title(),
        };
        let (inc, created) = self.store.start(&title, &self.hostname())?;
        let state = inc.state()?;
        let said = if created {
            format!("incident {} started", inc.id)
        } else {
            format!("incident {} was already open", inc.id)
        };
        self.set_incident(Some((inc, state)));
        Ok(Some(self.on_snapshot().unwrap_or(said)))
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

    /// Journal a note (starting an incident if needed); nothing for an empty one.
    pub fn note(text: &str) -> Option<Effect> {
        let text = text.trim();
        (!text.is_empty()).then(|| Effect::Journal {
            body: EventBody::Note {
                text: text.to_string(),
            },
            saved: "note saved".into(),
            failed: "note NOT saved: ",
        })
    }

    /// Copy the status message (the UI loop sends it with OSC 52) and journal `reported`.
    pub fn copy_status(&self) -> Vec<Effect> {
        let message = self.status_message();
        vec![
            Effect::Copy(message.clone()),
            Effect::Journal {
                body: EventBody::Reported { message },
                saved: "status message copied (OSC 52), recorded as reported".into(),
                failed: "copied, but not recorded: ",
            },
        ]
    }

    /// Mark `step` done, or not done when it was.
    pub fn toggle_done(&self, step: Step) -> Effect {
        let done = self
            .state()
            .is_some_and(|s| s.steps_done.contains(step.name()));
        let status = if done { "undone" } else { "done" };
        Effect::Journal {
            body: EventBody::Step {
                step: step.name().to_string(),
                status: status.into(),
            },
            saved: format!("{} marked {status}", step.title()),
            failed: "not saved: ",
        }
    }

    /// After a new snapshot: save the first one of the incident, journal new findings.
    /// Returns a message for the footer when something changed or failed.
    pub fn on_snapshot(&mut self) -> Option<String> {
        let mut said = self.sync();
        let (Some(snap), Some((inc, _))) = (&self.snap, &self.incident) else {
            return said;
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
            said = Some(format!("journal: {e}"));
        }
        said
    }

    /// Pick up what other responders did meanwhile (a second `triage`, `triage note`,
    /// `triage incident start|close`): their events, an incident opened or closed.
    /// Returns a message for the footer when the incident changed or the journal failed.
    pub fn sync(&mut self) -> Option<String> {
        match &self.incident {
            None => {
                // Only the newest can have been started elsewhere: one journal read.
                let newest = self.store.all().ok().and_then(|mut all| all.pop());
                let open = newest.and_then(|inc| {
                    let st = inc.state().ok()?;
                    st.is_open().then_some((inc, st))
                });
                let open = open?;
                let said = format!("incident {} was started elsewhere", open.0.id);
                self.set_incident(Some(open));
                Some(said)
            }
            Some((inc, _)) => match inc.state() {
                Ok(st) if !st.is_open() => {
                    let said = format!("incident {} was closed", inc.id);
                    self.set_incident(None);
                    Some(said)
                }
                Ok(st) => {
                    if let Some((_, s)) = &mut self.incident {
                        *s = st;
                    }
                    None
                }
                Err(e) => Some(format!("journal: {e}")),
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
        // Pods named by any finding (a throttled or OOM-killed container), so the message
        // says which pod even when its finding is not among the first three.
        let mut pods: Vec<String> = Vec::new();
        for f in self.snap.iter().flat_map(|s| &s.findings) {
            if f.severity == Severity::Info {
                continue;
            }
            if let Some(pod) = f.vars.get("pod") {
                let p = match f.vars.get("namespace") {
                    Some(ns) => format!("{ns}/{pod}"),
                    None => pod.clone(),
                };
                if !pods.contains(&p) && !what.contains(&p) {
                    pods.push(p);
                }
            }
        }
        let pods = if pods.is_empty() {
            String::new()
        } else {
            format!(" (also pod {})", pods.join(", "))
        };
        format!(
            "[triage] host {host}{role} — investigating: {what}{pods}. On it: {}",
            pick_responder(
                self.named_responder.as_deref(),
                self.inventory.as_ref().map(|e| e.responder.as_str()),
                Some(self.user.as_str()),
            )
            .unwrap_or_else(|| "me".into())
        )
    }

    /// Whether commands can run (not in tests without a job channel).
    pub fn can_spawn(&self) -> bool {
        self.jobs.is_some()
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

    /// Read `dir` as the fleet in the background, unless a fleet directory is already set
    /// (`--fleet` wins over the inventory).
    pub fn spawn_fleet(&mut self, dir: std::path::PathBuf) {
        if self.fleet_dir.is_some() {
            return;
        }
        self.fleet_dir = Some(dir.clone());
        if let Some(tx) = &self.jobs {
            event::spawn_fleet(tx, dir);
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
