//! Just the TCP listeners, cheaply, for the history recorder: a `NETLINK_SOCK_DIAG` dump
//! that asks the kernel for LISTEN sockets only (`idiag_states = 1 << TCP_LISTEN`, see
//! `sock_diag(7)`), so it costs a few records however many connections the host has.
//! Under `--root`, or where netlink refuses, `/proc/net/tcp{,6}` (`proc_net(5)`) is read
//! and filtered to state `0A`.

use super::{netlink, procnet, Sock, Table, TCP_LISTEN};
use crate::error::{Error, Result};
use crate::host_root::HostRoot;

/// The TCP (IPv4 and IPv6) listening sockets of `root`, and a problem worth a log line
/// when a table had to be read from `/proc/net` instead of netlink or could not be read.
/// `Err` when neither table could be read. A socket may be listed twice (a netlink dump
/// that failed part-way, then the file): key the result by port.
pub fn tcp_listeners(root: &HostRoot) -> Result<(Vec<Sock>, Vec<String>)> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut read = 0usize;
    for table in [Table::Tcp4, Table::Tcp6] {
        let mut keep = |s: &Sock| {
            if s.state == TCP_LISTEN {
                out.push(s.clone());
            }
        };
        if root.is_live() {
            match netlink::dump_states(table, 1 << TCP_LISTEN, &mut keep) {
                Ok(_) => {
                    read += 1;
                    continue;
                }
                // Even after a partial dump: the file is complete, and the caller keeps
                // one entry per port, so sockets seen twice do no harm.
                Err(e) => problems.push(format!(
                    "{e}; read {} instead",
                    root.proc(table.proc_file()).display()
                )),
            }
        }
        match procnet::read(root, table, &mut keep) {
            Ok(_) => read += 1,
            Err(e) if e.is_not_found() => {} // no IPv6, or not in the tree
            Err(e) => problems.push(e.to_string()),
        }
    }
    if read == 0 {
        return Err(Error::Unavailable(format!(
            "neither net/tcp nor net/tcp6 could be read under {}",
            root.proc_dir().display()
        )));
    }
    Ok((out, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_from_a_root_tree_are_listen_state_only() {
        let dir = tempfile::tempdir().unwrap();
        let net = dir.path().join("proc/net");
        std::fs::create_dir_all(&net).unwrap();
        std::fs::write(
            net.join("tcp"),
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
             \x20  0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0\n\
             \x20  1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 1002 1 0 20 4 30 10 -1\n",
        )
        .unwrap();
        let root = HostRoot::new(dir.path()).unwrap();
        let (socks, problems) = tcp_listeners(&root).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(socks.len(), 1);
        assert_eq!(socks[0].local.port(), 22);
        assert_eq!(socks[0].inode, 1001);
        let empty = tempfile::tempdir().unwrap();
        assert!(tcp_listeners(&HostRoot::new(empty.path()).unwrap()).is_err());
    }

    #[test]
    fn live_listen_dump_works() {
        let ours = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = ours.local_addr().unwrap().port();
        let _connected = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (socks, _) = tcp_listeners(&HostRoot::live()).unwrap();
        assert!(socks
            .iter()
            .all(|s| s.state == TCP_LISTEN && s.table.is_tcp()));
        assert_eq!(socks.iter().filter(|s| s.local.port() == port).count(), 1);
    }
}
