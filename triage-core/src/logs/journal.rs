//! The systemd journal, through `journalctl -o json` (see `journalctl(1)` and
//! `systemd.journal-fields(7)`): the journal file format is not a stable interface, its
//! JSON export is.
//!
//! `journalctl` runs as a subprocess under a deadline (it can take seconds on a big,
//! cold journal); on timeout it is killed and what it printed so far is kept. No
//! `journalctl` on the host (containers, old distributions) is not an error: the source is
//! skipped silently. Under `--root`, the root's `var/log/journal` is read with `-D`.

use std::time::Duration;

use serde_json::Value;

use super::formats::level_name;
use super::{cap_line, LogEntry, Read};
use crate::command::{run_command, Cmd};
use crate::host_root::HostRoot;
use crate::snapshot::Time;

/// One `journalctl -o json` line as an entry; `None` when it is not a JSON object.
/// `MESSAGE` may be a string or, for non-UTF-8 payloads, an array of bytes.
pub(crate) fn parse_json(line: &str, source: &str) -> Option<LogEntry> {
    let v: Value = serde_json::from_str(line).ok()?;
    let obj = v.as_object()?;
    let s = |k: &str| obj.get(k).and_then(Value::as_str);
    let message = match obj.get("MESSAGE") {
        Some(Value::String(m)) => m.clone(),
        Some(Value::Array(bytes)) => {
            let b: Vec<u8> = bytes
                .iter()
                .filter_map(|x| x.as_u64().map(|n| n as u8))
                .collect();
            String::from_utf8_lossy(&b).into_owned()
        }
        _ => String::new(),
    };
    let mut e = LogEntry::new(source, &cap_line(&message));
    e.time = s("__REALTIME_TIMESTAMP")
        .and_then(|t| t.parse::<i64>().ok())
        .and_then(time_from_usec);
    e.level = s("PRIORITY")
        .and_then(|p| p.parse::<u32>().ok())
        .map(level_name);
    e.program = s("SYSLOG_IDENTIFIER")
        .or_else(|| s("_COMM"))
        .map(String::from);
    e.pid = s("_PID")
        .or_else(|| s("SYSLOG_PID"))
        .and_then(|p| p.parse().ok());
    e.host = s("_HOSTNAME").map(String::from);
    e.kernel = s("_TRANSPORT") == Some("kernel");
    Some(e)
}

fn time_from_usec(usec: i64) -> Option<Time> {
    use chrono::TimeZone;
    chrono::Local
        .timestamp_micros(usec)
        .single()
        .map(|t| t.fixed_offset())
}

/// The last `n` journal records (kernel only with `kernel`), since `since`, waiting at most
/// `timeout` for `journalctl`.
pub fn read(
    root: &HostRoot,
    n: usize,
    since: Option<Time>,
    kernel: bool,
    timeout: Duration,
) -> Read {
    match args(root, n, since, kernel) {
        Ok(args) => read_command("journalctl", &args, timeout),
        Err(warnings) => Read {
            warnings,
            entries: Vec::new(),
        },
    }
}

/// `journalctl`'s arguments for a query; `Err` with the warnings (none: nothing to read)
/// when the journal is not to be read.
pub(super) fn args(
    root: &HostRoot,
    n: usize,
    since: Option<Time>,
    kernel: bool,
) -> Result<Vec<String>, Vec<String>> {
    let mut args: Vec<String> = vec![
        "-o".into(),
        "json".into(),
        "--no-pager".into(),
        "-q".into(),
        "-n".into(),
        n.to_string(),
    ];
    if !root.is_live() {
        let dir = match HostRoot::contained(&root.path("var/log/journal")) {
            Ok(d) if d.is_dir() => d,
            Ok(_) => return Err(Vec::new()),
            Err(e) => return Err(vec![format!("{e}; journal not read")]),
        };
        // `journalctl -D` follows links by itself: a tree whose journal directory holds a
        // symlink (never the case in a real one) is not handed to it.
        if let Some(link) = first_symlink(&dir, 3) {
            return Err(vec![format!(
                "{}: symlink inside the --root tree's journal directory; journal not read",
                link.display()
            )]);
        }
        args.push("-D".into());
        args.push(dir.display().to_string());
    }
    if let Some(s) = since {
        args.push("--since".into());
        // journalctl reads a time without offset as local time.
        let local = s.with_timezone(&chrono::Local);
        args.push(local.format("%Y-%m-%d %H:%M:%S").to_string());
    }
    if kernel {
        args.push("-k".into());
    }
    Ok(args)
}

/// The first symlink found in `dir`, looking `depth` levels down.
fn first_symlink(dir: &std::path::Path, depth: usize) -> Option<std::path::PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let ft = e.file_type().ok()?;
        if ft.is_symlink() {
            return Some(e.path());
        }
        if ft.is_dir() && depth > 0 {
            if let Some(l) = first_symlink(&e.path(), depth - 1) {
                return Some(l);
            }
        }
    }
    None
}

/// Most journal output read: the last bytes are kept (the newest records).
const MAX_OUTPUT: usize = 64 * 1024 * 1024;

/// Run `program args` through [`run_command`] and parse its stdout as journal JSON lines,
/// killing it at `timeout` (what it printed by then is kept).
pub(crate) fn read_command(program: &str, args: &[String], timeout: Duration) -> Read {
    let mut out = Read::default();
    let cmd = Cmd::new(program)
        .args(args)
        .env("SYSTEMD_PAGER", "")
        .env("LC_ALL", "C")
        .raw();
    let o = match run_command(&cmd, timeout, MAX_OUTPUT) {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return out,
        Err(e) => {
            out.warnings.push(format!("{program}: could not run: {e}"));
            return out;
        }
    };
    out.warnings.extend(end_warnings(
        program,
        o.timed_out,
        o.exit_code,
        &o.stderr.text,
        timeout,
    ));
    for line in o.stdout.text.lines() {
        if let Some(e) = parse_json(line, "journal") {
            out.entries.push(e);
        }
    }
    out
}

/// What to tell the user about how `program` ended.
pub(super) fn end_warnings(
    program: &str,
    timed_out: bool,
    exit_code: Option<i32>,
    stderr: &str,
    timeout: Duration,
) -> Vec<String> {
    let mut out = Vec::new();
    if timed_out {
        out.push(format!(
            "{program}: no answer within {} ms; killed, showing what it printed",
            timeout.as_millis()
        ));
    }
    if let Some(code) = exit_code {
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        if code != 0 && !first.contains("No journal files were found") {
            out.push(format!(
                "{program}: exited with exit status: {code}: {first}"
            ));
        } else if stderr.contains("not seeing messages from other users") {
            out.push(format!(
                "{program}: only this user's messages are visible; run as root or add the user to group systemd-journal"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_records() {
        let line = r#"{"__REALTIME_TIMESTAMP":"1763892123000000","PRIORITY":"3","SYSLOG_IDENTIFIER":"systemd","_PID":"1","_HOSTNAME":"web1","_TRANSPORT":"journal","MESSAGE":"nginx.service: Failed with result 'exit-code'."}"#;
        let e = parse_json(line, "journal").unwrap();
        assert_eq!(e.time.unwrap().timestamp(), 1_763_892_123);
        assert_eq!(e.level.as_deref(), Some("err"));
        assert_eq!(e.program.as_deref(), Some("systemd"));
        assert_eq!(e.pid, Some(1));
        assert!(!e.kernel);
        let bytes = r#"{"MESSAGE":[104,105,255],"_TRANSPORT":"kernel","PRIORITY":"6"}"#;
        let e = parse_json(bytes, "journal").unwrap();
        assert_eq!(e.message, "hi\u{fffd}");
        assert!(e.kernel);
        assert!(e.time.is_none());
        assert!(parse_json("{not json", "journal").is_none());
        assert!(parse_json("[1,2]", "journal").is_none());
    }

    #[test]
    fn missing_program_is_silent_and_a_hang_is_killed() {
        let r = read_command("triage-no-such-journalctl", &[], Duration::from_secs(1));
        assert!(r.entries.is_empty() && r.warnings.is_empty());
        let started = std::time::Instant::now();
        let r = read_command("sleep", &["5".to_string()], Duration::from_millis(100));
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(r.warnings[0].contains("no answer"), "{:?}", r.warnings);
    }

    #[test]
    fn output_is_parsed() {
        let line = r#"{"__REALTIME_TIMESTAMP":"1","MESSAGE":"hello"}"#;
        let r = read_command("echo", &[line.to_string()], Duration::from_secs(2));
        assert_eq!(r.entries.len(), 1);
        assert_eq!(r.entries[0].message, "hello");
    }
}
