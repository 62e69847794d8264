//! The listening TCP ports of a history sample: a LISTEN-only `sock_diag` netlink dump
//! ([`crate::collect::network::tcp_listeners`], `/proc/net/tcp{,6}` under `--root`), and
//! the owning process names from a `/proc/*/fd` pass (`proc_pid_fd(5)`) that runs only when
//! a listening socket appeared since the previous pass, at most every
//! [`OWNER_SCAN_MIN_GAP`].

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::collect::network::{self, Sock};
use crate::host_root::HostRoot;

/// Least time between two `/proc/*/fd` passes for listener owners: a host that opens
/// listening sockets all the time (test runners, FTP passive ports) would otherwise pay
/// for a pass every sample; meanwhile new listeners are recorded without an owner.
pub(crate) const OWNER_SCAN_MIN_GAP: Duration = Duration::from_secs(30);

/// One listening TCP port.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ListenPort {
    /// Local port.
    pub port: u16,
    /// The owning process's name (`comm`), when known (without root, other users'
    /// sockets have none).
    pub process: Option<String>,
}

/// Reads the listening ports sample after sample, remembering socket owners.
#[derive(Debug)]
pub struct Listeners {
    /// Listening socket inode → owner name, from the last `/proc/*/fd` pass.
    owners: HashMap<u64, Option<String>>,
    /// When that pass ran.
    scanned: Option<Instant>,
    /// [`OWNER_SCAN_MIN_GAP`] (shorter in tests).
    gap: Duration,
}

impl Default for Listeners {
    fn default() -> Self {
        Listeners {
            owners: HashMap::new(),
            scanned: None,
            gap: OWNER_SCAN_MIN_GAP,
        }
    }
}

impl Listeners {
    /// The TCP ports listening now with their owners' names; `None` (and a problem) when
    /// no socket table could be read. Listeners rarely change, so most samples cost one
    /// small netlink dump; a socket whose owner could not be found stays unnamed rather
    /// than causing a pass each time.
    pub fn take(&mut self, root: &HostRoot, problems: &mut Vec<String>) -> Option<Vec<ListenPort>> {
        let (socks, more) = match network::tcp_listeners(root) {
            Ok(r) => r,
            Err(e) => {
                problems.push(e.to_string());
                return None;
            }
        };
        problems.extend(more);
        let new = socks
            .iter()
            .any(|s| s.inode != 0 && !self.owners.contains_key(&s.inode));
        let due = self.scanned.is_none_or(|t| t.elapsed() >= self.gap);
        if new && due {
            self.scanned = Some(Instant::now());
            let owners = network::Owners::scan(root).unwrap_or_default();
            self.owners = socks
                .iter()
                .map(|s| (s.inode, owners.of(s.inode).map(|o| o.name.clone())))
                .collect();
        } else {
            self.owners
                .retain(|inode, _| socks.iter().any(|s| s.inode == *inode));
        }
        Some(listen_ports(&socks, &self.owners))
    }
}

/// One entry per port, ascending; a port held by several sockets (tcp and tcp6, several
/// addresses) is named after the first one with a known owner.
pub(crate) fn listen_ports(
    socks: &[Sock],
    owners: &HashMap<u64, Option<String>>,
) -> Vec<ListenPort> {
    let mut out: Vec<ListenPort> = socks
        .iter()
        .map(|s| ListenPort {
            port: s.local.port(),
            process: owners.get(&s.inode).cloned().flatten(),
        })
        .collect();
    // Named entries first within a port, so dedup keeps a name when there is one.
    out.sort_by(|a, b| {
        a.port
            .cmp(&b.port)
            .then(b.process.is_some().cmp(&a.process.is_some()))
    });
    out.dedup_by_key(|l| l.port);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(l: &mut Listeners) -> Vec<ListenPort> {
        let mut problems = Vec::new();
        l.take(&HostRoot::live(), &mut problems).unwrap()
    }

    #[test]
    fn a_new_listener_is_recorded_with_its_owner() {
        let mut l = Listeners {
            gap: Duration::ZERO,
            ..Listeners::default()
        };
        let before = ports(&mut l);
        let ours = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = ours.local_addr().unwrap().port();
        assert!(!before.iter().any(|l| l.port == port));
        let after = ports(&mut l);
        let mine = after.iter().find(|l| l.port == port).unwrap();
        // This test process holds it: its name is known even without root.
        assert!(mine.process.is_some(), "{mine:?}");
        drop(ours);
        assert!(!ports(&mut l).iter().any(|l| l.port == port));
        // Within the gap, a new listener is recorded without its owner, then named.
        l.gap = Duration::from_secs(3600);
        let again = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = again.local_addr().unwrap().port();
        let unnamed = ports(&mut l);
        let mine = unnamed.iter().find(|l| l.port == port).unwrap();
        assert!(mine.process.is_none(), "{mine:?}");
        l.gap = Duration::ZERO;
        let named = ports(&mut l);
        assert!(named.iter().any(|l| l.port == port && l.process.is_some()));
    }

    #[test]
    fn listen_ports_dedup_by_port_keeping_a_name() {
        let sock = |table, addr: &str, inode| Sock {
            table,
            state: network::TCP_LISTEN,
            local: addr.parse().unwrap(),
            remote: "0.0.0.0:0".parse().unwrap(),
            recv_q: 0,
            send_q: None,
            uid: 0,
            inode,
        };
        let socks = [
            sock(network::Table::Tcp6, "[::]:5432", 1),
            sock(network::Table::Tcp4, "0.0.0.0:5432", 2),
            sock(network::Table::Tcp4, "127.0.0.1:22", 3),
        ];
        let owners = HashMap::from([(1, None), (2, Some("postgres".to_string()))]);
        let ports = listen_ports(&socks, &owners);
        assert_eq!(
            ports,
            vec![
                ListenPort {
                    port: 22,
                    process: None
                },
                ListenPort {
                    port: 5432,
                    process: Some("postgres".into())
                },
            ]
        );
    }
}
