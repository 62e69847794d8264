//! Grouping Accuracy of the Drain implementation on loghub's Linux_2k with the corrected
//! ground truth (logpai/logparser `data/loghub_2k_corrected/Linux`), read from
//! `../shared/data/loghub/Linux` (research-only data: never copied into this repository).
//!
//! GA (loghub's definition): a message is correctly grouped iff the set of messages in its
//! predicted group is exactly the set of messages of its ground-truth template.
//! Skipped with a message when the data is absent.

use std::path::PathBuf;

use triage_core::logs::accuracy::grouping_accuracy;
use triage_core::logs::drain::Drain;
use triage_core::logs::formats::{parse_line, ParseCtx, Parsed};

fn shared() -> PathBuf {
    std::env::var("TRIAGE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

#[test]
fn ga_on_loghub_linux_2k() {
    let dir = shared().join("data/loghub/Linux");
    let (Ok(log), Ok(csv)) = (
        std::fs::read(dir.join("Linux_2k.log")),
        std::fs::read(dir.join("Linux_2k.log_structured_corrected.csv")),
    ) else {
        eprintln!(
            "skipping: loghub Linux_2k not found under {} (set TRIAGE_SHARED)",
            dir.display()
        );
        return;
    };
    let mut rdr = csv::Reader::from_reader(csv.as_slice());
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (event_col, content_col) = (col("EventId"), col("Content"));
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let truth: Vec<String> = rows.iter().map(|r| r[event_col].to_string()).collect();

    let text = String::from_utf8_lossy(&log);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), truth.len(), "log and ground truth line up");
    let ctx = ParseCtx {
        source: "Linux_2k.log".into(),
        reference: triage_core::snapshot::now(),
        boot_time: None,
    };
    // End to end: our RFC 3164 parser extracts the message, Drain groups it.
    let mut drain = Drain::default();
    let mut predicted = Vec::new();
    let mut content_mismatch = 0;
    for (line, row) in lines.iter().zip(&rows) {
        let message = match parse_line(line, &ctx) {
            Parsed::Entry(e) => e.message,
            _ => String::new(),
        };
        if message.trim() != row[content_col].trim() {
            content_mismatch += 1;
        }
        predicted.push(drain.add(&message, None));
    }
    let ga = grouping_accuracy(&predicted, &truth);
    println!(
        "Drain GA on loghub Linux_2k (corrected): {ga:.4} ({} templates found, {} in the ground truth; {content_mismatch} messages parsed differently from loghub's Content)",
        drain.templates().len(),
        truth.iter().collect::<std::collections::HashSet<_>>().len()
    );
    assert!(ga >= 0.69, "GA {ga:.4} below the 0.69 goal");
}
