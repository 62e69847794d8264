//! Helpers shared by the binary's integration tests: the binary under test, and (from
//! `triage-testkit`) the core crate's fixture roots and scratch copies of them.
#![allow(dead_code)] // not every test module uses every helper

use std::path::PathBuf;

/// The `triage` binary every test runs: `$TRIAGE_BIN` when set (an absolute path, e.g.
/// `$PWD/target/release/triage`, so the security tests can attack the shipped build as
/// root: see `.ci/run`), else the debug binary cargo built for this test run. Every test
/// finds the binary here, never with `cargo_bin`/`CARGO_BIN_EXE_triage` of its own.
pub fn triage_bin() -> PathBuf {
    match std::env::var_os("TRIAGE_BIN") {
        Some(bin) if !bin.is_empty() => {
            let bin = PathBuf::from(bin);
            assert!(
                bin.is_absolute() && bin.is_file(),
                "TRIAGE_BIN must be the absolute path of a triage binary, not {}",
                bin.display()
            );
            bin
        }
        _ => PathBuf::from(env!("CARGO_BIN_EXE_triage")),
    }
}

pub use triage_testkit::{copy_tree, fixture};

/// Run `cmd`, assert it succeeded (its stderr is the failure message) and parse its
/// stdout as JSON.
pub fn json_of(cmd: &mut std::process::Command) -> serde_json::Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
