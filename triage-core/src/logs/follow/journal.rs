//! [`JournalFollower`]: `journalctl -f -o json -n 0` started through the one spawning path
//! ([`spawn_stream`]: own process group, killed with it), its lines read on a thread with
//! the [`MAX_LINE`] cap every other source has, and handed over through a bounded queue:
//! when the poller falls behind, lines are counted and reported as dropped instead of
//! piling up in memory.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::command::{spawn_stream, Cmd, Stopper, Streaming};
use crate::logs::journal::parse_json;
use crate::logs::lines::Lines;
use crate::logs::{cap_line, LogEntry, MAX_LINE, TRUNCATED_MARK};

/// Records (and notes) waiting for the next poll: 20,000 records a second at the follow
/// loop's 200 ms pace before any is dropped.
pub const JOURNAL_QUEUE: usize = 4096;

/// Bytes of `journalctl`'s stderr kept for the warning when it ends.
const STDERR_BYTES: usize = 16 * 1024;

/// How long dropping the follower waits for `journalctl` to be killed and reaped.
const STOP_WAIT: Duration = Duration::from_secs(3);

/// What the reader thread hands over.
#[derive(Debug)]
enum Msg {
    Entry(LogEntry),
    Note(String),
}

/// `journalctl -f` as it prints.
#[derive(Debug)]
pub struct JournalFollower {
    program: String,
    rx: Receiver<Msg>,
    stopper: Stopper,
    reader: Option<JoinHandle<()>>,
    /// Lines dropped because the queue was full, counted by the reader.
    dropped: Arc<AtomicUsize>,
    /// How many of them were already reported.
    reported: usize,
    /// The queue's size (the channel does not say), for the note.
    queue: usize,
}

impl JournalFollower {
    /// Start `journalctl -f`; `None` when it is not installed or does not start.
    pub fn start() -> Option<Self> {
        let args = ["-f", "-o", "json", "-n", "0", "--no-pager", "-q"];
        Self::command("journalctl", &args, JOURNAL_QUEUE)
    }

    /// Follow `program args` as journal JSON lines, at most `queue` waiting for a poll.
    pub fn command(program: &str, args: &[&str], queue: usize) -> Option<Self> {
        let cmd = Cmd::new(program)
            .args(args)
            .env("SYSTEMD_PAGER", "")
            .env("LC_ALL", "C")
            .raw();
        // No deadline: it runs until the follower is dropped.
        let stream = spawn_stream(&cmd, Duration::MAX, STDERR_BYTES).ok()?;
        let stopper = stream.stopper();
        let (tx, rx) = mpsc::sync_channel(queue.max(1));
        let dropped = Arc::new(AtomicUsize::new(0));
        let (name, count) = (program.to_string(), Arc::clone(&dropped));
        let reader = std::thread::Builder::new()
            .name("triage-journal-follow".into())
            .spawn(move || read(stream, &name, &tx, &count))
            .ok()?;
        Some(JournalFollower {
            program: program.to_string(),
            rx,
            stopper,
            reader: Some(reader),
            dropped,
            reported: 0,
            queue: queue.max(1),
        })
    }

    /// Records printed since the last poll; notes on cut lines, dropped lines and how it
    /// ended.
    pub fn poll(&mut self, out: &mut Vec<LogEntry>, notes: &mut Vec<String>) {
        while let Ok(msg) = self.rx.try_recv() {
            match msg {
                Msg::Entry(e) => out.push(e),
                Msg::Note(n) => notes.push(n),
            }
        }
        let dropped = self.dropped.load(Ordering::Relaxed);
        if dropped > self.reported {
            notes.push(format!(
                "{}: {} lines dropped: more than {} arrived between two reads",
                self.program,
                dropped - self.reported,
                self.queue
            ));
            self.reported = dropped;
        }
    }
}

/// Read `stream` line by line into `tx` until it ends or the receiver is gone.
fn read(stream: Streaming, program: &str, tx: &SyncSender<Msg>, dropped: &AtomicUsize) {
    let mut lines = Lines::new(stream);
    let send = |msg: Msg| match tx.try_send(msg) {
        Ok(()) => true,
        Err(TrySendError::Full(_)) => {
            dropped.fetch_add(1, Ordering::Relaxed);
            true
        }
        Err(TrySendError::Disconnected(_)) => false,
    };
    while let Some(Ok(line)) = lines.next_line() {
        // `Lines` hands a line read whole (up to its 1 MiB buffer) uncut: the cap is ours.
        let len = line.cut.unwrap_or(line.bytes.len() as u64);
        let over = len > MAX_LINE as u64;
        if over {
            let note = format!("{program}: a line of {len} bytes was cut to {MAX_LINE} bytes");
            if !send(Msg::Note(note)) {
                break;
            }
        }
        let text = String::from_utf8_lossy(line.bytes);
        let e = match parse_json(&text, "journal") {
            // Its message is capped by the parser.
            Some(e) => e,
            // A record cut at the cap is no longer JSON: kept as text.
            None if over && text.len() > MAX_LINE => LogEntry::new("journal", &cap_line(&text)),
            None if over => LogEntry::new("journal", &format!("{text}{TRUNCATED_MARK}")),
            None => continue,
        };
        if !send(Msg::Entry(e)) {
            break;
        }
    }
    let ended = lines.into_inner().finish();
    if !ended.stderr.trim().is_empty() {
        let said = ended.stderr.trim().lines().last().unwrap_or_default();
        let _ = tx.try_send(Msg::Note(format!("{program}: {said}")));
    }
}

impl Drop for JournalFollower {
    /// Kill `journalctl`'s group and wait (a bounded time) until it is reaped, so quitting
    /// right after leaves no `journalctl -f` behind.
    fn drop(&mut self) {
        self.stopper.stop();
        let Some(reader) = self.reader.take() else {
            return;
        };
        let until = Instant::now() + STOP_WAIT;
        while !reader.is_finished() && Instant::now() < until {
            // The reader may be waiting for room in the queue to report how it ended.
            while self.rx.try_recv().is_ok() {}
            std::thread::sleep(Duration::from_millis(5));
        }
        if reader.is_finished() {
            let _ = reader.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Poll until `want` entries arrived (or 20 s pass).
    fn poll_until(j: &mut JournalFollower, want: usize) -> (Vec<LogEntry>, Vec<String>) {
        let (mut out, mut notes) = (Vec::new(), Vec::new());
        let until = Instant::now() + Duration::from_secs(20);
        while out.len() < want && Instant::now() < until {
            j.poll(&mut out, &mut notes);
            std::thread::sleep(Duration::from_millis(20));
        }
        (out, notes)
    }

    fn alive(pid: i32) -> bool {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
    }

    #[test]
    fn a_line_over_the_cap_is_cut_once_and_drop_kills_the_group() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let script = format!(
            r#"printf '{{"MESSAGE":"%070000d"}}\n' 0; echo '{{"__REALTIME_TIMESTAMP":"1","MESSAGE":"next"}}'; sleep 30 & echo $! > {}; wait"#,
            pidfile.display()
        );
        let mut j = JournalFollower::command("sh", &["-c", &script], 16).unwrap();
        let (got, notes) = poll_until(&mut j, 2);
        assert_eq!(got.len(), 2, "{got:?} {notes:?}");
        assert!(got[0].message.ends_with(TRUNCATED_MARK));
        assert!(got[0].message.len() <= MAX_LINE + TRUNCATED_MARK.len());
        assert_eq!(got[1].message, "next");
        assert_eq!(
            notes,
            [format!(
                "sh: a line of 70014 bytes was cut to {MAX_LINE} bytes"
            )]
        );
        let until = Instant::now() + Duration::from_secs(10);
        while !pidfile.exists() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        let sleeper: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(alive(sleeper));
        drop(j);
        // The sleep is a grandchild in journalctl's group: killed with it.
        let until = Instant::now() + Duration::from_secs(5);
        while alive(sleeper) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!alive(sleeper), "the group outlived the follower");
    }

    #[test]
    fn a_full_queue_drops_and_reports_instead_of_growing() {
        // 100 records at once into a queue of 10, nobody polling.
        let script = r#"i=0; while [ $i -lt 100 ]; do echo '{"MESSAGE":"r'$i'"}'; i=$((i+1)); done; sleep 30"#;
        let mut j = JournalFollower::command("sh", &["-c", script], 10).unwrap();
        let until = Instant::now() + Duration::from_secs(20);
        while j.dropped.load(Ordering::Relaxed) < 90 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        let (mut out, mut notes) = (Vec::new(), Vec::new());
        j.poll(&mut out, &mut notes);
        let got: Vec<_> = out.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            got,
            ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9"]
        );
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].starts_with("sh: 90 lines dropped"), "{notes:?}");
        // Reported once.
        let (mut more, mut again) = (Vec::new(), Vec::new());
        j.poll(&mut more, &mut again);
        assert!(more.is_empty() && again.is_empty(), "{again:?}");
    }

    #[test]
    fn no_journalctl_is_none() {
        assert!(JournalFollower::command("triage-no-such-journalctl", &[], 4).is_none());
    }
}
