//! The real binary: `triage snapshot` on the live host (figures checked against /proc) and
//! on fixture roots.

use crate::common;
use common::fixture;

use std::process::Command;

use serde_json::Value;

fn triage() -> Command {
    let mut cmd = Command::new(crate::common::triage_bin());
    cmd.env(
        "TRIAGE_HOME",
        std::env::temp_dir().join("triage-test-home-unused"),
    );
    cmd
}

fn meminfo_kb(key: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap();
    text.lines()
        .find_map(|l| {
            l.strip_prefix(key).map(|r| {
                r.trim_start_matches(':')
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
        })
        .unwrap()
}

#[test]
fn live_snapshot_matches_proc() {
    let child = triage()
        .args(["snapshot", "--json", "--interval", "100ms"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let triage_pid = child.id() as i64;
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();

    assert_eq!(v["schema_version"], 1);
    assert_eq!(
        v["memory"]["total_bytes"].as_u64().unwrap(),
        meminfo_kb("MemTotal") * 1024
    );
    let cpus = std::fs::read_to_string("/proc/stat")
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count() as u64;
    assert_eq!(v["cpu"]["count"].as_u64().unwrap(), cpus);

    let procs = v["processes"].as_array().unwrap();
    let me = procs
        .iter()
        .find(|p| p["pid"].as_i64() == Some(triage_pid))
        .expect("triage sees itself");
    let cmd = me["command"].as_str().unwrap();
    assert!(
        cmd.ends_with("triage snapshot --json --interval 100ms"),
        "{cmd}"
    );
    assert_eq!(me["ppid"].as_i64().unwrap(), std::process::id() as i64);
    // The test process itself, with its full command line.
    let mine = std::fs::read("/proc/self/cmdline").unwrap();
    let expected: String =
        String::from_utf8_lossy(mine.strip_suffix(b"\0").unwrap_or(&mine)).replace('\0', " ");
    let test_proc = procs
        .iter()
        .find(|p| p["pid"].as_i64() == Some(std::process::id() as i64))
        .unwrap();
    assert_eq!(test_proc["command"].as_str().unwrap(), expected.trim_end());

    for key in [
        "collected_at",
        "duration_ms",
        "host",
        "load",
        "cpu",
        "memory",
        "pressure",
        "filesystems",
        "processes",
        "process_summary",
        "users",
        "listeners",
        "connections",
        "kernel_log",
        "log_tail",
        "recent_changes",
        "findings",
        "warnings",
        "timings_ms",
    ] {
        assert!(v.get(key).is_some(), "missing key {key}");
    }
    for (name, ms) in v["timings_ms"].as_object().unwrap() {
        assert!(ms.as_u64().is_some(), "{name}");
    }
}

#[test]
fn fixture_markdown_masks_secrets() {
    let out = triage()
        .args(["snapshot", "--md", "--root"])
        .arg(fixture("healthy"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("# triage snapshot: web-3"), "{md}");
    assert!(md.contains("mysqldump -uroot -p*** --all-databases"));
    assert!(!md.contains("S3cretPass") && !md.contains("hunter2"));

    let out = triage()
        .args(["snapshot", "--md", "--no-redact", "--root"])
        .arg(fixture("healthy"))
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("-pS3cretPass"));
}

#[test]
fn output_file_is_written_whole_and_json_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.json");
    let out = triage()
        .args(["snapshot", "-o"])
        .arg(&path)
        .arg("--root")
        .arg(fixture("healthy"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(v["host"]["hostname"], "web-3");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left behind"
    );
}

#[test]
fn piped_output_defaults_to_json() {
    let out = triage()
        .args(["snapshot", "--root"])
        .arg(fixture("healthy"))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON when stdout is not a terminal");
    assert_eq!(v["load"]["one"], 0.42);
}

#[test]
fn missing_root_fails_clearly() {
    let out = triage()
        .args(["snapshot", "--root", "/no/such/dir"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("/no/such/dir"), "{err}");
}

#[test]
fn bad_interval_names_the_flag() {
    let out = triage()
        .args(["snapshot", "--interval", "soon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--interval") && err.contains("soon"), "{err}");
}

#[test]
fn inventory_application_logs_join_the_log_tail() {
    let dir = tempfile::tempdir().unwrap();
    let app_log = dir.path().join("app.log");
    std::fs::write(
        &app_log,
        "2026-11-23T10:02:03+00:00 web-3 shop[42]: ERROR payment gateway timed out\n",
    )
    .unwrap();
    let host = nix::unistd::gethostname().unwrap().into_string().unwrap();
    let inventory = dir.path().join("inventory.toml");
    std::fs::write(
        &inventory,
        format!(
            "[[host]]\npattern = \"{host}\"\nproject = \"shop\"\nrole = \"web\"\nlogs = [\"{}\"]\n",
            app_log.display()
        ),
    )
    .unwrap();
    let out = triage()
        .env("TRIAGE_INVENTORY", &inventory)
        .args(["snapshot", "--json", "--interval", "50ms"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tail = v["log_tail"].as_array().expect("log_tail collected");
    assert!(
        tail.iter().any(|e| e["message"]
            .as_str()
            .unwrap_or("")
            .contains("payment gateway timed out")),
        "{tail:#?}"
    );
}
