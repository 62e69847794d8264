//! The recorder's view of the cgroups: in every history sample, the few cgroups that used
//! the most CPU, were throttled the most or held the most memory, and any that had a
//! process OOM-killed, with rates over the interval since the previous sample — so
//! "which pod was throttled at 03:10" is answered from `triage history`.
//!
//! Only leaf cgroups are ranked (those without child cgroups): processes live there (cgroup
//! v2 forbids them in inner nodes that have controllers; systemd and the container runtimes
//! put them in leaves on v1 too), and a parent slice would always outrank its children with
//! their sum. Each sample reads, per leaf, the CPU counters and the memory figures (3–4
//! small files); the limits and names only for the few kept.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::naming::Namer;
use super::parse::{self, CpuCounters};
use super::read::Reader;
use super::{layout, walk};
use crate::host_root::HostRoot;

/// Cgroups kept per ranking (CPU, throttled share, memory).
pub const TOP_EACH: usize = 3;
/// Cgroups kept per sample at most (the rankings overlap; OOM kills come first).
pub const MAX_KEPT: usize = 6;
/// Longest path kept, in characters: the end is kept (it names the container), the start
/// becomes `…`.
pub const MAX_PATH_CHARS: usize = 96;
/// Longest name kept, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// One cgroup in a history sample. Stored with postcard inside the sample: a change here
/// needs a new segment format version (`history::store::VERSION`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CgroupSample {
    /// Path inside its hierarchy, cut to [`MAX_PATH_CHARS`] from the start.
    pub path: String,
    /// Pod/container or unit (`pod shop/web-7d9f container nginx`, `unit nginx.service`).
    pub name: Option<String>,
    /// CPU over the interval, 100 = one core.
    pub cpu_percent: Option<f32>,
    /// CFS quota in cores; `None` when unlimited.
    pub quota_cores: Option<f32>,
    /// Share of the enforcement periods in the interval in which it was throttled.
    pub throttled_percent: Option<f32>,
    /// Memory in use (page cache included).
    pub memory_bytes: Option<u64>,
    /// Hard memory limit; `None` when unlimited.
    pub memory_max_bytes: Option<u64>,
    /// Processes OOM-killed in it during the interval.
    pub oom_kills: u32,
}

/// The previous counters of every leaf, for rates one interval later.
#[derive(Debug, Default)]
pub struct Sampler {
    prev: HashMap<String, (CpuCounters, Option<u64>)>,
    prev_at: Option<Instant>,
}

/// What one leaf read now.
struct Now<'a> {
    path: &'a str,
    hs: &'a [usize],
    cpu_percent: Option<f64>,
    throttled_percent: Option<f64>,
    memory: Option<u64>,
    oom_kills: u32,
}

impl Sampler {
    /// Read every leaf cgroup under `root` and keep the top ones; `problems` gets one line
    /// when files could not be read. Empty when no hierarchy is mounted.
    pub fn take(&mut self, root: &HostRoot, problems: &mut Vec<String>) -> Vec<CgroupSample> {
        let hierarchies = layout(root);
        let mut walk_problems = Vec::new();
        let mut capped = Vec::new();
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, h) in hierarchies.iter().enumerate() {
            for path in walk(root, h, &mut walk_problems, &mut capped) {
                groups.entry(path).or_default().push(i);
            }
        }
        problems.extend(capped);
        let reader = Reader::new(root, &hierarchies);
        let at = Instant::now();
        let seconds = self.prev_at.map(|p| at.duration_since(p).as_secs_f64());
        let mut prev = std::mem::take(&mut self.prev);
        let mut now = Vec::new();
        let keys: Vec<&String> = groups.keys().collect();
        for (i, (path, hs)) in groups.iter().enumerate() {
            let leaf = keys
                .get(i + 1)
                .is_none_or(|next| !next.starts_with(&format!("{path}/")));
            if path == "/" || !leaf {
                continue;
            }
            let cpu = reader.cpu_counters(path, hs);
            let (memory, kills) = reader.memory_now(path, hs);
            let before = prev.remove(path.as_str());
            let figures = before
                .as_ref()
                .map(|(c, _)| parse::cpu_figures(c, &cpu, seconds, None));
            let oom_kills = match (before.as_ref().and_then(|b| b.1), kills) {
                (Some(a), Some(b)) => u32::try_from(b.saturating_sub(a)).unwrap_or(u32::MAX),
                _ => 0,
            };
            self.prev.insert(path.clone(), (cpu, kills));
            now.push(Now {
                path,
                hs,
                cpu_percent: figures.as_ref().and_then(|f| f.usage_percent),
                throttled_percent: figures.as_ref().and_then(|f| f.throttled_percent),
                memory,
                oom_kills,
            });
        }
        self.prev_at = Some(at);
        let kept = choose(&now);
        let mut namer = Namer::new(root);
        let out = kept
            .into_iter()
            .map(|n| describe(&reader, &mut namer, n))
            .collect();
        walk_problems.extend(reader.take_problems());
        if let Some(first) = walk_problems.first() {
            problems.push(format!(
                "{} cgroup file(s) unreadable or malformed, first: {first}",
                walk_problems.len()
            ));
        }
        out
    }
}

/// The top [`TOP_EACH`] by CPU, by throttled share and by memory, and every cgroup with an
/// OOM kill, worst first, at most [`MAX_KEPT`].
fn choose<'n, 'a>(now: &'n [Now<'a>]) -> Vec<&'n Now<'a>> {
    let ranked = |key: &dyn Fn(&Now) -> f64| {
        let mut v: Vec<&Now> = now.iter().filter(|n| key(n) > 0.0).collect();
        v.sort_by(|a, b| key(b).total_cmp(&key(a)));
        v.truncate(TOP_EACH);
        v
    };
    let mut kept: Vec<&Now> = now.iter().filter(|n| n.oom_kills > 0).collect();
    let throttled = ranked(&|n| n.throttled_percent.unwrap_or(0.0));
    let cpu = ranked(&|n| n.cpu_percent.unwrap_or(0.0));
    let memory = ranked(&|n| n.memory.unwrap_or(0) as f64);
    // Interleaved, so each ranking's first is kept before any ranking's third.
    for i in 0..TOP_EACH {
        for list in [&throttled, &cpu, &memory] {
            if let Some(n) = list.get(i) {
                if !kept.iter().any(|k| k.path == n.path) {
                    kept.push(n);
                }
            }
        }
    }
    kept.truncate(MAX_KEPT);
    kept
}

/// Limits and name of a kept cgroup (read only for these few).
fn describe(reader: &Reader, namer: &mut Namer, n: &Now) -> CgroupSample {
    let full = reader.rest(n.path, n.hs, namer);
    // `unit nginx.service` for `/system.slice/nginx.service` says nothing the path does
    // not: the name is kept only when it adds something (a pod, a container's name).
    let name = full
        .as_ref()
        .filter(|c| c.container.is_some() || c.unit.is_some())
        .filter(|c| {
            c.container.is_some()
                || !c
                    .unit
                    .as_deref()
                    .is_some_and(|u| n.path.ends_with(&format!("/{u}")))
        })
        .map(|c| cut_end(&c.label(), MAX_NAME_CHARS, false));
    CgroupSample {
        path: cut_end(n.path, MAX_PATH_CHARS, true),
        name,
        cpu_percent: n.cpu_percent.map(|v| v as f32),
        quota_cores: full
            .as_ref()
            .and_then(|c| c.cpu.quota_cores)
            .map(|v| v as f32),
        throttled_percent: n.throttled_percent.map(|v| v as f32),
        memory_bytes: n.memory,
        memory_max_bytes: full.as_ref().and_then(|c| c.memory.max_bytes),
        oom_kills: n.oom_kills,
    }
}

/// `s` in at most `max` characters: with `keep_end`, `…` and the last characters (a path's
/// end names the container), else the first characters and `…`.
fn cut_end(s: &str, max: usize, keep_end: bool) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    match keep_end {
        true => format!("…{}", s.chars().skip(n - (max - 1)).collect::<String>()),
        false => format!("{}…", s.chars().take(max - 1).collect::<String>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_the_end_of_paths() {
        let p = format!(
            "/kubepods.slice/{}/cri-containerd-{}.scope",
            "x".repeat(80),
            "a".repeat(64)
        );
        let c = cut_end(&p, MAX_PATH_CHARS, true);
        assert_eq!(c.chars().count(), MAX_PATH_CHARS);
        assert!(c.starts_with('…') && c.ends_with(".scope"), "{c}");
        assert_eq!(cut_end("short", 10, true), "short");
        assert_eq!(cut_end("abcdef", 4, false), "abc…");
    }

    fn now<'a>(path: &'a str, cpu: f64, thr: f64, mem: u64, oom: u32) -> Now<'a> {
        Now {
            path,
            hs: &[],
            cpu_percent: Some(cpu),
            throttled_percent: Some(thr),
            memory: Some(mem),
            oom_kills: oom,
        }
    }

    #[test]
    fn choose_puts_oom_then_each_rankings_first() {
        let v = vec![
            now("/a", 90.0, 0.0, 1, 0),
            now("/b", 80.0, 0.0, 2, 0),
            now("/c", 70.0, 0.0, 3, 0),
            now("/d", 60.0, 50.0, 4, 0),
            now("/e", 1.0, 0.0, 900, 0),
            now("/f", 0.0, 0.0, 5, 2),
            now("/g", 50.0, 0.0, 800, 0),
        ];
        let kept: Vec<&str> = choose(&v).iter().map(|n| n.path).collect();
        // OOM first; then throttled #1, CPU #1, memory #1; then the second of each.
        assert_eq!(kept, ["/f", "/d", "/a", "/e", "/b", "/g"]);
    }
}
