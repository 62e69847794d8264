//! Frame and key tests: every step rendered with ratatui's `TestBackend` at 80×24 and
//! 160×48 from a fixture snapshot and a fixture journal (fixed times, no live data), and
//! the keys that write to the journal.

use std::path::Path;

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use triage_core::incident::{Event as JEvent, EventBody, Journal, Store};
use triage_core::snapshot::{Snapshot, Time};

use super::app::App;
use super::ctx::Ctx;
use super::event::Event;
use super::theme::Theme;

fn t(s: &str) -> Time {
    Time::parse_from_rfc3339(s).unwrap()
}

/// A web server at 10:05 after an OOM kill: fixed figures, fixed times.
pub fn fixture_snapshot() -> Snapshot {
    serde_json::from_value(serde_json::json!({
        "schema_version": 1,
        "collected_at": "2026-11-23T10:05:00+00:00",
        "duration_ms": 310,
        "host": {"hostname": "web-3", "kernel": "6.1.0-18-amd64", "os": "Debian GNU/Linux 12",
                 "uptime_seconds": 864000, "boot_time": "2026-11-13T10:05:00+00:00"},
        "load": {"one": 14.2, "five": 9.8, "fifteen": 4.1, "runnable": 12, "total_tasks": 412},
        "cpu": {"count": 4, "usage_percent": 97.5, "iowait_percent": 3.0, "steal_percent": 0.0},
        "memory": {"total_bytes": 8589934592u64, "available_bytes": 214748364u64, "used_bytes": 8375186228u64,
                   "swap_total_bytes": 2147483648u64, "swap_free_bytes": 0},
        "pressure": {"cpu": {"some_avg10": 62.1, "some_avg60": 40.0, "full_avg10": null},
                     "memory": {"some_avg10": 35.5, "some_avg60": 20.0, "full_avg10": 12.0},
                     "io": null},
        "filesystems": [
            {"mount_point": "/", "device": "/dev/vda1", "fs_type": "ext4", "size_bytes": 42949672960u64,
             "used_bytes": 41875931136u64, "available_bytes": 1073741824u64, "inodes_total": 2621440, "inodes_used": 400000},
            {"mount_point": "/boot", "device": "/dev/vda2", "fs_type": "ext4", "size_bytes": 536870912u64,
             "used_bytes": 107374182u64, "available_bytes": 429496730u64, "inodes_total": 32768, "inodes_used": 300}],
        "processes": [
            {"pid": 2201, "ppid": 1, "user": "app", "state": "R", "cpu_percent": 180.5, "rss_bytes": 6442450944u64,
             "threads": 212, "started_at": "2026-11-23T09:00:00+00:00", "command": "java -Xmx6g -jar shop.jar --db.password=***"},
            {"pid": 1400, "ppid": 1, "user": "root", "state": "S", "cpu_percent": 12.0, "rss_bytes": 104857600u64,
             "threads": 4, "started_at": "2026-11-13T10:05:10+00:00", "command": "nginx: master process /usr/sbin/nginx"},
            {"pid": 3100, "ppid": 1400, "user": "www-data", "state": "D", "cpu_percent": 1.5, "rss_bytes": 52428800u64,
             "threads": 1, "started_at": "2026-11-23T10:01:00+00:00", "command": "nginx: worker process"},
            {"pid": 1, "ppid": 0, "user": "root", "state": "S", "cpu_percent": 0.0, "rss_bytes": 12582912u64,
             "threads": 1, "started_at": "2026-11-13T10:05:00+00:00", "command": "/sbin/init"}],
        "process_summary": {"total": 412, "running": 12, "sleeping": 398, "uninterruptible": 1, "zombie": 1},
        "users": [{"user": "alice", "tty": "pts/0", "from": "10.0.0.5", "login_at": "2026-11-23T10:03:00+00:00"}],
        "listeners": [
            {"protocol": "tcp", "address": "0.0.0.0", "port": 443, "pid": 1400, "process": "nginx", "user": "root", "recv_q": 0, "send_q": 511},
            {"protocol": "tcp6", "address": "::", "port": 8080, "pid": 2201, "process": "java", "user": "app", "recv_q": 100, "send_q": 100}],
        "connections": {"total": 1840, "by_state": {"ESTABLISHED": 1200, "TIME_WAIT": 600, "SYN_RECV": 40},
                        "top_remote": [{"address": "10.0.1.20", "count": 800}, {"address": "10.0.1.21", "count": 400}]},
        "kernel_log": [
            {"time": "2026-11-23T10:02:11+00:00", "level": "err", "message": "Out of memory: Killed process 2101 (java) total-vm:9000000kB"},
            {"time": "2026-11-23T10:02:12+00:00", "level": "info", "message": "oom_reaper: reaped process 2101 (java)"}],
        "log_tail": [
            {"source": "/var/log/syslog", "time": "2026-11-23T10:02:30+00:00", "message": "systemd[1]: shop.service: Main process exited, code=killed"},
            {"source": "/var/log/nginx/error.log", "time": "2026-11-23T10:03:01+00:00", "message": "upstream timed out (110) while connecting to upstream 10.0.0.9:8080"},
            {"source": "/var/log/nginx/error.log", "time": "2026-11-23T10:03:02+00:00", "message": "upstream timed out (110) while connecting to upstream 10.0.0.9:8080"}],
        "recent_changes": [
            {"time": "2026-11-23T09:40:00+00:00", "kind": "package", "summary": "upgrade openjdk-17-jre 17.0.9 -> 17.0.10", "source": "/var/log/dpkg.log"},
            {"time": "2026-11-23T09:55:00+00:00", "kind": "deploy", "summary": "shop.jar replaced", "source": "/srv/shop"}],
        "findings": [
            {"id": "oom_kill", "severity": "critical", "title": "OOM kill of java (pid 2101) at 10:02",
             "evidence": ["kernel: Out of memory: Killed process 2101 (java)"]},
            {"id": "load_high", "severity": "warning", "title": "load 14.2 on 4 cores",
             "evidence": ["load 14.2 9.8 4.1", "12 runnable"]},
            {"id": "disk_almost_full", "severity": "warning", "title": "/ is 97% full", "evidence": ["1.0G free of 40G"]}],
        "warnings": [{"collector": "users", "message": "no utmp"}],
        "timings_ms": {}
    }))
    .unwrap()
}

/// An incident opened at 10:03 with a note and Detect done, written with fixed times.
fn fixture_journal(state_dir: &Path) {
    let dir = state_dir.join("incidents/20261123-100300");
    std::fs::create_dir_all(&dir).unwrap();
    let j = Journal::new(dir.join("journal.jsonl"));
    let ev = |time: &str, body| JEvent {
        time: t(time),
        by: Some("alice".into()),
        body,
    };
    j.append_event(&ev(
        "2026-11-23T10:03:00+00:00",
        EventBody::Opened {
            title: "OOM kill of java (pid 2101) at 10:02".into(),
            host: "web-3".into(),
        },
    ))
    .unwrap();
    j.append_event(&ev(
        "2026-11-23T10:03:30+00:00",
        EventBody::Step {
            step: "detect".into(),
            status: "done".into(),
        },
    ))
    .unwrap();
    j.append_event(&ev(
        "2026-11-23T10:04:00+00:00",
        EventBody::Note {
            text: "java restarted by systemd, still swapping".into(),
        },
    ))
    .unwrap();
}

fn ctx(state_dir: &Path, with_incident: bool) -> Ctx {
    if with_incident {
        fixture_journal(state_dir);
    }
    let mut ctx = Ctx::new(Store::new(state_dir), Theme::new(false));
    ctx.user = "alice".into();
    ctx.clock = Some(t("2026-11-23T10:05:30+00:00"));
    ctx.snap = Some(fixture_snapshot());
    ctx
}

fn draw(app: &App, w: u16, h: u16) -> TestBackend {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| app.render(f)).unwrap();
    term.backend().clone()
}

fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Event {
    Event::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

#[test]
fn every_step_at_80x24_and_160x48() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(ctx(dir.path(), true));
    for (i, name) in super::steps::NAMES.iter().enumerate() {
        app.current = i;
        for (w, h) in [(80, 24), (160, 48)] {
            let backend = draw(&app, w, h);
            let text = format!("{backend}");
            assert!(text.contains(name), "{name} at {w}x{h}:\n{text}");
            insta::assert_snapshot!(format!("{}_{w}x{h}", name.to_lowercase()), backend);
        }
    }
}

#[test]
fn first_frame_before_any_snapshot_says_collecting() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = ctx(dir.path(), false);
    c.snap = None;
    let app = App::new(c);
    let text = format!("{}", draw(&app, 80, 24));
    assert!(text.contains("collecting…"), "{text}");
    assert!(text.contains("no incident"), "{text}");
}

#[test]
fn resumes_on_the_step_after_the_last_one_done() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(ctx(dir.path(), true));
    assert_eq!(app.current, 1, "detect done → report");
}

#[test]
fn tab_cycles_and_digits_jump() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(ctx(dir.path(), false));
    assert_eq!(app.current, 0);
    for expected in [1, 2, 3, 4, 5, 6, 0] {
        app.handle(code(KeyCode::Tab));
        assert_eq!(app.current, expected);
    }
    app.handle(code(KeyCode::BackTab));
    assert_eq!(app.current, 6);
    app.handle(key('4'));
    assert_eq!(app.current, 3);
}

#[test]
fn note_key_text_enter_appends_a_note_and_starts_an_incident() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(ctx(dir.path(), false));
    assert!(app.ctx.incident.is_none());
    app.handle(key('n'));
    for c in "q restarted nginx".chars() {
        app.handle(key(c));
    }
    assert!(!app.quit, "q inside the editor is text");
    app.handle(code(KeyCode::Enter));
    assert_eq!(app.ctx.flash.as_deref(), Some("note saved"));
    let (inc, st) = Store::new(dir.path())
        .open_incident()
        .unwrap()
        .expect("started");
    assert_eq!(
        st.title, "OOM kill of java (pid 2101) at 10:02",
        "titled from the top finding"
    );
    let notes: Vec<_> = st
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Note { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(notes, ["q restarted nginx"]);
    assert!(
        inc.dir.join("snapshots").is_dir(),
        "the first snapshot is saved"
    );
    assert!(st
        .events
        .iter()
        .any(|e| matches!(&e.body, EventBody::Finding { id, .. } if id == "oom_kill")));
}

#[test]
fn esc_cancels_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(ctx(dir.path(), false));
    app.handle(key('n'));
    app.handle(key('x'));
    app.handle(code(KeyCode::Esc));
    assert!(Store::new(dir.path()).open_incident().unwrap().is_none());
}

#[test]
fn done_copy_and_impact_are_journaled_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(ctx(dir.path(), true));
    app.handle(key('c'));
    assert!(app
        .ctx
        .clipboard
        .as_deref()
        .unwrap()
        .starts_with("[triage] host web-3 — investigating: OOM kill of java"));
    app.handle(key('d')); // report done
    app.handle(key('3'));
    app.handle(code(KeyCode::Char(' ')));
    app.handle(key('q'));
    assert!(app.quit);
    // "Kill" the process: a fresh app over the same state dir.
    let again = App::new(ctx_no_fixture(dir.path()));
    let st = again.ctx.state().unwrap();
    assert!(st.reported);
    assert!(st.steps_done.contains("report") && st.steps_done.contains("detect"));
    assert_eq!(again.current, 2, "resumes on Scope, where it quit");
    assert!(st.events.iter().any(|e| matches!(&e.body, EventBody::Impact { answers } if answers.get("whole_service").map(String::as_str) == Some("yes"))));
    assert!(st
        .events
        .iter()
        .any(|e| matches!(&e.body, EventBody::Note { text } if text.contains("still swapping"))));
}

fn ctx_no_fixture(state_dir: &Path) -> Ctx {
    ctx(state_dir, false)
}

#[test]
fn state_sorts_and_logs_filter() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(ctx(dir.path(), false));
    app.handle(key('5'));
    app.handle(key('p'));
    let text = format!("{}", draw(&app, 80, 24));
    let pid1 = text.find("/sbin/init").unwrap();
    let java = text.find("java -Xmx6g").unwrap();
    assert!(pid1 < java, "sorted by pid:\n{text}");
    assert!(
        app.ctx.incident.is_none(),
        "s/m/p in State do not start an incident"
    );
    app.handle(key('4'));
    app.handle(key('/'));
    for c in "upstream".chars() {
        app.handle(key(c));
    }
    app.handle(code(KeyCode::Enter));
    let text = format!("{}", draw(&app, 80, 24));
    assert!(text.contains("Logs 1-2 of 2"), "{text}");
    assert!(!text.contains("Out of memory"), "{text}");
}

#[test]
fn fix_never_runs_a_fix_without_yes() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(ctx(dir.path(), false));
    app.handle(key('6'));
    let items = super::steps::fix_items(&app.ctx);
    assert!(
        items.iter().all(|i| !i.fix),
        "suggested checks are read-only"
    );
    assert!(
        items.iter().any(|i| i.command == "df -h"),
        "disk finding suggests df -h"
    );
}

#[test]
fn osc52_encodes_the_message() {
    assert_eq!(super::osc52("hi", false), "\x1b]52;c;aGk=\x07");
    let wrapped = super::osc52("hi", true);
    assert!(
        wrapped.ends_with("\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\"),
        "{wrapped:?}"
    );
}

#[test]
fn incidents_started_or_closed_elsewhere_are_picked_up_on_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(ctx(dir.path(), false));
    assert!(app.ctx.incident.is_none());
    // Another responder runs `triage incident start`.
    let (inc, _) = Store::new(dir.path())
        .start("from the shell", "web-3")
        .unwrap();
    app.handle(Event::Snapshot(Box::new(fixture_snapshot())));
    assert_eq!(app.ctx.state().unwrap().title, "from the shell");
    inc.append(EventBody::Note {
        text: "from the other responder".into(),
    })
    .unwrap();
    inc.append(EventBody::Closed { summary: None }).unwrap();
    app.handle(Event::Snapshot(Box::new(fixture_snapshot())));
    assert!(app.ctx.incident.is_none(), "closed elsewhere");
    let flash = app.ctx.flash.clone().unwrap();
    assert!(flash.contains("was closed"), "{flash}");
}

#[test]
fn help_overlay_opens_and_any_key_closes_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(ctx(dir.path(), false));
    app.handle(key('?'));
    let text = format!("{}", draw(&app, 80, 24));
    assert!(text.contains("quit (the incident stays open)"), "{text}");
    app.handle(key('q'));
    assert!(!app.quit, "the key closing help does nothing else");
    let text = format!("{}", draw(&app, 80, 24));
    assert!(!text.contains("incident stays open"), "{text}");
}

#[test]
fn matched_runbooks_replace_the_suggested_checks() {
    use triage_core::runbook::{Library, Runbook, Step as RbStep};
    let dir = tempfile::tempdir().unwrap();
    let mut c = ctx(dir.path(), false);
    let step = |title: &str, check: Option<&str>, fix: Option<&str>| RbStep {
        title: title.into(),
        explain: String::new(),
        check: check.map(Into::into),
        fix: fix.map(Into::into),
        rollback: None,
        expect: None,
        timeout_seconds: None,
    };
    c.runbooks = Library {
        runbooks: vec![Runbook {
            id: "oom-java".into(),
            title: "Java OOM".into(),
            triggers: vec!["oom_kill".into()],
            applies_to: vec![],
            steps: vec![
                step("heap", Some("jcmd 2101 GC.heap_info"), None),
                step("restart", None, Some("systemctl restart shop")),
            ],
            origin: "test".into(),
        }],
        errors: vec![],
    };
    let items = super::steps::fix_items(&c);
    let summary: Vec<(&str, bool)> = items.iter().map(|i| (i.command.as_str(), i.fix)).collect();
    assert_eq!(
        summary,
        [
            ("jcmd 2101 GC.heap_info", false),
            ("systemctl restart shop", true)
        ]
    );
    let mut app = App::new(c);
    app.handle(key('6'));
    app.handle(key('j'));
    app.handle(code(KeyCode::Enter));
    let text = format!("{}", draw(&app, 80, 24));
    assert!(text.contains("This command changes the system"), "{text}");
    assert!(text.contains("type yes"), "{text}");
}

#[test]
fn tiny_terminals_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(ctx(dir.path(), true));
    for popup in ['x', '?', 'n'] {
        if popup != 'x' {
            app.handle(code(KeyCode::Esc));
            app.handle(key(popup));
        }
        for i in 0..7 {
            app.current = i;
            for (w, h) in [(1, 1), (10, 3), (20, 5), (40, 10), (79, 23), (200, 60)] {
                draw(&app, w, h);
            }
        }
    }
}
