//! `triage --version`, `triage completions SHELL` and `triage man`: the version names the
//! commit, the completion scripts parse in their shells and complete subcommands and flags,
//! the manual page renders with `man -l`.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::fixture;

fn triage(args: &[&str]) -> std::process::Output {
    let out = Command::new(crate::common::triage_bin())
        .args(args)
        .env(
            "TRIAGE_HOME",
            std::env::temp_dir().join("triage-test-home-unused"),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "triage {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(args: &[&str]) -> String {
    String::from_utf8(triage(args).stdout).unwrap()
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn version_names_the_commit_and_the_build_date() {
    let line = stdout(&["--version"]);
    let re = regex::Regex::new(
        r"^triage (\d+\.\d+\.\d+) \((?:([0-9a-f]{7,}), )?built (\d{4}-\d{2}-\d{2})\)\n$",
    )
    .unwrap();
    let caps = re.captures(&line).unwrap_or_else(|| panic!("{line:?}"));
    assert_eq!(&caps[1], env!("CARGO_PKG_VERSION"));
    // The build's commit is HEAD or, when something was committed since the build, one
    // of its ancestors.
    match (git(&["rev-parse", "HEAD"]), caps.get(2)) {
        (Some(_), Some(commit)) => assert!(
            git(&["merge-base", "--is-ancestor", commit.as_str(), "HEAD"]).is_some(),
            "{} is not HEAD or an ancestor: {line}",
            commit.as_str()
        ),
        (Some(head), None) => panic!("built in a git checkout at {head}, no commit: {line}"),
        (None, _) => eprintln!("skipping the commit check: not a git checkout"),
    }

    // The same build identity, without the date, heads every snapshot.
    let snap = stdout(&[
        "snapshot",
        "--json",
        "--root",
        fixture("healthy").to_str().unwrap(),
    ]);
    let v: Value = serde_json::from_str(&snap).unwrap();
    let expected = match caps.get(2) {
        Some(c) => format!("{} ({})", &caps[1], c.as_str()),
        None => caps[1].to_string(),
    };
    assert_eq!(v["triage_version"], expected.as_str());
    assert!(v["host"].get("triage_version").is_none());
}

/// Source the bash completion and ask it to complete `words` (the last one is the word
/// being completed); returns the candidates.
fn bash_complete(script: &str, words: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("triage.bash");
    std::fs::write(&path, script).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let line = words.join(" ");
    let prog = format!(
        r#"source '{}'
spec=$(complete -p triage) || exit 3
func=$(sed -n 's/.*-F \([^ ]*\).*/\1/p' <<<"$spec")
COMP_WORDS=({})
COMP_CWORD={}
COMP_LINE='{line}'
COMP_POINT=${{#COMP_LINE}}
"$func" triage '{}' '{}'
printf '%s\n' "${{COMPREPLY[@]}}""#,
        path.display(),
        quoted.join(" "),
        words.len() - 1,
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &prog])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{prog}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completion_parses_and_completes_subcommands_and_flags() {
    let script = stdout(&["completions", "bash"]);
    let mut check = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    check
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(
        check.wait().unwrap().success(),
        "bash -n rejected the script"
    );

    assert_eq!(bash_complete(&script, &["triage", "sn"]), ["snapshot"]);
    let subs = bash_complete(&script, &["triage", ""]);
    for sub in ["snapshot", "check", "incident", "completions", "man"] {
        assert!(subs.iter().any(|s| s == sub), "{sub} not in {subs:?}");
    }
    assert_eq!(
        bash_complete(&script, &["triage", "snapshot", "--js"]),
        ["--json"]
    );
    assert_eq!(
        bash_complete(&script, &["triage", "incident", "st"]),
        ["start", "status"]
    );
    let mut shells = bash_complete(&script, &["triage", "completions", ""]);
    shells.retain(|w| !w.starts_with('-'));
    assert_eq!(shells, ["bash", "elvish", "fish", "powershell", "zsh"]);
}

#[test]
fn every_shell_gets_a_script_and_zsh_and_fish_parse_theirs() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout(&["completions", shell]);
        assert!(script.contains("triage"), "{shell}");
        assert!(script.contains("snapshot"), "{shell}");
    }
    for (shell, args) in [("zsh", &["-n"][..]), ("fish", &["--no-execute"][..])] {
        if !have(shell) {
            eprintln!("skipping the {shell} syntax check: {shell} is not installed");
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("triage.completion");
        std::fs::write(&path, stdout(&["completions", shell])).unwrap();
        let out = Command::new(shell).args(args).arg(&path).output().unwrap();
        assert!(
            out.status.success(),
            "{shell} rejected its script: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `man -l` renders the page as a user's `man` would, at 80 columns.
fn render_man(page: &[u8]) -> Option<String> {
    if !have("man") {
        eprintln!("skipping the man rendering: man is not installed (apt-get install man-db)");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("triage.1");
    std::fs::write(&path, page).unwrap();
    let out = Command::new("man")
        .args(["-l", "-P", "cat"])
        .arg(&path)
        .env("MANWIDTH", "80")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "man -l: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn man_page_renders_with_every_subcommand_and_its_flags() {
    let page = triage(&["man"]).stdout;
    let roff = String::from_utf8(page.clone()).unwrap();
    assert!(
        roff.lines().any(|l| l.starts_with(".TH triage 1 ")),
        "{roff}"
    );
    let Some(text) = render_man(&page) else {
        return;
    };
    for heading in [
        "NAME",
        "SYNOPSIS",
        "SUBCOMMANDS",
        "TRIAGE SNAPSHOT",
        "TRIAGE INCIDENT START",
        "TRIAGE RUNBOOK RUN",
        "TRIAGE COMPLETIONS",
        "VERSION",
    ] {
        assert!(
            text.lines().any(|l| l.trim() == heading),
            "no {heading} heading in:\n{text}"
        );
    }
    // Flags of a subcommand are in its section, with their help.
    let snapshot = text.split("TRIAGE SNAPSHOT").nth(1).unwrap();
    assert!(snapshot.contains("--json"), "{snapshot}");
    assert!(
        snapshot.contains("Deadline for each collector"),
        "{snapshot}"
    );
    assert!(
        !text.contains(".SH") && !text.contains(".SS"),
        "raw roff: {text}"
    );
}

#[test]
fn man_dir_writes_one_page_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    triage(&["man", "--dir", dir.path().to_str().unwrap()]);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for page in [
        "triage.1",
        "triage-snapshot.1",
        "triage-incident-start.1",
        "triage-runbook-inventory.1",
        "triage-man.1",
    ] {
        assert!(names.iter().any(|n| n == page), "{page} not in {names:?}");
    }
    assert!(!names
        .iter()
        .any(|n| n == "triage-incident.1" || n.contains("help")));
    // triage.1 is the same full page `triage man` prints.
    assert_eq!(
        std::fs::read(dir.path().join("triage.1")).unwrap(),
        triage(&["man"]).stdout
    );
    let page = std::fs::read(dir.path().join("triage-incident-start.1")).unwrap();
    if let Some(text) = render_man(&page) {
        assert!(text.contains("--title"), "{text}");
    }
}
