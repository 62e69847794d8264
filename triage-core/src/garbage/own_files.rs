//! Our own files: runbooks, inventory, postmortem templates, incident journal, history
//! segments, snapshots, time specs.

use super::*;

#[test]
fn runbook_inventory_template_parsers_never_panic() {
    let repo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let read = |rel: &str| {
        (
            rel.to_string(),
            std::fs::read(repo.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}")),
        )
    };
    let mut f = Vec::new();
    let c = corpus(&[
        read("runbooks/oom_kill.toml"),
        read("runbooks/disk_almost_full.toml"),
        read("triage-core/tests/fixtures/runbooks/broken/c_semantics.toml"),
    ]);
    f.extend(run_text("validate::check_text", &c, |t| {
        eat(validate::check_text(t, "x.toml"))
    }));
    f.extend(run_text("vars::parse", &c, |t| eat(vars::parse(t))));
    f.extend(run_text("validate::line_of", &c, |t| {
        for off in [0, t.len() / 2, t.len(), t.len() + 7, usize::MAX] {
            eat(validate::line_of(t, off));
        }
    }));
    let c = corpus(&[
        read("runbooks/inventory.toml"),
        read("triage-core/tests/fixtures/runbooks/good/inventory.toml"),
    ]);
    f.extend(run_text("inventory::parse", &c, |t| {
        if let Ok(inv) = inventory::parse(t, "inventory.toml") {
            eat(inv.lookup("web-01"));
        }
        eat(inventory::check_text(t, "inventory.toml"));
        t.lines().for_each(|l| eat(inventory::split_target(l)));
    }));
    let c = corpus(&[
        read("runbooks/postmortem/en.md"),
        read("runbooks/postmortem/ja.md"),
        read("runbooks/postmortem/sre.md"),
        read("runbooks/postmortem/shogai.md"),
    ]);
    f.extend(run_text("Template::parse", &c, |t| {
        if let Ok(tpl) = Template::parse(t, Path::new("t.md")) {
            eat(tpl.render(&Default::default()));
        }
        eat(crate::postmortem::collect_todos(t));
    }));
    report(f);
}

#[test]
fn incident_history_snapshot_timespec_never_panic() {
    let mut f = Vec::new();
    let c = corpus(&samples(&["incidents/20261123-100000/journal.jsonl"], &[]));
    f.extend(run_text("incident::journal::parse", &c, |t| {
        let r = incident::journal::parse(t, Path::new("journal.jsonl"));
        eat(incident::State::from_events(r));
    }));
    let c = corpus(&samples(&["sadf/sadf.json"], &[]));
    f.extend(run_text("sadf::parse", &c, |t| {
        eat(sadf::parse(t, Path::new("sadf.json")))
    }));
    let c = corpus(&samples(&["diff/a.json", "diff/b.json"], &[]));
    let base: Snapshot =
        serde_json::from_slice(&std::fs::read(fixtures().join("diff/a.json")).unwrap())
            .expect("fixture snapshot parses");
    f.extend(run_text("Snapshot JSON + diff", &c, |t| {
        if let Ok(s) = serde_json::from_str::<Snapshot>(t) {
            let d = crate::diff::diff(&base, &s);
            eat(crate::diff::write_text(&d, &mut Vec::new()));
            let d = crate::diff::diff(&s, &base);
            eat(crate::diff::write_text(&d, &mut Vec::new()));
        }
    }));
    let mut spans: Vec<(String, Vec<u8>)> = [
        "10m",
        "1h30m",
        "2d",
        "5s",
        "90",
        "2026-11-23 10:00",
        "2026-11-23T10:00:00Z",
        "10:00",
        "yesterday",
        "now",
        "-5m",
        "1 hour ago",
    ]
    .iter()
    .map(|s| inline(s, s))
    .collect();
    spans.push(inline("huge", "99999999999999999999d"));
    let c = corpus(&spans);
    f.extend(run_text("timespec::parse_*", &c, |t| {
        eat(timespec::parse_duration(t));
        eat(timespec::parse_time_or_ago(t, reference()));
        eat(timespec::parse_time(t, reference()));
    }));
    // History segments: raw bytes through the scanner, and CRC-valid records whose
    // payloads are garbage through the decoder.
    let mut valid = store::header().to_vec();
    let sample = crate::history::sample::Sample::default();
    let payload = crate::history::encode(&sample).unwrap();
    valid.extend(store::encode_record(&payload));
    valid.extend(store::encode_record(&payload));
    let c = corpus(&[("segment".into(), valid)]);
    f.extend(run("store::scan", &c, |b| eat(store::scan(b))));
    let dir = tempfile::tempdir().unwrap();
    let seg = dir.path().join("2026-11-23.seg");
    let payloads = corpus(&[("payload".into(), payload)]);
    let some: Vec<Input> = payloads.into_iter().step_by(7).collect();
    f.extend(run("history::read_range (garbage payloads)", &some, |b| {
        let mut bytes = store::header().to_vec();
        bytes.extend(store::encode_record(b));
        std::fs::write(&seg, &bytes).unwrap();
        eat(store::read_segment(&seg));
        eat(crate::history::read_range(
            dir.path(),
            reference() - chrono::Duration::days(2),
            reference() + chrono::Duration::days(2),
        ));
    }));
    report(f);
}
