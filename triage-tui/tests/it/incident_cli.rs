//! `triage incident …` and `triage note` against a temporary state dir (`TRIAGE_HOME`),
//! including two processes appending to one journal at once.

use std::path::Path;
use std::process::Command as StdCommand;

use assert_cmd::Command;
use predicates::str::contains;

fn triage(home: &Path) -> Command {
    let mut c = Command::new(crate::common::triage_bin());
    c.env("TRIAGE_HOME", home).env("NO_COLOR", "1");
    c
}

fn journal_lines(home: &Path) -> Vec<serde_json::Value> {
    let dir = home.join("incidents");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path().join("journal.jsonl")).unwrap();
        for line in text.lines() {
            out.push(serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}")));
        }
    }
    out
}

#[test]
fn start_status_note_close_list() {
    let home = tempfile::tempdir().unwrap();
    triage(home.path())
        .args(["incident", "start", "--title", "disk full on db-1"])
        .assert()
        .success()
        .stdout(contains("started incident"));
    triage(home.path())
        .args(["incident", "start"])
        .assert()
        .success()
        .stdout(contains("already open: disk full on db-1"));
    triage(home.path())
        .args(["note", "removed", "old", "dumps"])
        .assert()
        .success();
    // Commands as a runbook journals them: one that succeeded, one that failed, one
    // killed at its timeout.
    let journal = std::fs::read_dir(home.path().join("incidents"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("journal.jsonl");
    let mut text = std::fs::read_to_string(&journal).unwrap();
    for (command, exit, ms) in [
        ("df -h", "0", 1234),
        ("systemctl restart x", "1", 80),
        ("sleep 99", "null", 30000),
    ] {
        text.push_str(&format!(
            "{{\"time\":\"2026-11-30T09:00:00+00:00\",\"kind\":\"command\",\"command\":\"{command}\",\"exit_code\":{exit},\"duration_ms\":{ms},\"output\":\"\"}}\n"
        ));
    }
    std::fs::write(&journal, text).unwrap();
    let status = triage(home.path())
        .args(["incident", "status"])
        .assert()
        .success()
        .stdout(contains("disk full on db-1"))
        .stdout(contains("note: removed old dumps"))
        .stdout(contains("0/7 done"))
        .get_output()
        .stdout
        .clone();
    let status = String::from_utf8(status).unwrap();
    // Worded as the postmortem words them, not Rust's Debug (`exit Some(0)`).
    assert!(
        status.contains("command `df -h` → exit 0 (succeeded), 1.2 s"),
        "{status}"
    );
    assert!(
        status.contains("command `systemctl restart x` → exit 1 (failed), 80 ms"),
        "{status}"
    );
    assert!(
        status.contains(
            "command `sleep 99` → no exit code (killed at its timeout or not started), 30.0 s"
        ),
        "{status}"
    );
    assert!(!status.contains("Some("), "{status}");
    triage(home.path())
        .args(["incident", "close", "--summary", "deleted dumps"])
        .assert()
        .success()
        .stdout(contains("closed incident"));
    triage(home.path())
        .args(["incident", "status"])
        .assert()
        .code(1);
    triage(home.path())
        .args(["incident", "list"])
        .assert()
        .success()
        .stdout(contains("disk full on db-1"))
        .stdout(contains("TOP FINDING"));
    let lines = journal_lines(home.path());
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"opened"));
    assert_eq!(kinds.last(), Some(&"closed"));
    assert_eq!(
        kinds.iter().filter(|k| **k == "snapshot").count(),
        2,
        "at start and at close: {kinds:?}"
    );
    assert_eq!(lines.last().unwrap()["summary"], "deleted dumps");
}

#[test]
fn note_without_an_incident_starts_one_and_says_so() {
    let home = tempfile::tempdir().unwrap();
    triage(home.path())
        .args(["note", "nginx 502s since 10:02"])
        .assert()
        .success()
        .stderr(contains("started incident"))
        .stdout(contains("note saved"));
    let lines = journal_lines(home.path());
    assert_eq!(lines[0]["kind"], "opened");
    assert_eq!(lines[0]["title"], "nginx 502s since 10:02");
    assert_eq!(lines[1]["text"], "nginx 502s since 10:02");
}

#[test]
fn two_processes_append_concurrently_without_losing_a_line() {
    let home = tempfile::tempdir().unwrap();
    triage(home.path())
        .args(["incident", "start", "--title", "t"])
        .assert()
        .success();
    let bin = crate::common::triage_bin();
    const EACH: usize = 25;
    // Two writers, each a shell loop running `triage note` back to back, at the same time.
    let writers: Vec<_> = ["a", "b"]
        .iter()
        .map(|w| {
            let script = format!(
                "for i in $(seq 1 {EACH}); do \"$0\" note {w}-$i >/dev/null || exit 1; done"
            );
            StdCommand::new("sh")
                .arg("-c")
                .arg(script)
                .arg(&bin)
                .env("TRIAGE_HOME", home.path())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut w in writers {
        assert!(w.wait().unwrap().success());
    }
    let notes: Vec<String> = journal_lines(home.path())
        .iter()
        .filter(|l| l["kind"] == "note")
        .map(|l| l["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(notes.len(), 2 * EACH, "{notes:?}");
    for w in ["a", "b"] {
        for i in 1..=EACH {
            assert!(notes.contains(&format!("{w}-{i}")), "{w}-{i} missing");
        }
        // Each writer's own notes stay in order.
        let mine: Vec<&String> = notes.iter().filter(|n| n.starts_with(w)).collect();
        let expected: Vec<String> = (1..=EACH).map(|i| format!("{w}-{i}")).collect();
        assert_eq!(mine, expected.iter().collect::<Vec<_>>());
    }
}

#[test]
fn journal_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    triage(home.path()).args(["note", "x"]).assert().success();
    let dir = std::fs::read_dir(home.path().join("incidents"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mode = std::fs::metadata(dir.join("journal.jsonl"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}
