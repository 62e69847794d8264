//! What `history::baseline_for` costs on a full store: 8 days of samples every 10 s (the
//! `triage record` default), each with 10 top processes and 8 listening ports, written to a
//! temporary directory; then the baseline is computed, and, for comparison, only the 7
//! same-hour windows are read (what it read before usual listeners needed the last 24 h).
//!
//! `cargo run --release -p triage-core --example bench_baseline`

use std::time::Instant;

use chrono::Duration;
use triage_core::history::sample::{ListenPort, LoadAvg, TopProcess};
use triage_core::history::{self, store::SegmentWriter, Sample};

fn main() {
    let Ok(dir) = tempfile::tempdir() else {
        eprintln!("no temporary directory");
        return;
    };
    let now = triage_core::snapshot::now();
    let writer = SegmentWriter::new(dir.path());
    let mut t = now - Duration::days(8);
    let started = Instant::now();
    let mut n = 0u64;
    let mut batch: Vec<(chrono::NaiveDate, Vec<u8>)> = Vec::new();
    while t < now {
        let s = Sample {
            time: t.timestamp(),
            interval_s: 10.0,
            load: Some(LoadAvg {
                one: 1.0,
                five: 1.0,
                fifteen: 1.0,
            }),
            top: (0..10)
                .map(|i| TopProcess {
                    pid: 1000 + i,
                    command: format!("/usr/bin/worker-{i} --config /etc/worker/{i}.conf"),
                    cpu_percent: 1.0,
                    rss_bytes: 100 << 20,
                })
                .collect(),
            listeners: Some(
                [22u16, 25, 80, 443, 3306, 5432, 6379, 9100]
                    .iter()
                    .map(|&port| ListenPort {
                        port,
                        process: Some("daemon".into()),
                    })
                    .collect(),
            ),
            ..Sample::default()
        };
        let Ok(payload) = history::encode(&s) else {
            return;
        };
        batch.push((t.naive_utc().date(), payload));
        t += Duration::seconds(10);
        n += 1;
    }
    // Appending fsyncs each record; write each day's file in one go instead.
    let mut days: std::collections::BTreeMap<chrono::NaiveDate, Vec<u8>> = Default::default();
    for (date, payload) in &batch {
        let file = days
            .entry(*date)
            .or_insert_with(|| history::store::header().to_vec());
        file.extend(history::store::encode_record(payload));
    }
    for (date, bytes) in &days {
        if std::fs::write(writer.path_for(*date), bytes).is_err() {
            eprintln!("could not write the store");
            return;
        }
    }
    let total: usize = days.values().map(Vec::len).sum();
    println!(
        "store: {n} samples, {:.1} MB in {} segments (written in {:.1} s)",
        total as f64 / 1e6,
        days.len(),
        started.elapsed().as_secs_f64()
    );
    for _ in 0..2 {
        let t0 = Instant::now();
        let b = history::baseline_for(dir.path(), now);
        let full = t0.elapsed();
        let t0 = Instant::now();
        let mut windows = 0;
        for d in 1..=7 {
            let c = now - Duration::days(d);
            windows += history::read_range(
                dir.path(),
                c - Duration::minutes(30),
                c + Duration::minutes(30),
            )
            .0
            .len();
        }
        let same_hour = t0.elapsed();
        let usual = b
            .ok()
            .flatten()
            .map(|b| b.usual_listeners.len())
            .unwrap_or(0);
        println!(
            "baseline_for            {:.1} ms ({usual} usual listeners)",
            full.as_secs_f64() * 1e3
        );
        println!(
            "same-hour windows only  {:.1} ms ({windows} samples)",
            same_hour.as_secs_f64() * 1e3
        );
    }
}
