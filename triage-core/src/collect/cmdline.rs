//! Reading `/proc/PID/cmdline` (see `proc_pid_cmdline(5)`) without letting one sick
//! process hold up the rest.
//!
//! Reading a process's command line takes its mmap lock, which a thread stuck in D state
//! (a page fault on a dead NFS server, a hung disk) can hold for minutes. The readers here
//! share one work list on helper threads: a read that stalls costs its own reader, and
//! another reader takes over the rest of the list.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::host_root::HostRoot;

/// Command lines longer than this are cut (a `java` classpath can be 100 KB).
const MAX_CMDLINE_BYTES: u64 = 16 * 1024;

/// Read `/proc/PID/cmdline` as a command line: NULs become spaces; `None` when empty
/// (kernel threads, zombies) or unreadable.
pub fn read_cmdline(root: &HostRoot, pid: i32) -> Option<String> {
    let bytes =
        HostRoot::read_path_limited(&root.proc(format!("{pid}/cmdline")), MAX_CMDLINE_BYTES)
            .ok()?;
    cmdline_from_bytes(&bytes)
}

/// NUL-separated argv bytes to one line.
pub(crate) fn cmdline_from_bytes(bytes: &[u8]) -> Option<String> {
    let trimmed = bytes.strip_suffix(b"\0").unwrap_or(bytes);
    if trimmed.is_empty() {
        return None;
    }
    let s: String = String::from_utf8_lossy(trimmed)
        .chars()
        .map(|c| if c == '\0' || c == '\n' { ' ' } else { c })
        .collect();
    Some(s.trim_end().to_string())
}

/// How long one `cmdline` read may take before another reader is started beside it.
const CMDLINE_STALL: Duration = Duration::from_millis(50);
/// At most this many readers: each stalled one is a thread stuck in the kernel.
const MAX_CMDLINE_READERS: usize = 4;

pub(crate) type ReadFn = Arc<dyn Fn(i32) -> Option<String> + Send + Sync>;

/// Reads command lines on helper threads that share one work list. A read that blocks
/// (the target's memory lock is held by a thread in D state) stalls only its own reader:
/// after [`CMDLINE_STALL`] another reader takes the rest of the list, so one sick process
/// does not cost every other process its command line.
pub(crate) struct CmdlineReader {
    pids: Arc<Vec<i32>>,
    next: Arc<std::sync::atomic::AtomicUsize>,
    results: Arc<Mutex<HashMap<i32, Option<String>>>>,
    /// Per reader: when its current read started (`None` when idle or finished).
    busy: Vec<Arc<Mutex<Option<Instant>>>>,
    read: ReadFn,
}

impl CmdlineReader {
    pub(crate) fn start(pids: Vec<i32>, read: ReadFn) -> Self {
        let mut r = CmdlineReader {
            results: Arc::new(Mutex::new(HashMap::with_capacity(pids.len()))),
            pids: Arc::new(pids),
            next: Arc::default(),
            busy: Vec::new(),
            read,
        };
        r.spawn_reader();
        r
    }

    fn spawn_reader(&mut self) {
        use std::sync::atomic::Ordering;
        let busy = Arc::new(Mutex::new(None));
        let (pids, next, results, b, read) = (
            Arc::clone(&self.pids),
            Arc::clone(&self.next),
            Arc::clone(&self.results),
            Arc::clone(&busy),
            Arc::clone(&self.read),
        );
        let spawned = std::thread::Builder::new()
            .name("triage-cmdline".into())
            .spawn(move || loop {
                // Marked busy before claiming, so a claimed pid is never seen as "nobody's".
                if let Ok(mut g) = b.lock() {
                    *g = Some(Instant::now());
                }
                let i = next.fetch_add(1, Ordering::AcqRel);
                let Some(&pid) = pids.get(i) else {
                    if let Ok(mut g) = b.lock() {
                        *g = None;
                    }
                    break;
                };
                let cmdline = read(pid);
                if let Ok(mut g) = b.lock() {
                    *g = None;
                }
                if let Ok(mut g) = results.lock() {
                    g.insert(pid, cmdline);
                }
            });
        if spawned.is_ok() {
            self.busy.push(busy);
        }
    }

    /// Wait until every command line is read, or every reader left is stalled, or
    /// `deadline`; return what was read.
    pub(crate) fn wait(mut self, deadline: Instant) -> HashMap<i32, Option<String>> {
        use std::sync::atomic::Ordering;
        loop {
            let read = self.results.lock().map(|g| g.len()).unwrap_or(0);
            if read >= self.pids.len() || Instant::now() >= deadline {
                break;
            }
            let now = Instant::now();
            let started: Vec<Option<Instant>> = self
                .busy
                .iter()
                .map(|b| b.lock().ok().and_then(|g| *g))
                .collect();
            let stalled =
                |t: &Option<Instant>| t.is_some_and(|t| now.duration_since(t) > CMDLINE_STALL);
            let all_claimed = self.next.load(Ordering::Acquire) >= self.pids.len();
            if all_claimed {
                // Nothing left to hand out: done once no reader is making progress.
                if started.iter().all(|t| t.is_none() || stalled(t)) {
                    break;
                }
            } else if !started.is_empty() && started.iter().all(stalled) {
                if self.busy.len() >= MAX_CMDLINE_READERS {
                    break; // every reader is stuck in the kernel: do not wait for them
                }
                self.spawn_reader();
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        self.results.lock().map(|g| g.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmdline_bytes() {
        assert_eq!(
            cmdline_from_bytes(b"/usr/bin/java\0-Xmx1g\0-jar\0app.jar\0").unwrap(),
            "/usr/bin/java -Xmx1g -jar app.jar"
        );
        assert_eq!(cmdline_from_bytes(b""), None);
        assert_eq!(
            cmdline_from_bytes(b"nginx: worker process\0\0\0").unwrap(),
            "nginx: worker process"
        );
        assert_eq!(cmdline_from_bytes(b"bad\xff\0x").unwrap(), "bad\u{fffd} x");
    }

    #[test]
    fn one_blocked_cmdline_does_not_cost_the_others() {
        let read: ReadFn = Arc::new(|pid| {
            if pid == 2 {
                std::thread::sleep(Duration::from_secs(3)); // stuck in the kernel
            }
            Some(format!("cmd {pid}"))
        });
        let started = Instant::now();
        let got = CmdlineReader::start((1..=50).collect(), read)
            .wait(Instant::now() + Duration::from_secs(2));
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(got.len(), 49, "every pid but the stuck one");
        assert!(!got.contains_key(&2));
        assert_eq!(got[&50].as_deref(), Some("cmd 50"));
    }
}
