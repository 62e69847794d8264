//! `triage logs` as a user runs it.

use std::path::PathBuf;

use assert_cmd::Command;

fn fixture_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../triage-core/tests/fixtures/logs_oom")
}

fn triage() -> Command {
    let mut c = Command::cargo_bin("triage").unwrap();
    c.env_remove("NO_COLOR");
    c
}

#[test]
fn json_over_a_root() {
    let out = triage()
        .arg("--root")
        .arg(fixture_root())
        .args(["logs", "--json", "--templates"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = v["entries"].as_array().unwrap();
    assert!(
        entries.len() > 50,
        "kernel + syslog generations: {}",
        entries.len()
    );
    for key in ["time", "source", "level", "message", "template_id"] {
        assert!(entries[0].get(key).is_some(), "entries[].{key}");
    }
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"oom_kill") && ids.contains(&"service_failed"),
        "{ids:?}"
    );
    assert!(v["templates"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["count"].as_u64().unwrap() >= 1));
    assert!(v["warnings"].is_array());
}

#[test]
fn text_grep_and_lines_without_colour_on_a_pipe() {
    let syslog = fixture_root().join("var/log/syslog");
    let out = triage()
        .args(["logs", "--grep", "publickey", "-n", "3", "--file"])
        .arg(&syslog)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().take_while(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines
        .iter()
        .all(|l| l.contains("sshd") && l.contains("Accepted publickey")));
    assert!(
        lines[2].contains("10:19:00"),
        "most recent last: {}",
        lines[2]
    );
    assert!(
        !text.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn missing_file_is_a_warning_not_a_failure() {
    let out = triage()
        .args(["logs", "--file", "/nonexistent/triage-test.log"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/triage-test.log"), "{err}");
}

#[test]
fn secrets_are_masked_unless_no_redact() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("app.log");
    std::fs::write(
        &p,
        "Nov 23 10:00:00 h app[1]: connecting with password=hunter2\n",
    )
    .unwrap();
    let out = triage().args(["logs", "--file"]).arg(&p).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("password=***") && !text.contains("hunter2"),
        "{text}"
    );
    let out = triage()
        .args(["--no-redact", "logs", "--file"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("hunter2"));
}

#[test]
fn bad_since_is_an_error_naming_the_flag() {
    let out = triage()
        .args(["logs", "--since", "soonish"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--since"));
}
