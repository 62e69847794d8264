//! `triage logs --follow`: the files given (or the host's syslog files, kernel ring
//! buffer and journal) followed as they grow through the shared stream
//! ([`triage_core::logs::follow::Follow`], which the TUI's Logs step uses too), each new
//! record printed as it arrives, a finding printed the moment its first line is seen.
//! Ctrl-C (or SIGTERM) stops it cleanly: what was read is flushed, `journalctl` is
//! stopped, the exit status is 0.

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use triage_core::logs::follow::{Follow, Followed, POLL};
use triage_core::logs::{LogEntry, Query};
use triage_core::snapshot::Finding;

use super::logs::{write_entry, write_finding};
use super::Global;

/// Follow until Ctrl-C.
pub fn run(global: &Global, q: &Query, json: bool, colour: bool) -> Result<ExitCode> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .context("installing the Ctrl-C handler")?;
    }
    let mut follow = Follow::open(&global.root, q, global.redact);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    while !stop.load(Ordering::Relaxed) {
        let polled = follow.poll();
        for n in polled.notes {
            eprintln!("triage: {n}");
        }
        for item in polled.items {
            let written = match &item {
                Followed::Entry(e) => print_entry(&mut out, e, json, colour),
                Followed::Finding(f) => print_finding(&mut out, f, json, colour),
            };
            match written {
                Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {
                    return Ok(ExitCode::SUCCESS)
                }
                Err(err) => return Err(err).context("writing to stdout"),
                Ok(()) => {}
            }
        }
        out.flush()?;
        std::thread::sleep(POLL);
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// One record: a JSON line, or the text line `triage logs` prints.
fn print_entry(
    out: &mut impl Write,
    e: &LogEntry,
    json: bool,
    colour: bool,
) -> std::io::Result<()> {
    if json {
        serde_json::to_writer(&mut *out, e)
            .map_err(std::io::Error::other)
            .and_then(|()| out.write_all(b"\n"))
    } else {
        write_entry(out, e, colour)
    }
}

/// One finding: `{"finding": …}` as a JSON line, or the text block `triage logs` prints.
fn print_finding(
    out: &mut impl Write,
    f: &Finding,
    json: bool,
    colour: bool,
) -> std::io::Result<()> {
    if json {
        let v = serde_json::json!({ "finding": f });
        writeln!(out, "{v}")
    } else {
        write_finding(out, f, colour)
    }
}
