//! What a template sees. Sections code writes are Markdown marked safe; raw facts
//! (`title`, and every string inside `events`, `findings`, `commands`, `actions`) are
//! plain values that the template environment escapes when printed.
//!
//! | name | what |
//! |---|---|
//! | `id`, `title`, `host`, `status`, `opened`, `closed`, `duration`, `summary`, `lang` | facts (strings, empty when unknown) |
//! | `impact`, `impact_start`, `timeline`, `detection`, `root_cause_hints`, `trigger_hints`, `resolution`, `action_items`, `supporting`, `charts`, `problems`, `todos` | sections written by code (Markdown) |
//! | `events` | every journal event: `time`, `by`, `kind`, `text`, `phase`, `human` (bool), `line`, `links` (`label`, `href`) |
//! | `phases` | the phases in order: `name`, `from`, `to`, `duration`, `events` (count) |
//! | `findings` | every finding seen: `id`, `severity`, `title`, `evidence` (list) |
//! | `commands` | every command run: `time`, `command`, `exit_code`, `duration_ms`, `output`, `mode`, `runbook`, `fix` |
//! | `actions` | the action items: `kind`, `text`, `owner`, `ticket`, `priority`, `status` |

use std::collections::BTreeMap;

use minijinja::value::{Serde, Value};
use serde::Serialize;

use super::model::{Facts, What};
use super::sections::{self, time};
use super::window::{self, Window};
use super::{phases, text, timeline, Lang, Options};
use crate::render::markdown::cell;

/// A journal event as a template sees it.
#[derive(Debug, Serialize)]
struct EventView {
    time: String,
    by: Option<String>,
    kind: String,
    text: String,
    /// Its phase's name, in the postmortem's language.
    phase: &'static str,
    /// Written by a person (a note, the title…), not recorded by triage.
    human: bool,
    /// Its line in the journal (0 when unknown).
    line: usize,
    /// Its evidence (see [`timeline::evidence`]).
    links: Vec<timeline::Link>,
}

/// A phase as a template sees it.
#[derive(Debug, Serialize)]
struct PhaseView {
    name: &'static str,
    from: String,
    to: String,
    duration: String,
    events: usize,
}

/// A finding as a template sees it.
#[derive(Debug, Serialize)]
struct FindingView<'a> {
    id: &'a str,
    severity: String,
    title: &'a str,
    evidence: &'a [String],
}

/// A command as a template sees it.
#[derive(Debug, Serialize)]
struct CommandView<'a> {
    time: String,
    command: &'a str,
    exit_code: Option<i32>,
    duration_ms: u64,
    output: &'a str,
    mode: Option<&'a str>,
    runbook: Option<&'a str>,
    fix: bool,
}

/// The names a template sees, each mapped to its value.
type Names = BTreeMap<&'static str, Value>;

/// The names and values a template renders with, `todos` given separately (it needs a
/// first render to be known).
pub fn build(facts: &Facts, window: &Window, opts: &Options, todos: &str) -> Value {
    let mut v = Names::new();
    insert_facts(&mut v, facts, opts.lang);
    insert_sections(&mut v, facts, window, opts);
    v.insert("todos", Value::from_safe_string(todos.to_string()));
    insert_lists(&mut v, facts, opts.lang, &opts.link_base);
    Value::from_pairs(v)
}

/// The plain facts (`id`, `title`, `host`, `status`, `opened`, `closed`, `duration`,
/// `summary`, `lang`): strings the environment escapes, empty when unknown; `duration`
/// says "ongoing" until the incident is closed.
fn insert_facts(v: &mut Names, facts: &Facts, lang: Lang) {
    let t = lang.text();
    v.insert("lang", Value::from(lang.code()));
    v.insert("id", Value::from(facts.id.clone()));
    v.insert("title", Value::from(text::one_line(&facts.title)));
    v.insert("host", Value::from(text::one_line(&facts.host)));
    let status = if facts.closed_at.is_some() {
        t.closed
    } else {
        t.open
    };
    v.insert("status", Value::from(status));
    let when = |x: &Option<crate::snapshot::Time>| x.as_ref().map(time).unwrap_or_default();
    v.insert("opened", Value::from(when(&facts.opened_at)));
    v.insert("closed", Value::from(when(&facts.closed_at)));
    let duration = match (facts.opened_at, facts.closed_at) {
        (Some(a), Some(b)) => lang.duration((b - a).num_seconds().max(0).unsigned_abs()),
        _ => t.ongoing.to_string(),
    };
    v.insert("duration", Value::from(duration));
    v.insert(
        "summary",
        Value::from(facts.summary.clone().unwrap_or_default()),
    );
}

/// The sections code writes, as Markdown marked safe (their untrusted parts are escaped
/// where they are written), and `actions`, the action items as values.
fn insert_sections(v: &mut Names, facts: &Facts, window: &Window, opts: &Options) {
    let lang = opts.lang;
    let safe = Value::from_safe_string;
    v.insert("impact", safe(text::answers(&facts.impact)));
    v.insert(
        "timeline",
        safe(timeline::timeline(facts, lang, &opts.link_base)),
    );
    v.insert("detection", safe(sections::detection(facts, lang)));
    v.insert(
        "root_cause_hints",
        safe(sections::root_cause_hints(facts, lang)),
    );
    v.insert("trigger_hints", safe(sections::trigger_hints(facts, lang)));
    v.insert("resolution", safe(sections::resolution(facts, lang)));
    let actions = sections::action_list(facts, lang, opts.library);
    v.insert("action_items", safe(sections::action_items(&actions, lang)));
    v.insert("actions", action_values(&actions));
    v.insert("supporting", safe(sections::supporting(facts, lang)));
    v.insert("problems", safe(sections::problems(facts, lang)));
    v.insert("charts", safe(window::charts_markdown(window)));
    v.insert("impact_start", safe(window::impact_markdown(window, lang)));
}

/// The lists a template can loop over: `events`, `phases`, `findings`, `commands`.
fn insert_lists(v: &mut Names, facts: &Facts, lang: Lang, base: &str) {
    v.insert("events", Value::from(Serde(events(facts, lang, base))));
    let phases: Vec<PhaseView> = phases::spans(facts)
        .iter()
        .map(|s| PhaseView {
            name: s.phase.name(lang),
            from: time(&s.from),
            to: time(&s.to),
            duration: lang.duration(s.seconds()),
            events: s.end - s.first,
        })
        .collect();
    v.insert("phases", Value::from(Serde(&phases)));
    let findings: Vec<FindingView> = facts
        .all_findings
        .iter()
        .map(|f| FindingView {
            id: &f.id,
            severity: f.severity.to_string(),
            title: &f.title,
            evidence: &f.evidence,
        })
        .collect();
    v.insert("findings", Value::from(Serde(&findings)));
    let commands: Vec<CommandView> = facts
        .commands
        .iter()
        .map(|c| CommandView {
            time: time(&c.time),
            command: &c.command,
            exit_code: c.exit_code,
            duration_ms: c.duration_ms,
            output: &c.output,
            mode: c.mode.as_deref(),
            runbook: c.runbook.as_deref(),
            fix: c.is_fix(),
        })
        .collect();
    v.insert("commands", Value::from(Serde(&commands)));
}

/// Every journal event with its kind, one line of plain text, its phase and evidence.
fn events(facts: &Facts, lang: Lang, base: &str) -> Vec<EventView> {
    let phases = phases::of(facts);
    facts
        .timeline
        .iter()
        .zip(phases)
        .enumerate()
        .map(|(i, (e, phase))| {
            let (kind, text) = match &e.what {
                What::Opened(title) => ("opened", title.clone()),
                What::Step { step, status } => {
                    ("step", format!("{} {status}", lang.step_name(step)))
                }
                What::Note(t) => ("note", t.clone()),
                What::Reported(m) => ("reported", m.clone()),
                What::Snapshot { file, findings } => {
                    ("snapshot", format!("{file} {}", findings.join(", ")))
                }
                What::Finding(f) => ("finding", format!("{} {}", f.id, f.title)),
                What::Command(i) => (
                    "command",
                    facts
                        .commands
                        .get(*i)
                        .map(|c| c.command.clone())
                        .unwrap_or_default(),
                ),
                What::Impact(a) => (
                    "impact",
                    a.iter()
                        .map(|(q, a)| format!("{q}: {a}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                What::Closed(s) => ("closed", s.clone().unwrap_or_default()),
                What::Action(a) => ("action", format!("[{}] {}", a.kind, a.text)),
                What::Other { kind, fields } => (
                    kind.as_str(),
                    fields
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            };
            EventView {
                time: time(&e.time),
                by: e.by.clone(),
                kind: kind.to_string(),
                text: text.trim().to_string(),
                phase: phase.name(lang),
                human: phases::is_human(&e.what),
                line: e.line,
                links: timeline::evidence(facts, i, base),
            }
        })
        .collect()
}

/// The action items for templates: `text` is Markdown written by code (runbook ids in
/// backticks), so it is marked safe, with table pipes escaped so it fits a table cell.
fn action_values(items: &[sections::ActionItem]) -> Value {
    items
        .iter()
        .map(|a| {
            Value::from_pairs([
                ("kind", Value::from(a.kind.clone())),
                ("text", Value::from_safe_string(cell(&a.text))),
                ("owner", Value::from(a.owner.clone())),
                ("ticket", Value::from(a.ticket.clone())),
                ("priority", Value::from(a.priority)),
                ("status", Value::from(a.status)),
            ])
        })
        .collect()
}
