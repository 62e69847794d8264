//! Rules over kernel tables ([`crate::facts::KernelState`]): netlink sockets that drop
//! messages, socket memory at its limit, memory too fragmented for large allocations.

use super::thresholds as t;
use super::{finding, Context};
use crate::facts::KernelState;
use crate::snapshot::{Finding, Severity, Snapshot};

fn state(s: &Snapshot) -> Option<&KernelState> {
    s.facts.kernel.as_ref()
}

/// `netlink_drops`: netlink sockets whose `Drops` is above 0: the kernel had messages
/// for them (route, uevent, audit, conntrack events…) and their receive buffer was full,
/// so the process holding them missed events. One finding naming every holder.
pub fn netlink_drops(s: &Snapshot, _: &Context) -> Option<Finding> {
    let socks: Vec<_> = state(s)?.netlink.iter().filter(|n| n.drops > 0).collect();
    if socks.is_empty() {
        return None;
    }
    let total: u64 = socks.iter().map(|n| n.drops).sum();
    let mut holders: Vec<String> = Vec::new();
    let mut evidence = Vec::new();
    for n in &socks {
        let who: Vec<String> = n
            .owners
            .iter()
            .map(|(name, pid)| format!("{name} (pid {pid})"))
            .collect();
        evidence.push(format!(
            "inode {}: protocol {}, port id {}, {} drop(s), held by {}",
            n.inode,
            n.protocol,
            n.port_id,
            n.drops,
            if who.is_empty() {
                "unknown".into()
            } else {
                who.join(", ")
            }
        ));
        for w in who {
            if !holders.contains(&w) {
                holders.push(w);
            }
        }
    }
    evidence.push("cat /proc/net/netlink: the Drops column".into());
    let title = match holders.as_slice() {
        [] => format!(
            "{total} netlink message(s) dropped on {} socket(s)",
            socks.len()
        ),
        h => format!(
            "{total} netlink message(s) dropped: {} missed kernel events",
            h.join(", ")
        ),
    };
    let mut f = finding("netlink_drops", Severity::Warning, title, evidence);
    if let Some((name, pid)) = socks.iter().find_map(|n| n.owners.first()) {
        f = f.var("process", name).var("pid", pid.to_string());
    }
    Some(f)
}

/// `socket_memory_high`: TCP or UDP socket memory at [`t::SOCKET_MEM_WARNING_PERCENT`]
/// of `net.ipv4.PROTO_mem` max (warning) or at max (critical: packets dropped).
pub fn socket_memory_high(s: &Snapshot, _: &Context) -> Vec<Finding> {
    let Some(k) = state(s) else {
        return Vec::new();
    };
    k.socket_memory
        .iter()
        .filter_map(|m| {
            let [_, pressure, max] = m.limits?;
            if max == 0 {
                return None;
            }
            let pct = m.pages as f64 * 100.0 / max as f64;
            let proto = m.protocol.to_uppercase();
            let (severity, title) = if m.pages >= max {
                (
                    Severity::Critical,
                    format!("{proto} socket memory exhausted ({} of {max} pages): the kernel drops {proto} packets on every socket", m.pages),
                )
            } else if pct >= t::SOCKET_MEM_WARNING_PERCENT {
                (
                    Severity::Warning,
                    format!("{proto} socket memory at {pct:.1}% of its limit ({} of {max} pages)", m.pages),
                )
            } else {
                return None;
            };
            let evidence = vec![
                format!("/proc/net/sockstat: {proto} mem {} pages", m.pages),
                format!(
                    "net.ipv4.{}_mem = min pressure max: pressure {pressure}, max {max} pages{}",
                    m.protocol,
                    if m.pages >= pressure { " (above pressure: buffers are being cut)" } else { "" }
                ),
            ];
            Some(finding("socket_memory_high", severity, title, evidence).var("protocol", &m.protocol))
        })
        .collect()
}

/// `memory_fragmented`: a Normal or DMA32 zone with no free block in its
/// [`t::FRAGMENTED_EMPTY_TOP_ORDERS`] highest orders: large contiguous allocations stall
/// on compaction or fail while plenty of small pages may be free.
pub fn memory_fragmented(s: &Snapshot, _: &Context) -> Option<Finding> {
    let zones: Vec<_> = state(s)?
        .buddyinfo
        .iter()
        .filter(|b| matches!(b.zone.as_str(), "Normal" | "DMA32"))
        .filter(|b| {
            let empty_top = b.free.iter().rev().take_while(|n| **n == 0).count();
            b.free.len() > t::FRAGMENTED_EMPTY_TOP_ORDERS
                && empty_top >= t::FRAGMENTED_EMPTY_TOP_ORDERS
        })
        .collect();
    let first = zones.first()?;
    let names: Vec<String> = zones
        .iter()
        .map(|b| format!("node {} {}", b.node, b.zone))
        .collect();
    let largest = |b: &crate::facts::Buddy| b.free.iter().rposition(|n| *n > 0).map(|o| 4u64 << o);
    let title = match largest(first) {
        Some(kib) => format!(
            "memory fragmented on {}: largest free block {kib} KiB",
            names.join(", ")
        ),
        None => format!(
            "memory fragmented on {}: no free block at all",
            names.join(", ")
        ),
    };
    let mut evidence: Vec<String> = zones
        .iter()
        .map(|b| {
            let orders: Vec<String> = b.free.iter().map(u64::to_string).collect();
            format!(
                "/proc/buddyinfo node {}, zone {}: {} (free blocks of order 0..{})",
                b.node,
                b.zone,
                orders.join(" "),
                b.free.len() - 1
            )
        })
        .collect();
    evidence.push("compaction: grep -E 'compact_(stall|fail|success)' /proc/vmstat".into());
    Some(finding("memory_fragmented", Severity::Warning, title, evidence).var("zone", &first.zone))
}
