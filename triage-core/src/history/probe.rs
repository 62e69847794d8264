//! The rates between two readings of the counters the recorder reads besides the snapshot
//! collectors' (disks, interfaces; parsed in [`crate::collect::counters`]). [`read_raw`]
//! takes all the counters rates are computed from in one go (with `/proc/stat` and every
//! `/proc/PID/stat`, through the snapshot collectors' readers).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use procfs_core::KernelStats;

use super::sample::{DiskRate, NetRate};
use crate::collect::counters::{
    looks_like_whole_disk, parse_diskstats, parse_net_dev, DiskRaw, NetRaw,
};
use crate::collect::{cpu, processes};
use crate::host_root::HostRoot;

/// At most this many disks and interfaces are kept per sample, busiest first.
pub(crate) const MAX_DEVICES: usize = 8;

/// Per-second disk rates between two readings `seconds` apart, busiest first.
pub(crate) fn disk_rates(
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

/// Per-second interface rates between two readings, busiest first.
pub(crate) fn net_rates(
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
    let whole: Option<HashSet<String>> = HostRoot::read_dir(&root.sys("block")).ok().map(|d| {
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
}
