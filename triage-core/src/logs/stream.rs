//! [`FileStream`]: the records of a syslog file and its rotated generations, oldest first,
//! parsed one line at a time as they are read, so memory does not grow with the file.
//!
//! Which generations are read: with `since`, from the newest back to the first one that
//! starts at or before `since` (its first record is read to know); without, from the
//! newest back until they hold `want` lines (counted with `memchr`, or by decompressing a
//! `.gz`). Where a plain file is entered: with `since`, at the first line at or after it,
//! found by binary search on byte offsets ([`window_start`]); a `.gz` is read from its
//! start (it cannot be entered in the middle) and its older lines are dropped as they pass.

use std::fs::{File, Metadata};
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::files::{generations, open_warning, parse_bytes, Stats};
use super::formats::{parse_line, ParseCtx, Parsed};
use super::lines::Lines;
use super::{LogEntry, MAX_LINE, TRUNCATED_MARK};
use crate::host_root::HostRoot;
use crate::snapshot::Time;

/// Below this many bytes the binary search stops and reads forward.
const SEARCH_SPAN: u64 = 64 * 1024;

/// Lines looked at after a probe point for a time before giving up on it.
const PROBE_LINES: usize = 64;

/// One generation being read.
struct Open {
    lines: Lines<Box<dyn Read + Send>>,
    ctx: ParseCtx,
    path: PathBuf,
    meta: Metadata,
    gz: bool,
    stats: Stats,
}

/// The records of one log file and the generations it needs, oldest first.
pub(crate) struct FileStream {
    /// Generations still to open, newest first (popped from the end), each with how many
    /// of its last lines to read (`None`: from the window start).
    pending: Vec<(PathBuf, Option<u64>)>,
    current: Option<Open>,
    since: Option<Time>,
    boot_time: Option<Time>,
    /// Lines read (blank and continuation lines included).
    pub lines_read: u64,
    /// Kernel records at or after this time are dropped: another source (the ring
    /// buffer) already has them.
    pub drop_kernel_from: Option<Time>,
    /// What went wrong, each naming the file.
    pub warnings: Vec<String>,
}

impl FileStream {
    /// `path` and, when the window reaches back that far, its older generations: those
    /// covering `since`, or (without `since`) enough to hold `want` lines. Without
    /// `since`, `whole` reads all of `path` (`--file`), else only its last `want` lines
    /// (the host's own logs, where the default window is the recent past).
    pub fn new(
        path: &Path,
        want: usize,
        since: Option<Time>,
        boot_time: Option<Time>,
        whole: bool,
    ) -> Self {
        let mut gens = generations(path);
        if gens.is_empty() {
            // Missing: opening it gives the warning that names it.
            gens.push(path.to_path_buf());
        }
        let mut pending = needed(&gens, want as u64, since, boot_time);
        if whole {
            if let Some(newest) = pending.first_mut() {
                newest.1 = None;
            }
        }
        FileStream {
            pending,
            current: None,
            since,
            boot_time,
            lines_read: 0,
            drop_kernel_from: None,
            warnings: Vec::new(),
        }
    }

    /// The next record, or `None` when every generation has been read.
    pub fn next_entry(&mut self) -> Option<LogEntry> {
        loop {
            if self.current.is_none() {
                let (path, last) = self.pending.pop()?;
                self.current = self.open(&path, last);
                continue;
            }
            let cur = self.current.as_mut()?;
            match cur.lines.next_line() {
                None => self.close(None),
                Some(Err(e)) => self.close(Some(e)),
                Some(Ok(line)) => {
                    self.lines_read += 1;
                    if let Some(len) = line.cut {
                        cur.stats.note_cut(len);
                    }
                    if let Some(mut e) = parse_bytes(line.bytes, &cur.ctx, &mut cur.stats) {
                        if line.cut.is_some() {
                            e.message.push_str(TRUNCATED_MARK);
                        }
                        let covered = self
                            .drop_kernel_from
                            .is_some_and(|from| e.kernel && e.time.is_some_and(|t| t >= from));
                        if !covered {
                            return Some(e);
                        }
                    }
                }
            }
        }
    }

    fn open(&mut self, path: &Path, last: Option<u64>) -> Option<Open> {
        let mut file = match HostRoot::open_regular(path) {
            Ok(f) => f,
            Err(e) => {
                self.warnings.push(open_warning(&e));
                return None;
            }
        };
        let meta = match file.metadata() {
            Ok(m) => m,
            Err(e) => {
                self.warnings.push(format!("{}: {e}", path.display()));
                return None;
            }
        };
        let ctx = ctx_for(path, &meta, self.boot_time);
        let gz = is_gz(path);
        let reader: Box<dyn Read + Send> = if gz {
            Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
        } else {
            let start = match (self.since, last) {
                (Some(s), _) => window_start(&file, meta.len(), s, &ctx),
                (None, Some(n)) => lines_from_end(&file, meta.len(), n).0,
                (None, None) => 0,
            };
            if let Err(e) = file.seek(SeekFrom::Start(start)) {
                self.warnings.push(format!("{}: {e}", path.display()));
                return None;
            }
            // Lines appended while we read belong to the next run (or to --follow).
            Box::new(file.take(meta.len().saturating_sub(start)))
        };
        Some(Open {
            lines: Lines::new(reader),
            ctx,
            path: path.to_path_buf(),
            meta,
            gz,
            stats: Stats::default(),
        })
    }

    /// The current generation is done (or failed with `err`): its warnings, then the next.
    fn close(&mut self, err: Option<std::io::Error>) {
        let Some(cur) = self.current.take() else {
            return;
        };
        let p = cur.path.display();
        if let Some(e) = err {
            self.warnings.push(if cur.gz {
                format!(
                    "{p}: compressed data ends early or is corrupt ({e}); {} lines read before it",
                    cur.stats.lines
                )
            } else {
                format!("{p}: {e}")
            });
        }
        self.warnings.extend(cur.stats.warnings(&cur.path));
        if cur.gz {
            return;
        }
        match std::fs::metadata(&cur.path) {
            Ok(now)
                if now.ino() != cur.meta.ino()
                    || now.dev() != cur.meta.dev()
                    || now.len() < cur.meta.len() =>
            {
                self.warnings.push(format!(
                    "{p}: rotated or truncated while being read; the lines shown may be incomplete"
                ));
            }
            Err(_) => self.warnings.push(format!(
                "{p}: removed while being read (rotated?); the lines shown may be incomplete"
            )),
            Ok(_) => {}
        }
    }
}

fn is_gz(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "gz")
}

/// The parse context of a file: its path as source, its mtime as "now" for RFC 3164 years.
pub(crate) fn ctx_for(path: &Path, meta: &Metadata, boot_time: Option<Time>) -> ParseCtx {
    let reference = meta
        .modified()
        .ok()
        .map(|t| chrono::DateTime::<chrono::Local>::from(t).fixed_offset())
        .unwrap_or_else(crate::snapshot::now);
    ParseCtx {
        source: path.display().to_string(),
        reference,
        boot_time,
    }
}

/// The generations (newest first) the window needs, each with how many of its last
/// lines to read: with `since`, back to the first one starting at or before it (each read
/// from the window start); without, back until `want` lines are covered.
fn needed(
    gens: &[PathBuf],
    want: u64,
    since: Option<Time>,
    boot: Option<Time>,
) -> Vec<(PathBuf, Option<u64>)> {
    let mut out = Vec::new();
    let mut lines = 0u64;
    for g in gens {
        match since {
            Some(s) => {
                out.push((g.clone(), None));
                if first_time(g, boot).is_some_and(|t| t <= s) {
                    break;
                }
            }
            None => {
                let left = want.saturating_sub(lines);
                out.push((g.clone(), Some(left)));
                lines += count_lines_upto(g, left);
                if lines >= want {
                    break;
                }
            }
        }
    }
    out
}

/// Lines in `path`, counting no further than `limit` (from the end of a plain file; a
/// `.gz` is decompressed from its start); 0 when it cannot be read.
fn count_lines_upto(path: &Path, limit: u64) -> u64 {
    let Ok(file) = HostRoot::open_regular(path) else {
        return 0;
    };
    if !is_gz(path) {
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        return lines_from_end(&file, len, limit).1;
    }
    let mut reader = flate2::read::MultiGzDecoder::new(BufReader::new(file));
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    while let Ok(got) = reader.read(&mut buf) {
        if got == 0 || n >= limit {
            break;
        }
        n += memchr::memchr_iter(b'\n', &buf[..got]).count() as u64;
    }
    n.min(limit)
}

/// Where the last `n` lines of a plain file start, and how many lines were found (fewer
/// than `n` when the file has fewer): `pread(2)` blocks from the end, counting newlines.
pub(crate) fn lines_from_end(file: &File, len: u64, n: u64) -> (u64, u64) {
    if n == 0 {
        return (len, 0);
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut pos = len;
    let mut found = 0u64;
    // The newline that ends the file ends the last line, it does not start one.
    let mut first_block = true;
    while pos > 0 {
        let size = buf.len().min(pos as usize);
        pos -= size as u64;
        if file.read_exact_at(&mut buf[..size], pos).is_err() {
            return (0, found);
        }
        let mut end = size;
        if first_block {
            first_block = false;
            if buf[size - 1] == b'\n' {
                end -= 1;
            }
        }
        for i in memchr::memrchr_iter(b'\n', &buf[..end]) {
            found += 1;
            if found == n {
                return (pos + i as u64 + 1, found);
            }
        }
    }
    // The first line has no newline before it.
    (0, (found + u64::from(len > 0)).min(n))
}

/// The time of the first timed record in `path` (plain or `.gz`).
fn first_time(path: &Path, boot: Option<Time>) -> Option<Time> {
    let file = HostRoot::open_regular(path).ok()?;
    let meta = file.metadata().ok()?;
    let ctx = ctx_for(path, &meta, boot);
    let reader: Box<dyn Read + Send> = if is_gz(path) {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(file)
    };
    first_time_in(&mut Lines::new(reader), &ctx)
}

fn first_time_in<R: Read>(lines: &mut Lines<R>, ctx: &ParseCtx) -> Option<Time> {
    for _ in 0..PROBE_LINES {
        let line = lines.next_line()?.ok()?;
        let text = String::from_utf8_lossy(line.bytes);
        if let Parsed::Entry(e) = parse_line(&text, ctx) {
            if e.time.is_some() {
                return e.time;
            }
        }
    }
    None
}

/// The byte offset of a line start at or before the first record at or after `since`:
/// binary search on offsets, each probe parsing the first timed line after it. Times that
/// go backwards (a clock jump) can only make the start earlier or later by the jump;
/// records before `since` that are read anyway are dropped by the caller.
pub(crate) fn window_start(file: &File, len: u64, since: Time, ctx: &ParseCtx) -> u64 {
    let (mut lo, mut hi) = (0u64, len);
    while hi - lo > SEARCH_SPAN {
        let mid = lo + (hi - lo) / 2;
        match probe(file, mid, len, ctx) {
            Some(t) if t < since => lo = mid,
            Some(_) => hi = mid,
            // Nothing timed after `mid` within reach: the window starts before it.
            None => hi = mid,
        }
    }
    line_start_after(file, lo, len)
}

/// The time of the first timed record starting after byte `at`.
fn probe(file: &File, at: u64, len: u64, ctx: &ParseCtx) -> Option<Time> {
    let start = line_start_after(file, at, len);
    let reader = ReadAt {
        file,
        pos: start,
        end: len,
    };
    first_time_in(&mut Lines::new(reader), ctx)
}

/// The first line start at or after `at` (0 stays 0; else just after the next newline
/// from `at - 1`), or `len`.
fn line_start_after(file: &File, at: u64, len: u64) -> u64 {
    if at == 0 {
        return 0;
    }
    let mut pos = at - 1;
    let mut buf = vec![0u8; 64 * 1024];
    // A line can be longer than one block: look as far as the line cap, then give up
    // and start there (the cut line is dropped by the parser as a partial record).
    let limit = pos + MAX_LINE as u64 + buf.len() as u64;
    while pos < len && pos < limit {
        let want = buf.len().min((len - pos) as usize);
        let Ok(n) = file.read_at(&mut buf[..want], pos) else {
            return len;
        };
        if n == 0 {
            return len;
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            return pos + i as u64 + 1;
        }
        pos += n as u64;
    }
    pos.min(len)
}

/// `pread(2)` from `pos` up to `end` as a [`Read`], without moving the file's offset.
struct ReadAt<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.end.saturating_sub(self.pos) as usize;
        // Probes need a few lines, not the 1 MiB a `Lines` buffer asks for.
        let want = buf.len().min(left).min(64 * 1024);
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
