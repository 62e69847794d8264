//! `network`: listening sockets and connections with their owning processes, the answers
//! `netstat -tlnp` and `netstat -taopen` give, in one pass and faster than `ss -tanp`.
//!
//! Sources, in order:
//! - live host: the kernel's socket tables over `NETLINK_SOCK_DIAG` (`netlink.rs`,
//!   `sock_diag(7)`), one dump per table (tcp, tcp6, udp, udp6);
//! - a table netlink refuses (no `inet_diag`/`udp_diag`, a seccomp filter), and every table
//!   under `--root`: `/proc/net/{tcp,tcp6,udp,udp6}` (`procnet.rs`, `proc_net(5)`); a
//!   fallback on the live host is said in `warnings[]`;
//! - owners: one pass over `/proc/*/fd` (`owners.rs`, `proc_pid_fd(5)`); user names from the
//!   root's `/etc/passwd`, by the socket's uid (known even without root).
//!
//! The owners pass runs on its own thread while the tables are read. Sockets are aggregated
//! as they stream in (`tally.rs`): only listeners and per-key counts are kept, never a list
//! of socket records, so 100k connections cost counters, not records.

mod listening;
mod netlink;
mod owners;
mod procnet;
pub(crate) mod sos;
mod tally;

use std::net::SocketAddr;

use super::Ctx;
use crate::error::{Error, Result};
use crate::snapshot::{Connections, Listener};

pub use listening::tcp_listeners;
pub use owners::{Owner, Owners};
#[cfg(test)]
pub(crate) use procnet::parse_line as parse_proc_net_line;

/// The kernel's `TCP_LISTEN` state.
pub(crate) const TCP_LISTEN: u8 = 10;
/// The kernel's `TCP_CLOSE` state (an unconnected UDP socket).
pub(crate) const TCP_CLOSE: u8 = 7;

/// The network section: listeners and connection counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Network {
    /// Listening sockets.
    pub listeners: Vec<Listener>,
    /// Connection counts.
    pub connections: Connections,
}

/// One of the four socket tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// TCP over IPv4.
    Tcp4,
    /// TCP over IPv6 (and dual-stack sockets).
    Tcp6,
    /// UDP over IPv4.
    Udp4,
    /// UDP over IPv6.
    Udp6,
}

impl Table {
    /// Every table, in the order they are read.
    pub const ALL: [Table; 4] = [Table::Tcp4, Table::Tcp6, Table::Udp4, Table::Udp6];

    /// The `protocol` name in the snapshot: `tcp`, `tcp6`, `udp`, `udp6`.
    pub fn name(self) -> &'static str {
        match self {
            Table::Tcp4 => "tcp",
            Table::Tcp6 => "tcp6",
            Table::Udp4 => "udp",
            Table::Udp6 => "udp6",
        }
    }

    /// The file under `/proc` that holds this table.
    pub fn proc_file(self) -> String {
        format!("net/{}", self.name())
    }

    /// True for TCP.
    pub fn is_tcp(self) -> bool {
        matches!(self, Table::Tcp4 | Table::Tcp6)
    }

    /// True for IPv6.
    pub fn is_v6(self) -> bool {
        matches!(self, Table::Tcp6 | Table::Udp6)
    }

    fn family(self) -> u8 {
        if self.is_v6() {
            libc::AF_INET6 as u8
        } else {
            libc::AF_INET as u8
        }
    }

    fn ip_protocol(self) -> u8 {
        if self.is_tcp() {
            libc::IPPROTO_TCP as u8
        } else {
            libc::IPPROTO_UDP as u8
        }
    }
}

/// One socket as read from either source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sock {
    /// The table it came from.
    pub table: Table,
    /// Kernel state number (`TCP_ESTABLISHED` = 1 … `TCP_CLOSING` = 11).
    pub state: u8,
    /// Local address and port.
    pub local: SocketAddr,
    /// Remote address and port (unspecified when not connected).
    pub remote: SocketAddr,
    /// LISTEN: accept queue length; otherwise bytes queued for reading.
    pub recv_q: u64,
    /// LISTEN: backlog (netlink only); otherwise bytes queued for sending.
    pub send_q: Option<u64>,
    /// The socket's owner uid.
    pub uid: u32,
    /// Socket inode (0 for TIME_WAIT and request sockets).
    pub inode: u64,
}

/// Where the socket tables are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Netlink on the live host with a per-table fallback to `/proc/net`; `/proc/net` under
    /// `--root`.
    Auto,
    /// Netlink only (live host); an error when it fails.
    Netlink,
    /// `/proc/net/*` files only.
    ProcNet,
}

/// Collect listeners and connections (see the module documentation).
pub fn collect(ctx: &Ctx) -> Result<Network> {
    collect_with(ctx, Source::Auto)
}

/// Collect listeners and connections from `source`.
pub fn collect_with(ctx: &Ctx, source: Source) -> Result<Network> {
    let use_netlink = match source {
        Source::Auto => ctx.root.is_live(),
        Source::Netlink if !ctx.root.is_live() => {
            return Err(Error::Unavailable(
                "netlink reads the running host's sockets, not a --root tree".into(),
            ))
        }
        Source::Netlink => true,
        Source::ProcNet => false,
    };
    let users = super::users::user_names(ctx);
    // The owners pass and the socket tables are independent: read both at once.
    let (owners, tally) = std::thread::scope(|s| {
        let scan = std::thread::Builder::new()
            .name("triage-network-owners".into())
            .spawn_scoped(s, || Owners::scan(&ctx.root));
        let tally = read_tables(ctx, source, use_netlink, &users);
        let owners = match scan {
            Ok(handle) => handle.join().ok().and_then(|r| r.ok()),
            Err(_) => Owners::scan(&ctx.root).ok(),
        };
        (owners.unwrap_or_default(), tally)
    });
    let tally = match tally {
        Err(e) if !ctx.root.is_live() => return from_sos(ctx, &users).ok_or(e),
        t => t?,
    };
    if owners.denied > 0 {
        ctx.warn(format!(
            "the open files of {} process(es) could not be read: run as root to see the \
             owners of other users' sockets",
            owners.denied
        ));
    }
    Ok(tally.finish(&owners))
}

/// A saved tree without socket tables: the sockets of its `netstat`/`ss` output, owned
/// by the processes that output named.
fn from_sos(ctx: &Ctx, users: &std::collections::HashMap<u32, String>) -> Option<Network> {
    let (file, rows) = sos::read(|rel| ctx.root.read_string(rel).ok())?;
    let mut tally = tally::Tally::new(users);
    let mut pairs = Vec::new();
    for (i, mut r) in rows.into_iter().enumerate() {
        if let Some((pid, name)) = r.owner.take() {
            if r.sock.inode == 0 {
                // `ss -p` without `-e` prints no inode: a row-unique key stands in.
                r.sock.inode = u64::MAX - i as u64;
            }
            pairs.push((r.sock.inode, pid, name));
        }
        tally.add(&r.sock);
    }
    ctx.warn(format!(
        "no proc/net socket tables in this tree; sockets and their owners from {file}"
    ));
    Some(tally.finish(&Owners::from_pairs(pairs)))
}

/// Stream every table from `source` into a tally.
fn read_tables<'a>(
    ctx: &Ctx,
    source: Source,
    use_netlink: bool,
    users: &'a std::collections::HashMap<u32, String>,
) -> Result<tally::Tally<'a>> {
    let mut tally = tally::Tally::new(users);
    let mut fell_back: Vec<(Table, String)> = Vec::new();
    let mut tables_read = 0usize;
    for table in Table::ALL {
        if use_netlink {
            match netlink::dump(table, |s| tally.add(s)) {
                Ok(_) => {
                    tables_read += 1;
                    continue;
                }
                Err(e) if e.delivered > 0 => {
                    ctx.warn(format!(
                        "{e}: the {} dump stopped after {} sockets; counts are partial",
                        table.name(),
                        e.delivered
                    ));
                    tables_read += 1;
                    continue;
                }
                Err(e) if source == Source::Netlink => {
                    return Err(Error::Unavailable(format!("{} table: {e}", table.name())));
                }
                Err(e) => fell_back.push((table, e.to_string())),
            }
        }
        match procnet::read(&ctx.root, table, |s| tally.add(s)) {
            Ok(stats) => {
                tables_read += 1;
                if let Some(w) = stats.warning() {
                    ctx.warn(w);
                }
            }
            Err(e) if e.is_not_found() => {} // no IPv6 on this host, or not in the tree
            Err(e) => ctx.warn(e.to_string()),
        }
    }
    if let Some((_, why)) = fell_back.first() {
        let files: Vec<String> = fell_back
            .iter()
            .map(|(t, _)| ctx.root.proc(t.proc_file()).display().to_string())
            .collect();
        ctx.warn(format!("{why}; read {} instead", files.join(", ")));
    }
    if tables_read == 0 {
        return Err(Error::Unavailable(format!(
            "no socket table could be read (none of net/tcp, net/tcp6, net/udp, net/udp6 \
             under {})",
            ctx.root.proc_dir().display()
        )));
    }
    Ok(tally)
}
