//! `triage runbook …` as a user runs it: exit codes of `check`, the list and show output,
//! and `run` asking before fixes and recording in the open incident's journal.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn fixtures(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../triage-core/tests/fixtures/runbooks")
        .join(name)
        .display()
        .to_string()
}

/// `triage` with a private state dir, which is also the working directory: its
/// `runbooks/` is `$TRIAGE_HOME/runbooks` (`./runbooks` of the cwd is never read).
fn triage(home: &Path) -> Command {
    let mut c = Command::new(crate::common::triage_bin());
    c.env("TRIAGE_HOME", home)
        .env_remove("TRIAGE_INVENTORY")
        .current_dir(home);
    c
}

#[test]
fn check_exit_codes() {
    let home = tempfile::tempdir().unwrap();
    triage(home.path())
        .args(["runbook", "check", &fixtures("good")])
        .assert()
        .success()
        .stdout("");
    let broken = fixtures("broken");
    triage(home.path())
        .args(["runbook", "check", &broken])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "{broken}/b_unknown_keys.toml:2: unknown key \"tittle\""
        )))
        .stdout(predicate::str::contains(format!(
            "{broken}/c_semantics.toml:3: unknown finding id \"disk_full\" in triggers"
        )));
    triage(home.path())
        .args(["runbook", "check", "no-such-dir"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "no-such-dir: cannot read directory",
        ));
    // All sources: the embedded runbooks are valid.
    triage(home.path())
        .args(["runbook", "check"])
        .assert()
        .success();
    // A broken override in $TRIAGE_HOME/runbooks makes the all-sources check fail.
    std::fs::create_dir(home.path().join("runbooks")).unwrap();
    std::fs::write(home.path().join("runbooks/x.toml"), "id = 1\n").unwrap();
    triage(home.path())
        .args(["runbook", "check"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("/runbooks/x.toml:1: "));
}

#[test]
fn list_and_show() {
    let home = tempfile::tempdir().unwrap();
    triage(home.path())
        .args(["runbook", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ID "))
        .stdout(predicate::str::contains("builtin:oom_kill.toml"))
        .stdout(predicate::str::contains(
            "disk_almost_full,inodes_almost_full",
        ));
    triage(home.path())
        .args(["runbook", "show", "disk_almost_full"])
        .assert()
        .success()
        .stdout(predicate::str::contains("[FIX  ] Vacuum the journal"))
        .stdout(predicate::str::contains("$ df -h {mount}"))
        .stdout(predicate::str::contains("rollback: none"));
    triage(home.path())
        .args(["runbook", "show", "nope"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no runbook \"nope\""));
}

const RB: &str = r#"
id = "test_fix"
title = "A test"
triggers = ["disk_almost_full"]

[[step]]
title = "Look"
check = "echo looking at {mount}"

[[step]]
title = "Touch"
fix = "touch {path}"
rollback = "rm -- {path}"
"#;

#[test]
fn run_asks_before_fixes_and_records_in_the_journal() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join("runbooks")).unwrap();
    std::fs::write(home.path().join("runbooks/t.toml"), RB).unwrap();
    let target = home.path().join("made by fix; rm -rf x");
    let path_var = format!("path={}", target.display());
    let run = |stdin: &str, extra: &[&str]| {
        let mut args = vec!["runbook", "run", "test_fix", "--var", "mount=/a b"];
        args.extend(["--var", &path_var]);
        args.extend(extra);
        triage(home.path()).args(&args).write_stdin(stdin).assert()
    };
    run("no\n", &[])
        .success()
        .stdout(predicate::str::contains("│ looking at /a b"))
        .stdout(predicate::str::contains("type yes to run it"))
        .stdout(predicate::str::contains("skipped (not confirmed)"));
    assert!(!target.exists());
    run("", &[]).success();
    assert!(!target.exists(), "EOF on stdin is not a yes");

    // With an open incident, checks and fixes are journaled.
    let store = triage_core::incident::Store::new(home.path());
    let (inc, _) = store.start("disk", "h").unwrap();
    run("yes\n", &[])
        .success()
        .stdout(predicate::str::contains(format!(
            "recording in incident {}",
            inc.id
        )));
    assert!(target.exists());
    std::fs::remove_file(&target).unwrap();
    run("", &["--yes"]).success();
    assert!(target.exists(), "--yes runs fixes without asking");
    let journal = std::fs::read_to_string(inc.journal().path()).unwrap();
    let commands: Vec<serde_json::Value> = journal
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["kind"] == "command")
        .collect();
    assert_eq!(commands.len(), 4, "{journal}");
    assert_eq!(commands[0]["mode"], "check");
    assert_eq!(commands[0]["command"], "echo looking at '/a b'");
    assert_eq!(commands[1]["mode"], "fix");
    assert_eq!(commands[1]["runbook"], "test_fix");
    assert_eq!(commands[1]["exit_code"], 0);
}

#[test]
fn run_reports_a_missing_variable_and_fails() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join("runbooks")).unwrap();
    std::fs::write(
        home.path().join("runbooks/t.toml"),
        RB.replace("triggers = [\"disk_almost_full\"]", "triggers = []"),
    )
    .unwrap();
    triage(home.path())
        .args(["runbook", "run", "test_fix", "--yes"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("skipped: no value for {mount}"));
}

#[test]
fn inventory_lookup_and_reachability() {
    let home = tempfile::tempdir().unwrap();
    let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = open.local_addr().unwrap().port();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let inv = home.path().join("inv.toml");
    std::fs::write(
        &inv,
        format!(
            "[[host]]\npattern = \"app-*\"\nrole = \"app\"\nredundant = true\n\
             dependencies = [\"127.0.0.1:{port}\", \"127.0.0.1:{closed}\"]\n"
        ),
    )
    .unwrap();
    triage(home.path())
        .env("TRIAGE_INVENTORY", &inv)
        .args(["runbook", "inventory", "app-7.prod.example.com"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("matched \"app-*\""))
        .stdout(predicate::str::contains("role       app"))
        .stdout(predicate::str::is_match(format!(r"ok +127\.0\.0\.1:{port} ")).unwrap())
        .stdout(predicate::str::is_match(format!(r"DOWN 127\.0\.0\.1:{closed} ")).unwrap());
    std::fs::write(&inv, "[[host]\n").unwrap();
    triage(home.path())
        .env("TRIAGE_INVENTORY", &inv)
        .args(["runbook", "inventory", "app-1"])
        .assert()
        .code(1)
        .stdout("no inventory\n")
        .stderr(predicate::str::contains("inv.toml:1: TOML syntax"));
}
