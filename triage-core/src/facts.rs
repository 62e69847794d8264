//! Evidence collectors hand to the findings engine that has no section of its own in
//! `snapshot --json`: the kernel and system events seen in the logs (the whole kernel ring
//! buffer, not only the tail the snapshot keeps) and the kernel's clock state. Collectors
//! fill these; only [`crate::findings`] turns them into findings.

use crate::snapshot::Time;

/// The facts of one snapshot, carried in memory next to its sections (not serialised:
/// the findings they support carry the evidence to JSON).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// Events in the kernel log, then in the system logs, each in order of first appearance.
    pub log_events: Vec<LogEvent>,
    /// What `adjtimex(2)` said; `None` under `--root` (no kernel to ask) or when it failed.
    pub clock: Option<ClockState>,
    /// Kernel tables: netlink drops, socket memory, free pages per order.
    pub kernel: Option<KernelState>,
    /// systemd units' state when the snapshot was taken.
    pub units: Option<Units>,
}

/// systemd units' state at capture time (see `collect::units`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Units {
    /// Every unit listed.
    pub states: Vec<UnitState>,
    /// Where they were read (file names or the command).
    pub source: String,
}

impl Units {
    /// The state of `unit`, when listed.
    pub fn get(&self, unit: &str) -> Option<&UnitState> {
        self.states.iter().find(|u| u.unit == unit)
    }
}

/// One `systemctl list-units` row.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitState {
    /// `nginx.service`.
    pub unit: String,
    /// ACTIVE: `active`, `failed`, `inactive`, `activating`…
    pub active: String,
    /// SUB: `running`, `exited`, `failed`…
    pub sub: String,
    /// DESCRIPTION.
    pub description: String,
    /// Where the row was read (a file of the tree, or the command).
    pub source: String,
}

/// What `collect::kernel_state` read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KernelState {
    /// Every netlink socket (`/proc/net/netlink`).
    pub netlink: Vec<NetlinkSock>,
    /// TCP and UDP socket memory (`/proc/net/sockstat`) with its sysctl limits.
    pub socket_memory: Vec<SocketMemory>,
    /// Free blocks per order, per node and zone (`/proc/buddyinfo`).
    pub buddyinfo: Vec<Buddy>,
}

/// One netlink socket.
#[derive(Debug, Clone, PartialEq)]
pub struct NetlinkSock {
    /// `Eth`: the netlink protocol (0 = NETLINK_ROUTE, 4 = NETLINK_SOCK_DIAG…).
    pub protocol: u32,
    /// `Pid`: the port id (the process id for a process's first socket, by default).
    pub port_id: i64,
    /// Messages the kernel could not queue to it (its receive buffer was full).
    pub drops: u64,
    /// Socket inode, to find its owners.
    pub inode: u64,
    /// Processes holding it (name, pid), read only for sockets that dropped.
    pub owners: Vec<(String, i32)>,
}

/// Memory pages of one protocol's sockets and `net.ipv4.PROTO_mem` (`min pressure max`).
#[derive(Debug, Clone, PartialEq)]
pub struct SocketMemory {
    /// `tcp` or `udp`.
    pub protocol: String,
    /// Pages in use (`mem` of its `sockstat` line).
    pub pages: u64,
    /// `min pressure max` pages, when the sysctl was readable.
    pub limits: Option<[u64; 3]>,
}

/// One `/proc/buddyinfo` row.
#[derive(Debug, Clone, PartialEq)]
pub struct Buddy {
    /// NUMA node.
    pub node: u32,
    /// Zone name (`DMA`, `DMA32`, `Normal`, `Movable`).
    pub zone: String,
    /// Free blocks of 2^order pages, order 0 first.
    pub free: Vec<u64>,
}

/// One kind of event about one culprit, seen `count` times in the logs.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEvent {
    /// The finding id it supports (`oom_kill`, `service_failed`…), see
    /// [`crate::findings::catalogue`].
    pub id: &'static str,
    /// The process, device, unit or port the lines name; empty when they name none.
    pub culprit: String,
    /// What else the lines say (`pid 4242, constraint CONSTRAINT_MEMCG`).
    pub detail: Option<String>,
    /// Counting lines (supporting lines such as `oom-kill:constraint=` add none); at least 1.
    pub count: usize,
    /// Time of the first and the last matching line, when the lines had one.
    pub first: Option<Time>,
    /// See `first`.
    pub last: Option<Time>,
    /// The matching lines as `TIME message`: the first few and the last one.
    pub lines: Vec<String>,
}

/// What `adjtimex(2)` said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockState {
    /// The return value (`TIME_OK`, …, `TIME_ERROR` = 5).
    pub state: i32,
    /// The status bits (`STA_UNSYNC` = 0x40).
    pub status: i32,
    /// Maximum error, microseconds.
    pub max_error_us: i64,
}

impl Facts {
    /// Mask secrets in the log lines and culprits (see [`crate::redact`]).
    pub fn redact(&mut self) {
        use crate::redact::redact_in_place as r;
        for e in &mut self.log_events {
            r(true, &mut e.culprit);
            crate::redact::redact_lines(true, e.lines.iter_mut());
        }
    }
}
