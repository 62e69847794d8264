//! The snapshot: one typed value per section of `triage snapshot --json`.
//!
//! Field names are the contract in `DESIGN.md` ("Snapshot JSON"); units are in the names.
//! A section that could not be collected is `None` (JSON `null`) and has an entry in
//! `warnings`. Fields beyond the contract are additions only, never renames.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// Timestamps: RFC 3339 with the host's UTC offset.
pub type Time = DateTime<FixedOffset>;

/// The current time in the local zone as a [`Time`].
pub fn now() -> Time {
    chrono::Local::now().fixed_offset()
}

/// A Unix timestamp (seconds) as a local [`Time`]; `None` when out of range.
pub(crate) fn time_from_unix(secs: i64) -> Option<Time> {
    use chrono::TimeZone;
    chrono::Local
        .timestamp_opt(secs, 0)
        .single()
        .map(|t| t.fixed_offset())
}

/// The version of the snapshot JSON shape. Bumped only on an incompatible change.
pub(crate) const SCHEMA_VERSION: u32 = 1;

static TRIAGE_VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Names the build in every snapshot from now on: the binary knows its git commit, the
/// library only its crate version. Set once at start-up; later calls are ignored.
pub fn set_triage_version(version: impl Into<String>) {
    let _ = TRIAGE_VERSION.set(version.into());
}

/// What [`Snapshot::triage_version`] is stamped with: the binary's
/// `"0.1.0 (commit)"`, else this crate's version.
pub fn triage_version() -> &'static str {
    TRIAGE_VERSION
        .get()
        .map_or(env!("CARGO_PKG_VERSION"), String::as_str)
}

/// Names of the collectors, as used in `warnings[].collector` and `timings_ms`.
pub mod collector {
    /// When a saved tree was captured (`--root` only): which file said so.
    pub const CAPTURE: &str = "capture";
    /// Host identity: name, kernel, OS, uptime.
    pub const HOST: &str = "host";
    /// Load averages and runnable tasks.
    pub const LOAD: &str = "load";
    /// CPU utilisation over the sampling interval.
    pub const CPU: &str = "cpu";
    /// Memory and swap.
    pub const MEMORY: &str = "memory";
    /// Pressure stall information.
    pub const PRESSURE: &str = "pressure";
    /// Mounted filesystems with space and inodes.
    pub const FILESYSTEMS: &str = "filesystems";
    /// The process table.
    pub const PROCESSES: &str = "processes";
    /// Control groups: limits, throttling and OOM kills per cgroup.
    pub const CGROUPS: &str = "cgroups";
    /// Logged-in users.
    pub const USERS: &str = "users";
    /// Listening sockets and connections.
    pub const NETWORK: &str = "network";
    /// Kernel ring buffer.
    pub const KERNEL_LOG: &str = "kernel_log";
    /// Kernel tables: netlink drops, socket memory, free pages per order (facts only).
    pub const KERNEL_STATE: &str = "kernel_state";
    /// systemd units' state at capture time (facts only).
    pub const UNITS: &str = "units";
    /// Syslog/journal tail.
    pub const LOG_TAIL: &str = "log_tail";
    /// What changed recently.
    pub const RECENT_CHANGES: &str = "recent_changes";
    /// The findings engine.
    pub const FINDINGS: &str = "findings";

    /// Every collector, in the order they appear in a snapshot.
    pub const ALL: [&str; 17] = [
        CAPTURE,
        HOST,
        LOAD,
        CPU,
        MEMORY,
        PRESSURE,
        FILESYSTEMS,
        PROCESSES,
        CGROUPS,
        USERS,
        NETWORK,
        KERNEL_LOG,
        KERNEL_STATE,
        UNITS,
        LOG_TAIL,
        RECENT_CHANGES,
        FINDINGS,
    ];
}

/// `triage snapshot --json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The triage build that took it, `"0.1.0 (commit)"`; empty in snapshots saved
    /// before the field existed.
    #[serde(default)]
    pub triage_version: String,
    /// When collection started; for a saved tree (`--root`), when the tree was captured
    /// (see `collect::capture`).
    pub collected_at: Time,
    /// When the analysis ran, only when that is not `collected_at` (a saved tree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysed_at: Option<Time>,
    /// Wall time the whole snapshot took.
    pub duration_ms: u64,
    /// Host identity.
    pub host: Option<Host>,
    /// Load averages.
    pub load: Option<Load>,
    /// CPU utilisation over the sampling interval.
    pub cpu: Option<Cpu>,
    /// Memory and swap.
    pub memory: Option<Memory>,
    /// Pressure stall information; `None` where the kernel has no PSI.
    pub pressure: Option<Pressure>,
    /// Mounted filesystems that can fill up.
    pub filesystems: Option<Vec<Filesystem>>,
    /// Every process (not thread).
    pub processes: Option<Vec<Process>>,
    /// Process counts by state.
    pub process_summary: Option<ProcessSummary>,
    /// Control groups holding processes or limits, worst first, at most
    /// [`MAX_CGROUPS`]; `None` where no cgroup hierarchy could be read.
    #[serde(default)]
    pub cgroups: Option<Vec<Cgroup>>,
    /// Logged-in sessions, like `w`.
    pub users: Option<Vec<UserSession>>,
    /// Listening sockets with their owning process.
    pub listeners: Option<Vec<Listener>>,
    /// Connection counts.
    pub connections: Option<Connections>,
    /// Recent kernel log records, most recent last.
    pub kernel_log: Option<Vec<KernelLogEntry>>,
    /// Recent syslog/journal lines, most recent last.
    pub log_tail: Option<Vec<LogTailEntry>>,
    /// What changed on the host recently, newest first.
    pub recent_changes: Option<Vec<Change>>,
    /// The usual figures at this hour from recorded history, computed once per snapshot;
    /// absent without history. Findings, `history --compare` and the TUI compare against it
    /// with [`crate::findings::usual::compare`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<crate::baseline::Baseline>,
    /// What is abnormal now, worst first.
    pub findings: Vec<Finding>,
    /// What could not be collected, and why.
    pub warnings: Vec<Warning>,
    /// Time each collector took.
    pub timings_ms: BTreeMap<String, u64>,
    /// Evidence with no section of its own (log events, clock state), for the findings
    /// engine; not serialised.
    #[serde(skip)]
    pub facts: crate::facts::Facts,
}

impl Snapshot {
    /// An empty snapshot stamped `collected_at`, every section `None`.
    pub fn empty(collected_at: Time) -> Self {
        Snapshot {
            schema_version: SCHEMA_VERSION,
            triage_version: triage_version().to_string(),
            collected_at,
            analysed_at: None,
            duration_ms: 0,
            host: None,
            load: None,
            cpu: None,
            memory: None,
            pressure: None,
            filesystems: None,
            processes: None,
            process_summary: None,
            cgroups: None,
            users: None,
            listeners: None,
            connections: None,
            kernel_log: None,
            log_tail: None,
            recent_changes: None,
            baseline: None,
            findings: Vec::new(),
            warnings: Vec::new(),
            timings_ms: BTreeMap::new(),
            facts: crate::facts::Facts::default(),
        }
    }

    /// Add a warning for `collector`.
    pub fn warn(&mut self, collector: &str, message: impl Into<String>) {
        self.warnings.push(Warning {
            collector: collector.to_string(),
            message: message.into(),
        });
    }

    /// The host name, or `"unknown"`.
    pub fn hostname(&self) -> &str {
        self.host
            .as_ref()
            .map(|h| h.hostname.as_str())
            .unwrap_or("unknown")
    }

    /// Number of CPUs, when known.
    pub fn cpu_count(&self) -> Option<u32> {
        self.cpu
            .as_ref()
            .map(|c| c.count)
            .or_else(|| self.host.as_ref().and_then(|h| h.cpus))
    }
}

/// Host identity.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Host {
    /// `/proc/sys/kernel/hostname`.
    pub hostname: String,
    /// Kernel release (`uname -r`).
    pub kernel: String,
    /// `PRETTY_NAME` from `/etc/os-release`.
    pub os: String,
    /// Seconds since boot.
    pub uptime_seconds: u64,
    /// When the host booted.
    pub boot_time: Option<Time>,
    /// CPUs the host has, from `cpuinfo`/`lscpu` in a saved tree whose `/proc/stat` (and
    /// so the cpu section) is missing; the load rules divide by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<u32>,
}

/// Load averages (`/proc/loadavg`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Load {
    /// 1-minute load average.
    pub one: f64,
    /// 5-minute load average.
    pub five: f64,
    /// 15-minute load average.
    pub fifteen: f64,
    /// Tasks runnable now.
    pub runnable: u64,
    /// Tasks (threads) in the system.
    pub total_tasks: u64,
}

/// CPU utilisation over the sampling interval (`/proc/stat`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Cpu {
    /// Online CPUs.
    pub count: u32,
    /// Busy time (everything but idle and iowait), percent of all CPUs.
    pub usage_percent: f64,
    /// Time idle with I/O outstanding, percent of all CPUs.
    pub iowait_percent: f64,
    /// Time stolen by the hypervisor, percent of all CPUs.
    pub steal_percent: f64,
}

/// Memory and swap (`/proc/meminfo`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Memory {
    /// MemTotal.
    pub total_bytes: u64,
    /// MemAvailable (estimated from free + page cache on kernels before 3.14).
    pub available_bytes: u64,
    /// total − available.
    pub used_bytes: u64,
    /// SwapTotal.
    pub swap_total_bytes: u64,
    /// SwapFree.
    pub swap_free_bytes: u64,
}

/// Pressure stall information (`/proc/pressure/*`), one line per resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pressure {
    /// CPU pressure.
    pub cpu: Option<PressureLine>,
    /// Memory pressure.
    pub memory: Option<PressureLine>,
    /// I/O pressure.
    pub io: Option<PressureLine>,
}

/// The averages of one PSI file, in percent of wall time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PressureLine {
    /// Share of time some task stalled, last 10 s.
    pub some_avg10: f64,
    /// Share of time some task stalled, last 60 s.
    pub some_avg60: f64,
    /// Share of time all non-idle tasks stalled, last 10 s; `None` where the kernel has no
    /// `full` line (CPU before 5.13).
    pub full_avg10: Option<f64>,
    /// Share of time some task stalled, last 300 s.
    #[serde(default)]
    pub some_avg300: f64,
}

/// One mounted filesystem.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Filesystem {
    /// Where it is mounted.
    pub mount_point: String,
    /// The mount source (`/dev/sda1`, `tmpfs`, `server:/export`).
    pub device: String,
    /// The filesystem type.
    pub fs_type: String,
    /// Total size.
    pub size_bytes: u64,
    /// Used space.
    pub used_bytes: u64,
    /// Space available to unprivileged users.
    pub available_bytes: u64,
    /// Total inodes (0 where the filesystem has none, e.g. btrfs).
    pub inodes_total: u64,
    /// Used inodes.
    pub inodes_used: u64,
    /// Mounted read-only (a filesystem remounted `ro` after errors shows here).
    #[serde(default)]
    pub read_only: bool,
}

/// One process.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Process {
    /// Process id.
    pub pid: i32,
    /// Parent process id.
    pub ppid: i32,
    /// Owner's user name (the numeric uid when it has no name).
    pub user: Option<String>,
    /// One-letter kernel state (R, S, D, Z, T, I…).
    pub state: String,
    /// CPU over the sampling interval; 100 = one core.
    pub cpu_percent: f64,
    /// Resident set size.
    pub rss_bytes: u64,
    /// Number of threads.
    pub threads: u64,
    /// When the process started.
    pub started_at: Option<Time>,
    /// Full command line (redacted unless `--no-redact`); `[comm]` for kernel threads and
    /// where the command line could not be read.
    pub command: String,
    /// The short name from `/proc/PID/stat` (`comm`, at most 15 bytes).
    #[serde(default)]
    pub name: String,
    /// Owner's numeric uid.
    #[serde(default)]
    pub uid: Option<u32>,
    /// The state at the first of the two samples (live host only): a process in D state
    /// in both samples is stuck, not just caught in the middle of one disk read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_state: Option<String>,
    /// Its cgroup: the path in the unified hierarchy, or in the v1 memory (else cpu)
    /// hierarchy; the key into `cgroups[]`.
    #[serde(default)]
    pub cgroup: Option<String>,
    /// The systemd unit its cgroup belongs to (`nginx.service`, `session-3.scope`).
    #[serde(default)]
    pub unit: Option<String>,
    /// The container it runs in, named from files on the host (no API call).
    #[serde(default)]
    pub container: Option<ContainerRef>,
}

/// Process counts by state.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ProcessSummary {
    /// All processes.
    pub total: u64,
    /// State R.
    pub running: u64,
    /// States S and I.
    pub sleeping: u64,
    /// State D.
    pub uninterruptible: u64,
    /// State Z.
    pub zombie: u64,
    /// States T and t.
    #[serde(default)]
    pub stopped: u64,
    /// Threads in all processes.
    #[serde(default)]
    pub threads: u64,
}

/// A logged-in session (`utmp`), like a line of `w`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UserSession {
    /// User name.
    pub user: String,
    /// Terminal (`pts/0`).
    pub tty: String,
    /// Remote host, empty for local logins.
    pub from: String,
    /// When the session started.
    pub login_at: Option<Time>,
    /// Seconds since the terminal last saw input, when known.
    #[serde(default)]
    pub idle_seconds: Option<u64>,
    /// Pid of the login process.
    #[serde(default)]
    pub pid: Option<i32>,
}

/// A listening socket.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Listener {
    /// One of `tcp`, `tcp6`, `udp`, `udp6`.
    pub protocol: String,
    /// Local address (`0.0.0.0`, `::`, `127.0.0.1`…).
    pub address: String,
    /// Local port.
    pub port: u16,
    /// Owning process, when known.
    pub pid: Option<i32>,
    /// Owning process name, when known.
    pub process: Option<String>,
    /// Owning user, when known.
    pub user: Option<String>,
    /// TCP LISTEN: connections waiting in the accept queue now (`ss` Recv-Q); UDP: bytes
    /// queued for reading.
    #[serde(default)]
    pub recv_q: Option<u64>,
    /// TCP LISTEN: the accept queue's limit, the backlog (`ss` Send-Q); UDP: bytes queued
    /// for sending. A listener with `recv_q >= send_q` is dropping connections.
    #[serde(default)]
    pub send_q: Option<u64>,
}

impl Listener {
    /// `address:port`, with an IPv6 address in brackets (`[::]:22`), as `ss` shows it.
    pub fn address_port(&self) -> String {
        if self.address.contains(':') {
            format!("[{}]:{}", self.address, self.port)
        } else {
            format!("{}:{}", self.address, self.port)
        }
    }
}

/// Connection counts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Connections {
    /// Every TCP socket except listeners.
    pub total: u64,
    /// Count by kernel state name (`ESTABLISHED`, `TIME_WAIT`…).
    pub by_state: BTreeMap<String, u64>,
    /// Remote addresses with the most connections.
    pub top_remote: Vec<RemoteCount>,
    /// Local ports with the most connections.
    #[serde(default)]
    pub top_local_ports: Vec<PortCount>,
    /// Processes owning the most connections (needs root for other users' sockets).
    #[serde(default)]
    pub top_processes: Vec<ProcessCount>,
}

/// A local port and its number of connections.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PortCount {
    /// Local port.
    pub port: u16,
    /// Connections on it.
    pub count: u64,
}

/// A process and the number of connections it owns.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProcessCount {
    /// Process id.
    pub pid: i32,
    /// Process name.
    pub process: String,
    /// Connections it owns.
    pub count: u64,
}

/// A remote address and its number of connections.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RemoteCount {
    /// Remote address.
    pub address: String,
    /// Connections from or to it.
    pub count: u64,
}

/// One kernel log record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KernelLogEntry {
    /// When it was logged, when known.
    pub time: Option<Time>,
    /// Syslog level name (`emerg` … `debug`).
    pub level: String,
    /// The message text.
    pub message: String,
}

/// One line of the syslog/journal tail.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogTailEntry {
    /// Where it came from (a file path or `journal`).
    pub source: String,
    /// When it was logged, when known.
    pub time: Option<Time>,
    /// The message text.
    pub message: String,
}

/// Something that changed on the host.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Change {
    /// When it changed.
    pub time: Time,
    /// What kind of change (`package`, `reboot`, `login`, `config`, `cron`, `deploy`…).
    pub kind: String,
    /// One line saying what changed.
    pub summary: String,
    /// Where this was learned from (a file path or a command).
    pub source: String,
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Needs a look.
    Warning,
    /// Needs action now.
    Critical,
}

impl Severity {
    /// The lowercase name used in JSON and text.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something abnormal, with the evidence a human can check by hand.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Finding {
    /// Stable snake_case id (`oom_kill`, `disk_almost_full`…).
    pub id: String,
    /// How bad it is.
    pub severity: Severity,
    /// One line naming the culprit.
    pub title: String,
    /// Figures and log lines that support it.
    pub evidence: Vec<String>,
    /// Values runbooks substitute into their commands (`pid`, `mount`, `port`, `unit`,
    /// `device`, `process`…), taken from the culprit.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
}

impl Finding {
    /// A finding with no evidence or variables yet.
    pub fn new(id: impl Into<String>, severity: Severity, title: impl Into<String>) -> Self {
        Finding {
            id: id.into(),
            severity,
            title: title.into(),
            evidence: Vec::new(),
            vars: BTreeMap::new(),
        }
    }

    /// Add an evidence line.
    pub fn evidence(mut self, line: impl Into<String>) -> Self {
        self.evidence.push(line.into());
        self
    }

    /// Mask secrets in the title, evidence and variables (see [`crate::redact`]).
    pub fn redact(&mut self) {
        use crate::redact::redact_in_place as r;
        r(true, &mut self.title);
        for e in &mut self.evidence {
            r(true, e);
        }
        for v in self.vars.values_mut() {
            r(true, v);
        }
    }

    /// Set a runbook variable.
    pub fn var(mut self, name: &str, value: impl ToString) -> Self {
        self.vars.insert(name.to_string(), value.to_string());
        self
    }
}

/// A collector that could not do all of its work, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Warning {
    /// Collector name (see [`collector`]).
    pub collector: String,
    /// What happened, in words a user can act on.
    pub message: String,
}

impl Snapshot {
    /// Mask secrets in every free-text field (see [`crate::redact`]).
    pub fn redact(&mut self) {
        use crate::redact::redact_in_place as r;
        for p in self.processes.iter_mut().flatten() {
            r(true, &mut p.command);
        }
        // Line by line with state: a PEM body spans several log lines.
        use crate::redact::redact_lines;
        redact_lines(
            true,
            self.kernel_log.iter_mut().flatten().map(|e| &mut e.message),
        );
        redact_lines(
            true,
            self.log_tail.iter_mut().flatten().map(|e| &mut e.message),
        );
        for c in self.recent_changes.iter_mut().flatten() {
            r(true, &mut c.summary);
        }
        for f in &mut self.findings {
            f.redact();
        }
        for w in &mut self.warnings {
            r(true, &mut w.message);
        }
        self.facts.redact();
    }
}

/// At most this many cgroups are kept in a snapshot (the worst).
pub(crate) const MAX_CGROUPS: usize = 50;

/// The container a process or cgroup belongs to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerRef {
    /// One of `docker`, `containerd`, `cri-o`, `podman`, `lxc`, `systemd-nspawn`.
    pub runtime: String,
    /// The runtime's container id (64 hex digits for OCI runtimes, the name for LXC and
    /// nspawn); empty for a Kubernetes pod-level cgroup.
    pub id: String,
    /// The container's name, when the host's files say it.
    pub name: Option<String>,
    /// The Kubernetes pod, when it runs in one.
    pub pod: Option<String>,
    /// The pod's namespace.
    pub namespace: Option<String>,
}

impl ContainerRef {
    /// How a responder names it: `pod shop/web-7d9f container nginx`, `docker web`,
    /// `containerd 3f2a9c1b0e4d`.
    pub fn label(&self) -> String {
        let short = &self.id[..self.id.len().min(12)];
        match (&self.pod, &self.name) {
            (Some(pod), name) => {
                let ns = self
                    .namespace
                    .as_deref()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default();
                match name {
                    Some(n) => format!("pod {ns}{pod} container {n}"),
                    None if self.id.is_empty() => format!("pod {ns}{pod}"),
                    None => format!("pod {ns}{pod} container {short}"),
                }
            }
            (None, Some(name)) => format!("{} {name}", self.runtime),
            (None, None) => format!("{} {short}", self.runtime),
        }
    }
}

/// One control group, with its limits and how close it runs to them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Cgroup {
    /// Path inside its hierarchy (`/system.slice/nginx.service`).
    pub path: String,
    /// The systemd unit it belongs to.
    pub unit: Option<String>,
    /// The container it belongs to.
    pub container: Option<ContainerRef>,
    /// Processes directly in it (`cgroup.procs`).
    pub processes: u64,
    /// CPU use and throttling.
    pub cpu: CgroupCpu,
    /// Memory use, limits and OOM events.
    pub memory: CgroupMemory,
    /// Its own PSI averages (cgroup v2 only).
    pub pressure: Option<Pressure>,
    /// Tasks and their limit.
    pub pids: CgroupPids,
    /// 1 or 2: which cgroup version its files come from.
    #[serde(default)]
    pub version: u8,
    /// The directories its figures were read from, as paths on the host
    /// (`/sys/fs/cgroup/memory/docker/3f2a…`), so a responder can `cat` them.
    #[serde(default)]
    pub dirs: Vec<String>,
}

impl Cgroup {
    /// The directory holding `controller`'s files (`cpu`, `memory`, `pids`).
    pub fn dir_for(&self, controller: &str) -> Option<&str> {
        if self.version == 2 {
            return self.dirs.first().map(String::as_str);
        }
        let prefix = format!("/sys/fs/cgroup/{controller}");
        self.dirs
            .iter()
            .find(|d| {
                d.strip_prefix(&prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', ',']))
            })
            .map(String::as_str)
    }

    /// The pod/container/unit, else the path: what a title names first.
    pub fn label(&self) -> String {
        match (&self.container, &self.unit) {
            (Some(c), _) => c.label(),
            (None, Some(u)) => format!("unit {u}"),
            (None, None) => format!("cgroup {}", self.path),
        }
    }
}

/// CPU figures of one cgroup. Rates are over the snapshot's sampling interval on a live
/// host; on a saved tree `throttled_percent` is over the cgroup's lifetime and
/// `usage_percent` is `None`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CgroupCpu {
    /// CPU used, 100 = one core.
    pub usage_percent: Option<f64>,
    /// The CFS quota in cores (`cpu.max` 50000 100000 → 0.5); `None` when unlimited.
    pub quota_cores: Option<f64>,
    /// Enforcement periods elapsed since the cgroup was created (`nr_periods`).
    pub periods: Option<u64>,
    /// Periods in which it was throttled (`nr_throttled`).
    pub throttled_periods: Option<u64>,
    /// Share of the periods during the interval in which it was throttled.
    pub throttled_percent: Option<f64>,
    /// Total time throttled since the cgroup was created.
    pub throttled_seconds: Option<f64>,
}

/// Memory figures of one cgroup.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CgroupMemory {
    /// `memory.current` (v1 `memory.usage_in_bytes`), page cache included.
    pub current_bytes: Option<u64>,
    /// The hard limit (`memory.max`, v1 `memory.limit_in_bytes`); `None` when unlimited.
    pub max_bytes: Option<u64>,
    /// The throttling limit (`memory.high`, v2 only); `None` when unlimited.
    pub high_bytes: Option<u64>,
    /// Swap used (`memory.swap.current`, v1 memsw − usage).
    pub swap_current_bytes: Option<u64>,
    /// Times it hit its limit and the OOM killer was invoked (`memory.events` `oom`).
    pub oom_events: Option<u64>,
    /// Processes OOM-killed in it (`memory.events` `oom_kill`, v1 `memory.oom_control`).
    pub oom_kills: Option<u64>,
}

/// Task counts of one cgroup (`pids.current`, `pids.max`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CgroupPids {
    /// Tasks (threads) in it and below.
    pub current: Option<u64>,
    /// Its limit; `None` when unlimited.
    pub max: Option<u64>,
}
