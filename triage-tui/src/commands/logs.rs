//! `triage logs`: the kernel ring buffer, syslog and journal merged by time (or the
//! files given with `--file`), with kernel/system events as findings and, with
//! `--templates`, repeated lines folded into templates.
//!
//! The window is streamed ([`triage_core::logs::pipeline`]): each record is rendered as it
//! passes into the last `-n` kept ([`Recent`]: rendered only when kept); templates and
//! findings cover the whole window.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use triage_core::logs::drain::Template;
use triage_core::logs::json::EntryWriter;
use triage_core::logs::pipeline::{self, Summary};
use triage_core::logs::tail::Recent;
use triage_core::logs::{LogEntry, Query};
use triage_core::redact::redact_in_place;
use triage_core::sanitize::terminal_line;
use triage_core::snapshot::{now, Finding, Severity};
use triage_core::timespec::parse_time_or_ago;

use super::Global;
use crate::cli::LogsArgs;
use crate::output;

/// What `--since 2h` counts back from: the clock on a live host; under `--root`, the
/// tree's capture time (a sosreport from 2022 has nothing in "the last 2 hours" of today),
/// said on stderr so the reader knows which "now" the window hangs from.
fn reference_now(global: &Global, since: &str) -> triage_core::snapshot::Time {
    let anchor = triage_core::collect::capture::anchor(&global.root, now());
    if !global.root.is_live() {
        if let Some(w) = &anchor.warning {
            eprintln!(
                "triage logs: --since {}: {}",
                terminal_line(since),
                terminal_line(w)
            );
        }
    }
    anchor.now
}

/// Run `triage logs`.
pub fn run(global: &Global, args: LogsArgs) -> Result<ExitCode> {
    let since = args
        .since
        .as_deref()
        .map(|s| parse_time_or_ago(s, reference_now(global, s)))
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
        files: args.files.clone(),
        kernel_only: args.kernel,
        grep,
        templates: args.templates,
        lines: args.lines,
        mask_pem: global.redact,
        ..Query::default()
    };
    let colour =
        !args.json && output::stdout_is_terminal() && std::env::var_os("NO_COLOR").is_none();
    if args.follow {
        return super::logs_follow::run(global, &query, args.json, colour);
    }
    // The text summary of `--templates` shows no entries: nothing to keep.
    let show_entries = args.json || !args.templates;
    let mut recent = Recent::new(if show_entries { args.lines } else { 0 });
    let mut record = Vec::with_capacity(512);
    let mut json = EntryWriter::default();
    // Rendered only when kept (see `Recent`).
    let mut render = |e: LogEntry, out: &mut Vec<u8>| {
        if args.json {
            json.write(out, &e);
            Ok(())
        } else {
            write_entry(out, &e, colour)
        }
    };
    let mut failed: Option<std::io::Error> = None;
    // Every entry passed on is redacted, kept or not (Recent renders as it keeps); PEM
    // bodies were masked by the pipeline, which sees the lines `--grep` drops.
    let mut summary = pipeline::run(&global.root, &query, |mut e| {
        if failed.is_none() && show_entries {
            redact_in_place(global.redact, &mut e.message);
            if let Err(err) = recent.push(e, &mut render, &mut record) {
                failed = Some(err);
            }
        }
    });
    if let Some(e) = failed {
        return Err(e).context("keeping the last entries");
    }
    if global.redact {
        redact_summary(&mut summary);
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let written = if args.json {
        write_json(&mut out, recent, &mut render, &summary)
    } else {
        write_text(
            &mut out,
            recent,
            &mut render,
            &summary,
            args.templates,
            colour,
        )
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => {}
        // `triage logs | head`: the reader left, nothing to say.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(e).context("writing to stdout"),
    }
    drop(out);
    for w in &summary.warnings {
        eprintln!(
            "triage: warning: {}: {}",
            w.collector,
            terminal_line(&w.message)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Mask secrets in templates, findings and warnings (entries are masked as they pass).
fn redact_summary(s: &mut Summary) {
    for t in &mut s.templates {
        redact_in_place(true, &mut t.template);
    }
    for f in &mut s.findings {
        f.redact();
    }
    for w in &mut s.warnings {
        redact_in_place(true, &mut w.message);
    }
}

/// DESIGN.md "Logs JSON": one entry per line inside `entries`, the rest pretty-printed.
fn write_json(
    out: &mut impl Write,
    recent: Recent,
    render: &mut impl FnMut(LogEntry, &mut Vec<u8>) -> std::io::Result<()>,
    s: &Summary,
) -> std::io::Result<()> {
    out.write_all(b"{\n  \"entries\": [")?;
    let mut first = true;
    recent.drain(render, |rec| {
        out.write_all(if first { b"\n    " } else { b",\n    " })?;
        first = false;
        out.write_all(rec)
    })?;
    out.write_all(if first { b"],\n" } else { b"\n  ],\n" })?;
    field(out, "templates", &s.templates)?;
    writeln!(out, "  \"lines_read\": {},", s.lines_read)?;
    field(out, "findings", &s.findings)?;
    out.write_all(b"  \"warnings\": ")?;
    serde_json::to_writer_pretty(&mut *out, &s.warnings).map_err(std::io::Error::other)?;
    out.write_all(b"\n}\n")
}

fn field<T: serde::Serialize>(out: &mut impl Write, name: &str, v: &T) -> std::io::Result<()> {
    write!(out, "  \"{name}\": ")?;
    serde_json::to_writer_pretty(&mut *out, v).map_err(std::io::Error::other)?;
    out.write_all(b",\n")
}

const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Width of the source column.
const SOURCE_WIDTH: usize = 16;

fn paint(colour: bool, code: &'static str) -> &'static str {
    if colour {
        code
    } else {
        ""
    }
}

/// One `TIME SOURCE LEVEL MESSAGE` line.
pub fn write_entry(out: &mut impl Write, e: &LogEntry, colour: bool) -> std::io::Result<()> {
    let reset = paint(colour, RESET);
    let level = e.level.as_deref().unwrap_or("-");
    let lc = match level {
        "emerg" | "alert" | "crit" | "err" => paint(colour, RED),
        "warning" => paint(colour, YELLOW),
        _ => "",
    };
    writeln!(
        out,
        "{}{}{reset} {:<SOURCE_WIDTH$} {lc}{:<7}{reset} {lc}{}{reset}",
        paint(colour, DIM),
        entry_time(e),
        terminal_line(&source(e)),
        terminal_line(level),
        terminal_line(e.message.trim_end()),
    )
}

/// The entries (or, with `--templates`, the template table), then the findings.
fn write_text(
    out: &mut impl Write,
    recent: Recent,
    render: &mut impl FnMut(LogEntry, &mut Vec<u8>) -> std::io::Result<()>,
    s: &Summary,
    templates: bool,
    colour: bool,
) -> std::io::Result<()> {
    if templates {
        write_templates(out, &s.templates, colour)?;
    } else {
        recent.drain(render, |rec| out.write_all(rec))?;
    }
    write_findings(out, &s.findings, colour)
}

/// `COUNT FIRST LAST TEMPLATE`, most frequent first.
pub fn write_templates(out: &mut impl Write, t: &[Template], colour: bool) -> std::io::Result<()> {
    let reset = paint(colour, RESET);
    let mut sorted: Vec<_> = t.iter().collect();
    sorted.sort_by(|a, b| b.count.cmp(&a.count).then(a.id.cmp(&b.id)));
    writeln!(
        out,
        "{}{:>7}  {:<19}  {:<19}  TEMPLATE{reset}",
        paint(colour, BOLD),
        "COUNT",
        "FIRST",
        "LAST"
    )?;
    for t in sorted {
        writeln!(
            out,
            "{:>7}  {}{:<19}  {:<19}{reset}  {}",
            t.count,
            paint(colour, DIM),
            time(t.first),
            time(t.last),
            terminal_line(&t.template)
        )?;
    }
    Ok(())
}

/// A blank line, `Findings`, then each finding with its evidence.
pub fn write_findings(out: &mut impl Write, f: &[Finding], colour: bool) -> std::io::Result<()> {
    if f.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}Findings{}",
        paint(colour, BOLD),
        paint(colour, RESET)
    )?;
    for f in f {
        write_finding(out, f, colour)?;
    }
    Ok(())
}

/// One finding: severity, id, title, evidence lines.
pub fn write_finding(out: &mut impl Write, f: &Finding, colour: bool) -> std::io::Result<()> {
    let reset = paint(colour, RESET);
    let c = match f.severity {
        Severity::Critical => paint(colour, RED),
        Severity::Warning => paint(colour, YELLOW),
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
        writeln!(out, "           {}{ev}{reset}", paint(colour, DIM))?;
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
