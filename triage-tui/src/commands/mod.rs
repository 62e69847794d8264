//! One module per subcommand; [`dispatch`] routes parsed flags to them.

mod check;
mod diff;
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
        Some(dir) => match HostRoot::new(dir) {
            Ok(root) => root,
            // A monitoring check reports UNKNOWN (3), not an error exit (2 = CRITICAL).
            Err(e) => match &cli.command {
                Some(Command::Check(args)) => return check::unknown(args.json, &e.to_string()),
                _ => return Err(e).with_context(|| format!("--root {}", dir.display())),
            },
        },
        None => HostRoot::live(),
    };
    let global = Global {
        root,
        redact: !cli.no_redact,
    };
    match cli.command {
        Some(Command::Snapshot(args)) => snapshot::run(&global, args),
        None => not_yet("the TUI"),
        Some(Command::Logs(_)) => not_yet("triage logs"),
        Some(Command::Record(_)) => not_yet("triage record"),
        Some(Command::History(_)) => not_yet("triage history"),
        Some(Command::Check(args)) => check::run(&global, args),
        Some(Command::Incident(_)) => not_yet("triage incident"),
        Some(Command::Note(_)) => not_yet("triage note"),
        Some(Command::Postmortem(_)) => not_yet("triage postmortem"),
        Some(Command::Runbook(_)) => not_yet("triage runbook"),
        Some(Command::Diff(args)) => diff::run(args),
    }
}

fn not_yet(what: &str) -> Result<ExitCode> {
    anyhow::bail!("{what} is not available in this build yet; `triage snapshot` is")
}
