//! Socket tables straight from the kernel over `NETLINK_SOCK_DIAG` (see `sock_diag(7)`):
//! one `inet_diag` dump per family and protocol, the interface `ss` uses. Messages are
//! framed by `netlink-packet-core` and decoded by `netlink-packet-sock-diag`; only the
//! fixed `inet_diag_msg` header is decoded (no attributes are asked for), and each socket
//! is handed to the caller as it is read, so nothing grows with the number of sockets.
//!
//! Needs `CONFIG_INET_DIAG` (and `udp_diag` for UDP); where the kernel says no, the
//! caller falls back to `/proc/net/*` (`procnet.rs`).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use netlink_packet_core::{
    DoneBuffer, ErrorBuffer, NetlinkBuffer, NetlinkHeader, NetlinkMessage, Parseable, NLMSG_DONE,
    NLMSG_ERROR, NLM_F_DUMP, NLM_F_REQUEST,
};
use netlink_packet_sock_diag::inet::{
    ExtensionFlags, InetRequest, InetResponseHeader, SocketId, StateFlags,
};
use netlink_packet_sock_diag::{SockDiagMessage, SOCK_DIAG_BY_FAMILY};
use netlink_sys::{protocols::NETLINK_SOCK_DIAG, Socket, SocketAddr as NetlinkAddr};

use super::{Sock, Table};

/// How long one `recv` may wait for the kernel before the dump is given up.
const RECV_TIMEOUT: Duration = Duration::from_secs(1);
/// The kernel fills at most 32 KiB per dump round; a bigger buffer is never used.
const RECV_BUFFER: usize = 32 * 1024;
/// Every TCP state, including `TCP_NEW_SYN_RECV` (12), as `ss` asks.
const ALL_STATES: u32 = (1 << 13) - 1;

/// A dump that failed, after `delivered` sockets had already been handed over.
#[derive(Debug)]
pub(crate) struct DumpError {
    /// Sockets handed to the callback before the failure.
    pub delivered: usize,
    /// What went wrong.
    pub error: io::Error,
}

impl std::fmt::Display for DumpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "netlink sock_diag: {}", self.error)
    }
}

/// Dump every socket of `table`, calling `each` for each one as it is read. Returns how
/// many sockets were seen.
pub fn dump(table: Table, each: impl FnMut(&Sock)) -> Result<usize, DumpError> {
    dump_states(table, ALL_STATES, each)
}

/// Dump the sockets of `table` whose state is in `states` (bit `1 << state`, the
/// `idiag_states` filter: the kernel skips the others, so asking for LISTEN only costs a
/// few records however many connections there are).
pub(crate) fn dump_states(
    table: Table,
    states: u32,
    mut each: impl FnMut(&Sock),
) -> Result<usize, DumpError> {
    let mut delivered = 0usize;
    dump_inner(table, states, &mut each, &mut delivered)
        .map_err(|error| DumpError { delivered, error })
}

fn dump_inner(
    table: Table,
    states: u32,
    each: &mut impl FnMut(&Sock),
    delivered: &mut usize,
) -> io::Result<usize> {
    let mut socket = Socket::new(NETLINK_SOCK_DIAG)?;
    socket.bind_auto()?;
    socket.connect(&NetlinkAddr::new(0, 0))?;
    nix::sys::socket::setsockopt(
        &socket,
        nix::sys::socket::sockopt::ReceiveTimeout,
        &nix::sys::time::TimeVal::new(RECV_TIMEOUT.as_secs() as _, 0),
    )
    .map_err(io::Error::from)?;

    let request = request(table, states);
    socket.send(&request, 0)?;

    let mut buf = vec![0u8; RECV_BUFFER];
    loop {
        let n = match socket.recv(&mut &mut buf[..], 0) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no answer within {} ms", RECV_TIMEOUT.as_millis()),
                ))
            }
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the kernel closed the dump",
            ));
        }
        let mut chunk = buf.get(..n.min(buf.len())).unwrap_or_default();
        while !chunk.is_empty() {
            let msg = NetlinkBuffer::new_checked(chunk).map_err(invalid)?;
            let len = msg.length() as usize;
            match msg.message_type() {
                NLMSG_DONE => {
                    // A dump that failed in the kernel ends with a negative errno here.
                    let code = DoneBuffer::new_checked(msg.payload())
                        .map(|d| d.code())
                        .unwrap_or(0);
                    if code < 0 {
                        return Err(io::Error::from_raw_os_error(-code));
                    }
                    return Ok(*delivered);
                }
                NLMSG_ERROR => {
                    let code = ErrorBuffer::new_checked(msg.payload())
                        .map_err(invalid)?
                        .code()
                        .map(|c| c.get())
                        .unwrap_or(0);
                    if code != 0 {
                        return Err(io::Error::from_raw_os_error(-code));
                    }
                }
                SOCK_DIAG_BY_FAMILY => {
                    let header = InetResponseHeader::parse(msg.payload()).map_err(invalid)?;
                    each(&sock(table, &header));
                    *delivered += 1;
                }
                _ => {}
            }
            let advance = (len + 3) & !3;
            if len == 0 || advance > chunk.len() {
                break;
            }
            chunk = chunk.get(advance..).unwrap_or_default();
        }
    }
}

/// The `inet_diag_req_v2` dump request for `table`, serialized.
fn request(table: Table, states: u32) -> Vec<u8> {
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    header.sequence_number = 1;
    let mut packet = NetlinkMessage::new(
        header,
        SockDiagMessage::InetRequest(InetRequest {
            family: table.family(),
            protocol: table.ip_protocol(),
            extensions: ExtensionFlags::empty(),
            states: StateFlags::from_bits_retain(states),
            socket_id: if table.is_v6() {
                SocketId::new_v6()
            } else {
                SocketId::new_v4()
            },
        })
        .into(),
    );
    packet.finalize();
    let mut buf = vec![0u8; packet.buffer_len()];
    packet.serialize(&mut buf);
    buf
}

fn sock(table: Table, h: &InetResponseHeader) -> Sock {
    let id = &h.socket_id;
    Sock {
        table,
        state: h.state,
        local: SocketAddr::new(id.source_address, id.source_port),
        remote: SocketAddr::new(id.destination_address, id.destination_port),
        recv_q: u64::from(h.recv_queue),
        send_q: Some(u64::from(h.send_queue)),
        uid: h.uid,
        inode: u64::from(h.inode),
    }
}

fn invalid(e: netlink_packet_core::DecodeError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}
