//! `triage diff A.json B.json`: what changed between two snapshots (see
//! `triage_core::diff`).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use triage_core::Snapshot;

use crate::cli::DiffArgs;
use crate::output;

/// Read a snapshot JSON file; a bad file is an error naming it and the line/column.
pub fn load(path: &Path) -> Result<Snapshot> {
    let file = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    serde_json::from_reader(std::io::BufReader::new(file)).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: not a triage snapshot: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

/// Run `triage diff`.
pub fn run(args: DiffArgs) -> Result<ExitCode> {
    let a = load(&args.a)?;
    let b = load(&args.b)?;
    let d = triage_core::diff::diff(&a, &b);
    output::emit(None, |out| {
        if args.json {
            triage_core::render::json::write(&d, out)
        } else {
            triage_core::diff::write_text(&d, out)
        }
    })?;
    Ok(ExitCode::SUCCESS)
}
