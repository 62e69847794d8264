//! Untrusted text in the TUI (issue 16 items 2 and 4): escape bytes in a process name and
//! a log line are drawn as visible `\xNN` text by the shared sanitiser, never as raw
//! control bytes and never silently dropped; and the redaction corpus's log lines show
//! no secret on the Logs screen.

use std::path::Path;

use triage_core::incident::Step;

use super::app::App;
use super::event::Event;
use super::fixture::fixture_snapshot;
use super::tests::{ctx, draw};

/// Every cell's text, rows joined with newlines.
fn screen(app: &App, w: u16, h: u16) -> String {
    let backend = draw(app, w, h);
    let buf = backend.buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn assert_no_controls(what: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(bad.is_empty(), "{what}: control characters {bad:?} drawn");
}

#[test]
fn escape_bytes_in_a_process_name_and_a_log_line_are_drawn_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let mut snap = fixture_snapshot();
    let procs = snap.processes.as_mut().unwrap();
    procs[0].command = "java \u{1b}]52;c;Y3VybCBldmlsfHNo\u{7} \u{9b}2J".into();
    procs[0].cpu_percent = 99.0;
    let tail = snap.log_tail.get_or_insert_with(Vec::new);
    let mut evil = tail.first().cloned().expect("fixture has a log tail");
    evil.message =
        "error \u{1b}]8;;https://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\ \u{1b}[2J".into();
    tail.push(evil);
    let mut app = App::new(ctx(dir.path(), false));
    app.handle(Event::Snapshot(Box::new(snap)));

    app.current = Step::State;
    let state = screen(&app, 200, 60);
    assert_no_controls("State", &state);
    assert!(state.contains("java \\x1b]52;c;"), "{state}");

    app.current = Step::Logs;
    let logs = screen(&app, 200, 60);
    assert_no_controls("Logs", &logs);
    assert!(
        logs.contains("error \\x1b]8;;https://evil.example/"),
        "{logs}"
    );
}

#[derive(serde::Deserialize)]
struct Corpus {
    secret: Vec<Secret>,
    harmless: Vec<Harmless>,
}

#[derive(serde::Deserialize)]
struct Secret {
    line: String,
    secrets: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Harmless {
    line: String,
}

/// The Logs screen after a real snapshot of a tree whose syslog holds `lines`.
fn logs_screen(lines: &[&str], redact: bool) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../triage-core/tests/fixtures/healthy");
    copy_tree(&fixture, &root);
    let mut log = String::new();
    for (i, entry) in lines.iter().enumerate() {
        for l in entry.lines() {
            if !l.starts_with("Nov ") {
                log.push_str(&format!(
                    "Nov 30 10:{:02}:{:02} web1 app[77]: ",
                    i / 60,
                    i % 60
                ));
            }
            log.push_str(l);
            log.push('\n');
        }
    }
    std::fs::create_dir_all(root.join("var/log")).unwrap();
    std::fs::write(root.join("var/log/syslog"), log).unwrap();
    let opts = triage_core::collect::Options {
        redact,
        ..Default::default()
    };
    let snap = triage_core::collect::snapshot(&triage_core::HostRoot::new(&root).unwrap(), &opts);
    let mut app = App::new(ctx(tmp.path(), false));
    app.handle(Event::Snapshot(Box::new(snap)));
    app.current = Step::Logs;
    screen(&app, 400, 120).replace(' ', "")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Any 8 characters of `secret` (spaces removed, as on the screen above).
fn leaked(screen: &str, secret: &str) -> bool {
    let s: Vec<char> = secret.chars().filter(|c| *c != ' ').collect();
    s.windows(8.min(s.len()))
        .any(|w| screen.contains(&w.iter().collect::<String>()))
}

#[test]
fn the_logs_screen_shows_no_secret_of_the_corpus() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../triage-core/tests/fixtures/redaction/corpus.toml");
    let c: Corpus = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (mut leaks, mut carried) = (Vec::new(), 0);
    // The Logs step shows the snapshot's last 50 lines: 30 lines per snapshot.
    let mut chunk: Vec<&Secret> = Vec::new();
    let mut flush = |chunk: &mut Vec<&Secret>| {
        let lines: Vec<&str> = chunk.iter().map(|s| s.line.as_str()).collect();
        let masked = logs_screen(&lines, true);
        let raw = logs_screen(&lines, false);
        for s in chunk.drain(..) {
            if s.secrets.iter().any(|x| leaked(&masked, x)) {
                leaks.push(s.line.clone());
            }
            if s.secrets.iter().all(|x| leaked(&raw, x)) {
                carried += 1;
            }
        }
    };
    for s in &c.secret {
        let n: usize = chunk.iter().map(|s| s.line.lines().count()).sum();
        if n + s.line.lines().count() > 30 {
            flush(&mut chunk);
        }
        chunk.push(s);
    }
    flush(&mut chunk);
    let harmless: Vec<&str> = c.harmless.iter().map(|h| h.line.as_str()).collect();
    let fps = logs_screen(&harmless, true)
        .lines()
        .filter(|l| l.contains("***"))
        .count();
    println!(
        "channel TUI Logs step: {} leaked of {} secrets ({carried} shown with redaction off); {fps} false positives of {} harmless lines",
        leaks.len(),
        c.secret.len(),
        c.harmless.len()
    );
    assert!(
        leaks.is_empty(),
        "leaked on the Logs screen:\n{}",
        leaks.join("\n")
    );
    assert!(fps <= 1, "{fps} over-masked lines");
    assert!(
        carried * 10 >= c.secret.len() * 9,
        "only {carried} secrets reached the screen at all"
    );
}
