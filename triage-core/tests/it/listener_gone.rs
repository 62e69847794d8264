//! `listener_gone` end to end: a recorded history where port 5432 (postgres) listened all
//! day, and a snapshot of a fixture host whose `/proc/net/tcp` no longer has it.

use crate::common;
use common::copy_tree;

use std::path::Path;

use chrono::Duration;
use triage_core::collect::{snapshot, Options};
use triage_core::history::sample::ListenPort;
use triage_core::history::{self, store::SegmentWriter, Sample};
use triage_core::{HostRoot, Snapshot};

/// 26 hours of samples every 10 minutes ending now: sshd on 22 and postgres on 5432
/// always, a batch job on 9999 one sample in two.
fn write_history(dir: &Path) {
    let mut writer = SegmentWriter::new(dir);
    let now = triage_core::snapshot::now();
    let mut t = now - Duration::hours(26);
    let mut i = 0;
    while t < now - Duration::minutes(1) {
        let mut listeners = vec![
            ListenPort {
                port: 22,
                process: Some("sshd".into()),
            },
            ListenPort {
                port: 5432,
                process: Some("postgres".into()),
            },
        ];
        if i % 2 == 0 {
            listeners.push(ListenPort {
                port: 9999,
                process: Some("batch".into()),
            });
        }
        let s = Sample {
            time: t.timestamp(),
            utc_offset: t.offset().local_minus_utc(),
            interval_s: 600.0,
            listeners: Some(listeners),
            ..Sample::default()
        };
        writer
            .append(t.naive_utc().date(), &history::encode(&s).unwrap())
            .unwrap();
        t += Duration::minutes(10);
        i += 1;
    }
}

const TCP_HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

/// A `/proc/net/tcp` line for a socket on `port` in state `st`.
fn tcp_line(n: usize, port: u16, st: &str, inode: u64) -> String {
    format!(
        "  {n}: 00000000:{port:04X} 00000000:0000 {st} 00000000:00000000 00:00000000 00000000     0        0 {inode} 1 0000000000000000 100 0 0 10 0\n"
    )
}

/// A snapshot of the `healthy` fixture (which has no `proc/net`) with `tcp` as its
/// `/proc/net/tcp` when given.
fn snapshot_with_tcp(tcp: Option<&str>, history_dir: &Path) -> Snapshot {
    let root = tempfile::tempdir().unwrap();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/healthy"),
        root.path(),
    );
    if let Some(tcp) = tcp {
        std::fs::create_dir_all(root.path().join("proc/net")).unwrap();
        std::fs::write(root.path().join("proc/net/tcp"), tcp).unwrap();
    }
    let opts = Options {
        history_dir: Some(history_dir.to_path_buf()),
        ..Options::default()
    };
    snapshot(&HostRoot::new(root.path()).unwrap(), &opts)
}

fn gone(s: &Snapshot) -> Vec<&triage_core::snapshot::Finding> {
    s.findings
        .iter()
        .filter(|f| f.id == "listener_gone")
        .collect()
}

#[test]
fn a_usual_port_not_listening_is_reported() {
    let history_dir = tempfile::tempdir().unwrap();
    write_history(history_dir.path());
    let b = history::baseline_for(history_dir.path(), triage_core::snapshot::now())
        .unwrap()
        .unwrap();
    let ports: Vec<u16> = b.usual_listeners.iter().map(|u| u.port).collect();
    assert_eq!(ports, vec![22, 5432], "{:?}", b.usual_listeners);

    // sshd still listens, postgres is gone, something else listens on 8080; an
    // established connection from 5432 does not count as listening.
    let tcp = format!(
        "{TCP_HEADER}{}{}{}",
        tcp_line(0, 22, "0A", 100),
        tcp_line(1, 8080, "0A", 101),
        tcp_line(2, 5432, "01", 102),
    );
    let s = snapshot_with_tcp(Some(&tcp), history_dir.path());
    assert!(
        s.listeners.as_ref().is_some_and(|l| l.len() == 2),
        "{:?}",
        s.listeners
    );
    let f = gone(&s);
    assert_eq!(f.len(), 1, "{:#?}", s.findings);
    assert_eq!(
        f[0].title,
        "port 5432 (postgres) is not listening — it was in 100% of samples in the last 24 h"
    );
    assert_eq!(f[0].vars.get("port").map(String::as_str), Some("5432"));
    assert_eq!(s.findings[0].id, "listener_gone", "critical comes first");

    // Back up: no finding.
    let tcp = format!(
        "{TCP_HEADER}{}{}",
        tcp_line(0, 22, "0A", 100),
        tcp_line(1, 5432, "0A", 101)
    );
    let s = snapshot_with_tcp(Some(&tcp), history_dir.path());
    assert!(gone(&s).is_empty(), "{:#?}", s.findings);

    // No history: no baseline, no finding.
    let empty = tempfile::tempdir().unwrap();
    let s = snapshot_with_tcp(Some(TCP_HEADER), empty.path());
    assert_eq!(s.listeners.as_ref().map(Vec::len), Some(0));
    assert!(gone(&s).is_empty(), "{:#?}", s.findings);

    // Listeners not collected (no socket table in the tree): nothing is known to be gone.
    let s = snapshot_with_tcp(None, history_dir.path());
    assert!(s.listeners.is_none());
    assert!(gone(&s).is_empty(), "{:#?}", s.findings);
}
