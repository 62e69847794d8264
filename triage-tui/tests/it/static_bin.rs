//! The static binary from `scripts/build-static` runs on a host with nothing else: in a
//! chroot holding only the binary and a mounted /proc (no libc, no /etc, no NSS modules),
//! `triage snapshot --json` exits 0 and names the host. Skips with a message when not root
//! or when target/static/triage has not been built (`scripts/test-static` does both).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Unmounts (lazily) when dropped, also when an assertion fails.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn static_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("static/triage")
}

fn mount_proc(at: &Path) -> Option<Mounted> {
    for args in [&["-t", "proc", "proc"][..], &["--bind", "/proc"][..]] {
        let ok = Command::new("mount")
            .args(args)
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(Mounted(at.to_path_buf()));
        }
    }
    None
}

#[test]
fn static_binary_runs_in_an_empty_chroot() {
    const SKIP: &str = "SKIP static_binary_runs_in_an_empty_chroot";
    if !nix::unistd::geteuid().is_root() {
        eprintln!("{SKIP}: needs root for chroot and mount");
        return;
    }
    let bin = static_binary();
    if !bin.is_file() {
        eprintln!(
            "{SKIP}: {} is not built (run scripts/build-static, or scripts/test-static)",
            bin.display()
        );
        return;
    }
    let jail = tempfile::tempdir().unwrap();
    std::fs::copy(&bin, jail.path().join("triage")).unwrap();
    std::fs::create_dir(jail.path().join("proc")).unwrap();
    let Some(_proc) = mount_proc(&jail.path().join("proc")) else {
        eprintln!("{SKIP}: cannot mount proc here");
        return;
    };
    let entries: Vec<String> = std::fs::read_dir(jail.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        entries.len(),
        2,
        "the jail holds more than triage and proc: {entries:?}"
    );

    // Found before the environment is cleared (the child gets none: no PATH, no HOME).
    let Some(chroot) = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("chroot"))
            .find(|p| p.is_file())
    }) else {
        eprintln!("{SKIP}: no chroot command");
        return;
    };
    let run = |args: &[&str]| {
        Command::new(&chroot)
            .arg(jail.path())
            .arg("/triage")
            .args(args)
            .env_clear()
            .output()
            .unwrap()
    };
    let version = run(&["--version"]);
    assert!(version.status.success(), "{version:?}");
    eprintln!(
        "static binary: {}",
        String::from_utf8_lossy(&version.stdout).trim()
    );

    let out = run(&["snapshot", "--json", "--interval", "100ms"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(
        v["host"]["hostname"],
        hostname.trim(),
        "{:#}",
        v["warnings"]
    );
    assert!(v["triage_version"].as_str().is_some_and(|s| !s.is_empty()));
    // /proc alone is enough for the figures of the Now table.
    for section in ["load", "cpu", "memory", "process_summary"] {
        assert!(
            v[section].is_object(),
            "{section} is null: {:#}",
            v["warnings"]
        );
    }
    assert!(v["processes"].as_array().is_some_and(|p| !p.is_empty()));
    eprintln!("warnings in the empty chroot: {:#}", v["warnings"]);
}
