//! The postmortem timeline: phases read from the journal's events, ✍ on what a person
//! wrote, and a link from every line to its evidence. The fixture incident is
//! `tests/fixtures/incidents/20261123-100000`; the golden files of `postmortem.rs` show
//! the whole section in en and ja, these tests check it against the journal itself.

use std::path::{Path, PathBuf};

use triage_core::incident::{Incident, Store};
use triage_core::postmortem::{self, render, Lang, Options};
use triage_core::runbook::Library;

const ID: &str = "20261123-100000";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn markdown(inc: &Incident, lang: Lang, template: Option<&str>, dirs: Vec<PathBuf>) -> String {
    let lib = Library::default();
    let opts = Options {
        lang,
        redact: true,
        library: &lib,
        template: template.map(String::from),
        template_dirs: dirs,
        history_dir: None,
        link_base: String::new(),
    };
    render(inc, &opts).unwrap().markdown
}

/// The Timeline section of the default layout.
fn section(md: &str, lang: Lang) -> String {
    let heading = match lang {
        Lang::En => "## Timeline\n",
        Lang::Ja => "## 経過\n",
    };
    let rest = md.split(heading).nth(1).unwrap();
    rest.split("\n## ").next().unwrap().to_string()
}

/// An incident in a scratch state dir whose journal is `lines` (JSON objects).
fn journal(dir: &Path, lines: &[&str]) -> Incident {
    let inc_dir = dir.join("incidents/20261124-080000");
    std::fs::create_dir_all(&inc_dir).unwrap();
    std::fs::write(inc_dir.join("journal.jsonl"), lines.join("\n") + "\n").unwrap();
    Store::new(dir).get("20261124-080000").unwrap()
}

/// The `###` phase headings' names, in order.
fn phases(section: &str) -> Vec<String> {
    section
        .lines()
        .filter_map(|l| l.strip_prefix("### "))
        .map(|h| h.split(" · ").next().unwrap().to_string())
        .collect()
}

#[test]
fn every_line_links_its_journal_line_and_marks_what_people_wrote() {
    let inc = Store::new(&fixtures()).get(ID).unwrap();
    let journal = std::fs::read_to_string(inc.dir.join("journal.jsonl")).unwrap();
    let journal: Vec<serde_json::Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let link = regex::Regex::new(r"\[journal\.jsonl:(\d+)\]\(journal\.jsonl#L(\d+)\)$").unwrap();
    for lang in [Lang::En, Lang::Ja] {
        let timeline = section(&markdown(&inc, lang, None, vec![]), lang);
        // A list item may continue on the next lines (a note's second line).
        let items: Vec<String> = timeline
            .split("\n- ")
            .skip(1)
            .map(|i| i.split("\n\n").next().unwrap().to_string())
            .collect();
        assert_eq!(items.len(), journal.len(), "{timeline}");
        for (n, item) in items.iter().enumerate() {
            let caps = link
                .captures(item.trim_end())
                .unwrap_or_else(|| panic!("no journal link: {item}"));
            assert_eq!(caps[1], caps[2]);
            let line: usize = caps[1].parse().unwrap();
            assert_eq!(line, n + 1, "{item}");
            let kind = journal[line - 1]["kind"].as_str().unwrap();
            let human = matches!(
                kind,
                "opened" | "note" | "reported" | "impact" | "closed" | "action"
            );
            assert_eq!(item.contains("✍"), human, "{kind}: {item}");
        }
        // A finding links the snapshot that listed it.
        let finding = items
            .iter()
            .find(|i| i.contains("`disk_almost_full`"))
            .unwrap();
        assert!(
            finding.contains("[snapshots/20261123-100005.json](snapshots/20261123-100005.json)"),
            "{finding}"
        );
    }
}

#[test]
fn the_fixture_has_all_four_phases_with_their_times() {
    let inc = Store::new(&fixtures()).get(ID).unwrap();
    let en = section(&markdown(&inc, Lang::En, None, vec![]), Lang::En);
    assert_eq!(
        phases(&en),
        ["Detection", "Diagnosis", "Repair", "Recovery"]
    );
    // Diagnosis starts when the status report went out, Repair at the first fix,
    // Recovery after the last fix that succeeded, and that lasts until the close.
    for heading in [
        "### Detection · 10:00:00 → 10:02:13 (2m 13s)",
        "### Diagnosis · 10:02:13 → 10:20:11 (17m 58s)",
        "### Repair · 10:20:11 → 10:26:02 (5m 51s)",
        "### Recovery · 10:26:02 → 10:52:00 (25m 58s)",
    ] {
        assert!(en.contains(heading), "{heading} not in\n{en}");
    }
    let ja = section(&markdown(&inc, Lang::Ja, None, vec![]), Lang::Ja);
    assert_eq!(phases(&ja), ["検知", "調査", "対処", "回復確認"]);
    assert!(
        ja.contains("### 調査 · 10:02:13 → 10:20:11 (17分58秒)"),
        "{ja}"
    );
}

#[test]
fn phases_the_journal_does_not_show_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    // Only opened: everything is Detection.
    let inc = journal(
        dir.path(),
        &[
            r#"{"time":"2026-11-24T08:00:00-05:00","kind":"opened","title":"api slow","host":"db-1"}"#,
        ],
    );
    let md = section(&markdown(&inc, Lang::En, None, vec![]), Lang::En);
    assert_eq!(phases(&md), ["Detection"]);
    assert!(
        md.contains("### Detection · 08:00:00 → 08:00:00 (0s)"),
        "{md}"
    );

    // From the command line: no steps, no report. A check starts Diagnosis; a failed fix
    // is Repair; with no fix that succeeded there is no Recovery.
    let dir = tempfile::tempdir().unwrap();
    let inc = journal(
        dir.path(),
        &[
            r#"{"time":"2026-11-24T08:00:00-05:00","kind":"opened","title":"api slow","host":"db-1"}"#,
            r#"{"time":"2026-11-24T08:01:00-05:00","kind":"note","text":"paged by the LB"}"#,
            r#"{"time":"2026-11-24T08:03:00-05:00","kind":"command","command":"uptime","exit_code":0,"duration_ms":3,"output":"","mode":"check"}"#,
            r#"{"time":"2026-11-24T08:09:00-05:00","kind":"command","command":"systemctl restart api","exit_code":1,"duration_ms":900,"output":"","mode":"fix"}"#,
            r#"{"time":"2026-11-24T08:10:00-05:00","kind":"note","text":"still slow"}"#,
        ],
    );
    let md = section(&markdown(&inc, Lang::En, None, vec![]), Lang::En);
    assert_eq!(phases(&md), ["Detection", "Diagnosis", "Repair"], "{md}");
    assert!(
        md.contains("### Diagnosis · 08:03:00 → 08:09:00 (6m 0s)"),
        "{md}"
    );
    assert!(
        md.contains("### Repair · 08:09:00 → 08:10:00 (1m 0s)"),
        "{md}"
    );

    // A fix that succeeded, then nothing after it: Recovery would have no line.
    let dir = tempfile::tempdir().unwrap();
    let inc = journal(
        dir.path(),
        &[
            r#"{"time":"2026-11-24T08:00:00-05:00","kind":"opened","title":"api slow","host":"db-1"}"#,
            r#"{"time":"2026-11-24T08:09:00-05:00","kind":"command","command":"systemctl restart api","exit_code":0,"duration_ms":900,"output":"","mode":"fix"}"#,
        ],
    );
    let md = section(&markdown(&inc, Lang::En, None, vec![]), Lang::En);
    assert_eq!(phases(&md), ["Detection", "Repair"], "{md}");
}

#[test]
fn templates_see_phases_marks_and_links() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("phased.md"),
        concat!(
            "{% for p in phases %}{{ p.name }} {{ p.duration }} {{ p.events }}\n{% endfor %}",
            "{% for e in events if e.phase == \"Repair\" %}",
            "{% if e.human %}H{% else %}M{% endif %} {{ e.line }} {{ e.kind }}",
            "{% for l in e.links %} {{ l.label }}={{ l.href }}{% endfor %};\n",
            "{% endfor %}",
            "{% for e in events if e.kind == \"finding\" %}{{ e.links[0].href }}\n{% endfor %}",
        ),
    )
    .unwrap();
    let inc = Store::new(&fixtures()).get(ID).unwrap();
    let md = markdown(
        &inc,
        Lang::En,
        Some("phased"),
        vec![dir.path().to_path_buf()],
    );
    assert_eq!(
        md,
        concat!(
            "Detection 2m 13s 7\n",
            "Diagnosis 17m 58s 5\n",
            "Repair 5m 51s 3\n",
            "Recovery 25m 58s 4\n",
            "M 13 command journal.jsonl:13=journal.jsonl#L13;\n",
            "M 14 command journal.jsonl:14=journal.jsonl#L14;\n",
            "M 15 command journal.jsonl:15=journal.jsonl#L15;\n",
            "snapshots/20261123-100005.json\n",
        )
    );
}

#[test]
fn links_point_back_to_the_incident_dir_when_written_elsewhere() {
    let inc = Store::new(&fixtures()).get(ID).unwrap();
    assert_eq!(postmortem::link_base(&inc, None), "");
    assert_eq!(
        postmortem::link_base(&inc, Some(&inc.dir.join("postmortem.md"))),
        ""
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let base = postmortem::link_base(&inc, Some(&elsewhere.path().join("pm.md")));
    let dir = std::fs::canonicalize(&inc.dir).unwrap();
    assert_eq!(base, format!("{}/", dir.display()));
    let lib = Library::default();
    let opts = Options {
        lang: Lang::En,
        redact: true,
        library: &lib,
        template: None,
        template_dirs: vec![],
        history_dir: None,
        link_base: base.clone(),
    };
    let md = render(&inc, &opts).unwrap().markdown;
    assert!(
        md.contains(&format!("[journal.jsonl:4]({base}journal.jsonl#L4)")),
        "{md}"
    );
}
