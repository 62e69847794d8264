//! Postmortems (`triage postmortem`): a Markdown skeleton filled from an incident's
//! journal (`incidents/<id>/journal.jsonl`) and the snapshots saved next to it, in
//! English or Japanese (障碍内容 / 影響範囲 / 経過 / 対処方法 / 将来の対策).
//!
//! [`model`] gathers the facts; [`sections`] writes the parts code knows how to write;
//! a Jinja [`template`] lays them out ([`context`] lists what it sees). Templates are
//! found by name and language (see [`find_template`]). What the journal does not say is a
//! `TODO:` line; every `TODO:` line is listed again at the end and in
//! [`Rendered::todos`].

pub mod actions;
pub mod charts;
pub mod context;
pub mod figures;
pub mod impact;
pub mod model;
pub mod phases;
pub mod sections;
pub mod supporting;
pub mod template;
pub mod text;
pub mod timeline;
pub mod window;

use std::io::Read;
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
}

/// The templates shipped in the binary: (file name, source). `en.md`/`ja.md` are the
/// default layout; `sre.md` is the Google SRE book's postmortem format; `shogai.md` has
/// only the five headings of a Japanese 障碍報告書.
const BUILTIN: &[(&str, &str)] = &[
    ("en.md", include_str!("../../../runbooks/postmortem/en.md")),
    ("ja.md", include_str!("../../../runbooks/postmortem/ja.md")),
    (
        "sre.md",
        include_str!("../../../runbooks/postmortem/sre.md"),
    ),
    (
        "shogai.md",
        include_str!("../../../runbooks/postmortem/shogai.md"),
    ),
];

/// The template names `--template` takes besides a team's own.
pub(crate) const TEMPLATE_NAMES: &[&str] = &["default", "sre", "shogai"];

/// A user template larger than this is refused (a template is a page, not a data file).
const MAX_TEMPLATE_BYTES: u64 = 1 << 20;

/// What a postmortem is rendered with, beside the incident itself.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// The language of headings, fixed texts and proposed action items; what people
    /// wrote stays as written.
    pub lang: Lang,
    /// Mask secrets in everything that goes in (notes, commands, outputs, evidence).
    pub redact: bool,
    /// Runbooks, for action-item suggestions (may be empty).
    pub library: &'a Library,
    /// Which template: `None` or `default` for the language's default layout, else a
    /// name such as `sre` (see [`find_template`]).
    pub template: Option<String>,
    /// Directories searched for templates before the built-ins, first found wins
    /// (usually [`template_dirs`]).
    pub template_dirs: Vec<PathBuf>,
    /// The recorded history (`triage record`'s directory), for charts and the impact
    /// start; `None` for none.
    pub history_dir: Option<PathBuf>,
    /// Put before the timeline's links to the incident's files (journal, snapshots):
    /// empty when the Markdown goes into the incident directory, else that directory
    /// followed by `/` (see [`link_base`]).
    pub link_base: String,
}

/// A rendered postmortem and what goes with it; nothing is written yet (the caller
/// decides where the Markdown and the charts go).
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The document: the template rendered twice, the second time with the TODO list
    /// the first render found.
    pub markdown: String,
    /// What is left for a human to fill: `Section: text` for each `TODO:` line.
    pub todos: Vec<String>,
    /// The charts the Markdown links to, to be written next to it.
    pub charts: Vec<charts::Chart>,
    /// The action items, as issues to create in a tracker.
    pub action_items: Vec<actions::TrackerIssue>,
    /// The figures the charts draw (for the TUI's sparklines); empty without history.
    pub figures: Vec<figures::Figure>,
    /// The incident's moments the charts mark; `None` when the journal has no time.
    pub markers: Option<figures::Markers>,
}

/// Where a team's templates live, searched in this order: `STATE_DIR/postmortem`, then
/// `/etc/triage/postmortem`.
pub fn template_dirs(state_dir: &Path) -> Vec<PathBuf> {
    vec![
        state_dir.join("postmortem"),
        PathBuf::from("/etc/triage/postmortem"),
    ]
}

/// The [`Options::link_base`] for a postmortem written to `output` (`None`: stdout or the
/// incident directory, where the TUI writes it): empty when `output` is in the incident
/// directory, else the incident directory's absolute path and `/`.
pub fn link_base(incident: &Incident, output: Option<&Path>) -> String {
    let Some(out) = output else {
        return String::new();
    };
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let out_dir = match out.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => canonical(d),
        None => canonical(Path::new(".")),
    };
    let dir = canonical(&incident.dir);
    if out_dir == dir {
        String::new()
    } else {
        format!("{}/", timeline::encode(&dir.to_string_lossy()))
    }
}

/// Render the postmortem of `incident` from its journal, its saved snapshots and, when
/// `opts.history_dir` has samples in its window, the recorded history. Errors for a
/// template that cannot be found or rendered, a journal that cannot be read or a chart that
/// cannot be drawn; unreadable snapshots only become problems listed in the document.
pub fn render(incident: &Incident, opts: &Options) -> Result<Rendered> {
    let template = find_template(opts.template.as_deref(), opts.lang, &opts.template_dirs)?;
    let state = incident.state()?;
    let facts = Facts::gather(incident, &state, opts.redact);
    let window = window::build(&facts, opts.history_dir.as_deref())?;
    render_facts(&facts, &window, &template, opts)
}

/// The file names that hold template `name` in `lang`, most specific first: the default
/// layout is `<lang>.md`; another name is `<name>.<lang>.md`, then `<name>.md`.
fn candidates(name: Option<&str>, lang: Lang) -> Vec<String> {
    match name.filter(|n| *n != "default") {
        None => vec![format!("{}.md", lang.code())],
        Some(n) => vec![format!("{n}.{}.md", lang.code()), format!("{n}.md")],
    }
}

/// Load template `name` (default: the language's default layout) for `lang`: the first
/// of its [`candidates`] found in `dirs`, in order, else the built-in one.
pub(crate) fn find_template(name: Option<&str>, lang: Lang, dirs: &[PathBuf]) -> Result<Template> {
    if let Some(n) = name {
        if n.is_empty() || n.contains(['/', '\\']) || n.starts_with('.') {
            return Err(Error::Invalid(format!(
                "template name `{n}`: a plain name such as `sre`, not a path"
            )));
        }
    }
    let files = candidates(name, lang);
    for dir in dirs {
        for file in &files {
            let path = dir.join(file);
            if path.exists() {
                return Template::parse(&read_template(&path)?, &path);
            }
        }
    }
    for file in &files {
        if let Some((_, source)) = BUILTIN.iter().find(|(f, _)| f == file) {
            let path = PathBuf::from(format!("builtin:runbooks/postmortem/{file}"));
            return Template::parse(source, &path);
        }
    }
    Err(Error::Invalid(format!(
        "no postmortem template `{}` (looked for {} in {}; built in: {})",
        name.unwrap_or("default"),
        files.join(" or "),
        dirs.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        TEMPLATE_NAMES.join(", ")
    )))
}

/// A user's template: a regular file (a FIFO would block the read forever), bounded.
fn read_template(path: &Path) -> Result<String> {
    if !path.is_file() {
        return Err(Error::NotRegular {
            path: path.to_path_buf(),
            kind: "special file",
        });
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut text = String::new();
    file.take(MAX_TEMPLATE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| Error::io(path, e))?;
    if text.len() as u64 > MAX_TEMPLATE_BYTES {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_TEMPLATE_BYTES,
        });
    }
    Ok(text)
}

/// Render `facts` with `template`: a first pass finds the `TODO:` lines, the second
/// lists them in `todos`.
pub(crate) fn render_facts(
    facts: &Facts,
    window: &window::Window,
    template: &Template,
    opts: &Options,
) -> Result<Rendered> {
    // First pass without the list, to find the TODO lines; then the real one.
    let first = template.render(&context::build(facts, window, opts, ""))?;
    let todos = collect_todos(&first);
    let list: Vec<String> = todos.iter().map(|t| format!("- [ ] {t}")).collect();
    let markdown = template.render(&context::build(facts, window, opts, &list.join("\n")))?;
    let items = sections::action_list(facts, opts.lang, opts.library);
    Ok(Rendered {
        markdown,
        todos,
        charts: window.charts.clone(),
        action_items: actions::export(facts, &items, opts.lang),
        figures: window.figures.clone(),
        markers: window.markers,
    })
}

/// `Section: text` (`Section / Subsection: text` under a `###`) for every line that
/// starts with `TODO:` (after list, quote or table markers), outside fenced code blocks.
pub(crate) fn collect_todos(markdown: &str) -> Vec<String> {
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
            heading = if section.is_empty() {
                h.trim().to_string()
            } else {
                format!("{section} / {}", h.trim())
            };
            continue;
        }
        // A bold label such as `**Root Causes:**` (the SRE book's layout) is a section too.
        if let Some(label) = trimmed
            .strip_prefix("**")
            .and_then(|rest| rest.split_once(":**"))
            .map(|(label, _)| label.trim())
            .filter(|l| !l.is_empty() && !l.contains("**"))
        {
            section = label.to_string();
            heading = section.clone();
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
            for name in TEMPLATE_NAMES {
                find_template(Some(name), lang, &[]).unwrap();
            }
        }
        let err = find_template(Some("nope"), Lang::En, &[]).unwrap_err();
        assert!(
            err.to_string().contains("built in: default, sre, shogai"),
            "{err}"
        );
        let err = find_template(Some("../x"), Lang::En, &[]).unwrap_err();
        assert!(err.to_string().contains("not a path"), "{err}");
    }

    #[test]
    fn todos_are_found_outside_code() {
        let md = "## Summary\n\nTODO: write it\n\n```\nTODO: not this\n```\n## Impact\n- TODO: who\n### Users\n> TODO: quoted\nnot TODO: here\n**Trigger:** x\n\nTODO: why\n";
        assert_eq!(
            collect_todos(md),
            [
                "Summary: write it",
                "Impact: who",
                "Impact / Users: quoted",
                "Trigger: why"
            ]
        );
    }

    #[test]
    fn override_dirs_are_searched_in_order_and_errors_name_the_file() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        let dirs = [first.path().to_path_buf(), second.path().to_path_buf()];
        std::fs::write(
            second.path().join("en.md"),
            "# {{ title }}\n\n{% if summary %}\n",
        )
        .unwrap();
        let err = find_template(None, Lang::En, &dirs)
            .unwrap_err()
            .to_string();
        let want = format!("{}:3: syntax error", second.path().join("en.md").display());
        assert!(err.starts_with(&want), "{err}");
        // The first directory wins once it has the file.
        std::fs::write(first.path().join("en.md"), "ok\n").unwrap();
        find_template(None, Lang::En, &dirs).unwrap();
        // ja.md is absent there: the built-in one is used.
        find_template(None, Lang::Ja, &dirs).unwrap();
        // A named template: `sre.ja.md` before `sre.md`, both before the built-in.
        std::fs::write(second.path().join("sre.md"), "{% if %}").unwrap();
        let err = find_template(Some("sre"), Lang::Ja, &dirs).unwrap_err();
        assert!(err.to_string().contains("sre.md"), "{err}");
    }

    #[test]
    fn a_fifo_template_is_refused_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("ja.md");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let err = find_template(None, Lang::Ja, &[dir.path().to_path_buf()]).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }
}
