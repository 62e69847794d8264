//! `--textfile DIR`: the node_exporter textfile written by `triage check` and refreshed by
//! `triage record`, read back by the official Python parser (`prometheus_client`) and
//! `promtool check metrics` where they are installed (skipped with a message otherwise),
//! and the shipped alerting rules checked and unit-tested with `promtool`.

use std::path::{Path, PathBuf};
use std::process::{Command as Std, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;

use crate::common::{copy_tree, fixture};

fn triage() -> Command {
    Command::new(crate::common::triage_bin())
}

/// `triage --root healthy check --textfile DIR`; returns DIR/triage.prom's text.
fn check_healthy(dir: &Path) -> String {
    let out = triage()
        .arg("--root")
        .arg(fixture("healthy"))
        .args(["check", "--textfile"])
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}"); // the fixture has warnings
    std::fs::read_to_string(dir.join("triage.prom")).unwrap()
}

fn contrib(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../contrib")
        .join(rel)
}

fn have(cmd: &str, arg: &str) -> bool {
    Std::new(cmd)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn check_writes_every_family_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let text = check_healthy(dir.path());
    for family in [
        "triage_check_status",
        "triage_findings",
        "triage_finding",
        "triage_collector_duration_seconds",
        "triage_collector_ok",
        "triage_last_run_timestamp_seconds",
    ] {
        assert!(
            text.contains(&format!("# HELP {family} ")),
            "{family}\n{text}"
        );
        assert!(
            text.contains(&format!("# TYPE {family} gauge\n")),
            "{family}"
        );
    }
    assert!(text.contains("triage_check_status 1\n"), "{text}");
    assert!(text.contains("triage_findings{severity=\"critical\"} 0\n"));
    assert!(text.contains("triage_findings{severity=\"warning\"} 2\n"));
    assert!(text.contains("triage_finding{id=\"zombie_processes\",severity=\"warning\"} 1\n"));
    assert!(!text.contains("# EOF"));
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["triage.prom"], "no temporary file left behind");
}

#[test]
fn unknown_status_and_unwritable_dir() {
    let dir = tempfile::tempdir().unwrap();
    let out = triage()
        .args(["--root", "/nonexistent-root", "check", "--textfile"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = std::fs::read_to_string(dir.path().join("triage.prom")).unwrap();
    assert!(text.contains("triage_check_status 3\n"), "{text}");

    let gone = dir.path().join("missing-dir");
    let out = triage()
        .arg("--root")
        .arg(fixture("healthy"))
        .args(["check", "--textfile"])
        .arg(&gone)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the check's own status is kept");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("missing-dir/triage.prom"), "{err}");
}

const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    out[fam.name] = {"type": fam.type, "help": fam.documentation,
                     "samples": [[s.name, s.labels, s.value] for s in fam.samples]}
print(json.dumps(out))
"#;

#[test]
fn the_official_python_parser_reads_it() {
    if !Std::new("python3")
        .args(["-c", "import prometheus_client"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!(
            "SKIP: python3 with prometheus_client is not installed (pip install prometheus-client)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    check_healthy(dir.path());
    let v = crate::common::json_of(
        Std::new("python3")
            .args(["-c", PARSE])
            .arg(dir.path().join("triage.prom")),
    );
    assert_eq!(v["triage_check_status"]["samples"][0][2], 1.0);
    assert_eq!(v["triage_findings"]["samples"].as_array().unwrap().len(), 3);
    let finding = &v["triage_finding"]["samples"];
    assert!(finding
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s[1]["id"] == "zombie_processes"));
    assert!(
        v["triage_collector_ok"]["samples"]
            .as_array()
            .unwrap()
            .len()
            >= 13
    );
    assert!(
        v["triage_last_run_timestamp_seconds"]["samples"][0][2]
            .as_f64()
            .unwrap()
            > 1.7e9
    );
    for (name, fam) in v.as_object().unwrap() {
        // The parser names a counter without its _total suffix.
        let kind = if name == "triage_cgroup_oom_kills" {
            "counter"
        } else {
            "gauge"
        };
        assert_eq!(fam["type"], kind, "{name}");
        assert!(!fam["help"].as_str().unwrap().is_empty());
    }
}

#[test]
fn promtool_checks_the_metrics_and_the_rules() {
    if !have("promtool", "--version") {
        eprintln!("SKIP: promtool is not installed (Debian package `prometheus`)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    check_healthy(dir.path());
    let text = std::fs::read(dir.path().join("triage.prom")).unwrap();
    let mut child = Std::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&text).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics: {out:?}"
    );
    for args in [vec!["check", "rules"], vec!["test", "rules"]] {
        let file = if args[0] == "check" {
            contrib("prometheus/triage.rules.yml")
        } else {
            contrib("prometheus/triage.rules.test.yml")
        };
        let out = Std::new("promtool")
            .args(&args)
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success(), "promtool {args:?}: {out:?}");
    }
}

#[test]
fn record_refreshes_the_textfile_every_interval() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    copy_tree(&fixture("healthy"), &root);
    let textdir = work.path().join("textfile");
    std::fs::create_dir(&textdir).unwrap();
    let mut child = Std::new(crate::common::triage_bin())
        .arg("--root")
        .arg(&root)
        .args(["record", "--interval", "300ms", "--dir"])
        .arg(work.path().join("history"))
        .arg("--textfile")
        .arg(&textdir)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let prom = textdir.join("triage.prom");
    let wait_for = |what: &str, ok: &dyn Fn(&str) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = std::fs::read_to_string(&prom).unwrap_or_default();
            if ok(&text) {
                return;
            }
            assert!(Instant::now() < deadline, "{what}: {text}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait_for("first write", &|t| t.contains("triage_check_status 1\n"));
    // The host gets worse: the next refresh says so.
    std::fs::write(root.join("proc/loadavg"), "30.00 20.00 10.00 40/400 5000\n").unwrap();
    wait_for("refresh", &|t| {
        t.contains("triage_finding{id=\"load_high\"")
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}
