//! `incident::search` over a state dir of 50 generated incidents (five hosts, a handful of
//! findings, fix commands and notes), plus a postmortem written next to one of them.

use triage_core::incident::search::{search, Query};
use triage_core::incident::Store;

const FINDINGS: [&str; 5] = [
    "oom_kill",
    "disk_almost_full",
    "load_high",
    "service_failed",
    "syn_flood",
];
const HOSTS: [&str; 5] = ["web-1", "web-2", "db-1", "db-2", "lb-1"];

/// Incident `i` (0–49): opened on day `i` of October–November 2026, on `HOSTS[i % 5]`, with
/// finding `FINDINGS[i % 5]` (and `FINDINGS[(i + 1) % 5]` in its snapshot list).
fn journal(i: usize) -> (String, String) {
    let day =
        chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap() + chrono::Duration::days(i as i64);
    let id = format!("{}-0412{:02}", day.format("%Y%m%d"), i % 60);
    let t = |m: u32| format!("{}T04:{m:02}:00+09:00", day.format("%Y-%m-%d"));
    let host = HOSTS[i % 5];
    let f = FINDINGS[i % 5];
    let g = FINDINGS[(i + 1) % 5];
    let lines = [
        format!(
            r#"{{"time":"{}","kind":"opened","title":"incident {i} on {host}","host":"{host}"}}"#,
            t(12)
        ),
        format!(
            r#"{{"time":"{}","kind":"snapshot","file":"snapshots/a.json","findings":["{f}","{g}"]}}"#,
            t(13)
        ),
        format!(
            r#"{{"time":"{}","kind":"finding","id":"{f}","severity":"critical","title":"{f} seen on {host}"}}"#,
            t(13)
        ),
        format!(
            r#"{{"time":"{}","kind":"note","text":"looked at dashboards, ticket {i}"}}"#,
            t(20)
        ),
        format!(
            r#"{{"time":"{}","kind":"command","command":"systemctl restart app-{i}","exit_code":0,"duration_ms":900,"output":"","mode":"fix"}}"#,
            t(30)
        ),
        format!(
            r#"{{"time":"{}","kind":"closed","summary":"restarted app-{i}"}}"#,
            t(40)
        ),
    ];
    (id, lines.join("\n") + "\n")
}

fn state_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..50 {
        let (id, text) = journal(i);
        let d = dir.path().join("incidents").join(&id);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("journal.jsonl"), text).unwrap();
        if i == 7 {
            std::fs::write(
                d.join("postmortem.md"),
                "# Postmortem\n\n## Root cause\n\nThe kernel's OOM killer chose the JVM.\n",
            )
            .unwrap();
        }
    }
    dir
}

#[test]
fn search_by_finding_host_and_text_newest_first() {
    let dir = state_dir();
    let store = Store::new(dir.path());
    // oom_kill is the finding of incidents 0, 5, …, 45 and in the snapshot list of 4, 9, …, 49.
    let q = Query {
        finding: Some("oom_kill".into()),
        ..Query::default()
    };
    let hits = search(&store, &q, true).unwrap();
    assert_eq!(hits.len(), 20);
    let opened: Vec<_> = hits.iter().map(|h| h.opened_at.unwrap()).collect();
    assert!(opened.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert_eq!(hits[0].title, "incident 49 on lb-1");
    assert_eq!(hits[0].fixed_by, ["systemctl restart app-49"]);
    assert_eq!(hits[0].lines[0].file, "journal.jsonl");
    assert_eq!(hits[0].lines[0].line, 2, "the snapshot line");
    assert!(hits[0].lines[0].text.contains("oom_kill"));
    let forty_five = hits
        .iter()
        .find(|h| h.title == "incident 45 on web-1")
        .unwrap();
    assert_eq!(forty_five.lines.len(), 2, "snapshot and finding lines");
    assert_eq!(forty_five.lines[1].line, 3);

    // Criteria together must all match: oom_kill on web-1 is incidents 0, 5, …, 45.
    let q = Query {
        finding: Some("oom_kill".into()),
        host: Some("WEB-1".into()),
        ..Query::default()
    };
    let hits = search(&store, &q, true).unwrap();
    assert_eq!(hits.len(), 10);
    assert!(hits.iter().all(|h| h.host == "web-1"));

    // Text: in a note (case-insensitive), and in a postmortem written next to the journal.
    let q = Query {
        text: Some("TICKET 33".into()),
        ..Query::default()
    };
    let hits = search(&store, &q, true).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].lines[0].line, 4);
    assert_eq!(
        hits[0].lines[0].text,
        "note: looked at dashboards, ticket 33"
    );
    let q = Query {
        text: Some("oom killer".into()),
        ..Query::default()
    };
    let hits = search(&store, &q, true).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].title, "incident 7 on db-1");
    assert_eq!(hits[0].lines[0].file, "postmortem.md");
    assert_eq!(hits[0].lines[0].line, 5);
    // Nothing matches: no hits, no error.
    let q = Query {
        finding: Some("conntrack_full".into()),
        ..Query::default()
    };
    assert!(search(&store, &q, true).unwrap().is_empty());
}

#[test]
fn seen_before_prefers_this_host_and_names_the_fix() {
    use triage_core::incident::search::seen_before;
    let dir = state_dir();
    let store = Store::new(dir.path());
    // oom_kill was recorded in incidents 0, 4, 5, 9, … 49; web-1 had 0, 5, …, 45.
    let seen = seen_before(
        &store,
        &["oom_kill", "nope", "oom_kill"],
        "web-1",
        None,
        true,
    )
    .unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].same_host);
    assert_eq!(
        seen[0].line(),
        "seen before: incident 20261115-041245 (oom_kill on this host, fixed by systemctl restart app-45)"
    );
    // The current incident is not "before": the next newest one on web-1 is named.
    let seen = seen_before(
        &store,
        &["oom_kill"],
        "web-1",
        Some("20261115-041245"),
        true,
    )
    .unwrap();
    assert_eq!(seen[0].incident.id, "20261110-041240");
    // No incident on this host: the newest anywhere, with its host named.
    let seen = seen_before(&store, &["syn_flood", "load_high"], "cache-9", None, true).unwrap();
    let lines: Vec<String> = seen.iter().map(|s| s.line()).collect();
    assert_eq!(
        lines,
        [
            "seen before: incident 20261119-041249 (syn_flood on lb-1, fixed by systemctl restart app-49)",
            "seen before: incident 20261117-041247 (load_high on db-1, fixed by systemctl restart app-47)",
        ]
    );
    assert!(seen_before(&store, &[], "web-1", None, true)
        .unwrap()
        .is_empty());
}
