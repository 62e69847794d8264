//! Saved trees written by others (hotsos test data): what `--root` reads must match what
//! the tree's own command outputs say, anchored to the moment it was captured.

use crate::common::fixture;

use triage_core::collect::{snapshot, Options};
use triage_core::{HostRoot, Snapshot};

fn take(name: &str) -> Snapshot {
    snapshot(
        &HostRoot::new(fixture(name)).unwrap(),
        &Options {
            sample_interval: std::time::Duration::ZERO,
            ..Options::default()
        },
    )
}

fn utc(s: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

#[test]
fn openstack_capture_time_and_uptime() {
    let s = take("hotsos-openstack");
    // sos_commands/date/date: "Thu Feb 10 16:19:17 UTC 2022".
    assert_eq!(s.collected_at, utc("2022-02-10T16:19:17Z"));
    assert!(s.analysed_at.is_some_and(|a| a > s.collected_at));
    assert!(
        s.warnings
            .iter()
            .any(|w| w.message.contains("capture time")
                && w.message.contains("sos_commands/date/date")),
        "{:?}",
        s.warnings
    );
    let host = s.host.as_ref().unwrap();
    // sos_commands/host/uptime: "16:19:19 up 17:41".
    assert_eq!(host.uptime_seconds, 17 * 3600 + 41 * 60);
    assert_eq!(
        host.boot_time.unwrap().timestamp(),
        utc("2022-02-10T16:19:17Z").timestamp() - (17 * 3600 + 41 * 60)
    );
    assert_eq!(host.hostname, "compute4");
    assert_eq!(host.kernel, "5.4.0-97-generic");
    // etc/os-release dangles inside the tree: etc/lsb-release, not the analyst's OS.
    assert_eq!(host.os, "Ubuntu 20.04.3 LTS");
    assert_eq!(host.cpus, Some(2));
    // 48 h before the capture, not before today: nothing in dpkg.log is that recent
    // (its last lines are 2022-02-04) and the checkout's file times are in the future.
    let changes = s.recent_changes.as_ref().unwrap();
    assert!(
        changes.iter().all(|c| c.time <= s.collected_at),
        "{changes:?}"
    );
}

#[test]
fn openstack_load_memory_filesystems_from_command_outputs() {
    let s = take("hotsos-openstack");
    let load = s.load.as_ref().expect("load from the uptime output");
    assert_eq!((load.one, load.five, load.fifteen), (3.58, 3.27, 2.58));
    let mem = s.memory.as_ref().expect("memory from free");
    assert_eq!(mem.total_bytes, 16_393_164 * 1024);
    assert_eq!(mem.available_bytes, 8_638_440 * 1024);
    assert_eq!(mem.swap_total_bytes, 4_194_300 * 1024);
    let fs = s.filesystems.as_ref().expect("filesystems from mount + df");
    let root = fs.iter().find(|f| f.mount_point == "/").unwrap();
    assert_eq!(root.device, "/dev/vda2");
    assert_eq!(root.fs_type, "ext4");
    // df_-al_-x_autofs: /dev/vda2 308585260 1K-blocks.
    assert_eq!(root.size_bytes / 1024, 308_585_260);
    // Load 3.58 on 2 CPUs (cpuinfo), not on an assumed single CPU.
    assert!(
        s.findings
            .iter()
            .filter(|f| f.id == "load_high")
            .all(|f| !f.title.contains("1 CPU")),
        "{:?}",
        s.findings
    );
}

#[test]
fn sunbeam_ps_auxm_threads_states_and_parents() {
    let s = take("hotsos-sunbeam");
    assert_eq!(s.collected_at, utc("2025-05-14T14:22:18Z"));
    let procs = s.processes.as_ref().unwrap();
    assert_eq!(procs.len(), 9, "thread rows are not processes");
    let by = |pid: i32| procs.iter().find(|p| p.pid == pid).unwrap();
    // multipathd: 7 thread rows (and NLWP 7), state S of its main thread, ppid 1.
    assert_eq!(
        (by(420).threads, by(420).state.as_str(), by(420).ppid),
        (7, "S", 1)
    );
    assert_eq!(
        by(420).started_at.unwrap(),
        utc("2025-05-14T04:21:56Z"),
        "lstart of the ps -o capture, in the capture's zone"
    );
    // The cgroup column of ps_axo_…_cgroup, where the containers work looks for it.
    assert_eq!(
        by(420).cgroup.as_deref(),
        Some("/system.slice/multipathd.service")
    );
    assert_eq!(by(420).unit.as_deref(), Some("multipathd.service"));
    assert_eq!(by(2847).state, "D");
    assert_eq!((by(256799).state.as_str(), by(256799).ppid), ("Z", 256795));
    let sum = s.process_summary.as_ref().unwrap();
    assert_eq!((sum.uninterruptible, sum.zombie), (1, 2));
    // No thread row is "malformed".
    let w: Vec<&str> = s
        .warnings
        .iter()
        .filter(|w| w.collector == "processes")
        .map(|w| w.message.as_str())
        .collect();
    assert!(w.iter().all(|m| !m.contains("malformed")), "{w:?}");
    assert!(w.iter().any(|m| m.contains("ps_axo_flags_state_")), "{w:?}");
}

/// kern.log is read with the sos dmesg, not shadowed by it: the boot records the ring
/// buffer had already dropped come from kern.log, the records both have appear once,
/// and kern.log's year-less lines take the capture's year (2022), not the checkout's.
#[test]
fn openstack_kern_log_and_dmesg_both_read_once() {
    let root = HostRoot::new(fixture("hotsos-openstack")).unwrap();
    let r = triage_core::logs::kmsg::read_kernel(&root, None);
    assert_eq!(r.entries.len(), 15, "{:#?}", r.entries);
    let first = &r.entries[0];
    assert!(
        first.message.starts_with("Linux version 5.4.0-97"),
        "{first:?}"
    );
    assert_eq!(first.time, Some(utc("2022-02-09T22:38:17Z")));
    assert!(r
        .entries
        .iter()
        .all(|e| e.time.is_some_and(|t| t <= utc("2022-02-10T16:19:17Z"))));
    let bcache = r
        .entries
        .iter()
        .filter(|e| e.message == "bcache: register_bcache() error : device already registered")
        .count();
    assert_eq!(bcache, 3);
}

/// `snapshot --md` of a tree, with what depends on the analyst's run made fixed.
fn golden_md(name: &str) -> String {
    let mut s = take(name);
    s.analysed_at = None;
    s.duration_ms = 0;
    s.timings_ms.clear();
    let offset = *s.collected_at.offset();
    if let Some(h) = s.host.as_mut() {
        h.boot_time = h.boot_time.map(|b| b.with_timezone(&offset));
    }
    let mut out = Vec::new();
    triage_core::render::markdown::write(&s, &mut out).unwrap();
    // Warnings name files under the fixture: not where this checkout happens to be.
    let root = fixture(name).canonicalize().unwrap();
    String::from_utf8(out)
        .unwrap()
        .replace(&root.display().to_string(), "<root>")
}

#[test]
fn ubuntu_sosreport_markdown_golden() {
    insta::assert_snapshot!("hotsos_openstack_md", golden_md("hotsos-openstack"));
}

#[test]
fn rhel_style_tree_markdown_golden() {
    insta::assert_snapshot!("rhel_pieces_md", golden_md("rhel-pieces"));
}

/// Kernel tables of a real capture (hotsos scenarios, see the fixture's README): netlink
/// sockets that dropped, named by their holders from the sosreport's lsof output; TCP and
/// UDP socket memory at `tcp_mem`/`udp_mem` max from `sysctl -a`; a fragmented zone.
#[test]
fn kernel_tables_netlink_socket_memory_fragmentation() {
    let s = triage_core::collect::snapshot(
        &triage_core::HostRoot::new(crate::common::fixture("kernel_tables")).unwrap(),
        &triage_core::collect::Options::default(),
    );
    let by_id = |id: &str| -> Vec<&triage_core::snapshot::Finding> {
        s.findings.iter().filter(|f| f.id == id).collect()
    };
    let nl = by_id("netlink_drops");
    assert_eq!(nl.len(), 1, "{:#?}", s.findings);
    assert_eq!(
        nl[0].title,
        "2 netlink message(s) dropped: zabbix_ag (pid 17712), ovs-vswit (pid 13936), qemu-syst (pid 20986) missed kernel events"
    );
    assert_eq!(nl[0].vars.get("pid").map(String::as_str), Some("17712"));
    let mem = by_id("socket_memory_high");
    assert_eq!(mem.len(), 2, "{:#?}", s.findings);
    assert!(mem
        .iter()
        .all(|f| f.severity == triage_core::snapshot::Severity::Critical));
    assert_eq!(
        mem[0].title,
        "TCP socket memory exhausted (379728 of 379728 pages): the kernel drops TCP packets on every socket"
    );
    let frag = by_id("memory_fragmented");
    assert_eq!(frag.len(), 1, "{:#?}", s.findings);
    assert_eq!(
        frag[0].title,
        "memory fragmented on node 0 Normal: largest free block 64 KiB"
    );
    // The real openstack tree's zones have free blocks up to order 8: no finding.
    let s = triage_core::collect::snapshot(
        &triage_core::HostRoot::new(crate::common::fixture("hotsos-openstack")).unwrap(),
        &triage_core::collect::Options::default(),
    );
    assert!(
        !s.findings.iter().any(|f| f.id == "memory_fragmented"),
        "{:#?}",
        s.findings
    );
}

/// hotsos's vault sosreport has no `proc/net`: listeners and their owners come from its
/// `netstat -W -neopa`, and the units failed at capture from `systemctl list-units
/// --failed` are `service_failed` though no log line says so.
#[test]
fn vault_sosreport_listeners_from_netstat_and_failed_units() {
    let s = take("hotsos-vault");
    let listeners = s.listeners.as_ref().expect("listeners from netstat");
    let find = |proto: &str, port: u16| {
        listeners
            .iter()
            .find(|l| l.protocol == proto && l.port == port)
            .unwrap_or_else(|| panic!("no {proto} {port} in {listeners:#?}"))
    };
    let ssh = find("tcp", 22);
    assert_eq!((ssh.pid, ssh.process.as_deref()), (Some(328), Some("sshd")));
    assert_eq!(find("tcp6", 8200).process.as_deref(), Some("vault"));
    let dns = find("udp", 53);
    assert_eq!(
        (dns.address.as_str(), dns.process.as_deref()),
        ("127.0.0.53", Some("systemd-resolve"))
    );
    let conns = s.connections.as_ref().unwrap();
    assert!(
        conns.by_state.get("ESTABLISHED").copied().unwrap_or(0) >= 20,
        "{conns:?}"
    );
    assert!(
        s.warnings.iter().any(|w| w.collector == "network"
            && w.message
                .contains("sos_commands/networking/netstat_-W_-neopa")),
        "{:?}",
        s.warnings
    );
    let failed: Vec<&str> = s
        .findings
        .iter()
        .filter(|f| f.id == "service_failed")
        .map(|f| f.title.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "openipmi.service was failed when captured (LSB: OpenIPMI Driver init script)",
            "systemd-remount-fs.service was failed when captured (Remount Root and Kernel File Systems)",
            "multipathd.socket was failed when captured (multipathd control socket)",
        ]
    );
}

/// hotsos's openstack sosreport: ceph-osd@0 failed 9 times in syslog and runs at capture
/// (`systemctl list-units`): recovered (info), not failed now.
#[test]
fn openstack_unit_that_failed_earlier_is_recovered() {
    let s = take("hotsos-openstack");
    assert!(
        !s.findings.iter().any(|f| f.id == "service_failed"),
        "{:#?}",
        s.findings
    );
    let r: Vec<_> = s
        .findings
        .iter()
        .filter(|f| f.id == "service_recovered")
        .collect();
    assert_eq!(r.len(), 1, "{:#?}", s.findings);
    assert_eq!(r[0].severity, triage_core::snapshot::Severity::Info);
    assert_eq!(
        r[0].title,
        "ceph-osd@0.service recovered: failed 9 times (exit-code), last at 2022-02-10 09:28:36, active (running) when captured"
    );
}

/// A tree whose only log is `sos_commands/logs/journalctl_--no-pager` (hotsos lines):
/// the log tail and its events, and the kernel records, come from it.
#[test]
fn journal_export_is_a_log_source() {
    let s = take("journal-export");
    let tail = s
        .log_tail
        .as_ref()
        .expect("log tail from the journal export");
    assert!(
        tail.iter()
            .any(|e| e.message.contains("radvd.service: Failed with result")),
        "{tail:#?}"
    );
    assert!(
        s.findings
            .iter()
            .any(|f| f.id == "service_failed" && f.title.starts_with("radvd.service failed")),
        "{:#?}",
        s.findings
    );
    let kernel = s
        .kernel_log
        .as_ref()
        .expect("kernel records from the journal export");
    assert!(
        kernel
            .iter()
            .any(|e| e.message.starts_with("Linux version 5.4.0-97-generic")),
        "{kernel:#?}"
    );
}
