//! The raw counters the recorder reads besides the snapshot collectors', and the rates
//! between two readings: `/proc/diskstats` (kernel `Documentation/admin-guide/iostats.rst`,
//! parsed by `procfs-core`), `/proc/net/dev` (`procfs-core`), and the TCP socket counts of
//! `/proc/net/sockstat{,6}` and the `Tcp:` lines of `/proc/net/snmp` (`proc(5)`), which
//! cost a few hundred bytes however many sockets there are. [`read_raw`] takes all the
//! counters rates are computed from in one go (with `/proc/stat` and every
//! `/proc/PID/stat`, through the snapshot collectors' readers).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use procfs_core::{DiskStat, FromBufRead, KernelStats};

use super::sample::{DiskRate, NetRate, TcpCounts};
use crate::collect::{cpu, processes};
use crate::host_root::HostRoot;

/// At most this many disks and interfaces are kept per sample, busiest first.
pub const MAX_DEVICES: usize = 8;

/// Raw counters of one block device.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DiskRaw {
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
pub fn parse_diskstats(
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
                        io_ms: d.time_reading + d.time_writing,
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
pub fn looks_like_whole_disk(name: &str) -> bool {
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

/// Per-second disk rates between two readings `seconds` apart, busiest first.
pub fn disk_rates(
    prev: &HashMap<String, DiskRaw>,
    cur: &HashMap<String, DiskRaw>,
    seconds: f64,
) -> Vec<DiskRate> {
    let mut out: Vec<DiskRate> = cur
        .iter()
        .filter_map(|(name, c)| {
            let p = prev.get(name)?;
            let ios = c.reads.saturating_sub(p.reads) + c.writes.saturating_sub(p.writes);
            let io_ms = c.io_ms.saturating_sub(p.io_ms);
            Some(DiskRate {
                name: name.clone(),
                read_bytes_per_s: per_s(
                    c.sectors_read.saturating_sub(p.sectors_read) * 512,
                    seconds,
                ),
                write_bytes_per_s: per_s(
                    c.sectors_written.saturating_sub(p.sectors_written) * 512,
                    seconds,
                ),
                await_ms: if ios == 0 {
                    0.0
                } else {
                    io_ms as f32 / ios as f32
                },
                util_percent: if seconds > 0.0 {
                    (c.busy_ms.saturating_sub(p.busy_ms) as f64 / (seconds * 10.0)).min(100.0)
                        as f32
                } else {
                    0.0
                },
            })
        })
        .collect();
    out.sort_by_key(|d| std::cmp::Reverse(d.read_bytes_per_s + d.write_bytes_per_s));
    out.truncate(MAX_DEVICES);
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Raw counters of one network interface.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct NetRaw {
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
pub fn parse_net_dev(text: &str) -> Result<HashMap<String, NetRaw>, String> {
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
                rx_errors: d.recv_errs + d.recv_drop,
                tx_errors: d.sent_errs + d.sent_drop,
            };
            (name, raw)
        })
        .collect())
}

/// Per-second interface rates between two readings, busiest first.
pub fn net_rates(
    prev: &HashMap<String, NetRaw>,
    cur: &HashMap<String, NetRaw>,
    seconds: f64,
) -> Vec<NetRate> {
    let mut out: Vec<NetRate> = cur
        .iter()
        .filter_map(|(name, c)| {
            let p = prev.get(name)?;
            Some(NetRate {
                name: name.clone(),
                rx_bytes_per_s: per_s(c.rx_bytes.saturating_sub(p.rx_bytes), seconds),
                tx_bytes_per_s: per_s(c.tx_bytes.saturating_sub(p.tx_bytes), seconds),
                rx_errors: c.rx_errors.saturating_sub(p.rx_errors),
                tx_errors: c.tx_errors.saturating_sub(p.tx_errors),
            })
        })
        .collect();
    out.sort_by_key(|n| {
        std::cmp::Reverse((
            n.rx_errors + n.tx_errors > 0,
            n.rx_bytes_per_s + n.tx_bytes_per_s,
        ))
    });
    out.truncate(MAX_DEVICES);
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn per_s(delta: u64, seconds: f64) -> u64 {
    if seconds <= 0.0 {
        0
    } else {
        (delta as f64 / seconds).round() as u64
    }
}

/// TCP counts from `/proc/net/sockstat` ("TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 1"),
/// `/proc/net/sockstat6` ("TCP6: inuse 3") and `/proc/net/snmp` (`Tcp:` `CurrEstab`).
/// Missing files or fields count as zero; `None` when nothing was found at all.
pub fn parse_tcp(sockstat: &str, sockstat6: &str, snmp: &str) -> Option<TcpCounts> {
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
        in_use: in_use4.unwrap_or(0) + in_use6.unwrap_or(0),
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

/// The raw readings kept between samples.
pub(super) struct Raw {
    pub at: Instant,
    pub stat: Option<KernelStats>,
    /// pid → (start ticks, cpu ticks).
    pub procs: HashMap<i32, (u64, u64)>,
    pub disks: HashMap<String, DiskRaw>,
    pub nets: HashMap<String, NetRaw>,
}

/// Read the counters rates are computed from.
pub(super) fn read_raw(root: &HostRoot) -> (Raw, Option<Vec<processes::RawProc>>, Vec<String>) {
    let mut problems = Vec::new();
    let stat = cpu::read_stat(root)
        .map_err(|e| problems.push(e.to_string()))
        .ok();
    let procs = processes::sample(root)
        .map(|(p, _)| p)
        .map_err(|e| problems.push(e.to_string()))
        .ok();
    let whole: Option<HashSet<String>> = std::fs::read_dir(root.sys("block")).ok().map(|d| {
        d.flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect()
    });
    let keep = |name: &str| match &whole {
        Some(set) if !set.is_empty() => set.contains(name) && looks_like_whole_disk(name),
        _ => looks_like_whole_disk(name),
    };
    let disks = match root.read_proc("diskstats") {
        Ok(t) => parse_diskstats(&t, keep).0,
        Err(e) => {
            problems.push(e.to_string());
            HashMap::new()
        }
    };
    let nets = match root.read_proc("net/dev").map(|t| parse_net_dev(&t)) {
        Ok(Ok(n)) => n,
        Ok(Err(m)) => {
            problems.push(format!("{}: {m}", root.proc("net/dev").display()));
            HashMap::new()
        }
        Err(e) => {
            problems.push(e.to_string());
            HashMap::new()
        }
    };
    let raw = Raw {
        at: Instant::now(),
        stat,
        procs: procs
            .iter()
            .flatten()
            .map(|p| (p.pid, (p.start_ticks, p.cpu_ticks)))
            .collect(),
        disks,
        nets,
    };
    (raw, procs, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DISK_A: &str = "   8       0 sda 100 0 2000 50 200 0 4000 150 0 100 200 0 0 0 0\n   8       1 sda1 90 0 1900 40 190 0 3900 140 0 90 180\n   7       0 loop0 1 0 8 0 0 0 0 0 0 0 0\n";
    const DISK_B: &str = "   8       0 sda 200 0 4048 150 300 0 6048 250 1 1100 400 0 0 0 0\n   8       1 sda1 90 0 1900 40 190 0 3900 140 0 90 180\n   7       0 loop0 1 0 8 0 0 0 0 0 0 0 0\n";

    #[test]
    fn disk_rates_from_two_readings() {
        let (a, bad) = parse_diskstats(DISK_A, looks_like_whole_disk);
        assert_eq!(bad, 0);
        assert_eq!(a.len(), 1, "{a:?}");
        let (b, _) = parse_diskstats(DISK_B, looks_like_whole_disk);
        let r = disk_rates(&a, &b, 2.0);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].name, "sda");
        assert_eq!(r[0].read_bytes_per_s, 2048 * 512 / 2);
        assert_eq!(r[0].write_bytes_per_s, 2048 * 512 / 2);
        // 200 ms of I/O time over 200 I/Os.
        assert_eq!(r[0].await_ms, 1.0);
        assert_eq!(r[0].util_percent, 50.0);
        let (_, bad) = parse_diskstats("garbage line\n", |_| true);
        assert_eq!(bad, 1);
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

    const NET_A: &str = "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo: 1000 10 0 0 0 0 0 0 1000 10 0 0 0 0 0 0\n  eth0: 10000 100 1 0 0 0 0 0 5000 50 0 0 0 0 0 0\n";
    const NET_B: &str = "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo: 9000 10 0 0 0 0 0 0 9000 10 0 0 0 0 0 0\n  eth0: 30000 300 4 2 0 0 0 0 15000 150 0 0 0 0 0 0\n";

    #[test]
    fn net_rates_from_two_readings() {
        let a = parse_net_dev(NET_A).unwrap();
        let b = parse_net_dev(NET_B).unwrap();
        assert!(!b.contains_key("lo"));
        let r = net_rates(&a, &b, 10.0);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].rx_bytes_per_s, 2000);
        assert_eq!(r[0].tx_bytes_per_s, 1000);
        assert_eq!(r[0].rx_errors, 5);
        assert!(parse_net_dev("Inter-|\n face |\n eth0: 1 2\n").is_err());
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
