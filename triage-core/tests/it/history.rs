//! The baseline through the store: a synthetic week written as segments, read back by
//! `history::baseline_for`.

use chrono::Duration;
use triage_core::history::sample::LoadAvg;
use triage_core::history::{self, store::SegmentWriter, Sample};

fn at(s: &str) -> triage_core::snapshot::Time {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

#[test]
fn baseline_for_a_synthetic_week() {
    let dir = tempfile::tempdir().unwrap();
    let now = at("2026-11-23T10:00:00+09:00");
    let mut w = SegmentWriter::new(dir.path());
    let mut t = now - Duration::days(8);
    let mut i = 0;
    while t <= now {
        // load 1.0 ± 0.1 around 10:00 every day, 6.0 at other hours, 14 today at 10:00.
        let hour = t
            .with_timezone(now.offset())
            .time()
            .format("%H")
            .to_string();
        let load = match (t.date_naive() == now.date_naive(), hour.as_str()) {
            (true, "09" | "10") => 14.0,
            (false, "09" | "10") => [0.9, 1.0, 1.1][i % 3],
            _ => 6.0,
        };
        let s = Sample {
            time: t.timestamp(),
            utc_offset: 9 * 3600,
            load: Some(LoadAvg {
                one: load,
                five: load,
                fifteen: load,
            }),
            ..Sample::default()
        };
        w.append(t.naive_utc().date(), &history::encode(&s).unwrap())
            .unwrap();
        t += Duration::minutes(10);
        i += 1;
    }
    let b = history::baseline_for(dir.path(), now).unwrap().unwrap();
    assert_eq!(b.days, 7);
    let load = b.load1.unwrap();
    assert!((load.median - 1.0).abs() < 0.01, "{load:?}");
    assert!(load.spread <= 0.1 + 1e-6, "{load:?}");
    assert_eq!(load.samples, 7 * 7, "±30 min every 10 min, 7 days");
    assert!(load.deviations(14.0) > 100.0);
    assert!(b.cpu_usage_percent.is_none());
    // Nothing recorded before: no baseline, not an error.
    let early = now - Duration::days(30);
    assert!(history::baseline_for(dir.path(), early).unwrap().is_none());
    // The sparkline reader: today's samples in a 1-hour window.
    let (samples, warnings) = history::read_range(dir.path(), now - Duration::hours(1), now);
    assert_eq!(samples.len(), 7);
    assert!(warnings.is_empty());
    assert!(samples.windows(2).all(|w| w[0].time < w[1].time));
}

/// A fake `/proc` with two states of the counters.
fn write_proc(root: &std::path::Path, tick: u64) {
    let w = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let (idle, user, iowait) = (1000 + tick * 60, 100 + tick * 30, 50 + tick * 10);
    w("proc/stat", &format!("cpu  {user} 0 100 {idle} {iowait} 0 0 0 0 0\ncpu0 {user} 0 100 {idle} {iowait} 0 0 0 0 0\nctxt 1\nbtime 1700000000\nprocesses 10\nprocs_running 1\nprocs_blocked 0\n"));
    w("proc/uptime", "1000.00 900.00\n");
    w("proc/loadavg", "14.20 7.50 3.01 9/1234 55555\n");
    w("proc/meminfo", "MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    4000000 kB\nBuffers:          100000 kB\nCached:          2000000 kB\nSwapCached:            0 kB\nActive:                0 kB\nInactive:              0 kB\nSwapTotal:       2000000 kB\nSwapFree:        1500000 kB\nDirty:                 0 kB\nWriteback:             0 kB\nMapped:                0 kB\nSlab:                  0 kB\nCommitLimit:           0 kB\nCommitted_AS:          0 kB\nVmallocTotal:          0 kB\nVmallocUsed:           0 kB\nVmallocChunk:          0 kB\n");
    w("proc/pressure/io", "some avg10=12.50 avg60=3.00 avg300=1.00 total=123\nfull avg10=4.25 avg60=1.00 avg300=0.50 total=45\n");
    w("proc/diskstats", &format!("   8       0 sda 100 0 {} 50 200 0 4000 150 0 100 200 0 0 0 0\n   8       1 sda1 1 0 1 1 1 0 1 1 0 1 1\n", 2000 + tick * 2048));
    w("proc/net/dev", &format!("Inter-|   Receive |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n  eth0: {} 100 0 0 0 0 0 0 5000 50 0 0 0 0 0 0\n", 10000 + tick * 1000));
    w(
        "proc/net/sockstat",
        "TCP: inuse 12 orphan 1 tw 40 alloc 15 mem 3\n",
    );
    w("proc/net/snmp", "Tcp: RtoAlgorithm CurrEstab\nTcp: 1 9\n");
    let stat = |pid: u32, comm: &str, state: char, ticks: u64, rss: u64| {
        format!("{pid} ({comm}) {state} 1 {pid} {pid} 0 -1 4194560 100 0 0 0 {ticks} 0 0 0 20 0 1 0 500 1000000 {rss} 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0")
    };
    w("proc/1/stat", &stat(1, "init", 'S', 10, 100));
    w("proc/1/cmdline", "/sbin/init\0");
    w(
        "proc/42/stat",
        &stat(42, "mysqld", 'R', 5000 + tick * 80, 250_000),
    );
    w("proc/42/cmdline", "/usr/sbin/mysqld\0--password=hunter2\0");
    w("proc/77/stat", &stat(77, "defunct", 'Z', 0, 0));
}

#[test]
fn a_sample_from_a_fixture_root() {
    let dir = tempfile::tempdir().unwrap();
    write_proc(dir.path(), 0);
    let root = triage_core::HostRoot::new(dir.path()).unwrap();
    let mut rec = history::Recorder::new(root, true);
    write_proc(dir.path(), 1);
    std::thread::sleep(std::time::Duration::from_millis(50));
    let (s, problems) = rec.take();
    assert_eq!(s.load.unwrap().one, 14.2);
    let m = s.memory.unwrap();
    assert_eq!(m.total_bytes - m.available_bytes, 12_000_000 * 1024);
    assert_eq!(m.swap_used_bytes, 500_000 * 1024);
    // deltas: user 30, iowait 10, idle 60 of 100 ticks.
    let cpu = s.cpu.unwrap();
    assert_eq!((cpu.usage_percent, cpu.iowait_percent), (30.0, 10.0));
    assert_eq!(s.pressure.io, Some(12.5));
    assert_eq!(s.pressure.io_full, Some(4.25));
    assert!(s.pressure.cpu.is_none(), "no cpu PSI file in the fixture");
    assert_eq!(s.disks.len(), 1, "{:?}", s.disks);
    assert_eq!(s.disks[0].name, "sda");
    assert!(s.disks[0].read_bytes_per_s > 0);
    assert_eq!(s.nets.len(), 1);
    assert!(s.nets[0].rx_bytes_per_s > 0 && s.nets[0].tx_bytes_per_s == 0);
    let tcp = s.tcp.unwrap();
    assert_eq!((tcp.established, tcp.time_wait, tcp.in_use), (9, 40, 12));
    let tasks = s.tasks.unwrap();
    assert_eq!((tasks.total, tasks.running, tasks.zombie), (3, 1, 1));
    let top = &s.top[0];
    assert_eq!(top.pid, 42);
    assert!(top.cpu_percent > 0.0);
    assert_eq!(top.rss_bytes, 250_000 * 4096);
    assert!(
        top.command.starts_with("/usr/sbin/mysqld"),
        "{}",
        top.command
    );
    assert!(
        !top.command.contains("hunter2"),
        "redacted: {}",
        top.command
    );
    assert!(
        s.top.iter().any(|p| p.pid == 1),
        "init is in the top by memory"
    );
    assert!(
        problems.iter().all(|p| !p.contains("loadavg")),
        "{problems:?}"
    );
}
