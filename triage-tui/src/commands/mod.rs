//! One module per subcommand; [`dispatch`] routes parsed flags to them.

pub mod incident;
mod note;
mod snapshot;

use std::process::ExitCode;

use anyhow::{Context, Result};
use triage_core::HostRoot;

use crate::cli::{Cli, Command};

/// Flags every command shares, resolved.
#[derive(Debug, Clone)]
pub struct Global {
    /// Where to read from.
    pub root: HostRoot,
    /// Mask secrets.
    pub redact: bool,
}

/// Run the command `cli` names.
pub fn dispatch(cli: Cli) -> Result<ExitCode> {
    let root = match &cli.root {
        Some(dir) => HostRoot::new(dir).with_context(|| format!("--root {}", dir.display()))?,
        None => HostRoot::live(),
    };
    let global = Global {
        root,
        redact: !cli.no_redact,
    };
    match cli.command {
        Some(Command::Snapshot(args)) => snapshot::run(&global, args),
        None => {
            let opts = snapshot::options(&global, "250ms", "2s")?;
            crate::tui::run(global.root, opts)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Logs(_)) => not_yet("triage logs"),
        Some(Command::Record(_)) => not_yet("triage record"),
        Some(Command::History(_)) => not_yet("triage history"),
        Some(Command::Check(_)) => not_yet("triage check"),
        Some(Command::Incident(cmd)) => incident::run(&global, cmd),
        Some(Command::Note(args)) => note::run(args),
        Some(Command::Postmortem(_)) => not_yet("triage postmortem"),
        Some(Command::Runbook(_)) => not_yet("triage runbook"),
        Some(Command::Diff(_)) => not_yet("triage diff"),
    }
}

fn not_yet(what: &str) -> Result<ExitCode> {
    anyhow::bail!("{what} is not available in this build yet; `triage snapshot` is")
}
