//! What one history sample costs: CPU time per sample (getrusage of this process, all
//! threads), the share of one core that means at a 10 s interval, and bytes per sample
//! on disk, next to the host's process count (the cost grows with it). With CONNECTIONS,
//! that many loopback TCP connections are held open first (2 sockets each), to see that
//! the listening-ports part does not grow with connections; that part is also timed alone
//! next to `ss -ltn` (the same LISTEN-only netlink dump) in the same run.
//!
//! `cargo run --release -p triage-core --example bench_record [SAMPLES] [CONNECTIONS]`

use std::time::{Duration, Instant};

use triage_core::history::{self, store, Recorder};
use triage_core::HostRoot;

/// User + system CPU time of this process, all threads.
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_SELF is always valid.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let connections: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let _held = hold_connections(connections);
    let mut rec = Recorder::new(HostRoot::live(), true);
    std::thread::sleep(Duration::from_millis(100));
    let (mut bytes, mut cpu, mut wall) = (0usize, Duration::ZERO, Duration::ZERO);
    let mut procs = 0;
    let mut max_bytes = 0;
    for _ in 0..n {
        std::thread::sleep(Duration::from_millis(50));
        let (c0, w0) = (cpu_time(), Instant::now());
        let (sample, _) = rec.take();
        cpu += cpu_time() - c0;
        wall += w0.elapsed();
        let Ok(payload) = history::encode(&sample) else {
            eprintln!("a sample could not be encoded");
            return;
        };
        let framed = store::encode_record(&payload).len();
        bytes += framed;
        max_bytes = max_bytes.max(framed);
        procs = sample.tasks.map(|t| t.total).unwrap_or(0);
    }
    let per_cpu = cpu / n;
    println!("samples taken            {n}");
    println!("processes on this host   {procs}");
    println!(
        "CPU per sample           {:.2} ms (wall {:.2} ms)",
        per_cpu.as_secs_f64() * 1e3,
        (wall / n).as_secs_f64() * 1e3
    );
    println!(
        "share of one core @10s   {:.3} %",
        per_cpu.as_secs_f64() / 10.0 * 100.0
    );
    println!(
        "share of one core @1s    {:.3} %",
        per_cpu.as_secs_f64() * 100.0
    );
    println!(
        "bytes per sample on disk {} (max {max_bytes})",
        bytes / n as usize
    );
    println!(
        "bytes per day @10s       {:.1} MB",
        (bytes / n as usize) as f64 * 8640.0 / 1e6
    );
    // LISTENERS-PART
    let root = HostRoot::live();
    let (c0, w0) = (cpu_time(), Instant::now());
    let mut found = 0;
    for _ in 0..n {
        found = triage_core::collect::network::tcp_listeners(&root)
            .map(|(l, _)| l.len())
            .unwrap_or(0);
    }
    let (lc, lw) = ((cpu_time() - c0) / n, w0.elapsed() / n);
    let w0 = Instant::now();
    for _ in 0..n {
        let _ = std::process::Command::new("ss")
            .args(["-ltnH"])
            .stdout(std::process::Stdio::null())
            .status();
    }
    let ss = w0.elapsed() / n;
    println!(
        "listening ports alone    {:.3} ms CPU (wall {:.3} ms), {found} TCP listener socket(s), \
         TCP sockets on host {}",
        lc.as_secs_f64() * 1e3,
        lw.as_secs_f64() * 1e3,
        tcp_sockets()
    );
    println!(
        "`ss -ltnH`, same run     {:.3} ms wall (process start included)",
        ss.as_secs_f64() * 1e3
    );
    // END-LISTENERS-PART
}

/// `n` established loopback connections, both ends held open.
fn hold_connections(n: usize) -> Vec<std::net::TcpStream> {
    if n == 0 {
        return Vec::new();
    }
    let Ok(listener) = std::net::TcpListener::bind("127.0.0.1:0") else {
        return Vec::new();
    };
    let Ok(addr) = listener.local_addr() else {
        return Vec::new();
    };
    let mut held = Vec::with_capacity(2 * n);
    for _ in 0..n {
        match std::net::TcpStream::connect(addr).and_then(|c| Ok((c, listener.accept()?.0))) {
            Ok((c, s)) => {
                held.push(c);
                held.push(s);
            }
            Err(e) => {
                eprintln!("stopped at {} connections: {e}", held.len() / 2);
                break;
            }
        }
    }
    held
}

/// TCP sockets in use on the host (IPv4), from `net/sockstat` (what `ss -s` reads).
fn tcp_sockets() -> String {
    let text = HostRoot::live()
        .read_proc("net/sockstat")
        .unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with("TCP:"))
        .and_then(|l| l.split_whitespace().nth(2))
        .unwrap_or("?")
        .to_string()
}
