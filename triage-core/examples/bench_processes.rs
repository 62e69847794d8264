//! Process collection speed next to `ps`, at the host's process count and with 2,000 extra
//! sleeping processes.
//!
//! ```sh
//! cargo run --release -p triage-core --example bench_processes
//! ```
//!
//! Prints, for each load: the median of several runs of one /proc pass (stat + owner), of
//! the whole `processes` collector minus its sampling interval (two passes + command lines),
//! of `ps -e -o pid,ppid,user,stat,pcpu,rss,lstart,args`, and of a whole
//! `triage snapshot --json` (when the release binary is built) next to its interval.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use triage_core::collect::{processes, Ctx, Options};
use triage_core::HostRoot;

const RUNS: usize = 9;
const EXTRA: usize = 2000;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn time<F: FnMut()>(mut f: F) -> Duration {
    median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

struct Sleepers(Vec<Child>);

impl Drop for Sleepers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
        }
        for c in &mut self.0 {
            let _ = c.wait();
        }
    }
}

fn report(label: &str) {
    let root = HostRoot::live();
    let interval = Duration::from_millis(250);
    let opts = Options {
        sample_interval: interval,
        ..Options::default()
    };
    let ctx = Ctx::new(root.clone(), opts.clone());
    let count = processes::sample(&root).map(|(p, _)| p.len()).unwrap_or(0);
    let one_pass = time(|| {
        let _ = processes::sample(&root);
    });
    let collector = time(|| {
        let _ = processes::collect(&ctx);
    })
    .saturating_sub(interval);
    let ps = time(|| {
        let _ = Command::new("ps")
            .args(["-e", "-o", "pid,ppid,user,stat,pcpu,rss,lstart,args"])
            .stdout(Stdio::null())
            .status();
    });
    println!("\n{label}: {count} processes");
    println!(
        "  {:<52} {:>10}",
        "one /proc pass (stat + owner)",
        ms(one_pass)
    );
    println!(
        "  {:<52} {:>10}",
        "processes collector, minus the 250 ms interval",
        ms(collector)
    );
    println!(
        "  {:<52} {:>10}",
        "ps -e -o pid,ppid,user,stat,pcpu,rss,lstart,args",
        ms(ps)
    );
    println!(
        "  {:<52} {:>10.2}",
        "ratio collector / ps (goal ≤ 100 ms)",
        collector.as_secs_f64() / ps.as_secs_f64()
    );
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/triage");
    if bin.exists() {
        let whole = time(|| {
            let _ = Command::new(&bin)
                .args(["snapshot", "--json"])
                .stdout(Stdio::null())
                .status();
        });
        println!(
            "  {:<52} {:>10}  (goal ≤ 250 + 150 ms)",
            "whole `triage snapshot --json` (interval 250 ms)",
            ms(whole)
        );
    }
}

fn main() {
    report("host as it is");
    let sleepers = Sleepers(
        (0..EXTRA)
            .filter_map(|_| {
                Command::new("sleep")
                    .arg("600")
                    .stdout(Stdio::null())
                    .spawn()
                    .ok()
            })
            .collect(),
    );
    println!("\nstarted {} sleeping processes", sleepers.0.len());
    std::thread::sleep(Duration::from_millis(300));
    report(&format!(
        "with {} extra sleeping processes",
        sleepers.0.len()
    ));
}
