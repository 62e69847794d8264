//! The Logs step's follow mode state: the snapshot's lines as they were when it started,
//! then the followed records and the findings they fired, the oldest dropped past
//! [`LIVE_CAP`]; and what the footer says about the sources.

use std::collections::VecDeque;

use triage_core::logs::follow::Followed;
use triage_core::logs::LogEntry;

use super::logs::{is_kernel_event, LogLine};
use crate::tui::follow::Update;

/// Lines kept while following (the snapshot's first, then what arrives): the oldest go.
pub const LIVE_CAP: usize = 2000;

impl LogLine {
    /// A followed record, sanitised for the screen (the snapshot's lines are by `clean`).
    fn followed(e: &LogEntry) -> LogLine {
        let message = crate::tui::clean::line(&e.message).into_owned();
        LogLine {
            time: e.time,
            source: crate::tui::clean::line(e.source.rsplit('/').next().unwrap_or(&e.source))
                .into_owned(),
            kernel_event: (e.kernel || e.source == "kernel") && is_kernel_event(&message),
            message,
        }
    }
}

/// Follow mode's lines and what it said.
#[derive(Debug, Default)]
pub(super) struct Live {
    pub lines: VecDeque<LogLine>,
    /// What is followed, once the thread said.
    sources: Option<Vec<String>>,
    /// Findings fired since follow mode started.
    pub findings: usize,
    /// Records the UI was too slow to take.
    pub dropped: usize,
}

impl Live {
    pub fn push(&mut self, l: LogLine) {
        self.lines.push_back(l);
        if self.lines.len() > LIVE_CAP {
            self.lines.pop_front();
        }
    }

    /// Take one update; what to say in the footer.
    pub fn apply(&mut self, u: &Update, root_is_live: bool) -> Option<String> {
        let mut said = None;
        if let Some(src) = &u.sources {
            said = Some(following(src, root_is_live));
            self.sources = Some(src.clone());
        }
        self.dropped += u.dropped;
        for item in &u.items {
            match item {
                Followed::Entry(e) => self.push(LogLine::followed(e)),
                Followed::Finding(f) => {
                    let title = crate::tui::clean::line(&f.title).into_owned();
                    self.findings += 1;
                    said = Some(format!("new finding: {title}"));
                    // At the time of the line that fired it, just above.
                    let time = self.lines.back().and_then(|l| l.time);
                    self.push(LogLine {
                        time,
                        source: "FINDING".into(),
                        message: title,
                        kernel_event: true,
                    });
                }
            }
        }
        if let Some(n) = u.notes.last() {
            said = said.or_else(|| Some(crate::tui::clean::line(n).into_owned()));
        }
        said
    }
}

/// What the footer says when follow mode starts.
fn following(sources: &[String], root_is_live: bool) -> String {
    let files = sources
        .iter()
        .map(|s| s.rsplit('/').next().unwrap_or(s))
        .collect::<Vec<_>>()
        .join(", ");
    match (sources.is_empty(), root_is_live) {
        (true, true) => "nothing to follow: no syslog file, kernel ring buffer or journal".into(),
        (true, false) => "nothing to follow in this saved tree (no syslog files)".into(),
        (false, true) => format!("following {files}"),
        (false, false) => format!(
            "following the saved tree's {files} (no kernel ring buffer or journal in a saved tree)"
        ),
    }
}
