//! End to end: the real `triage` binary in a 100×30 tmux session. Press `2`, write a
//! note, quit; check the screen and the journal. Skips (with a message) without tmux.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Whether the pane's shell `exec`s `triage`, so that signals sent to the pane's pid
/// (kill -9, SIGHUP on close) reach `triage` itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exec {
    Yes,
    No,
}

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

    /// The real `triage` in session `e2e` of a new server (see [`Tmux::start`]); `None`
    /// (after saying SKIP) without tmux.
    pub(crate) fn triage(home: &Path, width: u16, height: u16, exec: Exec) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("SKIP: tmux is not installed (apt-get install tmux to run this test)");
            return None;
        }
        let tmux = Tmux::new();
        tmux.start(home, width, height, exec);
        Some(tmux)
    }

    /// Start the real `triage` in session `e2e`, `width`×`height`, state in `home`.
    pub(crate) fn start(&self, home: &Path, width: u16, height: u16, exec: Exec) {
        let bin = crate::common::triage_bin();
        let exec = match exec {
            Exec::Yes => "exec ",
            Exec::No => "",
        };
        let cmd = format!(
            "{exec}env TRIAGE_HOME='{}' USER=tester TERM=xterm-256color '{}'",
            home.display(),
            bin.display()
        );
        let (w, h) = (width.to_string(), height.to_string());
        let out = self.cmd(&["new-session", "-d", "-s", "e2e", "-x", &w, "-y", &h, &cmd]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The pid of the pane's process: `triage` itself when started with [`Exec::Yes`].
    fn pane_pid(&self) -> i32 {
        let out = self.cmd(&["list-panes", "-t", "e2e", "-F", "#{pane_pid}"]);
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }

    /// Wait (30 s at most: a loaded machine) until the session has ended.
    fn wait_gone(&self) {
        let start = Instant::now();
        while self.cmd(&["has-session", "-t", "e2e"]).status.success() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "triage did not quit:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
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

    /// Send `keys`, then wait for `text`; the screen (panics with it on timeout).
    fn press(&self, keys: &[&str], text: &str) -> String {
        self.keys(keys);
        self.wait_for(text)
            .unwrap_or_else(|s| panic!("{keys:?}: no {text:?} on the screen:\n{s}"))
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
            if start.elapsed() > Duration::from_secs(30) {
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
    let Some(tmux) = Tmux::triage(home.path(), 100, 30, Exec::No) else {
        return;
    };
    let first = tmux
        .wait_for("Detect")
        .unwrap_or_else(|s| panic!("no first frame:\n{s}"));
    assert!(first.contains("triage"), "{first}");

    tmux.press(&["2"], "Status message");
    tmux.press(&["n"], "Note");
    tmux.keys(&["-l", "restarted nginx at 10:07"]);
    let screen = tmux.press(&["Enter"], "note saved");
    assert!(screen.contains("▶ 2 Report"), "{screen}");
    assert!(
        screen.contains("restarted nginx"),
        "note in the timeline:\n{screen}"
    );
    // Saved means fsynced: the journal has it before we quit.
    assert!(journal_text(home.path()).contains("\"text\":\"restarted nginx at 10:07\""));

    tmux.keys(&["q"]);
    tmux.wait_gone();
    let journal = journal_text(home.path());
    assert!(journal.contains("\"kind\":\"opened\""), "{journal}");
    assert!(
        journal.contains("\"step\":\"report\""),
        "the step it quit on is journaled: {journal}"
    );
}

#[test]
fn a_dropped_session_sighup_journals_the_step_and_exits() {
    let home = tempfile::tempdir().unwrap();
    let Some(tmux) = Tmux::triage(home.path(), 80, 24, Exec::Yes) else {
        return;
    };
    tmux.wait_for("Detect")
        .unwrap_or_else(|s| panic!("no first frame:\n{s}"));
    tmux.press(&["3"], "Impact");
    tmux.press(&["s"], "Start an incident: title");
    tmux.press(&["Enter"], "incident 2");
    let pid = tmux.pane_pid();
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
    let home = tempfile::tempdir().unwrap();
    let Some(tmux) = Tmux::triage(home.path(), 100, 30, Exec::Yes) else {
        return;
    };
    tmux.wait_for("Detect")
        .unwrap_or_else(|s| panic!("no first frame:\n{s}"));
    tmux.press(&["3"], "Impact");
    tmux.keys(&["n"]);
    tmux.keys(&["-l", "db primary unreachable"]);
    tmux.press(&["Enter"], "note saved");
    tmux.press(&["d"], "Scope marked done");
    let pid = tmux.pane_pid();
    // kill -9: no chance to save anything more than what was already fsynced.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    tmux.wait_gone();
    tmux.start(home.path(), 100, 30, Exec::Yes);
    tmux.wait_for("Detect")
        .unwrap_or_else(|s| panic!("no first frame after the restart:\n{s}"));
    let screen = tmux
        .wait_for("db primary unre")
        .unwrap_or_else(|s| panic!("note not back:\n{s}"));
    assert!(screen.contains("✓ 3 Scope"), "Scope done:\n{screen}");
    assert!(
        screen.contains("▶ 4 Logs"),
        "resumed on the step after the one done:\n{screen}"
    );
}

/// `s` asks for the title; the keys a terminal really sends (Ctrl-U, Home, End,
/// Backspace, arrows) edit it, and the journal gets what was typed.
#[test]
fn s_asks_for_the_title_and_the_journal_gets_the_edited_one() {
    let home = tempfile::tempdir().unwrap();
    let Some(tmux) = Tmux::triage(home.path(), 100, 30, Exec::No) else {
        return;
    };
    tmux.wait_for("Detect")
        .unwrap_or_else(|s| panic!("no first frame:\n{s}"));
    tmux.press(&["s"], "Start an incident: title");
    tmux.keys(&["C-u"]);
    tmux.keys(&["-l", "slow db"]);
    tmux.keys(&["Home"]);
    tmux.keys(&["-l", "prod "]);
    tmux.keys(&["End", "BSpace", "BSpace"]);
    tmux.keys(&["-l", "DB"]);
    tmux.keys(&["Left", "Left"]);
    tmux.keys(&["-l", "the "]);
    tmux.press(&["Enter"], "incident 2");
    let journal = journal_text(home.path());
    assert!(
        journal.contains("\"title\":\"prod slow the DB\""),
        "{journal}"
    );
    tmux.keys(&["q"]);
    tmux.wait_gone();
}
