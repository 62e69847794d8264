//! Every finding id, once: how its severity is decided, the function that builds its
//! title and evidence, the read-only checks the TUI suggests for it, the countermeasure a
//! postmortem proposes, and the runbook variables it sets. `runbook validate`, the TUI Fix
//! step and the postmortem read this table; nothing else names finding ids.
//!
//! How to add a finding (fact → rule → entry):
//! 1. Fact: the collector puts what it read into a `Snapshot` section or [`crate::facts`]
//!    (typed, no judgement), with a parser test; collectors never make findings.
//! 2. Rule: a pure `fn(&Snapshot, &Context) -> Option<Finding>` (or `Vec`) in `findings/`,
//!    thresholds in [`super::thresholds`] with the reason for each value, tests in `tests.rs`.
//! 3. Entry: add an [`Entry`] below (id, about, severity, decide, checks, countermeasure,
//!    vars); a log event only needs a pattern in `logs/rules.rs` and a [`Decide::Event`].
//! 4. `cargo test -p triage-core --lib findings` checks ids are unique and runbooks match.

use super::{cgroups, clock, events, kernel, listeners, net, procs, rules, units, usual, Context};
use crate::facts::LogEvent;
use crate::snapshot::{Finding, Severity, Snapshot};

/// One finding id and everything decided about it.
#[derive(Clone, Copy)]
pub struct Entry {
    /// Stable snake_case id (DESIGN.md "Findings").
    pub id: &'static str,
    /// What it looks for, one line.
    pub about: &'static str,
    /// How the severity is chosen, naming the constants in [`super::thresholds`].
    pub severity: &'static str,
    /// How facts become findings (title and evidence).
    pub decide: Decide,
    /// Read-only commands the TUI suggests while no runbook matches.
    pub checks: &'static [&'static str],
    /// The action item a postmortem proposes; `None`: "prevent a recurrence of: TITLE".
    pub countermeasure: Option<Countermeasure>,
    /// Runbook variables its findings set (when the culprit is known).
    pub vars: &'static [&'static str],
}

/// How an entry's findings are made.
#[derive(Clone, Copy)]
pub enum Decide {
    /// At most one finding from the snapshot.
    One(fn(&Snapshot, &Context) -> Option<Finding>),
    /// Any number (one per mount point, per listener…).
    Many(fn(&Snapshot, &Context) -> Vec<Finding>),
    /// One finding per log event of this id in [`crate::facts::Facts::log_events`].
    Event {
        /// The kernel printing it is the evidence: fixed, unless `severity_of` says.
        severity: Severity,
        /// The severity of one event when it depends on what it names (a loop device,
        /// an OOM kill requested with SysRq-f); `None`: `severity`.
        severity_of: Option<fn(&LogEvent) -> Severity>,
        /// Names the culprit; the engine adds ", N times".
        title: fn(&LogEvent) -> String,
        /// The runbook variable that receives the culprit.
        culprit_var: Option<&'static str>,
    },
}

/// A postmortem action item: `{}` is replaced with the first of `vars` the finding has,
/// else with its title.
#[derive(Debug, Clone, Copy)]
pub struct Countermeasure {
    /// Finding variables to name the culprit with, first present wins.
    pub vars: &'static [&'static str],
    /// English.
    pub en: &'static str,
    /// Japanese.
    pub ja: &'static str,
}

const OOM_CHECKS: &[&str] = &[
    "dmesg -T | grep -i -B2 -A8 'out of memory' | tail -40",
    "free -m",
    "ps -eo pid,rss,comm --sort=-rss | head -15",
];
const DISK_CHECKS: &[&str] = &["df -h", "df -i"];
const CPU_CHECKS: &[&str] = &[
    "uptime",
    "ps -eo pid,stat,pcpu,rss,comm --sort=-pcpu | head -15",
];
const KERNEL_CHECKS: &[&str] = &["dmesg -T | tail -50"];
const SOCKET_CHECKS: &[&str] = &["ss -tlnp", "ss -s"];
const PROCESS_VARS: &[&str] = &["pid", "process"];
const CGROUP_CHECKS: &[&str] = &[
    "systemd-cgls --no-pager | head -40",
    "systemd-cgtop -b -n 1 --order=cpu | head -20",
    "grep -H . /sys/fs/cgroup/*/memory.events /sys/fs/cgroup/*/*/memory.events 2>/dev/null | grep -v ' 0$' | head -20",
];
const CGROUP_VARS: &[&str] = &[
    "cgroup",
    "cgroup_dir",
    "unit",
    "runtime",
    "container",
    "container_id",
    "pod",
    "namespace",
    "pid",
    "process",
];
const CGROUP_LIMIT: Countermeasure = Countermeasure {
    vars: &["pod", "container", "unit", "cgroup"],
    en: "Size the limits of {} from its measured use (requests/limits, MemoryMax=, CPUQuota=) and alert on its throttling and memory.events",
    ja: "{} の制限値を実測に合わせて見直し（requests/limits、MemoryMax=、CPUQuota=）、スロットリングと memory.events で警告を出す",
};

const DISK_FULL: Countermeasure = Countermeasure {
    vars: &["mount", "mount_point"],
    en: "Alert at 80% on {}; add log rotation",
    ja: "{} の使用率 80% で警告を出す。ログローテーションを設定する",
};
const DEVICE_HEALTH: Countermeasure = Countermeasure {
    vars: &["device", "mount"],
    en: "Check the health of {} (SMART, controller logs); plan a replacement",
    ja: "{} の状態（SMART、コントローラのログ）を確認し、交換を計画する",
};
const CRASH_REPORT: Countermeasure = Countermeasure {
    vars: &["process", "comm"],
    en: "Report the crash of {} to its owners with the kernel log lines",
    ja: "{} のクラッシュをカーネルログとともに担当者へ報告する",
};

const KERNEL_REPORT: Countermeasure = Countermeasure {
    vars: &["function"],
    en: "Report the kernel trace in {} to the kernel's or driver's maintainers; check for a fixed kernel",
    ja: "{} のカーネルトレースをカーネルまたはドライバの担当者へ報告し、修正済みカーネルを確認する",
};

const fn event(
    severity: Severity,
    title: fn(&LogEvent) -> String,
    culprit_var: Option<&'static str>,
) -> Decide {
    Decide::Event {
        severity,
        severity_of: None,
        title,
        culprit_var,
    }
}

/// [`event`] whose severity depends on the event (`severity` is the highest it takes).
const fn event_by(
    severity: Severity,
    severity_of: fn(&LogEvent) -> Severity,
    title: fn(&LogEvent) -> String,
    culprit_var: Option<&'static str>,
) -> Decide {
    Decide::Event {
        severity,
        severity_of: Some(severity_of),
        title,
        culprit_var,
    }
}

/// Every finding id. Findings of one severity come out in this order (rules, then log
/// events in the order they appeared).
pub const CATALOGUE: &[Entry] = &[
    Entry {
        id: "memory_pressure",
        about: "little memory available or tasks stalled on memory (PSI)",
        severity: "critical: available < MEM_AVAILABLE_CRITICAL or PSI full ≥ PSI_MEMORY_FULL_CRITICAL; warning: available < MEM_AVAILABLE_WARNING or PSI some ≥ PSI_MEMORY_SOME_WARNING",
        decide: Decide::One(rules::memory_pressure),
        checks: OOM_CHECKS,
        countermeasure: Some(Countermeasure {
            vars: &[],
            en: "Alert on memory PSI; find what grew and size memory for it",
            ja: "メモリ PSI で警告を出し、増えた原因を特定してメモリを見直す",
        }),
        vars: PROCESS_VARS,
    },
    Entry {
        id: "disk_almost_full",
        about: "a filesystem (tmpfs included) 90% used or more",
        severity: "df's Use%: warning ≥ DISK_USED_WARNING, critical ≥ DISK_USED_CRITICAL",
        decide: Decide::Many(rules::disk_almost_full),
        checks: DISK_CHECKS,
        countermeasure: Some(DISK_FULL),
        vars: &["mount", "device"],
    },
    Entry {
        id: "inodes_almost_full",
        about: "a filesystem with 90% of its inodes used or more",
        severity: "warning ≥ INODES_USED_WARNING, critical ≥ INODES_USED_CRITICAL",
        decide: Decide::Many(rules::inodes_almost_full),
        checks: DISK_CHECKS,
        countermeasure: Some(DISK_FULL),
        vars: &["mount", "device"],
    },
    Entry {
        id: "load_high",
        about: "1-minute load or runnable tasks well above the CPU count",
        severity: "load per CPU: warning ≥ LOAD_PER_CPU_WARNING, critical ≥ LOAD_PER_CPU_CRITICAL; or warning when runnable per CPU ≥ RUNNABLE_PER_CPU_WARNING and load per CPU ≥ LOAD_PER_CPU_FLOOR",
        decide: Decide::One(rules::load_high),
        checks: CPU_CHECKS,
        countermeasure: Some(Countermeasure {
            vars: &[],
            en: "Alert on load per CPU; find what drove the load and cap it",
            ja: "CPU あたりのロードで警告を出し、負荷の原因を特定して制限する",
        }),
        vars: PROCESS_VARS,
    },
    Entry {
        id: "cpu_saturated",
        about: "CPUs busy 90% or more",
        severity: "warning ≥ CPU_BUSY_WARNING; critical ≥ CPU_BUSY_CRITICAL with a queue (PSI cpu ≥ PSI_CPU_CRITICAL or runnable > 2 per CPU)",
        decide: Decide::One(rules::cpu_saturated),
        checks: CPU_CHECKS,
        countermeasure: None,
        vars: PROCESS_VARS,
    },
    Entry {
        id: "iowait_high",
        about: "CPUs idle waiting for I/O",
        severity: "warning ≥ IOWAIT_WARNING, critical ≥ IOWAIT_CRITICAL",
        decide: Decide::One(rules::iowait_high),
        checks: &[],
        countermeasure: None,
        vars: &[],
    },
    Entry {
        id: "steal_high",
        about: "the hypervisor gives CPU time to other guests",
        severity: "warning ≥ STEAL_WARNING, critical ≥ STEAL_CRITICAL",
        decide: Decide::One(rules::steal_high),
        checks: &[],
        countermeasure: None,
        vars: &[],
    },
    Entry {
        id: "swap_heavy",
        about: "swap mostly used",
        severity: "above SWAP_MIN_BYTES: warning ≥ SWAP_USED_WARNING, critical ≥ SWAP_USED_CRITICAL",
        decide: Decide::One(rules::swap_heavy),
        checks: &[],
        countermeasure: None,
        vars: &[],
    },
    Entry {
        id: "uninterruptible_processes",
        about: "processes stuck in D state (usually storage or NFS)",
        severity: "warning ≥ D_STATE_WARNING processes, critical ≥ D_STATE_CRITICAL",
        decide: Decide::One(procs::uninterruptible_processes),
        checks: &[],
        countermeasure: None,
        vars: PROCESS_VARS,
    },
    Entry {
        id: "zombie_processes",
        about: "zombies: a parent that does not reap its children",
        severity: "warning ≥ ZOMBIES_WARNING, critical ≥ ZOMBIES_CRITICAL",
        decide: Decide::One(procs::zombie_processes),
        checks: &[],
        countermeasure: Some(Countermeasure {
            vars: &["process", "parent"],
            en: "Fix the parent of the zombies ({}) so it reaps its children",
            ja: "ゾンビの親プロセス（{}）が子を回収するよう修正する",
        }),
        vars: PROCESS_VARS,
    },
    Entry {
        id: "process_restarting",
        about: "several young processes of one command: a crash loop",
        severity: "info: RESTARTS_WARNING starts within RESTART_WINDOW_SECONDS, host up ≥ RESTART_MIN_UPTIME_SECONDS",
        decide: Decide::One(procs::process_restarting),
        checks: &[],
        countermeasure: None,
        vars: &["process"],
    },
    Entry {
        id: "listen_queue_overflow",
        about: "a listener's accept queue is full: connections are dropped",
        severity: "critical: Recv-Q ≥ Send-Q > 0 on a TCP listener",
        decide: Decide::Many(net::listen_queue_overflow),
        checks: SOCKET_CHECKS,
        countermeasure: None,
        vars: &["port", "pid", "process"],
    },
    Entry {
        id: "cgroup_oom_kill",
        about: "processes OOM-killed inside a memory cgroup: a container or unit at its own limit",
        severity: "critical: a kernel `oom-kill:constraint=CONSTRAINT_MEMCG … oom_memcg=` record names it; warning: only its oom_kill counter (memory.events, v1 memory.oom_control) is above 0",
        decide: Decide::Many(cgroups::cgroup_oom_kill),
        checks: CGROUP_CHECKS,
        countermeasure: Some(CGROUP_LIMIT),
        vars: CGROUP_VARS,
    },
    Entry {
        id: "cgroup_memory_near_limit",
        about: "a cgroup at 90% of its memory limit or above its memory.high",
        severity: "warning: memory.current ≥ CGROUP_MEMORY_WARNING % of memory.max, or ≥ memory.high; critical: also its memory PSI some avg10 ≥ CGROUP_MEMORY_PSI_CRITICAL",
        decide: Decide::Many(cgroups::cgroup_memory_near_limit),
        checks: CGROUP_CHECKS,
        countermeasure: Some(CGROUP_LIMIT),
        vars: CGROUP_VARS,
    },
    Entry {
        id: "cgroup_cpu_throttled",
        about: "a cgroup throttled by its CPU quota in a large share of its periods",
        severity: "warning: throttled ≥ CGROUP_THROTTLED_WARNING % of periods (live: using ≥ CGROUP_QUOTA_USED_FLOOR % of its quota); critical ≥ CGROUP_THROTTLED_CRITICAL %",
        decide: Decide::Many(cgroups::cgroup_cpu_throttled),
        checks: CGROUP_CHECKS,
        countermeasure: Some(CGROUP_LIMIT),
        vars: CGROUP_VARS,
    },
    Entry {
        id: "listener_gone",
        about: "a TCP port listening all day (in history) is not listening now",
        severity: "critical: listening in ≥ LISTENER_USUAL_SHARE of ≥ LISTENER_MIN_SAMPLES samples over LISTENER_WINDOW_HOURS",
        decide: Decide::Many(listeners::listener_gone),
        checks: SOCKET_CHECKS,
        countermeasure: Some(Countermeasure {
            vars: &["port"],
            en: "Monitor port {} from outside the host",
            ja: "ポート {} をホスト外部から監視する",
        }),
        vars: &["port", "process"],
    },
    Entry {
        id: "conn_state_anomaly",
        about: "many CLOSE_WAIT, SYN_RECV or TIME_WAIT connections",
        severity: "warning: CLOSE_WAIT_PERCENT_WARNING / SYN_RECV_PERCENT_WARNING (≥ CONN_STATE_MIN), TIME_WAIT_PERCENT_WARNING (≥ TIME_WAIT_MIN)",
        decide: Decide::Many(net::conn_state_anomaly),
        checks: &[],
        countermeasure: None,
        vars: &["state"],
    },
    Entry {
        id: "unusual_vs_baseline",
        about: "a figure far from its usual value at this hour (needs history)",
        severity: "warning: ≥ BASELINE_DEVIATIONS spreads from the usual value, above its floor",
        decide: Decide::Many(usual::unusual_vs_baseline),
        checks: &[],
        countermeasure: None,
        vars: &[],
    },
    Entry {
        id: "clock_unsynced",
        about: "the kernel says the clock is not NTP-disciplined (live host only)",
        severity: "info: adjtimex(2) TIME_ERROR or STA_UNSYNC",
        decide: Decide::One(clock::clock_unsynced),
        checks: &[],
        countermeasure: None,
        vars: &[],
    },
    Entry {
        id: "netlink_drops",
        about: "netlink sockets dropped kernel messages (/proc/net/netlink Drops): their holders missed events",
        severity: "warning",
        decide: Decide::One(kernel::netlink_drops),
        checks: &["cat /proc/net/netlink", "ss -f netlink -p"],
        countermeasure: Some(Countermeasure {
            vars: &["process"],
            en: "Raise the receive buffer of {} (SO_RCVBUF, net.core.rmem_max) or make it read its netlink socket faster",
            ja: "{} の受信バッファ（SO_RCVBUF、net.core.rmem_max）を増やすか、netlink ソケットを速く読むようにする",
        }),
        vars: PROCESS_VARS,
    },
    Entry {
        id: "socket_memory_high",
        about: "TCP or UDP socket memory near or at net.ipv4.tcp_mem/udp_mem max: packets dropped on every socket",
        severity: "critical: pages ≥ max; warning: ≥ SOCKET_MEM_WARNING_PERCENT % of max",
        decide: Decide::Many(kernel::socket_memory_high),
        checks: &["cat /proc/net/sockstat", "sysctl net.ipv4.tcp_mem net.ipv4.udp_mem", "ss -tmn | sort -k2 -n | tail"],
        countermeasure: Some(Countermeasure {
            vars: &["protocol"],
            en: "Find the sockets holding {} memory (ss -m) and size net.ipv4.tcp_mem/udp_mem for the load",
            ja: "{} のメモリを保持するソケットを特定し（ss -m）、負荷に合わせて net.ipv4.tcp_mem/udp_mem を見直す",
        }),
        vars: &["protocol"],
    },
    Entry {
        id: "memory_fragmented",
        about: "no free high-order pages in a zone (/proc/buddyinfo): large allocations stall or fail",
        severity: "warning: the FRAGMENTED_EMPTY_TOP_ORDERS highest orders of Normal or DMA32 have no free block",
        decide: Decide::One(kernel::memory_fragmented),
        checks: &["cat /proc/buddyinfo", "grep -E 'compact_(stall|fail|success)' /proc/vmstat"],
        countermeasure: Some(Countermeasure {
            vars: &[],
            en: "Reserve memory for large allocations (vm.min_free_kbytes, hugepages at boot) and watch compaction failures",
            ja: "大きな割り当て用にメモリを確保し（vm.min_free_kbytes、起動時の hugepages）、コンパクション失敗を監視する",
        }),
        vars: &["zone"],
    },
    Entry {
        id: "oom_kill",
        about: "the OOM killer killed a process (kernel log); a memory-cgroup kill is cgroup_oom_kill instead wherever the cgroup findings run (snapshot, check, TUI)",
        severity: "critical; warning when the kill was requested with SysRq-f (`invoked oom-killer: … order=-1`, moom_callback)",
        decide: event_by(
            Severity::Critical,
            events::oom_kill_severity,
            events::oom_kill,
            Some("process"),
        ),
        checks: OOM_CHECKS,
        countermeasure: Some(Countermeasure {
            vars: &["process", "comm"],
            en: "Set a memory limit for {}; alert when available memory < 10%",
            ja: "{} のメモリ上限を設定し、空きメモリ 10% 未満で警告を出す",
        }),
        vars: PROCESS_VARS,
    },
    Entry {
        id: "hung_task",
        about: "a task blocked for minutes (kernel hung-task detector), with where it waits (fanotify, bcache, nfs, jbd2, fuse…) from its call trace",
        severity: "warning",
        decide: event(Severity::Warning, events::hung_task, Some("process")),
        checks: KERNEL_CHECKS,
        countermeasure: Some(DEVICE_HEALTH),
        vars: PROCESS_VARS,
    },
    Entry {
        id: "soft_lockup",
        about: "a CPU stuck in the kernel (soft or hard lockup)",
        severity: "critical",
        decide: event(Severity::Critical, events::soft_lockup, Some("process")),
        checks: KERNEL_CHECKS,
        countermeasure: Some(CRASH_REPORT),
        vars: PROCESS_VARS,
    },
    Entry {
        id: "segfault",
        about: "a process crashed (segfault, general protection fault)",
        severity: "warning",
        decide: event(Severity::Warning, events::segfault, Some("process")),
        checks: &[],
        countermeasure: Some(CRASH_REPORT),
        vars: PROCESS_VARS,
    },
    Entry {
        id: "io_error",
        about: "block-device I/O errors or timeouts (a medium error: the disk itself)",
        severity: "critical; warning on a loop device (its backing file, not a disk)",
        decide: event_by(
            Severity::Critical,
            events::io_error_severity,
            events::io_error,
            Some("device"),
        ),
        checks: KERNEL_CHECKS,
        countermeasure: Some(DEVICE_HEALTH),
        vars: &["device"],
    },
    Entry {
        id: "fs_error",
        about: "filesystem errors, a read-only remount, an XFS shutdown",
        severity: "critical",
        decide: event(Severity::Critical, events::fs_error, Some("device")),
        checks: KERNEL_CHECKS,
        countermeasure: Some(DEVICE_HEALTH),
        vars: &["device"],
    },
    Entry {
        id: "conntrack_full",
        about: "the conntrack table is full: packets dropped",
        severity: "critical",
        decide: event(Severity::Critical, events::conntrack_full, None),
        checks: SOCKET_CHECKS,
        countermeasure: Some(Countermeasure {
            vars: &[],
            en: "Raise nf_conntrack_max; alert at 80% of the table",
            ja: "nf_conntrack_max を引き上げ、テーブル使用率 80% で警告を出す",
        }),
        vars: &[],
    },
    Entry {
        id: "syn_flood",
        about: "the kernel suspects a SYN flood on a port",
        severity: "warning",
        decide: event(Severity::Warning, events::syn_flood, Some("port")),
        checks: SOCKET_CHECKS,
        countermeasure: Some(Countermeasure {
            vars: &[],
            en: "Keep SYN cookies on; rate-limit or filter the sources upstream",
            ja: "SYN cookies を有効にし、上流で送信元を制限またはフィルタする",
        }),
        vars: &["port"],
    },
    Entry {
        id: "kernel_bug",
        about: "the kernel hit a BUG or an Oops (NULL dereference, page fault, BUG_ON), named by the function it was running",
        severity: "critical",
        decide: event(Severity::Critical, events::kernel_bug, Some("function")),
        checks: KERNEL_CHECKS,
        countermeasure: Some(KERNEL_REPORT),
        vars: &["function"],
    },
    Entry {
        id: "kernel_warning",
        about: "a kernel WARNING (WARN_ON), named by its function and source line",
        severity: "warning",
        decide: event(Severity::Warning, events::kernel_warning, Some("function")),
        checks: KERNEL_CHECKS,
        countermeasure: Some(KERNEL_REPORT),
        vars: &["function"],
    },
    Entry {
        id: "kernel_call_trace",
        about: "a kernel call trace no other finding explains, named by its first frame",
        severity: "warning",
        decide: event(Severity::Warning, events::kernel_call_trace, Some("function")),
        checks: KERNEL_CHECKS,
        countermeasure: Some(KERNEL_REPORT),
        vars: &["function"],
    },
    Entry {
        id: "over_mtu_drop",
        about: "an interface dropped packets larger than its MTU (`dropped over-mtu packet`)",
        severity: "warning",
        decide: event(Severity::Warning, events::over_mtu_drop, Some("interface")),
        checks: &["ip -d link show", "ip -s link show"],
        countermeasure: Some(Countermeasure {
            vars: &["interface"],
            en: "Make the MTU of {} match its network path (overlay, tunnel, jumbo frames)",
            ja: "{} の MTU を経路（オーバーレイ、トンネル、ジャンボフレーム）に合わせる",
        }),
        vars: &["interface"],
    },
    Entry {
        id: "scsi_host_problem",
        about: "a SCSI/FC host driver did not bring up its disks (qla2xxx skipped its SCSI scan)",
        severity: "warning",
        decide: event(Severity::Warning, events::scsi_host_problem, Some("host")),
        checks: &["lsscsi", "cat /sys/module/qla2xxx/parameters/qlini_mode"],
        countermeasure: Some(Countermeasure {
            vars: &["host"],
            en: "Check the driver mode and paths of {} (qla2xxx.qlini_mode, multipath -ll)",
            ja: "{} のドライバのモードとパス（qla2xxx.qlini_mode、multipath -ll）を確認する",
        }),
        vars: &["host"],
    },
    Entry {
        id: "nfs_server_unresolved",
        about: "mount.nfs could not resolve its server's name: the mount failed",
        severity: "warning",
        decide: event(Severity::Warning, events::nfs_server_unresolved, Some("server")),
        checks: &["getent hosts SERVER", "resolvectl status", "findmnt -t nfs,nfs4"],
        countermeasure: Some(Countermeasure {
            vars: &["server"],
            en: "Make {} resolvable before the mounts run (DNS, /etc/hosts, _netdev)",
            ja: "マウント前に {} を名前解決できるようにする（DNS、/etc/hosts、_netdev）",
        }),
        vars: &["server"],
    },
    Entry {
        id: "service_recovered",
        about: "a systemd unit the logs say failed is active when the snapshot was taken (systemctl list-units)",
        severity: "info",
        decide: Decide::Many(units::service_recovered),
        checks: &["systemctl status UNIT --no-pager", "journalctl -u UNIT -n 50 --no-pager"],
        countermeasure: Some(Countermeasure {
            vars: &["unit"],
            en: "Find why {} failed before it recovered; alert on its restarts",
            ja: "{} が回復する前に停止した原因を調べ、再起動で警告を出す",
        }),
        vars: &["unit"],
    },
    Entry {
        id: "service_failed",
        about: "a systemd unit failed (logs), or is failed now (systemctl list-units, a sosreport's systemctl_list-units*); one active now is service_recovered instead",
        severity: "warning",
        decide: event(Severity::Warning, events::service_failed, Some("unit")),
        checks: &["systemctl --failed --no-pager"],
        countermeasure: Some(Countermeasure {
            vars: &["unit", "service"],
            en: "Alert when {} fails; review its Restart= policy",
            ja: "{} の停止で警告を出し、Restart= の設定を見直す",
        }),
        vars: &["unit", "pid"],
    },
];

/// The entry for `id`.
pub fn get(id: &str) -> Option<&'static Entry> {
    CATALOGUE.iter().find(|e| e.id == id)
}

/// Every finding id, in table order.
pub fn ids() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().map(|e| e.id)
}

/// The findings of the log events `events`, in their order (`triage logs` and the engine).
pub fn event_findings(events: &[LogEvent]) -> Vec<Finding> {
    events
        .iter()
        .filter_map(|e| match get(e.id)?.decide {
            Decide::Event {
                severity,
                severity_of,
                title,
                culprit_var,
            } => {
                let severity = severity_of.map_or(severity, |f| f(e));
                Some(events::finding(e, severity, title, culprit_var))
            }
            _ => None,
        })
        .collect()
}

/// The postmortem action item for `f`, in English and Japanese.
pub(crate) fn countermeasure(f: &Finding) -> (String, String) {
    let Some(c) = get(&f.id).and_then(|e| e.countermeasure) else {
        return (
            format!("Prevent a recurrence of: {}", f.title),
            format!("再発防止: {}", f.title),
        );
    };
    let who = c
        .vars
        .iter()
        .find_map(|n| f.vars.get(*n))
        .unwrap_or(&f.title);
    (c.en.replace("{}", who), c.ja.replace("{}", who))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_log_pattern_has_an_event_entry() {
        let mut seen = std::collections::HashSet::new();
        assert!(CATALOGUE.iter().all(|e| seen.insert(e.id)));
        for id in crate::logs::pattern_ids() {
            assert!(
                matches!(get(id).map(|e| e.decide), Some(Decide::Event { .. })),
                "log pattern {id} has no event entry"
            );
        }
    }

    #[test]
    fn every_runbook_trigger_is_in_the_catalogue() {
        let mut triggers = 0;
        // runbooks/*.toml of the repository, as embedded at build time.
        for (file, text) in crate::runbook::load::builtin_texts() {
            let table: toml::Table = toml::from_str(&text).unwrap();
            for t in table["triggers"].as_array().unwrap() {
                let t = t.as_str().unwrap();
                triggers += 1;
                assert!(
                    get(t).is_some(),
                    "{file}: trigger {t} is not in the catalogue"
                );
            }
        }
        assert!(triggers >= 10, "only {triggers} triggers found");
    }
}
