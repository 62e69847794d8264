//! Postmortems rendered from the fixture incident `tests/fixtures/incidents/20261123-100000`
//! (every journal event kind, two snapshots, secrets typed into commands and notes).
//! Times in the fixture are +09:00; the output must show them so on any machine.

use std::path::{Path, PathBuf};

use triage_core::incident::{Incident, Store};
use triage_core::postmortem::{render, Lang, Options, Rendered};
use triage_core::runbook::{Library, Runbook};

const ID: &str = "20261123-100000";
const SECRETS: [&str; 4] = ["Hunter2", "s3cr3tX", "pgS3cret", "Zebra9"];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn library() -> Library {
    Library {
        runbooks: vec![Runbook {
            id: "disk_full".into(),
            title: "A filesystem is filling up".into(),
            triggers: vec!["disk_almost_full".into()],
            applies_to: vec![],
            steps: vec![],
            origin: "builtin:disk_full.toml".into(),
            ..Runbook::default()
        }],
        errors: vec![],
    }
}

fn incident(state_dir: &Path) -> Incident {
    Store::new(state_dir).get(ID).unwrap()
}

fn render_with(inc: &Incident, lang: Lang, redact: bool) -> Rendered {
    let lib = library();
    let opts = Options {
        lang,
        redact,
        library: &lib,
        template_dir: None,
    };
    render(inc, &opts).unwrap()
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

#[test]
fn golden_english() {
    let r = render_with(&incident(&fixtures()), Lang::En, true);
    insta::assert_snapshot!("postmortem_en", r.markdown);
}

#[test]
fn golden_japanese() {
    let r = render_with(&incident(&fixtures()), Lang::Ja, true);
    insta::assert_snapshot!("postmortem_ja", r.markdown);
}

#[test]
fn every_event_is_in_the_timeline() {
    let inc = incident(&fixtures());
    let events = inc.state().unwrap().events.len();
    for lang in [Lang::En, Lang::Ja] {
        let md = render_with(&inc, lang, true).markdown;
        let heading = if lang == Lang::En {
            "## Timeline\n"
        } else {
            "## 経過\n"
        };
        let section = md
            .split(heading)
            .nth(1)
            .unwrap()
            .split("\n## ")
            .next()
            .unwrap();
        let items = section
            .lines()
            .filter(|l| l.starts_with("- 2026-11-23 "))
            .count();
        assert_eq!(items, events, "{section}");
        assert!(section.contains("`escalated`"), "unknown kinds are listed");
    }
}

#[test]
fn secrets_never_reach_the_output() {
    let inc = incident(&fixtures());
    for lang in [Lang::En, Lang::Ja] {
        let md = render_with(&inc, lang, true).markdown;
        for s in SECRETS {
            assert!(!md.contains(s), "{s} leaked into the {lang:?} postmortem");
        }
        // The test would notice: without redaction every secret is there.
        let raw = render_with(&inc, lang, false).markdown;
        for s in SECRETS {
            assert!(raw.contains(s), "fixture lost {s}");
        }
    }
}

#[test]
fn todos_are_listed_at_the_end() {
    let inc = incident(&fixtures());
    for (lang, last) in [(Lang::En, "## Left to fill"), (Lang::Ja, "## 未記入の項目")] {
        let r = render_with(&inc, lang, true);
        let (body, tail) = r.markdown.split_once(last).unwrap();
        let in_body = body
            .lines()
            .filter(|l| l.trim_start_matches(['-', ' ', '>']).starts_with("TODO:"))
            .count();
        assert!(in_body >= 5, "{body}");
        assert_eq!(r.todos.len(), in_body);
        assert_eq!(tail.matches("- [ ] ").count(), in_body);
        for t in &r.todos {
            assert!(tail.contains(t.as_str()), "{t} missing from the list");
        }
    }
}

#[test]
fn torn_last_line_is_skipped_and_noted() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("incidents"), &dir.path().join("incidents"));
    let journal = dir.path().join("incidents").join(ID).join("journal.jsonl");
    let lines = std::fs::read_to_string(&journal).unwrap().lines().count();
    let mut text = std::fs::read(&journal).unwrap();
    text.extend_from_slice(br#"{"time":"2026-11-23T10:53:00+09:00","kind":"no"#);
    std::fs::write(&journal, text).unwrap();

    let torn = render_with(&incident(dir.path()), Lang::En, true).markdown;
    let want = format!("> - journal.jsonl:{}: torn last line", lines + 1);
    assert!(torn.contains(&want), "{torn}");
    assert!(
        !torn.contains(&dir.path().display().to_string()),
        "no temp paths"
    );
    // Apart from the note, the postmortem is the same as from the intact journal.
    let intact = render_with(&incident(&fixtures()), Lang::En, true).markdown;
    let without_note: Vec<&str> = torn.lines().filter(|l| !l.starts_with('>')).collect();
    let intact: Vec<&str> = intact.lines().collect();
    assert_eq!(
        without_note.join("\n").replace("\n\n\n", "\n\n"),
        intact.join("\n")
    );
}

#[test]
fn a_missing_snapshot_falls_back_to_finding_events() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("incidents"), &dir.path().join("incidents"));
    let snaps = dir.path().join("incidents").join(ID).join("snapshots");
    std::fs::remove_dir_all(&snaps).unwrap();
    let md = render_with(&incident(dir.path()), Lang::En, true).markdown;
    assert!(md.contains("Findings recorded in the journal"), "{md}");
    assert!(
        md.contains("snapshots/20261123-100005.json: No such file"),
        "{md}"
    );
    assert!(
        md.contains("No snapshot was saved during the incident."),
        "{md}"
    );
}

#[test]
fn template_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let tdir = dir.path().join("postmortem");
    std::fs::create_dir(&tdir).unwrap();
    std::fs::write(tdir.join("ja.md"), "# {{title}}\n\n## 経過\n{{timelin}}\n").unwrap();
    let lib = Library::default();
    let opts = Options {
        lang: Lang::Ja,
        redact: true,
        library: &lib,
        template_dir: Some(tdir.clone()),
    };
    let err = render(&incident(&fixtures()), &opts)
        .unwrap_err()
        .to_string();
    let want = format!(
        "{}:4: unknown placeholder `{{{{timelin}}}}`",
        tdir.join("ja.md").display()
    );
    assert!(err.starts_with(&want), "{err}");
    // A valid override is used as written.
    std::fs::write(
        tdir.join("ja.md"),
        "# {{title}}\n{{#if summary}}要約あり{{/if}}\n",
    )
    .unwrap();
    let r = render(&incident(&fixtures()), &opts).unwrap();
    assert_eq!(r.markdown, "# /var full on web-3, nginx 502s\n要約あり\n");
    assert!(r.todos.is_empty());
}

#[test]
fn an_open_incident_with_nothing_recorded_is_all_todos() {
    let dir = tempfile::tempdir().unwrap();
    let inc_dir = dir.path().join("incidents/20261124-080000");
    std::fs::create_dir_all(&inc_dir).unwrap();
    std::fs::write(
        inc_dir.join("journal.jsonl"),
        "{\"time\":\"2026-11-24T08:00:00-05:00\",\"kind\":\"opened\",\"title\":\"api slow\",\"host\":\"db-1\"}\n",
    )
    .unwrap();
    let inc = Store::new(dir.path()).get("20261124-080000").unwrap();
    let r = render_with(&inc, Lang::En, true);
    assert!(r.markdown.contains("| Status | open |"), "{}", r.markdown);
    assert!(r.markdown.contains("| Closed | — |"));
    assert!(r.markdown.contains("| Duration | still open |"));
    assert!(r
        .markdown
        .contains("- 2026-11-24 08:00:00 -05:00 — **Incident opened**: api slow"));
    for section in [
        "Summary",
        "Impact",
        "Detection",
        "Resolution",
        "Lessons learned",
    ] {
        assert!(
            r.todos
                .iter()
                .any(|t| t.starts_with(&format!("{section}: "))
                    || t.starts_with(&format!("{section} / "))),
            "{section} not in {:?}",
            r.todos
        );
    }
    assert!(r
        .markdown
        .contains("No snapshot was saved during the incident."));
    let ja = render_with(&inc, Lang::Ja, true);
    assert!(
        ja.todos.iter().any(|t| t.starts_with("障碍内容: ")),
        "{:?}",
        ja.todos
    );
    assert!(ja.todos.iter().any(|t| t.starts_with("影響範囲: ")));
    assert!(ja.todos.iter().any(|t| t.starts_with("対処方法 / ")));
}
