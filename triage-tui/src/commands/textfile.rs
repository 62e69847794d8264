//! `--textfile DIR` of `triage check` and `triage record`: DIR/triage.prom for
//! node_exporter's textfile collector (format: `triage_core::render::textfile`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use triage_core::collect::{self, Options};
use triage_core::render::textfile;
use triage_core::{HostRoot, Snapshot};

use super::check::status_of;

/// Render `snap` and replace DIR/triage.prom atomically (temp file in DIR, then rename:
/// node_exporter never reads half a file). No fsync: the file is rewritten every interval,
/// so durability across a power loss buys nothing (see `fsutil::replace_atomic`).
pub fn write(dir: &Path, snap: &Snapshot) -> Result<PathBuf> {
    let mut buf = Vec::with_capacity(8 * 1024);
    textfile::write(snap, status_of(snap).code(), &mut buf).context("rendering the textfile")?;
    let path = dir.join(textfile::FILE_NAME);
    triage_core::fsutil::replace_atomic(&path, &buf, 0o644)
        .with_context(|| format!("--textfile: writing {}", path.display()))?;
    Ok(path)
}

/// Take a snapshot and write the textfile every `interval` until `stop`; runs beside the
/// history recorder on its own thread, so a slow snapshot never delays a sample. A failure
/// is logged when it first happens and when it goes away.
pub fn refresh_loop(
    dir: &Path,
    root: &HostRoot,
    opts: &Options,
    interval: Duration,
    stop: &AtomicBool,
    log: &dyn Fn(&str),
) {
    let mut failing = String::new();
    let mut next = Instant::now();
    while !stop.load(Ordering::Acquire) {
        if Instant::now() >= next {
            let snap = collect::snapshot(root, opts);
            let problem = match write(dir, &snap) {
                Ok(_) => String::new(),
                Err(e) => format!("{e:#}"),
            };
            if problem != failing {
                match problem.is_empty() {
                    true => log(&format!("textfile written again into {}", dir.display())),
                    false => log(&problem),
                }
                failing = problem;
            }
            next += interval;
            if next < Instant::now() {
                next = Instant::now() + interval;
            }
        }
        std::thread::sleep(
            Duration::from_millis(100).min(next.saturating_duration_since(Instant::now())),
        );
    }
}
