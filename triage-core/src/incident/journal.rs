//! The incident journal: `incidents/<id>/journal.jsonl`, mode 0600, append-only, one JSON
//! object per line with `time`, `kind` and the kind's fields (DESIGN.md, "Incident
//! journal").
//!
//! Durability: each append takes an exclusive `flock(2)` on the journal (two responders on
//! one host may append at once), writes the whole line with one `write(2)` on an
//! `O_APPEND` descriptor, and `fsync`s before returning, so a caller may show "saved" only
//! after [`Journal::append`] returned. A torn last line (power cut, `kill -9` mid-write) is
//! skipped on read, never fatal; the next append starts on a fresh line.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::snapshot::{now, Severity, Time};

/// One journal line.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Event {
    /// When it happened.
    pub time: Time,
    /// Who wrote it (`$SUDO_USER`, else `$USER`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// What happened: `kind` and its fields.
    #[serde(flatten)]
    pub body: EventBody,
}

/// The kinds of journal event and their fields.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventBody {
    /// The incident was opened.
    Opened {
        /// Incident title.
        title: String,
        /// Host name.
        host: String,
    },
    /// A workflow step was entered or marked done.
    Step {
        /// Step name: detect, report, scope, logs, state, fix, postmortem.
        step: String,
        /// `started` or `done`.
        status: String,
    },
    /// A free-text note.
    Note {
        /// The note.
        text: String,
    },
    /// The status message was copied/sent: the incident was reported.
    Reported {
        /// The message as sent.
        message: String,
    },
    /// A snapshot was saved next to the journal.
    Snapshot {
        /// File name, relative to the incident directory.
        file: String,
        /// Ids of the findings it had, worst first.
        #[serde(default)]
        findings: Vec<String>,
    },
    /// A finding was first seen during the incident.
    Finding {
        /// Finding id.
        id: String,
        /// Severity.
        severity: Severity,
        /// Title.
        title: String,
        /// Evidence lines.
        #[serde(default)]
        evidence: Vec<String>,
    },
    /// A command was run (a runbook check or fix, or one the responder typed).
    Command {
        /// The command line as run (redacted when stored).
        command: String,
        /// Exit code; `None` when killed at its timeout or not started.
        exit_code: Option<i32>,
        /// Wall time.
        duration_ms: u64,
        /// Output (stdout then stderr), trimmed.
        output: String,
        /// `check` (read-only) or `fix` (changes the system).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<String>,
        /// The runbook it came from.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runbook: Option<String>,
    },
    /// Answers to the impact questions of the Scope step.
    Impact {
        /// Question → answer.
        answers: std::collections::BTreeMap<String, String>,
    },
    /// The incident was closed.
    Closed {
        /// Summary: what happened and how it was fixed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
    },
    /// A kind this version does not know (written by a newer triage): kept, not lost.
    #[serde(untagged)]
    Other(serde_json::Map<String, serde_json::Value>),
}

impl EventBody {
    /// The `kind` string of this event.
    pub fn kind(&self) -> &str {
        match self {
            EventBody::Opened { .. } => "opened",
            EventBody::Step { .. } => "step",
            EventBody::Note { .. } => "note",
            EventBody::Reported { .. } => "reported",
            EventBody::Snapshot { .. } => "snapshot",
            EventBody::Finding { .. } => "finding",
            EventBody::Command { .. } => "command",
            EventBody::Impact { .. } => "impact",
            EventBody::Closed { .. } => "closed",
            EventBody::Other(map) => map
                .get("kind")
                .and_then(|k| k.as_str())
                .unwrap_or("unknown"),
        }
    }
}

/// Who is at the keyboard: `$SUDO_USER`, else `$USER`, else `$LOGNAME`.
pub fn current_user() -> Option<String> {
    login_name(|v| std::env::var(v).ok())
}

fn login_name(env: impl Fn(&str) -> Option<String>) -> Option<String> {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|v| env(v).filter(|s| !s.trim().is_empty()))
}

/// Who the status message says is on it: `named` (`$TRIAGE_RESPONDER`: an on-call
/// alias, a name people know), else the inventory's `responder` for this host, else the
/// login name ([`current_user`]); blank values count as absent.
pub fn pick_responder(
    named: Option<&str>,
    inventory: Option<&str>,
    login: Option<&str>,
) -> Option<String> {
    [named, inventory, login]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|s| !s.is_empty())
        .map(str::to_string)
}

/// An append-only JSONL journal file.
#[derive(Debug, Clone)]
pub struct Journal {
    path: PathBuf,
}

/// What reading a journal found: the events, and lines that were skipped.
#[derive(Debug, Clone, Default)]
pub struct ReadResult {
    /// Every readable event, in file order.
    pub events: Vec<Event>,
    /// `FILE:LINE: reason` for each skipped line.
    pub skipped: Vec<String>,
    /// The 1-based line of each event in `events`, so a report can point at it.
    pub lines: Vec<usize>,
}

impl Journal {
    /// The journal at `path` (not opened until used).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Journal { path: path.into() }
    }

    /// The file path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one event (stamped now, by the current user) and fsync it. Returns the
    /// event as written.
    pub fn append(&self, body: EventBody) -> Result<Event> {
        let event = Event {
            time: now(),
            by: current_user(),
            body,
        };
        self.append_event(&event)?;
        Ok(event)
    }

    /// Append `event` as one line, under an exclusive lock, and fsync.
    pub fn append_event(&self, event: &Event) -> Result<()> {
        let mut line =
            serde_json::to_vec(event).map_err(|e| Error::Invalid(format!("journal event: {e}")))?;
        line.push(b'\n');
        let io = |e: std::io::Error| Error::io(&self.path, e);
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(&self.path)
            .map_err(io)?;
        check_own_file(&file, &self.path)?;
        let mut locked =
            Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, e)| io(e.into()))?;
        // A torn last line from a crash: start ours on a fresh line so both survive.
        let len = locked.metadata().map_err(io)?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            locked.seek(SeekFrom::Start(len - 1)).map_err(io)?;
            locked.read_exact(&mut last).map_err(io)?;
            if last[0] != b'\n' {
                line.insert(0, b'\n');
            }
        }
        locked.write_all(&line).map_err(io)?;
        locked.sync_data().map_err(io)?;
        Ok(())
    }

    /// Read every event. A missing file is an empty journal; unreadable lines are skipped
    /// and listed.
    pub fn read(&self) -> Result<ReadResult> {
        let mut text = String::new();
        let opened = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(&self.path);
        match opened {
            Ok(mut f) => {
                check_own_file(&f, &self.path)?;
                let mut bytes = Vec::new();
                f.read_to_end(&mut bytes)
                    .map_err(|e| Error::io(&self.path, e))?;
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&self.path, e)),
        }
        Ok(parse(&text, &self.path))
    }
}

/// A journal must be a regular file owned by us (checked on the open descriptor, so
/// nothing can be swapped in between): a journal planted by another user, or a FIFO,
/// is refused.
fn check_own_file(file: &File, path: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    let me = nix::unistd::geteuid().as_raw();
    if !meta.is_file() {
        return Err(Error::Invalid(format!(
            "{}: not a regular file; refusing to use it as a journal",
            path.display()
        )));
    }
    if meta.uid() != me {
        return Err(Error::Invalid(format!(
            "{}: owned by uid {}, not by you (uid {me}); refusing to use it as a journal",
            path.display(),
            meta.uid()
        )));
    }
    Ok(())
}

/// Parse journal text; `path` only names the file in skip messages.
pub(crate) fn parse(text: &str, path: &Path) -> ReadResult {
    let mut out = ReadResult::default();
    let lines: Vec<&str> = text.split('\n').collect();
    let last_index = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(line) {
            Ok(ev) => {
                out.events.push(ev);
                out.lines.push(i + 1);
            }
            Err(e) => {
                let why = if i == last_index {
                    "torn last line (crash while writing?)"
                } else {
                    "not a journal event"
                };
                out.skipped
                    .push(format!("{}:{}: {why}: {e}", path.display(), i + 1));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responder_is_the_named_one_then_the_inventory_then_the_login() {
        let pick = pick_responder;
        assert_eq!(
            pick(Some("db-oncall"), Some("web-team"), Some("alice")).as_deref(),
            Some("db-oncall")
        );
        assert_eq!(
            pick(None, Some("web-team"), Some("alice")).as_deref(),
            Some("web-team")
        );
        assert_eq!(
            pick(Some(" "), Some(""), Some("alice")).as_deref(),
            Some("alice")
        );
        assert_eq!(pick(None, None, None), None);
        let env = |v: &str| (v == "USER").then(|| "bob".to_string());
        assert_eq!(login_name(env).as_deref(), Some("bob"));
        let blank = |v: &str| Some(if v == "LOGNAME" { "carol" } else { " " }.to_string());
        assert_eq!(login_name(blank).as_deref(), Some("carol"));
    }

    #[test]
    fn round_trip_every_kind() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::new(dir.path().join("journal.jsonl"));
        j.append(EventBody::Opened {
            title: "t".into(),
            host: "h".into(),
        })
        .unwrap();
        j.append(EventBody::Note {
            text: "disk full on /var".into(),
        })
        .unwrap();
        j.append(EventBody::Command {
            command: "df -h".into(),
            exit_code: Some(0),
            duration_ms: 12,
            output: "ok".into(),
            mode: Some("check".into()),
            runbook: None,
        })
        .unwrap();
        j.append(EventBody::Closed { summary: None }).unwrap();
        let r = j.read().unwrap();
        assert!(r.skipped.is_empty(), "{:?}", r.skipped);
        let kinds: Vec<&str> = r.events.iter().map(|e| e.body.kind()).collect();
        assert_eq!(kinds, ["opened", "note", "command", "closed"]);
        let text = std::fs::read_to_string(j.path()).unwrap();
        assert!(
            text.lines().nth(1).unwrap().contains(r#""kind":"note""#),
            "{text}"
        );
        assert!(text
            .lines()
            .nth(1)
            .unwrap()
            .contains(r#""text":"disk full on /var""#));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(j.path()).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn torn_last_line_is_skipped_and_next_append_survives() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::new(dir.path().join("journal.jsonl"));
        j.append(EventBody::Note { text: "one".into() }).unwrap();
        let mut f = OpenOptions::new().append(true).open(j.path()).unwrap();
        f.write_all(br#"{"time":"2026-11-23T10:00:00+00:00","kind":"no"#)
            .unwrap();
        let r = j.read().unwrap();
        assert_eq!(r.events.len(), 1);
        assert_eq!(r.skipped.len(), 1);
        assert!(
            r.skipped[0].contains("journal.jsonl:2: torn last line"),
            "{:?}",
            r.skipped
        );
        j.append(EventBody::Note { text: "two".into() }).unwrap();
        let r = j.read().unwrap();
        let texts: Vec<String> = r
            .events
            .iter()
            .filter_map(|e| match &e.body {
                EventBody::Note { text } => Some(text.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(texts, ["one", "two"]);
    }

    #[test]
    fn unknown_kinds_are_kept() {
        let r = parse(
            r#"{"time":"2026-11-23T10:00:00+00:00","kind":"escalated","to":"db-team"}"#,
            Path::new("j"),
        );
        assert_eq!(r.events.len(), 1);
        assert_eq!(r.events[0].body.kind(), "escalated");
    }

    #[test]
    fn concurrent_appenders_never_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let j = Journal::new(path.clone());
                std::thread::spawn(move || {
                    for i in 0..50 {
                        j.append(EventBody::Note {
                            text: format!("{t}-{i}-{}", "x".repeat(3000)),
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let r = Journal::new(path).read().unwrap();
        assert!(r.skipped.is_empty(), "{:?}", r.skipped);
        assert_eq!(r.events.len(), 200);
    }
}
