//! The real binary on a damaged root: `triage snapshot --json --root DIR`, where DIR is a
//! copy of the `healthy` fixture with one file replaced by garbage bytes, an empty file, a
//! directory or a dangling symlink. Every run must exit 0 within 3 s with valid JSON, and
//! when a section came out different from the undamaged run, a warning must name the file.
//! Each file gets two of the four damages (rotating), not all four, to bound the runtime.
//! `recent_changes` is not compared: it lists files by mtime, and the copy makes all new.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Sections that come from the files; the rest (times, timings, warnings) always differ.
const SECTIONS: &[&str] = &[
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
];

const DAMAGES: [&str; 4] = [
    "garbage bytes",
    "empty",
    "a directory",
    "a dangling symlink",
];

fn healthy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../triage-core/tests/fixtures/healthy")
}

fn files(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir.join(rel))
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let r = rel.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            files(dir, &r, out);
        } else {
            out.push(r);
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    let mut all = Vec::new();
    files(from, Path::new(""), &mut all);
    for rel in all {
        let dest = to.join(&rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(from.join(&rel), dest).unwrap();
    }
}

/// Deterministic bytes (xorshift), invalid UTF-8 and newlines included.
fn garbage(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if i % 37 == 36 {
                b'\n'
            } else {
                x as u8
            }
        })
        .collect()
}

fn damage(path: &Path, how: usize, seed: u64) {
    std::fs::remove_file(path).unwrap();
    match how {
        0 => std::fs::write(path, garbage(seed, 700)).unwrap(),
        1 => std::fs::write(path, b"").unwrap(),
        2 => std::fs::create_dir(path).unwrap(),
        _ => std::os::unix::fs::symlink("/nonexistent/triage-garbage-target", path).unwrap(),
    }
}

/// Run the snapshot; `Err` describes a run that did not exit 0 with JSON within 3 s.
fn snapshot(root: &Path) -> Result<Value, String> {
    let mut child = Command::new(crate::common::triage_bin())
        .env("TRIAGE_HOME", root.join("triage-home-unused"))
        .args(["snapshot", "--json", "--root"])
        .arg(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(3) {
            child.kill().unwrap();
            child.wait().unwrap();
            return Err("no exit within 3 s".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        return Err(format!(
            "exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("stdout is not JSON: {e}"))
}

#[test]
fn damaged_files_give_warnings_not_failures() {
    let source = healthy();
    let mut all = Vec::new();
    files(&source, Path::new(""), &mut all);
    assert!(all.len() > 20, "fixture has files");

    let base_dir = tempfile::tempdir().unwrap();
    copy_tree(&source, base_dir.path());
    let base = snapshot(base_dir.path()).expect("undamaged root");

    let started = Instant::now();
    let mut problems = Vec::new();
    let mut runs = 0;
    for (i, rel) in all.iter().enumerate() {
        for how in [i % 4, (i + 2) % 4] {
            let dir = tempfile::tempdir().unwrap();
            copy_tree(&source, dir.path());
            damage(&dir.path().join(rel), how, i as u64 + 1);
            runs += 1;
            let what = format!("{} as {}", rel.display(), DAMAGES[how]);
            let v = match snapshot(dir.path()) {
                Ok(v) => v,
                Err(e) => {
                    problems.push(format!("{what}: {e}"));
                    continue;
                }
            };
            if v["schema_version"] != 1 {
                problems.push(format!("{what}: no schema_version in the JSON"));
            }
            let changed: Vec<&str> = SECTIONS
                .iter()
                .copied()
                .filter(|s| v[s] != base[s])
                .collect();
            let named = v["warnings"].as_array().is_some_and(|ws| {
                ws.iter().any(|w| {
                    w["message"]
                        .as_str()
                        .is_some_and(|m| m.contains(&*rel.to_string_lossy()))
                })
            });
            // A process's own files change under us on a live host (it exits, it is a
            // kernel thread with no cmdline): losing one is not worth a warning, except a
            // garbled stat, which is.
            let per_pid = rel.starts_with("proc")
                && rel
                    .iter()
                    .nth(1)
                    .is_some_and(|p| p.to_string_lossy().parse::<u32>().is_ok())
                && !(rel.ends_with("stat") && how == 0);
            if !changed.is_empty() && !named && !per_pid {
                problems.push(format!(
                    "{what}: {changed:?} changed but no warning names {}; warnings: {}",
                    rel.display(),
                    v["warnings"]
                ));
            }
        }
    }
    eprintln!(
        "{runs} damaged runs in {} ms",
        started.elapsed().as_millis()
    );
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
