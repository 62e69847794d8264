//! `triage check` on this machine and on fixture roots.

use assert_cmd::Command;

/// Findings that depend on what else runs on the machine right now (the build box is
/// shared: compilers load the CPUs). They may fire here without being false alarms.
const LOAD_DEPENDENT: &[&str] = &[
    "load_high",
    "cpu_saturated",
    "iowait_high",
    "steal_high",
    "memory_pressure",
    "unusual_vs_baseline",
];

/// Kernel records left by triage's own live tests (`cgroups_live.rs` OOM-kills a process
/// in a 64 MiB cgroup named `triage-test-mem-…`): they stay in the ring buffer of this
/// shared machine, so findings that cite them are not alarms about the host.
fn from_our_tests(f: &serde_json::Value) -> bool {
    f["evidence"].as_array().is_some_and(|ev| {
        ev.iter()
            .any(|l| l.as_str().is_some_and(|l| l.contains("triage-test-")))
    }) || f["title"]
        .as_str()
        .is_some_and(|t| t.contains("triage-test-"))
}

/// Run `triage check --json` with an empty state dir (no history from other runs); again,
/// up to 4 more times 2 s apart, while something other than load fires: a process that
/// just exited is a zombie until its parent reaps it, and this sandbox's pid 1 reaps
/// orphans lazily. A condition that persists still fails the test.
fn check_json() -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    let run = || {
        Command::new(crate::common::triage_bin())
            .env("TRIAGE_HOME", home.path())
            .args(["check", "--json"])
            .output()
            .unwrap()
    };
    let mut out = run();
    for _ in 0..4 {
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let other = report["findings"].as_array().unwrap().iter().any(|f| {
            f["severity"] != "info"
                && !LOAD_DEPENDENT.contains(&f["id"].as_str().unwrap_or(""))
                && last_logged(f).is_none()
                && !from_our_tests(f)
                && !confirmed_by_df(f)
        });
        if !other {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
        out = run();
    }
    out
}

/// When a finding comes from log records ("N times in the log, first …, last T"), the
/// last one's time; `None` for findings about the state now.
fn last_logged(f: &serde_json::Value) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    f["evidence"].as_array()?.iter().find_map(|e| {
        let e = e.as_str()?;
        if !e.contains(" in the log") {
            return None;
        }
        chrono::DateTime::parse_from_rfc3339(e.rsplit_once("last ")?.1.trim()).ok()
    })
}

/// A `disk_almost_full` finding that `df` confirms (the same mount at ≥ 89% used, one
/// point of rounding below the 90% threshold) is this host's real state, not a false alarm.
fn confirmed_by_df(f: &serde_json::Value) -> bool {
    if f["id"] != "disk_almost_full" {
        return false;
    }
    let Some(mount) = f["vars"]["mount"].as_str() else {
        return false;
    };
    let Ok(out) = std::process::Command::new("df")
        .args(["-P", mount])
        .output()
    else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let used = text
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().nth(4))
        .and_then(|p| p.trim_end_matches('%').parse::<u32>().ok());
    used.is_some_and(|u| u >= 89)
}

#[test]
fn check_on_this_machine_is_ok_or_only_load() {
    // The machine's own history (an OOM kill another test caused an hour ago, a unit
    // that failed yesterday) is not this test's doing: only records logged while it
    // ran, and the state now, are asserted on.
    let started = chrono::Utc::now() - chrono::Duration::seconds(1);
    let out = check_json();
    let code = out.status.code().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = report["status"].as_str().unwrap();
    assert_eq!(
        code,
        match status {
            "ok" => 0,
            "warning" => 1,
            "critical" => 2,
            _ => 3,
        },
        "{report:#}"
    );
    let alarms: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info" && !from_our_tests(f))
        .filter(|f| {
            let real = confirmed_by_df(f);
            if real {
                eprintln!("note: {} is this host's real state (df agrees)", f["title"]);
            }
            !real
        })
        .filter(|f| match last_logged(f) {
            Some(t) if t < started => {
                eprintln!(
                    "note: {} is history from before this test: {}",
                    f["id"], f["title"]
                );
                false
            }
            _ => true,
        })
        .collect();
    for f in &alarms {
        let id = f["id"].as_str().unwrap();
        assert!(
            LOAD_DEPENDENT.contains(&id),
            "false alarm on a healthy host: {f:#}"
        );
        eprintln!(
            "note: {id} fired because this shared machine is busy: {}",
            f["title"]
        );
    }
    let history_only = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["severity"] != "info");
    if alarms.is_empty() && !history_only {
        assert_eq!(code, 0, "{report:#}");
    }
}

#[test]
fn text_output_starts_with_a_nagios_status_line() {
    let out = Command::new(crate::common::triage_bin())
        .arg("check")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let first = text.lines().next().unwrap();
    let word = ["OK", "WARNING", "CRITICAL"][out.status.code().unwrap() as usize];
    assert!(first.starts_with(&format!("TRIAGE {word} - ")), "{text}");
    assert!(first.contains(" | critical="), "{first}");
    for line in text.lines().skip(1) {
        let ok = line.starts_with("    ")
            || ["CRITICAL ", "WARNING ", "INFO "]
                .iter()
                .any(|w| line.starts_with(w));
        assert!(ok, "unexpected line {line:?} in {text}");
    }
}

#[test]
fn unreadable_root_is_unknown_3() {
    let out = Command::new(crate::common::triage_bin())
        .args(["check", "--root", "/nonexistent/triage"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("TRIAGE UNKNOWN - "));
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(crate::common::triage_bin())
        .args(["check", "--json", "--root"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "unknown");
    assert!(!report["warnings"].as_array().unwrap().is_empty());
}

/// A fixture root: a tiny /proc with a full /var and a zombie.
#[test]
fn fixture_root_with_a_full_disk_is_critical() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    let w = |rel: &str, text: &str| {
        let p = r.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w("proc/loadavg", "0.10 0.20 0.30 1/120 4242\n");
    w("proc/stat", "cpu  1000 0 500 100000 100 0 0 0 0 0\ncpu0 1000 0 500 100000 100 0 0 0 0 0\nintr 0\nctxt 0\nbtime 1763888400\nprocesses 100\nprocs_running 1\nprocs_blocked 0\n");
    w("proc/meminfo", "MemTotal:       16384000 kB\nMemFree:         8000000 kB\nMemAvailable:   12000000 kB\nBuffers:          100000 kB\nCached:          2000000 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n");
    w("proc/uptime", "864000.00 100.00\n");
    w(
        "proc/self/mountinfo",
        "22 1 253:1 / /var rw,relatime shared:1 - ext4 /dev/vdb1 rw\n",
    );
    w("sos_commands/filesys/df_-al_-x_autofs", "Filesystem 1K-blocks Used Available Use% Mounted on\n/dev/vdb1 1000000 970000 30000 98% /var\n");
    w("proc/1/stat", "1 (systemd) S 0 1 1 0 -1 4194560 100 0 0 0 10 5 0 0 20 0 1 0 10 1000000 2560 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n");
    let out = Command::new(crate::common::triage_bin())
        .args(["check", "--root"])
        .arg(r)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    eprintln!("{text}");
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("CRITICAL disk_almost_full: /var 97% full"),
        "{text}"
    );
}

/// Write `files` (path, text) under a new temporary root.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn check_code(root: &std::path::Path, extra: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(crate::common::triage_bin())
        .args(["check", "--root"])
        .arg(root)
        .args(extra)
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

/// Nagios precedence: a critical finding is CRITICAL (2) even when load, memory and
/// processes could not be read; with nothing found and those unreadable, UNKNOWN (3),
/// not OK, even though the CPU figures were there.
#[test]
fn critical_beats_unknown_and_unknown_beats_ok() {
    let full = tree(&[
        (
            "proc/mounts",
            "/dev/vdb1 /var ext4 rw,relatime 0 0\n",
        ),
        (
            "sos_commands/filesys/df_-al_-x_autofs",
            "Filesystem 1K-blocks Used Available Use% Mounted on\n/dev/vdb1 1000000 970000 30000 98% /var\n",
        ),
    ]);
    let (code, text) = check_code(full.path(), &[]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.starts_with("TRIAGE CRITICAL - "), "{text}");
    let (code, text) = check_code(full.path(), &["--exit-codes", "npd"]);
    assert_eq!(code, Some(1), "npd: a problem is 1: {text}");

    let cpu_only = tree(&[(
        "proc/stat",
        "cpu  1000 0 500 100000 100 0 0 0 0 0\ncpu0 1000 0 500 100000 100 0 0 0 0 0\nbtime 1763888400\n",
    )]);
    let (code, text) = check_code(cpu_only.path(), &[]);
    assert_eq!(code, Some(3), "{text}");
    assert!(text.starts_with("TRIAGE UNKNOWN - "), "{text}");
    let (code, _) = check_code(cpu_only.path(), &["--exit-codes", "npd"]);
    assert_eq!(code, Some(3));
}

#[test]
fn npd_ok_is_0() {
    let ok = tree(&[
        ("proc/loadavg", "0.10 0.20 0.30 1/120 4242\n"),
        ("proc/meminfo", "MemTotal:       16384000 kB\nMemFree:         8000000 kB\nMemAvailable:   12000000 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n"),
    ]);
    let (code, text) = check_code(ok.path(), &["--exit-codes", "npd"]);
    assert_eq!(code, Some(0), "{text}");
}
