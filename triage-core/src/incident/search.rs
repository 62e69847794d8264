//! Past incidents as a database (`triage incident search TEXT | --finding ID | --host H`):
//! every incident's journal and the postmortems written next to it (`postmortem*.md`),
//! newest first, with the lines that matched. Criteria given together must all match.

use serde::Serialize;

use super::journal::EventBody;
use super::{Incident, State, Store};
use crate::error::Result;
use crate::redact::redact_if;
use crate::snapshot::Time;

/// Matching lines kept per incident.
pub(crate) const MAX_LINES: usize = 10;
/// Bytes of a postmortem read for matching: the rest of a larger file is not searched
/// (a postmortem is a page; this bounds the memory of one pass over the store).
const MAX_POSTMORTEM_BYTES: u64 = 1 << 20;

/// What to look for. Criteria given together must all match; an empty query matches
/// every incident whose journal can be read.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Text anywhere in a journal event or a postmortem line (case-insensitive).
    pub text: Option<String>,
    /// A finding id recorded in the incident (a `finding` event or a snapshot's list).
    pub finding: Option<String>,
    /// The host the incident was opened on (case-insensitive).
    pub host: Option<String>,
}

/// One incident that matched: what it was about, what fixed it, and the lines that made
/// it match.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    /// Incident id (its directory name in the store).
    pub id: String,
    /// Its title on one line, redacted when the search is.
    pub title: String,
    /// The host it was opened on, as the `opened` event says (redacted when the search is).
    pub host: String,
    /// When it was opened; hits come newest first by this.
    pub opened_at: Option<Time>,
    /// When it was closed; `None` while open.
    pub closed_at: Option<Time>,
    /// Every finding id recorded, first seen first.
    pub findings: Vec<String>,
    /// The fix commands run, in order.
    pub fixed_by: Vec<String>,
    /// The lines that matched, at most [`MAX_LINES`].
    pub lines: Vec<Line>,
}

/// A line that matched, to show where the hit came from.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Line {
    /// The file, relative to the incident directory.
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// The line's text (one line, redacted).
    pub text: String,
}

/// Search every incident in `store`, newest first. Journals that cannot be read are
/// skipped, never fatal.
pub fn search(store: &Store, q: &Query, redact: bool) -> Result<Vec<Hit>> {
    let text = q
        .text
        .as_deref()
        .map(str::to_lowercase)
        .filter(|t| !t.is_empty());
    let mut hits = Vec::new();
    for inc in store.all()?.into_iter().rev() {
        if let Some(hit) = matches(&inc, q, text.as_deref(), redact) {
            hits.push(hit);
        }
    }
    hits.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(b.id.cmp(&a.id)));
    Ok(hits)
}

/// `inc` as a hit when it meets every criterion of `q` (`text` is the query's text,
/// lowercased). Its journal is read whole; its postmortems only when there is text to find.
fn matches(inc: &Incident, q: &Query, text: Option<&str>, redact: bool) -> Option<Hit> {
    let state = inc.state().ok()?;
    if let Some(h) = &q.host {
        if !state.host.eq_ignore_ascii_case(h.trim()) {
            return None;
        }
    }
    let mut scan = Scan {
        redact,
        findings: Vec::new(),
        fixed_by: Vec::new(),
        lines: Vec::new(),
        finding_seen: q.finding.is_none(),
        text_seen: text.is_none(),
    };
    scan.journal(&state, q.finding.as_deref(), text);
    if let Some(t) = text {
        scan.postmortems(inc, t);
    }
    (scan.finding_seen && scan.text_seen).then(|| Hit {
        id: inc.id.clone(),
        title: scan.shown(&state.title),
        host: scan.shown(&state.host),
        opened_at: state.opened_at,
        closed_at: state.closed_at,
        findings: scan.findings,
        fixed_by: scan.fixed_by,
        lines: scan.lines,
    })
}

/// What one incident's files gave so far.
struct Scan {
    /// Redact what is kept (lines, fix commands, title, host).
    redact: bool,
    /// Every finding id recorded, first seen first.
    findings: Vec<String>,
    /// The fix commands run, in order.
    fixed_by: Vec<String>,
    /// The lines that matched, at most [`MAX_LINES`].
    lines: Vec<Line>,
    /// The finding criterion is met (true when there is none).
    finding_seen: bool,
    /// The text criterion is met (true when there is none).
    text_seen: bool,
}

impl Scan {
    /// `s` on one line, redacted when asked: how every text of a hit is shown.
    fn shown(&self, s: &str) -> String {
        redact_if(self.redact, &crate::postmortem::text::one_line(s)).into_owned()
    }

    /// Keeps a matching line while there is room (the criterion counts as met either way).
    fn keep(&mut self, file: &str, line: usize, text: &str) {
        if self.lines.len() < MAX_LINES {
            let text = self.shown(text);
            self.lines.push(Line {
                file: file.to_string(),
                line,
                text,
            });
        }
    }

    /// Every journal event: records its finding ids and fix commands, and keeps it when it
    /// has `finding` or contains `text` (lowercased).
    fn journal(&mut self, state: &State, finding: Option<&str>, text: Option<&str>) {
        for (i, ev) in state.events.iter().enumerate() {
            let line = state.event_lines.get(i).copied().unwrap_or(0);
            if let EventBody::Command {
                command,
                mode: Some(mode),
                ..
            } = &ev.body
            {
                if mode == "fix" {
                    let shown = self.shown(command);
                    self.fixed_by.push(shown);
                }
            }
            let (ids, words) = searchable(&ev.body);
            for id in &ids {
                if !self.findings.iter().any(|f| f == id) {
                    self.findings.push((*id).to_string());
                }
            }
            let by_finding = finding.is_some_and(|f| ids.contains(&f));
            let by_text = text.is_some_and(|t| words.to_lowercase().contains(t));
            self.finding_seen |= by_finding;
            self.text_seen |= by_text;
            if by_finding || by_text {
                self.keep("journal.jsonl", line, &words);
            }
        }
    }

    /// Every line of the incident's postmortems that contains `text` (lowercased).
    fn postmortems(&mut self, inc: &Incident, text: &str) {
        for (file, body) in postmortems(inc) {
            for (n, l) in body.lines().enumerate() {
                if l.to_lowercase().contains(text) {
                    self.text_seen = true;
                    self.keep(&file, n + 1, l);
                }
            }
        }
    }
}

/// The finding ids a journal event records, and the one line of words the text search
/// looks in (also the line shown when it matches). Kinds without a wording here are
/// searched as their JSON.
fn searchable(body: &EventBody) -> (Vec<&str>, String) {
    match body {
        EventBody::Finding { id, title, .. } => {
            (vec![id.as_str()], format!("finding {id}: {title}"))
        }
        EventBody::Snapshot { file, findings } => (
            findings.iter().map(String::as_str).collect(),
            format!("snapshot {file}: {}", findings.join(", ")),
        ),
        EventBody::Command {
            command, exit_code, ..
        } => {
            let exit = exit_code.map_or("-".to_string(), |c| c.to_string());
            (vec![], format!("command {command} (exit {exit})"))
        }
        EventBody::Note { text } => (vec![], format!("note: {text}")),
        EventBody::Opened { title, host } => (vec![], format!("opened on {host}: {title}")),
        EventBody::Closed { summary } => (
            vec![],
            format!("closed: {}", summary.as_deref().unwrap_or("")),
        ),
        EventBody::Reported { message } => (vec![], format!("reported: {message}")),
        other => (vec![], serde_json::to_string(other).unwrap_or_default()),
    }
}

/// The postmortems written into the incident directory (`postmortem*.md`), bounded.
fn postmortems(inc: &Incident) -> Vec<(String, String)> {
    use std::io::Read;
    let Ok(entries) = std::fs::read_dir(&inc.dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().to_str().map(String::from))
        .filter(|n| n.starts_with("postmortem") && n.ends_with(".md"))
        .collect();
    names.sort();
    names
        .into_iter()
        .filter_map(|n| {
            let f = std::fs::File::open(inc.dir.join(&n)).ok()?;
            let mut s = String::new();
            f.take(MAX_POSTMORTEM_BYTES).read_to_string(&mut s).ok()?;
            Some((n, s))
        })
        .collect()
}

/// A finding of now that occurred in an earlier incident: what the Scope step shows as
/// "seen before".
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SeenBefore {
    /// The id of the current finding that an earlier incident also recorded.
    pub finding: String,
    /// The earlier incident (the newest one on this host, else the newest anywhere).
    pub incident: Hit,
    /// True when that incident was on the same host.
    pub same_host: bool,
}

impl SeenBefore {
    /// `seen before: incident 20261003-041200 (oom_kill on this host, fixed by systemctl
    /// restart java)`.
    pub fn line(&self) -> String {
        let place = if self.same_host {
            "this host".to_string()
        } else {
            self.incident.host.clone()
        };
        let fix = if self.incident.fixed_by.is_empty() {
            "no fix recorded".to_string()
        } else {
            format!("fixed by {}", self.incident.fixed_by.join("; "))
        };
        format!(
            "seen before: incident {} ({} on {place}, {fix})",
            self.incident.id, self.finding
        )
    }
}

/// For each of `findings` (ids, in order, each once) that an incident other than `current`
/// recorded: the newest such incident on `host`, else the newest on any host. One pass
/// over the store, whatever the number of findings.
pub fn seen_before(
    store: &Store,
    findings: &[&str],
    host: &str,
    current: Option<&str>,
    redact: bool,
) -> Result<Vec<SeenBefore>> {
    if findings.is_empty() {
        return Ok(Vec::new());
    }
    let hits: Vec<Hit> = search(store, &Query::default(), redact)?
        .into_iter()
        .filter(|h| Some(h.id.as_str()) != current)
        .collect();
    let mut out: Vec<SeenBefore> = Vec::new();
    for f in findings {
        if out.iter().any(|s| s.finding == *f) {
            continue;
        }
        let with = |h: &&Hit| h.findings.iter().any(|g| g == f);
        let same = hits
            .iter()
            .filter(with)
            .find(|h| h.host.eq_ignore_ascii_case(host.trim()));
        if let Some(hit) = same.or_else(|| hits.iter().find(with)) {
            out.push(SeenBefore {
                finding: (*f).to_string(),
                incident: hit.clone(),
                same_host: same.is_some(),
            });
        }
    }
    Ok(out)
}
