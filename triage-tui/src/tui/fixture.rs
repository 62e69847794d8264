//! Test fixtures: a snapshot of a web server after an OOM kill and an incident journal,
//! both with fixed times so rendered frames are deterministic.

use std::path::Path;

use triage_core::incident::{Event as JEvent, EventBody, Journal};
use triage_core::snapshot::{Snapshot, Time};

/// A time from RFC 3339.
pub fn t(s: &str) -> Time {
    Time::parse_from_rfc3339(s).unwrap()
}

/// A web server at 10:05 after an OOM kill: fixed figures, fixed times.
pub fn fixture_snapshot() -> Snapshot {
    serde_json::from_value(serde_json::json!({
        "schema_version": 1,
        "collected_at": "2026-11-23T10:05:00+00:00",
        "duration_ms": 310,
        "host": {"hostname": "web-3", "kernel": "6.1.0-18-amd64", "os": "Debian GNU/Linux 12",
                 "uptime_seconds": 864000, "boot_time": "2026-11-13T10:05:00+00:00"},
        "load": {"one": 14.2, "five": 9.8, "fifteen": 4.1, "runnable": 12, "total_tasks": 412},
        "cpu": {"count": 4, "usage_percent": 97.5, "iowait_percent": 3.0, "steal_percent": 0.0},
        "memory": {"total_bytes": 8589934592u64, "available_bytes": 214748364u64, "used_bytes": 8375186228u64,
                   "swap_total_bytes": 2147483648u64, "swap_free_bytes": 0},
        "pressure": {"cpu": {"some_avg10": 62.1, "some_avg60": 40.0, "full_avg10": null},
                     "memory": {"some_avg10": 35.5, "some_avg60": 20.0, "full_avg10": 12.0},
                     "io": null},
        "filesystems": [
            {"mount_point": "/", "device": "/dev/vda1", "fs_type": "ext4", "size_bytes": 42949672960u64,
             "used_bytes": 41875931136u64, "available_bytes": 1073741824u64, "inodes_total": 2621440, "inodes_used": 400000},
            {"mount_point": "/boot", "device": "/dev/vda2", "fs_type": "ext4", "size_bytes": 536870912u64,
             "used_bytes": 107374182u64, "available_bytes": 429496730u64, "inodes_total": 32768, "inodes_used": 300}],
        "processes": [
            {"pid": 2201, "ppid": 1, "user": "app", "state": "R", "cpu_percent": 180.5, "rss_bytes": 6442450944u64,
             "threads": 212, "started_at": "2026-11-23T09:00:00+00:00", "command": "java -Xmx6g -jar shop.jar --db.password=***"},
            {"pid": 1400, "ppid": 1, "user": "root", "state": "S", "cpu_percent": 12.0, "rss_bytes": 104857600u64,
             "threads": 4, "started_at": "2026-11-13T10:05:10+00:00", "command": "nginx: master process /usr/sbin/nginx"},
            {"pid": 3100, "ppid": 1400, "user": "www-data", "state": "D", "cpu_percent": 1.5, "rss_bytes": 52428800u64,
             "threads": 1, "started_at": "2026-11-23T10:01:00+00:00", "command": "nginx: worker process"},
            {"pid": 1, "ppid": 0, "user": "root", "state": "S", "cpu_percent": 0.0, "rss_bytes": 12582912u64,
             "threads": 1, "started_at": "2026-11-13T10:05:00+00:00", "command": "/sbin/init"}],
        "process_summary": {"total": 412, "running": 12, "sleeping": 398, "uninterruptible": 1, "zombie": 1},
        "users": [{"user": "alice", "tty": "pts/0", "from": "10.0.0.5", "login_at": "2026-11-23T10:03:00+00:00"}],
        "listeners": [
            {"protocol": "tcp", "address": "0.0.0.0", "port": 443, "pid": 1400, "process": "nginx", "user": "root", "recv_q": 0, "send_q": 511},
            {"protocol": "tcp6", "address": "::", "port": 8080, "pid": 2201, "process": "java", "user": "app", "recv_q": 100, "send_q": 100}],
        "connections": {"total": 1840, "by_state": {"ESTABLISHED": 1200, "TIME_WAIT": 600, "SYN_RECV": 40},
                        "top_remote": [{"address": "10.0.1.20", "count": 800}, {"address": "10.0.1.21", "count": 400}]},
        "kernel_log": [
            {"time": "2026-11-23T10:02:11+00:00", "level": "err", "message": "Out of memory: Killed process 2101 (java) total-vm:9000000kB"},
            {"time": "2026-11-23T10:02:12+00:00", "level": "info", "message": "oom_reaper: reaped process 2101 (java)"}],
        "log_tail": [
            {"source": "/var/log/syslog", "time": "2026-11-23T10:02:30+00:00", "message": "systemd[1]: shop.service: Main process exited, code=killed"},
            {"source": "/var/log/nginx/error.log", "time": "2026-11-23T10:03:01+00:00", "message": "upstream timed out (110) while connecting to upstream 10.0.0.9:8080"},
            {"source": "/var/log/nginx/error.log", "time": "2026-11-23T10:03:02+00:00", "message": "upstream timed out (110) while connecting to upstream 10.0.0.9:8080"}],
        "recent_changes": [
            {"time": "2026-11-23T09:40:00+00:00", "kind": "package", "summary": "upgrade openjdk-17-jre 17.0.9 -> 17.0.10", "source": "/var/log/dpkg.log"},
            {"time": "2026-11-23T09:55:00+00:00", "kind": "deploy", "summary": "shop.jar replaced", "source": "/srv/shop"}],
        "findings": [
            {"id": "oom_kill", "severity": "critical", "title": "OOM kill of java (pid 2101) at 10:02",
             "evidence": ["kernel: Out of memory: Killed process 2101 (java)"]},
            {"id": "load_high", "severity": "warning", "title": "load 14.2 on 4 cores",
             "evidence": ["load 14.2 9.8 4.1", "12 runnable"]},
            {"id": "disk_almost_full", "severity": "warning", "title": "/ is 97% full", "evidence": ["1.0G free of 40G"]}],
        "warnings": [{"collector": "users", "message": "no utmp"}],
        "timings_ms": {}
    }))
    .unwrap()
}

/// An incident opened at 10:03 with a note and Detect done, written with fixed times.
pub fn fixture_journal(state_dir: &Path) {
    let dir = state_dir.join("incidents/20261123-100300");
    std::fs::create_dir_all(&dir).unwrap();
    let j = Journal::new(dir.join("journal.jsonl"));
    let ev = |time: &str, body| JEvent {
        time: t(time),
        by: Some("alice".into()),
        body,
    };
    j.append_event(&ev(
        "2026-11-23T10:03:00+00:00",
        EventBody::Opened {
            title: "OOM kill of java (pid 2101) at 10:02".into(),
            host: "web-3".into(),
        },
    ))
    .unwrap();
    j.append_event(&ev(
        "2026-11-23T10:03:30+00:00",
        EventBody::Step {
            step: "detect".into(),
            status: "done".into(),
        },
    ))
    .unwrap();
    j.append_event(&ev(
        "2026-11-23T10:04:00+00:00",
        EventBody::Note {
            text: "java restarted by systemd, still swapping".into(),
        },
    ))
    .unwrap();
}
