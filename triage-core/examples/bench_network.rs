//! Benchmark of the `network` collector next to `ss -tanp` and `ss -tan`.
//!
//! Opens N loopback TCP connections, held by helper processes (this program re-run with
//! `--hold K`: a listener and K connections with both ends, 2K descriptors, RLIMIT_NOFILE
//! raised as needed; K at most 5000 so the usual 20k-descriptor limit is enough), then
//! times, median of several runs taken in turns:
//! the whole collector (netlink tables + `/proc/*/fd` owners), the owners pass alone, and
//! `ss -tanp` / `ss -tan` as subprocesses with their output discarded.
//!
//! ```sh
//! cargo run --release -p triage-core --example bench_network -- 1000 5000 20000
//! ```

use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use triage_core::collect::network::{self, Owners};
use triage_core::collect::{Ctx, Options};
use triage_core::HostRoot;

const RUNS: usize = 7;
/// Connections per helper process.
const PER_HOLDER: usize = 5000;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn timed<T>(f: &mut dyn FnMut() -> T) -> Duration {
    let t = Instant::now();
    std::hint::black_box(f());
    t.elapsed()
}

/// Median time of each of `jobs`, run in turns (one run of each per round) so that the
/// load other programs put on the host weighs on all of them alike.
fn race(jobs: &mut [&mut dyn FnMut() -> bool]) -> Vec<Duration> {
    for job in jobs.iter_mut() {
        job(); // warm up
    }
    let mut times = vec![Vec::with_capacity(RUNS); jobs.len()];
    for _ in 0..RUNS {
        for (job, t) in jobs.iter_mut().zip(&mut times) {
            t.push(timed(*job));
        }
    }
    times.into_iter().map(median).collect()
}

fn ss(args: &str) -> bool {
    Command::new("ss")
        .arg(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn raise_nofile(want: u64) -> u64 {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return 1024;
    };
    if soft >= want {
        return soft;
    }
    if setrlimit(Resource::RLIMIT_NOFILE, want, want.max(hard)).is_ok()
        || setrlimit(Resource::RLIMIT_NOFILE, want.min(hard), hard).is_ok()
    {
        return getrlimit(Resource::RLIMIT_NOFILE).map_or(soft, |l| l.0);
    }
    soft
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// `--hold K`: open K loopback connections, say `ready`, and keep them until stdin closes.
fn hold(k: usize) {
    raise_nofile(2 * k as u64 + 64);
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    let mut conns = Vec::with_capacity(k);
    for _ in 0..k {
        let client = TcpStream::connect(addr).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        conns.push((client, server));
    }
    println!("ready");
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(conns);
}

/// Start a holder of `k` connections and wait until they are open.
fn spawn_holder(k: usize) -> Child {
    let exe = std::env::current_exe().expect("own path");
    let mut child = Command::new(exe)
        .args(["--hold", &k.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start a holder");
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    assert_eq!(line.trim(), "ready", "holder failed");
    child
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--hold") {
        hold(args.get(2).and_then(|k| k.parse().ok()).unwrap_or(0));
        return;
    }
    let mut sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        sizes = vec![1000, 5000, 20000];
    }
    sizes.sort_unstable();
    let have_ss = ss("-V");
    if !have_ss {
        println!("ss not found: only the collector's figures are printed");
    }

    let mut holders: Vec<Child> = Vec::new();
    let mut open = 0usize;
    let ctx = Ctx::new(HostRoot::live(), Options::default());
    let root = HostRoot::live();

    println!("median of {RUNS} runs; connections held by helper processes, {PER_HOLDER} each");
    println!(
        "| connections | TCP sockets seen | network (ms) | owners pass alone (ms) | ss -tanp (ms) | ss -tan (ms) | network / ss -tanp | network / ss -tan |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        while open < n {
            let k = PER_HOLDER.min(n - open);
            holders.push(spawn_holder(k));
            open += k;
        }
        let seen = network::collect(&ctx)
            .map(|n| n.connections.total)
            .unwrap_or(0);
        let mut ours = || network::collect(&ctx).is_ok();
        let mut owners = || Owners::scan(&root).is_ok();
        let mut tanp = || ss("-tanp");
        let mut tan = || ss("-tan");
        let t = if have_ss {
            race(&mut [&mut ours, &mut owners, &mut tanp, &mut tan])
        } else {
            race(&mut [&mut ours, &mut owners])
        };
        let (ours, owners) = (t[0], t[1]);
        let (tanp, tan) = (t.get(2).copied(), t.get(3).copied());
        let cell = |d: Option<Duration>| d.map(ms).unwrap_or_else(|| "n/a".into());
        let ratio = |d: Option<Duration>| {
            d.map(|d| format!("{:.2}", ours.as_secs_f64() / d.as_secs_f64()))
                .unwrap_or_else(|| "n/a".into())
        };
        println!(
            "| {n} | {seen} | {} | {} | {} | {} | {} | {} |",
            ms(ours),
            ms(owners),
            cell(tanp),
            cell(tan),
            ratio(tanp),
            ratio(tan)
        );
        ctx.take_warnings();
    }
    for mut h in holders {
        drop(h.stdin.take());
        let _ = h.wait();
    }
}
