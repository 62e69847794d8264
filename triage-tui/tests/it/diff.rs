//! `triage diff` on the fixture snapshots, and on bad input.

use assert_cmd::Command;

const A: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../triage-core/tests/fixtures/diff/a.json"
);
const B: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../triage-core/tests/fixtures/diff/b.json"
);

#[test]
fn text_and_json() {
    let out = Command::new(crate::common::triage_bin())
        .args(["diff", A, B])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("- listen   tcp 127.0.0.1:6379 (redis-server)"),
        "{text}"
    );
    assert!(text.contains("+ process  java ×1"), "{text}");
    let out = Command::new(crate::common::triage_bin())
        .args(["diff", "--json", A, B])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["listeners_new"][0]["port"], 8080);
    assert_eq!(v["findings_cleared"][0]["id"], "zombie_processes");
}

#[test]
fn bad_json_names_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\n  \"schema_version\": 1,\n  \"collected_at\": oops\n}\n",
    )
    .unwrap();
    let out = Command::new(crate::common::triage_bin())
        .arg("diff")
        .arg(A)
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(&format!("{}:3:", bad.display())), "{err}");
    let out = Command::new(crate::common::triage_bin())
        .args(["diff", A, "/nonexistent/b.json"])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("/nonexistent/b.json"));
}
