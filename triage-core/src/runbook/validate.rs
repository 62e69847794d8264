//! Validation of runbook files: TOML syntax, unknown keys, unknown finding ids in
//! `triggers`, steps with both or neither of `check`/`fix`, unknown or quoted `{variables}`,
//! empty ids and titles, duplicate ids. Each problem is a [`Diagnostic`] printed as
//! `FILE:LINE: message`, the line taken from the TOML parser's byte spans.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::runbook::vars::{parse, Piece};
use crate::runbook::{Runbook, Step};

/// One problem in a runbook or inventory file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user named it (`runbooks/oom_kill.toml`, `builtin:oom_kill.toml`).
    pub file: String,
    /// 1-based line; 0 when the problem is the file as a whole (unreadable).
    pub line: usize,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// Every finding id a runbook may name in `triggers`: the ids of
/// [`crate::findings::catalogue`].
pub static KNOWN_FINDING_IDS: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| crate::findings::catalogue::ids().collect());

/// Variables every runbook may use without declaring them in `[vars]`: findings name their
/// culprit with these, and `host` is this machine's name.
pub const KNOWN_VARIABLES: &[&str] = &[
    "pid",
    "process",
    "user",
    "mount",
    "device",
    "port",
    "unit",
    "path",
    "host",
    // The cgroup findings: its path, the directory of its files, and the container.
    "cgroup",
    "cgroup_dir",
    "runtime",
    "container",
    "container_id",
    "pod",
    "namespace",
];

/// Longest `timeout_seconds` a step may ask for.
pub(crate) const MAX_TIMEOUT_SECONDS: u64 = 3600;

const RUNBOOK_KEYS: &[&str] = &["id", "title", "triggers", "applies_to", "vars", "step"];
const STEP_KEYS: &[&str] = &[
    "title",
    "explain",
    "check",
    "fix",
    "rollback",
    "expect",
    "timeout_seconds",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRunbook {
    id: Spanned<String>,
    title: Spanned<String>,
    #[serde(default)]
    triggers: Vec<Spanned<String>>,
    #[serde(default)]
    applies_to: Vec<String>,
    #[serde(default)]
    vars: BTreeMap<Spanned<String>, String>,
    #[serde(default)]
    step: Vec<Spanned<RawStep>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    title: Spanned<String>,
    #[serde(default)]
    explain: String,
    check: Option<Spanned<String>>,
    fix: Option<Spanned<String>>,
    rollback: Option<Spanned<String>>,
    expect: Option<String>,
    timeout_seconds: Option<Spanned<u64>>,
}

/// 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Collects diagnostics for one file.
pub(crate) struct Sink<'a> {
    pub(crate) file: &'a str,
    pub(crate) text: &'a str,
    pub(crate) out: Vec<Diagnostic>,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(file: &'a str, text: &'a str) -> Self {
        Sink {
            file,
            text,
            out: Vec::new(),
        }
    }

    pub(crate) fn at(&mut self, offset: usize, message: impl Into<String>) {
        self.out.push(Diagnostic {
            file: self.file.to_string(),
            line: line_of(self.text, offset),
            message: message.into(),
        });
    }

    /// A TOML syntax or type error, at its span (line 1 when it has none).
    pub(crate) fn toml_error(&mut self, e: &toml::de::Error, syntax: bool) {
        let off = e.span().map_or(0, |s| s.start);
        let msg = e.message().trim().replace('\n', "; ");
        let msg = if syntax {
            format!("TOML syntax: {msg}")
        } else {
            msg
        };
        self.at(off, msg);
    }

    /// Parse `text` as TOML, reporting syntax errors; `None` when there were any.
    pub(crate) fn parse_toml(&mut self) -> Option<Spanned<DeTable<'a>>> {
        let (table, errors) = DeTable::parse_recoverable(self.text);
        // Recovery after the first error mostly finds its echoes: report the first only.
        if let Some(first) = errors
            .iter()
            .min_by_key(|e| e.span().map_or(0, |s| s.start))
        {
            self.toml_error(first, true);
        }
        errors.is_empty().then_some(table)
    }

    /// Report every key of `table` not in `allowed`, at the key's line.
    pub(crate) fn unknown_keys(&mut self, table: &DeTable<'_>, allowed: &[&str], what: &str) {
        for (key, _) in table.iter() {
            let name: &str = key.get_ref();
            if !allowed.contains(&name) {
                self.at(
                    key.span().start,
                    format!(
                        "unknown key {name:?}{what} (expected one of: {})",
                        allowed.join(", ")
                    ),
                );
            }
        }
    }
}

/// Parse and validate a runbook's text. `file` names it in diagnostics. The runbook is
/// returned only when there is no diagnostic; also returns the line of its `id`.
pub(crate) fn parse_runbook(text: &str, file: &str) -> (Option<(Runbook, usize)>, Vec<Diagnostic>) {
    let mut sink = Sink::new(file, text);
    let Some(doc) = sink.parse_toml() else {
        return (None, sink.out);
    };
    sink.unknown_keys(doc.get_ref(), RUNBOOK_KEYS, "");
    for (key, value) in doc.get_ref().iter() {
        if key.get_ref() == "step" {
            match value.get_ref() {
                DeValue::Array(steps) => {
                    for s in steps.iter() {
                        if let DeValue::Table(t) = s.get_ref() {
                            sink.unknown_keys(t, STEP_KEYS, " in [[step]]");
                        }
                    }
                }
                DeValue::Table(_) => sink.at(
                    key.span().start,
                    "write each step as [[step]] (double brackets), not [step]",
                ),
                _ => {}
            }
        }
    }
    if !sink.out.is_empty() {
        return (None, sink.out);
    }
    let raw: RawRunbook = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            sink.toml_error(&e, false);
            return (None, sink.out);
        }
    };
    let runbook = check_raw(&mut sink, &raw);
    sink.out.sort_by_key(|d| d.line);
    let id_line = line_of(text, raw.id.span().start);
    if sink.out.is_empty() {
        (Some((runbook, id_line)), sink.out)
    } else {
        (None, sink.out)
    }
}

fn is_var_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(x) if x.is_ascii_lowercase() || x == '_')
        && c.all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || x == '_')
}

fn check_raw(sink: &mut Sink<'_>, raw: &RawRunbook) -> Runbook {
    let id = raw.id.get_ref().trim();
    if id.is_empty() {
        sink.at(raw.id.span().start, "id is empty");
    } else if !id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        sink.at(
            raw.id.span().start,
            format!("id {id:?} may hold only lowercase letters, digits, \"_\" and \"-\""),
        );
    }
    if raw.title.get_ref().trim().is_empty() {
        sink.at(raw.title.span().start, "title is empty");
    }
    for t in &raw.triggers {
        if !KNOWN_FINDING_IDS.contains(&t.get_ref().as_str()) {
            sink.at(
                t.span().start,
                format!("unknown finding id {:?} in triggers", t.get_ref()),
            );
        }
    }
    for name in raw.vars.keys() {
        if !is_var_name(name.get_ref()) {
            sink.at(
                name.span().start,
                format!(
                    "variable name {:?} in [vars] may hold only lowercase letters, digits and \"_\"",
                    name.get_ref()
                ),
            );
        }
    }
    if raw.step.is_empty() {
        sink.at(0, "no [[step]]: a runbook needs at least one step");
    }
    let declared: Vec<&str> = raw.vars.keys().map(|k| k.get_ref().as_str()).collect();
    let steps = raw
        .step
        .iter()
        .enumerate()
        .map(|(i, s)| check_step(sink, i + 1, s, &declared))
        .collect();
    Runbook {
        id: id.to_string(),
        title: raw.title.get_ref().trim().to_string(),
        triggers: raw.triggers.iter().map(|t| t.get_ref().clone()).collect(),
        applies_to: raw.applies_to.clone(),
        vars: raw
            .vars
            .iter()
            .map(|(k, v)| (k.get_ref().clone(), v.clone()))
            .collect(),
        steps,
        origin: String::new(),
    }
}

fn check_step(sink: &mut Sink<'_>, n: usize, s: &Spanned<RawStep>, declared: &[&str]) -> Step {
    let step = s.get_ref();
    let title = step.title.get_ref().trim();
    let label = format!("step {n} ({title:?})");
    let start = s.span().start;
    if title.is_empty() {
        sink.at(step.title.span().start, format!("step {n}: title is empty"));
    }
    match (&step.check, &step.fix) {
        (Some(_), Some(f)) => sink.at(
            f.span().start,
            format!("{label}: has both check and fix; a step is exactly one of them"),
        ),
        (None, None) => sink.at(
            start,
            format!("{label}: has neither check nor fix; a step needs exactly one"),
        ),
        _ => {}
    }
    if let (Some(r), None) = (&step.rollback, &step.fix) {
        sink.at(
            r.span().start,
            format!("{label}: rollback on a check step; only a fix has a rollback"),
        );
    }
    if let Some(t) = &step.timeout_seconds {
        if *t.get_ref() == 0 || *t.get_ref() > MAX_TIMEOUT_SECONDS {
            sink.at(
                t.span().start,
                format!("{label}: timeout_seconds must be 1 to {MAX_TIMEOUT_SECONDS}"),
            );
        }
    }
    for (what, cmd) in [
        ("check", &step.check),
        ("fix", &step.fix),
        ("rollback", &step.rollback),
    ] {
        let Some(cmd) = cmd else { continue };
        if cmd.get_ref().trim().is_empty() {
            sink.at(cmd.span().start, format!("{label}: {what} is empty"));
        }
        for piece in parse(cmd.get_ref()) {
            let Piece::Var { name, quoted } = piece else {
                continue;
            };
            if !KNOWN_VARIABLES.contains(&name) && !declared.contains(&name) {
                let mut known: Vec<&str> = KNOWN_VARIABLES.to_vec();
                known.extend(declared);
                sink.at(
                    cmd.span().start,
                    format!(
                        "{label}: unknown variable {{{name}}} in {what} (known: {}; declare \
                         others in [vars], or write {{{{{name}}}}} for a literal)",
                        known.join(", ")
                    ),
                );
            } else if quoted {
                sink.at(
                    cmd.span().start,
                    format!(
                        "{label}: {{{name}}} in {what} stands inside quotes; triage quotes \
                         values itself, remove the quotes around it"
                    ),
                );
            }
        }
    }
    let text = |o: &Option<Spanned<String>>| o.as_ref().map(|s| s.get_ref().clone());
    Step {
        title: title.to_string(),
        explain: step.explain.trim().to_string(),
        check: text(&step.check),
        fix: text(&step.fix),
        rollback: text(&step.rollback),
        expect: step.expect.as_ref().map(|e| e.trim().to_string()),
        timeout_seconds: step.timeout_seconds.as_ref().map(|t| *t.get_ref()),
    }
}

/// Validate one runbook's `text`; `file` names it in the diagnostics (the garbage tests;
/// the library goes through `load::scan_texts`).
#[cfg(test)]
pub(crate) fn check_text(text: &str, file: &str) -> Vec<Diagnostic> {
    parse_runbook(text, file).1
}

/// Validate every runbook (and `inventory.toml`) in `dir`, or the single file `dir`.
pub fn check_dir(dir: &Path) -> Vec<Diagnostic> {
    use crate::runbook::load::{read_dir_texts, scan_texts};
    let (texts, mut diags) = read_dir_texts(dir);
    diags.extend(scan_texts(&texts, true).diagnostics);
    diags
}

/// Validate every source [`crate::runbook::load_library`] reads: the embedded runbooks and
/// inventory, then each directory that exists, and `$TRIAGE_INVENTORY` when set.
pub fn check_all() -> Vec<Diagnostic> {
    use crate::runbook::load::{read_text, scan_texts};
    let mut diags = scan_texts(&crate::runbook::load::builtin_texts(), true).diagnostics;
    for dir in crate::runbook::load::source_dirs() {
        if dir.exists() {
            diags.extend(check_dir(&dir));
        }
    }
    if let Some(p) = std::env::var_os("TRIAGE_INVENTORY").filter(|p| !p.is_empty()) {
        let p = std::path::PathBuf::from(p);
        match read_text(&p) {
            Ok(text) => diags.extend(crate::runbook::inventory::check_text(
                &text,
                &p.display().to_string(),
            )),
            Err(e) => diags.push(Diagnostic {
                file: p.display().to_string(),
                line: 0,
                message: format!("(TRIAGE_INVENTORY) {e}"),
            }),
        }
    }
    diags
}
