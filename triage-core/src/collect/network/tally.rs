//! Aggregation while sockets stream in: listeners are kept (they are few), connections
//! only as counters by state, remote address and local port, plus each connection's inode
//! (8 bytes) so owners can be counted once the `/proc/*/fd` pass, which runs at the same
//! time, is done. Memory grows with the number of distinct keys, never with a list of
//! socket records.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use super::{Network, Owners, Sock, Table, TCP_CLOSE, TCP_LISTEN};
use crate::snapshot::{Connections, Listener, PortCount, ProcessCount, RemoteCount};

/// How many entries each top list keeps.
pub const TOP: usize = 10;

/// The kernel's TCP state names, indexed by state number (`include/net/tcp_states.h`).
const STATE_NAMES: [&str; 12] = [
    "",
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECV",
    "FIN_WAIT1",
    "FIN_WAIT2",
    "TIME_WAIT",
    "CLOSE",
    "CLOSE_WAIT",
    "LAST_ACK",
    "LISTEN",
    "CLOSING",
];
/// `TCP_NEW_SYN_RECV`: a request socket, shown as SYN_RECV like `ss` does.
const TCP_NEW_SYN_RECV: u8 = 12;

/// Running counts over the sockets seen so far.
pub(crate) struct Tally<'a> {
    users: &'a HashMap<u32, String>,
    by_state: [u64; 12],
    remote: HashMap<IpAddr, u64>,
    local_ports: HashMap<u16, u64>,
    connection_inodes: Vec<u64>,
    listeners: Vec<(Listener, u64)>,
}

impl<'a> Tally<'a> {
    /// An empty tally naming uids with `users`.
    pub fn new(users: &'a HashMap<u32, String>) -> Self {
        Tally {
            users,
            by_state: [0; 12],
            remote: HashMap::new(),
            local_ports: HashMap::new(),
            connection_inodes: Vec::new(),
            listeners: Vec::new(),
        }
    }

    /// Count one socket.
    pub fn add(&mut self, s: &Sock) {
        if s.table.is_tcp() {
            let state = if s.state == TCP_NEW_SYN_RECV {
                3
            } else {
                s.state
            };
            if let Some(n) = self.by_state.get_mut(state as usize) {
                *n += 1;
            }
            if state == TCP_LISTEN {
                self.listener(s);
                return;
            }
            let remote = shown_ip(s.remote.ip());
            if !remote.is_unspecified() {
                *self.remote.entry(remote).or_default() += 1;
            }
            if s.local.port() != 0 {
                *self.local_ports.entry(s.local.port()).or_default() += 1;
            }
            if s.inode != 0 {
                self.connection_inodes.push(s.inode);
            }
        } else if s.state == TCP_CLOSE && s.local.port() != 0 {
            self.listener(s);
        }
    }

    fn listener(&mut self, s: &Sock) {
        let listener = Listener {
            protocol: s.table.name().to_string(),
            address: shown_ip(s.local.ip()).to_string(),
            port: s.local.port(),
            pid: None,
            process: None,
            user: Some(
                self.users
                    .get(&s.uid)
                    .cloned()
                    .unwrap_or_else(|| s.uid.to_string()),
            ),
            recv_q: Some(s.recv_q),
            send_q: s.send_q,
        };
        self.listeners.push((listener, s.inode));
    }

    /// The section, with owners from `owners`: listeners sorted by protocol then port
    /// (SO_REUSEPORT duplicates of one process merged, keeping the fullest queue), and the
    /// connection counts.
    pub fn finish(self, owners: &Owners) -> Network {
        let mut listeners: Vec<Listener> = self
            .listeners
            .into_iter()
            .map(|(mut l, inode)| {
                if let Some(o) = owners.of(inode) {
                    l.pid = Some(o.pid);
                    l.process = Some(o.name.clone());
                }
                l
            })
            .collect();
        listeners.sort_by(|a, b| {
            (table_rank(&a.protocol), a.port, &a.address, a.pid)
                .cmp(&(table_rank(&b.protocol), b.port, &b.address, b.pid))
                .then_with(|| fullness(b).total_cmp(&fullness(a)))
        });
        // Sorted fullest first within a key, so the first of each run is kept.
        listeners.dedup_by(|later, kept| {
            later.protocol == kept.protocol
                && later.port == kept.port
                && later.address == kept.address
                && later.pid == kept.pid
        });

        let by_state: BTreeMap<String, u64> = STATE_NAMES
            .iter()
            .zip(self.by_state)
            .skip(1)
            .map(|(name, n)| (name.to_string(), n))
            .collect();
        let listening = self.by_state[TCP_LISTEN as usize];
        let total = self.by_state.iter().sum::<u64>() - listening;

        let top_remote = top(self.remote)
            .into_iter()
            .map(|(ip, count)| RemoteCount {
                address: ip.to_string(),
                count,
            })
            .collect();
        let top_local_ports = top(self.local_ports)
            .into_iter()
            .map(|(port, count)| PortCount { port, count })
            .collect();
        let mut processes: HashMap<u32, u64> = HashMap::new();
        for inode in self.connection_inodes {
            if let Some(owner) = owners.index_of(inode) {
                *processes.entry(owner).or_default() += 1;
            }
        }
        let mut top_processes: Vec<ProcessCount> = processes
            .into_iter()
            .filter_map(|(i, count)| {
                let o = owners.owner(i)?;
                Some(ProcessCount {
                    pid: o.pid,
                    process: o.name.clone(),
                    count,
                })
            })
            .collect();
        top_processes.sort_by(|a, b| b.count.cmp(&a.count).then(a.pid.cmp(&b.pid)));
        top_processes.truncate(TOP);

        Network {
            listeners,
            connections: Connections {
                total,
                by_state,
                top_remote,
                top_local_ports,
                top_processes,
            },
        }
    }
}

/// The `TOP` keys with the highest counts, ties broken by key.
fn top<K: Ord + Copy>(counts: HashMap<K, u64>) -> Vec<(K, u64)> {
    let mut v: Vec<(K, u64)> = counts.into_iter().collect();
    let by = |a: &(K, u64), b: &(K, u64)| b.1.cmp(&a.1).then(a.0.cmp(&b.0));
    if v.len() > TOP {
        v.select_nth_unstable_by(TOP - 1, by);
        v.truncate(TOP);
    }
    v.sort_by(by);
    v
}

fn table_rank(protocol: &str) -> usize {
    Table::ALL
        .iter()
        .position(|t| t.name() == protocol)
        .unwrap_or(usize::MAX)
}

/// How full a listener's queue is (for keeping the worst of SO_REUSEPORT duplicates).
fn fullness(l: &Listener) -> f64 {
    match (l.recv_q, l.send_q) {
        (Some(r), Some(s)) if s > 0 => r as f64 / s as f64,
        (Some(r), _) => r as f64,
        _ => 0.0,
    }
}

/// An address as users expect it: an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is shown
/// as the IPv4 address.
pub(crate) fn shown_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    fn sock(table: Table, state: u8, local: &str, remote: &str, inode: u64) -> Sock {
        Sock {
            table,
            state,
            local: local.parse().unwrap(),
            remote: remote.parse().unwrap(),
            recv_q: 0,
            send_q: Some(128),
            uid: 0,
            inode,
        }
    }

    #[test]
    fn counts_states_tops_and_listeners() {
        let owners = Owners::default();
        let users = HashMap::from([(0, "root".to_string())]);
        let mut t = Tally::new(&users);
        t.add(&sock(Table::Tcp4, TCP_LISTEN, "0.0.0.0:80", "0.0.0.0:0", 1));
        t.add(&sock(Table::Tcp6, TCP_LISTEN, "[::]:22", "[::]:0", 2));
        for i in 0..5u16 {
            let r = format!("10.0.0.9:{}", 40000 + i);
            t.add(&sock(Table::Tcp4, 1, "10.0.0.1:80", &r, 0));
        }
        t.add(&sock(
            Table::Tcp6,
            8,
            "[::ffff:10.0.0.1]:80",
            "[::ffff:10.0.0.7]:5",
            0,
        ));
        t.add(&sock(
            Table::Tcp4,
            TCP_NEW_SYN_RECV,
            "10.0.0.1:80",
            "10.0.0.8:1",
            0,
        ));
        t.add(&sock(Table::Udp4, TCP_CLOSE, "0.0.0.0:53", "0.0.0.0:0", 3));
        t.add(&sock(Table::Udp4, TCP_CLOSE, "0.0.0.0:0", "0.0.0.0:0", 4));
        t.add(&sock(Table::Udp4, 1, "10.0.0.1:5000", "10.0.0.2:53", 5));
        let net = t.finish(&owners);
        let c = &net.connections;
        assert_eq!(c.total, 7);
        assert_eq!(c.by_state["ESTABLISHED"], 5);
        assert_eq!(c.by_state["CLOSE_WAIT"], 1);
        assert_eq!(c.by_state["SYN_RECV"], 1);
        assert_eq!(c.by_state["LISTEN"], 2);
        assert_eq!(c.by_state.len(), 11);
        assert_eq!(c.top_remote[0].address, "10.0.0.9");
        assert_eq!(c.top_remote[0].count, 5);
        assert!(c.top_remote.iter().any(|r| r.address == "10.0.0.7"));
        assert_eq!(c.top_local_ports[0].port, 80);
        assert_eq!(c.top_local_ports[0].count, 7);
        let shown: Vec<String> = net
            .listeners
            .iter()
            .map(|l| format!("{} {}", l.protocol, l.address_port()))
            .collect();
        assert_eq!(shown, ["tcp 0.0.0.0:80", "tcp6 [::]:22", "udp 0.0.0.0:53"]);
        assert_eq!(net.listeners[0].user.as_deref(), Some("root"));
    }

    #[test]
    fn reuseport_duplicates_keep_the_fullest() {
        let owners = Owners::default();
        let users = HashMap::new();
        let mut t = Tally::new(&users);
        for recv_q in [3, 128, 0] {
            let mut s = sock(Table::Tcp4, TCP_LISTEN, "0.0.0.0:8080", "0.0.0.0:0", 9);
            s.recv_q = recv_q;
            t.add(&s);
        }
        let net = t.finish(&owners);
        assert_eq!(net.listeners.len(), 1);
        assert_eq!(net.listeners[0].recv_q, Some(128));
        assert_eq!(net.listeners[0].user.as_deref(), Some("0"));
        assert_eq!(net.connections.total, 0);
    }

    #[test]
    fn top_keeps_ten_by_count() {
        let counts: HashMap<u16, u64> = (1..=30).map(|p| (p, u64::from(p % 7))).collect();
        let t = top(counts);
        assert_eq!(t.len(), TOP);
        assert!(t.windows(2).all(|w| w[0].1 >= w[1].1));
        assert_eq!(t[0], (6, 6));
    }

    #[test]
    fn mapped_addresses_show_as_v4() {
        let a: SocketAddr = "[::ffff:192.0.2.1]:1".parse().unwrap();
        assert_eq!(shown_ip(a.ip()).to_string(), "192.0.2.1");
    }
}
