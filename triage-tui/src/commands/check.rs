//! `triage check`: take a snapshot and print only its findings, Nagios/Icinga style.
//!
//! Exit status follows the monitoring-plugin convention: 0 OK (nothing worse than info),
//! 1 WARNING, 2 CRITICAL, 3 UNKNOWN (the core figures — load, memory, processes — could
//! not be read, or the snapshot itself could not run), with Nagios precedence CRITICAL >
//! WARNING > UNKNOWN > OK: a critical finding is reported as critical even when little
//! else was readable. `--exit-codes npd` maps the verdict to Kubernetes
//! node-problem-detector's plugin codes: 0 OK, 1 problem, 3 unknown. The first line
//! is the plugin status line with performance data after `|`.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;
use triage_core::collect;
use triage_core::sanitize::terminal_line;
use triage_core::snapshot::{Finding, Severity, Snapshot, Warning};

use super::Global;
use crate::cli::{CheckArgs, ExitCodes};
use crate::output;

/// The check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Nothing worse than info.
    Ok,
    /// A warning finding.
    Warning,
    /// A critical finding.
    Critical,
    /// The snapshot could not run.
    Unknown,
}

impl Status {
    /// The exit code (monitoring-plugin convention).
    pub fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Critical => 2,
            Status::Unknown => 3,
        }
    }

    /// The exit code in `style`.
    pub fn code_for(self, style: ExitCodes) -> u8 {
        match (style, self) {
            (ExitCodes::Nagios, s) => s.code(),
            (ExitCodes::Npd, Status::Ok) => 0,
            (ExitCodes::Npd, Status::Warning | Status::Critical) => 1,
            (ExitCodes::Npd, Status::Unknown) => 3,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Unknown => "UNKNOWN",
        }
    }
}

/// `triage check --json`.
#[derive(Debug, Serialize)]
struct Report<'a> {
    status: Status,
    findings: &'a [Finding],
    warnings: &'a [Warning],
}

/// The status of a snapshot, Nagios precedence: critical > warning > unknown (load,
/// memory and processes all unreadable: "no findings" would mean nothing) > ok.
pub fn status_of(s: &Snapshot) -> Status {
    match triage_core::findings::worst(&s.findings) {
        Some(Severity::Critical) => Status::Critical,
        Some(Severity::Warning) => Status::Warning,
        _ if s.load.is_none() && s.memory.is_none() && s.processes.is_none() => Status::Unknown,
        _ => Status::Ok,
    }
}

fn count(s: &Snapshot, sev: Severity) -> usize {
    s.findings.iter().filter(|f| f.severity == sev).count()
}

/// The status line: `TRIAGE CRITICAL - 2 critical, 1 warning | critical=2 warning=1 …`.
pub fn status_line(s: &Snapshot, status: Status) -> String {
    let (c, w, i) = (
        count(s, Severity::Critical),
        count(s, Severity::Warning),
        count(s, Severity::Info),
    );
    let mut parts = Vec::new();
    for (n, word) in [(c, "critical"), (w, "warning"), (i, "info")] {
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    let summary = match status {
        Status::Unknown => {
            "load, memory and processes could not be read (see warnings)".to_string()
        }
        _ if parts.is_empty() => "no findings".to_string(),
        Status::Ok => parts.join(", "),
        _ => {
            let top = s.findings.first().map(|f| f.title.as_str()).unwrap_or("");
            format!("{}: {top}", parts.join(", "))
        }
    };
    let mut perf = format!("critical={c} warning={w} info={i}");
    if let Some(l) = &s.load {
        perf.push_str(&format!(" load1={:.2}", l.one));
    }
    if let Some(cpu) = &s.cpu {
        perf.push_str(&format!(" cpu_busy={:.0}%", cpu.usage_percent));
    }
    if let Some(m) = &s.memory {
        let pct = triage_core::fmt::percent(m.available_bytes, m.total_bytes);
        perf.push_str(&format!(" mem_available={pct:.0}%"));
    }
    format!("TRIAGE {} - {summary} | {perf}", status.word())
}

/// Write the text report: the status line, then each finding and its evidence.
pub fn write_text(s: &Snapshot, status: Status, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{}", status_line(s, status))?;
    for f in &s.findings {
        writeln!(
            out,
            "{} {}: {}",
            f.severity.as_str().to_uppercase(),
            f.id,
            terminal_line(&f.title)
        )?;
        for e in &f.evidence {
            writeln!(out, "    {}", terminal_line(e))?;
        }
    }
    if status == Status::Unknown {
        for w in &s.warnings {
            writeln!(out, "    {}: {}", w.collector, terminal_line(&w.message))?;
        }
    }
    Ok(())
}

/// Report UNKNOWN (exit 3) with `why`, for failures before a snapshot could start. With
/// `--textfile`, the textfile says so too (`triage_check_status 3`), so Prometheus sees it.
pub fn unknown(args: &CheckArgs, why: &str) -> Result<ExitCode> {
    let mut snap = Snapshot::empty(triage_core::snapshot::now());
    snap.warn("check", why);
    if let Some(dir) = &args.textfile {
        if let Err(e) = super::textfile::write(dir, &snap) {
            eprintln!("triage: error: {e:#}");
        }
    }
    if args.json {
        let r = Report {
            status: Status::Unknown,
            findings: &[],
            warnings: &snap.warnings,
        };
        output::emit(None, |out| triage_core::render::json::write(&r, out))?;
    } else {
        output::emit(None, |out| writeln!(out, "TRIAGE UNKNOWN - {why}"))?;
    }
    Ok(ExitCode::from(Status::Unknown.code_for(args.exit_codes)))
}

/// Run `triage check`. A textfile that cannot be written is an error on stderr; the exit
/// status stays the check's (the stale-textfile alert in contrib/prometheus catches it).
pub fn run(global: &Global, args: CheckArgs) -> Result<ExitCode> {
    let opts = match super::snapshot::options(global, "250ms", "2s") {
        Ok(o) => o,
        Err(e) => return unknown(&args, &format!("{e:#}")),
    };
    let snap = collect::snapshot(&global.root, &opts);
    let status = status_of(&snap);
    if let Some(dir) = &args.textfile {
        if let Err(e) = super::textfile::write(dir, &snap) {
            eprintln!("triage: error: {e:#}");
        }
    }
    output::emit(None, |out| {
        if args.json {
            let r = Report {
                status,
                findings: &snap.findings,
                warnings: &snap.warnings,
            };
            triage_core::render::json::write(&r, out)
        } else {
            write_text(&snap, status, out)
        }
    })?;
    Ok(ExitCode::from(status.code_for(args.exit_codes)))
}
