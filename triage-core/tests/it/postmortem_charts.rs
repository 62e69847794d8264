//! The fixture incident (`tests/fixtures/incidents/20261123-100000`, /var full on web-3)
//! with recorded history covering it: seven ordinary mornings, then load, CPU, memory
//! and I/O pressure climbing from 09:37, the incident opened at 10:00, the first fix at
//! 10:20:11, calm again by 10:30, closed at 10:52. History is written with the real
//! segment writer, as `triage record` does.

use std::path::{Path, PathBuf};

use chrono::Duration;
use triage_core::history::sample::{CpuUse, LoadAvg, MemUse, Psi, TopProcess};
use triage_core::history::{self, store::SegmentWriter, Sample};
use triage_core::incident::Store;
use triage_core::postmortem::{render, Lang, Options, Rendered};
use triage_core::runbook::Library;
use triage_core::snapshot::Time;

const ID: &str = "20261123-100000";
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

fn at(s: &str) -> Time {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// How bad it is at `t` (0 ordinary, 1 worst): ramps from 09:37 to 10:00, stays until the
/// first fix at 10:20, falls to 0 by 10:30.
fn badness(t: Time) -> f64 {
    let m = (t - at("2026-11-23T09:37:00+09:00")).num_seconds() as f64 / 60.0;
    match m {
        m if m < 0.0 => 0.0,
        m if m < 23.0 => m / 23.0,
        m if m < 43.0 => 1.0,
        m if m < 53.0 => 1.0 - (m - 43.0) / 10.0,
        _ => 0.0,
    }
}

fn sample(t: Time, wobble: f64, bad: f64) -> Sample {
    // I/O pressure and iowait lag the load by a few minutes.
    let io = (bad - 0.3).max(0.0) / 0.7;
    let used = (6.0 + wobble * 0.2 + 5.0 * bad) * GIB;
    let top = |pid, command: &str, cpu: f64| TopProcess {
        pid,
        command: command.into(),
        cpu_percent: cpu as f32,
        rss_bytes: 1 << 28,
    };
    Sample {
        time: t.timestamp(),
        utc_offset: 9 * 3600,
        interval_s: 60.0,
        load: Some(LoadAvg {
            one: (0.8 + 0.1 * wobble + 9.0 * bad) as f32,
            five: 0.8,
            fifteen: 0.8,
        }),
        cpu: Some(CpuUse {
            usage_percent: (20.0 + 3.0 * wobble + 68.0 * bad) as f32,
            iowait_percent: (1.0 + 40.0 * io) as f32,
            steal_percent: 0.0,
        }),
        memory: Some(MemUse {
            total_bytes: (16.0 * GIB) as u64,
            available_bytes: (16.0 * GIB - used) as u64,
            swap_total_bytes: 2 << 30,
            swap_used_bytes: 256 << 20,
        }),
        pressure: Psi {
            cpu: Some((2.0 + 20.0 * bad) as f32),
            memory: Some((0.5 + 0.2 * wobble + 10.0 * bad) as f32),
            io: Some((1.0 + 0.3 * wobble + 45.0 * io) as f32),
            ..Psi::default()
        },
        top: vec![
            top(
                2231,
                "java -jar shop-api.jar",
                10.0 + 5.0 * wobble + 180.0 * bad,
            ),
            top(812, "nginx: worker process", 5.0 + 30.0 * bad),
            top(901, "logrotate", 60.0 * io),
            top(77, "[kworker/u8:2]", 1.0 + 20.0 * io),
        ],
        ..Sample::default()
    }
}

/// A state dir holding the fixture incident and its history; returns (dir, history dir).
fn state_with_history() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("incidents"), &dir.path().join("incidents"));
    let hist = dir.path().join("history");
    std::fs::create_dir_all(&hist).unwrap();
    let mut w = SegmentWriter::new(&hist);
    let detection = at("2026-11-23T10:00:05+09:00");
    let mut write = |t: Time, s: &Sample| {
        w.append(t.naive_utc().date(), &history::encode(s).unwrap())
            .unwrap();
    };
    // Seven ordinary mornings, 09:25–10:35, one sample a minute.
    for day in (1..=7).rev() {
        let centre = detection - Duration::days(day);
        let mut t = centre - Duration::minutes(35);
        let mut i = 0i64;
        while t <= centre + Duration::minutes(35) {
            let wobble = [0.0, 1.0, -1.0, 0.5, -0.5][(i % 5) as usize];
            write(t, &sample(t, wobble, 0.0));
            t += Duration::minutes(1);
            i += 1;
        }
    }
    // The day itself: 08:50 to 10:55.
    let mut t = at("2026-11-23T08:50:00+09:00");
    let mut i = 0i64;
    while t <= at("2026-11-23T10:55:00+09:00") {
        let wobble = [0.0, 1.0, -1.0, 0.5, -0.5][(i % 5) as usize];
        write(t, &sample(t, wobble, badness(t)));
        t += Duration::minutes(1);
        i += 1;
    }
    (dir, hist)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

fn render_in(state: &Path, hist: Option<PathBuf>, lang: Lang) -> Rendered {
    let lib = Library::default();
    let opts = Options {
        lang,
        redact: true,
        library: &lib,
        template: None,
        template_dirs: vec![],
        history_dir: hist,
        link_base: String::new(),
    };
    render(&Store::new(state).get(ID).unwrap(), &opts).unwrap()
}

#[test]
fn charts_and_impact_start_from_history() {
    let (dir, hist) = state_with_history();
    let r = render_in(dir.path(), Some(hist.clone()), Lang::En);
    let files: Vec<&str> = r.charts.iter().map(|c| c.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "postmortem-20261123-100000-load.svg",
            "postmortem-20261123-100000-cpu.svg",
            "postmortem-20261123-100000-memory.svg",
            "postmortem-20261123-100000-pressure.svg",
            "postmortem-20261123-100000-top.svg",
        ]
    );
    for c in &r.charts {
        assert!(
            r.markdown.contains(&format!("]({})", c.file)),
            "{} not linked",
            c.file
        );
        assert!(c.svg.starts_with("<svg"), "{}", c.figure);
        for marker in ["detection", "first fix", "close", "impact start"] {
            assert!(c.svg.contains(marker), "{} lacks {marker}", c.figure);
        }
    }
    // The load left its band first: 09:38 is the first minute above 0.8 ± 3 spreads.
    assert!(
        r.markdown.contains("Impact started at **2026-11-23 09:38:00 +09:00**, 22m 5s before detection: the first sample of Load per CPU (1 min)"),
        "{}",
        r.markdown
    );
    insta::assert_snapshot!("charts_markdown_en", r.markdown);
    let load = r.charts.iter().find(|c| c.figure == "load").unwrap();
    insta::assert_snapshot!("charts_load_svg", load.svg);
    // Deterministic: the same input draws the same bytes.
    let again = render_in(dir.path(), Some(hist), Lang::En);
    assert_eq!(r.charts, again.charts);
    // Without history: no charts, no impact line, the plain golden postmortem.
    let plain = render_in(dir.path(), None, Lang::En);
    assert!(plain.charts.is_empty());
    assert!(!plain.markdown.contains("Impact started"));
}

#[test]
fn a_note_overrides_the_derived_impact_start() {
    let (dir, hist) = state_with_history();
    let journal = dir.path().join("incidents").join(ID).join("journal.jsonl");
    let mut text = std::fs::read_to_string(&journal).unwrap();
    text.push_str(
        r#"{"time":"2026-11-23T10:53:00+09:00","by":"bob","kind":"note","text":"impact started at 09:30 first 502s in the LB log"}"#,
    );
    text.push('\n');
    std::fs::write(&journal, text).unwrap();
    let r = render_in(dir.path(), Some(hist), Lang::Ja);
    assert!(
        r.markdown.contains("影響開始: **2026-11-23 09:30:00 +09:00**（検知の 30分5秒 前）（メモで指定、ジャーナル 20 行目: first 502s in the LB log）。"),
        "{}",
        r.markdown
    );
}
