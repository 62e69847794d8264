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
    render_named(inc, lang, redact, None)
}

fn render_named(inc: &Incident, lang: Lang, redact: bool, template: Option<&str>) -> Rendered {
    let lib = library();
    let opts = Options {
        lang,
        redact,
        library: &lib,
        template: template.map(String::from),
        template_dirs: vec![],
        history_dir: None,
        link_base: String::new(),
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
    std::fs::write(
        tdir.join("ja.md"),
        "# {{ title }}\n\n## 経過\n{{ timelin }}\n",
    )
    .unwrap();
    let lib = Library::default();
    let opts = Options {
        lang: Lang::Ja,
        redact: true,
        library: &lib,
        template: None,
        template_dirs: vec![tdir.clone()],
        history_dir: None,
        link_base: String::new(),
    };
    let err = render(&incident(&fixtures()), &opts)
        .unwrap_err()
        .to_string();
    let want = format!(
        "{}:4: unknown variable or attribute: `timelin` is undefined (at `timelin`)",
        tdir.join("ja.md").display()
    );
    assert!(err.starts_with(&want), "{err}");
    // A valid override is used as written.
    std::fs::write(
        tdir.join("ja.md"),
        "# {{ title }}\n{% if summary %}要約あり{% endif %}\n",
    )
    .unwrap();
    let r = render(&incident(&fixtures()), &opts).unwrap();
    // Jinja's trim_blocks: the newline after a block tag goes with it.
    assert_eq!(r.markdown, "# /var full on web-3, nginx 502s\n要約あり");
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
        .contains("- 2026-11-24 08:00:00 -05:00 — ✍ **Incident opened**: api slow"));
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

/// The headings (`## `) of `md`, in order.
fn headings(md: &str) -> Vec<&str> {
    md.lines().filter_map(|l| l.strip_prefix("## ")).collect()
}

#[test]
fn shogai_template_has_the_five_japanese_headings() {
    let r = render_named(&incident(&fixtures()), Lang::Ja, true, Some("shogai"));
    assert_eq!(
        headings(&r.markdown),
        [
            "障碍内容",
            "影響範囲",
            "経過",
            "対処方法",
            "将来の対策",
            "未記入の項目"
        ],
        "{}",
        r.markdown
    );
    // Filled from the journal, in Japanese.
    assert!(r.markdown.contains("障碍対応開始"), "{}", r.markdown);
    assert!(r.markdown.contains("`systemctl restart shop-api`"));
    // The default Japanese layout has the five too, with more between them.
    let ja = render_with(&incident(&fixtures()), Lang::Ja, true).markdown;
    let h = headings(&ja);
    for want in ["障碍内容", "影響範囲", "経過", "対処方法", "将来の対策"] {
        assert!(h.contains(&want), "{want} missing from {h:?}");
    }
}

#[test]
fn sre_template_follows_the_sre_book() {
    let r = render_named(&incident(&fixtures()), Lang::En, true, Some("sre"));
    assert_eq!(
        headings(&r.markdown),
        [
            "Action Items",
            "Lessons Learned",
            "Timeline",
            "Supporting information",
            "Left to fill"
        ]
    );
    for field in [
        "**Date:**",
        "**Impact:**",
        "**Root Causes:**",
        "**Trigger:**",
        "**Detection:**",
    ] {
        assert!(r.markdown.contains(field), "{field}: {}", r.markdown);
    }
    // Action items come from a loop over `actions`, with their type.
    assert!(
        r.markdown
            .contains("| Alert at 80% on /var; add log rotation | prevent | TODO |  |"),
        "{}",
        r.markdown
    );
    assert!(r.todos.iter().any(|t| t.contains("Where we got lucky")));
    assert!(r
        .todos
        .iter()
        .any(|t| t.contains("Who wrote this postmortem")));
}

#[test]
fn a_team_template_loops_over_facts_and_escapes_them() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("incidents"), &dir.path().join("incidents"));
    let tdir = dir.path().join("postmortem");
    std::fs::create_dir(&tdir).unwrap();
    std::fs::write(
        tdir.join("brief.md"),
        "# {{ title }} on {{ host }}\n\
         {% for c in commands if c.fix %}\n\
         - {{ c.command | code }} exit {{ c.exit_code }}\n\
         {% endfor %}\n\
         {% for e in events if e.kind == 'note' %}\n\
         > {{ e.by }}: {{ e.text }}\n\
         {% endfor %}\n\
         {% for f in findings %}{{ f.id }}={{ f.severity }} {% endfor %}\n",
    )
    .unwrap();
    // A note that tries to be a table row and a link.
    let journal = dir.path().join("incidents").join(ID).join("journal.jsonl");
    let mut text = std::fs::read_to_string(&journal).unwrap();
    text.push_str(
        r#"{"time":"2026-11-23T10:53:00+09:00","by":"eve","kind":"note","text":"| x | [click](http://evil)"}"#,
    );
    text.push('\n');
    std::fs::write(&journal, text).unwrap();
    let lib = Library::default();
    let opts = Options {
        lang: Lang::En,
        redact: true,
        library: &lib,
        template: Some("brief".into()),
        template_dirs: vec![tdir],
        history_dir: None,
        link_base: String::new(),
    };
    let r = render(&incident(dir.path()), &opts).unwrap();
    insta::assert_snapshot!("team_template", r.markdown);
    assert!(r.markdown.contains("\\| x \\| [click\\](http://evil)"));
}

#[test]
fn recorded_action_items_are_typed_listed_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("incidents"), &dir.path().join("incidents"));
    let journal = dir.path().join("incidents").join(ID).join("journal.jsonl");
    let mut text = std::fs::read_to_string(&journal).unwrap();
    text.push_str(concat!(
        r#"{"time":"2026-11-23T11:00:00+09:00","by":"bob","kind":"action","type":"detect","text":"Alert when /var passes 80%","owner":"carol","ticket":"OPS-12"}"#,
        "\n",
        r#"{"time":"2026-11-23T11:01:00+09:00","by":"bob","kind":"action","type":"celebrate","text":"Cake for alice"}"#,
        "\n",
    ));
    std::fs::write(&journal, text).unwrap();
    let r = render_with(&incident(dir.path()), Lang::En, true);
    assert!(
        r.markdown
            .contains("| Alert when /var passes 80% | detect | carol | OPS-12 | P2 | recorded |"),
        "{}",
        r.markdown
    );
    // A type this version does not know is kept as written.
    assert!(r
        .markdown
        .contains("| Cake for alice | celebrate |  |  | P2 | recorded |"));
    assert!(r.markdown.contains(
        "— ✍ **Action item** [detect] (bob): Alert when /var passes 80% (owner: carol, ticket: OPS-12)"
    ));
    let first = &r.action_items[0];
    assert_eq!(first.title, "Alert when /var passes 80%");
    assert_eq!(first.labels, ["postmortem", "action:detect", "priority:P2"]);
    assert_eq!(first.owner.as_deref(), Some("carol"));
    assert_eq!(first.ticket.as_deref(), Some("OPS-12"));
    assert_eq!(first.source, "recorded");
    assert!(
        first.body.contains("incident `20261123-100000` on web-3"),
        "{}",
        first.body
    );
    let proposed = r
        .action_items
        .iter()
        .find(|a| a.source == "proposed")
        .unwrap();
    assert_eq!(proposed.kind, "prevent");
    assert!(proposed.body.contains("Proposed by triage"));
    let json = serde_json::to_value(&r.action_items).unwrap();
    assert_eq!(json[0]["labels"][1], "action:detect");
}
