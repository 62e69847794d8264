//! `triage fleet DIR`: many hosts' snapshots ranked worst first, with the findings and
//! recent changes the sick hosts share (see `triage_core::fleet`).

use std::process::ExitCode;

use anyhow::{Context, Result};
use triage_core::fleet;
use triage_core::timespec::parse_duration;

use crate::cli::FleetArgs;
use crate::output;

/// Run `triage fleet`. Exit 0 whenever the directory could be listed, even with unreadable
/// files (they are listed with the reason); an empty directory is an error.
pub fn run(args: FleetArgs) -> Result<ExitCode> {
    let opts = fleet::Options {
        window: parse_duration(&args.window).context("--window")?,
        ..fleet::Options::default()
    };
    let files = fleet::list_files(&args.dir).context("triage fleet")?;
    if files.is_empty() {
        anyhow::bail!(
            "{}: no *.json snapshot files (make them with `triage snapshot --json -o HOST.json` \
             or contrib/ansible/triage-snapshot.yml)",
            args.dir.display()
        );
    }
    let f = fleet::from_files(&files, &opts);
    let json = args.json || (!args.md && !output::stdout_is_terminal());
    output::emit(None, |out| {
        if json {
            triage_core::render::json::write(&f, out)
        } else {
            fleet::markdown::write(&f, out)
        }
    })?;
    Ok(ExitCode::SUCCESS)
}
