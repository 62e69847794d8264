//! `triage record`: the history recorder, a foreground daemon (run it under systemd).
//! SIGTERM, SIGINT and SIGHUP stop it within a second, after the record being written; a
//! second SIGINT (Ctrl-C twice) exits at once.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use triage_core::history::{self, recorder::RecordConfig};
use triage_core::timespec::{parse_duration, parse_duration_max};

use super::Global;
use crate::cli::RecordArgs;

/// Run `triage record`.
pub fn run(global: &Global, args: RecordArgs) -> Result<ExitCode> {
    let cfg = RecordConfig {
        dir: match args.dir {
            Some(d) => d,
            None => history::default_dir()?,
        },
        interval: parse_duration_max(&args.interval, Duration::from_secs(86400))
            .context("--interval")?,
        retention: parse_duration(&args.retention).context("--retention")?,
        root: global.root.clone(),
        redact: global.redact,
    };
    let stop = Arc::new(AtomicBool::new(false));
    // A second Ctrl-C while stopping exits at once (code 1).
    signal_hook::flag::register_conditional_shutdown(SIGINT, 1, Arc::clone(&stop))
        .context("installing the SIGINT handler")?;
    for sig in [SIGTERM, SIGINT, SIGHUP] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .with_context(|| format!("installing the handler of signal {sig}"))?;
    }
    // journald stamps each line itself; elsewhere, say when.
    let stamp = std::env::var_os("JOURNAL_STREAM").is_none();
    let log = move |line: &str| {
        if stamp {
            let now = chrono::Local::now().format("%Y-%m-%dT%H:%M:%S%z");
            eprintln!("{now} triage record: {line}");
        } else {
            eprintln!("triage record: {line}");
        }
    };
    let Some(dir) = args.textfile else {
        history::recorder::run(&cfg, &stop, &mut |l| log(l))?;
        return Ok(ExitCode::SUCCESS);
    };
    let opts = super::snapshot::options(global, "250ms", "2s")?;
    std::thread::scope(|scope| {
        let textfile = scope.spawn(|| {
            super::textfile::refresh_loop(&dir, &cfg.root, &opts, cfg.interval, &stop, &log)
        });
        let result = history::recorder::run(&cfg, &stop, &mut |l| log(l));
        // The recorder returns on a stop signal or at once on an error (a held lock):
        // either way the textfile thread stops too.
        stop.store(true, std::sync::atomic::Ordering::Release);
        let _ = textfile.join();
        result
    })?;
    Ok(ExitCode::SUCCESS)
}
