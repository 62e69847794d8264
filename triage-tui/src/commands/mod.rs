//! One module per subcommand; [`dispatch`] routes parsed flags to them.

mod action;
mod check;
mod diff;
mod docs;
mod fleet;
mod history;
pub mod incident;
mod logs;
mod logs_follow;
mod note;
mod postmortem;
mod record;
mod runbook;
mod snapshot;
mod textfile;

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
    if let Some(dir) = &cli.runbooks {
        triage_core::runbook::load::use_dir(dir)
            .with_context(|| format!("--runbooks {}", dir.display()))?;
    }
    let root = match &cli.root {
        Some(dir) => match HostRoot::new(dir) {
            Ok(root) => root,
            // A monitoring check reports UNKNOWN (3), not an error exit (2 = CRITICAL).
            Err(e) => match &cli.command {
                Some(Command::Check(args)) => return check::unknown(args, &e.to_string()),
                _ => return Err(e).with_context(|| format!("--root {}", dir.display())),
            },
        },
        None => HostRoot::live(),
    };
    let global = Global {
        root,
        redact: !cli.no_redact,
    };
    if cli.fleet.is_some() && cli.command.is_some() {
        anyhow::bail!(
            "--fleet DIR is for the TUI (`triage --fleet DIR`); the report is `triage fleet DIR`"
        );
    }
    match cli.command {
        Some(Command::Snapshot(args)) => snapshot::run(&global, args),
        Some(Command::Record(args)) => record::run(&global, args),
        Some(Command::History(args)) => history::run(&global, args),
        Some(Command::Logs(args)) => logs::run(&global, args),
        Some(Command::Postmortem(args)) => postmortem::run(&global, args),
        Some(Command::Runbook(cmd)) => runbook::run(&global, cmd),
        None => {
            let opts = snapshot::options(&global, "250ms", "2s")?;
            crate::tui::run(global.root, opts, cli.fleet)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Incident(cmd)) => incident::run(&global, cmd),
        Some(Command::Note(args)) => note::run(args),
        Some(Command::Action(cmd)) => action::run(cmd),
        Some(Command::Check(args)) => check::run(&global, args),
        Some(Command::Diff(args)) => diff::run(args),
        Some(Command::Completions { shell }) => docs::completions(shell),
        Some(Command::Man { dir }) => docs::man(dir.as_deref()),
        Some(Command::Fleet(args)) => fleet::run(args),
    }
}
