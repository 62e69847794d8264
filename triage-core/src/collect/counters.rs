//! Kernel counters the recorder turns into rates, parsed here with the other `/proc`
//! readers (`history` only computes rates from them): `/proc/diskstats` (kernel
//! `Documentation/admin-guide/iostats.rst`, parsed by `procfs-core`), `/proc/net/dev`
//! (`procfs-core`), and the TCP socket counts of `/proc/net/sockstat{,6}` and the `Tcp:`
//! lines of `/proc/net/snmp` (`proc(5)`), which cost a few hundred bytes however many
//! sockets there are.

use std::collections::HashMap;

use procfs_core::{DiskStat, FromBufRead};
use serde::{Deserialize, Serialize};

/// Raw counters of one block device.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct DiskRaw {
    /// Reads completed.
    pub reads: u64,
    /// Writes completed.
    pub writes: u64,
    /// Sectors read (512 bytes each, whatever the device's sector size).
    pub sectors_read: u64,
    /// Sectors written.
    pub sectors_written: u64,
    /// Milliseconds spent reading + writing.
    pub io_ms: u64,
    /// Milliseconds the device was busy.
    pub busy_ms: u64,
}

/// Parse `/proc/diskstats`, keeping devices `keep` accepts (whole disks). Bad lines are
/// counted, not fatal.
pub(crate) fn parse_diskstats(
    text: &str,
    keep: impl Fn(&str) -> bool,
) -> (HashMap<String, DiskRaw>, usize) {
    let mut out = HashMap::new();
    let mut bad = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match DiskStat::from_line(line) {
            Ok(d) if keep(&d.name) => {
                out.insert(
                    d.name,
                    DiskRaw {
                        reads: d.reads,
                        writes: d.writes,
                        sectors_read: d.sectors_read,
                        sectors_written: d.sectors_written,
                        // Saturating: a crafted line's two maxima must not panic
                        // (`proc_files` fuzz finding); deltas saturate too (history::probe).
                        io_ms: d.time_reading.saturating_add(d.time_writing),
                        busy_ms: d.time_in_progress,
                    },
                );
            }
            Ok(_) => {}
            Err(_) => bad += 1,
        }
    }
    (out, bad)
}

/// Devices worth recording when `/sys/block` cannot be listed: no partitions of the
/// usual kinds, no loop or RAM disks.
pub(crate) fn looks_like_whole_disk(name: &str) -> bool {
    if name.starts_with("loop") || name.starts_with("ram") || name.starts_with("zram") {
        return false;
    }
    let digit_end = name.ends_with(|c: char| c.is_ascii_digit());
    let partition = (name.starts_with("sd") || name.starts_with("vd") || name.starts_with("xvd"))
        && digit_end
        || (name.starts_with("nvme") || name.starts_with("mmcblk"))
            && name.contains('p')
            && name.rfind('p').is_some_and(|i| i > 4);
    !partition
}

/// Raw counters of one network interface.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct NetRaw {
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Receive errors + drops.
    pub rx_errors: u64,
    /// Transmit errors + drops.
    pub tx_errors: u64,
}

/// Parse `/proc/net/dev` (without `lo`).
pub(crate) fn parse_net_dev(text: &str) -> Result<HashMap<String, NetRaw>, String> {
    let dev = procfs_core::net::InterfaceDeviceStatus::from_buf_read(text.as_bytes())
        .map_err(|e| format!("not a net/dev file: {e}"))?;
    Ok(dev
        .0
        .into_iter()
        .filter(|(name, _)| name != "lo")
        .map(|(name, d)| {
            let raw = NetRaw {
                rx_bytes: d.recv_bytes,
                tx_bytes: d.sent_bytes,
                // Saturating: counters near u64::MAX overflowed the sum (`proc_files`
                // fuzz finding); deltas saturate too.
                rx_errors: d.recv_errs.saturating_add(d.recv_drop),
                tx_errors: d.sent_errs.saturating_add(d.sent_drop),
            };
            (name, raw)
        })
        .collect())
}

/// TCP socket counts.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct TcpCounts {
    /// ESTABLISHED + CLOSE_WAIT (`CurrEstab`).
    pub established: u32,
    /// TIME_WAIT.
    pub time_wait: u32,
    /// Orphaned (no longer attached to a process).
    pub orphan: u32,
    /// Sockets in use, IPv4 + IPv6, listeners included.
    pub in_use: u32,
}

/// TCP counts from `/proc/net/sockstat` ("TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 1"),
/// `/proc/net/sockstat6` ("TCP6: inuse 3") and `/proc/net/snmp` (`Tcp:` `CurrEstab`).
/// Missing files or fields count as zero; `None` when nothing was found at all.
pub(crate) fn parse_tcp(sockstat: &str, sockstat6: &str, snmp: &str) -> Option<TcpCounts> {
    let field = |text: &str, proto: &str, key: &str| -> Option<u32> {
        let line = text.lines().find(|l| l.starts_with(proto))?;
        let mut words = line.split_whitespace().skip(1);
        while let Some(k) = words.next() {
            let v = words.next()?;
            if k == key {
                return v.parse().ok();
            }
        }
        None
    };
    let in_use4 = field(sockstat, "TCP:", "inuse");
    let in_use6 = field(sockstat6, "TCP6:", "inuse");
    let established = snmp_field(snmp, "Tcp:", "CurrEstab");
    if in_use4.is_none() && established.is_none() {
        return None;
    }
    Some(TcpCounts {
        established: established.unwrap_or(0),
        time_wait: field(sockstat, "TCP:", "tw").unwrap_or(0),
        orphan: field(sockstat, "TCP:", "orphan").unwrap_or(0),
        in_use: in_use4.unwrap_or(0).saturating_add(in_use6.unwrap_or(0)),
    })
}

/// A value from the `PROTO:` header/value line pair of `/proc/net/snmp`.
fn snmp_field(text: &str, proto: &str, key: &str) -> Option<u32> {
    let mut lines = text.lines().filter(|l| l.starts_with(proto));
    let names = lines.next()?;
    let values = lines.next()?;
    let i = names.split_whitespace().position(|n| n == key)?;
    values.split_whitespace().nth(i)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fuzz finding (`proc_files`): error + drop counters near `u64::MAX` overflowed, and
    /// so could IPv4 + IPv6 sockets in use (debug build).
    #[test]
    fn net_counters_near_the_maximum_saturate() {
        let m = u64::MAX;
        let dev = format!("Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n  eth0: 1 2 {m} {m} 0 0 0 0 3 4 {m} 5 0 0 0 0\n");
        let raw = &parse_net_dev(&dev).unwrap()["eth0"];
        assert_eq!((raw.rx_errors, raw.tx_errors), (u64::MAX, u64::MAX));
        let m = u32::MAX;
        let tcp = parse_tcp(
            &format!("TCP: inuse {m}\n"),
            &format!("TCP6: inuse {m}\n"),
            "",
        );
        assert_eq!(tcp.unwrap().in_use, u32::MAX);
    }

    /// Fuzz finding (`proc_files`): read and write times near `u64::MAX` overflowed
    /// their sum ("attempt to add with overflow" in a debug build).
    #[test]
    fn diskstats_times_near_the_maximum_saturate() {
        let max = u64::MAX;
        let line = format!("   8       0 sda 1 0 8 {max} 2 0 16 {max} 0 5 {max}\n");
        let (disks, bad) = parse_diskstats(&line, |_| true);
        assert_eq!(bad, 0);
        assert_eq!(disks["sda"].io_ms, u64::MAX);
        assert_eq!(disks["sda"].busy_ms, 5);
    }

    #[test]
    fn whole_disks() {
        for d in ["sda", "vdb", "nvme0n1", "mmcblk0", "dm-0", "md0"] {
            assert!(looks_like_whole_disk(d), "{d}");
        }
        for p in ["sda1", "vdb2", "nvme0n1p1", "mmcblk0p2", "loop3", "zram0"] {
            assert!(!looks_like_whole_disk(p), "{p}");
        }
    }

    #[test]
    fn tcp_counts() {
        let sockstat =
            "sockets: used 300\nTCP: inuse 12 orphan 1 tw 40 alloc 15 mem 3\nUDP: inuse 2 mem 1\n";
        let sockstat6 = "TCP6: inuse 5\nUDP6: inuse 1\n";
        let snmp = "Ip: Forwarding DefaultTTL\nIp: 1 64\nTcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs\nTcp: 1 200 120000 -1 10 20 0 0 9 1000\n";
        let t = parse_tcp(sockstat, sockstat6, snmp).unwrap();
        assert_eq!(t.established, 9);
        assert_eq!(t.time_wait, 40);
        assert_eq!(t.orphan, 1);
        assert_eq!(t.in_use, 17);
        assert!(parse_tcp("", "", "").is_none());
    }
}
