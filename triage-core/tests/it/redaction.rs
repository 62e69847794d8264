//! The redaction corpus (issue 16 item 4) through the library: every secret masked, every
//! harmless line unchanged. The binary's output channels are measured in
//! `triage-tui/tests/it/redaction.rs` with the same corpus.

use crate::common;

use serde::Deserialize;
use triage_core::redact::{redact, redact_lines};

#[derive(Deserialize)]
pub struct Corpus {
    pub secret: Vec<Secret>,
    pub harmless: Vec<Harmless>,
}

#[derive(Deserialize)]
pub struct Secret {
    pub kind: String,
    pub line: String,
    pub secrets: Vec<String>,
}

#[derive(Deserialize)]
pub struct Harmless {
    pub line: String,
}

pub fn corpus() -> Corpus {
    let path = common::fixture("redaction/corpus.toml");
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Kinds whose secret leaked and harmless lines that changed, for one way of redacting.
fn measure(c: &Corpus, f: impl Fn(&str) -> String) -> (Vec<String>, Vec<String>) {
    let leaks = c
        .secret
        .iter()
        .filter_map(|s| {
            let out = f(&s.line);
            let leaked: Vec<&String> = s
                .secrets
                .iter()
                .filter(|x| out.contains(x.as_str()))
                .collect();
            (!leaked.is_empty()).then(|| format!("{}: {out:?}", s.kind))
        })
        .collect();
    let fps = c
        .harmless
        .iter()
        .filter_map(|h| {
            let out = f(&h.line);
            (out != h.line).then(|| format!("{:?} -> {out:?}", h.line))
        })
        .collect();
    (leaks, fps)
}

#[test]
fn corpus_is_big_enough() {
    let c = corpus();
    assert!(c.secret.len() >= 60, "{} secrets", c.secret.len());
    assert!(
        c.harmless.len() >= 20,
        "{} harmless lines",
        c.harmless.len()
    );
}

#[test]
fn whole_text_and_line_by_line_leak_nothing() {
    let c = corpus();
    let whole = |t: &str| redact(t).into_owned();
    let by_line = |t: &str| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        redact_lines(true, lines.iter_mut());
        lines.join("\n")
    };
    for (how, f) in [
        ("whole text", &whole as &dyn Fn(&str) -> String),
        ("line by line", &by_line),
    ] {
        let (leaks, fps) = measure(&c, f);
        println!(
            "redaction ({how}): {} secrets, {} leaked; {} harmless lines, {} changed",
            c.secret.len(),
            leaks.len(),
            c.harmless.len(),
            fps.len()
        );
        assert!(leaks.is_empty(), "{how}: leaked:\n{}", leaks.join("\n"));
        assert!(fps.len() <= 1, "{how}: over-masked:\n{}", fps.join("\n"));
    }
}

#[test]
fn masked_output_stays_masked() {
    let c = corpus();
    for s in &c.secret {
        let once = redact(&s.line).into_owned();
        assert_eq!(redact(&once), once, "{}", s.kind);
    }
}

/// A PEM key's lines in two sources: the second source's BEGIN line is a copy of the
/// first's (same message, same second) and is dropped by the merge's de-duplication, yet
/// the body lines after it, only in that source, are masked: each source's lines open
/// its PEM block before any filter.
#[test]
fn pem_body_after_a_deduplicated_begin_line_is_masked() {
    let dir = tempfile::tempdir().unwrap();
    let line = |msg: &str| format!("Nov 23 10:00:00 h app[1]: {msg}\n");
    let begin = line("-----BEGIN OPENSSH PRIVATE KEY-----");
    let a = dir.path().join("a.log");
    let b = dir.path().join("b.log");
    std::fs::write(&a, &begin).unwrap();
    let body = [
        line("I4PR/RKO3MvH"),
        line("-----END OPENSSH PRIVATE KEY-----"),
    ];
    std::fs::write(&b, format!("{begin}{}", body.concat())).unwrap();
    let q = triage_core::logs::Query {
        files: vec![a, b],
        ..triage_core::logs::Query::default()
    };
    let r = triage_core::logs::read(&triage_core::HostRoot::live(), &q);
    let messages: Vec<&str> = r.entries.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages.len(), 3, "the copy is dropped: {messages:?}");
    assert!(messages.contains(&"***"), "{messages:?}");
    assert!(
        !messages.iter().any(|m| m.contains("RKO3MvH")),
        "{messages:?}"
    );
}
