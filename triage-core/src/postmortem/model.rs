//! The facts a postmortem states, taken from the incident journal
//! (`incidents/<id>/journal.jsonl`) and the snapshots saved next to it
//! (`snapshots/*.json`). Nothing here is guessed: what the journal does not say stays
//! `None`/empty and becomes a `TODO:` when rendered. Every free-text string is redacted
//! here, once, when redaction is on.

use std::collections::BTreeMap;

use crate::incident::{Event, EventBody, Incident, State};
use crate::redact::redact_if;
use crate::snapshot::{Change, Finding, Snapshot, Time};

/// Everything a postmortem can say about one incident.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The incident's directory name in the store (its opening time, `YYYYMMDD-HHMMSS`), used in
    /// chart file names and headings.
    pub id: String,
    /// Title from the `opened` event.
    pub title: String,
    /// Host from the `opened` event.
    pub host: String,
    /// The `opened` event's time, else the first event's; `None` for an empty journal.
    pub opened_at: Option<Time>,
    /// When it was closed; `None` while open.
    pub closed_at: Option<Time>,
    /// Summary given at close.
    pub summary: Option<String>,
    /// Impact answers (question → answer), later answers overriding earlier ones.
    pub impact: BTreeMap<String, String>,
    /// Every journal event, in order.
    pub timeline: Vec<Entry>,
    /// Findings at detection: those of the first saved snapshot, else `finding` events.
    pub detection: Vec<Finding>,
    /// Where [`Facts::detection`] came from: a snapshot file, or `None` for events.
    pub detection_source: Option<String>,
    /// Every finding seen during the incident (detection first, then later ones), by id.
    pub all_findings: Vec<Finding>,
    /// Changes recorded by the first snapshot that happened before the incident opened,
    /// newest first.
    pub changes_before: Vec<Change>,
    /// Every `command` event, in journal order; [`What::Command`] entries index into it.
    pub commands: Vec<CommandRun>,
    /// The first and last saved snapshots that could be read (the same when only one).
    pub first_snapshot: Option<Snapshot>,
    /// See [`Facts::first_snapshot`].
    pub last_snapshot: Option<Snapshot>,
    /// Every snapshot file the journal names, relative to the incident directory.
    pub snapshot_files: Vec<String>,
    /// What could not be read: skipped journal lines, unreadable snapshots.
    pub problems: Vec<String>,
    /// Action items recorded in the journal (`action` events), in order.
    pub actions: Vec<super::actions::Recorded>,
}

/// One journal event, ready to list.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The event's own timestamp, as the journal recorded it (with its UTC offset).
    pub time: Time,
    /// Its line in `journal.jsonl` (1-based; 0 when unknown).
    pub line: usize,
    /// Who, when known.
    pub by: Option<String>,
    /// What happened, already redacted when the postmortem is.
    pub what: What,
}

/// What a timeline entry says (redacted).
#[derive(Debug, Clone)]
pub enum What {
    /// The `opened` event, with the title the responder typed.
    Opened(String),
    /// A workflow step entered (`started`) or finished (`done`).
    Step {
        /// The step's journal name ([`crate::incident::Step::name`]), shown translated.
        step: String,
        /// `started` or `done`; any other value is shown as written.
        status: String,
    },
    /// A free-text note a person wrote; may hold several lines.
    Note(String),
    /// The status message sent.
    Reported(String),
    /// A snapshot saved, with its findings' ids.
    Snapshot {
        /// File relative to the incident directory.
        file: String,
        /// The ids of the findings the snapshot had when it was saved.
        findings: Vec<String>,
    },
    /// A `finding` event (the TUI journals a finding when it first shows it).
    Finding(Finding),
    /// A command run (index into [`Facts::commands`]).
    Command(usize),
    /// Answers to the impact questions (question → answer) given in this event only;
    /// [`Facts::impact`] holds them merged.
    Impact(BTreeMap<String, String>),
    /// The incident closed, with its summary when one was given.
    Closed(Option<String>),
    /// An action item recorded (see [`super::actions`]).
    Action(super::actions::Recorded),
    /// A kind this version does not know, with its fields as `key=value`.
    Other {
        /// The event's `kind` field as written (redacted).
        kind: String,
        /// Every field but `kind`, in the journal's order, non-string values as JSON.
        fields: Vec<(String, String)>,
    },
}

/// A command run during the incident.
#[derive(Debug, Clone)]
pub struct CommandRun {
    /// When it was recorded.
    pub time: Time,
    /// The command line as journaled (the journal stores it redacted already).
    pub command: String,
    /// Exit code; `None` when killed at its timeout or not started.
    pub exit_code: Option<i32>,
    /// How long it ran, wall-clock milliseconds, as recorded by the journaling side.
    pub duration_ms: u64,
    /// Its output as the journal kept it: the last 200 lines / 64 KiB, redacted
    /// (see `runbook::exec::run`).
    pub output: String,
    /// `fix`, `check`, or `None` (typed by the responder).
    pub mode: Option<String>,
    /// The id of the runbook it came from; `None` for a command typed by hand.
    pub runbook: Option<String>,
}

impl CommandRun {
    /// True for a command that changed the system.
    pub fn is_fix(&self) -> bool {
        self.mode.as_deref() == Some("fix")
    }
}

impl Facts {
    /// Gather the facts of `incident` whose journal reads as `state`.
    pub fn gather(incident: &Incident, state: &State, redact: bool) -> Facts {
        let r = |s: &str| redact_if(redact, s).into_owned();
        let dir_prefix = format!("{}/", incident.dir.display());
        let mut facts = Facts {
            id: incident.id.clone(),
            title: r(&state.title),
            host: r(&state.host),
            opened_at: state.opened_at,
            closed_at: state.closed_at,
            summary: state
                .summary
                .as_deref()
                .map(r)
                .filter(|s| !s.trim().is_empty()),
            impact: BTreeMap::new(),
            timeline: Vec::new(),
            detection: Vec::new(),
            detection_source: None,
            all_findings: Vec::new(),
            changes_before: Vec::new(),
            commands: Vec::new(),
            first_snapshot: None,
            last_snapshot: None,
            snapshot_files: Vec::new(),
            actions: Vec::new(),
            problems: state
                .skipped
                .iter()
                .map(|s| r(&s.replace(&dir_prefix, "")))
                .collect(),
        };
        let mut finding_events: Vec<Finding> = Vec::new();
        for (i, ev) in state.events.iter().enumerate() {
            let what = facts.event(ev, redact, &mut finding_events);
            facts.timeline.push(Entry {
                time: ev.time,
                line: state.event_lines.get(i).copied().unwrap_or(0),
                by: ev.by.as_deref().map(r),
                what,
            });
        }
        facts.load_snapshots(incident, redact);
        facts.findings_from(finding_events);
        facts.changes_before = facts.changes_before_opening();
        facts
    }

    /// What `ev` says, redacted when `redact`; commands, impact answers, snapshot files
    /// and action items are also collected into their lists, findings into `findings`.
    fn event(&mut self, ev: &Event, redact: bool, findings: &mut Vec<Finding>) -> What {
        let r = |s: &str| redact_if(redact, s).into_owned();
        match &ev.body {
            EventBody::Opened { title, .. } => What::Opened(r(title)),
            EventBody::Step { step, status } => What::Step {
                step: r(step),
                status: r(status),
            },
            EventBody::Note { text } => What::Note(r(text)),
            EventBody::Reported { message } => What::Reported(r(message)),
            EventBody::Snapshot { file, findings } => {
                self.snapshot_files.push(r(file));
                What::Snapshot {
                    file: r(file),
                    findings: findings.iter().map(|f| r(f)).collect(),
                }
            }
            EventBody::Finding {
                id,
                severity,
                title,
                evidence,
            } => {
                let mut f = Finding::new(r(id), *severity, r(title));
                f.evidence = evidence.iter().map(|e| r(e)).collect();
                findings.push(f.clone());
                What::Finding(f)
            }
            EventBody::Command {
                command,
                exit_code,
                duration_ms,
                output,
                mode,
                runbook,
            } => {
                self.commands.push(CommandRun {
                    time: ev.time,
                    command: r(command),
                    exit_code: *exit_code,
                    duration_ms: *duration_ms,
                    output: r(output),
                    mode: mode.as_deref().map(r),
                    runbook: runbook.as_deref().map(r),
                });
                What::Command(self.commands.len() - 1)
            }
            EventBody::Impact { answers } => {
                let answers: BTreeMap<String, String> =
                    answers.iter().map(|(q, a)| (r(q), r(a))).collect();
                self.impact.extend(answers.clone());
                What::Impact(answers)
            }
            EventBody::Closed { summary } => What::Closed(summary.as_deref().map(r)),
            EventBody::Other(map) => self.other_event(ev, map, redact),
        }
    }

    /// A kind the journal module does not type: an action item, else kept as fields.
    fn other_event(
        &mut self,
        ev: &Event,
        map: &serde_json::Map<String, serde_json::Value>,
        redact: bool,
    ) -> What {
        let r = |s: &str| redact_if(redact, s).into_owned();
        let kind = r(ev.body.kind());
        let fields: Vec<(String, String)> = map
            .iter()
            .filter(|(k, _)| k.as_str() != "kind")
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (r(k), r(&v))
            })
            .collect();
        let by = ev.by.as_deref().map(r);
        match super::actions::from_fields(&fields, by.as_deref())
            .filter(|_| kind == super::actions::KIND)
        {
            Some(a) => {
                self.actions.push(a.clone());
                What::Action(a)
            }
            None => What::Other { kind, fields },
        }
    }

    /// Detection: the first snapshot's findings when it has any (or nothing was journaled),
    /// else the journaled ones; all findings: those, then every other id seen later.
    fn findings_from(&mut self, journaled: Vec<Finding>) {
        match &self.first_snapshot {
            Some(first) if !first.findings.is_empty() || journaled.is_empty() => {
                self.detection = first.findings.clone();
                self.detection_source = self.snapshot_files.first().cloned();
            }
            _ => self.detection = journaled.clone(),
        }
        self.all_findings = self.detection.clone();
        let later = self
            .last_snapshot
            .iter()
            .flat_map(|s| s.findings.iter().cloned());
        for f in journaled.into_iter().chain(later) {
            if !self.all_findings.iter().any(|g| g.id == f.id) {
                self.all_findings.push(f);
            }
        }
    }

    /// The first snapshot's changes from before the incident opened, newest first.
    fn changes_before_opening(&self) -> Vec<Change> {
        let (Some(first), Some(opened)) = (&self.first_snapshot, self.opened_at) else {
            return Vec::new();
        };
        let mut changes: Vec<Change> = first
            .recent_changes
            .iter()
            .flatten()
            .filter(|c| c.time < opened)
            .cloned()
            .collect();
        changes.sort_by_key(|c| std::cmp::Reverse(c.time));
        changes
    }

    /// Load the first and last readable snapshots; unreadable ones become problems.
    fn load_snapshots(&mut self, incident: &Incident, redact: bool) {
        let mut load = |file: &String| match incident.load_snapshot(file) {
            Ok(mut s) => {
                if redact {
                    s.redact();
                }
                Some(s)
            }
            Err(e) => {
                let dir_prefix = format!("{}/", incident.dir.display());
                self.problems
                    .push(redact_if(redact, &e.to_string().replace(&dir_prefix, "")).into_owned());
                None
            }
        };
        let files = self.snapshot_files.clone();
        let mut first_index = None;
        for (i, f) in files.iter().enumerate() {
            if let Some(s) = load(f) {
                self.first_snapshot = Some(s);
                first_index = Some(i);
                break;
            }
        }
        let Some(first_index) = first_index else {
            return;
        };
        for f in files.iter().skip(first_index + 1).rev() {
            if let Some(s) = load(f) {
                self.last_snapshot = Some(s);
                break;
            }
        }
        if self.last_snapshot.is_none() {
            self.last_snapshot = self.first_snapshot.clone();
        }
    }

    /// True when no later snapshot than the first could be read.
    pub fn single_snapshot(&self) -> bool {
        self.snapshot_files.len() < 2
            || matches!((&self.first_snapshot, &self.last_snapshot),
                (Some(a), Some(b)) if a.collected_at == b.collected_at)
    }
}
