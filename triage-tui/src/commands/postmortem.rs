//! `triage postmortem`: the postmortem skeleton of an incident, filled from its journal.
//! Which incident: `--incident ID`, else the open one, else the most recently closed one.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use triage_core::incident::Store;
use triage_core::postmortem::{self, Lang, Options};
use triage_core::runbook::Library;

use super::Global;
use crate::cli::{self, PostmortemArgs};
use crate::output;

/// Run `triage postmortem`.
pub fn run(global: &Global, args: PostmortemArgs) -> Result<ExitCode> {
    let state_dir = triage_core::state::state_dir()?;
    let store = Store::new(&state_dir);
    let incident = match &args.incident {
        Some(id) => store.get(id)?,
        None => match store.latest()? {
            Some((inc, _)) => inc,
            None => anyhow::bail!(
                "no incident in {} to write a postmortem for (start one with `triage incident start`)",
                store.dir().display()
            ),
        },
    };
    let library = library();
    let opts = Options {
        lang: match args.lang {
            cli::Lang::En => Lang::En,
            cli::Lang::Ja => Lang::Ja,
        },
        redact: global.redact,
        library: &library,
        template: args.template.clone(),
        template_dirs: postmortem::template_dirs(&state_dir),
        history_dir: match args.history.clone() {
            Some(d) => Some(d),
            None => triage_core::history::default_dir().ok(),
        },
        link_base: postmortem::link_base(&incident, args.output.as_deref()),
    };
    let rendered = postmortem::render(&incident, &opts)
        .with_context(|| format!("postmortem of incident {}", incident.id))?;
    if args.action_items.is_some() {
        output::emit(args.output.as_deref(), |out| {
            triage_core::render::json::write(&rendered.action_items, out)
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    output::emit(args.output.as_deref(), |out| {
        out.write_all(rendered.markdown.as_bytes())
    })?;
    if let Some(path) = &args.output {
        eprintln!("wrote {}", path.display());
    }
    // Charts go next to the Markdown that links them: beside -o FILE, else into the
    // incident directory (where the TUI writes postmortem.md).
    let chart_dir = match &args.output {
        Some(p) => p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| std::path::PathBuf::from("."), Path::to_path_buf),
        None => incident.dir.clone(),
    };
    for chart in &rendered.charts {
        let path = chart_dir.join(&chart.file);
        triage_core::fsutil::write_atomic(&path, chart.svg.as_bytes(), 0o600)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    eprintln!("{}", todo_line(&rendered.todos));
    Ok(ExitCode::SUCCESS)
}

/// The runbooks offered as action items: built-in, `/etc/triage/runbooks`, the state
/// dir's and `./runbooks`, later ones overriding by id.
fn library() -> Library {
    triage_core::runbook::load_library()
}

/// `7 TODO items left: Summary, Impact, …` (the sections, once each, in order).
fn todo_line(todos: &[String]) -> String {
    if todos.is_empty() {
        return "No TODO items left.".to_string();
    }
    let mut sections: Vec<&str> = Vec::new();
    for t in todos {
        let section = t.split_once(": ").map_or(t.as_str(), |(s, _)| s);
        if !sections.contains(&section) {
            sections.push(section);
        }
    }
    let noun = if todos.len() == 1 { "item" } else { "items" };
    format!("{} TODO {noun} left: {}", todos.len(), sections.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn todo_line_lists_sections_once() {
        let todos = [
            "Summary: a",
            "Impact: b",
            "Impact: c",
            "Resolution / Fix commands: d",
        ]
        .map(String::from);
        assert_eq!(
            todo_line(&todos),
            "4 TODO items left: Summary, Impact, Resolution / Fix commands"
        );
        assert_eq!(todo_line(&[]), "No TODO items left.");
        assert_eq!(todo_line(&["x".to_string()]), "1 TODO item left: x");
    }
}
