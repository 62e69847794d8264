//! Syslog files: `/var/log/syslog`, `/var/log/messages`, `auth.log`/`secure` and any
//! `--file`, with their rotated generations (`syslog.1`, `syslog.2.gz`, `messages-20261122`)
//! read newest first.
//!
//! A plain file is read backwards from its end in blocks ([`RevLines`]), so showing the
//! last 1,000 lines of a 1 GB log reads a few hundred kilobytes. A `.gz` generation is
//! streamed through `flate2` keeping only the last lines. Lines longer than
//! [`MAX_LINE`](super::MAX_LINE) are cut. A file replaced or truncated while it was read
//! (logrotate) gives a warning; what was read is kept.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read as _};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::formats::{parse_line, ParseCtx, Parsed};
pub use super::revlines::RevLines;
use super::{cap_line, LogEntry, Read, MAX_LINE, MAX_TAIL_BYTES};
use crate::host_root::HostRoot;
use crate::snapshot::Time;

/// Read one file (plain or `.gz`): its last `n` records, stopping early at records older
/// than `since`. `boot_time` turns kernel `[seconds]` stamps into wall time.
pub fn read_file(path: &Path, n: usize, since: Option<Time>, boot_time: Option<Time>) -> Read {
    read_file_inner(path, n, since, boot_time).0
}

/// [`read_file`], also saying whether `since` was reached (older generations not needed).
fn read_file_inner(
    path: &Path,
    n: usize,
    since: Option<Time>,
    boot_time: Option<Time>,
) -> (Read, bool) {
    let file = match HostRoot::open_regular(path) {
        Ok(f) => f,
        Err(e) => {
            return (
                Read {
                    entries: Vec::new(),
                    warnings: vec![open_warning(&e)],
                },
                false,
            );
        }
    };
    read_open_file(file, path, n, since, boot_time)
}

/// The warning for a log file that cannot be opened, with a hint when it is permissions.
pub(super) fn open_warning(e: &crate::error::Error) -> String {
    let hint = if e.is_permission_denied() {
        " (run as root or add the user to group adm to read system logs)"
    } else {
        ""
    };
    format!("{e}{hint}")
}

/// Read an already opened `file` that was opened as `path`. Split from [`read_file`] so a
/// test can rotate the file between open and read.
pub fn read_open_file(
    file: File,
    path: &Path,
    n: usize,
    since: Option<Time>,
    boot_time: Option<Time>,
) -> (Read, bool) {
    let mut read = Read::default();
    let meta = match file.metadata() {
        Ok(m) => m,
        Err(e) => {
            read.warnings.push(format!("{}: {e}", path.display()));
            return (read, false);
        }
    };
    let reference = meta
        .modified()
        .ok()
        .map(|t| chrono::DateTime::<chrono::Local>::from(t).fixed_offset())
        .unwrap_or_else(crate::snapshot::now);
    let ctx = ParseCtx {
        source: path.display().to_string(),
        reference,
        boot_time,
    };
    let gz = path.extension().is_some_and(|e| e == "gz");
    let mut stats = Stats::default();
    let hit_since = if gz {
        read_gz(file, path, n, since, &ctx, &mut read, &mut stats);
        false
    } else {
        read_backwards(
            file,
            meta.len(),
            path,
            n,
            since,
            &ctx,
            &mut read,
            &mut stats,
        )
    };
    read.warnings.extend(stats.warnings(path));
    // Rotated (renamed and recreated) or truncated (copytruncate) while we read it?
    match HostRoot::metadata(path) {
        Ok(now) if now.ino() != meta.ino() || now.dev() != meta.dev() || now.len() < meta.len() => {
            read.warnings.push(format!(
                "{}: rotated or truncated while being read; the lines shown may be incomplete",
                path.display()
            ));
        }
        Err(_) => read.warnings.push(format!(
            "{}: removed while being read (rotated?); the lines shown may be incomplete",
            path.display()
        )),
        Ok(_) => {}
    }
    (read, hit_since)
}

/// What one file held besides records: line count, binary lines, cut lines.
#[derive(Debug, Default)]
pub(super) struct Stats {
    pub lines: usize,
    binary: usize,
    cut: u64,
    longest_cut: u64,
}

impl Stats {
    /// A line of `len` bytes was cut at `MAX_LINE`.
    pub fn note_cut(&mut self, len: u64) {
        self.cut += 1;
        self.longest_cut = self.longest_cut.max(len);
    }

    /// The warnings these stats call for, naming `path`: one per kind, however many lines.
    pub fn warnings(&self, path: &Path) -> Vec<String> {
        let mut out = Vec::new();
        if self.binary > 0 && self.binary * 10 >= self.lines.max(1) {
            out.push(format!(
                "{}: {} of {} lines are not text (binary data?); shown with invalid bytes replaced",
                path.display(),
                self.binary,
                self.lines
            ));
        }
        match self.cut {
            0 => {}
            1 => out.push(format!(
                "{}: a line of {} bytes was cut to {MAX_LINE} bytes",
                path.display(),
                self.longest_cut
            )),
            n => out.push(format!(
                "{}: {n} lines longer than {MAX_LINE} bytes were cut (the longest: {} bytes)",
                path.display(),
                self.longest_cut
            )),
        }
        out
    }
}

/// A line with NULs, or mostly control characters / invalid UTF-8. Plain printable ASCII,
/// the usual case, is settled by one pass over the bytes.
fn looks_binary(bytes: &[u8], text: &str) -> bool {
    // In blocks, each folded without a branch: the compiler turns that into vector code.
    let printable = bytes.chunks(32).all(|c| {
        c.iter().fold(true, |ok, &b| {
            ok & ((0x20..0x7f).contains(&b) | (b == b'\t'))
        })
    });
    if printable {
        return false;
    }
    if bytes.contains(&0) {
        return true;
    }
    let bad = text
        .chars()
        .filter(|c| *c == '\u{fffd}' || (c.is_control() && *c != '\t'))
        .count();
    bad * 4 > text.chars().count().max(1)
}

/// Parse one line's bytes (newline stripped; a `\r` before it is dropped), counting it.
pub(super) fn parse_bytes(bytes: &[u8], ctx: &ParseCtx, stats: &mut Stats) -> Option<LogEntry> {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    // `from_utf8` checks valid text (nearly every line) faster than the lossy decoder.
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    stats.lines += 1;
    if looks_binary(bytes, &text) {
        stats.binary += 1;
    }
    match parse_line(&cap_line(&text), ctx) {
        Parsed::Entry(e) => Some(e),
        Parsed::Continuation | Parsed::Blank => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn read_backwards(
    file: File,
    len: u64,
    path: &Path,
    n: usize,
    since: Option<Time>,
    ctx: &ParseCtx,
    read: &mut Read,
    stats: &mut Stats,
) -> bool {
    let mut lines = RevLines::new(file, len);
    let mut hit_since = false;
    let mut kept = 0usize;
    while read.entries.len() < n {
        if kept > MAX_TAIL_BYTES {
            read.warnings
                .push(tail_budget_warning(path, read.entries.len()));
            break;
        }
        match lines.next_line() {
            None => break,
            Some(Err(e)) => {
                read.warnings.push(format!("{}: {e}", path.display()));
                break;
            }
            Some(Ok(bytes)) => {
                if let Some(e) = parse_bytes(&bytes, ctx, stats) {
                    if let (Some(s), Some(t)) = (since, e.time) {
                        if t < s {
                            hit_since = true;
                            break;
                        }
                    }
                    kept += e.message.len();
                    read.entries.push(e);
                }
            }
        }
    }
    for len in lines.cut.drain(..) {
        stats.note_cut(len);
    }
    read.entries.reverse();
    hit_since
}

fn read_gz(
    file: File,
    path: &Path,
    n: usize,
    since: Option<Time>,
    ctx: &ParseCtx,
    read: &mut Read,
    stats: &mut Stats,
) {
    let mut reader = BufReader::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)));
    let mut last: VecDeque<LogEntry> = VecDeque::with_capacity(n.min(4096));
    let mut kept = 0usize;
    let mut over_budget = false;
    let mut buf = Vec::new();
    let mut count = 0usize;
    loop {
        buf.clear();
        let got = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .and_then(|n| {
                // A line longer than MAX_LINE: keep its start, skip (and count) the rest.
                if buf.last() == Some(&b'\n') || n == 0 {
                    return Ok((n, n));
                }
                let mut total = n;
                loop {
                    let chunk = reader.fill_buf()?;
                    if chunk.is_empty() {
                        break;
                    }
                    match chunk.iter().position(|b| *b == b'\n') {
                        Some(i) => {
                            total += i;
                            reader.consume(i + 1);
                            break;
                        }
                        None => {
                            let len = chunk.len();
                            total += len;
                            reader.consume(len);
                        }
                    }
                }
                Ok((n, total))
            });
        match got {
            Ok((0, _)) => break,
            Ok((_, total)) => {
                count += 1;
                let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
                if line.len() > MAX_LINE {
                    stats.note_cut(total as u64);
                }
                if let Some(e) = parse_bytes(line, ctx, stats) {
                    if since.is_some_and(|s| e.time.is_some_and(|t| t < s)) {
                        continue;
                    }
                    if last.len() == n {
                        kept -= last.pop_front().map_or(0, |o| o.message.len());
                    }
                    if n > 0 {
                        kept += e.message.len();
                        last.push_back(e);
                        while kept > MAX_TAIL_BYTES && last.len() > 1 {
                            over_budget = true;
                            kept -= last.pop_front().map_or(0, |o| o.message.len());
                        }
                    }
                }
            }
            Err(e) => {
                read.warnings.push(format!(
                    "{}: compressed data ends early or is corrupt ({e}); {count} lines read before it",
                    path.display()
                ));
                break;
            }
        }
    }
    if over_budget {
        read.warnings.push(tail_budget_warning(path, last.len()));
    }
    read.entries.extend(last);
}

/// Reading the end of `path` stopped at [`MAX_TAIL_BYTES`].
fn tail_budget_warning(path: &Path, kept: usize) -> String {
    format!(
        "{}: only the last {kept} lines read ({} MiB of long lines)",
        path.display(),
        MAX_TAIL_BYTES >> 20
    )
}

/// `path` and its rotated generations, newest first: `path`, `path.0`, `path.1`,
/// `path.2.gz`, … then date-suffixed ones (`path-20261122[.gz]`) newest first.
pub fn generations(path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if HostRoot::path_exists(path) {
        out.push(path.to_path_buf());
    }
    let (Some(dir), Some(base)) = (path.parent(), path.file_name().and_then(|b| b.to_str())) else {
        return out;
    };
    let Ok(list) = HostRoot::read_dir(dir) else {
        return out;
    };
    let mut numbered: Vec<(u64, PathBuf)> = Vec::new();
    let mut dated: Vec<(String, PathBuf)> = Vec::new();
    for entry in list.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(base)) else {
            continue;
        };
        let rest = rest.strip_suffix(".gz").unwrap_or(rest);
        if let Some(num) = rest.strip_prefix('.').and_then(|r| r.parse::<u64>().ok()) {
            numbered.push((num, entry.path()));
        } else if let Some(date) = rest.strip_prefix('-') {
            if !date.is_empty() && date.bytes().all(|b| b.is_ascii_digit()) {
                dated.push((date.to_string(), entry.path()));
            }
        }
    }
    // A `.1` and a `.1.gz` together: the plain one first.
    numbered.sort_by(|a, b| {
        (a.0, a.1.extension().is_some_and(|e| e == "gz"))
            .cmp(&(b.0, b.1.extension().is_some_and(|e| e == "gz")))
    });
    dated.sort_by(|a, b| b.0.cmp(&a.0));
    out.extend(numbered.into_iter().map(|(_, p)| p));
    out.extend(dated.into_iter().map(|(_, p)| p));
    out
}

/// The last `n` records of `path` and, when it has fewer, of its older generations.
pub fn read_generations(
    path: &Path,
    n: usize,
    since: Option<Time>,
    boot_time: Option<Time>,
) -> Read {
    let gens = generations(path);
    if gens.is_empty() {
        return read_file(path, n, since, boot_time);
    }
    let mut out = Read::default();
    let mut chunks = Vec::new();
    let mut left = n;
    for g in gens {
        let (r, hit_since) = read_file_inner(&g, left, since, boot_time);
        out.warnings.extend(r.warnings);
        left = left.saturating_sub(r.entries.len());
        chunks.push(r.entries);
        if left == 0 || hit_since {
            break;
        }
    }
    for c in chunks.into_iter().rev() {
        out.entries.extend(c);
    }
    out
}

/// The host's syslog files under `root` (`syslog` and/or `messages`, `auth.log` or
/// `secure`) and `extra` files: the last `n` records of each.
pub(crate) fn system_logs(
    root: &HostRoot,
    n: usize,
    since: Option<Time>,
    extra: &[PathBuf],
) -> Read {
    let mut out = Read::default();
    let mut paths = system_log_paths(root);
    paths.extend(extra.iter().cloned());
    let mut groups = Vec::new();
    for p in paths {
        let r = read_generations(&p, n, since, None);
        out.warnings.extend(r.warnings);
        groups.push(r.entries);
    }
    out.entries = super::merge(groups);
    out
}

/// A sosreport's journal exports (`journalctl --no-pager` text, short format), best
/// first: all boots, then this boot with catalog lines. Read where a tree has no syslog
/// file (RHEL 8+, Ubuntu with `rsyslog` removed) and for kernel records no `kern.log` kept.
pub const JOURNAL_EXPORTS: &[&str] = &[
    "sos_commands/logs/journalctl_--no-pager",
    "sos_commands/logs/journalctl_--no-pager_--catalog_--boot",
    "sos_commands/logs/journalctl_--no-pager_--boot",
];

/// The first journal export under a saved `root` (never on the live host).
pub fn journal_export(root: &HostRoot) -> Option<PathBuf> {
    if root.is_live() {
        return None;
    }
    JOURNAL_EXPORTS
        .iter()
        .map(|p| root.path(p))
        .find(|p| HostRoot::path_exists(p))
}

/// The host's syslog files that exist under `root`: `syslog` and/or `messages`,
/// `auth.log` or `secure`; a saved tree with neither `syslog` nor `messages`: its
/// journal export instead.
pub fn system_log_paths(root: &HostRoot) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = [
        "var/log/syslog",
        "var/log/messages",
        "var/log/auth.log",
        "var/log/secure",
    ]
    .iter()
    .map(|p| root.path(p))
    .filter(|p| HostRoot::path_exists(p))
    .collect();
    let has_syslog = paths
        .iter()
        .any(|p| p.ends_with("syslog") || p.ends_with("messages"));
    if !has_syslog {
        paths.extend(journal_export(root));
    }
    paths
}
