//! The recorder as a real process: killed with SIGKILL mid-run its store still reads;
//! SIGTERM stops it promptly with code 0; a second recorder on the same directory refuses.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

fn triage() -> Command {
    let mut cmd = Command::new(crate::common::triage_bin());
    cmd.env("TRIAGE_HOME", "/nonexistent-triage-home");
    cmd
}

fn start(dir: &Path) -> Child {
    triage()
        .args(["record", "--interval", "200ms", "--dir"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn history_json(dir: &Path) -> serde_json::Value {
    let out = triage()
        .args(["history", "--json", "--since", "10m", "--dir"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn samples(dir: &Path) -> usize {
    history_json(dir)["samples"].as_array().unwrap().len()
}

fn wait_for_samples(dir: &Path, n: usize) {
    let started = Instant::now();
    while samples(dir) < n {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no {n} samples after 20 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn sigkill_leaves_a_readable_store_and_a_second_recorder_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = start(dir.path());
    wait_for_samples(dir.path(), 3);

    let second = triage()
        .args(["record", "--interval", "200ms", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!second.status.success());
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("already recording"), "{err}");

    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
    child.wait().unwrap();
    let doc = history_json(dir.path());
    let samples = doc["samples"].as_array().unwrap();
    assert!(samples.len() >= 3, "{doc}");
    let s = &samples[0];
    assert!(s["load"]["one"].is_number(), "{s}");
    assert!(s["memory"]["total_bytes"].as_u64().unwrap() > 0, "{s}");
    assert!(
        s["top_processes"].as_array().is_some_and(|t| !t.is_empty()),
        "{s}"
    );
    let times: Vec<&str> = samples
        .iter()
        .map(|s| s["time"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "oldest first: {times:?}"
    );
    // The lock died with the process: a new recorder starts.
    let mut again = start(dir.path());
    wait_for_samples(dir.path(), samples.len() + 1);
    kill(Pid::from_raw(again.id() as i32), Signal::SIGKILL).unwrap();
    again.wait().unwrap();
}

#[test]
fn sigterm_stops_within_a_second_with_code_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = start(dir.path());
    wait_for_samples(dir.path(), 2);
    let sent = Instant::now();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(5),
            "still running 5 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = sent.elapsed();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("stopped after"), "{err}");
}

#[test]
fn sadf_fixture_through_the_binary() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../triage-core/tests/fixtures/sadf/sadf.json"
    );
    let doc = crate::common::json_of(triage().args(["history", "--json", "--sadf", fixture]));
    let samples = doc["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 3, "{doc}");
    assert_eq!(samples[1]["load"]["one"].as_f64(), Some(14.2));
    assert_eq!(samples[1]["cpu"]["usage_percent"].as_f64(), Some(90.0));
    assert_eq!(samples[0]["pressure"]["io"].as_f64(), Some(2.5));
    assert!(samples[2]["pressure"]["io"].is_null());
    assert_eq!(doc["warnings"].as_array().unwrap().len(), 1, "{doc}");
    let table = triage()
        .args(["history", "--sadf", fixture])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("14.20"), "{text}");
}

#[test]
fn without_a_store_the_hosts_sysstat_files_are_read_through_sadf() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("var/log/sysstat")).unwrap();
    std::fs::write(root.join("var/log/sysstat/sa22"), b"binary sa data").unwrap();
    // A stand-in `sadf` that prints the fixture whatever it is asked.
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../triage-core/tests/fixtures/sadf/sadf.json"
    );
    let script = bin.join("sadf");
    std::fs::write(&script, format!("#!/bin/sh\nexec cat '{fixture}'\n")).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let doc = crate::common::json_of(
        triage()
            .env("PATH", path)
            .env("TRIAGE_HOME", tmp.path().join("state"))
            .arg("--root")
            .arg(&root)
            .args(["history", "--json", "--since", "3650d"]),
    );
    assert_eq!(doc["samples"].as_array().unwrap().len(), 3, "{doc}");
}

#[test]
fn repeated_sigkill_never_loses_committed_records() {
    let dir = tempfile::tempdir().unwrap();
    // A first recorder runs until it has committed a sample, however slow the start is on
    // a loaded machine, so every round below has committed records to lose.
    let mut first = start(dir.path());
    wait_for_samples(dir.path(), 1);
    kill(Pid::from_raw(first.id() as i32), Signal::SIGKILL).unwrap();
    first.wait().unwrap();
    let mut seen = samples(dir.path());
    for round in 0..6u64 {
        let mut child = start(dir.path());
        // Kill at a different phase of the 200 ms cycle each round.
        std::thread::sleep(Duration::from_millis(450 + round * 37));
        kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
        child.wait().unwrap();
        let doc = history_json(dir.path());
        let now = doc["samples"].as_array().unwrap().len();
        assert!(
            now >= seen,
            "round {round}: {now} samples after {seen}: {doc}"
        );
        seen = now;
        for w in doc["warnings"].as_array().unwrap() {
            let m = w["message"].as_str().unwrap();
            assert!(m.contains("torn or corrupt region"), "{m}");
        }
    }
}

/// "Which pod was throttled at 03:10?" from the history: `triage record` on a Kubernetes
/// node tree whose nginx container's counters move between two samples (70% of periods
/// throttled, one OOM kill), then `triage history` names the pod at that sample's time.
#[test]
fn history_names_the_pod_that_was_throttled() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    crate::common::copy_tree(&crate::common::fixture("cgroups_k8s"), &root);
    let dir = tmp.path().join("history");
    std::fs::create_dir(&dir).unwrap();
    let mut child = triage()
        .args(["record", "--interval", "200ms", "--root"])
        .arg(&root)
        .arg("--dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_samples(&dir, 1);
    let nginx = root.join("sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b7632a2_a56e_4278_987a_22de18008dbe.slice/cri-containerd-9d3b1f6e2c4a8b0d7e5f3a1c9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d.scope");
    std::fs::write(
        nginx.join("cpu.stat"),
        "usage_usec 1727500000\nnr_periods 86410\nnr_throttled 51847\nthrottled_usec 1726400000\n",
    )
    .unwrap();
    let n = samples(&dir);
    wait_for_samples(&dir, n + 2);
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    child.wait().unwrap();
    let doc = history_json(&dir);
    let hit = doc["samples"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|s| {
            let cg = s["cgroups"]
                .as_array()?
                .iter()
                .find(|c| c["throttled_percent"] == 70.0)?;
            Some((s["time"].as_str()?.to_string(), cg.clone()))
        })
        .unwrap_or_else(|| panic!("no sample with the throttled pod: {doc:#}"));
    assert_eq!(
        hit.1["name"], "pod shop/web-7d9f5c6b8-x2k4p container nginx",
        "{doc:#}"
    );
    assert_eq!(hit.1["quota_cores"], 0.5);
    let table = triage()
        .args(["history", "--since", "10m", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    // The sample's time (MM-DD HH:MM:SS) on the line above the cgroup note.
    let at = chrono::DateTime::parse_from_rfc3339(&hit.0).unwrap();
    let stamp = at.format("%m-%d %H:%M:%S").to_string();
    let lines: Vec<&str> = table.lines().collect();
    let note = "cgroups: pod shop/web-7d9f5c6b8-x2k4p container nginx throttled 70% of periods (quota 0.50 CPU)";
    assert!(
        lines
            .windows(2)
            .any(|w| w[0].starts_with(&stamp) && w[1].contains(note)),
        "no line at {stamp} followed by the note:\n{table}"
    );
}
