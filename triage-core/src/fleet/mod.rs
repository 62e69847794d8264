//! `triage fleet DIR`: many hosts' snapshots (one JSON file per host, as
//! `contrib/ansible/triage-snapshot.yml` leaves them) answer "where is it worst, and what
//! do the sick hosts share?".
//!
//! Each file is read whole (at most [`MAX_FILE_BYTES`]) and parsed into the few fields the
//! fleet view needs ([`read`]); the rest of the snapshot is skipped by the parser without
//! being built, so 5,000 hosts cost seconds and megabytes, not a snapshot each in memory.
//! A file that is missing, truncated, foreign or of another `schema_version` becomes a host
//! with an `error`, never a failure of the whole command.

mod correlate;
pub mod markdown;
mod read;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::snapshot::{Severity, Time};

/// A snapshot file larger than this is refused (a real one is 50 KB – 5 MB).
pub(crate) const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Default look-back for `shared_changes`: a change counts for a sick host when it happened
/// this long before that host's snapshot, or less.
pub(crate) const DEFAULT_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// Change kinds that can be the same on several hosts: a package version, a config file, a
/// deploy marker, a unit file or failed unit, a kernel, a reboot. Logins, cron runs and
/// process starts happen everywhere all the time and would drown the signal.
pub(crate) const SHARED_KINDS: &[&str] =
    &["package", "config", "deploy", "service", "kernel", "reboot"];

/// What `triage fleet` was asked.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long before a sick host's snapshot its changes count (see [`DEFAULT_WINDOW`]).
    pub window: Duration,
    /// Files read in parallel (at least 1).
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            window: DEFAULT_WINDOW,
            // Four readers per core, 4 to 8: while some wait for the disk (a cold cache,
            // a network mount) the others parse. At most 8 files are held at once, so
            // memory stays bounded by 8 × MAX_FILE_BYTES whatever the fleet's size.
            threads: (std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                * 4)
            .clamp(4, 8),
        }
    }
}

/// `triage fleet --json`: field names are the contract in `DESIGN.md` ("Fleet").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Fleet {
    /// Every file, worst host first; unreadable files last, with their `error`.
    pub hosts: Vec<FleetHost>,
    /// Finding ids on two hosts or more, most hosts first.
    pub shared_findings: Vec<SharedFinding>,
    /// The same change on two sick hosts or more within the window before their snapshots.
    pub shared_changes: Vec<SharedChange>,
    /// The window used for `shared_changes`, seconds.
    pub window_seconds: u64,
}

/// One host (one file).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FleetHost {
    /// The file's stem (the Ansible inventory name when the playbook wrote it).
    pub name: String,
    /// The host name inside the snapshot.
    pub hostname: Option<String>,
    /// When the snapshot was taken.
    pub collected_at: Option<Time>,
    /// The worst finding's severity; `null` when the host has no findings or is unreadable.
    pub worst: Option<Severity>,
    /// The host's findings, worst first.
    pub findings: Vec<HostFinding>,
    /// 1-minute load average per CPU.
    pub load_per_cpu: Option<f64>,
    /// Memory in use (total − available), percent of total.
    pub memory_used_percent: Option<f64>,
    /// The process using the most CPU.
    pub top_process: Option<TopProcess>,
    /// Why the file could not be read; only on unreadable hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A finding, without its evidence (that is in the host's own snapshot).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HostFinding {
    /// Stable id.
    pub id: String,
    /// How bad it is.
    pub severity: Severity,
    /// One line naming the culprit.
    pub title: String,
}

/// The busiest process of a host.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TopProcess {
    /// Process id.
    pub pid: i32,
    /// Short name (`comm`).
    pub name: String,
    /// Command line, as redacted in the snapshot.
    pub command: String,
    /// CPU; 100 = one core.
    pub cpu_percent: f64,
    /// Resident memory.
    pub rss_bytes: u64,
}

/// A finding id seen on several hosts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SharedFinding {
    /// Finding id.
    pub id: String,
    /// The worst severity it has on any of these hosts.
    pub severity: Severity,
    /// The hosts' names, worst host first.
    pub hosts: Vec<String>,
}

/// A change seen on several sick hosts shortly before their snapshots.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SharedChange {
    /// `package`, `config`, `deploy`, `service`, `kernel` or `reboot`.
    pub kind: String,
    /// The change, word for word as each host reported it.
    pub summary: String,
    /// Sick hosts (a warning or critical finding) with this change in the window.
    pub hosts: Vec<String>,
    /// Hosts without such findings that have the same change: the more of them, the less
    /// likely the change is the cause.
    pub healthy_hosts: Vec<String>,
    /// Earliest time of the change on the sick hosts.
    pub first_at: Time,
    /// Latest time of the change on the sick hosts.
    pub last_at: Time,
}

/// A change kept from a host's snapshot for correlation.
#[derive(Debug, Clone)]
pub(crate) struct HostChange {
    pub kind: String,
    pub summary: String,
    pub time: Time,
}

/// A host as read, before ranking.
#[derive(Debug, Clone)]
pub(crate) struct ReadHost {
    pub host: FleetHost,
    pub changes: Vec<HostChange>,
}

/// The `*.json` files directly in `dir`, sorted by name; dot files (temporary files of an
/// unfinished copy) are skipped.
pub fn list_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || !name.ends_with(".json") || name.len() == ".json".len() {
            continue;
        }
        files.push(entry.path());
    }
    files.sort();
    Ok(files)
}

/// Read every snapshot in `dir` and correlate them. Fails only when `dir` itself cannot be
/// listed; each bad file is a host with an `error`.
pub fn from_dir(dir: &Path, opts: &Options) -> Result<Fleet> {
    let files = list_files(dir)?;
    Ok(from_files(&files, opts))
}

/// Read `files` (one snapshot each) and correlate them.
pub fn from_files(files: &[PathBuf], opts: &Options) -> Fleet {
    let since = chrono::Duration::from_std(opts.window).unwrap_or(chrono::Duration::days(1));
    let threads = opts.threads.clamp(1, files.len().max(1));
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<ReadHost>> = vec![None; files.len()];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        done.push((i, read::host(path, since)));
                    }
                    done
                })
            })
            .collect();
        for w in workers {
            // A worker cannot panic on input (no unwrap in `read`); if one did, its files
            // are reported below as unreadable rather than lost.
            if let Ok(done) = w.join() {
                for (i, h) in done {
                    slots[i] = Some(h);
                }
            }
        }
    });
    let hosts = slots
        .into_iter()
        .zip(files)
        .map(|(slot, path)| {
            slot.unwrap_or_else(|| read::unreadable(path, "reading this file failed".into()))
        })
        .collect();
    correlate::fleet(hosts, opts.window)
}
