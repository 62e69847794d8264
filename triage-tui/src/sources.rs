//! The single seam where the TUI (and the incident commands) get data that is not in the
//! [`Snapshot`]: runbooks, the host inventory, reachability of dependencies, history and
//! its baseline, and the postmortem renderer. Each is built by another part of triage;
//! until it is wired in, the function here returns empty data and [`NOT_AVAILABLE`] is
//! what the screen says. Every function returns plain data and never touches the terminal.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use triage_core::baseline::Baseline;
use triage_core::incident::{EventBody, Incident, State};
use triage_core::runbook::exec::CommandResult;
use triage_core::runbook::inventory::{HostEntry, Reach};
use triage_core::runbook::Library;
use triage_core::snapshot::Time;

/// What a pane says when its source is not part of this build.
pub const NOT_AVAILABLE: &str = "not available in this build";

/// Output kept from a command, in bytes (the journal keeps the tail).
const OUTPUT_LIMIT: usize = 64 * 1024;

/// This machine's host name (the kernel's), else `unknown`.
pub fn local_hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "unknown".into())
}

/// The runbook library (built-in and `runbooks/*.toml`). Empty in this build.
pub fn runbooks() -> Library {
    Library::default()
}

/// The inventory entry whose pattern matches `hostname`. None in this build.
pub fn inventory_entry(_hostname: &str) -> Option<HostEntry> {
    None
}

/// TCP-connect to each `host:port` in `targets` with `timeout` each. Blocking: call it
/// off the UI thread. Empty in this build.
pub fn reachability(_targets: &[String], _timeout: Duration) -> Vec<Reach> {
    Vec::new()
}

/// Recorded history since `since`, oldest first: time, load1 and memory PSI some_avg10.
/// Empty in this build.
pub fn history_samples(_since: Time) -> Vec<(Time, f64, Option<f64>)> {
    Vec::new()
}

/// Usual values for this hour on earlier days. None in this build.
pub fn baseline() -> Option<Baseline> {
    None
}

/// Run `cmd` with `sh -c`, stdin closed, killing it at `timeout`. Blocking: call it off
/// the UI thread. Output is stdout then stderr, the last 64 KiB of each.
pub fn run_command(cmd: &str, timeout: Duration) -> CommandResult {
    let started = Instant::now();
    let done = |exit_code, output: String, timed_out| CommandResult {
        command: cmd.to_string(),
        exit_code,
        duration: started.elapsed(),
        output,
        timed_out,
    };
    let mut child = match Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return done(None, format!("could not start sh: {e}"), false),
    };
    // Read everything (a child blocked on a full pipe would never exit), keep the tail.
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            let mut chunk = [0u8; 8192];
            if let Some(mut p) = pipe {
                while let Ok(n) = p.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    kept.extend_from_slice(&chunk[..n]);
                    if kept.len() > 2 * OUTPUT_LIMIT {
                        kept.drain(..kept.len() - OUTPUT_LIMIT);
                    }
                }
            }
            if kept.len() > OUTPUT_LIMIT {
                kept.drain(..kept.len() - OUTPUT_LIMIT);
            }
            kept
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let (status, timed_out) = loop {
        match child.try_wait() {
            Ok(Some(st)) => break (Some(st), false),
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break (None, true);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break (None, false),
        }
    };
    // A grandchild may hold the pipes open after a kill: do not wait for it.
    let mut text = String::new();
    for handle in [out, err] {
        if !timed_out || handle.is_finished() {
            if let Ok(bytes) = handle.join() {
                text.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    if timed_out {
        text.push_str(&format!("\n(killed after {} s)", timeout.as_secs()));
    }
    done(status.and_then(|s| s.code()), text, timed_out)
}

/// The postmortem as Markdown. In this build: the journal as a timeline.
pub fn postmortem_preview(incident: &Incident, state: &State, lang: &str) -> String {
    let ja = lang == "ja";
    let mut md = format!(
        "# {} — {}\n\n",
        if ja { "障害報告" } else { "Postmortem" },
        state.title
    );
    md.push_str(&format!(
        "- incident: `{}`\n- host: {}\n",
        incident.id, state.host
    ));
    if let Some(t) = state.opened_at {
        md.push_str(&format!(
            "- opened: {}\n",
            t.format("%Y-%m-%d %H:%M:%S %:z")
        ));
    }
    if let Some(t) = state.closed_at {
        md.push_str(&format!(
            "- closed: {}\n",
            t.format("%Y-%m-%d %H:%M:%S %:z")
        ));
    }
    if let Some(s) = &state.summary {
        md.push_str(&format!("\n{s}\n"));
    }
    md.push_str(if ja {
        "\n## 経過\n\n"
    } else {
        "\n## Timeline\n\n"
    });
    for ev in &state.events {
        let line = match &ev.body {
            EventBody::Opened { title, .. } => format!("opened: {title}"),
            EventBody::Step { step, status } => format!("step {step} {status}"),
            EventBody::Note { text } => format!("note: {text}"),
            EventBody::Reported { message } => format!("reported: {message}"),
            EventBody::Snapshot { file, .. } => format!("snapshot saved ({file})"),
            EventBody::Finding {
                severity, title, ..
            } => format!("finding ({severity}): {title}"),
            EventBody::Command {
                command, exit_code, ..
            } => format!(
                "ran `{command}` (exit {})",
                exit_code.map_or("none".to_string(), |c| c.to_string())
            ),
            EventBody::Impact { answers } => format!(
                "impact: {}",
                answers
                    .iter()
                    .map(|(q, a)| format!("{q}={a}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            EventBody::Closed { .. } => "closed".to_string(),
            EventBody::Other(_) => ev.body.kind().to_string(),
        };
        md.push_str(&format!("- {} {}\n", ev.time.format("%H:%M:%S"), line));
    }
    md.push_str(&format!("\n_(full postmortem renderer {NOT_AVAILABLE})_\n"));
    md
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
        assert!(r.output.len() <= OUTPUT_LIMIT);
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
