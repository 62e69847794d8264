//! `triage note TEXT`: append a note to the open incident's journal; with no incident
//! open, start one titled from the note (and say so).

use std::process::ExitCode;

use anyhow::Result;
use triage_core::incident::EventBody;

use super::incident::store;
use crate::cli::NoteArgs;

/// Run `triage note`.
pub fn run(args: NoteArgs) -> Result<ExitCode> {
    let text = args.text.join(" ");
    let text = text.trim();
    if text.is_empty() {
        anyhow::bail!("the note is empty");
    }
    let store = store()?;
    let inc = match store.open_incident()? {
        Some((inc, _)) => inc,
        None => {
            let host = crate::sources::local_hostname();
            let title = crate::tui::widgets::clip(text, 60);
            let (inc, created) = store.start(&title, &host)?;
            if created {
                eprintln!(
                    "no incident was open: started incident {} \"{title}\"",
                    inc.id
                );
            }
            inc
        }
    };
    inc.append(EventBody::Note {
        text: text.to_string(),
    })?;
    println!("note saved to incident {}", inc.id);
    Ok(ExitCode::SUCCESS)
}
