//! The journal as a stream for `triage logs`: `journalctl -o json` read record by record
//! as it prints them ([`spawn_stream`]), under the same deadline as [`journal::read`]
//! (its group killed at the deadline, what it printed by then kept), so memory is one
//! line buffer whatever the size of the window.

use std::time::Duration;

use super::journal::{self, end_warnings, parse_json};
use super::lines::Lines;
use super::{LogEntry, TRUNCATED_MARK};
use crate::command::{spawn_stream, Cmd, Streaming};
use crate::host_root::HostRoot;
use crate::snapshot::Time;

/// Bytes of `journalctl`'s stderr kept for the warning.
const STDERR_BYTES: usize = 16 * 1024;

/// `journalctl -o json` records, oldest first, parsed as they are read.
pub struct JournalStream {
    program: String,
    lines: Option<Lines<Streaming>>,
    timeout: Duration,
    /// Kernel records at or after this time are dropped (the ring buffer has them).
    pub drop_kernel_from: Option<Time>,
    /// What went wrong.
    pub warnings: Vec<String>,
}

impl JournalStream {
    /// The last `n` journal records (kernel only with `kernel`) since `since`; no
    /// `journalctl` on the host is not an error (an empty stream).
    pub fn start(
        root: &HostRoot,
        n: usize,
        since: Option<Time>,
        kernel: bool,
        timeout: Duration,
    ) -> Self {
        match journal::args(root, n, since, kernel) {
            Ok(args) => Self::command("journalctl", &args, timeout),
            Err(warnings) => JournalStream {
                program: "journalctl".into(),
                lines: None,
                timeout,
                drop_kernel_from: None,
                warnings,
            },
        }
    }

    /// Stream `program args` as journal JSON lines, killed at `timeout`.
    pub fn command(program: &str, args: &[String], timeout: Duration) -> Self {
        let cmd = Cmd::new(program)
            .args(args)
            .env("SYSTEMD_PAGER", "")
            .env("LC_ALL", "C")
            .raw();
        let mut warnings = Vec::new();
        let lines = match spawn_stream(&cmd, timeout, STDERR_BYTES) {
            Ok(s) => Some(Lines::new(s)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                warnings.push(format!("{program}: could not run: {e}"));
                None
            }
        };
        JournalStream {
            program: program.to_string(),
            lines,
            timeout,
            drop_kernel_from: None,
            warnings,
        }
    }

    /// The next record, or `None` at the end of the output (or the deadline).
    pub fn next_entry(&mut self) -> Option<LogEntry> {
        loop {
            let lines = self.lines.as_mut()?;
            let e = match lines.next_line() {
                None => return self.end(None),
                Some(Err(e)) => return self.end(Some(e)),
                Some(Ok(line)) => {
                    let text = String::from_utf8_lossy(line.bytes);
                    match parse_json(&text, "journal") {
                        Some(e) => e,
                        // A record cut at the line cap is no longer JSON: kept as text.
                        None if line.cut.is_some() => {
                            LogEntry::new("journal", &format!("{text}{TRUNCATED_MARK}"))
                        }
                        None => continue,
                    }
                }
            };
            let covered = self
                .drop_kernel_from
                .is_some_and(|from| e.kernel && e.time.is_some_and(|t| t >= from));
            if !covered {
                return Some(e);
            }
        }
    }

    fn end(&mut self, err: Option<std::io::Error>) -> Option<LogEntry> {
        let lines = self.lines.take()?;
        if let Some(e) = err {
            self.warnings
                .push(format!("{}: reading its output: {e}", self.program));
        }
        let ended = lines.into_inner().finish();
        self.warnings.extend(end_warnings(
            &self.program,
            ended.timed_out,
            ended.exit_code,
            &ended.stderr,
            self.timeout,
        ));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(mut s: JournalStream) -> (Vec<LogEntry>, Vec<String>) {
        let mut out = Vec::new();
        while let Some(e) = s.next_entry() {
            out.push(e);
        }
        (out, s.warnings)
    }

    #[test]
    fn records_stream_and_a_hang_is_killed_at_the_deadline() {
        let script = r#"i=0; while [ $i -lt 3 ]; do echo '{"__REALTIME_TIMESTAMP":"1","MESSAGE":"hello"}'; i=$((i+1)); done; sleep 30"#;
        let started = std::time::Instant::now();
        let s = JournalStream::command(
            "sh",
            &["-c".into(), script.into()],
            Duration::from_millis(500),
        );
        let (entries, warnings) = all(s);
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].message, "hello");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(
            warnings[0].contains("no answer within 500 ms"),
            "{warnings:?}"
        );
        let (none, quiet) = all(JournalStream::command(
            "triage-no-such-journalctl",
            &[],
            Duration::from_secs(1),
        ));
        assert!(none.is_empty() && quiet.is_empty());
    }

    #[test]
    fn many_records_pass_one_at_a_time_and_a_cut_record_is_kept() {
        // 300,000 records (~30 MB) through one line buffer.
        let script = r#"yes '{"__REALTIME_TIMESTAMP":"1","MESSAGE":"x"}' | head -n 300000; printf '{"MESSAGE":"%070000d"}\n' 0"#;
        let mut s =
            JournalStream::command("sh", &["-c".into(), script.into()], Duration::from_secs(60));
        let mut n = 0;
        let mut last = None;
        while let Some(e) = s.next_entry() {
            n += 1;
            last = Some(e);
        }
        assert_eq!(n, 300_001, "{:?}", s.warnings);
        assert!(last.is_some_and(|e| e.message.ends_with(TRUNCATED_MARK)));
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn this_hosts_journal_streams() {
        let root = HostRoot::live();
        let s = JournalStream::start(&root, 20, None, false, Duration::from_secs(20));
        if s.lines.is_none() {
            eprintln!(
                "skipped: journalctl is not installed here ({:?})",
                s.warnings
            );
            return;
        }
        let (entries, warnings) = all(s);
        if entries.is_empty() {
            eprintln!("skipped: this host's journal is empty or unreadable ({warnings:?})");
            return;
        }
        assert!(entries.len() <= 20, "{}", entries.len());
        assert!(entries.iter().all(|e| e.source == "journal"));
        assert!(entries.iter().any(|e| e.time.is_some()));
    }
}
