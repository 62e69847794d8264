//! `triage snapshot`: collect once, print Markdown or JSON.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use triage_core::collect::{self, Options};
use triage_core::render;
use triage_core::timespec::parse_duration_max;

use super::Global;
use crate::cli::SnapshotArgs;
use crate::output;

/// Snapshot options from the flags. On the live host, the application logs the
/// inventory lists for this host join the log tail, and recorded history gives the
/// baseline.
pub fn options(global: &Global, interval: &str, timeout: &str) -> Result<Options> {
    let extra_logs = if global.root.is_live() {
        crate::sources::inventory_entry(&crate::sources::local_hostname())
            .map(|e| e.logs.iter().map(std::path::PathBuf::from).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(Options {
        extra_logs,
        // A sampling interval or collector timeout of days is a hang, not a setting.
        sample_interval: parse_duration_max(interval, Duration::from_secs(60))
            .context("--interval")?,
        collector_timeout: parse_duration_max(timeout, Duration::from_secs(600))
            .context("--timeout")?,
        redact: global.redact,
        // "now vs usual" needs this host's own history: never another root's.
        history_dir: global
            .root
            .is_live()
            .then(triage_core::history::default_dir)
            .and_then(Result::ok),
        ..Options::default()
    })
}

/// Run `triage snapshot`.
pub fn run(global: &Global, args: SnapshotArgs) -> Result<ExitCode> {
    let opts = options(global, &args.interval, &args.timeout)?;
    let json = if args.json {
        true
    } else if args.md {
        false
    } else if let Some(path) = &args.output {
        path.extension().is_some_and(|e| e == "json")
    } else {
        !output::stdout_is_terminal()
    };
    let snap = collect::snapshot(&global.root, &opts);
    output::emit(args.output.as_deref(), |out| {
        if json {
            render::json::write(&snap, out)
        } else {
            render::markdown::write(&snap, out)
        }
    })?;
    Ok(ExitCode::SUCCESS)
}
