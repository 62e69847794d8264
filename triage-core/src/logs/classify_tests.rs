//! Rule tests: literal lines written from the kernel's and systemd's printk formats, and
//! the real kernel text in `../shared/data` (skipped with a message when absent).

use super::*;
use crate::logs::formats::{parse_line, ParseCtx, Parsed};
use crate::snapshot::{Finding, Severity};

/// The entries of `text`, one log line each, parsed as a log file would be (shared with
/// the multi-line report tests in `traces_tests.rs`).
pub(crate) fn entries(text: &str) -> Vec<LogEntry> {
    let ctx = ParseCtx {
        source: "test".into(),
        reference: crate::snapshot::now(),
        boot_time: None,
    };
    text.lines()
        .filter_map(|l| match parse_line(l, &ctx) {
            Parsed::Entry(e) => Some(e),
            _ => None,
        })
        .collect()
}

/// The findings of the events in `entries`, as the engine makes them.
fn classify(entries: &[LogEntry]) -> Vec<Finding> {
    crate::findings::catalogue::event_findings(&events(entries))
}

fn one(text: &str) -> Finding {
    let f = classify(&entries(text));
    assert_eq!(f.len(), 1, "{text}\n{f:#?}");
    f.into_iter().next().unwrap()
}

#[test]
fn oom_kill_with_constraint_and_victim() {
    // mm/oom_kill.c (5.x): dump_oom_summary + __oom_kill_process.
    let f = one("[ 100.1] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/docker/abc123,task_memcg=/docker/abc123,task=postgres,pid=12345,uid=1000\n\
[ 100.2] Memory cgroup out of memory: Killed process 12345 (postgres) total-vm:1460016kB, anon-rss:1414008kB, file-rss:4kB, shmem-rss:0kB, UID:1000 pgtables:2912kB oom_score_adj:0");
    assert_eq!(f.id, "oom_kill");
    assert_eq!(f.severity, Severity::Critical);
    assert!(
        f.title.contains("postgres") && f.title.contains("12345"),
        "{}",
        f.title
    );
    assert_eq!(f.evidence.len(), 3);
    assert!(f.evidence[0].starts_with("1 time"), "{:?}", f.evidence);
    // A constraint line alone still names the cgroup.
    let f = one("oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/docker/abc123,task_memcg=/docker/abc123,task=java,pid=7,uid=0");
    assert!(f.title.contains("/docker/abc123"), "{}", f.title);
    // RHEL 6: "Killed process %d, UID %d, (%s)".
    assert!(one("Killed process 123, UID 48, (httpd) total-vm:1kB")
        .title
        .contains("httpd"));
}

#[test]
fn one_finding_per_culprit_with_count() {
    let f = classify(&entries(
        "Out of memory: Killed process 1 (java)\nOut of memory: Killed process 2 (java)\nOut of memory: Killed process 3 (nginx)",
    ));
    assert_eq!(f.len(), 2);
    assert!(
        f[0].title.contains("java") && f[0].title.contains("2 times"),
        "{}",
        f[0].title
    );
    assert!(f[0].title.contains("pid 2"), "last pid: {}", f[0].title);
}

#[test]
fn kernel_formats() {
    let cases = [
        // kernel/hung_task.c
        ("INFO: task jbd2/sda1-8:123 blocked for more than 120 seconds.", "hung_task", "jbd2/sda1-8"),
        // kernel/watchdog.c
        ("watchdog: BUG: soft lockup - CPU#3 stuck for 23s! [kworker/3:1:456]", "soft_lockup", "kworker/3:1"),
        // arch/x86/mm/fault.c show_signal_msg
        ("nginx[2345]: segfault at 0 ip 000055d5 sp 00007ffd error 4 in nginx[55d5+10000] likely on CPU 1 (core 1, socket 0)", "segfault", "nginx"),
        // block/blk-core.c (4.x blk_update_request, 5.x print_req_error, 6.x)
        ("blk_update_request: I/O error, dev sda, sector 123456 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0", "io_error", "sda"),
        ("I/O error, dev nvme0n1, sector 8 op 0x1:(WRITE) flags 0x800 phys_seg 1 prio class 2", "io_error", "nvme0n1"),
        ("blk_update_request: critical medium error, dev sdb, sector 77", "io_error", "sdb"),
        ("end_request: I/O error, dev sdc, sector 0", "io_error", "sdc"),
        // fs/buffer.c
        ("Buffer I/O error on dev sdb1, logical block 0, async page read", "io_error", "sdb1"),
        ("Buffer I/O error on device dm-2, logical block 12", "io_error", "dm-2"),
        // fs/ext4/super.c
        ("EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2: comm ls: reading directory lblock 0", "fs_error", "sda1"),
        ("EXT4-fs (sda1): Remounting filesystem read-only", "fs_error", "sda1"),
        ("XFS (dm-0): Log I/O Error Detected. Shutting down filesystem", "fs_error", "dm-0"),
        ("XFS (sdb1): Corruption of in-memory data detected.  Shutting down filesystem", "fs_error", "sdb1"),
        ("nf_conntrack: nf_conntrack: table full, dropping packet", "conntrack_full", ""),
        ("nf_conntrack: table full, dropping packet", "conntrack_full", ""),
        // net/ipv4/tcp_input.c, old and new
        ("TCP: request_sock_TCP: Possible SYN flooding on port 8080. Sending cookies.  Check SNMP counters.", "syn_flood", "8080"),
        ("TCP: request_sock_TCP: Possible SYN flooding on port [::]:443. Sending cookies.", "syn_flood", "443"),
        ("nginx.service: Failed with result 'exit-code'.", "service_failed", "nginx.service"),
        ("Unit kdump.service entered failed state.", "service_failed", "kdump.service"),
    ];
    let mut bad = Vec::new();
    for (line, id, culprit) in cases {
        let f = classify(&entries(line));
        match f.as_slice() {
            [f] if f.id == id && f.title.contains(culprit) => {}
            other => bad.push(format!(
                "{line}\n  expected {id} naming {culprit:?}, got {other:?}"
            )),
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The kernel's `%s error` names the kind ("I/O", "critical medium"): the title keeps
/// it whole; a word class without `/` once cut "I/O error" down to "O error".
#[test]
fn io_error_titles_keep_the_kernel_error_kind() {
    for (line, kind) in [
        (
            "blk_update_request: I/O error, dev sdk, sector 8 op 0x0:(READ)",
            "(I/O error)",
        ),
        (
            "blk_update_request: critical medium error, dev sdb, sector 77",
            "(critical medium error)",
        ),
    ] {
        let f = classify(&entries(line));
        assert_eq!(f.len(), 1, "{line}");
        assert!(f[0].title.contains(kind), "{line}: {}", f[0].title);
        assert!(!f[0].title.contains("(O error)"), "{}", f[0].title);
    }
}

#[test]
fn harmless_lines_are_not_findings() {
    let text = "EXT4-fs (sda1): mounted filesystem with ordered data mode\n\
TCP established hash table entries: 8192\n\
INFO: task running normally\n\
nginx.service: Main process exited, code=exited, status=0/SUCCESS\n\
Started nginx.service.\n\
EXT4-fs: Remounting filesystem read-write";
    assert!(classify(&entries(text)).is_empty());
}

#[test]
fn systemd_failure_sequence_is_one_finding() {
    // The RockyLinux 9 sequence (see the real-data test below), as journal messages.
    let f = one(
        "kdump.service: Main process exited, code=exited, status=1/FAILURE\n\
kdump.service: Failed with result 'exit-code'.\n\
Failed to start Crash recovery kernel arming.",
    );
    assert_eq!(f.id, "service_failed");
    assert!(
        f.title.starts_with("kdump.service failed (exit-code)"),
        "{}",
        f.title
    );
    assert_eq!(f.evidence.len(), 4);
    // Alone, "Failed to start" names the description.
    assert!(one("Failed to start Postfix Mail Transport Agent.")
        .title
        .contains("Postfix"));
}

#[test]
fn evidence_is_capped() {
    let text = "nf_conntrack: table full, dropping packet\n".repeat(50);
    let f = one(&text);
    assert!(f.title.contains("50 times"), "{}", f.title);
    assert_eq!(f.evidence.len(), 1 + MAX_EVIDENCE);
}

fn shared(rel: &str) -> Option<String> {
    let base = std::env::var("TRIAGE_SHARED")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared").to_string());
    let p = std::path::Path::new(&base).join(rel);
    match std::fs::read(&p) {
        Ok(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        Err(_) => {
            eprintln!("skipping: {} not found (set TRIAGE_SHARED)", p.display());
            None
        }
    }
}

fn ids(text: &str) -> Vec<(String, String)> {
    classify(&entries(text))
        .into_iter()
        .map(|f| (f.id, f.title))
        .collect()
}

#[test]
fn real_gpud_kmsg_samples() {
    let Some(tsv) = shared("data/gpud/kmsg_matcher_test_lines.tsv") else {
        return;
    };
    let lines: String = tsv
        .lines()
        .skip(1)
        .filter_map(|l| l.splitn(3, '\t').nth(2))
        .map(|l| format!("{l}\n"))
        .collect();
    let found = ids(&lines);
    let has = |id: &str, culprit: &str| found.iter().any(|(i, t)| i == id && t.contains(culprit));
    assert!(has("hung_task", "jfsmount"), "{found:#?}");
    assert!(has("hung_task", "kcompactd1"));
    assert!(has("soft_lockup", "python3"));
    assert!(has("soft_lockup", "cuda-EvtHandlr"));
    assert!(has("oom_kill", "evil-program2"));
    assert!(has("oom_kill", "Plex Media Server"));
    assert!(has("io_error", "dm-0"));
    assert!(has("io_error", "nvme0n1"));
    assert!(has("fs_error", "md0"));
    assert!(has("fs_error", "nvme0n1p1"));
    // "task running normally", "normal CPU operation", … give nothing.
    assert!(!found.iter().any(|(_, t)| t.contains("normally")));
}

#[test]
fn real_dmesg_files() {
    if let Some(t) = shared("data/gpud/nccl_dmesg.decode.iso.log") {
        let f = classify(&entries(&t));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].id, "segfault");
        assert!(f[0].title.contains("pt_main_thread") && f[0].title.contains("libnccl.so.2"));
        assert!(f[0].title.contains("2 times"));
        assert!(
            f[0].evidence[0].contains("2025-01-21T04:41:44"),
            "{:?}",
            f[0].evidence
        );
    }
    if let Some(t) = shared("data/gpud/memory_dmesg.decode.iso.log") {
        let found = ids(&t);
        assert!(found.iter().any(|(i, _)| i == "oom_kill"), "{found:#?}");
    }
    for rel in [
        "data/insights-core/dmesg.txt",
        "data/insights-core/var_log_dmesg.txt",
        "data/syslog/Ubuntu22/kern.log",
    ] {
        if let Some(t) = shared(rel) {
            // Healthy boots: nothing alarming.
            let found = ids(&t);
            assert!(found.is_empty(), "{rel}: {found:#?}");
        }
    }
}

#[test]
fn real_rocky_messages_service_failures() {
    let Some(t) = shared("data/syslog/RockyLinux9/messages") else {
        return;
    };
    let found = ids(&t);
    let kdump: Vec<_> = found
        .iter()
        .filter(|(_, t)| t.contains("kdump.service"))
        .collect();
    assert_eq!(kdump.len(), 1, "{found:#?}");
    assert!(kdump[0].1.contains("2 times"), "{}", kdump[0].1);
    assert!(found
        .iter()
        .any(|(_, t)| t.contains("Setroubleshootd@0.service failed (signal)")));
    assert!(
        !found.iter().any(|(_, t)| t.contains("Crash recovery")),
        "paired with kdump: {found:#?}"
    );
}
