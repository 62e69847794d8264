//! Grouping Accuracy (GA) of triage's Drain, with its shipped defaults (no per-dataset
//! setting), on every loghub-2k dataset with corrected labels, next to the figures the
//! Drain authors publish with per-dataset settings (logpai/logparser
//! `logparser/Drain/README.md`, "Benchmark", Accuracy column).
//!
//! The data is research-only and never part of this repository: point `LOGHUB_2K` at a
//! copy of logpai/logparser's `data/loghub_2k_corrected` (one directory per dataset with
//! `<Name>_2k.log_structured_corrected.csv`). Each message is the `Content` column, which
//! is what Drain.py sees after splitting the header with its per-dataset log format.
//!
//! `LOGHUB_2K=/path/to/loghub_2k_corrected cargo run --release -p triage-core --example template_ga`

use std::collections::HashMap;
use std::path::PathBuf;

use triage_core::logs::accuracy::grouping_accuracy;
use triage_core::logs::drain::Drain;

/// Drain's published GA per dataset (logpai/logparser, Drain README, loghub_2k).
const PUBLISHED: [(&str, f64); 16] = [
    ("HDFS", 0.9975),
    ("Hadoop", 0.9475),
    ("Spark", 0.92),
    ("Zookeeper", 0.9665),
    ("BGL", 0.9625),
    ("HPC", 0.887),
    ("Thunderbird", 0.955),
    ("Windows", 0.997),
    ("Linux", 0.69),
    ("Android", 0.911),
    ("HealthApp", 0.78),
    ("Apache", 1.0),
    ("Proxifier", 0.5265),
    ("OpenSSH", 0.7875),
    ("OpenStack", 0.7325),
    ("Mac", 0.7865),
];

/// `GA_DEBUG=Name`: each predicted template that is not exactly one true group, with the
/// true groups it mixes or splits.
fn explain(drain: &Drain, predicted: &[u32], truth: &[String]) {
    let templates = drain.templates();
    let mut by_truth: HashMap<&str, HashMap<u32, usize>> = HashMap::new();
    for (p, t) in predicted.iter().zip(truth) {
        *by_truth.entry(t).or_default().entry(*p).or_default() += 1;
    }
    let mut by_pred: HashMap<u32, HashMap<&str, usize>> = HashMap::new();
    for (p, t) in predicted.iter().zip(truth) {
        *by_pred.entry(*p).or_default().entry(t).or_default() += 1;
    }
    for (p, ts) in &by_pred {
        let split = ts.keys().any(|t| by_truth[t].len() > 1);
        if ts.len() > 1 || split {
            let n: usize = ts.values().sum();
            eprintln!("{n:5} {}", templates[*p as usize - 1].template);
            for (t, c) in ts {
                eprintln!("        {c:5} truth {t} (split in {})", by_truth[t].len());
            }
        }
    }
}

fn main() {
    let Some(dir) = std::env::var_os("LOGHUB_2K").map(PathBuf::from) else {
        eprintln!("set LOGHUB_2K to logpai/logparser's data/loghub_2k_corrected directory");
        std::process::exit(2);
    };
    println!("| dataset | triage Drain GA (defaults) | Drain published GA (tuned per dataset) |");
    println!("|---|---|---|");
    let (mut ours, mut theirs, mut n) = (0.0, 0.0, 0);
    for (name, published) in PUBLISHED {
        let csv = dir
            .join(name)
            .join(format!("{name}_2k.log_structured_corrected.csv"));
        let Ok(mut rdr) = csv::Reader::from_path(&csv) else {
            println!("| {name} | missing: {} | {published} |", csv.display());
            continue;
        };
        let Ok(headers) = rdr.headers().cloned() else {
            continue;
        };
        let col = |h: &str| headers.iter().position(|x| x == h);
        let (Some(content), Some(event)) = (col("Content"), col("EventId")) else {
            println!("| {name} | no Content/EventId columns | {published} |");
            continue;
        };
        let mut drain = Drain::default();
        let (mut predicted, mut truth) = (Vec::new(), Vec::new());
        for rec in rdr.records().flatten() {
            predicted.push(drain.add(rec.get(content).unwrap_or(""), None));
            truth.push(rec.get(event).unwrap_or("").to_string());
        }
        let ga = grouping_accuracy(&predicted, &truth);
        if std::env::var("GA_DEBUG").is_ok_and(|d| d == name) {
            explain(&drain, &predicted, &truth);
        }
        println!("| {name} | {ga:.4} | {published:.4} |");
        ours += ga;
        theirs += published;
        n += 1;
    }
    if n > 0 {
        println!(
            "| **average ({n})** | **{:.4}** | **{:.4}** |",
            ours / n as f64,
            theirs / n as f64
        );
    }
}
