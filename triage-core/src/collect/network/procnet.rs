//! Socket tables from `/proc/net/{tcp,tcp6,udp,udp6}` (see `proc_net(5)` and the kernel's
//! `Documentation/networking/proc_net_tcp.rst`): the fallback when netlink is unavailable,
//! and the only source under `--root` (fixtures and sosreports have no netlink).
//!
//! Each line is parsed by `procfs-core` (`TcpNetEntries`/`UdpNetEntries`), one line at a
//! time as the file streams in, so 100k sockets cost one line of memory, and a garbled line
//! costs that line only: it is counted and skipped, never fatal.
//!
//! `/proc/net/tcp` has no backlog for listening sockets (its `tx_queue` is 0 there), so a
//! listener read from here has `send_q` unknown; its `recv_q` is the accept queue, as in `ss`.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;

use procfs_core::{ExplicitSystemInfo, FromBufReadSI};

use super::{Sock, Table, TCP_LISTEN};
use crate::error::{Error, Result};
use crate::host_root::HostRoot;

/// Longest line accepted; a real one is under 200 bytes.
const MAX_LINE: u64 = 4096;

/// What reading one file gave.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct FileStats {
    /// The file read.
    pub path: PathBuf,
    /// Sockets parsed.
    pub sockets: usize,
    /// Lines that could not be parsed and were skipped.
    pub garbled: usize,
    /// The first garbled line's number (1-based).
    pub first_garbled: Option<usize>,
}

impl FileStats {
    /// The warning for the garbled lines, if any.
    pub fn warning(&self) -> Option<String> {
        let first = self.first_garbled?;
        Some(format!(
            "{}: {} garbled line(s) skipped (first at line {first})",
            self.path.display(),
            self.garbled
        ))
    }
}

/// Parse one line (not the header) of `table`'s file; `None` when it is garbled.
pub fn parse_line(table: Table, line: &str) -> Option<Sock> {
    let info = system_info();
    // procfs-core parses a whole file and skips its header line: give it a blank header.
    let reader = (&b"\n"[..]).chain(line.as_bytes());
    let sock = if table.is_tcp() {
        let e = procfs_core::net::TcpNetEntries::from_buf_read(reader, &info)
            .ok()?
            .0
            .pop()?;
        let state = e.state.to_u8();
        Sock {
            table,
            state,
            local: e.local_address,
            remote: e.remote_address,
            recv_q: u64::from(e.rx_queue),
            send_q: (state != TCP_LISTEN).then_some(u64::from(e.tx_queue)),
            uid: e.uid,
            inode: e.inode,
        }
    } else {
        let e = procfs_core::net::UdpNetEntries::from_buf_read(reader, &info)
            .ok()?
            .0
            .pop()?;
        Sock {
            table,
            state: e.state.to_u8(),
            local: e.local_address,
            remote: e.remote_address,
            recv_q: u64::from(e.rx_queue),
            send_q: Some(u64::from(e.tx_queue)),
            uid: e.uid,
            inode: e.inode,
        }
    };
    (family_matches(table, &sock.local) && family_matches(table, &sock.remote)).then_some(sock)
}

fn family_matches(table: Table, addr: &SocketAddr) -> bool {
    addr.is_ipv6() == table.is_v6()
}

fn system_info() -> ExplicitSystemInfo {
    ExplicitSystemInfo {
        boot_time_secs: 0,
        ticks_per_second: 100,
        page_size: 4096,
        is_little_endian: cfg!(target_endian = "little"),
    }
}

/// Stream `table`'s file under `root`, calling `each` for every socket. A missing file is
/// an error for which [`Error::is_not_found`] holds (no IPv6 on this host).
pub fn read(root: &HostRoot, table: Table, mut each: impl FnMut(&Sock)) -> Result<FileStats> {
    let path = root.proc(table.proc_file());
    let file = HostRoot::open_regular(&path)?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut stats = FileStats {
        path: path.clone(),
        ..FileStats::default()
    };
    let mut line = Vec::with_capacity(256);
    let mut number = 0usize;
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE)
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io(&path, e))?;
        if n == 0 {
            break;
        }
        number += 1;
        if line.last() != Some(&b'\n') && n as u64 == MAX_LINE {
            // An absurdly long line: skip the rest of it.
            let mut rest = Vec::new();
            let _ = reader.read_until(b'\n', &mut rest);
        }
        let text = std::str::from_utf8(&line).unwrap_or("");
        if number == 1 || text.trim().is_empty() {
            continue; // header
        }
        match parse_line(table, text.trim_end()) {
            Some(sock) => {
                stats.sockets += 1;
                each(&sock);
            }
            None => {
                stats.garbled += 1;
                stats.first_garbled.get_or_insert(number);
            }
        }
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    const TCP_LISTEN_LINE: &str = "   1: 00000000:0016 00000000:0000 0A 00000000:00000005 00:00000000 00000000     0        0 2740 1 ffff88003d3af3c0 100 0 0 10 0";

    #[test]
    fn tcp_listener_line() {
        let s = parse_line(Table::Tcp4, TCP_LISTEN_LINE).unwrap();
        assert_eq!(s.local, SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 22));
        assert_eq!(s.state, TCP_LISTEN);
        assert_eq!(s.recv_q, 5);
        assert_eq!(s.send_q, None, "no backlog in /proc/net/tcp");
        assert_eq!(s.inode, 2740);
    }

    #[test]
    fn tcp_connection_line_is_little_endian_hex() {
        // 10.0.0.5:22 <- 192.168.1.20:51000, ESTABLISHED, 3 bytes to send, uid 1000.
        let line = "   2: 0500000A:0016 1401A8C0:C738 01 00000003:00000000 02:000AFC2C 00000000  1000        0 98765 4 0000000000000000 20 4 30 10 -1";
        let s = parse_line(Table::Tcp4, line).unwrap();
        assert_eq!(s.local.ip(), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)));
        assert_eq!(s.remote, "192.168.1.20:51000".parse().unwrap());
        assert_eq!(s.state, 1);
        assert_eq!(s.send_q, Some(3));
        assert_eq!(s.uid, 1000);
    }

    #[test]
    fn tcp6_loopback_and_v4_mapped() {
        let line = "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0";
        let s = parse_line(Table::Tcp6, line).unwrap();
        assert_eq!(s.local, SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 8080));
        // ::ffff:127.0.0.1 is printed as words 0, 0, 0xFFFF0000 (LE), 0x0100007F.
        let line = "   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4243 1 0000000000000000 20 4 30 10 -1";
        let s = parse_line(Table::Tcp6, line).unwrap();
        let mapped: Ipv6Addr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(s.local.ip(), IpAddr::V6(mapped));
        assert_eq!(s.remote.port(), 0xD431);
    }

    #[test]
    fn garbled_lines_are_none() {
        for bad in [
            "",
            "garbage",
            "   1: 00000000:0016 00000000:0000 0A",
            "   1: 0000000Z:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1",
            "   1: 00000000:0016 00000000:0000 FF 00000000:00000000 00:00000000 00000000 0 0 1 1",
        ] {
            assert!(parse_line(Table::Tcp4, bad).is_none(), "{bad:?}");
        }
        // A v6 address in the v4 table is garbage too.
        let v6 = "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1";
        assert!(parse_line(Table::Tcp4, v6).is_none());
    }

    #[test]
    fn udp_line() {
        let line = "  98: 00000000:0044 00000000:0000 07 00000000:00000200 00:00000000 00000000     0        0 17000 2 0000000000000000 0";
        let s = parse_line(Table::Udp4, line).unwrap();
        assert_eq!(s.local.port(), 68);
        assert_eq!(s.state, 7);
        assert_eq!(s.recv_q, 0x200);
    }
}
