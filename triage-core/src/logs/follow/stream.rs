//! [`Follow`]: the one follow stream, for `triage logs --follow` and the TUI's Logs step.
//! The sources `triage logs` reads (the files given, else the host's syslog files, and on
//! the live host the kernel ring buffer and the journal) polled for what was written since
//! the last poll, each batch put in time order (a source's own order kept), classified as
//! it passes, redacted in order (a PEM block spans lines), and the kernel-event findings
//! that fired placed right after the line that made them fire.

use regex::Regex;

use super::{JournalFollower, KmsgFollower, Tailer};
use crate::findings::catalogue::event_findings;
use crate::host_root::HostRoot;
use crate::logs::classify::Classifier;
use crate::logs::{files, kmsg, LogEntry, Query};
use crate::redact::LineRedactor;
use crate::snapshot::Finding;

/// One thing a poll brought, in the order to show them.
#[derive(Debug, Clone, PartialEq)]
pub enum Followed {
    /// A new record (matching `--grep`), redacted unless asked not to.
    Entry(LogEntry),
    /// A finding whose first line just arrived (each finding once).
    Finding(Box<Finding>),
}

/// What one [`Follow::poll`] brought.
#[derive(Debug, Default)]
pub struct Polled {
    /// Records and findings, in order.
    pub items: Vec<Followed>,
    /// Rotation, truncation, refused links, cut or dropped lines: for stderr or a footer.
    pub notes: Vec<String>,
}

/// The followed sources and what has been classified so far.
#[derive(Debug)]
pub struct Follow {
    tailers: Vec<Tailer>,
    kernel: Option<KmsgFollower>,
    journal: Option<JournalFollower>,
    kernel_only: bool,
    grep: Option<Regex>,
    redact: bool,
    classifier: Classifier,
    /// Events classified so far, when the findings were last worked out.
    events_seen: usize,
    /// Findings already handed out.
    shown: usize,
    redactor: LineRedactor,
}

impl Follow {
    /// Start following what `q` names under `root` (from now on: nothing already written is
    /// read); `redact`: mask secrets in records and findings. Starts `journalctl -f` on the
    /// live host, killed when this is dropped.
    pub fn open(root: &HostRoot, q: &Query, redact: bool) -> Follow {
        let paths = if !q.files.is_empty() {
            q.files.clone()
        } else if q.kernel_only {
            Vec::new()
        } else {
            files::system_log_paths(root)
        };
        let live = q.files.is_empty() && root.is_live();
        let kernel = if live {
            KmsgFollower::open(&root.path("dev/kmsg"), kmsg::boot_time_live()).ok()
        } else {
            None
        };
        Follow {
            tailers: paths.iter().map(|p| Tailer::new(p)).collect(),
            kernel,
            journal: (live && !q.kernel_only)
                .then(JournalFollower::start)
                .flatten(),
            kernel_only: q.kernel_only,
            grep: q.grep.clone(),
            redact,
            classifier: Classifier::default(),
            events_seen: 0,
            shown: 0,
            redactor: LineRedactor::default(),
        }
    }

    /// What is followed, for a footer: file paths, `kernel`, `journal`.
    pub fn sources(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .tailers
            .iter()
            .map(|t| t.path().display().to_string())
            .collect();
        if self.kernel.is_some() {
            out.push("kernel".into());
        }
        if self.journal.is_some() {
            out.push("journal".into());
        }
        out
    }

    /// What was written since the last poll.
    pub fn poll(&mut self) -> Polled {
        let mut batch = Vec::new();
        let mut polled = Polled::default();
        for t in &mut self.tailers {
            t.poll(&mut batch, &mut polled.notes);
        }
        if let Some(k) = &mut self.kernel {
            k.poll(&mut batch);
        }
        if let Some(j) = &mut self.journal {
            j.poll(&mut batch, &mut polled.notes);
        }
        // Stable: a source's own order is kept among equal times.
        batch.sort_by_key(|e| e.time);
        for e in batch {
            self.pass(e, &mut polled.items);
        }
        polled
    }

    /// Classify `e`; keep it when it matches `--grep`, then the findings it made fire.
    fn pass(&mut self, mut e: LogEntry, items: &mut Vec<Followed>) {
        if self.kernel_only && !e.kernel {
            return;
        }
        self.classifier.push(&e);
        if self.grep.as_ref().is_none_or(|re| re.is_match(&e.message)) {
            if self.redact {
                // Carries a PEM block from one line to the next.
                self.redactor.in_place(&mut e.message);
            }
            items.push(Followed::Entry(e));
        }
        if self.classifier.len() > self.events_seen {
            self.events_seen = self.classifier.len();
            let findings = event_findings(&self.classifier.events());
            for mut f in findings.iter().skip(self.shown).cloned() {
                if self.redact {
                    f.redact();
                }
                items.push(Followed::Finding(Box::new(f)));
            }
            self.shown = self.shown.max(findings.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use triage_testkit::append;

    #[test]
    fn files_in_time_order_redacted_with_findings_after_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
        append(&a, "Nov 23 09:00:00 h app[1]: old, not read\n");
        append(&b, "");
        let q = Query {
            files: vec![a.clone(), b.clone()],
            ..Query::default()
        };
        let mut f = Follow::open(&HostRoot::live(), &q, true);
        assert_eq!(f.sources().len(), 2, "files given: no kernel, no journal");
        assert!(f.poll().items.is_empty());
        append(&a, "Nov 23 10:00:03 h app[1]: later, password=hunter2\n");
        append(
            &b,
            "Nov 23 10:00:01 h kernel: Out of memory: Killed process 4242 (java) total-vm:1kB\n",
        );
        let items = f.poll().items;
        let shown: Vec<String> = items
            .iter()
            .map(|i| match i {
                Followed::Entry(e) => e.message.clone(),
                Followed::Finding(f) => format!("finding {}", f.id),
            })
            .collect();
        assert_eq!(shown.len(), 3, "{shown:?}");
        assert!(shown[0].starts_with("Out of memory"), "{shown:?}");
        assert_eq!(shown[1], "finding oom_kill");
        assert!(shown[2].starts_with("later") && !shown[2].contains("hunter2"));
        // The same kind of event again: no second finding.
        append(
            &b,
            "Nov 23 10:00:04 h kernel: Out of memory: Killed process 4243 (java) total-vm:1kB\n",
        );
        let again = f.poll().items;
        assert_eq!(again.len(), 1, "{again:?}");
    }

    #[test]
    fn grep_keeps_matching_records_and_still_classifies_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.log");
        append(&a, "");
        let q = Query {
            files: vec![a.clone()],
            grep: Some(Regex::new("upstream").unwrap()),
            ..Query::default()
        };
        let mut f = Follow::open(&HostRoot::live(), &q, false);
        append(&a, "Nov 23 10:00:01 h nginx[2]: upstream timed out\nNov 23 10:00:02 h kernel: Out of memory: Killed process 7 (java) total-vm:1kB\n");
        let items = f.poll().items;
        assert_eq!(items.len(), 2, "{items:?}");
        assert!(matches!(&items[0], Followed::Entry(e) if e.message.contains("upstream")));
        assert!(matches!(&items[1], Followed::Finding(f) if f.id == "oom_kill"));
    }
}
