//! A sosreport without `proc/net/{tcp,udp}*`: the sockets of its saved `netstat -neopa` or
//! `ss -peaonmi`/`ss -tulpn`/`ss -tupna` output, with the owners those commands printed
//! (`PID/Program name`, `users:(("name",pid=N,fd=M))`). Each row becomes a [`Sock`] for
//! the same tally as the kernel's tables, and each owner an (inode or row, pid, name).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::{Sock, Table, TCP_CLOSE, TCP_LISTEN};

/// Where a sosreport keeps socket listings, best first.
pub const OUTPUTS: &[&str] = &[
    "sos_commands/networking/ss_-peaonmi",
    "sos_commands/networking/ss_-peaonm",
    "sos_commands/networking/ss_-tupna",
    "sos_commands/networking/ss_-tulpn",
    "sos_commands/networking/netstat_-W_-neopa",
    "sos_commands/networking/netstat_-neopa",
    "sos_commands/networking/netstat_-W_-agn",
];

/// One socket row and the process the command named for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The socket (inode 0 when the command did not print it).
    pub sock: Sock,
    /// (pid, name) of its owner.
    pub owner: Option<(i32, String)>,
}

/// The kernel's state number of a state name as `netstat`/`ss` print it.
fn state_number(name: &str) -> Option<u8> {
    Some(match name {
        "ESTABLISHED" | "ESTAB" => 1,
        "SYN_SENT" | "SYN-SENT" => 2,
        "SYN_RECV" | "SYN-RECV" => 3,
        "FIN_WAIT1" | "FIN-WAIT-1" => 4,
        "FIN_WAIT2" | "FIN-WAIT-2" => 5,
        "TIME_WAIT" | "TIME-WAIT" => 6,
        "CLOSE" | "UNCONN" => TCP_CLOSE,
        "CLOSE_WAIT" | "CLOSE-WAIT" => 8,
        "LAST_ACK" | "LAST-ACK" => 9,
        "LISTEN" => TCP_LISTEN,
        "CLOSING" => 11,
        _ => return None,
    })
}

/// `127.0.0.1:22`, `:::22`, `[::]:22`, `127.0.0.53%lo:53`, `*:22`, `0.0.0.0:*`.
fn address(text: &str, v6: bool) -> Option<SocketAddr> {
    let (host, port) = text.rsplit_once(':')?;
    let port: u16 = if port == "*" { 0 } else { port.parse().ok()? };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = host.split('%').next().unwrap_or(host);
    let ip: IpAddr = match host {
        "*" | "" if v6 => Ipv6Addr::UNSPECIFIED.into(),
        "*" | "" => Ipv4Addr::UNSPECIFIED.into(),
        "::" => Ipv6Addr::UNSPECIFIED.into(),
        h => h.parse().ok()?,
    };
    Some(SocketAddr::new(ip, port))
}

fn table(proto: &str, local: &str) -> Option<Table> {
    let v6 = proto.ends_with('6') || local.starts_with('[') || local.matches(':').count() > 1;
    Some(match (proto.trim_end_matches('6'), v6) {
        ("tcp", false) => Table::Tcp4,
        ("tcp", true) => Table::Tcp6,
        ("udp", false) => Table::Udp4,
        ("udp", true) => Table::Udp6,
        _ => return None,
    })
}

/// `netstat -neopa` (`-W` wide or not): `Proto Recv-Q Send-Q Local Foreign [State] User
/// Inode PID/Program Timer`. UDP rows have no state. The UNIX section is skipped.
pub fn parse_netstat(text: &str) -> Vec<Row> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("Active UNIX") {
            break;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(proto), true) = (f.first(), f.len() >= 6) else {
            continue;
        };
        let Some(t) = table(proto, f[3]) else {
            continue;
        };
        let (state, rest) = match state_number(f[5]) {
            Some(s) => (s, &f[6..]),
            None if !t.is_tcp() => (TCP_CLOSE, &f[5..]),
            None => continue,
        };
        let (Some(local), Some(remote)) = (address(f[3], t.is_v6()), address(f[4], t.is_v6()))
        else {
            continue;
        };
        let uid = rest.first().and_then(|u| u.parse().ok()).unwrap_or(0);
        let inode = rest.get(1).and_then(|i| i.parse().ok()).unwrap_or(0);
        let owner = rest.get(2).and_then(|p| {
            let (pid, name) = p.split_once('/')?;
            Some((pid.parse().ok()?, name.trim_end_matches(':').to_string()))
        });
        out.push(Row {
            sock: Sock {
                table: t,
                state,
                local,
                remote,
                recv_q: f[1].parse().unwrap_or(0),
                // netstat's Send-Q of a listener is not its backlog.
                send_q: (state != TCP_LISTEN).then(|| f[2].parse().ok()).flatten(),
                uid,
                inode,
            },
            owner,
        });
    }
    out
}

/// `ss -tulpn`, `ss -tupna`, `ss -peaonmi`: `Netid State Recv-Q Send-Q Local Peer
/// [Process]` with `users:(("name",pid=N,fd=M))`, `uid:N`, `ino:N`; the `-m`/`-i` lines
/// below a row (indented) and other families are skipped.
pub fn parse_ss(text: &str) -> Vec<Row> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with(char::is_whitespace) {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 6 {
            continue;
        }
        let Some(t) = table(f[0], f[4]) else {
            continue;
        };
        let Some(state) = state_number(f[1]) else {
            continue;
        };
        let (Some(local), Some(remote)) = (address(f[4], t.is_v6()), address(f[5], t.is_v6()))
        else {
            continue;
        };
        let field = |key: &str| f[6..].iter().find_map(|w| w.strip_prefix(key));
        let owner = field("users:((\"").and_then(|u| {
            let (name, rest) = u.split_once('"')?;
            // `,pid=29559,fd=7))`; ss before 2014: `,1171,6))`.
            let rest = rest.trim_start_matches(',');
            let rest = rest.strip_prefix("pid=").unwrap_or(rest);
            let pid: String = rest.chars().take_while(char::is_ascii_digit).collect();
            Some((pid.parse().ok()?, name.to_string()))
        });
        out.push(Row {
            sock: Sock {
                table: t,
                state,
                local,
                remote,
                recv_q: f[2].parse().unwrap_or(0),
                send_q: f[3].parse().ok(),
                uid: field("uid:").and_then(|u| u.parse().ok()).unwrap_or(0),
                inode: field("ino:").and_then(|i| i.parse().ok()).unwrap_or(0),
            },
            owner,
        });
    }
    out
}

/// The rows of the first listing `read` finds, and its name.
pub fn read(read: impl Fn(&str) -> Option<String>) -> Option<(&'static str, Vec<Row>)> {
    OUTPUTS.iter().find_map(|rel| {
        let text = read(rel)?;
        let rows = if rel.contains("/ss_") {
            parse_ss(&text)
        } else {
            parse_netstat(&text)
        };
        (!rows.is_empty()).then_some((*rel, rows))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ss -peaonmi` as sos runs it (iproute2 5.x): owner, uid, inode; the `-m`/`-i`
    /// lines below each row are skipped.
    #[test]
    fn ss_peaonmi_rows() {
        let text = "Netid State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process
nl    UNCONN 0      0              rtnl:kernel               *        sk:1 <->
tcp   LISTEN 0      4096   127.0.0.53%lo:53         0.0.0.0:*     users:((\"systemd-resolve\",pid=187,fd=13)) uid:101 ino:62670 sk:2 cgroup:/system.slice/systemd-resolved.service <->
\t skmem:(r0,rb131072,t0,tb16384,f0,w0,o0,bl0,d0)
tcp   LISTEN 3      128          [::]:22             [::]:*     users:((\"sshd\",pid=328,fd=4)) ino:80703 sk:3 v6only:1 <->
";
        let rows = parse_ss(text);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].sock.local.to_string(), "127.0.0.53:53");
        assert_eq!(rows[0].sock.state, TCP_LISTEN);
        assert_eq!(rows[0].sock.send_q, Some(4096));
        assert_eq!(rows[0].sock.uid, 101);
        assert_eq!(rows[0].sock.inode, 62670);
        assert_eq!(rows[0].owner, Some((187, "systemd-resolve".into())));
        assert_eq!(rows[1].sock.table, Table::Tcp6);
        assert_eq!(rows[1].sock.recv_q, 3);
    }

    /// insights-core's `ss -tulpn` sample (`shared/data`, Apache-2.0): the old
    /// `users:(("name",pid,fd))` form too.
    #[test]
    fn ss_tulpn_sample() {
        let base = std::env::var("TRIAGE_SHARED")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared").into());
        let path = std::path::Path::new(&base).join("data/insights-core/ss_-tulpn.txt");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipping: {} not found (set TRIAGE_SHARED)", path.display());
            return;
        };
        let rows = parse_ss(&text);
        assert!(rows.len() >= 5, "{rows:?}");
        assert!(rows
            .iter()
            .any(|r| r.owner == Some((953, "rpcbind".into()))));
        let old = parse_ss("tcp   UNCONN     0      0                     *:68                 *:*      users:((\"dhclient\",1171,6))\n");
        assert_eq!(old[0].owner, Some((1171, "dhclient".into())));
    }
}
