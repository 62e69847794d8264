//! The `triage record` loop: take a sample every interval, append it to the day's
//! segment, delete segments past retention, stop promptly when asked.
//!
//! One recorder per directory: an exclusive `flock(2)` on `DIR/record.lock` (released by
//! the kernel when the process dies, even by `kill -9`). The loop sleeps in steps of at
//! most 100 ms and checks its stop flag between steps, so a signal handler that sets the
//! flag stops it within a second, after the record being written is complete.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::fcntl::{Flock, FlockArg};

use super::sample::Recorder;
use super::store::{self, SegmentWriter};
use crate::error::{Error, Result};
use crate::host_root::HostRoot;

/// Longest sleep between checks of the stop flag.
const STOP_CHECK: Duration = Duration::from_millis(100);

/// What `triage record` was asked to do.
#[derive(Debug, Clone)]
pub struct RecordConfig {
    /// Where the segments go (created 0750 if missing).
    pub dir: PathBuf,
    /// Time between samples.
    pub interval: Duration,
    /// Segments older than this are deleted.
    pub retention: Duration,
    /// Where to read from.
    pub root: HostRoot,
    /// Mask secrets in command lines.
    pub redact: bool,
}

/// What a recorder run did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RecordStats {
    /// Samples written.
    pub samples: u64,
    /// Bytes written in records (framing included).
    pub bytes: u64,
    /// Time spent taking samples (wall clock), total.
    pub sampling: Duration,
}

/// The exclusive lock on a history directory, held while this value lives.
#[derive(Debug)]
pub struct DirLock {
    _lock: Flock<File>,
}

/// Lock `dir` for recording (creating it); refuses when another recorder holds it.
pub fn lock(dir: &Path) -> Result<DirLock> {
    crate::fsutil::create_dir_all(dir, 0o750)?;
    let path = dir.join("record.lock");
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o640)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(mut lock) => {
            let _ = lock.set_len(0);
            let _ = lock.rewind();
            let _ = writeln!(lock, "{}", std::process::id());
            Ok(DirLock { _lock: lock })
        }
        Err((mut file, errno)) if errno == nix::errno::Errno::EWOULDBLOCK => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            Err(Error::Invalid(format!(
                "another `triage record` (pid {}) is already recording into {} (it holds {})",
                pid.trim(),
                dir.display(),
                path.display()
            )))
        }
        Err((_, errno)) => Err(Error::io(&path, std::io::Error::from(errno))),
    }
}

/// The first UTC date kept with `retention` at `now`.
fn keep_from(now: chrono::DateTime<chrono::Utc>, retention: Duration) -> chrono::NaiveDate {
    let r = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::days(7));
    (now - r).date_naive()
}

/// Run the recorder until `stop` turns true. `log` receives one line per event worth
/// telling an operator (start, stop, a new problem, a pruned file); a problem that repeats
/// every sample is logged once, until it changes.
pub fn run(
    cfg: &RecordConfig,
    stop: &AtomicBool,
    log: &mut dyn FnMut(&str),
) -> Result<RecordStats> {
    if cfg.interval < Duration::from_millis(100) {
        return Err(Error::Invalid(
            "--interval must be at least 100ms".to_string(),
        ));
    }
    let _lock = lock(&cfg.dir)?;
    let mut stats = RecordStats::default();
    let prune = |log: &mut dyn FnMut(&str)| {
        let from = keep_from(chrono::Utc::now(), cfg.retention);
        match store::prune(&cfg.dir, from) {
            Ok(gone) => gone
                .iter()
                .for_each(|p| log(&format!("deleted {} (past retention)", p.display()))),
            Err(e) => log(&format!("could not delete old history: {e}")),
        }
    };
    prune(log);
    log(&format!(
        "recording every {} into {} (keeping {}), pid {}",
        humantime::format_duration(cfg.interval),
        cfg.dir.display(),
        humantime::format_duration(cfg.retention),
        std::process::id()
    ));
    let mut recorder = Recorder::new(cfg.root.clone(), cfg.redact);
    let mut writer = SegmentWriter::new(&cfg.dir);
    let mut last_problem = String::new();
    let mut day = chrono::Utc::now().date_naive();
    let mut next = Instant::now() + cfg.interval;
    loop {
        if stopped_before(next, stop) {
            return Ok(finish(stats, log));
        }
        let problem = record_one(&mut recorder, &mut writer, day, &mut stats);
        if problem != last_problem {
            if problem.is_empty() {
                log("recovered: samples are complete again");
            } else {
                log(&problem);
            }
            last_problem = problem;
        }
        let today = chrono::Utc::now().date_naive();
        if today != day {
            day = today;
            prune(log);
        }
        next += cfg.interval;
        let now = Instant::now();
        if next < now {
            // Fell behind (suspended, a very slow sample): skip, don't catch up in a burst.
            next = now + cfg.interval;
        }
    }
}

/// Sleep until `next` in short steps; true as soon as `stop` turns true.
fn stopped_before(next: Instant, stop: &AtomicBool) -> bool {
    while Instant::now() < next {
        if stop.load(Ordering::Acquire) {
            return true;
        }
        std::thread::sleep(STOP_CHECK.min(next.saturating_duration_since(Instant::now())));
    }
    stop.load(Ordering::Acquire)
}

/// Take and append one sample (to the segment of its own date, else `day`'s); the first
/// problem with it, empty when none.
fn record_one(
    recorder: &mut Recorder,
    writer: &mut SegmentWriter,
    day: chrono::NaiveDate,
    stats: &mut RecordStats,
) -> String {
    let t0 = Instant::now();
    let (sample, problems) = recorder.take();
    stats.sampling += t0.elapsed();
    let result = super::encode(&sample).and_then(|payload| {
        let date = chrono::DateTime::from_timestamp(sample.time, 0)
            .map(|t| t.date_naive())
            .unwrap_or(day);
        writer.append(date, &payload)
    });
    match result {
        Ok(n) => {
            stats.samples += 1;
            stats.bytes += n as u64;
            problems.first().cloned().unwrap_or_default()
        }
        Err(e) => format!("sample not saved: {e}"),
    }
}

fn finish(stats: RecordStats, log: &mut dyn FnMut(&str)) -> RecordStats {
    let per = stats.bytes.checked_div(stats.samples).unwrap_or(0);
    log(&format!(
        "stopped after {} sample(s), {} bytes ({per} bytes/sample)",
        stats.samples, stats.bytes
    ));
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock(dir.path()).unwrap();
        let err = lock(dir.path()).unwrap_err().to_string();
        assert!(err.contains("already recording"), "{err}");
        assert!(err.contains(&std::process::id().to_string()), "{err}");
        drop(held);
        assert!(lock(dir.path()).is_ok());
    }

    #[test]
    fn records_until_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = RecordConfig {
            dir: dir.path().to_path_buf(),
            interval: Duration::from_millis(100),
            retention: Duration::from_secs(86400),
            root: HostRoot::live(),
            redact: true,
        };
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let s2 = std::sync::Arc::clone(&stop);
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(450));
            s2.store(true, Ordering::Release);
        });
        let mut lines = Vec::new();
        let stats = run(&cfg, &stop, &mut |l| lines.push(l.to_string())).unwrap();
        t.join().unwrap();
        assert!(stats.samples >= 2, "{stats:?}");
        let now = crate::snapshot::now();
        let (samples, warnings) =
            super::super::read_range(dir.path(), now - chrono::Duration::minutes(1), now);
        assert_eq!(samples.len() as u64, stats.samples);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(lines.last().unwrap().contains("stopped after"));
    }
}
