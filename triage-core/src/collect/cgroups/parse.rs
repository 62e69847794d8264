//! Pure parsers for cgroup files (formats in the kernel's
//! `Documentation/admin-guide/cgroup-v2.rst` "Interface Files" and `cgroup-v1/*.rst`),
//! and the CPU figures computed from two samples of the counters.
//!
//! Every cgroup file triage reads is one of three shapes: a single number or `max`
//! (`memory.max`, `pids.max`), `QUOTA PERIOD` (`cpu.max`), or flat-keyed `KEY VALUE`
//! lines (`cpu.stat`, `memory.events`, `memory.oom_control`). `/proc/PID/cgroup` is
//! parsed by `procfs-core`.

use std::collections::HashMap;

use procfs_core::FromBufRead;

use crate::snapshot::CgroupCpu;

/// Flat-keyed `KEY VALUE` lines; a value that is not a whole number is an error naming
/// its line.
pub(crate) fn flat_keyed(text: &str) -> Result<HashMap<String, u64>, String> {
    let mut out = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (key, value) = line
            .split_once(' ')
            .ok_or_else(|| format!("line {}: expected `KEY VALUE`, got {line:?}", n + 1))?;
        let value = value
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("line {}: {key}: not a whole number: {value:?}", n + 1))?;
        out.insert(key.to_string(), value);
    }
    Ok(out)
}

/// One number, or `max` (no limit → `None`).
pub(crate) fn number_or_max(text: &str) -> Result<Option<u64>, String> {
    let t = text.trim();
    if t == "max" {
        return Ok(None);
    }
    t.parse::<u64>()
        .map(Some)
        .map_err(|_| format!("expected a number or `max`, got {t:?}"))
}

/// One (possibly negative) number, as v1 writes `-1` for "no quota".
pub(crate) fn signed(text: &str) -> Result<i64, String> {
    let t = text.trim();
    t.parse::<i64>()
        .map_err(|_| format!("expected a number, got {t:?}"))
}

/// `cpu.max` (`max 100000` or `50000 100000`): the quota in cores.
pub(crate) fn cpu_max(text: &str) -> Result<Option<f64>, String> {
    let mut it = text.split_whitespace();
    let (Some(quota), Some(period)) = (it.next(), it.next()) else {
        return Err(format!("expected `QUOTA PERIOD`, got {:?}", text.trim()));
    };
    if quota == "max" {
        return Ok(None);
    }
    let q = quota
        .parse::<u64>()
        .map_err(|_| format!("quota: not a number: {quota:?}"))?;
    let p = period
        .parse::<u64>()
        .map_err(|_| format!("period: not a number: {period:?}"))?;
    Ok(cores(q as i64, p))
}

/// A CFS quota over its period, in cores; `None` for no quota (v1 `-1`).
pub fn cores(quota_us: i64, period_us: u64) -> Option<f64> {
    (quota_us > 0 && period_us > 0).then(|| round2(quota_us as f64 / period_us as f64))
}

/// v1 memory limits are a page-counter maximum rounded to pages
/// (9223372036854771712 on x86-64) when unset: anything that large is no limit.
pub(crate) fn v1_limit(bytes: u64) -> Option<u64> {
    (bytes < 1 << 62).then_some(bytes)
}

/// The CPU counters of one cgroup at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct CpuCounters {
    /// CPU time used, microseconds (v2 `usage_usec`, v1 `cpuacct.usage` / 1000).
    pub usage_usec: Option<u64>,
    /// `nr_periods`.
    pub periods: Option<u64>,
    /// `nr_throttled`.
    pub throttled: Option<u64>,
    /// Time throttled, microseconds (v2 `throttled_usec`, v1 `throttled_time` / 1000).
    pub throttled_usec: Option<u64>,
}

impl CpuCounters {
    /// From a `cpu.stat`: v2 names (`usage_usec`, `throttled_usec`) or v1 names
    /// (`throttled_time`, nanoseconds; usage comes from `cpuacct.usage`).
    pub fn from_cpu_stat(stat: &HashMap<String, u64>) -> CpuCounters {
        CpuCounters {
            usage_usec: stat.get("usage_usec").copied(),
            periods: stat.get("nr_periods").copied(),
            throttled: stat.get("nr_throttled").copied(),
            throttled_usec: stat
                .get("throttled_usec")
                .copied()
                .or_else(|| stat.get("throttled_time").map(|ns| ns / 1000)),
        }
    }
}

/// The CPU figures from two samples `seconds` apart (live), or from one sample
/// (`seconds` = `None`: a saved tree; throttling over the cgroup's lifetime, no usage).
pub(crate) fn cpu_figures(
    first: &CpuCounters,
    second: &CpuCounters,
    seconds: Option<f64>,
    quota_cores: Option<f64>,
) -> CgroupCpu {
    let delta = |a: Option<u64>, b: Option<u64>| Some(b?.saturating_sub(a?));
    let (usage_percent, throttled_percent) = match seconds.filter(|s| *s > 0.0) {
        Some(secs) => {
            let usage = delta(first.usage_usec, second.usage_usec)
                .map(|us| round1(us as f64 / 1e6 / secs * 100.0));
            let periods = delta(first.periods, second.periods);
            let throttled = delta(first.throttled, second.throttled);
            (usage, share(throttled, periods))
        }
        None => (None, share(second.throttled, second.periods)),
    };
    CgroupCpu {
        usage_percent,
        quota_cores,
        periods: second.periods,
        throttled_periods: second.throttled,
        throttled_percent,
        throttled_seconds: second.throttled_usec.map(|us| round2(us as f64 / 1e6)),
    }
}

fn share(part: Option<u64>, whole: Option<u64>) -> Option<f64> {
    let whole = whole?;
    let part = part?;
    Some(if whole == 0 {
        0.0
    } else {
        round1(part.min(whole) as f64 / whole as f64 * 100.0)
    })
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The paths of one process in each hierarchy, from `/proc/PID/cgroup`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcCgroups {
    /// The unified hierarchy (`0::PATH`).
    pub unified: Option<String>,
    /// The v1 memory hierarchy.
    pub memory: Option<String>,
    /// The v1 cpu hierarchy (alone or with cpuacct).
    pub cpu: Option<String>,
    /// systemd's own v1 hierarchy (`name=systemd`), where the unit shows on v1 hosts.
    pub systemd: Option<String>,
}

impl ProcCgroups {
    /// The path that keys the process into `cgroups[]`: the v1 memory, else cpu,
    /// hierarchy where there is one (v1 and hybrid hosts), else the unified one.
    pub fn key(&self) -> Option<&str> {
        self.memory
            .as_deref()
            .or(self.cpu.as_deref())
            .or(self.unified.as_deref())
            .or(self.systemd.as_deref())
    }

    /// Every distinct path, the key first: where to look for a unit or container name.
    pub fn candidates(&self) -> impl Iterator<Item = &str> {
        let key = self.key();
        key.into_iter().chain(
            [&self.systemd, &self.unified, &self.cpu]
                .into_iter()
                .filter_map(|p| p.as_deref())
                .filter(move |p| Some(*p) != key),
        )
    }
}

/// Parse `/proc/PID/cgroup`.
pub fn proc_cgroup(text: &str) -> Result<ProcCgroups, String> {
    let groups = procfs_core::ProcessCGroups::from_buf_read(text.as_bytes())
        .map_err(|e| format!("not a /proc/PID/cgroup file ({e})"))?;
    let mut out = ProcCgroups::default();
    for g in groups {
        let path = Some(g.pathname);
        if g.hierarchy == 0 && g.controllers.is_empty() {
            out.unified = path;
        } else if g.controllers.iter().any(|c| c == "memory") {
            out.memory = path;
        } else if g.controllers.iter().any(|c| c == "cpu") {
            out.cpu = path;
        } else if g.controllers.iter().any(|c| c == "name=systemd") {
            out.systemd = path;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_keyed_v2_cpu_stat() {
        // Shape of a v2 cpu.stat with the cpu controller enabled (Linux 5.x+).
        let s = flat_keyed(
            "usage_usec 8437225\nuser_usec 6016843\nsystem_usec 2420382\nnr_periods 1520\nnr_throttled 912\nthrottled_usec 45210334\n",
        )
        .unwrap();
        let c = CpuCounters::from_cpu_stat(&s);
        assert_eq!(c.usage_usec, Some(8_437_225));
        assert_eq!(c.periods, Some(1520));
        assert_eq!(c.throttled, Some(912));
        assert_eq!(c.throttled_usec, Some(45_210_334));
    }

    #[test]
    fn flat_keyed_v1_cpu_stat_time_in_ns() {
        let s = flat_keyed(
            "nr_periods 10\nnr_throttled 4\nthrottled_time 2500000000\nnr_bursts 0\nburst_time 0\n",
        )
        .unwrap();
        let c = CpuCounters::from_cpu_stat(&s);
        assert_eq!(c.throttled_usec, Some(2_500_000));
        assert_eq!(c.usage_usec, None);
    }

    #[test]
    fn flat_keyed_bad_line_names_it() {
        let e = flat_keyed("oom 1\noom_kill lots\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("oom_kill"), "{e}");
        assert!(flat_keyed("justakey\n").unwrap_err().contains("line 1"));
    }

    #[test]
    fn limits() {
        assert_eq!(number_or_max("max\n").unwrap(), None);
        assert_eq!(number_or_max("67108864\n").unwrap(), Some(64 << 20));
        assert!(number_or_max("lots").is_err());
        assert_eq!(cpu_max("max 100000\n").unwrap(), None);
        assert_eq!(cpu_max("50000 100000\n").unwrap(), Some(0.5));
        assert_eq!(cpu_max("250000 100000").unwrap(), Some(2.5));
        assert!(cpu_max("50000").is_err());
        assert!(cpu_max("x 100000").is_err());
        assert_eq!(cores(-1, 100_000), None);
        assert_eq!(cores(10_000, 100_000), Some(0.1));
        assert_eq!(v1_limit(9_223_372_036_854_771_712), None);
        assert_eq!(v1_limit(64 << 20), Some(64 << 20));
        assert_eq!(signed("-1\n").unwrap(), -1);
    }

    #[test]
    fn rates_over_the_interval() {
        let a = CpuCounters {
            usage_usec: Some(1_000_000),
            periods: Some(100),
            throttled: Some(10),
            throttled_usec: Some(0),
        };
        let b = CpuCounters {
            usage_usec: Some(1_025_000),
            periods: Some(104),
            throttled: Some(13),
            throttled_usec: Some(2_500_000),
        };
        let f = cpu_figures(&a, &b, Some(0.25), Some(0.1));
        assert_eq!(f.usage_percent, Some(10.0));
        assert_eq!(f.throttled_percent, Some(75.0));
        assert_eq!(f.periods, Some(104));
        assert_eq!(f.throttled_periods, Some(13));
        assert_eq!(f.throttled_seconds, Some(2.5));
        assert_eq!(f.quota_cores, Some(0.1));
        // No period elapsed: nothing throttled, not a division by zero.
        assert_eq!(
            cpu_figures(&a, &a, Some(0.25), None).throttled_percent,
            Some(0.0)
        );
        // A saved tree: lifetime share, no usage rate.
        let t = cpu_figures(&b, &b, None, None);
        assert_eq!(t.usage_percent, None);
        assert_eq!(t.throttled_percent, Some(12.5));
    }

    #[test]
    fn proc_cgroup_v1_picks_memory_then_cpu() {
        // This machine's own /proc/self/cgroup (v1 with an empty unified hierarchy).
        let text = "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/1f672ab0\n2:cpuacct:/\n1:cpu:/\n0::/\n";
        let p = proc_cgroup(text).unwrap();
        assert_eq!(p.key(), Some("/process_api/1f672ab0"));
        assert_eq!(p.systemd.as_deref(), Some("/"));
        let text = "11:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n";
        assert_eq!(proc_cgroup(text).unwrap().key(), Some("/docker/abc"));
    }

    #[test]
    fn proc_cgroup_v2_and_garbage() {
        let p = proc_cgroup("0::/system.slice/nginx.service\n").unwrap();
        assert_eq!(p.key(), Some("/system.slice/nginx.service"));
        assert_eq!(p.candidates().count(), 1);
        assert!(proc_cgroup("not a cgroup line\n").is_err());
    }
}
