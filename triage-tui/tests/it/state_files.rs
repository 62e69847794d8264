//! State files that cannot be redirected (issue 16 item 6), attacked through the binary:
//! a journal replaced by a symlink to a victim file, a fake incident directory that is a
//! symlink, a state directory others can write, no HOME, and `-o` files' mode.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn triage(home: &Path) -> Command {
    let mut cmd = Command::new(crate::common::triage_bin());
    cmd.env("TRIAGE_HOME", home).env("NO_COLOR", "1");
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The only incident directory under `home`.
fn incident_dir(home: &Path) -> std::path::PathBuf {
    let mut dirs = std::fs::read_dir(home.join("incidents")).unwrap().flatten();
    dirs.next().unwrap().path()
}

#[test]
fn a_journal_swapped_for_a_symlink_is_not_written_through() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let out = run(triage(&home).args(["incident", "start", "--title", "t"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Another user with write access swaps the journal for a link to a file root owns.
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, "root's file\n").unwrap();
    let journal = incident_dir(&home).join("journal.jsonl");
    std::fs::remove_file(&journal).unwrap();
    std::os::unix::fs::symlink(&victim, &journal).unwrap();
    // The planted link is no incident: the note opens a new one instead of following it.
    let out = run(triage(&home).args(["note", "redirected?"]));
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "root's file\n",
        "{}",
        text(&out.stderr)
    );
    // Reading it directly is refused too (no FIFO or foreign file read as a journal).
    let store = triage_core::incident::Store::new(&home);
    let id = journal
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(store.get(&id).is_err());
    let e = triage_core::incident::Journal::new(&journal)
        .append(triage_core::incident::EventBody::Note { text: "x".into() });
    assert!(e.is_err(), "appended through a symlink");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "root's file\n");
}

#[test]
fn a_symlinked_incident_directory_is_not_an_incident() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(home.join("incidents")).unwrap();
    // A directory elsewhere with a journal claiming to be an open incident.
    let fake = tmp.path().join("fake");
    std::fs::create_dir(&fake).unwrap();
    std::fs::write(
        fake.join("journal.jsonl"),
        "{\"time\":\"2026-11-30T09:00:00+00:00\",\"kind\":\"opened\",\"title\":\"planted\",\"host\":\"h\"}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&fake, home.join("incidents/20260101-000000")).unwrap();
    let out = run(triage(&home).args(["incident", "list"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stdout).contains("planted"),
        "{}",
        text(&out.stdout)
    );
    let before = std::fs::read_to_string(fake.join("journal.jsonl")).unwrap();
    let out = run(triage(&home).args(["note", "where does this go?"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(fake.join("journal.jsonl")).unwrap(),
        before
    );
    assert_eq!(
        std::fs::read_dir(&fake).unwrap().count(),
        1,
        "nothing written into the planted dir"
    );
}

#[test]
fn a_state_dir_others_can_write_is_refused_with_a_message() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = run(triage(&home).args(["incident", "start", "--title", "t"]));
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("writable by group or others") && err.contains("chmod go-w"),
        "{err}"
    );
    assert!(!home.join("incidents").exists());
    // The same for incidents/ itself.
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::create_dir(home.join("incidents")).unwrap();
    std::fs::set_permissions(
        home.join("incidents"),
        std::fs::Permissions::from_mode(0o770),
    )
    .unwrap();
    let out = run(triage(&home).args(["incident", "list"]));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("incidents is writable by group or others"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn without_home_there_is_no_tmp_fallback() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root to run the binary as another user (root's state dir is /var/lib/triage)");
        return;
    }
    use std::os::unix::process::CommandExt;
    let before = Path::new("/tmp/.local/state/triage").exists();
    let mut cmd = Command::new(crate::common::triage_bin());
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .uid(65534)
        .gid(65534);
    let out = match cmd.args(["incident", "list"]).output() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("skipped: cannot run the binary as nobody: {e}");
            return;
        }
    };
    if text(&out.stderr).contains("Permission denied") && out.status.code() == Some(126) {
        eprintln!("skipped: nobody cannot execute the test binary here");
        return;
    }
    assert!(!out.status.success(), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("HOME is not set"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(Path::new("/tmp/.local/state/triage").exists(), before);
}

#[test]
fn output_files_and_the_lock_are_private() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    crate::common::copy_tree(&crate::common::fixture("healthy"), &root);
    let report = tmp.path().join("report.md");
    let out = run(triage(tmp.path())
        .args(["snapshot", "--md", "-o"])
        .arg(&report)
        .arg("--root")
        .arg(&root));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&report), 0o600);
    let out = run(triage(tmp.path())
        .args(["incident", "start", "--title", "t", "--root"])
        .arg(&root));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(mode(&tmp.path().join(".incidents.lock")), 0o600);
    assert_eq!(mode(&incident_dir(tmp.path()).join("journal.jsonl")), 0o600);
}
