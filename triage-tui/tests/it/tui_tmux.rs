//! End to end: the real `triage` binary in a 100×30 tmux session. Press `2`, write a
//! note, quit; check the screen and the journal. Skips (with a message) without tmux.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server whose socket lives in a temporary directory (gone afterwards).
pub(crate) struct Tmux {
    socket: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmux {
    pub(crate) fn new() -> Tmux {
        let dir = tempfile::tempdir().unwrap();
        Tmux {
            socket: dir.path().join("tmux.sock"),
            _dir: dir,
        }
    }

    /// The real `triage` in session `e2e`, `width`×`height`, state in `home`; `None`
    /// (after saying SKIP) without tmux.
    pub(crate) fn triage(home: &Path, width: u16, height: u16) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("SKIP: tmux is not installed (apt-get install tmux to run this test)");
            return None;
        }
        let bin = assert_cmd::cargo::cargo_bin("triage");
        let tmux = Tmux::new();
        let cmd = format!(
            "env TRIAGE_HOME='{}' USER=tester TERM=xterm-256color '{}'",
            home.display(),
            bin.display()
        );
        let (w, h) = (width.to_string(), height.to_string());
        let out = tmux.cmd(&["new-session", "-d", "-s", "e2e", "-x", &w, "-y", &h, &cmd]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(tmux)
    }

    pub(crate) fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap()
    }

    pub(crate) fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status.success());
    }

    /// Wait until the screen contains `text`; the screen on timeout.
    pub(crate) fn wait_for(&self, text: &str) -> Result<String, String> {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return Ok(s);
            }
            if start.elapsed() > Duration::from_secs(15) {
                return Err(s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

fn journal_text(home: &Path) -> String {
    let mut out = String::new();
    if let Ok(dir) = std::fs::read_dir(home.join("incidents")) {
        for e in dir.flatten() {
            out.push_str(
                &std::fs::read_to_string(e.path().join("journal.jsonl")).unwrap_or_default(),
            );
        }
    }
    out
}

#[test]
fn note_from_the_tui_reaches_the_journal() {
    let home = tempfile::tempdir().unwrap();
    let Some(tmux) = Tmux::triage(home.path(), 100, 30) else {
        return;
    };
    let first = tmux
        .wait_for("Detect")
        .unwrap_or_else(|s| panic!("no first frame:\n{s}"));
    assert!(first.contains("triage"), "{first}");

    tmux.keys(&["2"]);
    tmux.wait_for("Status message")
        .unwrap_or_else(|s| panic!("no Report step:\n{s}"));
    tmux.keys(&["n"]);
    tmux.wait_for("Note")
        .unwrap_or_else(|s| panic!("no note editor:\n{s}"));
    tmux.keys(&["-l", "restarted nginx at 10:07"]);
    tmux.keys(&["Enter"]);
    let screen = tmux
        .wait_for("note saved")
        .unwrap_or_else(|s| panic!("note not saved:\n{s}"));
    assert!(screen.contains("▶ 2 Report"), "{screen}");
    assert!(
        screen.contains("restarted nginx"),
        "note in the timeline:\n{screen}"
    );
    // Saved means fsynced: the journal has it before we quit.
    assert!(journal_text(home.path()).contains("\"text\":\"restarted nginx at 10:07\""));

    tmux.keys(&["q"]);
    let start = Instant::now();
    while tmux.cmd(&["has-session", "-t", "e2e"]).status.success() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "triage did not quit:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let journal = journal_text(home.path());
    assert!(journal.contains("\"kind\":\"opened\""), "{journal}");
    assert!(
        journal.contains("\"step\":\"report\""),
        "the step it quit on is journaled: {journal}"
    );
}

#[test]
fn a_dropped_session_sighup_journals_the_step_and_exits() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIP: tmux is not installed (apt-get install tmux to run this test)");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("triage");
    let tmux = Tmux::new();
    let cmd = format!(
        "exec env TRIAGE_HOME='{}' '{}'",
        home.path().display(),
        bin.display()
    );
    assert!(tmux
        .cmd(&[
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            "80",
            "-y",
            "24",
            &cmd
        ])
        .status
        .success());
    tmux.wait_for("Detect")
        .unwrap_or_else(|s| panic!("no first frame:\n{s}"));
    tmux.keys(&["3"]);
    tmux.wait_for("Impact")
        .unwrap_or_else(|s| panic!("no Scope step:\n{s}"));
    tmux.keys(&["s"]);
    tmux.wait_for("Start an incident: title")
        .unwrap_or_else(|s| panic!("no title prompt:\n{s}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("incident 2")
        .unwrap_or_else(|s| panic!("no incident:\n{s}"));
    let pid: i32 = String::from_utf8_lossy(
        &tmux
            .cmd(&["list-panes", "-t", "e2e", "-F", "#{pane_pid}"])
            .stdout,
    )
    .trim()
    .parse()
    .unwrap();
    // Closing the pane is what a dropped SSH session does: SIGHUP.
    assert!(tmux.cmd(&["kill-session", "-t", "e2e"]).status.success());
    let start = Instant::now();
    let alive = || nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok();
    while alive() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "triage did not exit on SIGHUP"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let journal = journal_text(home.path());
    assert!(
        journal.contains("\"step\":\"scope\",\"status\":\"started\""),
        "the step it was on is journaled: {journal}"
    );
}

#[test]
fn after_kill_9_triage_resumes_on_the_next_step_with_the_notes() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIP: tmux is not installed (apt-get install tmux to run this test)");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("triage");
    let tmux = Tmux::new();
    let cmd = format!(
        "exec env TRIAGE_HOME='{}' '{}'",
        home.path().display(),
        bin.display()
    );
    let start = |t: &Tmux| {
        assert!(t
            .cmd(&[
                "new-session",
                "-d",
                "-s",
                "e2e",
                "-x",
                "100",
                "-y",
                "30",
                &cmd
            ])
            .status
            .success());
        t.wait_for("Detect")
            .unwrap_or_else(|s| panic!("no first frame:\n{s}"));
    };
    start(&tmux);
    tmux.keys(&["3"]);
    tmux.wait_for("Impact")
        .unwrap_or_else(|s| panic!("no Scope step:\n{s}"));
    tmux.keys(&["n"]);
    tmux.keys(&["-l", "db primary unreachable"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("note saved")
        .unwrap_or_else(|s| panic!("{s}"));
    tmux.keys(&["d"]);
    tmux.wait_for("Scope marked done")
        .unwrap_or_else(|s| panic!("{s}"));
    let pid: i32 = String::from_utf8_lossy(
        &tmux
            .cmd(&["list-panes", "-t", "e2e", "-F", "#{pane_pid}"])
            .stdout,
    )
    .trim()
    .parse()
    .unwrap();
    // kill -9: no chance to save anything more than what was already fsynced.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let t0 = Instant::now();
    while tmux.cmd(&["has-session", "-t", "e2e"]).status.success() {
        assert!(t0.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(50));
    }
    start(&tmux);
    let screen = tmux
        .wait_for("db primary unre")
        .unwrap_or_else(|s| panic!("note not back:\n{s}"));
    assert!(screen.contains("✓ 3 Scope"), "Scope done:\n{screen}");
    assert!(
        screen.contains("▶ 4 Logs"),
        "resumed on the step after the one done:\n{screen}"
    );
}
