//! `triage logs --follow` as a user runs it: lines appended, the file rotated, a kernel
//! event firing a finding, then Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use triage_testkit::append;

/// Lines of the child's stdout until one contains `want` (or 20 s pass).
fn wait_for(rx: &mpsc::Receiver<String>, seen: &mut Vec<String>, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen.iter().any(|l| l.contains(want)) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => panic!("no line with {want:?}; got {seen:#?}"),
        }
    }
}

#[test]
fn follow_reads_appends_across_rotation_prints_findings_and_stops_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("syslog");
    append(&log, "Nov 23 10:00:00 h app[1]: old line, not shown\n");
    let (child, rx) = spawn_triage(&[
        "logs".as_ref(),
        "--follow".as_ref(),
        "--file".as_ref(),
        log.as_os_str(),
    ]);
    // Give it time to open the file and go to its end.
    std::thread::sleep(Duration::from_millis(700));
    let mut seen = Vec::new();
    append(&log, "Nov 23 10:00:01 h app[1]: first new line\n");
    wait_for(&rx, &mut seen, "first new line");
    // logrotate: rename, recreate, write to the new file.
    std::fs::rename(&log, dir.path().join("syslog.1")).unwrap();
    append(&log, "Nov 23 10:00:02 h app[1]: after rotation\n");
    wait_for(&rx, &mut seen, "after rotation");
    append(
        &log,
        "Nov 23 10:00:03 h kernel: Out of memory: Killed process 4242 (java) total-vm:1kB\n",
    );
    wait_for(&rx, &mut seen, "OOM killer killed java");
    assert!(!seen.iter().any(|l| l.contains("old line")), "{seen:#?}");

    // Ctrl-C exits cleanly (status 0, asserted by `interrupt`).
    let err = interrupt(child);
    assert!(err.contains("rotated"), "{err}");
}

/// `triage ARGS` with its stdout lines sent to the receiver as they come.
fn spawn_triage(args: &[&std::ffi::OsStr]) -> (std::process::Child, mpsc::Receiver<String>) {
    let mut child = Command::new(crate::common::triage_bin())
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// SIGINT, then its stderr once it exited (0).
fn interrupt(mut child: std::process::Child) -> String {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "still running 10 s after SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    err
}

#[test]
fn follow_under_root_refuses_a_link_out_of_the_tree_and_follows_one_inside() {
    let base = tempfile::tempdir().unwrap();
    let secret = base.path().join("secret.log");
    append(&secret, "");
    let tree = base.path().join("tree");
    let log = tree.join("var/log");
    std::fs::create_dir_all(&log).unwrap();
    std::fs::create_dir_all(tree.join("sos_commands")).unwrap();
    // Climbs above the tree's root: the analyst's own file.
    std::os::unix::fs::symlink("../../../secret.log", log.join("syslog")).unwrap();
    let real = tree.join("sos_commands/messages");
    append(&real, "");
    std::os::unix::fs::symlink("../../sos_commands/messages", log.join("messages")).unwrap();
    let (child, rx) = spawn_triage(&[
        "--root".as_ref(),
        tree.as_os_str(),
        "logs".as_ref(),
        "--follow".as_ref(),
    ]);
    std::thread::sleep(Duration::from_millis(700));
    append(
        &secret,
        "Nov 23 10:00:01 h app[1]: the analyst's own file\n",
    );
    append(&real, "Nov 23 10:00:02 h app[1]: in the tree\n");
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, "in the tree");
    std::thread::sleep(Duration::from_millis(500));
    seen.extend(rx.try_iter());
    assert!(!seen.iter().any(|l| l.contains("analyst")), "{seen:#?}");
    let err = interrupt(child);
    assert!(
        err.contains("var/log/syslog") && err.contains("outside the --root tree"),
        "{err}"
    );
}

/// The TUI in tmux over a saved tree: Logs, `F`, a line appended to the tree's syslog
/// shows with the finding it fires; `F` again stops following; `q` quits.
#[test]
fn tui_logs_step_follows_the_trees_syslog_in_tmux() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIP: tmux is not installed (apt-get install tmux to run this test)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("var/log")).unwrap();
    let log = tree.join("var/log/syslog");
    append(
        &log,
        "Nov 30 14:30:00 web-3 app[1]: in the tree before follow\n",
    );
    let tmux = crate::tui_tmux::Tmux::new();
    let cmd = format!(
        "exec env TRIAGE_HOME='{}' USER=tester TERM=xterm-256color NO_COLOR=1 '{}' --root '{}'",
        dir.path().join("home").display(),
        crate::common::triage_bin().display(),
        tree.display()
    );
    let out = tmux.cmd(&[
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        "120",
        "-y",
        "30",
        &cmd,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wait = |text: &str| {
        tmux.wait_for(text)
            .unwrap_or_else(|s| panic!("no {text:?} on the screen:\n{s}"))
    };
    wait("Detect");
    assert!(tmux.cmd(&["send-keys", "-t", "e2e", "4"]).status.success());
    wait("Logs 1-");
    assert!(tmux.cmd(&["send-keys", "-t", "e2e", "F"]).status.success());
    wait("following the saved tree's syslog");
    append(
        &log,
        "Nov 30 14:31:01 web-3 kernel: Out of memory: Killed process 4243 (java) total-vm:1kB\n",
    );
    let screen = wait("OOM killer killed java (pid 4243)");
    assert!(screen.contains("Killed process 4243"), "{screen}");
    assert!(screen.contains("[follow, 1 new finding(s)]"), "{screen}");
    assert!(tmux.cmd(&["send-keys", "-t", "e2e", "F"]).status.success());
    wait("follow stopped");
    assert!(tmux.cmd(&["send-keys", "-t", "e2e", "q"]).status.success());
}
