//! `triage runbook list | show ID | check [DIR] | run ID [--yes] [--var NAME=VALUE]…`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use triage_core::collect::{self, Options};
use triage_core::incident::{Incident, Store};
use triage_core::redact::redact_if;
use triage_core::runbook::exec::{self, RunOptions};
use triage_core::runbook::{self, vars, Runbook};
use triage_core::snapshot::Finding;

use super::Global;
use crate::cli::RunbookCommand;

/// Run `triage runbook …`.
pub fn run(global: &Global, cmd: RunbookCommand) -> Result<ExitCode> {
    // Step output, titles and findings are the host's text: sanitised for the terminal.
    let mut out = triage_core::sanitize::SanitizingWriter::new(std::io::stdout().lock());
    let code = match cmd {
        RunbookCommand::List => list(&mut out),
        RunbookCommand::Show { id } => show(&mut out, &id),
        RunbookCommand::Check { dir } => check(&mut out, dir.as_deref()),
        RunbookCommand::Run { id, yes, vars } => run_book(global, &mut out, &id, yes, &vars),
        RunbookCommand::Inventory {
            host,
            no_reach,
            timeout,
        } => inventory(&mut out, host, !no_reach, &timeout),
    }?;
    out.into_inner()?.flush()?;
    Ok(code)
}

fn load() -> runbook::Library {
    let lib = runbook::load_library();
    for e in &lib.errors {
        eprintln!("triage: warning: {e} (not loaded)");
    }
    lib
}

fn get<'a>(lib: &'a runbook::Library, id: &str) -> Result<&'a Runbook> {
    lib.get(id).ok_or_else(|| {
        let ids: Vec<&str> = lib.runbooks.iter().map(|r| r.id.as_str()).collect();
        anyhow!("no runbook {id:?}; there are: {}", ids.join(", "))
    })
}

fn list(out: &mut impl Write) -> Result<ExitCode> {
    let lib = load();
    let rows: Vec<[String; 4]> = lib
        .runbooks
        .iter()
        .map(|r| {
            let triggers = if r.triggers.is_empty() {
                "-".to_string()
            } else {
                r.triggers.join(",")
            };
            [r.id.clone(), r.title.clone(), triggers, r.origin.clone()]
        })
        .collect();
    let header = ["ID", "TITLE", "TRIGGERS", "ORIGIN"].map(String::from);
    let mut width = [0usize; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    // Long titles are cut so the table stays readable on a terminal.
    width[1] = width[1].min(60);
    for row in std::iter::once(&header).chain(&rows) {
        let title: String = if row[1].chars().count() > width[1] {
            row[1].chars().take(width[1] - 1).chain(['…']).collect()
        } else {
            row[1].clone()
        };
        writeln!(
            out,
            "{:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            title,
            row[2],
            row[3],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2],
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn show(out: &mut impl Write, id: &str) -> Result<ExitCode> {
    let lib = load();
    let rb = get(&lib, id)?;
    writeln!(out, "{} — {}", rb.id, rb.title)?;
    let triggers = if rb.triggers.is_empty() {
        "none (run it by hand)".to_string()
    } else {
        rb.triggers.join(", ")
    };
    writeln!(out, "triggers: {triggers}")?;
    if !rb.applies_to.is_empty() {
        writeln!(out, "applies to roles: {}", rb.applies_to.join(", "))?;
    }
    writeln!(out, "origin: {}", rb.origin)?;
    if !rb.vars.is_empty() {
        let v: Vec<String> = rb.vars.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
        writeln!(out, "vars: {}", v.join(" "))?;
    }
    for (i, s) in rb.steps.iter().enumerate() {
        let mark = if s.is_fix() { "FIX  " } else { "check" };
        writeln!(out, "\n{}. [{mark}] {}", i + 1, s.title)?;
        for line in s.explain.lines() {
            writeln!(out, "   {line}")?;
        }
        if let Some(cmd) = s.command() {
            writeln!(out, "   $ {cmd}")?;
        }
        if let Some(e) = &s.expect {
            writeln!(out, "   expect: {e}")?;
        }
        if let Some(r) = &s.rollback {
            writeln!(out, "   rollback: {r}")?;
        }
        if let Some(t) = s.timeout_seconds {
            writeln!(out, "   timeout: {t} s")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(out: &mut impl Write, dir: Option<&std::path::Path>) -> Result<ExitCode> {
    let (diags, what) = match dir {
        Some(d) => (runbook::check_dir(d), d.display().to_string()),
        None => (
            runbook::check_all(),
            "the embedded runbooks and /etc/triage/runbooks, $TRIAGE_HOME/runbooks, ./runbooks"
                .to_string(),
        ),
    };
    for d in &diags {
        writeln!(out, "{d}")?;
    }
    out.flush()?;
    if diags.is_empty() {
        eprintln!("triage: no problems in {what}");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("triage: {} problem(s) in {what}", diags.len());
        Ok(ExitCode::from(1))
    }
}

fn inventory(
    out: &mut impl Write,
    host: Option<String>,
    reach: bool,
    timeout: &str,
) -> Result<ExitCode> {
    let timeout = triage_core::timespec::parse_duration_max(timeout, Duration::from_secs(600))
        .context("--timeout")?;
    let host = match host {
        Some(h) => h,
        None => triage_core::HostRoot::live()
            .read_proc("sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .context("this host's name")?,
    };
    let (inv, warnings) = runbook::inventory::load();
    for w in &warnings {
        eprintln!("triage: warning: {w}");
    }
    let Some(inv) = inv else {
        writeln!(out, "no inventory")?;
        return Ok(ExitCode::from(1));
    };
    writeln!(out, "inventory: {}", inv.origin)?;
    let Some(e) = inv.lookup(&host) else {
        writeln!(out, "{host}: no entry matches")?;
        return Ok(ExitCode::from(1));
    };
    writeln!(out, "{host}: matched {:?}", e.pattern)?;
    let field = |v: &str| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.to_string()
        }
    };
    writeln!(out, "  project    {}", field(&e.project))?;
    writeln!(out, "  role       {}", field(&e.role))?;
    writeln!(out, "  owner      {}", field(&e.owner))?;
    writeln!(out, "  contacts   {}", field(&e.contacts.join(", ")))?;
    writeln!(
        out,
        "  redundant  {}",
        if e.redundant {
            "yes (may be detached)"
        } else {
            "no"
        }
    )?;
    writeln!(out, "  logs       {}", field(&e.logs.join(", ")))?;
    if !e.fleet_dir.is_empty() {
        writeln!(out, "  fleet dir  {}", e.fleet_dir)?;
    }
    if e.dependencies.is_empty() {
        writeln!(out, "  dependencies: none")?;
    } else if !reach {
        writeln!(out, "  dependencies: {}", e.dependencies.join(", "))?;
    } else {
        writeln!(
            out,
            "  dependencies (TCP connect, {} ms timeout):",
            timeout.as_millis()
        )?;
        out.flush()?;
        let mut down = 0;
        for r in runbook::inventory::check_reachability(&e.dependencies, timeout) {
            let state = if r.ok { "ok  " } else { "DOWN" };
            down += usize::from(!r.ok);
            let why = r.error.map(|e| format!("  {e}")).unwrap_or_default();
            writeln!(
                out,
                "    {state} {:30} {:>5} ms{why}",
                r.target, r.latency_ms
            )?;
        }
        if down > 0 {
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_vars(args: &[String]) -> Result<BTreeMap<String, String>> {
    args.iter()
        .map(|a| {
            let (k, v) = a
                .split_once('=')
                .with_context(|| format!("--var {a:?}: expected NAME=VALUE"))?;
            Ok((k.trim().to_string(), v.to_string()))
        })
        .collect()
}

/// The finding whose variables feed the commands: the first finding of a fresh snapshot
/// that triggers `rb`. Only collected when some variable has no value yet.
fn finding_for(global: &Global, rb: &Runbook, known: &BTreeMap<String, String>) -> Option<Finding> {
    let needed: BTreeSet<String> = rb
        .steps
        .iter()
        .flat_map(|s| [s.command(), s.rollback.as_deref()])
        .flatten()
        .flat_map(vars::variables_in)
        .collect();
    if rb.triggers.is_empty() || needed.iter().all(|n| known.contains_key(n)) {
        return None;
    }
    eprintln!("triage: taking a snapshot to find the values of the variables…");
    let opts = Options {
        redact: global.redact,
        ..Options::default()
    };
    let snap = collect::snapshot(&global.root, &opts);
    let f = snap
        .findings
        .into_iter()
        .find(|f| rb.triggers.contains(&f.id));
    if f.is_none() {
        eprintln!(
            "triage: no current finding triggers {}; give values with --var NAME=VALUE",
            rb.id
        );
    }
    f
}

fn open_incident() -> Option<Incident> {
    let store = triage_core::state::state_dir().map(|d| Store::new(&d));
    match store.and_then(|s| s.open_incident()) {
        Ok(Some((inc, _))) => Some(inc),
        Ok(None) => None,
        Err(e) => {
            eprintln!("triage: warning: incidents: {e}; commands are not recorded");
            None
        }
    }
}

fn ask_yes(out: &mut impl Write) -> Result<bool> {
    write!(out, "   type yes to run it (anything else skips): ")?;
    out.flush()?;
    let mut line = String::new();
    let stdin = std::io::stdin();
    stdin.lock().read_line(&mut line)?;
    if !stdin.is_terminal() {
        // The answer was not echoed by a terminal: end the prompt line ourselves.
        writeln!(out, "{}", line.trim())?;
    }
    Ok(line.trim() == "yes")
}

/// Print a step's output, status and expectation; true when the step failed: a check's
/// exit status is information (grep finding nothing exits 1), but a fix that fails, or
/// anything killed at its timeout, is a failure.
fn show_result(
    out: &mut impl Write,
    result: &exec::CommandResult,
    step: &triage_core::runbook::Step,
) -> Result<bool> {
    for line in result.output.lines() {
        writeln!(out, "   │ {line}")?;
    }
    let status = match result.exit_code {
        Some(c) => format!("exit {c}"),
        None if result.timed_out => "killed at timeout".to_string(),
        None => "did not run".to_string(),
    };
    writeln!(out, "   {status} · {} ms", result.duration.as_millis())?;
    if let Some(e) = &step.expect {
        writeln!(out, "   expect: {e}")?;
    }
    Ok(result.timed_out || result.exit_code.is_none() || (step.is_fix() && !result.success()))
}

fn run_book(
    global: &Global,
    out: &mut impl Write,
    id: &str,
    yes: bool,
    var_args: &[String],
) -> Result<ExitCode> {
    let lib = load();
    let rb = get(&lib, id)?;
    let overrides = parse_vars(var_args)?;
    let base = vars::context(rb, None, &overrides);
    let finding = finding_for(global, rb, &base);
    if let Some(f) = &finding {
        let v: Vec<String> = f.vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let line = format!("finding {}: {} [{}]", f.id, f.title, v.join(" "));
        writeln!(out, "{}", redact_if(global.redact, &line))?;
    }
    // Where the steps about to run come from, before any of them runs.
    writeln!(out, "runbook {} from {}", rb.id, rb.origin)?;
    let incident = open_incident();
    if let Some(inc) = &incident {
        writeln!(out, "recording in incident {}", inc.id)?;
    }
    let opts = RunOptions {
        redact: global.redact,
        ..RunOptions::default()
    };
    let total = rb.steps.len();
    let mut failed = 0usize;
    for (i, step) in rb.steps.iter().enumerate() {
        let mode = step.mode();
        writeln!(out, "\n── {}/{total} [{mode}] {}", i + 1, step.title)?;
        // Before anything of the step runs: the file it comes from, so a surprise source
        // is seen before its command is.
        writeln!(out, "   from {}", rb.origin)?;
        for line in step.explain.lines() {
            writeln!(out, "   {line}")?;
        }
        let Some(template) = step.command() else {
            continue;
        };
        let cmd = match vars::render_step(rb, template, finding.as_ref(), &overrides) {
            Ok(c) => c,
            Err(e) => {
                writeln!(out, "   skipped: {e}")?;
                failed += 1;
                continue;
            }
        };
        writeln!(out, "   $ {}", redact_if(global.redact, &cmd))?;
        if step.is_fix() {
            if let Some(r) = &step.rollback {
                let r = vars::render_step(rb, r, finding.as_ref(), &overrides)
                    .unwrap_or_else(|_| r.clone());
                writeln!(out, "   rollback: {}", redact_if(global.redact, &r))?;
            }
            if !yes && !ask_yes(out)? {
                writeln!(out, "   skipped (not confirmed)")?;
                continue;
            }
        }
        let result = exec::run_with(&cmd, step.timeout(), &opts);
        if show_result(out, &result, step)? {
            failed += 1;
        }
        if let Some(inc) = &incident {
            if let Err(e) = exec::record(inc, &result, mode, &rb.id) {
                eprintln!("triage: warning: not recorded in the journal: {e}");
            }
        }
    }
    out.flush()?;
    if failed > 0 {
        eprintln!("triage: {failed} of {total} steps could not run, timed out, or (fixes) failed");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
