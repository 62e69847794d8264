//! `triage fleet` as a user runs it: snapshots written by the binary itself from fixture
//! roots, then ranked; bad directories give an error naming them.

use std::path::Path;

use assert_cmd::Command;

use crate::common::{copy_tree, fixture};

fn triage() -> Command {
    Command::new(crate::common::triage_bin())
}

/// `triage --root ROOT snapshot --json -o OUT`.
fn snapshot(root: &Path, out: &Path) {
    triage()
        .args(["snapshot", "--json", "--root"])
        .arg(root)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
}

#[test]
fn snapshots_taken_by_the_binary_are_ranked_and_shared_findings_named() {
    let work = tempfile::tempdir().unwrap();
    let fleet = work.path().join("fleet");
    std::fs::create_dir(&fleet).unwrap();
    // app-1: the fixture as it is (a D-state process and a zombie: two warnings).
    snapshot(&fixture("healthy"), &fleet.join("app-1.json"));
    // app-2: the same, plus a load of 3 per CPU.
    let busy = work.path().join("busy");
    copy_tree(&fixture("healthy"), &busy);
    std::fs::write(busy.join("proc/loadavg"), "12.00 9.00 5.00 14/400 5000\n").unwrap();
    snapshot(&busy, &fleet.join("app-2.json"));
    // app-3: quiet.
    let quiet = work.path().join("quiet");
    copy_tree(&fixture("healthy"), &quiet);
    for pid in ["951", "1300"] {
        std::fs::remove_dir_all(quiet.join("proc").join(pid)).unwrap();
    }
    snapshot(&quiet, &fleet.join("app-3.json"));
    std::fs::write(fleet.join("app-4.json"), "{\"schema_version\": 1, \"colle").unwrap();

    let out = triage()
        .arg("fleet")
        .arg(&fleet)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app-2", "app-1", "app-3", "app-4"]);
    assert_eq!(v["hosts"][0]["load_per_cpu"], 3.0);
    assert_eq!(v["hosts"][0]["hostname"], "web-3");
    assert!(v["hosts"][2]["worst"].is_null());
    assert!(v["hosts"][3]["error"]
        .as_str()
        .unwrap()
        .contains("truncated JSON"));
    let shared: Vec<&str> = v["shared_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(shared.contains(&"zombie_processes"), "{shared:?}");
    assert_eq!(
        v["shared_findings"][0]["hosts"].as_array().unwrap().len(),
        2
    );

    let md = triage()
        .arg("fleet")
        .arg(&fleet)
        .arg("--md")
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(
        md.starts_with("# triage fleet: 4 hosts: 2 warning, 1 ok, 1 unreadable"),
        "{md}"
    );
    assert!(md.contains("## Could not read"), "{md}");
}

#[test]
fn empty_and_missing_directories_are_errors_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = triage().arg("fleet").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no *.json snapshot files"), "{err}");
    assert!(err.contains(&dir.path().display().to_string()), "{err}");

    let gone = dir.path().join("nope");
    let out = triage().arg("fleet").arg(&gone).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn the_window_flag_is_checked() {
    let out = triage()
        .args(["fleet", "--window", "soon"])
        .arg(fixture("fleet"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--window"));
}

#[test]
fn the_tui_fleet_flag_is_refused_with_a_subcommand() {
    let out = triage()
        .arg("--fleet")
        .arg(fixture("fleet"))
        .args(["snapshot", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--fleet DIR is for the TUI"), "{err}");
    assert!(err.contains("triage fleet DIR"), "{err}");
}
