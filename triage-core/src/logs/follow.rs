//! `triage logs --follow`: new records as they are written. [`Tailer`] follows a syslog
//! file like `tail -F`: what is appended is read on each poll; when the path names another
//! file (logrotate renamed it and created a new one) the old file is read to its end and
//! the new one from its start; when the file shrinks (copytruncate) it is read again from
//! its start. [`KmsgFollower`] reads `/dev/kmsg` records written after it opened it, and
//! [`JournalFollower`] reads `journalctl -f -o json` as it prints.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};

use super::files::{parse_bytes, Stats};
use super::formats::{parse_line, ParseCtx, Parsed};
use super::{journal, LogEntry, MAX_LINE, TRUNCATED_MARK};
use crate::snapshot::{now, Time};

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
        };
        if let Some((file, id, len)) = open(path) {
            t.file = Some(file);
            t.id = id;
            t.pos = len;
        }
        t
    }

    /// The path followed.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// New records since the last poll, and notes on rotation or truncation.
    pub fn poll(&mut self, out: &mut Vec<LogEntry>, notes: &mut Vec<String>) {
        self.read_new(out);
        match std::fs::metadata(&self.path) {
            Ok(m) if self.file.is_none() || (m.dev(), m.ino()) != self.id => {
                // Created or replaced: the old file was read to its end above.
                if let Some((file, id, _)) = open(&self.path) {
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

    fn read_new(&mut self, out: &mut Vec<LogEntry>) {
        let Some(file) = &self.file else { return };
        let ctx = ctx(&self.path);
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match file.read_at(&mut buf, self.pos) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            self.pos += n as u64;
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

    /// A last line without its newline, in a file that was rotated away.
    fn flush_partial(&mut self, out: &mut Vec<LogEntry>) {
        let line = std::mem::take(&mut self.partial);
        if !line.is_empty() && !self.cutting {
            push(&line, false, &ctx(&self.path), &mut self.stats, out);
        }
        self.cutting = false;
    }
}

fn open(path: &Path) -> Option<(File, (u64, u64), u64)> {
    let file = crate::host_root::HostRoot::open_regular(path).ok()?;
    let m = file.metadata().ok()?;
    Some((file, (m.dev(), m.ino()), m.len()))
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

/// Kernel records written to `/dev/kmsg` after [`KmsgFollower::open`].
#[derive(Debug)]
pub struct KmsgFollower {
    file: File,
    ctx: ParseCtx,
}

impl KmsgFollower {
    /// Open `path` (`/dev/kmsg`) positioned after the last record.
    pub fn open(path: &Path, boot: Option<Time>) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY)
            .open(path)?;
        // SAFETY: lseek on a descriptor we own; SEEK_END on /dev/kmsg skips the backlog.
        unsafe { libc::lseek(file.as_raw_fd(), 0, libc::SEEK_END) };
        Ok(KmsgFollower {
            file,
            ctx: ParseCtx {
                source: "kernel".into(),
                reference: now(),
                boot_time: boot,
            },
        })
    }

    /// Records written since the last poll.
    pub fn poll(&mut self, out: &mut Vec<LogEntry>) {
        let mut buf = vec![0u8; 8193];
        loop {
            // SAFETY: `buf` is writable for its length and the descriptor is open.
            let n =
                unsafe { libc::read(self.file.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                match std::io::Error::last_os_error().raw_os_error() {
                    Some(libc::EPIPE) | Some(libc::EINTR) => continue,
                    _ => return,
                }
            }
            if n == 0 {
                return;
            }
            let text = String::from_utf8_lossy(&buf[..n as usize]);
            if let Some(first) = text.lines().next() {
                if let Parsed::Entry(e) = parse_line(first, &self.ctx) {
                    out.push(e);
                }
            }
        }
    }
}

/// `journalctl -f -o json -n 0`, its lines read on a thread.
#[derive(Debug)]
pub struct JournalFollower {
    child: Child,
    lines: Receiver<String>,
}

impl JournalFollower {
    /// Start `journalctl -f`; `None` when it is not installed or does not start.
    pub fn start() -> Option<Self> {
        let mut child = Command::new("journalctl")
            .args(["-f", "-o", "json", "-n", "0", "--no-pager", "-q"])
            .env("SYSTEMD_PAGER", "")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let stdout = child.stdout.take()?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Some(JournalFollower { child, lines })
    }

    /// Records printed since the last poll.
    pub fn poll(&mut self, out: &mut Vec<LogEntry>) {
        while let Ok(line) = self.lines.try_recv() {
            if let Some(e) = journal::parse_json(&line, "journal") {
                out.push(e);
            }
        }
    }
}

impl Drop for JournalFollower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn poll(t: &mut Tailer) -> (Vec<String>, Vec<String>) {
        let (mut out, mut notes) = (Vec::new(), Vec::new());
        t.poll(&mut out, &mut notes);
        (out.into_iter().map(|e| e.message).collect(), notes)
    }

    fn append(p: &Path, text: &str) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(p)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

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
}
