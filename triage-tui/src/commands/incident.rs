//! `triage incident start|status|close|list`: the shell twins of the TUI's incident
//! handling, over the same journal (`triage_core::incident`).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use triage_core::collect::{self, Options};
use triage_core::fmt::cut as clip;
use triage_core::incident::{search, EventBody, Incident, State, Step, Store};
use triage_core::postmortem::sections::command_outcome;
use triage_core::postmortem::Lang;
use triage_core::redact::redact_if;
use triage_core::sanitize::SanitizingWriter;
use triage_core::snapshot::{now, Snapshot};

use super::Global;
use crate::cli::IncidentCommand;

/// The store under the state dir.
pub fn store() -> Result<Store> {
    Ok(Store::new(&triage_core::state::state_dir()?))
}

/// A quick snapshot (short sampling) for titles and the incident's saved figures.
pub fn quick_snapshot(global: &Global) -> Snapshot {
    let opts = Options {
        sample_interval: Duration::from_millis(100),
        collector_timeout: Duration::from_secs(1),
        redact: global.redact,
        ..Options::default()
    };
    collect::snapshot(&global.root, &opts)
}

/// Save `snap` and journal its findings (not info) into `inc`.
pub fn record_snapshot(inc: &Incident, snap: &Snapshot) -> Result<()> {
    inc.save_snapshot(snap).context("saving the snapshot")?;
    let seen: Vec<String> = inc
        .state()?
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Finding { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect();
    for f in snap
        .findings
        .iter()
        .filter(|f| f.severity != triage_core::snapshot::Severity::Info)
    {
        if !seen.contains(&f.id) {
            inc.append(EventBody::Finding {
                id: f.id.clone(),
                severity: f.severity,
                title: f.title.clone(),
                evidence: f.evidence.clone(),
            })?;
        }
    }
    Ok(())
}

/// Run `triage incident …`.
pub fn run(global: &Global, cmd: IncidentCommand) -> Result<ExitCode> {
    let store = store()?;
    // Titles, notes and findings come from the host and from other users: sanitised for the
    // terminal and redacted like every other output.
    let mut out = SanitizingWriter::new(std::io::stdout().lock());
    let code = run_to(global, cmd, &store, &mut out)?;
    out.into_inner()?.flush()?;
    Ok(code)
}

fn run_to(
    global: &Global,
    cmd: IncidentCommand,
    store: &Store,
    out: &mut impl Write,
) -> Result<ExitCode> {
    match cmd {
        IncidentCommand::Start { title } => start(global, title, store, out),
        IncidentCommand::Status => match store.open_incident()? {
            None => {
                writeln!(out, "no open incident (`triage incident start` opens one)")?;
                Ok(ExitCode::from(1))
            }
            Some((inc, st)) => {
                write!(out, "{}", redact_if(global.redact, &status_text(&inc, &st)))?;
                Ok(ExitCode::SUCCESS)
            }
        },
        IncidentCommand::Close { summary } => {
            let Some((inc, _)) = store.open_incident()? else {
                writeln!(out, "no open incident")?;
                return Ok(ExitCode::from(1));
            };
            record_snapshot(&inc, &quick_snapshot(global))?;
            inc.append(EventBody::Closed { summary })?;
            let st = inc.state()?;
            writeln!(out, "closed incident {} after {}", inc.id, elapsed(&st))?;
            Ok(ExitCode::SUCCESS)
        }
        IncidentCommand::Search {
            text,
            finding,
            host,
            json,
        } => {
            let query = search::Query {
                text,
                finding,
                host,
            };
            search(global, store, query, json, out)
        }
        IncidentCommand::List => list(global, store, out),
    }
}

/// `incident start`: open one titled from the top finding (unless one is open already),
/// with a snapshot.
fn start(
    global: &Global,
    title: Option<String>,
    store: &Store,
    out: &mut impl Write,
) -> Result<ExitCode> {
    if let Some((inc, st)) = store.open_incident()? {
        writeln!(out, "incident {} is already open: {}", inc.id, st.title)?;
        return Ok(ExitCode::SUCCESS);
    }
    let snap = quick_snapshot(global);
    let title = title.unwrap_or_else(|| match snap.findings.first() {
        Some(f) => f.title.clone(),
        None => format!("incident on {}", snap.hostname()),
    });
    let (inc, _) = store.start(&title, snap.hostname())?;
    record_snapshot(&inc, &snap)?;
    writeln!(out, "started incident {}: {title}", inc.id)?;
    writeln!(out, "journal: {}", inc.journal().path().display())?;
    Ok(ExitCode::SUCCESS)
}

/// `incident list`: newest first, one line each.
fn list(global: &Global, store: &Store, out: &mut impl Write) -> Result<ExitCode> {
    let all = store.all()?;
    if all.is_empty() {
        writeln!(out, "no incidents in {}", store.dir().display())?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:<20} {:<16} {:<16} {:>9}  {:<30} TOP FINDING",
        "ID", "OPENED", "CLOSED", "DURATION", "TITLE"
    )?;
    for inc in all.iter().rev() {
        let st = inc.state()?;
        let fmt = |t: Option<triage_core::snapshot::Time>| {
            t.map_or("-".into(), |t| t.format("%Y-%m-%d %H:%M").to_string())
        };
        let closed = if st.is_open() {
            "(open)".to_string()
        } else {
            fmt(st.closed_at)
        };
        let top = st
            .events
            .iter()
            .find_map(|e| match &e.body {
                EventBody::Finding { title, .. } => Some(title.as_str()),
                _ => None,
            })
            .unwrap_or("-");
        let line = format!(
            "{:<20} {:<16} {:<16} {:>9}  {:<30} {top}",
            inc.id,
            fmt(st.opened_at),
            closed,
            elapsed(&st),
            // Masked before it is clipped: a cut token no longer has its shape.
            clip(&redact_if(global.redact, &st.title), 30)
        );
        writeln!(out, "{}", redact_if(global.redact, &line))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// How long the incident has been (or was) open.
pub fn elapsed(st: &State) -> String {
    let end = st.closed_at.unwrap_or_else(now);
    st.opened_at.map_or("-".into(), |o| {
        crate::tui::widgets::duration((end - o).num_seconds())
    })
}

pub fn status_text(inc: &Incident, st: &State) -> String {
    let mut s = format!("incident {}: {}\n", inc.id, st.title);
    if let Some(o) = st.opened_at {
        s.push_str(&format!(
            "opened    {} on {} ({} ago)\n",
            o.format("%Y-%m-%d %H:%M:%S %:z"),
            st.host,
            elapsed(st)
        ));
    }
    let marks: Vec<String> = Step::ALL
        .iter()
        .map(|s| {
            let x = s.name();
            format!(
                "{}{x}",
                if st.steps_done.contains(x) {
                    "✓"
                } else {
                    "·"
                }
            )
        })
        .collect();
    s.push_str(&format!(
        "steps     {}/7 done: {}\n",
        st.steps_done.len(),
        marks.join(" ")
    ));
    s.push_str(&format!(
        "reported  {}\n",
        if st.reported { "yes" } else { "no" }
    ));
    s.push_str("last events:\n");
    let skip = st.events.len().saturating_sub(8);
    for e in st.events.iter().skip(skip) {
        let what = match &e.body {
            EventBody::Note { text } => format!("note: {text}"),
            EventBody::Step { step, status } => format!("step {step} {status}"),
            EventBody::Command {
                command,
                exit_code,
                duration_ms,
                ..
            } => format!(
                "command `{command}` → {}",
                command_outcome(Lang::En, *exit_code, *duration_ms)
            ),
            EventBody::Finding { title, .. } => format!("finding: {title}"),
            other => other.kind().to_string(),
        };
        s.push_str(&format!(
            "  {} {}{}\n",
            e.time.format("%H:%M:%S"),
            what,
            e.by.as_ref().map_or(String::new(), |b| format!(" ({b})"))
        ));
    }
    if !st.skipped.is_empty() {
        s.push_str(&format!(
            "({} unreadable journal lines skipped)\n",
            st.skipped.len()
        ));
    }
    s
}

/// `triage incident search`: past incidents matching all the criteria, newest first, each
/// with its findings, what fixed it and the lines that matched. Exit 1 when none matched.
fn search(
    global: &Global,
    store: &Store,
    query: search::Query,
    json: bool,
    out: &mut impl Write,
) -> Result<ExitCode> {
    if query.text.is_none() && query.finding.is_none() && query.host.is_none() {
        anyhow::bail!("say what to look for: TEXT, --finding ID or --host H");
    }
    let hits = search::search(store, &query, global.redact)?;
    if json {
        triage_core::render::json::write(&hits, out)?;
    } else if hits.is_empty() {
        writeln!(out, "no incident matched in {}", store.dir().display())?;
    } else {
        for h in &hits {
            let opened = h
                .opened_at
                .map_or("-".into(), |t| t.format("%Y-%m-%d %H:%M").to_string());
            let state = if h.closed_at.is_some() {
                "closed"
            } else {
                "open"
            };
            writeln!(out, "{}  {opened}  {}  {state}  {}", h.id, h.host, h.title)?;
            if !h.findings.is_empty() {
                writeln!(out, "  findings: {}", h.findings.join(", "))?;
            }
            if !h.fixed_by.is_empty() {
                writeln!(out, "  fixed by: {}", h.fixed_by.join("; "))?;
            }
            for l in &h.lines {
                writeln!(out, "  {}:{}: {}", l.file, l.line, l.text)?;
            }
        }
    }
    Ok(if hits.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
