//! `triage logs` end to end (read, parse, classify, Drain, JSON out) on a big file, next
//! to what a user would otherwise run on it, in the same run: `grep -c`,
//! `awk | sort | uniq -c` and, when installed, `lnav`.
//!
//! The input is loghub's Linux_2k (from `../shared/data/loghub`, research-only, never
//! copied into the repository) repeated to 500,000 lines in a temporary directory, or a
//! synthetic syslog of the same size when that is absent. Each command runs 3 times; the
//! median wall time and the CPU time of that run (user + system, from `wait4(2)`) are
//! printed: the machine is shared, compare the ratios.
//!
//! `cargo build --release -p triage-tui && cargo run --release -p triage-tui --example bench_logs_e2e [LINES]`

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Wall and CPU time of one run of `sh -c script`.
fn run(script: &str) -> Option<(Duration, Duration)> {
    let started = Instant::now();
    let child = Command::new("sh")
        .args(["-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    let pid = i32::try_from(child.id()).ok()?;
    // SAFETY: a zeroed rusage is a valid out-parameter for wait4.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut status = 0;
    // SAFETY: waiting for our own child (reaped here, `Child` is not waited on again);
    // `usage` and `status` outlive the call.
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    if got <= 0 || !libc::WIFEXITED(status) {
        return None;
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Some((wall, tv(usage.ru_utime) + tv(usage.ru_stime)))
}

fn median3(script: &str) -> Option<(Duration, Duration)> {
    let mut v: Vec<_> = (0..3).filter_map(|_| run(script)).collect();
    if v.len() < 3 {
        return None;
    }
    v.sort();
    Some(v[1])
}

fn input(dir: &Path, lines: usize) -> std::io::Result<(PathBuf, &'static str)> {
    let path = dir.join("big.log");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let shared = std::env::var("TRIAGE_SHARED")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared").to_string());
    let linux = Path::new(&shared).join("data/loghub/Linux/Linux_2k.log");
    let what = match std::fs::read_to_string(&linux) {
        Ok(text) => {
            let src: Vec<&str> = text.lines().collect();
            for i in 0..lines {
                writeln!(out, "{}", src[i % src.len()])?;
            }
            "loghub Linux_2k repeated"
        }
        Err(_) => {
            for i in 0..lines {
                writeln!(
                    out,
                    "Nov 23 {:02}:{:02}:{:02} web1 sshd[{}]: Accepted publickey for u{} from 10.0.{}.{} port {} ssh2",
                    (i / 3600) % 24,
                    (i / 60) % 60,
                    i % 60,
                    1000 + i % 30000,
                    i % 50,
                    i % 250,
                    i % 13,
                    40000 + i % 20000
                )?;
            }
            "synthetic sshd syslog"
        }
    };
    out.flush()?;
    Ok((path, what))
}

fn main() -> std::io::Result<()> {
    let lines: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500_000);
    let exe = std::env::current_exe()?;
    let triage = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("triage"))
        .filter(|p| p.exists())
        .ok_or_else(|| {
            std::io::Error::other(
                "build the triage binary first (cargo build --release -p triage-tui)",
            )
        })?;
    let dir = tempfile::tempdir()?;
    let (file, what) = input(dir.path(), lines)?;
    let (t, f) = (triage.display(), file.display());
    let size = std::fs::metadata(&file)?.len();
    println!(
        "input: {what}, {lines} lines, {:.1} MB; median of 3 runs; lines/s of wall time and of CPU time",
        size as f64 / 1e6
    );
    println!();
    println!("| command | wall | lines/s (wall) | CPU | lines/s (CPU) |");
    println!("|---|---:|---:|---:|---:|");
    let rows = [
        (
            "triage logs --file F --templates --json -n 100000000".to_string(),
            format!("{t} logs --file {f} --templates --json -n 100000000"),
        ),
        (
            "triage logs --file F --templates".to_string(),
            format!("{t} logs --file {f} --templates"),
        ),
        (
            "triage logs --file F --json -n 100000000".to_string(),
            format!("{t} logs --file {f} --json -n 100000000"),
        ),
        ("grep -c sshd F".to_string(), format!("grep -c sshd {f}")),
        (
            "awk '{print $5}' F | sort | uniq -c".to_string(),
            format!("awk '{{print $5}}' {f} | sort | uniq -c"),
        ),
        (
            "lnav -n -c ';SELECT count(*) FROM syslog_log' F".to_string(),
            format!(
                "command -v lnav >/dev/null && lnav -n -c ';SELECT count(*) FROM syslog_log' {f}"
            ),
        ),
    ];
    for (name, script) in rows {
        match median3(&script) {
            Some((wall, cpu)) => println!(
                "| `{name}` | {:.2} s | {:.0} | {:.2} s | {:.0} |",
                wall.as_secs_f64(),
                lines as f64 / wall.as_secs_f64(),
                cpu.as_secs_f64(),
                lines as f64 / cpu.as_secs_f64().max(1e-9)
            ),
            None => println!("| `{name}` | failed or not installed | | | |"),
        }
    }
    Ok(())
}
