//! The foundation collectors on fixture roots: a healthy host, a sosreport-shaped tree,
//! and variants with a FIFO, no PSI and garbled files.

use crate::common;
use common::{fixture, scratch};

use std::path::Path;
use std::time::{Duration, Instant};

use triage_core::collect::{snapshot, Options};
use triage_core::{HostRoot, Snapshot};

fn take(root: &Path, redact: bool) -> Snapshot {
    let opts = Options {
        redact,
        ..Options::default()
    };
    snapshot(&HostRoot::new(root).unwrap(), &opts)
}

fn warning_for<'a>(s: &'a Snapshot, collector: &str) -> Vec<&'a str> {
    s.warnings
        .iter()
        .filter(|w| w.collector == collector)
        .map(|w| w.message.as_str())
        .collect()
}

#[test]
fn healthy_host_matches_the_files() {
    let s = take(&fixture("healthy"), true);
    let host = s.host.as_ref().unwrap();
    assert_eq!(host.hostname, "web-3");
    assert_eq!(host.kernel, "6.1.0-27-amd64");
    assert_eq!(host.os, "Debian GNU/Linux 12 (bookworm)");
    assert_eq!(host.uptime_seconds, 86400);
    assert_eq!(host.boot_time.unwrap().timestamp(), 1_763_852_400);

    let load = s.load.as_ref().unwrap();
    assert_eq!(
        (
            load.one,
            load.five,
            load.fifteen,
            load.runnable,
            load.total_tasks
        ),
        (0.42, 0.35, 0.3, 2, 312)
    );

    let cpu = s.cpu.as_ref().unwrap();
    assert_eq!(cpu.count, 4);
    // Since boot: busy = user+nice+system+irq+softirq+steal = 141800 of 1743800 ticks.
    assert_eq!(cpu.usage_percent, 8.1);
    assert_eq!(cpu.iowait_percent, 0.1);

    let mem = s.memory.as_ref().unwrap();
    assert_eq!(mem.total_bytes, 8_000_000 * 1024);
    assert_eq!(mem.available_bytes, 5_000_000 * 1024);
    assert_eq!(mem.swap_free_bytes, 1_900_000 * 1024);

    let psi = s.pressure.as_ref().unwrap();
    assert_eq!(psi.cpu.as_ref().unwrap().some_avg10, 1.5);
    assert_eq!(psi.io.as_ref().unwrap().full_avg10, Some(0.0));

    let fss = s.filesystems.as_ref().unwrap();
    let points: Vec<&str> = fss.iter().map(|f| f.mount_point.as_str()).collect();
    assert_eq!(
        points,
        ["/", "/run", "/var/lib/mysql"],
        "squashfs, proc and cgroup are skipped"
    );
    let root_fs = &fss[0];
    assert_eq!(root_fs.device, "/dev/sda1");
    assert_eq!(root_fs.size_bytes, 51_343_840 * 1024);
    assert_eq!(root_fs.inodes_used, 250_000);

    let procs = s.processes.as_ref().unwrap();
    assert_eq!(procs.len(), 9);
    let java = procs.iter().find(|p| p.pid == 1200).unwrap();
    assert_eq!(java.user.as_deref(), Some("app"));
    assert_eq!(java.threads, 120);
    assert_eq!(java.rss_bytes, 1_200_000 * 4096);
    assert_eq!(java.ppid, 1);
    assert_eq!(
        java.command,
        "java -Xmx4g -Dspring.datasource.password=*** -jar /opt/app/app.jar"
    );
    assert_eq!(java.started_at.unwrap().timestamp(), 1_763_852_400 + 30);
    let nginx = procs.iter().find(|p| p.pid == 813).unwrap();
    assert_eq!(nginx.user.as_deref(), Some("www-data"));
    let dump = procs.iter().find(|p| p.pid == 951).unwrap();
    assert_eq!(dump.command, "mysqldump -uroot -p*** --all-databases");
    assert_eq!(
        procs.iter().find(|p| p.pid == 2).unwrap().command,
        "[kthreadd]"
    );

    let sum = s.process_summary.as_ref().unwrap();
    assert_eq!((sum.total, sum.zombie, sum.uninterruptible), (9, 1, 1));

    for c in [
        "host",
        "load",
        "cpu",
        "memory",
        "pressure",
        "filesystems",
        "processes",
    ] {
        assert!(
            warning_for(&s, c).is_empty(),
            "{c}: {:?}",
            warning_for(&s, c)
        );
        assert!(s.timings_ms.contains_key(c), "timing for {c}");
    }
    assert_eq!(s.schema_version, 1);
}

#[test]
fn no_redact_shows_secrets() {
    let s = take(&fixture("healthy"), false);
    let procs = s.processes.as_ref().unwrap();
    assert!(procs.iter().any(|p| p.command.contains("-pS3cretPass")));
}

#[test]
fn fifo_instead_of_loadavg_finishes_with_a_warning() {
    let dir = scratch("healthy");
    let loadavg = dir.path().join("proc/loadavg");
    std::fs::remove_file(&loadavg).unwrap();
    nix::unistd::mkfifo(
        &loadavg,
        nix::sys::stat::Mode::S_IRUSR | nix::sys::stat::Mode::S_IWUSR,
    )
    .unwrap();
    let started = Instant::now();
    let s = take(dir.path(), true);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert!(s.load.is_none());
    let w = warning_for(&s, "load");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("proc/loadavg") && w[0].contains("FIFO"),
        "{}",
        w[0]
    );
    assert!(s.memory.is_some(), "other collectors are unaffected");
}

#[test]
fn no_psi_is_null_with_an_actionable_warning() {
    let dir = scratch("healthy");
    std::fs::remove_dir_all(dir.path().join("proc/pressure")).unwrap();
    let s = take(dir.path(), true);
    assert!(s.pressure.is_none());
    let w = warning_for(&s, "pressure");
    assert!(w[0].contains("4.20") && w[0].contains("PSI"), "{w:?}");
    let json = serde_json::to_value(&s).unwrap();
    assert!(json["pressure"].is_null());
}

#[test]
fn garbled_files_give_warnings_naming_them() {
    let dir = scratch("healthy");
    std::fs::write(dir.path().join("proc/loadavg"), "garbage\n").unwrap();
    std::fs::write(dir.path().join("proc/meminfo"), "MemTotal: 8000").unwrap();
    std::fs::write(dir.path().join("proc/813/stat"), "813 (nginx) S 1 2").unwrap();
    std::fs::write(dir.path().join("proc/pressure/io"), "some avg10=x\n").unwrap();
    std::fs::write(dir.path().join("proc/stat"), [0xff, 0xfe, 0x00, 0x12]).unwrap();
    let s = take(dir.path(), true);
    assert!(s.load.is_none() && s.memory.is_none() && s.cpu.is_none());
    assert!(
        warning_for(&s, "load")[0].contains("proc/loadavg:1"),
        "{:?}",
        warning_for(&s, "load")
    );
    assert!(warning_for(&s, "memory")[0].contains("proc/meminfo"));
    assert!(warning_for(&s, "cpu")[0].contains("proc/stat"));
    assert!(warning_for(&s, "pressure")[0].contains("proc/pressure/io"));
    let procs = s.processes.as_ref().unwrap();
    assert_eq!(
        procs.len(),
        8,
        "the garbled process is skipped, the rest kept"
    );
    assert!(warning_for(&s, "processes")
        .iter()
        .any(|w| w.contains("proc/813/stat")));
    assert!(s.pressure.as_ref().unwrap().io.is_none());
}

#[test]
fn sosreport_tree_completes_with_what_is_there() {
    let s = take(&fixture("sosreport"), true);
    let host = s.host.as_ref().unwrap();
    assert_eq!(host.hostname, "db-7.example.com");
    assert_eq!(host.kernel, "5.14.0-284.11.1.el9_2.x86_64");
    assert_eq!(host.os, "Red Hat Enterprise Linux release 9.2 (Plow)");
    assert!(s.load.is_none());
    assert!(warning_for(&s, "load")[0].contains("proc/loadavg"));
    let procs = s.processes.as_ref().unwrap();
    assert_eq!(procs.len(), 3);
    assert_eq!(procs[1].name, "postgres");
    assert!(warning_for(&s, "processes")[0].contains("ps_auxwww"));
    assert_eq!(s.process_summary.as_ref().unwrap().zombie, 1);
    let fss = s.filesystems.as_ref().unwrap();
    assert_eq!(fss.len(), 2);
    assert_eq!(fss[0].used_bytes, 9_700_000 * 1024);
    assert!(s.memory.is_some());
}

#[test]
fn a_collector_past_its_deadline_is_abandoned_not_waited_for() {
    let opts = Options {
        collector_timeout: Duration::from_nanos(1),
        sample_interval: Duration::from_millis(50),
        ..Options::default()
    };
    let started = Instant::now();
    let s = snapshot(&HostRoot::live(), &opts);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        s.warnings
            .iter()
            .any(|w| w.message.contains("no answer within")),
        "expected at least one abandoned collector: {:?}",
        s.warnings
    );
}

#[test]
fn shared_procfs_sample_tree_does_not_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/procfs");
    if !dir.is_dir() {
        eprintln!("skipped: {} not present", dir.display());
        return;
    }
    let s = take(&dir, true);
    assert_eq!(s.load.as_ref().unwrap().total_tasks, 497);
    assert_eq!(s.cpu.as_ref().unwrap().count, 8);
    let procs = s.processes.as_ref().unwrap();
    assert!(procs
        .iter()
        .any(|p| p.pid == 26231 && p.command == "vim test.go +10"));
    // proc/26232/stat holds out-of-range values: skipped with a warning naming it.
    assert!(warning_for(&s, "processes")
        .iter()
        .any(|w| w.contains("26232/stat")));
}

#[test]
fn missing_root_is_a_clear_error() {
    let err = HostRoot::new("/definitely/not/here")
        .unwrap_err()
        .to_string();
    assert!(err.contains("/definitely/not/here"), "{err}");
}

/// The snapshot with the figures that depend on when and how fast it ran made fixed.
fn deterministic(mut s: Snapshot) -> Snapshot {
    s.collected_at = chrono::DateTime::parse_from_rfc3339("2026-11-23T10:05:00+09:00").unwrap();
    s.analysed_at = None;
    s.duration_ms = 0;
    s.timings_ms.clear();
    let offset = *s.collected_at.offset();
    if let Some(h) = s.host.as_mut() {
        h.boot_time = h.boot_time.map(|b| b.with_timezone(&offset));
    }
    // Sections that later collectors fill are not part of this golden file.
    s.warnings.retain(|w| {
        ![
            "network",
            "kernel_log",
            "log_tail",
            "recent_changes",
            "users",
            "cgroups",
        ]
        .contains(&w.collector.as_str())
    });
    s.users = None;
    s.listeners = None;
    s.connections = None;
    s.kernel_log = None;
    s.log_tail = None;
    s.recent_changes = None;
    s.findings.clear();
    s
}

#[test]
fn healthy_markdown_golden() {
    let s = deterministic(take(&fixture("healthy"), true));
    let mut out = Vec::new();
    triage_core::render::markdown::write(&s, &mut out).unwrap();
    insta::assert_snapshot!("healthy_md", String::from_utf8(out).unwrap());
}

#[test]
fn healthy_json_golden() {
    let s = deterministic(take(&fixture("healthy"), true));
    // Process start times are rendered in the machine's zone: compare them as instants.
    // The build's version changes with every release: pinned so the golden stays put.
    insta::assert_json_snapshot!("healthy_json", s, {
        ".triage_version" => "[version]",
        ".processes[].started_at" => "[time]",
        ".host.boot_time" => "[time]",
    });
}

#[test]
fn history_dir_gives_the_findings_a_baseline() {
    use triage_core::history::sample::LoadAvg;
    use triage_core::history::{self, store::SegmentWriter, Sample};
    let history_dir = tempfile::tempdir().unwrap();
    let mut writer = SegmentWriter::new(history_dir.path());
    let now = triage_core::snapshot::now();
    let mut t = now - chrono::Duration::days(7);
    let mut i = 0u32;
    while t < now - chrono::Duration::minutes(5) {
        let s = Sample {
            time: t.timestamp(),
            utc_offset: t.offset().local_minus_utc(),
            interval_s: 600.0,
            load: Some(LoadAvg {
                one: [0.9, 1.0, 1.1][(i % 3) as usize],
                five: 1.0,
                fifteen: 1.0,
            }),
            ..Sample::default()
        };
        writer
            .append(t.naive_utc().date(), &history::encode(&s).unwrap())
            .unwrap();
        t += chrono::Duration::minutes(10);
        i += 1;
    }
    let dir = scratch("healthy");
    std::fs::write(
        dir.path().join("proc/loadavg"),
        "9.00 7.00 3.00 9/312 4321\n",
    )
    .unwrap();
    let opts = Options {
        history_dir: Some(history_dir.path().to_path_buf()),
        ..Options::default()
    };
    let s = snapshot(&HostRoot::new(dir.path()).unwrap(), &opts);
    let unusual: Vec<_> = s
        .findings
        .iter()
        .filter(|f| f.id == "unusual_vs_baseline")
        .collect();
    assert_eq!(unusual.len(), 1, "{:#?}", s.findings);
    assert_eq!(unusual[0].title, "load 9.0 — usual at this hour 1.0 ± 0.1");
    // Without history: no baseline, no such finding, no warning.
    let s = take(dir.path(), true);
    assert!(s.findings.iter().all(|f| f.id != "unusual_vs_baseline"));
    assert!(warning_for(&s, "findings").is_empty(), "{:?}", s.warnings);
}
