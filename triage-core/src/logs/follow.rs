//! `triage logs --follow`: new records as they are written. [`Tailer`] follows a syslog
//! file like `tail -F`: what is appended is read on each poll; when the path names another
//! file (logrotate renamed it and created a new one) the old file is read to its end and
//! the new one from its start; when the file shrinks (copytruncate) it is read again from
//! its start. Under `--root` every open and stat goes through [`HostRoot`], so a link
//! leading out of the tree is refused (a note names it) and one inside it is followed.
//! [`KmsgFollower`] reads `/dev/kmsg` records written after it opened it, and
//! [`JournalFollower`] reads `journalctl -f -o json` as it prints.

mod journal;
mod kmsg;
mod stream;

pub use journal::{JournalFollower, JOURNAL_QUEUE};
pub use kmsg::KmsgFollower;
pub use stream::{Follow, Followed, Polled};

use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::files::{parse_bytes, Stats};
use super::formats::ParseCtx;
use super::{LogEntry, MAX_LINE, MAX_TAIL_BYTES, TRUNCATED_MARK};
use crate::error::Error;
use crate::host_root::HostRoot;
use crate::snapshot::now;

/// How often `triage logs --follow` and the TUI's follow mode poll the sources: new lines
/// show within a fifth of a second, and an idle follow costs a few syscalls a poll.
pub const POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// Bytes read from one file in one poll, so a flood (or a huge file appearing where the
/// log was) costs a bounded batch; the rest is read by the next polls (40 MB/s per file
/// at [`POLL`]'s pace).
const READ_PER_POLL: usize = MAX_TAIL_BYTES;

/// A syslog file followed across rotation and truncation.
#[derive(Debug)]
pub struct Tailer {
    path: PathBuf,
    file: Option<File>,
    /// Device and inode of `file`.
    id: (u64, u64),
    /// Bytes of `file` read so far.
    pos: u64,
    /// The start of a line whose newline has not been written yet.
    partial: Vec<u8>,
    /// The current line passed `MAX_LINE`: drop the rest of it.
    cutting: bool,
    stats: Stats,
    /// Why the path cannot be read (a link out of the `--root` tree), said once.
    refused: Option<String>,
    said_refused: bool,
    /// At most this many bytes per poll ([`READ_PER_POLL`]).
    budget: usize,
}

impl Tailer {
    /// Follow `path` from its current end (only what is written from now on).
    pub fn new(path: &Path) -> Self {
        let mut t = Tailer {
            path: path.to_path_buf(),
            file: None,
            id: (0, 0),
            pos: 0,
            partial: Vec::new(),
            cutting: false,
            stats: Stats::default(),
            refused: None,
            said_refused: false,
            budget: READ_PER_POLL,
        };
        match open(path) {
            Ok((file, id, len)) => {
                t.file = Some(file);
                t.id = id;
                t.pos = len;
            }
            Err(e) => t.refuse(&e),
        }
        t
    }

    /// The path followed.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// New records since the last poll, and notes on rotation or truncation.
    pub fn poll(&mut self, out: &mut Vec<LogEntry>, notes: &mut Vec<String>) {
        if !self.read_new(out) {
            // More to read in this file: rotation and truncation are looked at once it
            // has been read to its end, so no line of the old file is skipped.
            return;
        }
        // Resolved inside the `--root` tree: a link swapped to point out of it is refused
        // here and by the open below, never followed.
        let meta = HostRoot::metadata(&self.path);
        if let Err(e) = &meta {
            self.refuse(e);
        }
        if !self.said_refused {
            if let Some(n) = &self.refused {
                notes.push(n.clone());
                self.said_refused = true;
            }
        }
        match meta {
            Ok(m) if self.file.is_none() || (m.dev(), m.ino()) != self.id => {
                // Created or replaced: the old file was read to its end above.
                if let Ok((file, id, _)) = open(&self.path) {
                    if self.file.is_some() {
                        notes.push(format!(
                            "{}: rotated; following the new file",
                            self.path.display()
                        ));
                    }
                    self.flush_partial(out);
                    self.file = Some(file);
                    self.id = id;
                    self.pos = 0;
                    self.read_new(out);
                }
            }
            Ok(m) if m.len() < self.pos => {
                notes.push(format!(
                    "{}: truncated; reading it again from the start",
                    self.path.display()
                ));
                self.partial.clear();
                self.cutting = false;
                self.pos = 0;
                self.read_new(out);
            }
            _ => {}
        }
    }

    /// Read what was appended, up to the poll's budget; true when the end was reached.
    fn read_new(&mut self, out: &mut Vec<LogEntry>) -> bool {
        let Some(file) = &self.file else { return true };
        let ctx = ctx(&self.path);
        let mut buf = vec![0u8; (256 * 1024).min(self.budget.max(1))];
        let mut read = 0;
        loop {
            if read >= self.budget {
                return false;
            }
            let n = match file.read_at(&mut buf, self.pos) {
                Ok(0) | Err(_) => return true,
                Ok(n) => n,
            };
            self.pos += n as u64;
            read += n;
            let mut rest = &buf[..n];
            while let Some(i) = memchr::memchr(b'\n', rest) {
                let (line, after) = (&rest[..i], &rest[i + 1..]);
                rest = after;
                if self.cutting {
                    self.cutting = false;
                    continue;
                }
                if self.partial.is_empty() {
                    push(line, false, &ctx, &mut self.stats, out);
                } else {
                    self.partial.extend_from_slice(line);
                    let whole = std::mem::take(&mut self.partial);
                    push(&whole, false, &ctx, &mut self.stats, out);
                }
            }
            if !self.cutting {
                self.partial.extend_from_slice(rest);
                if self.partial.len() > MAX_LINE {
                    self.partial.truncate(MAX_LINE);
                    let head = std::mem::take(&mut self.partial);
                    push(&head, true, &ctx, &mut self.stats, out);
                    self.cutting = true;
                }
            }
        }
    }

    /// Remember why the path is refused, when it leads out of the `--root` tree (a path
    /// that does not exist yet is not refused: it may be created).
    fn refuse(&mut self, e: &Error) {
        if matches!(e, Error::OutsideRoot { .. }) && self.refused.is_none() {
            self.refused = Some(e.to_string());
        }
    }

    /// A last line without its newline, in a file that was rotated away.
    fn flush_partial(&mut self, out: &mut Vec<LogEntry>) {
        let line = std::mem::take(&mut self.partial);
        if !line.is_empty() && !self.cutting {
            push(&line, false, &ctx(&self.path), &mut self.stats, out);
        }
        self.cutting = false;
    }
}

fn open(path: &Path) -> crate::error::Result<(File, (u64, u64), u64)> {
    let file = HostRoot::open_regular(path)?;
    let m = file.metadata().map_err(|e| Error::io(path, e))?;
    Ok((file, (m.dev(), m.ino()), m.len()))
}

fn ctx(path: &Path) -> ParseCtx {
    ParseCtx {
        source: path.display().to_string(),
        reference: now(),
        boot_time: None,
    }
}

fn push(line: &[u8], cut: bool, ctx: &ParseCtx, stats: &mut Stats, out: &mut Vec<LogEntry>) {
    if let Some(mut e) = parse_bytes(line, ctx, stats) {
        if cut {
            e.message.push_str(TRUNCATED_MARK);
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(t: &mut Tailer) -> (Vec<String>, Vec<String>) {
        let (mut out, mut notes) = (Vec::new(), Vec::new());
        t.poll(&mut out, &mut notes);
        (out.into_iter().map(|e| e.message).collect(), notes)
    }

    use triage_testkit::append;

    #[test]
    fn follows_appends_rotation_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("syslog");
        append(&p, "Nov 23 10:00:00 h app[1]: before\n");
        let mut t = Tailer::new(&p);
        assert!(poll(&mut t).0.is_empty(), "starts at the end");
        append(
            &p,
            "Nov 23 10:00:01 h app[1]: one\nNov 23 10:00:02 h app[1]: tw",
        );
        assert_eq!(poll(&mut t).0, ["one"]);
        append(&p, "o\n");
        assert_eq!(poll(&mut t).0, ["two"]);
        // logrotate: rename, a last line into the old file, a new file.
        std::fs::rename(&p, dir.path().join("syslog.1")).unwrap();
        append(
            &dir.path().join("syslog.1"),
            "Nov 23 10:00:03 h app[1]: late\n",
        );
        append(
            &p,
            "Nov 23 10:00:04 h app[1]: new, and long enough to shrink later\n",
        );
        let (got, notes) = poll(&mut t);
        assert_eq!(got, ["late", "new, and long enough to shrink later"]);
        assert!(notes.iter().any(|n| n.contains("rotated")), "{notes:?}");
        // copytruncate
        std::fs::write(&p, "Nov 23 10:00:05 h app[1]: again\n").unwrap();
        let (got, notes) = poll(&mut t);
        assert_eq!(got, ["again"]);
        assert!(notes.iter().any(|n| n.contains("truncated")), "{notes:?}");
    }

    #[test]
    fn a_line_over_the_cap_is_cut_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        append(&p, "");
        let mut t = Tailer::new(&p);
        append(&p, &"x".repeat(3 * MAX_LINE));
        append(&p, "\nnext\n");
        let (got, _) = poll(&mut t);
        assert_eq!(got.len(), 2);
        assert!(got[0].ends_with(TRUNCATED_MARK));
        assert_eq!(got[1], "next");
    }

    #[test]
    fn under_root_a_link_out_of_the_tree_is_refused_and_one_inside_followed() {
        let base = tempfile::tempdir().unwrap();
        let secret = base.path().join("secret.log");
        append(&secret, "Nov 23 10:00:00 h app[1]: before\n");
        let tree = base.path().join("tree");
        let log = tree.join("var/log");
        std::fs::create_dir_all(&log).unwrap();
        std::fs::create_dir_all(tree.join("sos_commands")).unwrap();
        // `..` above the tree's root: out of it (an absolute target would be re-rooted).
        std::os::unix::fs::symlink("../../../secret.log", log.join("syslog")).unwrap();
        let real = tree.join("sos_commands/messages");
        append(&real, "");
        std::os::unix::fs::symlink("../../sos_commands/messages", log.join("messages")).unwrap();
        let root = HostRoot::new(&tree).unwrap();

        let mut out_link = Tailer::new(&root.path("var/log/syslog"));
        let mut in_link = Tailer::new(&root.path("var/log/messages"));
        append(
            &secret,
            "Nov 23 10:00:01 h app[1]: the analyst's own file\n",
        );
        append(&real, "Nov 23 10:00:02 h app[1]: in the tree\n");
        let (got, notes) = poll(&mut out_link);
        assert!(got.is_empty(), "{got:?}");
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("var/log/syslog") && notes[0].contains("outside the --root tree"),
            "{notes:?}"
        );
        assert_eq!(poll(&mut out_link), (vec![], vec![]), "said once");
        assert_eq!(poll(&mut in_link).0, ["in the tree"]);
    }

    #[test]
    fn a_flood_is_read_a_budget_per_poll_and_a_rotated_file_to_its_end_first() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("syslog");
        append(&p, "");
        let mut t = Tailer::new(&p);
        t.budget = 100;
        let lines: String = (0..10)
            .map(|i| format!("Nov 23 10:00:0{i} h app[1]: line {i}\n"))
            .collect();
        append(&p, &lines);
        // Rotated before it was read: the old file is still read whole, in order.
        std::fs::rename(&p, dir.path().join("syslog.1")).unwrap();
        append(&p, "Nov 23 10:00:10 h app[1]: new file\n");
        let mut got = Vec::new();
        let mut polls = 0;
        while got.len() < 11 && polls < 50 {
            let (batch, _) = poll(&mut t);
            assert!(
                batch.len() <= 4,
                "{batch:?}: more than the budget in one poll"
            );
            got.extend(batch);
            polls += 1;
        }
        let want: Vec<String> = (0..10)
            .map(|i| format!("line {i}"))
            .chain(["new file".to_string()])
            .collect();
        assert_eq!(got, want);
        assert!(polls >= 4, "{polls}");
    }
}
