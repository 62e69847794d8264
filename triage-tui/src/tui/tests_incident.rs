//! Frame and key tests of the incident workflow's details: the Detect list at 80×24
//! (one line per finding, evidence on Enter/→), the title prompt of `s`, the Scope step's
//! "seen before" and the postmortem preview's sparklines. Same fixtures as `tests.rs`.

use ratatui::crossterm::event::KeyCode;
use triage_core::incident::Step;
use triage_core::snapshot::{Finding, Severity, Snapshot};

use super::app::App;
use super::fixture::fixture_snapshot;
use super::tests::{code, ctx, draw};

/// The fixture snapshot with seven findings, two of them with evidence longer than a
/// line at 80 columns.
fn many_findings() -> Snapshot {
    let mut s = fixture_snapshot();
    let mut add = |id: &str, severity, title: &str, evidence: &[&str]| {
        let mut f = Finding::new(id, severity, title);
        f.evidence = evidence.iter().map(|e| e.to_string()).collect();
        s.findings.push(f);
    };
    add(
        "listen_queue_overflow",
        Severity::Warning,
        "listen queue of :8080 (java) overflowed 1200 times in the last minute",
        &[
            "TcpExtListenOverflows 18233 → 19433 in 60 s; ListenDrops 19433; the listener on [::]:8080 has backlog 100 and 100 connections waiting in its accept queue",
            "ss -ltn: LISTEN 100 100 [::]:8080",
        ],
    );
    add(
        "swap_heavy",
        Severity::Warning,
        "swapping: 2.0G of 2.0G swap used, 1800 pages/s swapped in",
        &["pswpin 108000 in 60 s (1800/s)"],
    );
    add(
        "io_error",
        Severity::Critical,
        "I/O error on vdb",
        &["blk_update_request: I/O error, dev vdb, sector 2048 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0 — the same sector failed 12 times since 10:01:55"],
    );
    add("zombies", Severity::Info, "1 zombie process", &[]);
    s
}

fn detect_app(dir: &std::path::Path) -> App {
    let mut c = ctx(dir, true);
    c.snap = Some(many_findings());
    let mut app = App::new(c);
    app.current = Step::Detect;
    app
}

#[test]
fn detect_lists_one_line_per_finding_at_80x24() {
    let dir = tempfile::tempdir().unwrap();
    let app = detect_app(dir.path());
    let frame = draw(&app, 80, 24);
    let text = format!("{frame}");
    for f in &many_findings().findings {
        assert!(
            text.contains(&format!("[{}]", f.id)),
            "{} missing:\n{text}",
            f.id
        );
    }
    assert!(
        !text.contains("kernel: Out of memory"),
        "collapsed: no evidence"
    );
    insta::assert_snapshot!("detect_list_80x24", frame);
}

#[test]
fn enter_or_right_expands_the_selected_finding_with_indented_wrapping() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = detect_app(dir.path());
    let collapsed = format!("{}", draw(&app, 80, 24));
    for _ in 0..3 {
        app.handle(code(KeyCode::Down));
    }
    app.handle(code(KeyCode::Right));
    let frame = draw(&app, 80, 24);
    let text = format!("{frame}");
    assert!(text.contains("• TcpExtListenOverflows 18233"), "{text}");
    // Every evidence line, first or wrapped, starts at its indentation, never at column 0.
    let evidence: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.contains("TcpExtListenOverflows"))
        .take_while(|l| !l.contains("[swap_heavy]"))
        .collect();
    assert!(evidence.len() >= 3, "wraps: {evidence:?}");
    for l in &evidence {
        let inner = l.trim_matches('"').trim_start_matches('│');
        assert!(
            inner.starts_with("     • ") || inner.starts_with("       "),
            "{l}"
        );
    }
    insta::assert_snapshot!("detect_expanded_80x24", frame);
    // ← hides it again; Enter shows it and Esc hides it.
    app.handle(code(KeyCode::Left));
    let again = format!("{}", draw(&app, 80, 24));
    assert_eq!(again.replace('>', " "), collapsed.replace('>', " "));
    app.handle(code(KeyCode::Enter));
    assert!(format!("{}", draw(&app, 80, 24)).contains("ss -ltn"));
    app.handle(code(KeyCode::Esc));
    assert!(!format!("{}", draw(&app, 80, 24)).contains("ss -ltn"));
    assert!(!app.quit);
}

#[test]
fn the_selection_stays_in_view_with_evidence_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = detect_app(dir.path());
    app.handle(code(KeyCode::End));
    app.handle(code(KeyCode::Enter));
    let text = format!("{}", draw(&app, 80, 24));
    assert!(text.contains(">▾ INFO     1 zombie process"), "{text}");
    assert!(text.contains("(no evidence recorded)"), "{text}");
    app.handle(code(KeyCode::Home));
    let text = format!("{}", draw(&app, 80, 24));
    assert!(text.contains(">▸ CRITICAL OOM kill of java"), "{text}");
}

#[test]
fn s_asks_for_the_title_prefilled_with_the_top_finding() {
    use super::tests::key;
    use ratatui::crossterm::event::{KeyEvent, KeyModifiers};
    use triage_core::incident::Store;
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(ctx(dir.path(), false));
    app.handle(key('s'));
    assert!(app.ctx.incident.is_none(), "nothing started before Enter");
    let frame = draw(&app, 80, 24);
    let text = format!("{frame}");
    assert!(
        text.contains("> OOM kill of java (pid 2101) at 10:02█"),
        "{text}"
    );
    insta::assert_snapshot!("title_prompt_80x24", frame);
    // Edit it: "at 10:02" → "on web-3", a word inserted in the middle, `q` is text.
    for _ in 0..8 {
        app.handle(code(KeyCode::Backspace));
    }
    for c in "on web-3".chars() {
        app.handle(key(c));
    }
    app.handle(code(KeyCode::Home));
    for _ in 0..9 {
        app.handle(code(KeyCode::Right));
    }
    for c in "q ".chars() {
        app.handle(key(c));
    }
    assert!(!app.quit);
    app.handle(code(KeyCode::Enter));
    let (inc, st) = Store::new(dir.path()).open_incident().unwrap().unwrap();
    assert_eq!(st.title, "OOM kill q of java (pid 2101) on web-3");
    assert_eq!(
        app.out.flash.as_deref().map(|f| f.contains(&inc.id)),
        Some(true),
        "{:?}",
        app.out.flash
    );
    // Once open, `s` says so instead of asking.
    app.handle(key('s'));
    assert_eq!(
        app.out.flash.as_deref(),
        Some(format!("incident {} is open", inc.id).as_str())
    );
    assert!(matches!(app.popup, super::app::Popup::None));

    // Esc cancels; Ctrl-U then Enter keeps the default title.
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(ctx(dir.path(), false));
    app.handle(key('s'));
    app.handle(code(KeyCode::Esc));
    assert_eq!(app.out.flash.as_deref(), Some("no incident started"));
    assert!(Store::new(dir.path()).open_incident().unwrap().is_none());
    app.handle(key('s'));
    let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
    app.handle(super::event::Event::Key(ctrl_u));
    app.handle(code(KeyCode::Enter));
    let (_, st) = Store::new(dir.path()).open_incident().unwrap().unwrap();
    assert_eq!(st.title, "OOM kill of java (pid 2101) at 10:02");
}

/// Two earlier incidents in the state dir: an OOM kill of java on this host (web-3) in
/// October, fixed with a restart, and a full disk on another host.
fn past_incidents(state_dir: &std::path::Path) {
    let write = |id: &str, lines: &[&str]| {
        let dir = state_dir.join("incidents").join(id);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("journal.jsonl"), lines.join("\n") + "\n").unwrap();
    };
    write(
        "20261003-041200",
        &[
            r#"{"time":"2026-10-03T04:12:00+00:00","kind":"opened","title":"java OOM","host":"web-3"}"#,
            r#"{"time":"2026-10-03T04:12:05+00:00","kind":"finding","id":"oom_kill","severity":"critical","title":"OOM kill of java (pid 900)"}"#,
            r#"{"time":"2026-10-03T04:20:00+00:00","kind":"command","command":"systemctl restart shop","exit_code":0,"duration_ms":900,"output":"","mode":"fix"}"#,
            r#"{"time":"2026-10-03T04:30:00+00:00","kind":"closed","summary":"heap raised to 6g"}"#,
        ],
    );
    write(
        "20261101-090000",
        &[
            r#"{"time":"2026-11-01T09:00:00+00:00","kind":"opened","title":"/ full","host":"db-1"}"#,
            r#"{"time":"2026-11-01T09:00:05+00:00","kind":"snapshot","file":"snapshots/a.json","findings":["disk_almost_full"]}"#,
            r#"{"time":"2026-11-01T09:30:00+00:00","kind":"closed"}"#,
        ],
    );
}

#[test]
fn scope_says_which_findings_were_seen_before_and_how_they_were_fixed() {
    use super::event::Event;
    let dir = tempfile::tempdir().unwrap();
    past_incidents(dir.path());
    let mut app = App::new(ctx(dir.path(), true));
    app.handle(Event::Snapshot(Box::new(fixture_snapshot())));
    app.current = Step::Scope;
    let frame = draw(&app, 80, 24);
    let text = format!("{frame}");
    assert!(
        text.contains("seen before: incident 20261003-041200 (oom_kill on this host, fixed"),
        "{text}"
    );
    assert!(
        text.contains("│  systemctl restart shop)"),
        "wrapped, indented: {text}"
    );
    assert!(
        text.contains("seen before: incident 20261101-090000 (disk_almost_full on db-1,"),
        "{text}"
    );
    assert!(!text.contains("load_high on"), "never seen: {text}");
    insta::assert_snapshot!("scope_seen_before_80x24", frame);
    // The open incident itself is not "before".
    let hits = &app.ctx.seen_before.hits;
    assert!(hits.iter().all(|h| h.incident.id != "20261123-100300"));
}

/// One sample a minute from 09:00 to 10:10 UTC in `STATE_DIR/history`: ordinary until
/// 09:40, then load, CPU, memory and pressure climbing until the OOM kill at 10:02.
fn history(state_dir: &std::path::Path) {
    use triage_core::history::sample::{CpuUse, LoadAvg, MemUse, Psi, TopProcess};
    use triage_core::history::{self, store::SegmentWriter, Sample};
    std::fs::create_dir_all(state_dir.join("history")).unwrap();
    let mut w = SegmentWriter::new(state_dir.join("history"));
    let start = super::fixture::t("2026-11-23T09:00:00+00:00");
    for m in 0..=70i64 {
        let t = start + chrono::Duration::minutes(m);
        let bad = ((m - 40) as f64 / 22.0).clamp(0.0, 1.0);
        let gib = 1024.0 * 1024.0 * 1024.0;
        let s = Sample {
            time: t.timestamp(),
            interval_s: 60.0,
            load: Some(LoadAvg {
                one: (0.6 + 13.0 * bad) as f32,
                five: 0.6,
                fifteen: 0.6,
            }),
            cpu: Some(CpuUse {
                usage_percent: (15.0 + 80.0 * bad) as f32,
                iowait_percent: (1.0 + 4.0 * bad) as f32,
                steal_percent: 0.0,
            }),
            memory: Some(MemUse {
                total_bytes: (8.0 * gib) as u64,
                available_bytes: ((5.0 - 4.8 * bad) * gib) as u64,
                swap_total_bytes: 2 << 30,
                swap_used_bytes: ((2.0 * bad) * gib) as u64,
            }),
            pressure: Psi {
                cpu: Some((1.0 + 60.0 * bad) as f32),
                memory: Some((0.2 + 35.0 * bad) as f32),
                io: Some(0.5),
                ..Psi::default()
            },
            top: vec![TopProcess {
                pid: 2101,
                command: "java -jar shop.jar".into(),
                cpu_percent: (20.0 + 170.0 * bad) as f32,
                rss_bytes: 6 << 30,
            }],
            ..Sample::default()
        };
        w.append(t.naive_utc().date(), &history::encode(&s).unwrap())
            .unwrap();
    }
}

#[test]
fn postmortem_preview_draws_the_charts_series_as_sparklines() {
    let dir = tempfile::tempdir().unwrap();
    history(dir.path());
    let mut app = App::new(ctx(dir.path(), true));
    app.current = Step::Postmortem;
    let frame = draw(&app, 160, 48);
    let text = format!("{frame}");
    assert!(
        text.contains("History 09:03–10:04 (I impact, D detection, F first fix, C close)"),
        "{text}"
    );
    for label in [
        "load ",
        "cpu busy",
        "cpu iowait",
        "memory ",
        "pressure memory",
        "top java -jar",
    ] {
        assert!(text.contains(&format!("│{label}")), "{label}:\n{text}");
    }
    // Flat, then climbing: the load row starts with the lowest bar and ends with the highest.
    let load = text.lines().find(|l| l.contains("│load ")).unwrap();
    let bars: Vec<char> = load.chars().filter(|c| ('▁'..='█').contains(c)).collect();
    assert!(bars.len() > 60, "no gaps at one sample a minute: {load}");
    assert_eq!(bars.first(), Some(&'▁'), "{load}");
    assert!(bars.last() >= Some(&'▇'), "{load}");
    assert!(
        text.contains("max 13.6"),
        "the load's peak, per CPU: {text}"
    );
    assert!(
        text.contains("# Postmortem: OOM kill of java"),
        "the preview stays: {text}"
    );
    insta::assert_snapshot!("postmortem_sparklines_160x48", frame);
    // At 80×24 the pane keeps to a third of the screen: the first series and the markers.
    let small = draw(&app, 80, 24);
    let text = format!("{small}");
    assert!(
        text.contains("│load ") && text.contains("# Postmortem"),
        "{text}"
    );
    insta::assert_snapshot!("postmortem_sparklines_80x24", small);
    // `w` writes the Markdown and, beside it, the charts it links.
    app.handle(super::tests::key('w'));
    let inc = dir.path().join("incidents/20261123-100300");
    let md = std::fs::read_to_string(inc.join("postmortem.md")).unwrap();
    for figure in ["load", "cpu", "memory", "pressure", "top"] {
        let file = format!("postmortem-20261123-100300-{figure}.svg");
        assert!(
            md.contains(&format!("]({file})")),
            "{file} not linked:\n{md}"
        );
        let svg = std::fs::read_to_string(inc.join(&file)).unwrap();
        assert!(svg.starts_with("<svg"), "{file}");
    }
    assert!(
        app.out
            .flash
            .as_deref()
            .unwrap_or("")
            .ends_with("postmortem.md"),
        "{:?}",
        app.out.flash
    );
    // No history, no sparklines.
    let bare = tempfile::tempdir().unwrap();
    let mut app = App::new(ctx(bare.path(), true));
    app.current = Step::Postmortem;
    assert!(!format!("{}", draw(&app, 160, 48)).contains("History "));
}
