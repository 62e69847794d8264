//! Speed of the logs module next to the standard tools, in one run:
//!
//! - tail of the last 1,000 lines of a generated 100 MB syslog file (read backwards and
//!   parsed) vs `tail -n 1000`;
//! - Drain template grouping throughput, single-threaded, on a synthetic stream and (when
//!   `../shared/data` is present) on loghub's Linux_2k repeated;
//! - reading and parsing the whole kernel ring buffer (`/dev/kmsg`) vs `dmesg`.
//!
//! `cargo run --release -p triage-core --example bench_logs`

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use triage_core::logs::drain::Drain;
use triage_core::logs::{files, kmsg};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_runs(runs: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn run_tool(program: &str, args: &[&str]) -> Option<usize> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout.len())
}

const PROGRAMS: [&str; 6] = ["sshd", "nginx", "CRON", "systemd", "kernel", "app"];

fn synthetic_message(i: usize) -> String {
    match i % 8 {
        0 => format!("Accepted publickey for deploy from 10.0.{}.{} port {} ssh2", i % 250, i % 13, 40000 + i % 20000),
        1 => format!("GET /api/v1/orders/{} 200 {} ms", i * 7, i % 900),
        2 => format!("({}) CMD (run-parts /etc/cron.hourly)", ["root", "www"][i % 2]),
        3 => format!("Started Session {} of User deploy.", i),
        4 => format!("[UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.{} DST=10.0.0.5 PROTO=TCP SPT={} DPT=22", i % 255, 1024 + i % 60000),
        5 => format!("worker {} finished job id=0x{:08x} in {}.{:03} s", i % 16, i * 2654435761 % 0xffff_ffff, i % 10, i % 1000),
        6 => format!("connection reset by peer while reading response header from upstream, client: 198.51.100.{}", i % 200),
        _ => format!("Out of memory: Killed process {} (java) total-vm:{}kB", 1000 + i % 5000, 100000 + i),
    }
}

fn main() -> std::io::Result<()> {
    println!("| what | triage | standard tool | notes |");
    println!("|---|---|---|---|");

    // 1. Tail of a 100 MB syslog file.
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("syslog");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let (mut size, mut lines) = (0usize, 0usize);
    while size < 100 * 1024 * 1024 {
        let line = format!(
            "Nov 23 {:02}:{:02}:{:02} web1 {}[{}]: {}\n",
            (lines / 3600) % 24,
            (lines / 60) % 60,
            lines % 60,
            PROGRAMS[lines % PROGRAMS.len()],
            1000 + lines % 30000,
            synthetic_message(lines)
        );
        f.write_all(line.as_bytes())?;
        size += line.len();
        lines += 1;
    }
    f.flush()?;
    drop(f);
    let mut got = 0;
    let ours = time_runs(9, || {
        got = files::read_file(&path, 1000, None, None).entries.len();
    });
    assert_eq!(got, 1000);
    let p = path.to_string_lossy().into_owned();
    let tail = time_runs(9, || {
        run_tool("tail", &["-n", "1000", &p]);
    });
    println!(
        "| last 1,000 lines of a {} MB syslog ({} lines), read + parsed | {} | `tail -n 1000`: {} | median of 9, page cache warm |",
        size / (1024 * 1024),
        lines,
        ms(ours),
        ms(tail)
    );

    // 2. Drain throughput.
    let msgs: Vec<String> = (0..1_000_000).map(synthetic_message).collect();
    let mut d = Drain::default();
    let t = Instant::now();
    for m in &msgs {
        d.add(m, None);
    }
    let el = t.elapsed();
    println!(
        "| Drain, synthetic stream ({} lines, {} templates) | {:.0} lines/s | - | single thread |",
        msgs.len(),
        d.templates().len(),
        msgs.len() as f64 / el.as_secs_f64()
    );
    let shared = std::env::var("TRIAGE_SHARED")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared").to_string());
    let linux = std::path::Path::new(&shared).join("data/loghub/Linux/Linux_2k.log");
    match std::fs::read_to_string(&linux) {
        Ok(text) => {
            let r = files::read_file(&linux, usize::MAX, None, None);
            let contents: Vec<&str> = r.entries.iter().map(|e| e.message.as_str()).collect();
            let reps = 250;
            let mut d = Drain::default();
            let t = Instant::now();
            for _ in 0..reps {
                for m in &contents {
                    d.add(m, None);
                }
            }
            let el = t.elapsed();
            let n = contents.len() * reps;
            println!(
                "| Drain, loghub Linux_2k messages ×{reps} ({n} lines, {} templates) | {:.0} lines/s | - | single thread; {} source lines |",
                d.templates().len(),
                n as f64 / el.as_secs_f64(),
                text.lines().count()
            );
        }
        Err(_) => println!(
            "| Drain, loghub Linux_2k | skipped | - | {} not found |",
            linux.display()
        ),
    }

    // 3. The whole kernel ring buffer vs dmesg.
    let boot = kmsg::boot_time_live();
    let mut records = 0;
    let ring = std::path::Path::new("/dev/kmsg");
    match kmsg::read_dev_kmsg(ring, boot) {
        Ok(_) => {
            let ours = time_runs(9, || {
                records = kmsg::read_dev_kmsg(ring, boot)
                    .map(|e| e.len())
                    .unwrap_or(0);
            });
            let theirs = time_runs(9, || {
                run_tool("dmesg", &[]);
            });
            let theirs_t = time_runs(9, || {
                run_tool("dmesg", &["-T"]);
            });
            println!(
                "| whole kernel ring buffer ({records} records), read + parsed with wall times | {} | `dmesg`: {}, `dmesg -T`: {} | median of 9 |",
                ms(ours),
                ms(theirs),
                ms(theirs_t)
            );
        }
        Err(e) => println!("| kernel ring buffer | skipped | - | /dev/kmsg: {e} |"),
    }
    Ok(())
}
