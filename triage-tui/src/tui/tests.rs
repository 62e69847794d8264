//! Frame and key tests: every step rendered with ratatui's `TestBackend` at 80×24 and
//! 160×48 from a fixture snapshot and a fixture journal (fixed times, no live data), and
//! the keys that write to the journal.

use std::path::Path;

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use triage_core::incident::{EventBody, Store};

use triage_core::incident::Step;

use super::app::App;
use super::ctx::Ctx;
use super::event::Event;
use super::fixture::{fixture_journal, fixture_snapshot, t};
use super::theme::Theme;

pub(super) fn ctx(state_dir: &Path, with_incident: bool) -> Ctx {
    if with_incident {
        fixture_journal(state_dir);
    }
    let mut ctx = Ctx::new(Store::new(state_dir), Theme::new(false));
    ctx.user = "alice".into();
    ctx.named_responder = None;
    ctx.clock = Some(t("2026-11-23T10:05:30+00:00"));
    ctx.snap = Some(fixture_snapshot());
    ctx
}

pub(super) fn draw(app: &App, w: u16, h: u16) -> TestBackend {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| app.render(f)).unwrap();
    term.backend().clone()
}

pub(super) fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub(super) fn code(c: KeyCode) -> Event {
    Event::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

#[test]
fn status_message_names_the_responder_then_the_inventory_then_the_login() {
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = ctx(dir.path(), false);
    assert!(
        ctx.status_message().ends_with("On it: alice"),
        "{}",
        ctx.status_message()
    );
    ctx.inventory = Some(triage_core::runbook::inventory::HostEntry {
        pattern: "web-*".into(),
        responder: "shop-oncall (Kenji)".into(),
        ..Default::default()
    });
    assert!(ctx.status_message().ends_with("On it: shop-oncall (Kenji)"));
    ctx.named_responder = Some("Aiko".into());
    assert!(ctx.status_message().ends_with("On it: Aiko"));
}

#[test]
fn every_step_at_80x24_and_160x48() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(ctx(dir.path(), true));
    for step in Step::ALL {
        let name = step.title();
        app.current = step;
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
    assert_eq!(app.current, Step::Report, "detect done → report");
}

#[test]
fn tab_cycles_and_digits_jump() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(ctx(dir.path(), false));
    assert_eq!(app.current, Step::Detect);
    for expected in [1, 2, 3, 4, 5, 6, 0] {
        app.handle(code(KeyCode::Tab));
        assert_eq!(app.current, Step::ALL[expected]);
    }
    app.handle(code(KeyCode::BackTab));
    assert_eq!(app.current, Step::Postmortem);
    app.handle(key('4'));
    assert_eq!(app.current, Step::Logs);
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
    assert_eq!(app.out.flash.as_deref(), Some("note saved"));
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
        .out
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
    assert_eq!(
        again.current,
        Step::Scope,
        "resumes on Scope, where it quit"
    );
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
    let flash = app.out.flash.clone().unwrap();
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

/// The help screen is the key table: each binding's keys and text, whole, on one line.
#[test]
fn help_lists_every_binding() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(ctx(dir.path(), false));
    app.handle(key('?'));
    let text = format!("{}", draw(&app, 160, 48));
    for (keys, what) in super::keys::help() {
        assert!(
            text.lines().any(|l| l.contains(keys) && l.contains(what)),
            "{keys}: {what}\n{text}"
        );
    }
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
            ..Runbook::default()
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
        for step in Step::ALL {
            app.current = step;
            for (w, h) in [(1, 1), (10, 3), (20, 5), (40, 10), (79, 23), (200, 60)] {
                draw(&app, w, h);
            }
        }
    }
}

#[test]
fn now_vs_usual_agrees_in_findings_history_compare_and_scope() {
    use triage_core::baseline::{Baseline, Usual};
    use triage_core::findings::{evaluate, usual::Now, Context};
    let usual = |median, spread| {
        Some(Usual {
            median,
            spread,
            samples: 300,
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = ctx(dir.path(), true);
    let snap = ctx.snap.as_mut().unwrap();
    // Load 14.2 on 4 CPUs where 1.1 is usual: unusual. CPU 97.5% where 60 ± 20 is usual:
    // 1.9 spreads, usual. iowait 3% where 1 ± 0.5 is usual: 4 spreads but under the 30%
    // floor, usual (history --compare used to call it HIGHER at 3 spreads).
    snap.baseline = Some(Baseline {
        days: 5,
        window_minutes: 30,
        load1: usual(1.1, 0.4),
        cpu_usage_percent: usual(60.0, 20.0),
        iowait_percent: usual(1.0, 0.5),
        ..Baseline::default()
    });
    let unusual: Vec<String> = evaluate(snap, &Context::for_snapshot(snap))
        .into_iter()
        .filter(|f| f.id == "unusual_vs_baseline")
        .map(|f| f.title)
        .collect();
    assert_eq!(unusual, ["load 14.2 — usual at this hour 1.1 ± 0.4"]);

    let mut out = Vec::new();
    triage_core::history::render::write_compare(
        &Now::from_snapshot(snap),
        snap.baseline.as_ref(),
        &mut out,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    let higher: Vec<&str> = text.lines().filter(|l| l.contains("HIGHER")).collect();
    assert_eq!(higher.len(), 1, "{text}");
    assert!(higher[0].starts_with("load1 "), "{text}");

    let mut app = App::new(ctx);
    app.current = Step::Scope;
    let screen = format!("{}", draw(&app, 160, 48));
    let marked: Vec<&str> = screen.lines().filter(|l| l.contains("HIGHER")).collect();
    assert_eq!(marked.len(), 1, "{screen}");
    assert!(marked[0].contains("load1"), "{screen}");
    assert!(screen.contains("iowait"), "{screen}");
}

/// The State step on the Kubernetes cgroup fixture of triage-core: processes carry their
/// pod/container, the cgroups pane lists the throttled, OOM-killed nginx container first;
/// the status message names the pod.
#[test]
fn state_names_pods_and_shows_cgroups() {
    let dir = tempfile::tempdir().unwrap();
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../triage-core/tests/fixtures/cgroups_k8s");
    let mut snap = triage_core::collect::snapshot(
        &triage_core::HostRoot::new(root).unwrap(),
        &triage_core::collect::Options::default(),
    );
    snap.collected_at = t("2026-11-23T10:05:00+00:00");
    snap.analysed_at = None;
    snap.duration_ms = 0;
    snap.timings_ms.clear();
    snap.warnings.clear();
    let mut c = ctx(dir.path(), false);
    c.snap = Some(snap);
    let msg = c.status_message();
    assert!(
        msg.contains("pod shop/web-7d9f5c6b8-x2k4p container nginx"),
        "{msg}"
    );
    let mut app = App::new(c);
    app.current = Step::State;
    let backend = draw(&app, 160, 48);
    let text = format!("{backend}");
    assert!(text.contains("UNIT/CONTAINER"), "{text}");
    assert!(text.contains("shop/web-7d9f5c6b8-x2k4p/nginx"), "{text}");
    assert!(text.contains("Cgroups, closest to their limits"), "{text}");
    insta::assert_snapshot!("state_k8s_160x48", backend);
}

/// Scope with a fleet directory (the fleet fixture of triage-core, in which this
/// fixture's host `web-3` is one of four readable hosts): the ranking with this host
/// marked, the shared findings and changes, the unreadable files named.
#[test]
fn scope_shows_the_fleet() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = Path::new(env!("CARGO_MANIFEST_DIR")).join("../triage-core/tests/fixtures/fleet");
    let mut c = ctx(dir.path(), true);
    // Shown as given; the fixture's real path differs from machine to machine.
    c.fleet_dir = Some("fleet/".into());
    let mut app = App::new(c);
    app.current = Step::Scope;
    let text = format!("{}", draw(&app, 160, 48));
    assert!(text.contains("reading fleet/…"), "{text}");
    app.handle(Event::Fleet(Box::new(crate::sources::fleet(&fleet))));
    for (w, h) in [(160, 48), (80, 24)] {
        let backend = draw(&app, w, h);
        let text = format!("{backend}");
        assert!(
            text.contains("Fleet fleet/: 9 hosts, 1 critical, 2 warning, 1 ok, 5 unreadable"),
            "{text}"
        );
        assert!(text.contains("zombie_processes"), "{text}");
        assert!(text.contains("web-1, db-1"), "{text}");
        assert!(text.contains(" web-2 "), "the worst host:\n{text}");
        assert!(text.contains("▶web-3"), "this host is marked:\n{text}");
        insta::assert_snapshot!(format!("scope_fleet_{w}x{h}"), backend);
    }
    let text = format!("{}", draw(&app, 160, 48));
    let web2 = text.lines().position(|l| l.contains(" web-2 ")).unwrap();
    let web3 = text.lines().position(|l| l.contains("▶web-3")).unwrap();
    assert!(web2 < web3, "worst first:\n{text}");
    assert!(
        text.contains("config modified /etc/nginx/nginx.conf"),
        "{text}"
    );
    assert!(
        text.contains("on 2: web-2, web-1 (and 1 healthy)"),
        "{text}"
    );
    assert!(
        text.contains("could not read: cut-short, empty, foreign, future, garbage"),
        "{text}"
    );
    // The inventory's fleet_dir is used when --fleet was not given, and not over it.
    let mut c = ctx(dir.path(), false);
    let entry = |d: &str| triage_core::runbook::inventory::HostEntry {
        pattern: "web-*".into(),
        fleet_dir: d.into(),
        ..Default::default()
    };
    let sources = |d: &str| {
        Event::Sources(Box::new(super::event::Sources {
            runbooks: Default::default(),
            inventory: Some(entry(d)),
        }))
    };
    c.fleet_dir = None;
    let mut app = App::new(c);
    app.handle(sources("/srv/fleet/web"));
    assert_eq!(
        app.ctx.fleet_dir.as_deref(),
        Some(Path::new("/srv/fleet/web"))
    );
    let mut c = ctx(dir.path(), false);
    c.spawn_fleet("/from/flag".into());
    let mut app = App::new(c);
    app.handle(sources("/srv/fleet/web"));
    assert_eq!(app.ctx.fleet_dir.as_deref(), Some(Path::new("/from/flag")));
}
