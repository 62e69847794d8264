//! `triage postmortem` on a temporary state dir (`TRIAGE_HOME`) holding a copy of the
//! fixture incident `triage-core/tests/fixtures/incidents/20261123-100000` (closed).

use crate::common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

const FIXTURE_ID: &str = "20261123-100000";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../triage-core/tests/fixtures/incidents")
        .join(FIXTURE_ID)
}

/// A state dir with the fixture incident.
fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(&fixture(), &dir.path().join("incidents").join(FIXTURE_ID));
    dir
}

/// Add an incident whose journal is `lines`.
fn add_incident(home: &Path, id: &str, lines: &[&str]) {
    let dir = home.join("incidents").join(id);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("journal.jsonl"), lines.join("\n") + "\n").unwrap();
}

fn triage(home: &Path) -> Command {
    let mut cmd = Command::new(crate::common::triage_bin());
    cmd.env("TRIAGE_HOME", home).arg("postmortem");
    cmd
}

const OPEN: &str =
    r#"{"time":"2026-11-20T09:00:00+00:00","kind":"opened","title":"still burning","host":"db-1"}"#;
const OLD_OPENED: &str =
    r#"{"time":"2026-11-01T09:00:00+00:00","kind":"opened","title":"old one","host":"db-1"}"#;
const OLD_CLOSED: &str = r#"{"time":"2026-11-01T10:00:00+00:00","kind":"closed"}"#;

#[test]
fn the_most_recently_closed_incident_by_default() {
    let home = home();
    add_incident(home.path(), "20261101-090000", &[OLD_OPENED, OLD_CLOSED]);
    // Times are shown in the journal's offset (+09:00), whatever the machine's zone.
    triage(home.path())
        .env("TZ", "America/Los_Angeles")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "# Postmortem: /var full on web-3, nginx 502s\n",
        ))
        .stdout(predicate::str::contains(
            "| Opened | 2026-11-23 10:00:00 +09:00 |",
        ))
        .stderr(predicate::str::contains(
            "5 TODO items left: Detection, Root cause, Trigger, Action items, Lessons learned",
        ));
}

#[test]
fn the_open_incident_comes_first_and_incident_picks_another() {
    let home = home();
    // Older id than the fixture, but open: it is the one in progress.
    add_incident(home.path(), "20261120-090000", &[OPEN]);
    triage(home.path())
        .assert()
        .success()
        .stdout(predicate::str::starts_with("# Postmortem: still burning\n"))
        .stdout(predicate::str::contains("| Status | open |"))
        .stderr(predicate::str::contains(
            "TODO items left: Summary, Impact,",
        ));
    triage(home.path())
        .args(["--incident", FIXTURE_ID, "--lang", "ja"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "# 障碍報告書: /var full on web-3, nginx 502s\n",
        ))
        .stdout(predicate::str::contains("## 将来の対策"));
}

#[test]
fn output_file_is_written_atomically_0600() {
    let home = home();
    let out = home.path().join("pm.md");
    triage(home.path())
        .args(["--lang", "en", "-o"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(format!("wrote {}", out.display())));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("# Postmortem: "), "{text}");
    assert!(text.contains("## Left to fill"));
    // Written outside the incident directory: the evidence links name it.
    let inc_dir = std::fs::canonicalize(home.path().join("incidents").join(FIXTURE_ID)).unwrap();
    let link = format!("[journal.jsonl:4]({}/journal.jsonl#L4)", inc_dir.display());
    assert!(text.contains(&link), "{link} not in {text}");
    // Into the incident directory (as the TUI writes it): relative links.
    let beside = inc_dir.join("pm.md");
    triage(home.path())
        .arg("-o")
        .arg(&beside)
        .assert()
        .success();
    let text = std::fs::read_to_string(&beside).unwrap();
    assert!(
        text.contains("[journal.jsonl:4](journal.jsonl#L4)"),
        "{text}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "-o files are private (issue 16 item 6)");
}

#[test]
fn secrets_are_masked_unless_no_redact() {
    let home = home();
    triage(home.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("-p***"))
        .stdout(predicate::str::contains("Hunter2").not())
        .stdout(predicate::str::contains("pgS3cret").not());
    triage(home.path())
        .arg("--no-redact")
        .assert()
        .success()
        .stdout(predicate::str::contains("-pHunter2"));
}

#[test]
fn no_incident_is_a_clear_error() {
    let empty = tempfile::tempdir().unwrap();
    triage(empty.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("no incident in"))
        .stderr(predicate::str::contains("triage incident start"));
    let home = home();
    triage(home.path())
        .args(["--incident", "20990101-000000"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("triage incident list"));
}

#[test]
fn a_team_template_in_the_state_dir_is_used_and_checked() {
    let home = home();
    let tdir = home.path().join("postmortem");
    std::fs::create_dir(&tdir).unwrap();
    std::fs::write(
        tdir.join("en.md"),
        "# PM {{ id }}\n{% if summary %}\n{{ summary }}\n",
    )
    .unwrap();
    triage(home.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!(
            "{}:3: syntax error: unexpected end of input, expected end of block",
            tdir.join("en.md").display()
        )));
    std::fs::write(tdir.join("en.md"), "# PM {{ id }}\nTODO: sign off\n").unwrap();
    triage(home.path())
        .assert()
        .success()
        .stdout(format!("# PM {FIXTURE_ID}\nTODO: sign off\n"))
        .stderr(predicate::str::contains("1 TODO item left: sign off"));
}

#[test]
fn action_items_are_added_exported_and_incidents_searched() {
    let home = home();
    let mut add = Command::new(crate::common::triage_bin());
    add.env("TRIAGE_HOME", home.path())
        .args([
            "action", "add", "--kind", "detect", "--owner", "carol", "--ticket", "OPS-12",
        ])
        .args(["Alert", "when", "/var", "passes", "80%"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "detect action item saved to incident {FIXTURE_ID}"
        )));
    let out = triage(home.path())
        .args(["--action-items", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let items: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(items[0]["title"], "Alert when /var passes 80%");
    assert_eq!(
        items[0]["labels"],
        serde_json::json!(["postmortem", "action:detect", "priority:P2"])
    );
    assert_eq!(items[0]["owner"], "carol");
    assert!(items[0]["body"]
        .as_str()
        .unwrap()
        .contains("20261123-100000"));
    // Search: by finding, then a text nobody wrote.
    let mut search = Command::new(crate::common::triage_bin());
    search
        .env("TRIAGE_HOME", home.path())
        .args(["incident", "search", "--finding", "disk_almost_full"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!(
            "{FIXTURE_ID}  2026-11-23 10:00  web-3  closed"
        )))
        .stdout(predicate::str::contains("  fixed by: find /var/log/shop"))
        .stdout(predicate::str::contains("  journal.jsonl:3: snapshot"));
    let mut none = Command::new(crate::common::triage_bin());
    none.env("TRIAGE_HOME", home.path())
        .args(["incident", "search", "no such words"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("no incident matched"));
}
