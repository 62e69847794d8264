//! `cpu`: utilisation over the sampling interval from two samples of `/proc/stat`
//! (see `proc(5)`, "/proc/stat"), parsed by `procfs-core`. Rates come from two raw samples
//! through one function, [`usage_between`], which the history recorder uses too.

use procfs_core::{CpuTime, ExplicitSystemInfo, FromReadSI, KernelStats};

use super::Ctx;
use crate::error::{Error, Result};
use crate::host_root::HostRoot;
use crate::snapshot::Cpu;

/// Read and parse `/proc/stat` under `root`.
pub(crate) fn read_stat(root: &HostRoot) -> Result<KernelStats> {
    let path = root.proc("stat");
    let text = root.read_proc("stat")?;
    parse_stat(&text).map_err(|m| Error::parse(&path, None, m))
}

/// Parse `/proc/stat` text.
pub(crate) fn parse_stat(text: &str) -> std::result::Result<KernelStats, String> {
    // Tick rate and page size only matter to procfs's *_ms helpers, which are not used.
    let info = ExplicitSystemInfo {
        boot_time_secs: 0,
        ticks_per_second: 100,
        page_size: 4096,
        is_little_endian: cfg!(target_endian = "little"),
    };
    KernelStats::from_read(text.as_bytes(), &info)
        .map_err(|e| format!("not a /proc/stat file: {e}"))
}

/// Collect the cpu section: sample, wait `ctx.opts.sample_interval`, sample again.
pub fn collect(ctx: &Ctx) -> Result<Cpu> {
    let first = read_stat(&ctx.root)?;
    if !ctx.root.is_live() || ctx.opts.sample_interval.is_zero() {
        // A saved tree does not change: report usage since boot, like `ps` and `vmstat`'s
        // first line.
        return Ok(usage_between(None, &first));
    }
    std::thread::sleep(ctx.opts.sample_interval);
    let second = read_stat(&ctx.root)?;
    Ok(usage_between(Some(&first), &second))
}

/// All ticks of `t`, saturating: a crafted `/proc/stat` (a `--root` tree) with counters
/// near `u64::MAX` must not overflow the sum.
fn ticks(t: &CpuTime) -> u64 {
    [
        t.user,
        t.nice,
        t.system,
        t.idle,
        t.iowait.unwrap_or(0),
        t.irq.unwrap_or(0),
        t.softirq.unwrap_or(0),
        t.steal.unwrap_or(0),
    ]
    .into_iter()
    .fold(0u64, u64::saturating_add)
}

/// CPU usage between two samples (`None` for `prev`: since boot). Guest time is already
/// counted in user time by the kernel, so it is not added again.
pub(crate) fn usage_between(prev: Option<&KernelStats>, cur: &KernelStats) -> Cpu {
    let d = |f: fn(&CpuTime) -> u64| -> u64 {
        f(&cur.total).saturating_sub(prev.map(|p| f(&p.total)).unwrap_or(0))
    };
    let total = d(ticks);
    let idle = d(|t| t.idle);
    let iowait = d(|t| t.iowait.unwrap_or(0));
    let steal = d(|t| t.steal.unwrap_or(0));
    let pct = |v: u64| -> f64 {
        if total == 0 {
            0.0
        } else {
            ((v as f64 * 1000.0 / total as f64).round() / 10.0).clamp(0.0, 100.0)
        }
    };
    Cpu {
        count: cur.cpu_time.len().max(1) as u32,
        usage_percent: pct(total.saturating_sub(idle.saturating_add(iowait))),
        iowait_percent: pct(iowait),
        steal_percent: pct(steal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "cpu  100 0 100 700 50 0 0 50 0 0\ncpu0 50 0 50 350 25 0 0 25 0 0\ncpu1 50 0 50 350 25 0 0 25 0 0\nctxt 1\nbtime 1700000000\nprocesses 10\nprocs_running 1\nprocs_blocked 0\n";
    const B: &str = "cpu  200 0 200 1300 150 0 0 150 0 0\ncpu0 100 0 100 650 75 0 0 75 0 0\ncpu1 100 0 100 650 75 0 0 75 0 0\nctxt 2\nbtime 1700000000\nprocesses 12\nprocs_running 3\nprocs_blocked 1\n";

    /// Counters near `u64::MAX` (a crafted tree) overflowed the tick sum in a debug build.
    #[test]
    fn counters_near_the_maximum_do_not_overflow() {
        let m = u64::MAX;
        let text = format!("cpu  {m} {m} {m} {m} {m} 0 0 0 0 0\ncpu0 {m} 0 0 0 0 0 0 0 0 0\nctxt 1\nbtime 1700000000\nprocesses 10\nprocs_running 1\nprocs_blocked 0\n");
        let cpu = usage_between(None, &parse_stat(&text).unwrap());
        assert!((0.0..=100.0).contains(&cpu.usage_percent), "{cpu:?}");
    }

    #[test]
    fn usage_from_two_samples() {
        let a = parse_stat(A).unwrap();
        let b = parse_stat(B).unwrap();
        // deltas: user 100, system 100, idle 600, iowait 100, steal 100 → total 1000
        let cpu = usage_between(Some(&a), &b);
        assert_eq!(cpu.count, 2);
        assert_eq!(cpu.usage_percent, 30.0); // user+system+steal
        assert_eq!(cpu.iowait_percent, 10.0);
        assert_eq!(cpu.steal_percent, 10.0);
    }

    #[test]
    fn identical_samples_give_zero_not_nan() {
        let a = parse_stat(A).unwrap();
        let cpu = usage_between(Some(&a), &a);
        assert_eq!(cpu.usage_percent, 0.0);
    }

    #[test]
    fn garbled_stat_is_an_error() {
        assert!(parse_stat("cpu  1 2 x\n").is_err());
        assert!(parse_stat("").is_err());
    }
}
