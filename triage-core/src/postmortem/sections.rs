//! The sections of a postmortem that code writes (timeline, detection, hints,
//! resolution, action items, supporting figures), one plain function each, as Markdown
//! strings without a trailing newline. Times are shown in the UTC offset the journal
//! recorded, never the reader's zone, so a report reads the same everywhere.

use super::model::{CommandRun, Facts};
use super::text::{fill, one_line, Text};
use super::Lang;
use crate::render::markdown::cell;
use crate::runbook::Library;
use crate::sanitize::{md_cell, md_code, md_fenced_line, md_inline, md_list_item};
use crate::snapshot::{Finding, Time};

/// Output lines kept per command in Resolution.
pub(crate) const OUTPUT_LINES: usize = 20;
/// Changes listed as trigger hints at most, newest first (the rest are in the snapshot).
pub const MAX_CHANGES: usize = 10;
/// Findings listed as root-cause hints at most: a hint list, not the finding list.
pub(crate) const MAX_HINTS: usize = 3;

/// `2026-11-23 10:02:13 +09:00`.
pub fn time(t: &Time) -> String {
    t.format("%Y-%m-%d %H:%M:%S %:z").to_string()
}

pub use super::supporting::supporting;

/// `text` as an inline code span, fenced with enough backticks.
pub fn code(text: &str) -> String {
    md_code(&one_line(text))
}

/// Untrusted text (a title, a note's first line) as inline Markdown on one line.
pub(super) fn inline(text: &str) -> String {
    md_inline(&one_line(text))
}

/// Lines after the first, indented to continue a list item.
pub(super) fn indent_rest(text: &str) -> String {
    md_list_item(text.trim_end(), 2)
}

pub(super) fn finding_line(f: &Finding) -> String {
    format!("**{}** `{}` — {}", f.severity, f.id, inline(&f.title))
}

pub(super) fn exit(t: &Text, exit_code: Option<i32>) -> String {
    match exit_code {
        Some(0) => format!("{} 0 ({})", t.exit, t.ok),
        Some(n) => format!("{} {n} ({})", t.exit, t.failed),
        None => t.no_exit.to_string(),
    }
}

/// How a journalled command ended, worded as the postmortem words it: `exit 0
/// (succeeded), 1.2 s`. `triage incident status` shows the same.
pub fn command_outcome(lang: Lang, exit_code: Option<i32>, duration_ms: u64) -> String {
    format!("{}, {}", exit(lang.text(), exit_code), seconds(duration_ms))
}

pub(super) fn seconds(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// The findings at detection, with their evidence.
pub fn detection(f: &Facts, lang: Lang) -> String {
    let t = lang.text();
    if f.detection.is_empty() {
        return t.no_findings.to_string();
    }
    let head = match (&f.detection_source, &f.first_snapshot) {
        (Some(file), Some(s)) => fill(
            t.from_snapshot,
            &[
                ("file", &format!("`{file}`")),
                ("time", &time(&s.collected_at)),
            ],
        ),
        _ => t.from_events.to_string(),
    };
    let mut out = vec![head, String::new()];
    for finding in &f.detection {
        out.push(format!("- {}", finding_line(finding)));
        for e in &finding.evidence {
            out.push(format!("  - {}", code(e)));
        }
    }
    out.join("\n")
}

/// The first [`MAX_HINTS`] findings seen (those at detection first) under the hints
/// heading; empty when there were none.
pub(crate) fn root_cause_hints(f: &Facts, lang: Lang) -> String {
    if f.all_findings.is_empty() {
        return String::new();
    }
    let mut out = vec![lang.text().hints_findings.to_string(), String::new()];
    for finding in f.all_findings.iter().take(MAX_HINTS) {
        out.push(format!("- {}", finding_line(finding)));
    }
    out.join("\n")
}

/// The changes before the incident opened, as hints for the trigger.
pub(crate) fn trigger_hints(f: &Facts, lang: Lang) -> String {
    let t = lang.text();
    if f.changes_before.is_empty() {
        return String::new();
    }
    let mut out = vec![t.hints_changes.to_string(), String::new()];
    for c in f.changes_before.iter().take(MAX_CHANGES) {
        out.push(format!(
            "- {} — {}: {} ({})",
            time(&c.time),
            c.kind,
            inline(&c.summary),
            c.source
        ));
    }
    if f.changes_before.len() > MAX_CHANGES {
        let n = (f.changes_before.len() - MAX_CHANGES).to_string();
        out.push(format!("- {}", fill(t.more, &[("n", &n)])));
    }
    out.join("\n")
}

fn command_block(t: &Text, c: &CommandRun) -> Vec<String> {
    let mut out = vec![format!(
        "- {} — {} → {}, {}",
        time(&c.time),
        code(&c.command),
        exit(t, c.exit_code),
        seconds(c.duration_ms)
    )];
    let lines: Vec<&str> = c.output.trim_end().lines().collect();
    if lines.is_empty() {
        out.push(format!("  {}", t.no_output));
        return out;
    }
    let fence = if c.output.contains("```") {
        "~~~~"
    } else {
        "```"
    };
    out.push(String::new());
    out.push(format!("  {fence}text"));
    for l in lines.iter().take(OUTPUT_LINES) {
        out.push(format!("  {}", md_fenced_line(l)).trim_end().to_string());
    }
    if lines.len() > OUTPUT_LINES {
        let n = (lines.len() - OUTPUT_LINES).to_string();
        out.push(format!("  {}", fill(t.output_cut, &[("n", &n)])));
    }
    out.push(format!("  {fence}"));
    out.push(String::new());
    out
}

/// Fix commands with their outcome, then checks, then other commands.
pub fn resolution(f: &Facts, lang: Lang) -> String {
    let t = lang.text();
    let fixes: Vec<&CommandRun> = f.commands.iter().filter(|c| c.is_fix()).collect();
    let typed: Vec<&CommandRun> = f.commands.iter().filter(|c| c.mode.is_none()).collect();
    let checks: Vec<&CommandRun> = f
        .commands
        .iter()
        .filter(|c| !c.is_fix() && c.mode.is_some())
        .collect();
    let mut out = vec![format!("### {}", t.fixes), String::new()];
    if fixes.is_empty() {
        out.push(t.no_fix.to_string());
    }
    for c in &fixes {
        out.extend(command_block(t, c));
    }
    for (title, list) in [(t.typed, &typed), (t.checks, &checks)] {
        if list.is_empty() {
            continue;
        }
        if out.last().is_some_and(|l| !l.is_empty()) {
            out.push(String::new());
        }
        out.push(format!("### {title}"));
        out.push(String::new());
        for c in list.iter() {
            out.extend(command_block(t, c));
        }
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// A row of the action items table, recorded in the journal or proposed by triage.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ActionItem {
    /// `prevent`, `detect`, `mitigate` or `process` (`actions::TYPES`); a recorded item
    /// keeps whatever type its journal event gave.
    pub kind: String,
    /// What to do, on one line.
    pub text: String,
    /// Who will do it, once someone said so.
    pub owner: Option<String>,
    /// The tracker's ticket, once filed.
    pub ticket: Option<String>,
    /// `P1`…`P3` from the severity of the finding behind a proposal; `P2` for a recorded
    /// item (the journal has no priority).
    pub priority: &'static str,
    /// `proposed` (by triage) or `recorded` (in the journal), in the postmortem's language.
    pub status: &'static str,
    /// True when `text` is triage's own Markdown (a runbook proposal with the finding id in
    /// a code span). Otherwise it holds text from outside: a responder's item, or a
    /// countermeasure naming a process or a title, which any local user can shape into
    /// Markdown; the table escapes all of it.
    #[serde(skip)]
    pub markdown: bool,
}

/// The action items: those recorded in the journal, then triage's proposals (one per
/// finding, one per matched runbook, and a runbook to write when none matched the top
/// finding).
pub(crate) fn action_list(f: &Facts, lang: Lang, library: &Library) -> Vec<ActionItem> {
    let t = lang.text();
    let mut rows = Vec::new();
    for a in &f.actions {
        rows.push(ActionItem {
            kind: a.kind.clone(),
            text: one_line(&a.text),
            owner: a.owner.clone(),
            ticket: a.ticket.clone(),
            priority: "P2",
            status: t.recorded,
            markdown: false,
        });
    }
    let mut push = |kind: &str, text: String, priority, markdown| {
        rows.push(ActionItem {
            kind: kind.to_string(),
            text,
            owner: None,
            ticket: None,
            priority,
            status: t.proposed,
            markdown,
        })
    };
    for finding in &f.all_findings {
        push(
            "prevent",
            lang.suggestion(finding),
            lang.priority(finding.severity),
            false,
        );
    }
    let matched = library.matching(&f.all_findings, None);
    for (rb, finding) in &matched {
        let item = fill(t.runbook_update, &[("id", &rb.id), ("title", &rb.title)]);
        push("process", item, lang.priority(finding.severity), true);
    }
    if let Some(top) = f.all_findings.first() {
        if !matched.iter().any(|(_, fd)| fd.id == top.id) {
            push(
                "process",
                fill(t.runbook_write, &[("id", &top.id)]),
                lang.priority(top.severity),
                true,
            );
        }
    }
    rows
}

/// The action items as a Markdown table (text, type, owner, ticket, priority, status),
/// then the TODO asking for owners. Only triage's own proposals keep their Markdown
/// ([`cell`]: `|`, `\` and newlines escaped); everything else, which may come from a
/// process name or a log line, is escaped whole ([`md_cell`]).
pub fn action_items(items: &[ActionItem], lang: Lang) -> String {
    let t = lang.text();
    let mut out = vec![t.table_head.to_string()];
    for item in items {
        out.push(format!(
            "| {} | {} | {} | {} | {} | {} |",
            if item.markdown {
                cell(&item.text)
            } else {
                md_cell(&item.text)
            },
            md_cell(&item.kind),
            md_cell(item.owner.as_deref().unwrap_or("")),
            md_cell(item.ticket.as_deref().unwrap_or("")),
            item.priority,
            item.status
        ));
    }
    out.push(String::new());
    out.push(t.owner_todo.to_string());
    out.join("\n")
}

/// What could not be read, as a quote; empty when everything was read.
pub fn problems(f: &Facts, lang: Lang) -> String {
    if f.problems.is_empty() {
        return String::new();
    }
    let mut out = vec![format!("> {}", lang.text().problems), ">".to_string()];
    for p in &f.problems {
        out.push(format!("> - {}", inline(p)));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("df -h"), "`df -h`");
        assert_eq!(code("echo `date`"), "`` echo `date` ``");
        assert_eq!(code("a ``b`` c\nd"), "```a ``b`` c d```");
    }

    /// A countermeasure names a process, and a local user picks process names: a name
    /// shaped as an HTML comment or a link must not hide the rest of the ticket or plant a
    /// link; triage's own runbook proposal keeps its code span.
    #[test]
    fn action_items_escape_all_but_our_own_markdown() {
        let item = |text: &str, markdown| ActionItem {
            kind: "prevent".into(),
            text: text.into(),
            owner: Some("<!--".into()),
            ticket: None,
            priority: "P1",
            status: "proposed",
            markdown,
        };
        let table = action_items(
            &[
                item("Find why <!-- [x](http://e.vil) uses memory", false),
                item("Write a runbook for `oom_kill` (none matched)", true),
            ],
            Lang::En,
        );
        let bare = |pat: &str| {
            table
                .match_indices(pat)
                .any(|(i, _)| !table[..i].ends_with('\\'))
        };
        assert!(!bare("<!--"), "{table}");
        assert!(!bare("]("), "{table}");
        assert!(table.contains("`oom_kill`"), "{table}");
    }
}
