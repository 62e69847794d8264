//! The Logs step's follow mode over real files: `F` starts the same stream as
//! `triage logs --follow` on a thread, lines appended to the file show in the frame with
//! the finding they fire, `F` again stops it; under `--root` it follows the tree's files
//! and says so.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use triage_core::incident::Step;
use triage_core::logs::follow::Followed;
use triage_core::logs::LogEntry;
use triage_core::HostRoot;

use super::app::App;
use super::event::Event;
use super::follow::{Source, Update};
use super::steps::logs_live::LIVE_CAP;
use super::tests::{ctx, draw, key};

use triage_testkit::append;

/// The Logs step with follow mode reading `source`; its events come back on the receiver.
fn app_following(state: &Path, source: Source) -> (App, mpsc::Receiver<Event>) {
    let mut c = ctx(state, false);
    c.follow_source = Some(source);
    let (tx, rx) = mpsc::channel();
    c.jobs = Some(tx);
    let mut app = App::new(c);
    app.current = Step::Logs;
    (app, rx)
}

/// Handle events until `done` holds for the app and its 160×48 frame (or 20 s pass).
fn pump(app: &mut App, rx: &mpsc::Receiver<Event>, done: impl Fn(&App, &str) -> bool) -> String {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let frame = format!("{}", draw(app, 160, 48));
        if done(app, &frame) {
            return frame;
        }
        assert!(Instant::now() < until, "gave up waiting; frame:\n{frame}");
        if let Ok(ev) = rx.recv_timeout(Duration::from_millis(100)) {
            app.handle(ev);
        }
    }
}

fn flash(app: &App) -> &str {
    app.out.flash.as_deref().unwrap_or("")
}

#[test]
fn f_follows_new_lines_and_findings_into_the_frame_and_f_again_stops() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("syslog");
    append(
        &log,
        "Nov 23 10:04:00 web-3 app[1]: written before follow, not shown\n",
    );
    let source = Source {
        root: HostRoot::live(),
        files: vec![log.clone()],
        redact: true,
    };
    let (mut app, rx) = app_following(&dir.path().join("state"), source);
    app.handle(key('F'));
    // The thread opened the file (at its end) once it says what it follows.
    pump(&mut app, &rx, |a, _| flash(a) == "following syslog");
    append(
        &log,
        "Nov 23 10:06:00 web-3 kernel: Out of memory: Killed process 4242 (java) total-vm:1kB\n\
         Nov 23 10:06:01 web-3 app[1]: retry with password=hunter2\n",
    );
    let frame = pump(&mut app, &rx, |_, f| f.contains("retry with"));
    assert!(frame.contains("Killed process 4242 (java)"), "{frame}");
    assert!(frame.contains("FINDING"), "{frame}");
    assert!(frame.contains("OOM killer killed java"), "{frame}");
    assert!(frame.contains("[follow, 1 new finding(s)]"), "{frame}");
    assert!(!frame.contains("hunter2"), "redacted: {frame}");
    assert!(!frame.contains("written before follow"), "{frame}");
    // The snapshot's lines stay above the followed ones.
    assert!(frame.contains("upstream timed out"), "{frame}");
    assert!(flash(&app).contains("new finding: OOM killer killed java"));

    app.handle(key('F'));
    assert!(app.ctx.following.is_none(), "the thread is told to stop");
    let frame = format!("{}", draw(&app, 160, 48));
    assert!(!frame.contains("Killed process 4242"), "{frame}");
    assert!(!frame.contains("[follow"), "{frame}");
}

#[test]
fn under_root_follow_reads_the_trees_files_and_says_there_is_no_live_source() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("sosreport");
    std::fs::create_dir_all(tree.join("var/log")).unwrap();
    let log = tree.join("var/log/syslog");
    append(&log, "");
    let source = Source {
        root: HostRoot::new(&tree).unwrap(),
        files: Vec::new(),
        redact: true,
    };
    let (mut app, rx) = app_following(&dir.path().join("state"), source);
    app.handle(key('F'));
    pump(&mut app, &rx, |a, _| {
        flash(a)
            == "following the saved tree's syslog (no kernel ring buffer or journal in a saved tree)"
    });
    append(&log, "Nov 23 10:06:00 web-3 app[1]: appended to the tree\n");
    pump(&mut app, &rx, |_, f| f.contains("appended to the tree"));
}

#[test]
fn follow_needs_a_source_and_keeps_only_the_last_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(ctx(dir.path(), false));
    app.current = Step::Logs;
    app.handle(key('F'));
    assert_eq!(flash(&app), "follow needs a live session");
    // More than the cap arrives: the oldest go; a lost batch is counted.
    let items = (0..LIVE_CAP + 10)
        .map(|i| Followed::Entry(LogEntry::new("/var/log/syslog", &format!("line {i}"))))
        .collect();
    app.handle(Event::Follow(Box::new(Update {
        items,
        dropped: 5,
        ..Update::default()
    })));
    let frame = format!("{}", draw(&app, 160, 48));
    assert!(
        frame.contains(&format!("of {LIVE_CAP} [follow, 5 lines dropped]")),
        "{frame}"
    );
    assert!(frame.contains(&format!("line {}", LIVE_CAP + 9)), "{frame}");
}
