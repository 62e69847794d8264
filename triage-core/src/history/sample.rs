//! What one history sample holds, and taking one.
//!
//! A [`Recorder`] keeps the previous raw readings (`/proc/stat`, per-process ticks from
//! `/proc/PID/stat`, `/proc/diskstats`, `/proc/net/dev`) between calls, so rates are
//! computed from two readings one interval apart without sleeping inside a sample
//! ("raw counters in, rates out"). Instant figures come from `/proc/loadavg`,
//! `/proc/meminfo`, `/proc/pressure/*` and the socket counters (see [`super::probe`]).
//! Only the ≤ 10 selected processes have their `cmdline` read, under a deadline.
//! Listening TCP ports are read by [`super::listen`], the top cgroups by
//! [`crate::collect::cgroups::sample`].

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use super::listen::ListenPort;
use super::listen::Listeners;
use super::probe::{self, read_raw, Raw};
pub use crate::collect::cgroups::sample::CgroupSample;
use crate::collect::cgroups::sample::Sampler as CgroupSampler;
use crate::collect::processes::{self, Scale};
use crate::collect::{cpu, load, memory, pressure};
use crate::deadline::{self, InFlight};
use crate::host_root::HostRoot;
use crate::snapshot::Time;

/// Processes kept per sample: the top N by CPU and the top N by memory.
pub(crate) const TOP_N: usize = 5;
/// Longest command line kept, in characters.
pub(crate) const MAX_COMMAND_CHARS: usize = 120;
/// Deadline for reading the selected processes' command lines.
const CMDLINE_DEADLINE: Duration = Duration::from_millis(300);

/// One recorded sample. Stored with postcard, which keeps no field names: any change to
/// these types needs a new segment format version ([`super::store::VERSION`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Sample {
    /// When, Unix seconds. Keep it first: [`super::read_range`] reads it alone to skip
    /// records out of range without decoding them.
    pub time: i64,
    /// The recorder's UTC offset then, seconds east (to print local times).
    pub utc_offset: i32,
    /// Seconds the rates cover.
    pub interval_s: f32,
    /// Load averages.
    pub load: Option<LoadAvg>,
    /// CPU use over the interval.
    pub cpu: Option<CpuUse>,
    /// Memory and swap.
    pub memory: Option<MemUse>,
    /// PSI `some avg10` (and `full avg10`) per resource; `None` when unknown.
    pub pressure: Psi,
    /// Whole disks, busiest first (at most 8).
    pub disks: Vec<DiskRate>,
    /// Network interfaces but `lo` (at most 8).
    pub nets: Vec<NetRate>,
    /// TCP socket counts.
    pub tcp: Option<TcpCounts>,
    /// Process counts.
    pub tasks: Option<TaskCounts>,
    /// Union of the top 5 by CPU and the top 5 by memory, by CPU descending.
    pub top: Vec<TopProcess>,
    /// Listening TCP ports (tcp and tcp6, any address), one per port, ascending; `None`
    /// when the socket tables could not be read (not "nothing listens").
    pub listeners: Option<Vec<ListenPort>>,
    /// The top cgroups by CPU, throttling and memory, and those with an OOM kill
    /// (format version 3; empty in samples of version 2 files). Keep it last: a version 2
    /// record is a version 3 record without it (see [`super::decode`]).
    pub cgroups: Vec<CgroupSample>,
}

/// Load averages (`/proc/loadavg`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct LoadAvg {
    /// 1 minute.
    pub one: f32,
    /// 5 minutes.
    pub five: f32,
    /// 15 minutes.
    pub fifteen: f32,
}

/// CPU use over the interval, percent of all CPUs.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct CpuUse {
    /// Busy (not idle, not iowait).
    pub usage_percent: f32,
    /// Idle with I/O outstanding.
    pub iowait_percent: f32,
    /// Stolen by the hypervisor.
    pub steal_percent: f32,
}

/// Memory and swap, bytes.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct MemUse {
    /// MemTotal.
    pub total_bytes: u64,
    /// MemAvailable.
    pub available_bytes: u64,
    /// SwapTotal.
    pub swap_total_bytes: u64,
    /// SwapTotal − SwapFree.
    pub swap_used_bytes: u64,
}

/// PSI averages over 10 s, percent.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Psi {
    /// CPU some.
    pub cpu: Option<f32>,
    /// Memory some.
    pub memory: Option<f32>,
    /// I/O some.
    pub io: Option<f32>,
    /// Memory full.
    pub memory_full: Option<f32>,
    /// I/O full.
    pub io_full: Option<f32>,
}

/// One disk's rates over the interval.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DiskRate {
    /// Device name (`sda`, `nvme0n1`).
    pub name: String,
    /// Bytes read per second.
    pub read_bytes_per_s: u64,
    /// Bytes written per second.
    pub write_bytes_per_s: u64,
    /// Mean time per completed I/O, ms (like iostat's `await`).
    pub await_ms: f32,
    /// Share of the interval the device was busy, percent.
    pub util_percent: f32,
}

/// One interface's rates over the interval.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NetRate {
    /// Interface name.
    pub name: String,
    /// Bytes received per second.
    pub rx_bytes_per_s: u64,
    /// Bytes sent per second.
    pub tx_bytes_per_s: u64,
    /// Receive errors and drops during the interval.
    pub rx_errors: u64,
    /// Transmit errors and drops during the interval.
    pub tx_errors: u64,
}

pub use crate::collect::counters::TcpCounts;

/// Process counts by state.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct TaskCounts {
    /// Processes.
    pub total: u32,
    /// Running (R).
    pub running: u32,
    /// Uninterruptible (D).
    pub blocked: u32,
    /// Zombies (Z).
    pub zombie: u32,
}

/// One top process.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TopProcess {
    /// Process id.
    pub pid: i32,
    /// Command line (redacted, cut at 120 characters), or `[comm]`.
    pub command: String,
    /// CPU over the interval, 100 = one core.
    pub cpu_percent: f32,
    /// Resident memory, bytes.
    pub rss_bytes: u64,
}

impl Sample {
    /// The sample's time with the offset it was recorded in.
    pub fn time(&self) -> Option<Time> {
        let offset = chrono::FixedOffset::east_opt(self.utc_offset)
            .or_else(|| chrono::FixedOffset::east_opt(0))?;
        chrono::DateTime::from_timestamp(self.time, 0).map(|t| t.with_timezone(&offset))
    }

    /// Memory used (total − available), bytes.
    pub fn memory_used_bytes(&self) -> Option<u64> {
        self.memory
            .map(|m| m.total_bytes.saturating_sub(m.available_bytes))
    }
}

/// Takes samples, keeping the previous raw readings for rates.
pub struct Recorder {
    root: HostRoot,
    scale: Scale,
    redact: bool,
    prev: Raw,
    stuck: InFlight,
    listeners: Listeners,
    cgroups: CgroupSampler,
}

impl Recorder {
    /// A recorder reading from `root`; takes the first raw reading now, so the first
    /// [`Recorder::take`] one interval later has rates.
    pub fn new(root: HostRoot, redact: bool) -> Recorder {
        let scale = Scale::for_root(&root);
        let (prev, _, _) = read_raw(&root);
        let mut cgroups = CgroupSampler::default();
        // The first counters, so the first sample has cgroup rates too.
        cgroups.take(&root, &mut Vec::new());
        Recorder {
            root,
            scale,
            redact,
            prev,
            stuck: InFlight::default(),
            listeners: Listeners::default(),
            cgroups,
        }
    }

    /// Take one sample; the strings are problems worth a log line (the sample is still
    /// usable: a part that could not be read is `None` or empty).
    pub fn take(&mut self) -> (Sample, Vec<String>) {
        let (raw, procs, mut problems) = read_raw(&self.root);
        let now = crate::snapshot::now();
        let seconds = raw.at.duration_since(self.prev.at).as_secs_f64();
        let mut s = Sample {
            time: now.timestamp(),
            utc_offset: now.offset().local_minus_utc(),
            interval_s: seconds as f32,
            ..Sample::default()
        };
        s.load = read_with(&self.root, "loadavg", load::parse, &mut problems).map(|l| LoadAvg {
            one: l.one as f32,
            five: l.five as f32,
            fifteen: l.fifteen as f32,
        });
        s.memory =
            read_with(&self.root, "meminfo", memory::parse, &mut problems).map(|(m, _)| MemUse {
                total_bytes: m.total_bytes,
                available_bytes: m.available_bytes,
                swap_total_bytes: m.swap_total_bytes,
                swap_used_bytes: m.swap_total_bytes.saturating_sub(m.swap_free_bytes),
            });
        if let Some(stat) = &raw.stat {
            let c = cpu::usage_between(self.prev.stat.as_ref(), stat);
            s.cpu = Some(CpuUse {
                usage_percent: c.usage_percent as f32,
                iowait_percent: c.iowait_percent as f32,
                steal_percent: c.steal_percent as f32,
            });
        }
        let psi = |name: &str| {
            let text = self.root.read_proc(format!("pressure/{name}")).ok()?;
            pressure::parse(&text).ok()
        };
        let (pc, pm, pi) = (psi("cpu"), psi("memory"), psi("io"));
        s.pressure = Psi {
            cpu: pc.as_ref().map(|p| p.some_avg10 as f32),
            memory: pm.as_ref().map(|p| p.some_avg10 as f32),
            io: pi.as_ref().map(|p| p.some_avg10 as f32),
            memory_full: pm.and_then(|p| p.full_avg10).map(|v| v as f32),
            io_full: pi.and_then(|p| p.full_avg10).map(|v| v as f32),
        };
        s.disks = probe::disk_rates(&self.prev.disks, &raw.disks, seconds);
        s.nets = probe::net_rates(&self.prev.nets, &raw.nets, seconds);
        let read = |rel: &str| self.root.read_proc(rel).unwrap_or_default();
        s.tcp = crate::collect::counters::parse_tcp(
            &read("net/sockstat"),
            &read("net/sockstat6"),
            &read("net/snmp"),
        );
        if let Some(procs) = procs {
            s.tasks = Some(count_tasks(&procs));
            s.top = self.top_processes(&procs, seconds);
        }
        s.listeners = self.listeners.take(&self.root, &mut problems);
        s.cgroups = self.cgroups.take(&self.root, &mut problems);
        self.prev = raw;
        (s, problems)
    }

    /// The union of the top processes by CPU and by RSS, with their command lines.
    fn top_processes(&mut self, procs: &[processes::RawProc], seconds: f64) -> Vec<TopProcess> {
        let tps = self.scale.ticks_per_second;
        let mut rows: Vec<(&processes::RawProc, f64)> = procs
            .iter()
            .map(|p| {
                let prev = self
                    .prev
                    .procs
                    .get(&p.pid)
                    .filter(|(start, _)| *start == p.start_ticks)
                    .map(|(_, t)| *t)
                    // Born during the interval: all its ticks are from it.
                    .unwrap_or(0);
                let pct = processes::cpu_percent(p.cpu_ticks.saturating_sub(prev), seconds, tps);
                (p, pct)
            })
            .collect();
        let mut chosen: HashSet<i32> = HashSet::new();
        rows.sort_by(|a, b| b.1.total_cmp(&a.1));
        chosen.extend(
            rows.iter()
                .filter(|r| r.1 > 0.0)
                .take(TOP_N)
                .map(|r| r.0.pid),
        );
        let mut by_rss: Vec<&processes::RawProc> = procs.iter().collect();
        by_rss.sort_by_key(|p| std::cmp::Reverse(p.rss_pages));
        chosen.extend(
            by_rss
                .iter()
                .filter(|p| p.rss_pages > 0)
                .take(TOP_N)
                .map(|p| p.pid),
        );
        let pids: Vec<i32> = chosen.iter().copied().collect();
        let cmdlines = self.cmdlines(pids);
        rows.into_iter()
            .filter(|(p, _)| chosen.contains(&p.pid))
            .map(|(p, pct)| {
                let cmd = cmdlines
                    .get(&p.pid)
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| format!("[{}]", p.comm));
                let cmd = if self.redact {
                    crate::redact::redact(&cmd).into_owned()
                } else {
                    cmd
                };
                TopProcess {
                    pid: p.pid,
                    command: cmd.chars().take(MAX_COMMAND_CHARS).collect(),
                    cpu_percent: pct as f32,
                    rss_bytes: p.rss_pages * self.scale.page_size,
                }
            })
            .collect()
    }

    /// Command lines of `pids`, read on a helper thread under a deadline; a read still
    /// stuck from an earlier sample (a D-state process) is not started again.
    fn cmdlines(&mut self, pids: Vec<i32>) -> HashMap<i32, Option<String>> {
        if self.stuck.still_stuck("cmdline").is_some() {
            return HashMap::new();
        }
        let root = self.root.clone();
        let task = deadline::spawn("cmdline", CMDLINE_DEADLINE, move || {
            pids.into_iter()
                .map(|pid| (pid, processes::read_cmdline(&root, pid)))
                .collect::<HashMap<_, _>>()
        });
        let flag = task.finished_flag();
        let started = Instant::now();
        match task.wait() {
            Ok((map, _)) => map,
            Err(_) => {
                self.stuck.abandoned("cmdline", flag, started);
                HashMap::new()
            }
        }
    }
}

/// Read `proc/REL` and parse it; a failure becomes a problem naming the file.
fn read_with<T>(
    root: &HostRoot,
    rel: &str,
    parse: impl Fn(&str) -> Result<T, String>,
    problems: &mut Vec<String>,
) -> Option<T> {
    let parsed = root
        .read_proc(rel)
        .and_then(|t| parse(&t).map_err(|m| crate::Error::parse(root.proc(rel), None, m)));
    parsed.map_err(|e| problems.push(e.to_string())).ok()
}

fn count_tasks(procs: &[processes::RawProc]) -> TaskCounts {
    let n = |c: char| procs.iter().filter(|p| p.state == c).count() as u32;
    TaskCounts {
        total: procs.len() as u32,
        running: n('R'),
        blocked: n('D'),
        zombie: n('Z'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_sample_has_the_basics() {
        let mut r = Recorder::new(HostRoot::live(), true);
        std::thread::sleep(Duration::from_millis(100));
        let (s, _) = r.take();
        assert!(s.load.is_some());
        assert!(s.memory.is_some_and(|m| m.total_bytes > 0));
        assert!(s.cpu.is_some());
        assert!(s.tasks.is_some_and(|t| t.total > 0));
        assert!(!s.top.is_empty() && s.top.len() <= 2 * TOP_N);
        assert!(s.interval_s > 0.05);
        assert!(s.listeners.is_some());
        let bytes = postcard::to_stdvec(&s).unwrap();
        let back: Sample = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, s);
    }
}
