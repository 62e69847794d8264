//! `triage fleet` over many snapshot files, next to `cat` (reading the bytes, nothing
//! more) and `jq` (a person's one-liner over the same files), in the same run, each under
//! `/usr/bin/time -v` (wall, user+system CPU, max RSS).
//!
//! Two cache states: warm (the files were just read) and cold-ish (every file's pages are
//! dropped with `posix_fadvise(POSIX_FADV_DONTNEED)` before each run: only these files
//! leave the page cache, not the whole machine's, as `drop_caches` would). Each command runs
//! RUNS times per state and the median wall time (with that run's CPU and RSS) is printed;
//! the machine is shared, so compare ratios and CPU time.
//!
//! The files are made by the `fleet_gen` example (one real snapshot of this host, 300
//! processes each, ~155 KB) when DIR has fewer than N.
//!
//! ```text
//! cargo build --release -p triage-tui -p triage-core --bins --examples
//! target/release/examples/bench_fleet /tmp/fleet_bench [N=5000] [RUNS=3] [--no-jq]
//! ```

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What `/usr/bin/time -v` said about one run.
#[derive(Clone, Copy, Debug, Default)]
struct Time {
    wall_s: f64,
    cpu_s: f64,
    rss_mb: f64,
}

/// Parse `/usr/bin/time -v`'s report.
fn parse_time(report: &str) -> Option<Time> {
    let field = |name: &str| {
        report
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(|v| v.trim().to_string())
    };
    let secs = |name: &str| field(name).and_then(|v| v.parse::<f64>().ok());
    // "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:01.23"
    let wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss):")?;
    let wall_s = wall
        .split(':')
        .try_fold(0.0, |acc, part| part.parse::<f64>().map(|v| acc * 60.0 + v))
        .ok()?;
    Some(Time {
        wall_s,
        cpu_s: secs("User time (seconds):")? + secs("System time (seconds):")?,
        rss_mb: field("Maximum resident set size (kbytes):")?
            .parse::<f64>()
            .ok()?
            / 1024.0,
    })
}

/// Run `sh -c script` under `/usr/bin/time -v`, stdout discarded.
fn timed(script: &str) -> Option<Time> {
    let out = Command::new("/usr/bin/time")
        .args(["-v", "sh", "-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("failed: {script}\n{}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    parse_time(&String::from_utf8_lossy(&out.stderr))
}

/// Drop `files`' pages from the page cache.
fn evict(files: &[PathBuf]) {
    for f in files {
        if let Ok(file) = std::fs::File::open(f) {
            // SAFETY: a valid descriptor we own for the duration of the call.
            unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        }
    }
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn median(mut v: Vec<Time>) -> Option<Time> {
    v.sort_by(|a, b| a.wall_s.total_cmp(&b.wall_s));
    v.get(v.len() / 2).copied()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let no_jq = args.iter().any(|a| a == "--no-jq");
    let mut pos = args.iter().filter(|a| !a.starts_with("--"));
    let dir = PathBuf::from(
        pos.next()
            .ok_or("usage: bench_fleet DIR [N] [RUNS] [--no-jq]")?,
    );
    let n: usize = pos.next().map(|s| s.parse()).transpose()?.unwrap_or(5000);
    let runs: usize = pos.next().map(|s| s.parse()).transpose()?.unwrap_or(3);
    let bin_dir = std::env::current_exe()?
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .ok_or("where is target/release?")?;
    let triage = bin_dir.join("triage");
    if !triage.exists() {
        return Err(format!(
            "{} missing: build it first (see the doc comment)",
            triage.display()
        )
        .into());
    }
    if json_files(&dir).len() < n {
        let gen = bin_dir.join("examples/fleet_gen");
        let ok = Command::new(&gen)
            .arg(&dir)
            .arg(n.to_string())
            .arg("300")
            .status()
            .map_err(|e| format!("{}: {e}", gen.display()))?;
        if !ok.success() {
            return Err("fleet_gen failed".into());
        }
    }
    let files = json_files(&dir);
    let bytes: u64 = files
        .iter()
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum();
    let jq = !no_jq && Command::new("jq").arg("--version").output().is_ok();
    let d = dir.display();
    // cat first: the other rows are compared with it.
    let mut commands = vec![
        ("cat", format!("cat {d}/*.json")),
        (
            "triage fleet --json",
            format!("{} fleet {d} --json", triage.display()),
        ),
    ];
    if jq {
        commands.push((
            "jq (host + finding ids)",
            format!("jq -c '{{h: .host.hostname, f: [.findings[].id]}}' {d}/*.json"),
        ));
    }
    println!(
        "{} files, {} MB, {} CPUs, load {}",
        files.len(),
        bytes / 1_000_000,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    println!("| cache | command | wall s | CPU s | max RSS MB | wall / cat |");
    println!("|---|---|---|---|---|---|");
    for cold in [false, true] {
        let mut cat_wall = None;
        for (name, script) in &commands {
            // jq takes ~10× as long as the others: once per state is enough to compare.
            let times = if name.starts_with("jq") { 1 } else { runs };
            let mut got = Vec::new();
            if !cold {
                timed(script); // warm the cache (and the binary)
            }
            for _ in 0..times {
                if cold {
                    evict(&files);
                }
                got.extend(timed(script));
            }
            let Some(t) = median(got) else { continue };
            if *name == "cat" {
                cat_wall = Some(t.wall_s);
            }
            let ratio = cat_wall.map_or("".to_string(), |c| format!("{:.2}", t.wall_s / c));
            println!(
                "| {} | {name} | {:.2} | {:.2} | {:.0} | {ratio} |",
                if cold { "cold-ish" } else { "warm" },
                t.wall_s,
                t.cpu_s,
                t.rss_mb
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_time_v() {
        let r = "\tUser time (seconds): 1.20\n\tSystem time (seconds): 0.30\n\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02.50\n\tMaximum resident set size (kbytes): 34816\n";
        let t = super::parse_time(r).unwrap();
        assert!((t.wall_s - 62.5).abs() < 1e-9);
        assert!((t.cpu_s - 1.5).abs() < 1e-9);
        assert!((t.rss_mb - 34.0).abs() < 1e-9);
    }
}
