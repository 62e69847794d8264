//! `triage logs --follow`: the files given (or the host's syslog files, kernel ring
//! buffer and journal) followed as they grow, each new record classified and printed as it
//! arrives, a finding printed the moment its first line is seen. Ctrl-C (or SIGTERM) stops
//! it cleanly: what was read is flushed, `journalctl` is stopped, the exit status is 0.

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use triage_core::findings::catalogue::event_findings;
use triage_core::logs::classify::Classifier;
use triage_core::logs::follow::{JournalFollower, KmsgFollower, Tailer};
use triage_core::logs::{files, kmsg, LogEntry, Query};
use triage_core::redact::LineRedactor;

use super::logs::{write_entry, write_finding};
use super::Global;

/// How often the sources are polled.
const POLL: Duration = Duration::from_millis(200);

/// What is followed: files, and on the live host with no files given, the kernel ring
/// buffer and the journal.
struct Sources {
    tailers: Vec<Tailer>,
    kernel: Option<KmsgFollower>,
    journal: Option<JournalFollower>,
}

impl Sources {
    fn open(global: &Global, q: &Query) -> Sources {
        let paths = if q.files.is_empty() {
            if q.kernel_only {
                Vec::new()
            } else {
                files::system_log_paths(&global.root)
            }
        } else {
            q.files.clone()
        };
        let live = q.files.is_empty() && global.root.is_live();
        let kernel = if live {
            KmsgFollower::open(&global.root.path("dev/kmsg"), kmsg::boot_time_live()).ok()
        } else {
            None
        };
        Sources {
            tailers: paths.iter().map(|p| Tailer::new(p)).collect(),
            kernel,
            journal: (live && !q.kernel_only)
                .then(JournalFollower::start)
                .flatten(),
        }
    }

    /// New records into `batch`, sorted by time (a source's own order kept); notes
    /// (rotation, truncation) into `notes`.
    fn poll(&mut self, batch: &mut Vec<LogEntry>, notes: &mut Vec<String>) {
        for t in &mut self.tailers {
            t.poll(batch, notes);
        }
        if let Some(k) = &mut self.kernel {
            k.poll(batch);
        }
        if let Some(j) = &mut self.journal {
            j.poll(batch, notes);
        }
        batch.sort_by_key(|e| e.time);
    }
}

/// Follow until Ctrl-C.
pub fn run(global: &Global, q: &Query, json: bool, colour: bool) -> Result<ExitCode> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .context("installing the Ctrl-C handler")?;
    }
    let mut sources = Sources::open(global, q);
    let mut classifier = Classifier::default();
    // Events classified and findings printed so far: a finding is printed once, when its
    // first line arrives.
    let (mut events_seen, mut shown) = (0, 0);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut batch: Vec<LogEntry> = Vec::new();
    let mut redactor = LineRedactor::default();
    let mut notes: Vec<String> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        sources.poll(&mut batch, &mut notes);
        for n in notes.drain(..) {
            eprintln!("triage: {n}");
        }
        for mut e in batch.drain(..) {
            if q.kernel_only && !e.kernel {
                continue;
            }
            classifier.push(&e);
            if q.grep.as_ref().is_none_or(|re| re.is_match(&e.message)) {
                if global.redact {
                    // Carries a PEM block from one line to the next.
                    redactor.in_place(&mut e.message);
                }
                match print_entry(&mut out, &e, json, colour) {
                    Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {
                        return Ok(ExitCode::SUCCESS)
                    }
                    Err(err) => return Err(err).context("writing to stdout"),
                    Ok(()) => {}
                }
            }
            if classifier.len() > events_seen {
                events_seen = classifier.len();
                let mut findings = event_findings(&classifier.events());
                for f in findings.iter_mut().skip(shown) {
                    if global.redact {
                        f.redact();
                    }
                    if json {
                        let v = serde_json::json!({ "finding": f });
                        writeln!(out, "{v}")?;
                    } else {
                        write_finding(&mut out, f, colour)?;
                    }
                }
                shown = shown.max(findings.len());
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
