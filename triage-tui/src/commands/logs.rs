//! `triage logs`: the kernel ring buffer, syslog and journal merged by time (or the
//! files given with `--file`), with kernel/system events as findings and, with
//! `--templates`, repeated lines folded into templates.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use triage_core::logs::{self, LogEntry, Query, Report};
use triage_core::sanitize::terminal_line;
use triage_core::snapshot::{now, Severity};
use triage_core::timespec::parse_time_or_ago;

use super::Global;
use crate::cli::LogsArgs;
use crate::output;

/// Run `triage logs`.
pub fn run(global: &Global, args: LogsArgs) -> Result<ExitCode> {
    let since = args
        .since
        .as_deref()
        .map(|s| parse_time_or_ago(s, now()))
        .transpose()
        .context("--since")?;
    let grep = args
        .grep
        .as_deref()
        .map(regex::Regex::new)
        .transpose()
        .context("--grep")?;
    let query = Query {
        since,
        files: args.files,
        kernel_only: args.kernel,
        grep,
        templates: args.templates,
        lines: args.lines,
        ..Query::default()
    };
    let mut report = logs::read(&global.root, &query);
    if global.redact {
        report.redact();
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if args.json {
        triage_core::render::json::write(&report, &mut out)?;
    } else {
        let colour = output::stdout_is_terminal() && std::env::var_os("NO_COLOR").is_none();
        write_text(&mut out, &report, args.templates, colour)?;
    }
    out.flush()?;
    drop(out);
    for w in &report.warnings {
        eprintln!(
            "triage: warning: {}: {}",
            w.collector,
            terminal_line(&w.message)
        );
    }
    Ok(ExitCode::SUCCESS)
}

const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// `TIME SOURCE LEVEL MESSAGE` lines (or the template table), then the findings.
pub fn write_text(
    out: &mut impl Write,
    report: &Report,
    templates: bool,
    colour: bool,
) -> std::io::Result<()> {
    let paint = |code: &'static str| if colour { code } else { "" };
    let reset = paint(RESET);
    if templates {
        let mut sorted: Vec<_> = report.templates.iter().collect();
        sorted.sort_by(|a, b| b.count.cmp(&a.count).then(a.id.cmp(&b.id)));
        writeln!(
            out,
            "{}{:>7}  {:<19}  {:<19}  TEMPLATE{reset}",
            paint(BOLD),
            "COUNT",
            "FIRST",
            "LAST"
        )?;
        for t in sorted {
            writeln!(
                out,
                "{:>7}  {}{:<19}  {:<19}{reset}  {}",
                t.count,
                paint(DIM),
                time(t.first),
                time(t.last),
                terminal_line(&t.template)
            )?;
        }
    } else {
        let width = report
            .entries
            .iter()
            .map(|e| source(e).len())
            .max()
            .unwrap_or(6)
            .min(24);
        for e in &report.entries {
            let level = e.level.as_deref().unwrap_or("-");
            let lc = match level {
                "emerg" | "alert" | "crit" | "err" => paint(RED),
                "warning" => paint(YELLOW),
                _ => "",
            };
            writeln!(
                out,
                "{}{}{reset} {:<width$} {lc}{:<7}{reset} {lc}{}{reset}",
                paint(DIM),
                entry_time(e),
                terminal_line(&source(e)),
                terminal_line(level),
                terminal_line(e.message.trim_end()),
            )?;
        }
    }
    if !report.findings.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}Findings{reset}", paint(BOLD))?;
        for f in &report.findings {
            let c = match f.severity {
                Severity::Critical => paint(RED),
                Severity::Warning => paint(YELLOW),
                Severity::Info => "",
            };
            writeln!(
                out,
                "  {c}{:<8}{reset} {:<15} {}",
                f.severity,
                f.id,
                terminal_line(&f.title)
            )?;
            for ev in &f.evidence {
                let ev = terminal_line(ev);
                writeln!(out, "           {}{ev}{reset}", paint(DIM))?;
            }
        }
    }
    Ok(())
}

/// The wall time, else the kernel's `[seconds since boot]`, else `-`.
fn entry_time(e: &LogEntry) -> String {
    match (e.time, e.uptime_seconds) {
        (None, Some(secs)) => format!("{:>19}", format!("[{secs:.6}]")),
        (t, _) => time(t),
    }
}

fn time(t: Option<triage_core::snapshot::Time>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| format!("{:<19}", "-"))
}

/// A short source: the program for syslog lines, else the file name, `kernel`, `journal`.
fn source(e: &LogEntry) -> String {
    if let Some(p) = &e.program {
        return p.clone();
    }
    if e.kernel {
        return "kernel".into();
    }
    std::path::Path::new(&e.source)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| e.source.clone())
}
