//! The streaming pipeline behind `triage logs`: every source read forward, merged by time
//! (k-way), de-duplicated across sources, filtered, classified and template-mined as each
//! record passes, then handed to a sink. Nothing here holds the window: memory is the
//! sources' read buffers, the templates and the findings.
//!
//! PEM key bodies are masked here (each source's lines, every one of them, go through its
//! own [`PemBlocks`]); the rest of redaction is per line, left to the sink.
//!
//! Merge order: each source keeps its own order (a clock jump backwards inside a file
//! does not move lines); sources are interleaved by the best time known for their next
//! record (its own, else the last one seen in that source), ties by source order. No
//! record is dropped except an exact copy from another source within two seconds.

use std::collections::{HashMap, VecDeque};

use super::classify::Classifier;
use super::drain::Drain;
use super::journal_stream::JournalStream;
use super::stream::FileStream;
use super::{files, kmsg, LogEntry, Query};
use crate::host_root::HostRoot;
use crate::redact::PemBlocks;
use crate::snapshot::{collector, Finding, Time, Warning};

/// Copies from two sources this close in time (seconds) are one record.
const DEDUPE_SECONDS: i64 = 2;

/// Most recent messages remembered for de-duplication, whatever their times.
const DEDUPE_MAX: usize = 4096;

/// Everything but the entries: what the sink did not get.
#[derive(Debug, Default)]
pub struct Summary {
    /// Templates with counts over the whole window (`--templates` only).
    pub templates: Vec<super::drain::Template>,
    /// Findings over every record in the window.
    pub findings: Vec<Finding>,
    /// Records in the window (after `--since` and `--kernel`, before `--grep`).
    pub lines_read: u64,
    /// What could not be read.
    pub warnings: Vec<Warning>,
}

/// One input of the merge.
enum Source {
    Mem(std::vec::IntoIter<LogEntry>),
    File(Box<FileStream>),
    Journal(Box<JournalStream>),
}

impl Source {
    fn next_entry(&mut self) -> Option<LogEntry> {
        match self {
            Source::Mem(it) => it.next(),
            Source::File(f) => f.next_entry(),
            Source::Journal(j) => j.next_entry(),
        }
    }
}

/// The sources of a query, in priority order, with the warnings met opening them.
fn sources(root: &HostRoot, q: &Query, warnings: &mut Vec<Warning>) -> Vec<Source> {
    let mut warn = |collector: &str, msgs: Vec<String>| {
        warnings.extend(msgs.into_iter().map(|message| Warning {
            collector: collector.to_string(),
            message,
        }));
    };
    // Without `--since`, files are read back far enough for the `-n` shown, and at
    // least this many lines for the findings.
    let want = q.lines.max(super::SCAN_LINES);
    let mut out = Vec::new();
    if !q.files.is_empty() {
        for path in &q.files {
            out.push(Source::File(Box::new(FileStream::new(
                path, want, q.since, None, true,
            ))));
        }
        return out;
    }
    let k = kmsg::read_kernel(root, q.since);
    warn(collector::KERNEL_LOG, k.warnings);
    // The kernel source covers every kernel record from its first one on: the copies
    // the journal and syslog hold of those are dropped (their times can differ by more
    // than the dedupe window: journald stamps boot messages when it reads them).
    let covered = k.entries.iter().find_map(|e| e.time);
    out.push(Source::Mem(k.entries.into_iter()));
    if q.kernel_only {
        return out;
    }
    let per_source = if q.since.is_some() || q.grep.is_some() {
        q.lines.max(super::SEARCH_LINES)
    } else {
        want
    };
    // Streamed: `journalctl` prints as we read, its warnings come at its end.
    let mut j = JournalStream::start(root, per_source, q.since, false, q.journal_timeout);
    j.drop_kernel_from = covered;
    out.push(Source::Journal(Box::new(j)));
    for path in files::system_log_paths(root) {
        let mut f = FileStream::new(&path, want, q.since, None, false);
        f.drop_kernel_from = covered;
        out.push(Source::File(Box::new(f)));
    }
    out
}

/// The head of one source in the merge.
struct Head {
    entry: LogEntry,
    /// The entry's time, else the last time its source gave.
    key: Option<Time>,
}

/// K-way merge of sources by best-known time.
struct Merge {
    sources: Vec<Source>,
    heads: Vec<Option<Head>>,
    last: Vec<Option<Time>>,
    /// A saved tree's capture time: no year-less record is after it.
    capture: Option<Time>,
}

impl Merge {
    fn new(mut sources: Vec<Source>, capture: Option<Time>) -> Self {
        let mut last = vec![None; sources.len()];
        let heads = sources
            .iter_mut()
            .zip(&mut last)
            .map(|(s, l)| pull(s, l, capture))
            .collect();
        Merge {
            sources,
            heads,
            last,
            capture,
        }
    }

    /// The next record and the index of its source.
    fn next(&mut self) -> Option<(usize, LogEntry)> {
        if let [source] = self.sources.as_mut_slice() {
            // One source (`--file F`): nothing to merge, so no head is held (an entry is
            // ~200 bytes, and each move through a head is a copy).
            if let Some(h) = self.heads[0].take() {
                return Some((0, h.entry));
            }
            return pull(source, &mut self.last[0], self.capture).map(|h| (0, h.entry));
        }
        let mut best: Option<usize> = None;
        for (i, h) in self.heads.iter().enumerate() {
            let Some(h) = h else { continue };
            let better = match best.and_then(|b| self.heads[b].as_ref()) {
                None => true,
                Some(b) => h.key < b.key,
            };
            if better {
                best = Some(i);
            }
        }
        let i = best?;
        let next = pull(&mut self.sources[i], &mut self.last[i], self.capture);
        let head = std::mem::replace(&mut self.heads[i], next)?;
        Some((i, head.entry))
    }

    fn warnings(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &mut self.sources {
            match s {
                Source::File(f) => out.append(&mut f.warnings),
                Source::Journal(j) => out.append(&mut j.warnings),
                Source::Mem(_) => {}
            }
        }
        out
    }
}

fn pull(s: &mut Source, last: &mut Option<Time>, capture: Option<Time>) -> Option<Head> {
    let mut entry = s.next_entry()?;
    if let Some(c) = capture {
        // RFC 3164 years come from the file's mtime, the day a tree was copied.
        crate::collect::capture::not_after(std::slice::from_mut(&mut entry), c);
    }
    if entry.time.is_some() {
        *last = entry.time;
    }
    Some(Head { entry, key: *last })
}

/// Messages recently passed, to drop the same record from another source.
#[derive(Default)]
struct Dedupe {
    recent: HashMap<String, (i64, usize)>,
    order: VecDeque<(i64, String)>,
}

impl Dedupe {
    /// True when another source gave the same message within [`DEDUPE_SECONDS`].
    fn is_copy(&mut self, source: usize, e: &LogEntry) -> bool {
        let Some(t) = e.time.map(|t| t.timestamp()) else {
            return false;
        };
        if let Some(&(seen, from)) = self.recent.get(&e.message) {
            if from != source && (seen - t).abs() <= DEDUPE_SECONDS {
                return true;
            }
        }
        // Forget what is older than the window (by the latest time) or beyond the cap.
        while let Some((old, _)) = self.order.front() {
            if self.order.len() < DEDUPE_MAX && *old >= t - DEDUPE_SECONDS {
                break;
            }
            if let Some((old, msg)) = self.order.pop_front() {
                if self.recent.get(&msg).is_some_and(|r| r.0 == old) {
                    self.recent.remove(&msg);
                }
            }
        }
        self.recent.insert(e.message.clone(), (t, source));
        self.order.push_back((t, e.message.clone()));
        false
    }
}

/// Run `q` under `root`, handing each record of the window that passes `--grep` to
/// `sink`, oldest first. Templates and findings cover every record of the window.
pub fn run(root: &HostRoot, q: &Query, mut sink: impl FnMut(LogEntry)) -> Summary {
    let mut summary = Summary::default();
    let sources = sources(root, q, &mut summary.warnings);
    let dedupe_on = sources.len() > 1;
    let capture = if root.is_live() {
        None
    } else {
        let a = crate::collect::capture::anchor(root, crate::snapshot::now());
        a.known.then_some(a.now)
    };
    let mut merge = Merge::new(sources, capture);
    let mut dedupe = Dedupe::default();
    let mut classifier = Classifier::default();
    let mut drain = q.templates.then(Drain::default);
    let mut pem = vec![PemBlocks::default(); merge.sources.len()];
    while let Some((src, mut e)) = merge.next() {
        // Every line of the source, before any filter: a BEGIN line dropped by `--since`,
        // `--kernel`, de-duplication or `--grep` still opens its block.
        let pem_body = if q.mask_pem {
            pem[src].next(&e.message)
        } else {
            None
        };
        if q.since.is_some_and(|s| e.time.is_some_and(|t| t < s)) {
            continue;
        }
        if q.kernel_only && !e.kernel {
            continue;
        }
        if dedupe_on && dedupe.is_copy(src, &e) {
            continue;
        }
        summary.lines_read += 1;
        classifier.push(&e);
        if q.grep.as_ref().is_some_and(|re| !re.is_match(&e.message)) {
            continue;
        }
        // Before Drain too: a template made of a body line is shown.
        if let Some(end) = pem_body {
            PemBlocks::mask(&mut e.message, end);
        }
        if let Some(d) = &mut drain {
            e.template_id = Some(d.add(&e.message, e.time));
        }
        sink(e);
    }
    for message in merge.warnings() {
        summary.warnings.push(Warning {
            collector: collector::LOG_TAIL.to_string(),
            message,
        });
    }
    summary.findings = crate::findings::catalogue::event_findings(&classifier.finish());
    if drain.as_ref().is_some_and(|d| d.overflowed()) {
        summary.warnings.push(Warning {
            collector: collector::LOG_TAIL.to_string(),
            message: format!(
                "templates: more distinct lines than {} MiB of templates hold; the lines that matched no template after that are counted under template `<*>`",
                super::drain::MAX_TEMPLATE_BYTES >> 20
            ),
        });
    }
    summary.templates = drain.map(|d| d.templates()).unwrap_or_default();
    summary
}
