//! Each rule fires on a snapshot built to trigger it and stays quiet on a healthy one.

use std::collections::BTreeMap;

use super::*;
use crate::baseline::Usual;
use crate::snapshot::*;

const GIB: u64 = 1024 * 1024 * 1024;

fn t0() -> Time {
    chrono::DateTime::parse_from_rfc3339("2026-11-23T12:00:00+00:00").unwrap()
}

fn proc_(pid: i32, ppid: i32, name: &str, state: &str) -> Process {
    Process {
        pid,
        ppid,
        user: Some("root".into()),
        state: state.into(),
        cpu_percent: 0.0,
        rss_bytes: 10 * 1024 * 1024,
        threads: 1,
        started_at: Some(t0() - chrono::Duration::days(2)),
        command: format!("/usr/bin/{name} --flag"),
        name: name.into(),
        uid: Some(0),
        previous_state: None,
        cgroup: None,
        unit: None,
        container: None,
    }
}

fn fs(mount: &str, fs_type: &str, size: u64, used: u64, avail: u64) -> Filesystem {
    Filesystem {
        mount_point: mount.into(),
        device: "/dev/sda1".into(),
        fs_type: fs_type.into(),
        size_bytes: size,
        used_bytes: used,
        available_bytes: avail,
        inodes_total: 1_000_000,
        inodes_used: 10_000,
        read_only: false,
    }
}

/// A healthy 4-CPU host.
pub(crate) fn healthy() -> Snapshot {
    let mut s = Snapshot::empty(t0());
    s.host = Some(Host {
        hostname: "web1".into(),
        kernel: "6.1.0".into(),
        os: "Debian".into(),
        uptime_seconds: 10 * 86400,
        boot_time: Some(t0() - chrono::Duration::days(10)),
        cpus: None,
    });
    s.load = Some(Load {
        one: 0.5,
        five: 0.4,
        fifteen: 0.3,
        runnable: 1,
        total_tasks: 300,
    });
    s.cpu = Some(Cpu {
        count: 4,
        usage_percent: 12.0,
        iowait_percent: 0.5,
        steal_percent: 0.0,
    });
    s.memory = Some(Memory {
        total_bytes: 16 * GIB,
        available_bytes: 10 * GIB,
        used_bytes: 6 * GIB,
        swap_total_bytes: 2 * GIB,
        swap_free_bytes: 2 * GIB - 100 * 1024 * 1024,
    });
    let line = |v| PressureLine {
        some_avg10: v,
        some_avg60: v,
        full_avg10: Some(0.0),
        some_avg300: v,
    };
    s.pressure = Some(Pressure {
        cpu: Some(line(1.0)),
        memory: Some(line(0.0)),
        io: Some(line(0.5)),
    });
    s.filesystems = Some(vec![
        fs("/", "ext4", 100 * GIB, 40 * GIB, 55 * GIB),
        fs("/run", "tmpfs", GIB, GIB / 100, GIB - GIB / 100),
    ]);
    let mut nginx = proc_(100, 1, "nginx", "S");
    nginx.cpu_percent = 3.0;
    s.processes = Some(vec![
        proc_(1, 0, "systemd", "S"),
        nginx,
        proc_(101, 100, "nginx", "S"),
    ]);
    s.process_summary = Some(crate::collect::processes::summarize(
        s.processes.as_ref().unwrap(),
    ));
    s.listeners = Some(vec![Listener {
        protocol: "tcp".into(),
        address: "0.0.0.0".into(),
        port: 80,
        pid: Some(100),
        process: Some("nginx".into()),
        user: Some("root".into()),
        recv_q: Some(0),
        send_q: Some(511),
    }]);
    s.connections = Some(Connections {
        total: 200,
        by_state: BTreeMap::from([
            ("ESTABLISHED".to_string(), 150),
            ("TIME_WAIT".to_string(), 45),
            ("CLOSE_WAIT".to_string(), 5),
        ]),
        ..Default::default()
    });
    s
}

fn run(s: &Snapshot) -> Vec<Finding> {
    evaluate(s, &Context::for_snapshot(s))
}

fn ids(f: &[Finding]) -> Vec<&str> {
    f.iter().map(|f| f.id.as_str()).collect()
}

fn only<'a>(f: &'a [Finding], id: &str) -> Vec<&'a Finding> {
    f.iter().filter(|f| f.id == id).collect()
}

#[test]
fn healthy_host_has_no_findings() {
    let f = run(&healthy());
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn load_high_fires_per_cpu_and_names_top_process() {
    let mut s = healthy();
    s.load.as_mut().unwrap().one = 9.0; // 2.25 per CPU
    s.processes.as_mut().unwrap()[1].cpu_percent = 180.0;
    let f = run(&s);
    let l = only(&f, "load_high");
    assert_eq!(l.len(), 1, "{f:#?}");
    assert_eq!(l[0].severity, Severity::Warning);
    assert!(l[0].title.contains("nginx (pid 100)"), "{}", l[0].title);
    assert!(
        l[0].evidence[0].contains("2.25 per CPU"),
        "{:?}",
        l[0].evidence
    );
    s.load.as_mut().unwrap().one = 17.0;
    assert_eq!(only(&run(&s), "load_high")[0].severity, Severity::Critical);
    // The same load on 16 CPUs is fine.
    s.cpu.as_mut().unwrap().count = 16;
    s.load.as_mut().unwrap().one = 9.0;
    assert!(only(&run(&s), "load_high").is_empty());
}

#[test]
fn load_high_from_runnable_needs_some_load() {
    let mut s = healthy();
    s.load.as_mut().unwrap().runnable = 20;
    assert!(only(&run(&s), "load_high").is_empty(), "a burst alone");
    s.load.as_mut().unwrap().one = 5.0;
    assert_eq!(only(&run(&s), "load_high").len(), 1);
}

#[test]
fn cpu_saturated_names_top_process_and_escalates_with_queueing() {
    let mut s = healthy();
    s.cpu.as_mut().unwrap().usage_percent = 89.0;
    assert!(only(&run(&s), "cpu_saturated").is_empty());
    s.cpu.as_mut().unwrap().usage_percent = 99.0;
    s.processes.as_mut().unwrap()[2].cpu_percent = 390.0;
    let f = run(&s);
    let c = only(&f, "cpu_saturated");
    assert_eq!(c[0].severity, Severity::Warning);
    assert!(c[0].title.contains("nginx (pid 101)"), "{}", c[0].title);
    s.pressure
        .as_mut()
        .unwrap()
        .cpu
        .as_mut()
        .unwrap()
        .some_avg10 = 70.0;
    assert_eq!(
        only(&run(&s), "cpu_saturated")[0].severity,
        Severity::Critical
    );
}

#[test]
fn iowait_and_steal() {
    let mut s = healthy();
    s.cpu.as_mut().unwrap().iowait_percent = 19.0;
    s.cpu.as_mut().unwrap().steal_percent = 9.0;
    assert!(run(&s).is_empty());
    s.cpu.as_mut().unwrap().iowait_percent = 55.0;
    s.cpu.as_mut().unwrap().steal_percent = 12.0;
    s.processes.as_mut().unwrap()[2].state = "D".into();
    let f = run(&s);
    assert_eq!(only(&f, "iowait_high")[0].severity, Severity::Critical);
    assert!(only(&f, "iowait_high")[0]
        .evidence
        .iter()
        .any(|e| e.contains("pid 101")));
    assert_eq!(only(&f, "steal_high")[0].severity, Severity::Warning);
}

#[test]
fn memory_pressure_from_available_and_psi_names_largest() {
    let mut s = healthy();
    s.processes.as_mut().unwrap()[1].rss_bytes = 12 * GIB;
    let m = s.memory.as_mut().unwrap();
    m.available_bytes = GIB; // 6.25%
    let f = run(&s);
    let mp = only(&f, "memory_pressure");
    assert_eq!(mp[0].severity, Severity::Warning);
    assert!(mp[0].title.contains("nginx (pid 100)"), "{}", mp[0].title);
    s.memory.as_mut().unwrap().available_bytes = 8 * GIB;
    assert!(only(&run(&s), "memory_pressure").is_empty());
    s.pressure
        .as_mut()
        .unwrap()
        .memory
        .as_mut()
        .unwrap()
        .full_avg10 = Some(25.0);
    assert_eq!(
        only(&run(&s), "memory_pressure")[0].severity,
        Severity::Critical
    );
}

#[test]
fn swap_heavy() {
    let mut s = healthy();
    let m = s.memory.as_mut().unwrap();
    m.swap_free_bytes = GIB / 2; // 75% used
    assert_eq!(only(&run(&s), "swap_heavy")[0].severity, Severity::Warning);
    // A tiny swap wholly used is not worth a warning.
    let m = s.memory.as_mut().unwrap();
    m.swap_total_bytes = 32 * 1024 * 1024;
    m.swap_free_bytes = 0;
    assert!(only(&run(&s), "swap_heavy").is_empty());
}

#[test]
fn disk_almost_full_names_the_mount_with_df_percent() {
    let mut s = healthy();
    let list = s.filesystems.as_mut().unwrap();
    // df: used/(used+avail): 89/(89+11) = 89% — below, though 5% is reserved for root.
    list[0] = fs("/", "ext4", 105 * GIB, 89 * GIB, 11 * GIB);
    assert!(only(&run(&s), "disk_almost_full").is_empty());
    let list = s.filesystems.as_mut().unwrap();
    list[0] = fs("/var", "xfs", 100 * GIB, 91 * GIB, 9 * GIB);
    list[1] = fs("/dev/shm", "tmpfs", 100 << 20, 98 << 20, 2 << 20);
    let f = run(&s);
    let d = only(&f, "disk_almost_full");
    assert_eq!(d.len(), 2, "{d:#?}");
    assert_eq!(d[0].severity, Severity::Critical, "worst first");
    assert!(
        d[0].title.starts_with("/dev/shm 98% full"),
        "{}",
        d[0].title
    );
    assert!(d[1].title.starts_with("/var 91% full"), "{}", d[1].title);
    // Read-only images are full by design.
    s.filesystems.as_mut().unwrap()[1].read_only = true;
    assert_eq!(only(&run(&s), "disk_almost_full").len(), 1);
}

#[test]
fn inodes_almost_full() {
    let mut s = healthy();
    s.filesystems.as_mut().unwrap()[0].inodes_used = 890_000;
    assert!(only(&run(&s), "inodes_almost_full").is_empty());
    s.filesystems.as_mut().unwrap()[0].inodes_used = 960_000;
    let f = run(&s);
    let i = only(&f, "inodes_almost_full");
    assert_eq!(i[0].severity, Severity::Critical);
    assert!(
        i[0].title.starts_with("/ inodes 96% used"),
        "{}",
        i[0].title
    );
}

#[test]
fn zombies_aggregate_and_name_the_parent() {
    let mut s = healthy();
    let procs = s.processes.as_mut().unwrap();
    procs.push(proc_(200, 100, "php", "Z"));
    procs.push(proc_(201, 100, "php", "Z"));
    procs.push(proc_(300, 1, "sh", "Z"));
    let f = run(&s);
    let z = only(&f, "zombie_processes");
    assert_eq!(z.len(), 1, "one finding for all");
    assert_eq!(z[0].severity, Severity::Warning);
    assert!(z[0].title.starts_with("3 zombie"), "{}", z[0].title);
    assert!(z[0].title.contains("nginx (pid 100)"), "{}", z[0].title);
    assert!(
        z[0].evidence[0].contains("php (pid 200)"),
        "{:?}",
        z[0].evidence
    );
}

#[test]
fn d_state_processes_are_named() {
    let mut s = healthy();
    s.processes.as_mut().unwrap()[2].state = "D".into();
    let f = run(&s);
    let d = only(&f, "uninterruptible_processes");
    assert!(d[0].title.contains("nginx (pid 101)"), "{}", d[0].title);
    // D in both samples: stuck. D now but running at the first sample: one I/O in
    // flight, not reported.
    s.processes.as_mut().unwrap()[2].previous_state = Some("D".into());
    assert_eq!(only(&run(&s), "uninterruptible_processes").len(), 1);
    s.processes.as_mut().unwrap()[2].previous_state = Some("R".into());
    assert!(only(&run(&s), "uninterruptible_processes").is_empty());
    s.processes.as_mut().unwrap()[2].previous_state = None;
    s.processes.as_mut().unwrap()[2].state = "I".into();
    assert!(only(&run(&s), "uninterruptible_processes").is_empty());
}

#[test]
fn process_restarting_sees_young_siblings_only_after_boot_settles() {
    let mut s = healthy();
    let procs = s.processes.as_mut().unwrap();
    for pid in 500..503 {
        let mut p = proc_(pid, 1, "worker", "S");
        p.started_at = Some(t0() - chrono::Duration::seconds(30 + i64::from(pid - 500)));
        procs.push(p);
    }
    let f = run(&s);
    let r = only(&f, "process_restarting");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].severity, Severity::Info);
    assert!(r[0].title.contains("3 `worker`"), "{}", r[0].title);
    // Children of a young parent (a build, a script) are not a restart loop.
    let mut s2 = s.clone();
    let mut make = proc_(499, 1, "make", "S");
    make.started_at = Some(t0() - chrono::Duration::seconds(60));
    for p in s2
        .processes
        .as_mut()
        .unwrap()
        .iter_mut()
        .filter(|p| p.name == "worker")
    {
        p.ppid = 499;
    }
    s2.processes.as_mut().unwrap().push(make);
    assert!(only(&run(&s2), "process_restarting").is_empty());
    // Older than the window: quiet.
    for p in s
        .processes
        .as_mut()
        .unwrap()
        .iter_mut()
        .filter(|p| p.name == "worker")
    {
        p.started_at = Some(t0() - chrono::Duration::hours(1));
    }
    assert!(only(&run(&s), "process_restarting").is_empty());
    // Just booted: everything is young.
    for p in s.processes.as_mut().unwrap().iter_mut() {
        p.started_at = Some(t0() - chrono::Duration::seconds(10));
    }
    s.host.as_mut().unwrap().uptime_seconds = 60;
    assert!(only(&run(&s), "process_restarting").is_empty());
}

#[test]
fn listen_queue_overflow_once_per_listener() {
    let mut s = healthy();
    let l = &mut s.listeners.as_mut().unwrap()[0];
    l.recv_q = Some(511);
    let f = run(&s);
    let q = only(&f, "listen_queue_overflow");
    assert_eq!(q.len(), 1);
    assert!(
        q[0].title.contains("0.0.0.0:80 (nginx pid 100)"),
        "{}",
        q[0].title
    );
    assert_eq!(q[0].severity, Severity::Critical);
    // A second full listener is its own finding.
    let mut other = s.listeners.as_ref().unwrap()[0].clone();
    other.port = 443;
    s.listeners.as_mut().unwrap().push(other);
    assert_eq!(only(&run(&s), "listen_queue_overflow").len(), 2);
    s.listeners.as_mut().unwrap().pop();
    s.listeners.as_mut().unwrap()[0].recv_q = Some(510);
    assert!(only(&run(&s), "listen_queue_overflow").is_empty());
}

#[test]
fn conn_state_anomaly_close_wait() {
    let mut s = healthy();
    let c = s.connections.as_mut().unwrap();
    c.total = 1000;
    c.by_state.insert("CLOSE_WAIT".into(), 400);
    c.top_processes.push(ProcessCount {
        pid: 100,
        process: "java".into(),
        count: 700,
    });
    let f = run(&s);
    let a = only(&f, "conn_state_anomaly");
    assert_eq!(a.len(), 1, "{a:#?}");
    assert!(
        a[0].title
            .contains("CLOSE_WAIT (40%) — top: java (pid 100)"),
        "{}",
        a[0].title
    );
    // Many TIME_WAIT on a small host is normal.
    let c = s.connections.as_mut().unwrap();
    c.by_state.insert("CLOSE_WAIT".into(), 5);
    c.by_state.insert("TIME_WAIT".into(), 900);
    assert!(only(&run(&s), "conn_state_anomaly").is_empty());
}

fn baseline(load: Usual) -> Baseline {
    Baseline {
        days: 5,
        window_minutes: 30,
        load1: Some(load),
        ..Default::default()
    }
}

#[test]
fn unusual_vs_baseline_reports_far_from_usual() {
    let mut s = healthy();
    s.load.as_mut().unwrap().one = 14.2;
    s.cpu.as_mut().unwrap().count = 16;
    let usual = Usual {
        median: 1.1,
        spread: 0.4,
        samples: 300,
    };
    let ctx = Context::for_snapshot(&s).with_baseline(Some(baseline(usual)));
    let f = evaluate(&s, &ctx);
    let u = only(&f, "unusual_vs_baseline");
    assert_eq!(u.len(), 1, "{f:#?}");
    assert_eq!(u[0].title, "load 14.2 — usual at this hour 1.1 ± 0.4");
    // Without a baseline, or with too few days, or near the usual value: quiet.
    assert!(only(&run(&s), "unusual_vs_baseline").is_empty());
    let mut b = baseline(usual);
    b.days = 1;
    let ctx = Context::for_snapshot(&s).with_baseline(Some(b));
    assert!(only(&evaluate(&s, &ctx), "unusual_vs_baseline").is_empty());
    s.load.as_mut().unwrap().one = 1.5;
    let ctx = Context::for_snapshot(&s).with_baseline(Some(baseline(usual)));
    assert!(only(&evaluate(&s, &ctx), "unusual_vs_baseline").is_empty());
    // Far from usual but tiny (idle noise): quiet.
    let ctx = Context::for_snapshot(&s).with_baseline(Some(baseline(Usual {
        median: 0.05,
        spread: 0.01,
        samples: 300,
    })));
    s.load.as_mut().unwrap().one = 0.9;
    assert!(only(&evaluate(&s, &ctx), "unusual_vs_baseline").is_empty());
    // Many spreads away (tight spread) and above the floor, but not twice the usual:
    // quiet. Twice the usual: reported.
    let mut s = healthy();
    s.cpu.as_mut().unwrap().count = 2;
    let tight = Usual {
        median: 1.0,
        spread: 0.1,
        samples: 300,
    };
    s.load.as_mut().unwrap().one = 1.6;
    let ctx = Context::for_snapshot(&s).with_baseline(Some(baseline(tight)));
    assert!(only(&evaluate(&s, &ctx), "unusual_vs_baseline").is_empty());
    s.load.as_mut().unwrap().one = 2.0;
    let ctx = Context::for_snapshot(&s).with_baseline(Some(baseline(tight)));
    assert_eq!(only(&evaluate(&s, &ctx), "unusual_vs_baseline").len(), 1);
}

#[test]
fn findings_are_sorted_worst_first_and_ids_are_unique_in_table() {
    let mut s = healthy();
    s.processes.as_mut().unwrap().push(proc_(300, 1, "sh", "Z"));
    s.filesystems.as_mut().unwrap()[1] = fs("/run", "tmpfs", GIB, GIB, 0);
    s.facts.clock = Some(crate::facts::ClockState {
        state: libc::TIME_ERROR,
        status: libc::STA_UNSYNC,
        max_error_us: 16_000_000,
    });
    let f = evaluate(&s, &Context::for_snapshot(&s));
    assert_eq!(
        ids(&f),
        ["disk_almost_full", "zombie_processes", "clock_unsynced"]
    );
    assert_eq!(worst(&f), Some(Severity::Critical));
}

#[test]
fn reevaluate_with_a_baseline_keeps_log_event_findings() {
    let mut s = healthy();
    s.load.as_mut().unwrap().one = 3.9;
    s.facts.log_events.push(crate::facts::LogEvent {
        id: "oom_kill",
        culprit: "java".into(),
        detail: Some("pid 7".into()),
        count: 1,
        first: None,
        last: None,
        lines: vec!["- Out of memory: Killed process 7 (java)".into()],
    });
    s.findings = evaluate(&s, &Context::for_snapshot(&s));
    assert_eq!(ids(&s.findings), ["oom_kill"]);
    let usual = Usual {
        median: 0.5,
        spread: 0.1,
        samples: 100,
    };
    let ctx = Context::for_snapshot(&s).with_baseline(Some(baseline(usual)));
    reevaluate(&mut s, &ctx);
    assert_eq!(ids(&s.findings), ["oom_kill", "unusual_vs_baseline"]);
    let ctx = Context::for_snapshot(&s);
    reevaluate(&mut s, &ctx);
    assert_eq!(ids(&s.findings), ["oom_kill"]);
}

/// A memory-cgroup OOM kill is said once, by cgroup_oom_kill (naming the cgroup); a
/// host-wide kill in the same log stays an oom_kill.
#[test]
fn memcg_oom_kill_is_only_cgroup_oom_kill() {
    let mut s = healthy();
    let event = |culprit: &str, detail: &str, line: &str| crate::facts::LogEvent {
        id: "oom_kill",
        culprit: culprit.into(),
        detail: Some(detail.into()),
        count: 1,
        first: None,
        last: None,
        lines: vec![line.into()],
    };
    s.facts.log_events.push(event(
        "python3",
        "pid 3630, constraint CONSTRAINT_MEMCG, cgroup /docker/abc123",
        "- oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/docker/abc123,task_memcg=/docker/abc123,task=python3,pid=3630,uid=0",
    ));
    s.facts.log_events.push(event(
        "java",
        "pid 7, constraint CONSTRAINT_NONE",
        "- oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=java,pid=7,uid=0",
    ));
    let f = evaluate(&s, &Context::for_snapshot(&s));
    let oom: Vec<&str> = f
        .iter()
        .filter(|f| f.id == "oom_kill")
        .map(|f| f.title.as_str())
        .collect();
    assert_eq!(oom.len(), 1, "{f:#?}");
    assert!(oom[0].contains("java"), "{}", oom[0]);
    let cg: Vec<_> = f.iter().filter(|f| f.id == "cgroup_oom_kill").collect();
    assert_eq!(cg.len(), 1, "{f:#?}");
    assert!(cg[0].title.contains("3630"), "{}", cg[0].title);
}
