//! `diff` over two fixture snapshots (tests/fixtures/diff): web1 half an hour apart, while
//! a java service was deployed and redis removed.

use triage_core::diff::{diff, write_text};
use triage_core::Snapshot;

fn cmds(v: &[triage_core::diff::CommandCount]) -> Vec<&str> {
    v.iter().map(|c| c.command.as_str()).collect()
}

fn ids(v: &[triage_core::snapshot::Finding]) -> Vec<&str> {
    v.iter().map(|f| f.id.as_str()).collect()
}

fn load(name: &str) -> Snapshot {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/diff/");
    serde_json::from_str(&std::fs::read_to_string(format!("{path}{name}")).unwrap()).unwrap()
}

#[test]
fn what_changed_between_two_snapshots() {
    let (a, b) = (load("a.json"), load("b.json"));
    let d = diff(&a, &b);
    let ports = |v: &[triage_core::diff::ListenerKey]| v.iter().map(|l| l.port).collect::<Vec<_>>();
    assert_eq!(ports(&d.listeners_new), [8080]);
    assert_eq!(ports(&d.listeners_gone), [6379]);
    assert_eq!(cmds(&d.processes_new), ["java"]);
    assert_eq!(
        cmds(&d.processes_gone),
        ["redis-server"],
        "the zombie [sh] is not a command"
    );
    assert_eq!(d.processes_changed[0].before, 5);
    assert_eq!(d.processes_changed[0].after, 9);
    assert_eq!(
        ids(&d.findings_appeared),
        ["disk_almost_full", "conn_state_anomaly"]
    );
    assert_eq!(ids(&d.findings_cleared), ["zombie_processes"]);
    let figures: Vec<&str> = d.moves.iter().map(|m| m.figure.as_str()).collect();
    for f in [
        "load1",
        "cpu_usage_percent",
        "memory_used_bytes",
        "disk_used_percent /var",
        "connections CLOSE_WAIT",
    ] {
        assert!(figures.contains(&f), "{f} missing from {figures:?}");
    }
    assert!(!figures.contains(&"disk_used_percent /"), "/ did not move");
    assert!(
        !figures.contains(&"connections TIME_WAIT"),
        "30 → 40 is noise"
    );
    let mut text = Vec::new();
    write_text(&d, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("+ listen   tcp6 [::]:8080 (java)"), "{text}");
    assert!(
        text.contains("~ figure   disk_used_percent /var: 70% → 93% (30G → 7.0G free)"),
        "{text}"
    );
}

#[test]
fn a_snapshot_against_itself_has_no_change() {
    let b = load("b.json");
    let d = diff(&b, &b);
    assert!(d.is_empty(), "{d:#?}");
    let mut text = Vec::new();
    write_text(&d, &mut text).unwrap();
    assert!(String::from_utf8(text)
        .unwrap()
        .contains("no notable change"));
}

#[test]
fn findings_match_by_subject_not_by_figures() {
    let a = load("b.json");
    let mut b = a.clone();
    // The same full disk, a figure later: not "appeared".
    b.findings[0].title = "/var 94% full (6.0G left)".into();
    let d = diff(&a, &b);
    assert!(
        d.findings_appeared.is_empty() && d.findings_cleared.is_empty(),
        "{d:#?}"
    );
}
