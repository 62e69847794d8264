//! Every threshold the findings rules use, in one place, each with the reason for its value.
//!
//! The values follow Brendan Gregg's USE method (utilisation, saturation, errors) and his
//! "Linux performance analysis in 60 seconds" checklist: a resource is worth a finding when
//! it is saturated (work queues up), not merely busy. They are set so that an idle or
//! normally busy host produces no warning at all.

/// 1-minute load per CPU from which `load_high` warns: twice as many runnable or
/// uninterruptible tasks as CPUs, on average, for a minute.
pub(crate) const LOAD_PER_CPU_WARNING: f64 = 2.0;
/// 1-minute load per CPU from which `load_high` is critical.
pub(crate) const LOAD_PER_CPU_CRITICAL: f64 = 4.0;
/// Tasks runnable right now per CPU (`procs_running` in `/proc/loadavg`) from which
/// `load_high` also warns, when the 1-minute load is at least [`LOAD_PER_CPU_FLOOR`] —
/// an instantaneous count alone is too noisy.
pub(crate) const RUNNABLE_PER_CPU_WARNING: f64 = 3.0;
/// 1-minute load per CPU below which the runnable count is not looked at.
pub(crate) const LOAD_PER_CPU_FLOOR: f64 = 1.0;

/// CPU busy percent (all CPUs) from which `cpu_saturated` warns.
pub(crate) const CPU_BUSY_WARNING: f64 = 90.0;
/// CPU busy percent from which `cpu_saturated` is critical when tasks also queue for it
/// (PSI cpu some avg10 at least [`PSI_CPU_CRITICAL`] or runnable above twice the CPUs).
pub(crate) const CPU_BUSY_CRITICAL: f64 = 98.0;
/// PSI cpu `some avg10` (percent of time some task waited for a CPU) that makes a busy
/// CPU critical.
pub(crate) const PSI_CPU_CRITICAL: f64 = 50.0;

/// iowait percent (all CPUs) from which `iowait_high` warns: CPUs idle because the disks
/// are the bottleneck.
pub(crate) const IOWAIT_WARNING: f64 = 20.0;
/// iowait percent from which `iowait_high` is critical.
pub(crate) const IOWAIT_CRITICAL: f64 = 50.0;

/// Steal percent from which `steal_high` warns: the hypervisor gives this share of the
/// CPUs to other guests.
pub(crate) const STEAL_WARNING: f64 = 10.0;
/// Steal percent from which `steal_high` is critical.
pub(crate) const STEAL_CRITICAL: f64 = 30.0;

/// Available memory, percent of total, below which `memory_pressure` warns.
pub(crate) const MEM_AVAILABLE_WARNING: f64 = 10.0;
/// Available memory, percent of total, below which `memory_pressure` is critical: the
/// OOM killer is near.
pub(crate) const MEM_AVAILABLE_CRITICAL: f64 = 5.0;
/// PSI memory `some avg10` from which `memory_pressure` warns: tasks stalled on memory
/// (reclaim, refaults, swap-in) this share of the last 10 s.
pub(crate) const PSI_MEMORY_SOME_WARNING: f64 = 20.0;
/// PSI memory `full avg10` from which `memory_pressure` is critical: every non-idle task
/// stalled on memory at once — the host is thrashing.
pub(crate) const PSI_MEMORY_FULL_CRITICAL: f64 = 10.0;

/// Swap used, percent of swap, from which `swap_heavy` warns.
pub(crate) const SWAP_USED_WARNING: f64 = 50.0;
/// Swap used, percent of swap, from which `swap_heavy` is critical.
pub(crate) const SWAP_USED_CRITICAL: f64 = 90.0;
/// Swap used below this many bytes never warns (a tiny swap file on a small VM).
pub(crate) const SWAP_MIN_BYTES: u64 = 64 * 1024 * 1024;

/// Percent of space used (`used / (used + available)`, as `df` computes it) from which
/// `disk_almost_full` warns.
pub(crate) const DISK_USED_WARNING: f64 = 90.0;
/// Percent of space used from which `disk_almost_full` is critical.
pub(crate) const DISK_USED_CRITICAL: f64 = 95.0;
/// Percent of inodes used from which `inodes_almost_full` warns.
pub(crate) const INODES_USED_WARNING: f64 = 90.0;
/// Percent of inodes used from which `inodes_almost_full` is critical.
pub(crate) const INODES_USED_CRITICAL: f64 = 95.0;

/// Zombies from which `zombie_processes` warns: any zombie means a parent that does not
/// reap its children, and each one keeps a pid.
pub(crate) const ZOMBIES_WARNING: usize = 1;
/// Zombies from which `zombie_processes` is critical (pid exhaustion comes next).
pub(crate) const ZOMBIES_CRITICAL: usize = 100;

/// Processes in D state (uninterruptible sleep, usually storage or NFS) from which
/// `uninterruptible_processes` warns.
pub(crate) const D_STATE_WARNING: usize = 1;
/// Processes in D state from which `uninterruptible_processes` is critical.
pub(crate) const D_STATE_CRITICAL: usize = 10;

/// Processes of one command started within [`RESTART_WINDOW_SECONDS`] from which
/// `process_restarting` warns (a crash loop leaves a young process each time; only
/// the survivors are visible, so the count is a lower bound).
pub(crate) const RESTARTS_WARNING: usize = 3;
/// How young a process must be to count for `process_restarting`, seconds.
pub(crate) const RESTART_WINDOW_SECONDS: i64 = 300;
/// Uptime below which `process_restarting` stays quiet: right after boot everything is
/// young.
pub(crate) const RESTART_MIN_UPTIME_SECONDS: u64 = 900;

/// Share of all connections in CLOSE_WAIT, percent, from which `conn_state_anomaly`
/// warns: the application does not close sockets the peer closed (a leak).
pub(crate) const CLOSE_WAIT_PERCENT_WARNING: f64 = 20.0;
/// Share of connections in SYN_RECV, percent, from which `conn_state_anomaly` warns:
/// handshakes not completing (a SYN flood, or an accept queue full).
pub(crate) const SYN_RECV_PERCENT_WARNING: f64 = 20.0;
/// Share of connections in TIME_WAIT, percent, from which `conn_state_anomaly` warns
/// (only with [`TIME_WAIT_MIN`] of them: ephemeral port exhaustion is near).
pub(crate) const TIME_WAIT_PERCENT_WARNING: f64 = 80.0;
/// Minimum connections in one state before `conn_state_anomaly` looks at shares: a
/// handful of sockets is never an anomaly.
pub(crate) const CONN_STATE_MIN: u64 = 100;
/// Minimum TIME_WAIT sockets before their share matters (of ~28k ephemeral ports).
pub(crate) const TIME_WAIT_MIN: u64 = 10_000;

/// How many spreads (median absolute deviations) from the usual value at this hour
/// before `unusual_vs_baseline` reports a figure.
pub(crate) const BASELINE_DEVIATIONS: f64 = 4.0;
/// A rise must also reach this many times the usual value (load, percents, counts) before
/// `unusual_vs_baseline` reports it: on a quiet host a tight spread makes small moves look
/// "many spreads" away, and load 1.5 where 1.0 is usual is not news.
pub(crate) const BASELINE_RISE_FACTOR: f64 = 2.0;
/// Earlier days of history needed before the baseline is trusted.
pub(crate) const BASELINE_MIN_DAYS: u32 = 3;
/// Samples behind a usual value needed before it is trusted.
pub(crate) const BASELINE_MIN_SAMPLES: u64 = 10;

/// `unusual_vs_baseline` ignores a 1-minute load below this many per CPU, however far
/// from the usual: an idle host's noise is not news.
pub(crate) const BASELINE_LOAD_PER_CPU_FLOOR: f64 = 0.7;
/// `unusual_vs_baseline` ignores CPU busy or iowait percents below this.
pub(crate) const BASELINE_PERCENT_FLOOR: f64 = 30.0;
/// `unusual_vs_baseline` ignores PSI averages below this percent.
pub(crate) const BASELINE_PSI_FLOOR: f64 = 10.0;
/// `unusual_vs_baseline` ignores a memory or swap rise smaller than this share of
/// memory, percent.
pub(crate) const BASELINE_MEMORY_RISE_PERCENT: f64 = 10.0;
/// `unusual_vs_baseline` ignores fewer TCP connections than this.
pub(crate) const BASELINE_CONNECTIONS_FLOOR: f64 = 200.0;

/// Share of the recorded samples (0–1) a TCP port must have been listening in, over the
/// last [`LISTENER_WINDOW_HOURS`], to be a usual listener whose absence is
/// `listener_gone`: a service that is up "nearly always" (restarts and deploys allowed).
pub(crate) const LISTENER_USUAL_SHARE: f64 = 0.9;
/// Hours of history looked at for usual listeners: a whole day, not the same-hour window,
/// because a listener is expected all day. (A service down for more than 10% of this
/// window stops being usual, so `listener_gone` goes quiet after about 2.4 h down.)
pub(crate) const LISTENER_WINDOW_HOURS: i64 = 24;
/// Samples with listeners needed in that window before usual listeners are trusted
/// (5 minutes of recording at the default 10 s interval).
pub(crate) const LISTENER_MIN_SAMPLES: u64 = 30;

/// How many culprits a finding names in its title or evidence at most.
pub(crate) const MAX_NAMED: usize = 5;

/// Share of CFS periods throttled (percent) from which `cgroup_cpu_throttled` warns: the
/// cgroup ran out of quota in one period of four, so its requests wait for the next
/// period (up to 100 ms by default) that often — the latency Kubernetes users see as
/// "slow at low CPU".
pub(crate) const CGROUP_THROTTLED_WARNING: f64 = 25.0;
/// Throttled share from which `cgroup_cpu_throttled` is critical: most periods end with
/// the cgroup stopped.
pub(crate) const CGROUP_THROTTLED_CRITICAL: f64 = 60.0;
/// Live host: a cgroup using less than this share of its quota (percent) is not
/// reported however throttled — bursts of many threads throttle an idle cgroup briefly,
/// which raising the quota would not help much.
pub(crate) const CGROUP_QUOTA_USED_FLOOR: f64 = 50.0;
/// Memory use against its hard limit (percent) from which `cgroup_memory_near_limit`
/// warns. `memory.current` counts page cache the kernel can reclaim, so this alone is
/// only a warning.
pub(crate) const CGROUP_MEMORY_WARNING: f64 = 90.0;
/// PSI memory `some avg10` of the cgroup that makes a cgroup near its limit critical:
/// its tasks stall on reclaim, so the cache is not freeing fast enough.
pub(crate) const CGROUP_MEMORY_PSI_CRITICAL: f64 = 10.0;

/// Socket memory in use, percent of `net.ipv4.{tcp,udp}_mem` max, from which
/// `socket_memory_high` warns (hotsos's value): past max the kernel drops that protocol's
/// packets on every socket, and under pressure TCP already shrinks its buffers.
pub(crate) const SOCKET_MEM_WARNING_PERCENT: f64 = 85.0;
/// Highest orders of a zone with no free block, counted down from order 10, from which
/// `memory_fragmented` warns: 6 means nothing of 128 KiB or more (4 KiB pages) is free, so
/// order-5+ allocations (jumbo-frame buffers, THP, some drivers) need compaction or fail.
/// hotsos warns past 5 too.
pub(crate) const FRAGMENTED_EMPTY_TOP_ORDERS: usize = 6;
