//! Logs: the kernel ring buffer, syslog files and the journal, merged by time, with the
//! kernel's alarming events classified into findings and repeated lines grouped into
//! templates.
//!
//! Sources, each with its own reader: [`kmsg`] (`/dev/kmsg`, `klogctl(2)`, dmesg files),
//! [`files`] (syslog files read backwards from the end, rotated generations, `.gz`) and
//! [`journal`] (`journalctl -o json`). [`formats`] parses every line format; [`classify`]
//! turns events into findings; [`drain`] groups lines into templates. [`read`] is what
//! `triage logs` runs; the snapshot's `kernel_log` and `log_tail` collectors use the
//! readers directly.

pub mod accuracy;
pub mod classify;
pub mod drain;
pub mod files;
pub mod follow;
pub mod formats;
pub mod journal;
pub mod journal_stream;
pub mod json;
pub mod kmsg;
pub mod lines;
pub mod pipeline;
pub mod revlines;
mod rules;
pub mod stream;
pub mod tail;

pub use classify::SYSRQ_MARK;
#[cfg(test)]
pub(crate) use rules::pattern_ids;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::host_root::HostRoot;
use crate::snapshot::{Finding, Time, Warning};

/// Longest line kept; the rest is cut and the message ends with [`TRUNCATED_MARK`].
pub const MAX_LINE: usize = 64 * 1024;

/// Appended to a message cut at [`MAX_LINE`] bytes.
pub const TRUNCATED_MARK: &str = " …[truncated]";

/// Bytes of records kept per file read from its end (`snapshot`, `check`, the kernel
/// log's fallbacks): with 60 KB lines, [`SCAN_LINES`] records would be 120 MB per file.
/// Reading stops there, with a warning; a few hundred long lines still fit.
pub const MAX_TAIL_BYTES: usize = 8 << 20;

/// Records read per source for findings when only the last lines are asked for.
pub(crate) const SCAN_LINES: usize = 2000;

/// Records read per source at most with `--since` or `--grep`.
pub(crate) const SEARCH_LINES: usize = 200_000;

/// One log record from any source.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogEntry {
    /// When it was logged, when known.
    pub time: Option<Time>,
    /// Where it came from: a file path, `kernel` or `journal`.
    pub source: String,
    /// Syslog level name (`emerg` … `debug`), when the format carries one.
    pub level: Option<String>,
    /// The message text (without the syslog header).
    pub message: String,
    /// The template this line belongs to (`--templates` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_id: Option<u32>,
    /// The program (syslog tag, `SYSLOG_IDENTIFIER`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// The process id in the syslog header, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// The host name in the syslog header, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Seconds since boot as stamped by the kernel, when printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptime_seconds: Option<f64>,
    /// A kernel record (kmsg, dmesg, a `kernel:` syslog line, `_TRANSPORT=kernel`);
    /// only written when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub kernel: bool,
}

impl LogEntry {
    /// An entry from `source` with `message` and nothing else known.
    pub fn new(source: &str, message: &str) -> Self {
        LogEntry {
            time: None,
            source: source.to_string(),
            level: None,
            message: message.to_string(),
            template_id: None,
            program: None,
            pid: None,
            host: None,
            uptime_seconds: None,
            kernel: false,
        }
    }
}

/// What one reader produced: entries (oldest first) and warnings for the user.
#[derive(Debug, Default, Clone)]
pub struct Read {
    /// The records, oldest first.
    pub entries: Vec<LogEntry>,
    /// Partial failures, each naming the file or tool.
    pub warnings: Vec<String>,
}

/// `triage logs --json` (DESIGN.md "Logs JSON").
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Report {
    /// Records merged by time, oldest first.
    pub entries: Vec<LogEntry>,
    /// Templates with counts over the whole window (`--templates` only).
    pub templates: Vec<drain::Template>,
    /// Records in the window (after `--since` and `--kernel`, before `--grep` and `-n`).
    pub lines_read: u64,
    /// Kernel and system events found in every record read (not only those shown).
    pub findings: Vec<Finding>,
    /// What could not be read, and why.
    pub warnings: Vec<Warning>,
}

impl Report {
    /// Mask secrets in every free-text field (see [`crate::redact`]).
    pub fn redact(&mut self) {
        use crate::redact::redact_in_place as r;
        // Line by line with state: a PEM body spans several log lines.
        crate::redact::redact_lines(true, self.entries.iter_mut().map(|e| &mut e.message));
        for t in &mut self.templates {
            r(true, &mut t.template);
        }
        for f in &mut self.findings {
            f.redact();
        }
        for w in &mut self.warnings {
            r(true, &mut w.message);
        }
    }
}

/// What `triage logs` asks for.
#[derive(Debug, Clone)]
pub struct Query {
    /// Only records at or after this time (records without a time are kept).
    pub since: Option<Time>,
    /// Read these files instead of the host's logs.
    pub files: Vec<PathBuf>,
    /// Kernel records only.
    pub kernel_only: bool,
    /// Show only messages matching this.
    pub grep: Option<Regex>,
    /// Group lines into templates.
    pub templates: bool,
    /// At most this many entries, the most recent.
    pub lines: usize,
    /// Deadline for `journalctl`.
    pub journal_timeout: Duration,
    /// Mask the body lines of PEM blocks as records pass (see [`crate::redact::PemBlocks`]):
    /// the only part of redaction that needs every line of a source in order, which
    /// `--grep` and `-n` would otherwise hide from whoever redacts the entries shown.
    /// Off only with `--no-redact`.
    pub mask_pem: bool,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            since: None,
            files: Vec::new(),
            kernel_only: false,
            grep: None,
            templates: false,
            lines: 1000,
            journal_timeout: Duration::from_secs(3),
            mask_pem: true,
        }
    }
}

/// Read the logs `q` asks for under `root`: the last `q.lines` records of the window,
/// with templates and findings over all of it (see [`pipeline`]). Never fails: what
/// cannot be read is a warning.
pub fn read(root: &HostRoot, q: &Query) -> Report {
    let mut last = std::collections::VecDeque::with_capacity(q.lines.min(4096));
    let summary = pipeline::run(root, q, |e| {
        if last.len() == q.lines {
            last.pop_front();
        }
        if q.lines > 0 {
            last.push_back(e);
        }
    });
    Report {
        entries: last.into(),
        templates: summary.templates,
        lines_read: summary.lines_read,
        findings: summary.findings,
        warnings: summary.warnings,
    }
}

/// Drop records that an earlier group already has: the same message within two seconds
/// (the kernel ring buffer, the journal and syslog often hold the same line). Groups come
/// in priority order.
pub(crate) fn dedupe(groups: Vec<Vec<LogEntry>>) -> Vec<Vec<LogEntry>> {
    let mut seen: HashMap<String, Vec<i64>> = HashMap::new();
    let mut out = Vec::with_capacity(groups.len());
    for group in groups {
        let mut kept = Vec::with_capacity(group.len());
        let mut mine: Vec<(String, i64)> = Vec::new();
        for e in group {
            if let Some(t) = e.time.map(|t| t.timestamp()) {
                let dup = seen
                    .get(&e.message)
                    .is_some_and(|ts| ts.iter().any(|s| (s - t).abs() <= 2));
                if dup {
                    continue;
                }
                mine.push((e.message.clone(), t));
            }
            kept.push(e);
        }
        for (m, t) in mine {
            seen.entry(m).or_default().push(t);
        }
        out.push(kept);
    }
    out
}

/// Merge groups (each oldest first) by time. A record without a time sorts with the last
/// timed record before it in its group, so a `dmesg` line without a stamp stays next to
/// its neighbours.
pub fn merge(groups: Vec<Vec<LogEntry>>) -> Vec<LogEntry> {
    let mut keyed: Vec<(Option<Time>, usize, usize, LogEntry)> = Vec::new();
    for (g, group) in groups.into_iter().enumerate() {
        let mut last = None;
        for (i, e) in group.into_iter().enumerate() {
            if e.time.is_some() {
                last = e.time;
            }
            keyed.push((last, g, i, e));
        }
    }
    keyed.sort_by_key(|k| (k.0, k.1, k.2));
    keyed.into_iter().map(|k| k.3).collect()
}

/// Cut `line` to [`MAX_LINE`] bytes on a character boundary, marking the cut.
pub(crate) fn cap_line(line: &str) -> std::borrow::Cow<'_, str> {
    if line.len() <= MAX_LINE {
        return line.into();
    }
    let mut end = MAX_LINE;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{TRUNCATED_MARK}", line.get(..end).unwrap_or_default()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(source: &str, secs: Option<i64>, msg: &str) -> LogEntry {
        let mut e = LogEntry::new(source, msg);
        e.time = secs.and_then(crate::snapshot::time_from_unix);
        e
    }

    #[test]
    fn merge_keeps_untimed_lines_with_their_neighbours() {
        let a = vec![
            at("a", Some(10), "a1"),
            at("a", None, "a2"),
            at("a", Some(30), "a3"),
        ];
        let b = vec![at("b", Some(20), "b1"), at("b", Some(40), "b2")];
        let m: Vec<_> = merge(vec![a, b]).into_iter().map(|e| e.message).collect();
        assert_eq!(m, ["a1", "a2", "b1", "a3", "b2"]);
    }

    #[test]
    fn dedupe_drops_the_same_line_from_a_later_source() {
        let k = vec![at("kernel", Some(100), "Out of memory")];
        let j = vec![
            at("journal", Some(101), "Out of memory"),
            at("journal", Some(500), "Out of memory"),
        ];
        let d = dedupe(vec![k, j]);
        assert_eq!(d[1].len(), 1);
        assert_eq!(d[1][0].time.unwrap().timestamp(), 500);
    }

    #[test]
    fn cap_line_cuts_on_a_char_boundary() {
        let long = "é".repeat(MAX_LINE);
        let c = cap_line(&long);
        assert!(c.ends_with(TRUNCATED_MARK));
        assert!(c.len() <= MAX_LINE + TRUNCATED_MARK.len());
        assert_eq!(cap_line("short"), "short");
    }
}
