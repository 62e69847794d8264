//! The rules over a JSON snapshot fixture (tests/fixtures/diff/b.json: web1 with a /var
//! filling up and a java service leaking CLOSE_WAIT sockets).

use triage_core::findings::{evaluate, Context};
use triage_core::snapshot::Severity;
use triage_core::Snapshot;

fn load(name: &str) -> Snapshot {
    let path = format!("{}/tests/fixtures/diff/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn rules_over_a_json_fixture() {
    let s = load("b.json");
    let f = evaluate(&s, &Context::for_snapshot(&s));
    let ids: Vec<&str> = f.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["disk_almost_full", "conn_state_anomaly"], "{f:#?}");
    assert_eq!(f[0].severity, Severity::Warning);
    assert_eq!(f[0].title, "/var 93% full (7.0G left)");
    assert_eq!(f[0].vars["mount"], "/var");
    assert!(
        f[1].title.contains("CLOSE_WAIT") && f[1].title.contains("java (pid 1200)"),
        "{}",
        f[1].title
    );
    // The same host half an hour earlier: a zombie under cron, nothing else.
    let a = load("a.json");
    let f = evaluate(&a, &Context::for_snapshot(&a));
    let ids: Vec<&str> = f.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["zombie_processes"], "{f:#?}");
    assert!(f[0].title.contains("cron (pid 640)"), "{}", f[0].title);
}
