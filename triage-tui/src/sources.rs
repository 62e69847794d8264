//! The single seam where the TUI (and the incident commands) get data that is not in the
//! [`Snapshot`](triage_core::Snapshot): runbooks, the host inventory, reachability of
//! dependencies, history, the command runner and the postmortem renderer.
//! Every function returns plain data and never touches the terminal; the blocking ones
//! (reachability, commands) are called off the UI thread.

use std::time::Duration;

use triage_core::incident::Incident;
use triage_core::runbook::exec::CommandResult;
use triage_core::runbook::inventory::{HostEntry, Reach};
use triage_core::runbook::Library;
use triage_core::snapshot::{now, Time};

/// This machine's host name (the kernel's), else `unknown`.
pub fn local_hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "unknown".into())
}

/// The runbook library: built-in, `/etc/triage/runbooks`, the state dir's and
/// `./runbooks`, later ones overriding by id.
pub fn runbooks() -> Library {
    triage_core::runbook::load_library()
}

/// The inventory entry whose pattern matches `hostname`; `None` without an inventory or
/// a match (an unreadable inventory is a warning, never fatal).
pub fn inventory_entry(hostname: &str) -> Option<HostEntry> {
    let (inventory, _warnings) = triage_core::runbook::inventory::load();
    let inv = inventory?;
    let mut entry = inv.lookup(hostname).cloned()?;
    // A relative `fleet_dir` is relative to the inventory file, not to wherever triage runs.
    let origin = std::path::Path::new(&inv.origin);
    if !entry.fleet_dir.is_empty() && std::path::Path::new(&entry.fleet_dir).is_relative() {
        if let Some(dir) = origin.parent().filter(|_| origin.is_file()) {
            entry.fleet_dir = dir.join(&entry.fleet_dir).display().to_string();
        }
    }
    Some(entry)
}

/// Read the fleet directory `dir` as `triage fleet DIR` does. Blocking: call it off the UI
/// thread.
pub fn fleet(dir: &std::path::Path) -> Result<triage_core::fleet::Fleet, String> {
    let files = triage_core::fleet::list_files(dir).map_err(|e| e.to_string())?;
    if files.is_empty() {
        return Err(format!("{}: no *.json snapshot files", dir.display()));
    }
    Ok(triage_core::fleet::from_files(
        &files,
        &triage_core::fleet::Options::default(),
    ))
}

/// TCP-connect to each `host:port` in `targets` (and nothing else) with `timeout`.
/// Blocking: call it off the UI thread.
pub fn reachability(targets: &[String], timeout: Duration) -> Vec<Reach> {
    triage_core::runbook::inventory::check_reachability(targets, timeout)
}

/// Recorded history since `since`, oldest first: time, load1 and memory PSI some_avg10.
/// Empty when the recorder has never run here.
pub fn history_samples(since: Time) -> Vec<(Time, f64, Option<f64>)> {
    let Ok(dir) = triage_core::history::default_dir() else {
        return Vec::new();
    };
    if !triage_core::history::has_store(&dir) {
        return Vec::new();
    }
    let (samples, _warnings) = triage_core::history::read_range(&dir, since, now());
    samples
        .iter()
        .filter_map(|s| {
            let t = s.time()?;
            let load = s.load.as_ref()?.one as f64;
            Some((t, load, s.pressure.memory.map(f64::from)))
        })
        .collect()
}

/// Run `cmd` with `sh -c` in its own process group, stdin closed, killing the whole
/// group at `timeout`; output bounded and redacted. Blocking: call it off the UI thread.
pub fn run_command(cmd: &str, timeout: Duration) -> CommandResult {
    triage_core::runbook::exec::run(cmd, timeout)
}

/// The postmortem of `incident` as the `w` key writes it, in `lang` (`en` or `ja`), with
/// the figures of recorded history for the preview's sparklines. Secrets are masked. A
/// template error is shown as the preview.
/// `state_dir` holds the team's templates (`postmortem/`) and the history (`history/`).
pub fn postmortem_preview(
    incident: &Incident,
    state_dir: &std::path::Path,
    lang: &str,
) -> triage_core::postmortem::Rendered {
    use triage_core::postmortem::{render, template_dirs, Lang, Options, Rendered};
    let library = runbooks();
    let opts = Options {
        lang: if lang == "ja" { Lang::Ja } else { Lang::En },
        redact: true,
        library: &library,
        template: None,
        template_dirs: template_dirs(state_dir),
        history_dir: Some(state_dir.join("history")),
        // `w` writes the preview into the incident directory, beside the journal.
        link_base: String::new(),
    };
    render(incident, &opts).unwrap_or_else(|e| Rendered {
        markdown: format!("# Postmortem\n\nThe postmortem could not be rendered: {e}\n"),
        todos: Vec::new(),
        charts: Vec::new(),
        action_items: Vec::new(),
        figures: Vec::new(),
        markers: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_command_reports_exit_code_and_output() {
        let r = run_command("echo out; echo err >&2; exit 3", Duration::from_secs(5));
        assert_eq!(r.exit_code, Some(3));
        assert!(
            r.output.contains("out") && r.output.contains("err"),
            "{}",
            r.output
        );
        assert!(!r.timed_out);
    }

    #[test]
    fn run_command_drains_big_output_and_keeps_the_tail() {
        let r = run_command("seq 1 300000", Duration::from_secs(20));
        assert_eq!(r.exit_code, Some(0), "{}", r.output.len());
        assert!(r.output.len() <= 64 * 1024 + 100, "{}", r.output.len());
        assert!(r.output.trim_end().ends_with("300000"));
    }

    #[test]
    fn run_command_kills_at_timeout() {
        let r = run_command("sleep 5", Duration::from_millis(200));
        assert!(r.timed_out);
        assert_eq!(r.exit_code, None);
        assert!(r.duration < Duration::from_secs(3));
    }
}
