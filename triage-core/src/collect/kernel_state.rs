//! `kernel_state`: kernel tables a responder checks when packets or allocations fail
//! without a log line: netlink sockets that dropped messages (`/proc/net/netlink`, the
//! `Drops` column, with the processes holding them), socket memory in use against its
//! limit (`/proc/net/sockstat` `mem` pages vs `net.ipv4.tcp_mem`/`udp_mem`), and free
//! pages per order (`/proc/buddyinfo`). Facts only ([`crate::facts::KernelState`]).
//!
//! Under `--root` the sysctl limits come from `proc/sys/net/ipv4/*` or a sosreport's
//! `sos_commands/kernel/sysctl_-a`, the owners from `proc/*/fd` or its `lsof` output.

use std::collections::HashMap;

use super::network::Owners;
use super::Ctx;
use crate::error::Result;
use crate::facts::{Buddy, KernelState, NetlinkSock, SocketMemory};

/// Where a sosreport keeps `sysctl -a` and `lsof` output.
const SYSCTL_OUTPUTS: &[&str] = &["sos_commands/kernel/sysctl_-a", "sysctl_-a"];
const LSOF_OUTPUTS: &[&str] = &[
    "sos_commands/process/lsof_M_-n_-l_-c",
    "sos_commands/process/lsof_-b_M_-n_-l_-c",
    "sos_commands/process/lsof_-b_M_-n_-l",
    "sos_commands/process/lsof_M_-n_-l",
];
/// Owners named per socket at most (a netlink socket shared by a pre-forked server).
const MAX_OWNERS: usize = 8;

/// Collect the kernel tables. A table missing from a saved tree is not a problem (sos
/// copies few of `/proc`'s files); another read error is a warning.
pub fn collect(ctx: &Ctx) -> Result<KernelState> {
    let root = &ctx.root;
    let mut state = KernelState::default();
    let read = |rel: &str| match root.read_proc(rel) {
        Ok(t) => Some(t),
        Err(e) if e.is_not_found() => None,
        Err(e) => {
            ctx.warn(e.to_string());
            None
        }
    };
    if let Some(text) = read("net/netlink") {
        state.netlink = parse_netlink(&text);
        if state.netlink.iter().any(|s| s.drops > 0) {
            name_owners(ctx, &mut state.netlink);
        }
    }
    if let Some(text) = read("net/sockstat") {
        let limits = sysctl_limits(ctx);
        for (proto, pages) in parse_sockstat(&text) {
            let key = format!("net.ipv4.{proto}_mem");
            state.socket_memory.push(SocketMemory {
                protocol: proto,
                pages,
                limits: limits.get(&key).copied(),
            });
        }
    }
    if let Some(text) = read("buddyinfo") {
        state.buddyinfo = parse_buddyinfo(&text);
    }
    Ok(state)
}

/// `/proc/net/netlink` (net/netlink/af_netlink.c `netlink_seq_show`): `sk Eth Pid Groups
/// Rmem Wmem Dump Locks Drops Inode`. Rows of another shape are skipped.
pub(crate) fn parse_netlink(text: &str) -> Vec<NetlinkSock> {
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let cols: Vec<&str> = header.split_whitespace().collect();
    let at = |name: &str| cols.iter().position(|c| *c == name);
    let (Some(eth), Some(port), Some(drops), Some(inode)) =
        (at("Eth"), at("Pid"), at("Drops"), at("Inode"))
    else {
        return Vec::new();
    };
    lines
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some(NetlinkSock {
                protocol: f.get(eth)?.parse().ok()?,
                port_id: f.get(port)?.parse().ok()?,
                drops: f.get(drops)?.parse().ok()?,
                inode: f.get(inode)?.parse().ok()?,
                owners: Vec::new(),
            })
        })
        .collect()
}

/// `/proc/net/sockstat`: the `mem` pages of the `TCP:` and `UDP:` lines.
pub(crate) fn parse_sockstat(text: &str) -> Vec<(String, u64)> {
    text.lines()
        .filter_map(|l| {
            let (proto, rest) = l.split_once(':')?;
            let proto = match proto {
                "TCP" => "tcp",
                "UDP" => "udp",
                _ => return None,
            };
            let words: Vec<&str> = rest.split_whitespace().collect();
            let i = words.iter().position(|w| *w == "mem")?;
            Some((proto.to_string(), words.get(i + 1)?.parse().ok()?))
        })
        .collect()
}

/// `min pressure max` pages, from `proc/sys/net/ipv4/{tcp,udp}_mem` or `sysctl -a` output.
fn sysctl_limits(ctx: &Ctx) -> HashMap<String, [u64; 3]> {
    let mut out = HashMap::new();
    for proto in ["tcp", "udp"] {
        if let Some(t) = ctx
            .root
            .read_proc(format!("sys/net/ipv4/{proto}_mem"))
            .ok()
            .and_then(|t| triple(&t))
        {
            out.insert(format!("net.ipv4.{proto}_mem"), t);
        }
    }
    if out.len() == 2 || ctx.root.is_live() {
        return out;
    }
    let Some(text) = SYSCTL_OUTPUTS
        .iter()
        .find_map(|rel| ctx.root.read_string(rel).ok())
    else {
        return out;
    };
    for line in text.lines() {
        let Some((key, value)) = line.split_once(" = ") else {
            continue;
        };
        if matches!(key, "net.ipv4.tcp_mem" | "net.ipv4.udp_mem") {
            if let Some(t) = triple(value) {
                out.entry(key.to_string()).or_insert(t);
            }
        }
    }
    out
}

fn triple(text: &str) -> Option<[u64; 3]> {
    let v: Vec<u64> = text
        .split_whitespace()
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()
        .ok()?;
    (v.len() == 3).then(|| [v[0], v[1], v[2]])
}

/// `/proc/buddyinfo` (mm/vmstat.c `frag_show_print`): `Node 0, zone Normal  n0 … n10`,
/// free blocks of 2^order pages.
pub(crate) fn parse_buddyinfo(text: &str) -> Vec<Buddy> {
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("Node ")?;
            let (node, rest) = rest.split_once(", zone")?;
            let mut words = rest.split_whitespace();
            let zone = words.next()?.to_string();
            let free = words
                .map(str::parse)
                .collect::<std::result::Result<Vec<u64>, _>>()
                .ok()?;
            Some(Buddy {
                node: node.trim().parse().ok()?,
                zone,
                free,
            })
        })
        .collect()
}

/// The processes holding each dropping socket: `proc/*/fd` (live, or a tree that kept
/// it), else a sosreport's `lsof` output, matched by socket inode.
fn name_owners(ctx: &Ctx, socks: &mut [NetlinkSock]) {
    let owners = Owners::scan(&ctx.root).unwrap_or_default();
    let lsof = LSOF_OUTPUTS
        .iter()
        .find_map(|rel| ctx.root.read_string(rel).ok());
    for s in socks.iter_mut().filter(|s| s.drops > 0) {
        if let Some(o) = owners.of(s.inode) {
            s.owners.push((o.name.clone(), o.pid));
        } else if let Some(text) = &lsof {
            s.owners = lsof_holders(text, s.inode);
        }
    }
}

/// `lsof` rows (`COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME`) whose NODE is
/// `inode` (a netlink row has no DEVICE: its NODE is one column earlier), one per process.
pub(crate) fn lsof_holders(text: &str, inode: u64) -> Vec<(String, i32)> {
    let inode = inode.to_string();
    let mut out: Vec<(String, i32)> = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let node_matches = f.get(6) == Some(&inode.as_str()) || f.get(7) == Some(&inode.as_str());
        let (Some(cmd), Some(pid)) = (f.first(), f.get(1).and_then(|p| p.parse().ok())) else {
            continue;
        };
        if node_matches && !out.iter().any(|(_, p)| *p == pid) && out.len() < MAX_OWNERS {
            out.push((cmd.to_string(), pid));
        }
    }
    out
}

#[cfg(test)]
#[path = "kernel_state_tests.rs"]
mod tests;
