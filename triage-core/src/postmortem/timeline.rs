//! The Timeline section: every journal event, one list item each, grouped under the
//! phase it belongs to (see [`super::phases`]). What a person wrote is marked ✍ so it
//! never reads as something triage measured, and each line ends with links to its
//! evidence: its line in the journal, and the snapshot file for snapshots and findings.

use serde::Serialize;

use super::actions::Recorded;
use super::model::{CommandRun, Facts, What};
use super::phases::{self, Span};
use super::sections::{code, exit, finding_line, indent_rest, inline, seconds, time};
use super::text::{fill, Text};
use super::Lang;
use crate::sanitize::md_inline;

/// The journal's file name in the incident directory.
pub const JOURNAL: &str = "journal.jsonl";

/// A link from a timeline line to a file in the incident directory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    /// What it shows: `journal.jsonl:12`, `snapshots/20261123-100005.json`.
    pub label: String,
    /// Where it points: `base` + the file, percent-encoded, `#L12` for a journal line.
    pub href: String,
}

/// The timeline as Markdown: a legend, then one `###` heading per phase with its lines.
/// `base` is put before every link target (empty: the Markdown sits in the incident
/// directory).
pub fn timeline(f: &Facts, lang: Lang, base: &str) -> String {
    let mut out = vec![fill(lang.text().legend, &[("id", &f.id)])];
    for span in phases::spans(f) {
        out.push(String::new());
        out.push(heading(&span, lang));
        out.push(String::new());
        for i in span.first..span.end {
            out.push(line(f, i, lang, base));
        }
    }
    out.join("\n")
}

/// `### Diagnosis · 10:02:13 → 10:20:11 (17m 58s)`.
fn heading(span: &Span, lang: Lang) -> String {
    format!(
        "### {} · {} → {} ({})",
        span.phase.name(lang),
        span.from.format("%H:%M:%S"),
        span.to.format("%H:%M:%S"),
        lang.duration(span.seconds())
    )
}

/// The evidence of timeline entry `i`: the snapshot file (for a snapshot, and for a
/// finding the last snapshot up to it that lists the finding), then its journal line.
pub fn evidence(f: &Facts, i: usize, base: &str) -> Vec<Link> {
    let Some(e) = f.timeline.get(i) else {
        return Vec::new();
    };
    let snapshot = match &e.what {
        What::Snapshot { file, .. } => Some(file.as_str()),
        What::Finding(finding) => f.timeline[..i].iter().rev().find_map(|p| match &p.what {
            What::Snapshot { file, findings } if findings.contains(&finding.id) => {
                Some(file.as_str())
            }
            _ => None,
        }),
        _ => None,
    };
    let mut out: Vec<Link> = snapshot
        .map(|file| Link {
            label: file.to_string(),
            href: format!("{base}{}", encode(file)),
        })
        .into_iter()
        .collect();
    if e.line > 0 {
        out.push(Link {
            label: format!("{JOURNAL}:{}", e.line),
            href: format!("{base}{JOURNAL}#L{}", e.line),
        });
    }
    out
}

/// A path as a link target: bytes other than unreserved ones and `/` percent-encoded, so
/// a file name with spaces, parentheses or a `scheme:` stays one relative link.
pub(super) fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/._-~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One timeline line: time, ✍ for what a person wrote, what happened, its evidence.
fn line(f: &Facts, i: usize, lang: Lang, base: &str) -> String {
    let e = &f.timeline[i];
    let mark = if phases::is_human(&e.what) {
        "✍ "
    } else {
        ""
    };
    let links: Vec<String> = evidence(f, i, base)
        .iter()
        .map(|l| format!(" · [{}]({})", md_inline(&l.label), l.href))
        .collect();
    format!(
        "- {} — {mark}{}{}",
        time(&e.time),
        body(f, i, lang),
        links.concat()
    )
}

/// What timeline entry `i` says, as Markdown; `by` (who wrote it) follows the event's
/// label. Text from the journal goes through [`inline`] or [`indent_rest`] so it cannot
/// break the list.
fn body(f: &Facts, i: usize, lang: Lang) -> String {
    let t = lang.text();
    let e = &f.timeline[i];
    let by =
        e.by.as_deref()
            .map(|b| format!(" ({})", inline(b)))
            .unwrap_or_default();
    match &e.what {
        What::Opened(title) => format!("**{}**{by}: {}", t.opened, inline(title)),
        What::Step { step, status } => step_body(lang, step, status, &by),
        What::Note(text) => format!("**{}**{by}: {}", t.note, indent_rest(text)),
        What::Reported(msg) => format!("**{}**{by}: {}", t.reported, indent_rest(msg)),
        What::Snapshot { findings, .. } => snapshot_body(lang, findings, &by),
        What::Finding(finding) => format!("{}: {}", t.finding, finding_line(finding)),
        What::Command(c) => match f.commands.get(*c) {
            Some(c) => command_body(t, c, &by),
            None => t.command.to_string(),
        },
        What::Impact(answers) => {
            let list: Vec<String> = answers
                .iter()
                .map(|(q, a)| format!("{}: {}", inline(q), inline(a)))
                .collect();
            format!("{}{by}: {}", t.impact, list.join("; "))
        }
        What::Closed(summary) => match summary {
            Some(s) => format!("**{}**{by}: {}", t.closed_event, indent_rest(s)),
            None => format!("**{}**{by}", t.closed_event),
        },
        What::Action(a) => action_body(t, a, &by),
        What::Other { kind, fields } => {
            let list: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{}={}", inline(k), inline(v)))
                .collect();
            format!("{} {}{by}: {}", t.event, code(kind), list.join(", "))
        }
    }
}

/// A step started or done, in the language's word order; an unknown status is shown as
/// the journal has it.
fn step_body(lang: Lang, step: &str, status: &str, by: &str) -> String {
    let t = lang.text();
    let status = match status {
        "started" => t.started.to_string(),
        "done" => t.done.to_string(),
        other => other.to_string(),
    };
    match lang {
        Lang::En => format!("{} {} {status}{by}", t.step, lang.step_name(step)),
        Lang::Ja => format!("{}「{}」{status}{by}", t.step, lang.step_name(step)),
    }
}

/// A snapshot taken, with the ids of the findings it had (none: just "snapshot").
fn snapshot_body(lang: Lang, findings: &[String], by: &str) -> String {
    let t = lang.text();
    if findings.is_empty() {
        return format!("{}{by}", t.snapshot);
    }
    let comma = if lang == Lang::Ja { "、" } else { ", " };
    let list = inline(&findings.join(", "));
    format!("{}{by}{comma}{}: {list}", t.snapshot, t.findings)
}

/// A command run: its mode and runbook in brackets when known, the command as code, its
/// exit and how long it took.
fn command_body(t: &Text, c: &CommandRun, by: &str) -> String {
    let tag = match (&c.mode, &c.runbook) {
        (Some(m), Some(r)) => format!(" [{m}, {} {r}]", t.runbook),
        (Some(m), None) => format!(" [{m}]"),
        (None, Some(r)) => format!(" [{} {r}]", t.runbook),
        (None, None) => String::new(),
    };
    format!(
        "**{}**{tag}{by}: {} → {}, {}",
        t.command,
        code(&c.command),
        exit(t, c.exit_code),
        seconds(c.duration_ms)
    )
}

/// An action item recorded: its kind, text, and owner and ticket in parentheses when set.
fn action_body(t: &Text, a: &Recorded, by: &str) -> String {
    let mut extra = Vec::new();
    if let Some(o) = &a.owner {
        extra.push(format!("{}: {}", t.owner, inline(o)));
    }
    if let Some(k) = &a.ticket {
        extra.push(format!("{}: {}", t.ticket, inline(k)));
    }
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(" ({})", extra.join(", "))
    };
    format!(
        "**{}** [{}]{by}: {}{extra}",
        t.action,
        a.kind,
        inline(&a.text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_targets_stay_relative_paths() {
        assert_eq!(
            encode("snapshots/20261123-100005.json"),
            "snapshots/20261123-100005.json"
        );
        assert_eq!(encode("a b(1).json"), "a%20b%281%29.json");
        assert_eq!(encode("javascript:x"), "javascript%3Ax");
        assert_eq!(encode("スナップ"), "%E3%82%B9%E3%83%8A%E3%83%83%E3%83%97");
    }
}
