//! `triage fleet` over the snapshots in `tests/fixtures/fleet/` (made by
//! `scripts/fleet-fixtures.sh` from variants of the healthy root): ranking, what the sick
//! hosts share, and every kind of bad file listed rather than fatal.

use std::path::Path;
use std::time::Duration;

use triage_core::fleet::{self, Fleet, Options};
use triage_core::snapshot::Severity;

use crate::common::fixture;

fn fleet_of(dir: &Path) -> Fleet {
    fleet::from_dir(dir, &Options::default()).unwrap()
}

fn names(f: &Fleet) -> Vec<&str> {
    f.hosts.iter().map(|h| h.name.as_str()).collect()
}

#[test]
fn hosts_are_ranked_worst_first_and_bad_files_last() {
    let f = fleet_of(&fixture("fleet"));
    assert_eq!(
        names(&f),
        [
            "web-2",     // critical: disk full
            "web-1",     // two warnings, load 2.45 per CPU
            "db-1",      // two warnings, idle
            "web-3",     // nothing
            "cut-short", // then the unreadable ones, by name
            "empty",
            "foreign",
            "future",
            "garbage",
        ]
    );
    let web2 = &f.hosts[0];
    assert_eq!(web2.worst, Some(Severity::Critical));
    assert_eq!(web2.hostname.as_deref(), Some("web-2"));
    assert_eq!(web2.findings[0].id, "disk_almost_full");
    assert!(
        web2.findings[0].title.contains("97%"),
        "{:?}",
        web2.findings
    );
    let web1 = &f.hosts[1];
    assert_eq!(web1.load_per_cpu, Some(2.45));
    assert_eq!(web1.memory_used_percent, Some(37.5));
    let top = web1.top_process.as_ref().unwrap();
    assert_eq!((top.pid, top.name.as_str()), (1200, "java"));
    assert_eq!(f.hosts[3].worst, None);
    assert!(f.hosts[3].findings.is_empty());
}

#[test]
fn shared_findings_and_changes_name_the_hosts() {
    let f = fleet_of(&fixture("fleet"));
    assert_eq!(f.shared_findings.len(), 1, "{:#?}", f.shared_findings);
    assert_eq!(f.shared_findings[0].id, "zombie_processes");
    assert_eq!(f.shared_findings[0].hosts, ["web-1", "db-1"]);

    let summaries: Vec<(&str, &str)> = f
        .shared_changes
        .iter()
        .map(|c| (c.kind.as_str(), c.summary.as_str()))
        .collect();
    assert_eq!(
        summaries,
        [
            // Only on sick hosts first: more suspicious than the upgrade web-3 has too.
            ("config", "modified /etc/nginx/nginx.conf"),
            ("package", "upgraded nginx 1.22.1-9 → 1.22.1-9+deb12u1"),
        ]
    );
    let pkg = &f.shared_changes[1];
    assert_eq!(pkg.hosts, ["web-2", "web-1"]);
    assert_eq!(pkg.healthy_hosts, ["web-3"]);
    assert!(pkg.first_at <= pkg.last_at);
    // db-1's libssl upgrade is on one host only: not shared.
    assert!(!summaries.iter().any(|(_, s)| s.contains("libssl")));
}

#[test]
fn the_window_bounds_shared_changes() {
    // The nginx changes are 140-150 minutes before the snapshots.
    let opts = |mins: u64| Options {
        window: Duration::from_secs(mins * 60),
        ..Options::default()
    };
    let narrow = fleet::from_dir(&fixture("fleet"), &opts(60)).unwrap();
    assert!(
        narrow.shared_changes.is_empty(),
        "{:#?}",
        narrow.shared_changes
    );
    assert_eq!(narrow.window_seconds, 3600);
    let wide = fleet::from_dir(&fixture("fleet"), &opts(180)).unwrap();
    assert_eq!(wide.shared_changes.len(), 2);
}

#[test]
fn each_bad_file_says_why() {
    let f = fleet_of(&fixture("fleet"));
    let why = |name: &str| {
        let h = f.hosts.iter().find(|h| h.name == name).unwrap();
        assert_eq!(h.worst, None);
        assert!(h.findings.is_empty());
        h.error.clone().unwrap()
    };
    assert!(
        why("cut-short").contains("truncated JSON"),
        "{}",
        why("cut-short")
    );
    assert!(why("cut-short").contains("cut-short.json"));
    assert_eq!(why("empty").rsplit(": ").next(), Some("empty file"));
    assert!(why("foreign").contains("not a triage snapshot"));
    assert!(
        why("future").contains("schema_version 2"),
        "{}",
        why("future")
    );
    assert!(why("garbage").contains("not JSON"));
    assert!(f.hosts.iter().filter(|h| h.error.is_none()).count() == 4);
}

#[test]
fn missing_fifo_directory_and_damaged_files_are_listed_never_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixture("fleet/web-1.json")).unwrap();
    std::fs::write(dir.path().join("ok.json"), &good).unwrap();
    nix::unistd::mkfifo(&dir.path().join("pipe.json"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    std::fs::create_dir(dir.path().join("dir.json")).unwrap();
    // A field of the wrong type inside an otherwise fine snapshot.
    let text = String::from_utf8(good.clone()).unwrap();
    let damaged = text.replacen("\"count\": 4,", "\"count\": \"four\",", 1);
    std::fs::write(dir.path().join("damaged.json"), damaged).unwrap();
    std::fs::write(dir.path().join(".partial.json"), "{").unwrap(); // skipped: a temp file
    std::fs::write(dir.path().join("notes.txt"), "x").unwrap(); // skipped: not .json

    let mut files = fleet::list_files(dir.path()).unwrap();
    assert_eq!(files.len(), 4, "{files:?}");
    files.push(dir.path().join("gone.json"));
    let t0 = std::time::Instant::now();
    let f = fleet::from_files(&files, &Options::default());
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "a FIFO must not block"
    );
    assert_eq!(f.hosts[0].name, "ok");
    let why = |name: &str| {
        f.hosts
            .iter()
            .find(|h| h.name == name)
            .and_then(|h| h.error.clone())
            .unwrap_or_default()
    };
    assert!(why("pipe").contains("FIFO"), "{}", why("pipe"));
    assert!(!why("dir").is_empty());
    assert!(
        why("damaged").contains("damaged triage snapshot"),
        "{}",
        why("damaged")
    );
    assert!(why("gone").contains("No such file"), "{}", why("gone"));
    assert!(fleet::from_dir(&dir.path().join("nope"), &Options::default()).is_err());
}

#[test]
fn every_cut_of_a_snapshot_is_an_error_or_a_host_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixture("fleet/web-2.json")).unwrap();
    let path = dir.path().join("cut.json");
    for end in (0..good.len()).step_by(53) {
        std::fs::write(&path, &good[..end]).unwrap();
        let f = fleet::from_files(std::slice::from_ref(&path), &Options::default());
        let err = f.hosts[0].error.as_deref().unwrap_or("");
        assert!(
            err.contains("truncated") || err.contains("empty"),
            "{end}: {err}"
        );
    }
}

#[test]
fn json_keeps_the_contract_names() {
    let f = fleet_of(&fixture("fleet"));
    let v = serde_json::to_value(&f).unwrap();
    for key in ["hosts", "shared_findings", "shared_changes"] {
        assert!(v.get(key).is_some(), "{key}");
    }
    let h = &v["hosts"][0];
    for key in [
        "name",
        "hostname",
        "collected_at",
        "worst",
        "findings",
        "load_per_cpu",
        "memory_used_percent",
        "top_process",
    ] {
        assert!(h.get(key).is_some(), "hosts[].{key}");
    }
    assert_eq!(h["worst"], "critical");
    assert_eq!(
        h["findings"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["id", "severity", "title"]
    );
    assert!(v["hosts"][4]["error"].is_string());
    assert!(v["hosts"][0].get("error").is_none());
    let shared = &v["shared_findings"][0];
    assert_eq!(shared["severity"], "warning");
    assert_eq!(v["shared_changes"][0]["kind"], "config");
}

#[test]
fn markdown_for_the_incident_channel() {
    let f = fleet_of(&fixture("fleet"));
    let mut out = Vec::new();
    fleet::markdown::write(&f, &mut out).unwrap();
    let text = String::from_utf8(out)
        .unwrap()
        .replace(&format!("{}/", fixture("fleet").display()), "FLEET/");
    insta::assert_snapshot!("fleet_md", text);
}
