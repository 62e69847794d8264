//! Postmortems (`triage postmortem`): a Markdown skeleton filled from an incident's
//! journal (`incidents/<id>/journal.jsonl`) and the snapshots saved next to it, in
//! English or Japanese (障碍内容 / 影響範囲 / 経過 / 対処方法 / 将来の対策).
//!
//! [`model`] gathers the facts; [`sections`] writes the parts code knows how to write;
//! a [`template`] file (`runbooks/postmortem/{en,ja}.md`, built in, overridable by
//! `STATE_DIR/postmortem/{en,ja}.md`) lays them out. What the journal does not say is a
//! `TODO:` line; every `TODO:` line is listed again at the end and in
//! [`Rendered::todos`].

pub mod model;
pub mod sections;
pub mod supporting;
pub mod template;
pub mod text;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::incident::Incident;
use crate::runbook::Library;
use model::Facts;
use template::Template;

/// The language of a postmortem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Japanese.
    Ja,
}

impl Lang {
    /// `en` or `ja`: the template file stem.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    /// The built-in template.
    fn builtin(self) -> &'static str {
        match self {
            Lang::En => include_str!("../../../runbooks/postmortem/en.md"),
            Lang::Ja => include_str!("../../../runbooks/postmortem/ja.md"),
        }
    }
}

/// How to render.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// Language.
    pub lang: Lang,
    /// Mask secrets in everything that goes in (notes, commands, outputs, evidence).
    pub redact: bool,
    /// Runbooks, for action-item suggestions (may be empty).
    pub library: &'a Library,
    /// A directory whose `en.md`/`ja.md` replaces the built-in template (usually
    /// `STATE_DIR/postmortem`); a missing file falls back to the built-in one.
    pub template_dir: Option<PathBuf>,
}

/// A rendered postmortem.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The Markdown.
    pub markdown: String,
    /// What is left for a human to fill: `Section: text` for each `TODO:` line.
    pub todos: Vec<String>,
}

/// Every placeholder a template may use.
pub const NAMES: &[&str] = &[
    "id",
    "title",
    "host",
    "status",
    "opened",
    "closed",
    "duration",
    "summary",
    "impact",
    "timeline",
    "detection",
    "root_cause_hints",
    "trigger_hints",
    "resolution",
    "action_items",
    "supporting",
    "problems",
    "todos",
];

/// Where a team's templates live: `STATE_DIR/postmortem` (holding `en.md`, `ja.md`).
pub fn template_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("postmortem")
}

/// Render the postmortem of `incident`.
pub fn render(incident: &Incident, opts: &Options) -> Result<Rendered> {
    let template = load_template(opts.lang, opts.template_dir.as_deref())?;
    let state = incident.state()?;
    let facts = Facts::gather(incident, &state, opts.redact);
    Ok(render_facts(&facts, &template, opts))
}

/// Load the template for `lang`: `dir/<lang>.md` when it exists, else the built-in one.
pub fn load_template(lang: Lang, dir: Option<&Path>) -> Result<Template> {
    let file = format!("{}.md", lang.code());
    if let Some(path) = dir.map(|d| d.join(&file)).filter(|p| p.exists()) {
        if !path.is_file() {
            // A FIFO here would block the read forever.
            return Err(Error::Invalid(format!(
                "{}: not a regular file; not read",
                path.display()
            )));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        return Template::parse(&text, &path, NAMES);
    }
    let builtin = PathBuf::from(format!("builtin:runbooks/postmortem/{file}"));
    Template::parse(lang.builtin(), &builtin, NAMES)
}

/// Render `facts` with `template`.
pub fn render_facts(facts: &Facts, template: &Template, opts: &Options) -> Rendered {
    let lang = opts.lang;
    let t = lang.text();
    let mut v: BTreeMap<&str, String> = BTreeMap::new();
    v.insert("id", facts.id.clone());
    v.insert("title", text::one_line(&facts.title));
    v.insert("host", text::one_line(&facts.host));
    let status = if facts.closed_at.is_some() {
        t.closed
    } else {
        t.open
    };
    v.insert("status", status.to_string());
    let when = |x: &Option<crate::snapshot::Time>| x.as_ref().map(sections::time);
    v.insert("opened", when(&facts.opened_at).unwrap_or_default());
    v.insert("closed", when(&facts.closed_at).unwrap_or_default());
    let duration = match (facts.opened_at, facts.closed_at) {
        (Some(a), Some(b)) => lang.duration((b - a).num_seconds().max(0).unsigned_abs()),
        _ => t.ongoing.to_string(),
    };
    v.insert("duration", duration);
    v.insert("summary", facts.summary.clone().unwrap_or_default());
    v.insert("impact", text::answers(&facts.impact));
    v.insert("timeline", sections::timeline(facts, lang));
    v.insert("detection", sections::detection(facts, lang));
    v.insert("root_cause_hints", sections::root_cause_hints(facts, lang));
    v.insert("trigger_hints", sections::trigger_hints(facts, lang));
    v.insert("resolution", sections::resolution(facts, lang));
    v.insert(
        "action_items",
        sections::action_items(facts, lang, opts.library),
    );
    v.insert("supporting", sections::supporting(facts, lang));
    v.insert("problems", sections::problems(facts, lang));
    // First pass without the list, to find the TODO lines; then the real one.
    let todos = collect_todos(&template.render(&v));
    let list: Vec<String> = todos.iter().map(|t| format!("- [ ] {t}")).collect();
    v.insert("todos", list.join("\n"));
    Rendered {
        markdown: template.render(&v),
        todos,
    }
}

/// `Section: text` (`Section / Subsection: text` under a `###`) for every line that
/// starts with `TODO:` (after list, quote or table markers), outside fenced code blocks.
pub fn collect_todos(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut heading = String::new();
    let mut fence: Option<&str> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if let Some(f) = fence {
            if trimmed.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(if trimmed.starts_with("```") {
                "```"
            } else {
                "~~~"
            });
            continue;
        }
        if let Some(h) = trimmed.strip_prefix("## ") {
            section = h.trim().to_string();
            heading = section.clone();
            continue;
        }
        if let Some(h) = trimmed.strip_prefix("### ") {
            heading = format!("{section} / {}", h.trim());
            continue;
        }
        let body = trimmed.trim_start_matches(['-', '*', '>', '|', ' ', '[', ']']);
        if let Some(todo) = body.strip_prefix("TODO:") {
            let todo = todo.trim().trim_end_matches('|').trim();
            out.push(if heading.is_empty() {
                todo.to_string()
            } else {
                format!("{heading}: {todo}")
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_templates_parse() {
        for lang in [Lang::En, Lang::Ja] {
            load_template(lang, None).unwrap();
        }
    }

    #[test]
    fn todos_are_found_outside_code() {
        let md = "## Summary\n\nTODO: write it\n\n```\nTODO: not this\n```\n## Impact\n- TODO: who\n### Users\n> TODO: quoted\nnot TODO: here\n";
        assert_eq!(
            collect_todos(md),
            ["Summary: write it", "Impact: who", "Impact / Users: quoted"]
        );
    }

    #[test]
    fn override_dir_is_used_and_errors_name_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("en.md"), "# {{title}}\n\n{{#if summary}}\n").unwrap();
        let err = load_template(Lang::En, Some(dir.path())).unwrap_err();
        let want = format!("{}:3: ", dir.path().join("en.md").display());
        assert!(err.to_string().starts_with(&want), "{err}");
        // ja.md is absent there: the built-in one is used.
        load_template(Lang::Ja, Some(dir.path())).unwrap();
    }

    #[test]
    fn a_fifo_template_is_refused_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("ja.md");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let err = load_template(Lang::Ja, Some(dir.path())).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }
}
