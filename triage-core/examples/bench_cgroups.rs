//! What reading cgroups costs on a busy container host (#15): 500 real cgroups and 2,000
//! sleeping processes, 4 per cgroup, made here under each v1 hierarchy (`cpu`, `cpuacct`,
//! `memory`, `pids`) or the unified one when it has those controllers. Prints, as medians
//! of RUNS runs, in the same run:
//!
//! - the `cgroups` collector's own work (its wall time minus the sampling interval it
//!   sleeps between the two CPU readings): what it adds to a snapshot (goal ≤ 30 ms);
//! - the `processes` collector with cgroup attribution (`/proc/PID/cgroup` of every
//!   process) minus its interval, next to `ps -e -o pid,ppid,user,stat,pcpu,rss,lstart,cgroup,args`
//!   (goal: ratio ≤ 0.5);
//! - the history recorder's cgroup pass (every leaf's counters, the top ones' limits).
//!
//! Root only. Everything made is removed at the end, on a panic and on Ctrl-C/SIGTERM;
//! leftovers of a killed run (`triage-bench-*` with no process left) are removed first.
//!
//! ```text
//! cargo run --release -p triage-core --example bench_cgroups [CGROUPS=500] [PROCESSES=2000] [RUNS=9]
//! ```

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use triage_core::collect::cgroups::sample::Sampler;
use triage_core::collect::{cgroups, processes, Ctx, Options};
use triage_core::HostRoot;

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

const INTERVAL: Duration = Duration::from_millis(250);

/// The hierarchies to make cgroups in: v1 directories, or the unified one.
fn hierarchies() -> Vec<PathBuf> {
    let base = Path::new("/sys/fs/cgroup");
    if base.join("cgroup.controllers").exists() {
        return vec![base.to_path_buf()];
    }
    ["cpu", "cpuacct", "memory", "pids"]
        .iter()
        .map(|c| base.join(c))
        .filter(|d| d.join("cgroup.procs").exists())
        .collect()
}

/// What this run made: killed and removed on drop.
struct Made {
    parents: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    children: Vec<Child>,
}

impl Drop for Made {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
        }
        for c in &mut self.children {
            let _ = c.wait();
        }
        // Children before their parents.
        for d in self.dirs.iter().rev().chain(self.parents.iter()) {
            triage_testkit::remove_cgroup(d);
        }
        eprintln!("removed {} cgroups", self.dirs.len());
    }
}

/// Leftovers of a run that was killed: `triage-bench-*` trees, children first.
fn remove_leftovers(hierarchies: &[PathBuf]) {
    for h in hierarchies {
        let Ok(entries) = std::fs::read_dir(h) else {
            continue;
        };
        for e in entries.flatten() {
            if !e.file_name().to_string_lossy().starts_with("triage-bench-") {
                continue;
            }
            let parent = e.path();
            if let Ok(kids) = std::fs::read_dir(&parent) {
                for k in kids.flatten().filter(|k| k.path().is_dir()) {
                    triage_testkit::remove_cgroup(&k.path());
                }
            }
            triage_testkit::remove_cgroup(&parent);
        }
    }
}

fn make(n_cgroups: usize, n_procs: usize) -> std::io::Result<Made> {
    let hs = hierarchies();
    remove_leftovers(&hs);
    let name = format!("triage-bench-{}", std::process::id());
    let mut made = Made {
        parents: Vec::new(),
        dirs: Vec::new(),
        children: Vec::new(),
    };
    for h in &hs {
        let p = h.join(&name);
        std::fs::create_dir(&p)?;
        made.parents.push(p);
    }
    let mut groups: Vec<Vec<PathBuf>> = Vec::new();
    for i in 0..n_cgroups {
        let mut dirs = Vec::new();
        for p in &made.parents {
            let d = p.join(format!("svc-{i:03}.service"));
            std::fs::create_dir(&d)?;
            made.dirs.push(d.clone());
            // A quota on every fourth, a memory limit on every third: like a container
            // host where some have limits.
            if i % 4 == 0 {
                let _ = std::fs::write(d.join("cpu.cfs_quota_us"), "50000");
                let _ = std::fs::write(d.join("cpu.max"), "50000 100000");
            }
            if i % 3 == 0 {
                let _ = std::fs::write(d.join("memory.limit_in_bytes"), "268435456");
                let _ = std::fs::write(d.join("memory.max"), "268435456");
            }
            dirs.push(d);
        }
        groups.push(dirs);
    }
    for i in 0..n_procs {
        if STOP.load(Ordering::SeqCst) {
            break;
        }
        let child = Command::new("sleep")
            .arg("900")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()?;
        for d in &groups[i % groups.len().max(1)] {
            std::fs::write(d.join("cgroup.procs"), child.id().to_string())?;
        }
        made.children.push(child);
    }
    Ok(made)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// This thread's CPU time so far (user + system).
fn thread_cpu() -> Duration {
    // SAFETY: a zeroed rusage is a valid out-parameter for getrusage.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `u` outlives the call.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut u) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// Wall time of one run of `f`; its CPU time on this thread is added to `cpu`.
fn time(f: &mut dyn FnMut(), cpu: &mut Vec<Duration>) -> Duration {
    let (t, c) = (Instant::now(), thread_cpu());
    f();
    cpu.push(thread_cpu().saturating_sub(c));
    t.elapsed()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n_cgroups: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(500);
    let n_procs: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(2000);
    let runs: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(9);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("run as root: it creates cgroups".into());
    }
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    let started = Instant::now();
    let made = make(n_cgroups, n_procs)?;
    println!(
        "made {} cgroups in {} hierarchies with {} sleeping processes in {:.1} s",
        made.dirs.len() / made.parents.len().max(1),
        made.parents.len(),
        made.children.len(),
        started.elapsed().as_secs_f64()
    );
    std::thread::sleep(Duration::from_millis(300));
    let root = HostRoot::live();
    let ctx = Ctx::new(
        root.clone(),
        Options {
            sample_interval: INTERVAL,
            ..Options::default()
        },
    );
    let (mut cg, mut pr, mut ps, mut rec) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut cg_cpu, mut rec_cpu, mut ignored) = (Vec::new(), Vec::new(), Vec::new());
    let mut listed = 0;
    let mut procs = 0;
    let mut sampler = Sampler::default();
    sampler.take(&root, &mut Vec::new());
    for _ in 0..runs {
        if STOP.load(Ordering::SeqCst) {
            break;
        }
        cg.push(
            time(
                &mut || listed = cgroups::collect(&ctx).map(|v| v.len()).unwrap_or(0),
                &mut cg_cpu,
            )
            .saturating_sub(INTERVAL),
        );
        pr.push(
            time(
                &mut || {
                    procs = processes::collect(&ctx)
                        .map(|t| t.processes.iter().filter(|p| p.cgroup.is_some()).count())
                        .unwrap_or(0)
                },
                &mut ignored,
            )
            .saturating_sub(INTERVAL),
        );
        ps.push(time(
            &mut || {
                let _ = Command::new("ps")
                    .args(["-e", "-o", "pid,ppid,user,stat,pcpu,rss,lstart,cgroup,args"])
                    .stdout(Stdio::null())
                    .status();
            },
            &mut ignored,
        ));
        rec.push(time(
            &mut || {
                sampler.take(&root, &mut Vec::new());
            },
            &mut rec_cpu,
        ));
    }
    if cg.is_empty() {
        return Ok(());
    }
    let (cg, pr, ps, rec) = (median(cg), median(pr), median(ps), median(rec));
    let (cg_cpu, rec_cpu) = (median(cg_cpu), median(rec_cpu));
    println!(
        "load {}; medians of {runs} interleaved runs",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    println!(
        "  {:<66} {:>9}  (goal ≤ 30 ms; {listed} listed; CPU {})",
        "cgroups collector, minus its 250 ms interval",
        ms(cg),
        ms(cg_cpu)
    );
    println!(
        "  {:<66} {:>9}  ({procs} with a cgroup)",
        "processes collector with cgroup attribution, minus its interval",
        ms(pr)
    );
    println!(
        "  {:<66} {:>9}",
        "ps -e -o pid,ppid,user,stat,pcpu,rss,lstart,cgroup,args",
        ms(ps)
    );
    println!(
        "  {:<66} {:>9.2}  (goal ≤ 0.5)",
        "ratio processes collector / ps",
        pr.as_secs_f64() / ps.as_secs_f64()
    );
    println!(
        "  {:<66} {:>9}  (CPU {})",
        "history recorder's cgroup pass (every leaf, top 6 kept)",
        ms(rec),
        ms(rec_cpu)
    );
    drop(made);
    Ok(())
}
