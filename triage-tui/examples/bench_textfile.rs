//! What `--textfile DIR` adds to `triage check` (#18, goal ≤ 5 ms): the release binary run
//! RUNS times with and without it, interleaved, on the `healthy` fixture root (the same
//! snapshot each time); plus, in-process and in the same run, the write itself with the
//! fsyncs (`fsutil::write_atomic`, what `--textfile` used before) and without them
//! (`fsutil::replace_atomic`, what it uses now), into a directory on the same disk.
//!
//! ```text
//! cargo build --release -p triage-tui --bins --examples
//! target/release/examples/bench_textfile [RUNS=40] [DIR=/var/tmp]
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Wall time of one run of `cmd`.
fn run(cmd: &mut Command) -> Option<Duration> {
    let t = Instant::now();
    let ok = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    // `check` exits 1 on the fixture's warnings: that is its answer, not a failure.
    (ok.code().is_some_and(|c| c <= 3)).then(|| t.elapsed())
}

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = v.iter().map(|d| ms(*d)).sum::<f64>() / v.len().max(1) as f64;
    (ms(v[v.len() / 2]), mean)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(40);
    let base = PathBuf::from(args.next().unwrap_or_else(|| "/var/tmp".into()));
    let bin = std::env::current_exe()?
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("triage"))
        .ok_or("where is target/release?")?;
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../triage-core/tests/fixtures/healthy");
    let dir = tempfile::Builder::new()
        .prefix("textfile-bench")
        .tempdir_in(&base)?;
    let check = |textfile: bool| {
        let mut c = Command::new(&bin);
        c.arg("--root").arg(&fixture).arg("check");
        if textfile {
            c.arg("--textfile").arg(dir.path());
        }
        c
    };
    let (mut with, mut without) = (Vec::new(), Vec::new());
    run(&mut check(true)).ok_or("triage check --textfile failed")?;
    // Alternating which goes first, so neither always runs on the other's warm caches.
    for i in 0..runs {
        if i % 2 == 0 {
            without.extend(run(&mut check(false)));
            with.extend(run(&mut check(true)));
        } else {
            with.extend(run(&mut check(true)));
            without.extend(run(&mut check(false)));
        }
    }
    let body = std::fs::read(dir.path().join("triage.prom"))?;
    let target = dir.path().join("bench.prom");
    let (mut synced, mut plain) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        triage_core::fsutil::write_atomic(&target, &body, 0o644)?;
        synced.push(t.elapsed());
        let t = Instant::now();
        triage_core::fsutil::replace_atomic(&target, &body, 0o644)?;
        plain.push(t.elapsed());
    }
    let (w_med, w_mean) = stats(with);
    let (o_med, o_mean) = stats(without);
    let (s_med, s_mean) = stats(synced);
    let (p_med, p_mean) = stats(plain);
    println!(
        "{runs} runs each, interleaved; {} byte triage.prom in {}; load {}",
        body.len(),
        base.display(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    println!("| what | median ms | mean ms |");
    println!("|---|---:|---:|");
    println!("| `triage --root healthy check` | {o_med:.2} | {o_mean:.2} |");
    println!("| same with `--textfile DIR` | {w_med:.2} | {w_mean:.2} |");
    println!(
        "| **added by --textfile** | **{:.2}** | **{:.2}** |",
        w_med - o_med,
        w_mean - o_mean
    );
    println!("| the write alone, temp + fsync + rename + dir fsync (before) | {s_med:.3} | {s_mean:.3} |");
    println!("| the write alone, temp + rename (now) | {p_med:.3} | {p_mean:.3} |");
    Ok(())
}
