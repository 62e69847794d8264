//! `triage action add [--kind prevent|detect|mitigate|process] [--owner WHO] [--ticket ID]
//! TEXT`: record an action item in an incident's journal (an `action` event: see
//! `triage_core::postmortem::actions`). Which incident: `--incident ID`, else the open one,
//! else the most recently closed one — action items are often agreed after the close.

use std::process::ExitCode;

use anyhow::Result;
use triage_core::incident::EventBody;
use triage_core::postmortem::actions;

use super::incident::store;
use crate::cli::{ActionAddArgs, ActionCommand};

/// Run `triage action …`.
pub fn run(cmd: ActionCommand) -> Result<ExitCode> {
    match cmd {
        ActionCommand::Add(args) => add(args),
    }
}

fn add(args: ActionAddArgs) -> Result<ExitCode> {
    let text = args.text.join(" ");
    let text = text.trim();
    if text.is_empty() {
        anyhow::bail!("the action item is empty");
    }
    let store = store()?;
    let inc = match &args.incident {
        Some(id) => store.get(id)?,
        None => match store.latest()? {
            Some((inc, _)) => inc,
            None => anyhow::bail!(
                "no incident in {} to add an action item to",
                store.dir().display()
            ),
        },
    };
    let mut map = serde_json::Map::new();
    map.insert("kind".into(), actions::KIND.into());
    map.insert("type".into(), args.kind.as_str().into());
    map.insert("text".into(), text.into());
    if let Some(o) = args
        .owner
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        map.insert("owner".into(), o.into());
    }
    if let Some(t) = args
        .ticket
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        map.insert("ticket".into(), t.into());
    }
    inc.append(EventBody::Other(map))?;
    println!(
        "{} action item saved to incident {}",
        args.kind.as_str(),
        inc.id
    );
    Ok(ExitCode::SUCCESS)
}
