//! `processes` and `process_summary`: every process (not thread) with its CPU share over
//! the sampling interval.
//!
//! Reads `/proc/PID/stat` (parsed by `procfs-core`; see `proc_pid_stat(5)`) twice, one
//! sampling interval apart, and `/proc/PID/cmdline` once. The owner is the uid of the
//! `/proc/PID` directory (one `stat(2)`, no file read), named from the root's
//! `/etc/passwd`. Reading `cmdline` takes the target's mmap lock and can block behind a
//! process stuck in D state, so command lines are read on a helper thread, overlapped
//! with the sampling interval, and any left unread at the deadline fall back to `[comm]`
//! with a warning.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use super::cmdline::read_cmdline;
use super::cmdline::{CmdlineReader, ReadFn};
use super::proc_sample::read_cgroups;
pub(crate) use super::proc_sample::sample_with;
pub use super::proc_sample::{sample, RawProc};
use super::Ctx;
use crate::error::{Error, Result};
use crate::host_root::HostRoot;
use crate::snapshot::{time_from_unix, Process, ProcessSummary};

/// Deadline for reading the command lines, after the second sample.
const CMDLINE_GRACE: Duration = Duration::from_millis(500);

/// Facts about the clock and memory needed to turn raw counters into figures.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    /// Clock ticks per second (`sysconf(_SC_CLK_TCK)`).
    pub ticks_per_second: u64,
    /// Page size in bytes.
    pub page_size: u64,
    /// Boot time, Unix seconds.
    pub boot_time: Option<i64>,
    /// Seconds since boot, for lifetime averages on a static tree.
    pub uptime_seconds: Option<f64>,
}

impl Scale {
    /// The scale for `root`: the running kernel's values on a live host, the usual x86
    /// values (100 Hz, 4 KiB) for a tree.
    pub fn for_root(root: &HostRoot) -> Scale {
        let (tps, page) = if root.is_live() {
            // SAFETY: sysconf has no preconditions.
            let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
            // SAFETY: as above.
            let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            (
                if t > 0 { t as u64 } else { 100 },
                if p > 0 { p as u64 } else { 4096 },
            )
        } else {
            (100, 4096)
        };
        Scale {
            ticks_per_second: tps,
            page_size: page,
            boot_time: super::cpu::read_stat(root).ok().map(|s| s.btime as i64),
            uptime_seconds: root
                .read_proc("uptime")
                .ok()
                .and_then(|t| super::host::parse_uptime(&t)),
        }
    }
}

/// The processes section and its summary.
pub struct ProcessTable {
    /// Every process.
    pub processes: Vec<Process>,
    /// Counts by state.
    pub summary: ProcessSummary,
}

/// Collect the process table: two samples `ctx.opts.sample_interval` apart on a live
/// host; one sample and lifetime CPU averages (like `ps`) on a tree.
pub fn collect(ctx: &Ctx) -> Result<ProcessTable> {
    let root = &ctx.root;
    let t0 = Instant::now();
    let (first, problems) = match sample_with(root, true) {
        Ok(s) => s,
        Err(e) if !root.is_live() => return from_saved_ps(ctx, e),
        Err(e) => return Err(e),
    };
    let live = root.is_live() && ctx.opts.sample_interval > Duration::ZERO;
    let read: ReadFn = {
        let root = root.clone();
        Arc::new(move |pid| read_cmdline(&root, pid))
    };
    let reader = CmdlineReader::start(first.iter().map(|p| p.pid).collect(), Arc::clone(&read));
    let (second, elapsed) = if live {
        std::thread::sleep(ctx.opts.sample_interval.saturating_sub(t0.elapsed()));
        let t1 = Instant::now();
        let (second, _) = sample(root)?;
        (second, (t1 - t0).as_secs_f64())
    } else {
        (first.clone(), 0.0)
    };
    let commands = command_lines(ctx, reader, read, &second);
    if !problems.is_empty() {
        ctx.warn(format!(
            "{} process file(s) unreadable, first: {}",
            problems.len(),
            problems[0]
        ));
    }
    let table = Assembly {
        before: first.iter().map(|p| (p.pid, p)).collect(),
        live,
        elapsed,
        scale: Scale::for_root(root),
        names: super::users::user_names(ctx),
        commands,
        root,
    };
    let mut namer = super::cgroups::Namer::new(root);
    let processes: Vec<Process> = second
        .iter()
        .map(|p| table.process(p, &mut namer))
        .collect();
    let summary = summarize(&processes);
    Ok(ProcessTable { processes, summary })
}

/// The command lines `reader` got by now, plus those of processes born during the
/// interval (read now, when few); warns about the ones still unread.
fn command_lines(
    ctx: &Ctx,
    reader: CmdlineReader,
    read: ReadFn,
    second: &[RawProc],
) -> HashMap<i32, Option<String>> {
    let mut cmd_map = reader.wait(Instant::now() + CMDLINE_GRACE);
    let newcomers: Vec<i32> = second
        .iter()
        .map(|p| p.pid)
        .filter(|p| !cmd_map.contains_key(p))
        .collect();
    if !newcomers.is_empty() && newcomers.len() < second.len() / 2 + 8 {
        cmd_map.extend(
            CmdlineReader::start(newcomers, read).wait(Instant::now() + Duration::from_millis(100)),
        );
    }
    let unread = second
        .iter()
        .filter(|p| !cmd_map.contains_key(&p.pid))
        .count();
    if unread > 0 {
        ctx.warn(format!(
            "command lines of {unread} process(es) could not be read in time (a process in D state holds its memory lock); shown as [name]"
        ));
    }
    cmd_map
}

/// What turns a second-sample [`RawProc`] into a [`Process`].
struct Assembly<'a> {
    /// The first sample, by pid.
    before: HashMap<i32, &'a RawProc>,
    /// Two samples (CPU over the interval), else one (CPU over the lifetime).
    live: bool,
    /// Seconds between the samples.
    elapsed: f64,
    scale: Scale,
    /// uid → user name.
    names: HashMap<u32, String>,
    commands: HashMap<i32, Option<String>>,
    root: &'a HostRoot,
}

impl Assembly<'_> {
    /// `p` in the first sample too (same pid and start time: not a reused pid).
    fn earlier(&self, p: &RawProc) -> Option<&RawProc> {
        self.before
            .get(&p.pid)
            .filter(|q| q.start_ticks == p.start_ticks)
            .copied()
    }

    fn process(&self, p: &RawProc, namer: &mut super::cgroups::Namer) -> Process {
        let scale = &self.scale;
        let earlier = self.earlier(p);
        let cpu = if self.live {
            let prev = earlier.map_or(0, |q| q.cpu_ticks);
            cpu_percent(
                p.cpu_ticks.saturating_sub(prev),
                self.elapsed,
                scale.ticks_per_second,
            )
        } else {
            lifetime_cpu_percent(p, scale)
        };
        let command = self
            .commands
            .get(&p.pid)
            .cloned()
            .flatten()
            .unwrap_or_else(|| format!("[{}]", p.comm));
        // Read in the first pass (overlapped with the interval); a newcomer's now.
        let cgroups = match earlier {
            Some(q) => q.cgroups.clone(),
            None => read_cgroups(&self.root.proc(p.pid.to_string())),
        };
        let (unit, container) = match &cgroups {
            Some(c) => namer.name(c.candidates()),
            None => (None, None),
        };
        Process {
            pid: p.pid,
            ppid: p.ppid,
            user: p
                .uid
                .map(|u| self.names.get(&u).cloned().unwrap_or_else(|| u.to_string())),
            state: p.state.to_string(),
            cpu_percent: cpu,
            rss_bytes: p.rss_pages * scale.page_size,
            threads: p.threads,
            started_at: scale.boot_time.and_then(|bt| {
                time_from_unix(bt + (p.start_ticks / scale.ticks_per_second.max(1)) as i64)
            }),
            command,
            name: p.comm.clone(),
            uid: p.uid,
            previous_state: earlier.filter(|_| self.live).map(|q| q.state.to_string()),
            cgroup: cgroups.as_ref().and_then(|c| c.key()).map(str::to_string),
            unit,
            container,
        }
    }
}

/// A tree without pid directories (a sosreport): the table from its saved `ps aux`.
fn from_saved_ps(ctx: &Ctx, no_pids: Error) -> Result<ProcessTable> {
    let Some(path) = ctx.root.first_existing(super::ps_output::PS_AUX_FILES) else {
        return Err(no_pids);
    };
    let text = HostRoot::read_path_string(&path)?;
    let (processes, skipped) = super::ps_output::parse_ps_aux(&text);
    if processes.is_empty() {
        return Err(Error::parse(
            &path,
            None,
            "no `ps aux` table found (expected a USER PID %CPU … header)",
        ));
    }
    let mut processes = processes;
    let mut richer = Vec::new();
    let dir = ctx.root.path("sos_commands/process");
    let mut names: Vec<String> = HostRoot::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    for prefix in super::ps_output::PS_O_PREFIXES {
        let Some(name) = names.iter().find(|n| n.starts_with(prefix)) else {
            continue;
        };
        let Ok(text) = HostRoot::read_path_string(&dir.join(name)) else {
            continue;
        };
        if super::ps_output::enrich(&mut processes, &text, *ctx.now.offset()) > 0 {
            richer.push(name.clone());
        }
    }
    // Units and containers from the cgroup paths the ps -o capture had.
    let mut namer = super::cgroups::Namer::new(&ctx.root);
    for p in processes.iter_mut() {
        if let Some(c) = p.cgroup.clone() {
            let (unit, container) = namer.name(std::iter::once(c.as_str()));
            p.unit = unit;
            p.container = container;
        }
    }
    let from = if richer.is_empty() {
        "; no ppid, threads or start times (no ps -o capture next to it)".to_string()
    } else {
        format!(
            "; state, ppid, threads and start times from {}",
            richer.join(", ")
        )
    };
    ctx.warn(format!(
        "no process directories; processes read from {} (CPU% is the lifetime average){from}{}",
        path.display(),
        if skipped > 0 {
            format!("; {skipped} malformed line(s) skipped")
        } else {
            String::new()
        }
    ));
    let summary = summarize(&processes);
    Ok(ProcessTable { processes, summary })
}

/// CPU percent (100 = one core) of `ticks` used over `seconds`.
pub fn cpu_percent(ticks: u64, seconds: f64, ticks_per_second: u64) -> f64 {
    if seconds <= 0.0 || ticks_per_second == 0 {
        return 0.0;
    }
    let pct = ticks as f64 / ticks_per_second as f64 / seconds * 100.0;
    (pct * 10.0).round() / 10.0
}

fn lifetime_cpu_percent(p: &RawProc, scale: &Scale) -> f64 {
    let Some(up) = scale.uptime_seconds else {
        return 0.0;
    };
    let age = up - p.start_ticks as f64 / scale.ticks_per_second as f64;
    cpu_percent(p.cpu_ticks, age, scale.ticks_per_second)
}

/// Counts by state.
pub(crate) fn summarize(processes: &[Process]) -> ProcessSummary {
    let mut s = ProcessSummary {
        total: processes.len() as u64,
        ..Default::default()
    };
    for p in processes {
        s.threads += p.threads;
        match p.state.as_str() {
            "R" => s.running += 1,
            "S" | "I" => s.sleeping += 1,
            "D" => s.uninterruptible += 1,
            "Z" => s.zombie += 1,
            "T" | "t" => s.stopped += 1,
            _ => {}
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_percent_math() {
        assert_eq!(cpu_percent(25, 0.25, 100), 100.0);
        assert_eq!(cpu_percent(50, 0.25, 100), 200.0);
        assert_eq!(cpu_percent(0, 0.25, 100), 0.0);
        assert_eq!(cpu_percent(10, 0.0, 100), 0.0);
    }
}
