//! Reading one cgroup's files from the hierarchies it exists in. A missing file is
//! simply absent (a controller not enabled there, a kernel without it, a partial
//! capture); a malformed one is a problem naming the file; a refused one is counted for
//! one "run as root" warning.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;

use super::naming::Namer;
use super::parse::{self, CpuCounters};
use super::{Ctl, Hierarchy};
use crate::error::Error;
use crate::host_root::HostRoot;
use crate::snapshot::{Cgroup, CgroupCpu, CgroupMemory, CgroupPids, Pressure};

/// Reads cgroup files under one root.
pub(crate) struct Reader<'a> {
    root: &'a HostRoot,
    hierarchies: &'a [Hierarchy],
    problems: RefCell<Vec<String>>,
    denied: Cell<usize>,
}

impl<'a> Reader<'a> {
    pub fn new(root: &'a HostRoot, hierarchies: &'a [Hierarchy]) -> Self {
        Reader {
            root,
            hierarchies,
            problems: RefCell::default(),
            denied: Cell::new(0),
        }
    }

    pub fn take_problems(&self) -> Vec<String> {
        self.problems.take()
    }

    pub fn denied(&self) -> usize {
        self.denied.get()
    }

    fn dir(&self, path: &str, hs: &[usize], ctl: Ctl) -> Option<PathBuf> {
        let h = hs
            .iter()
            .map(|&i| &self.hierarchies[i])
            .find(|h| h.ctl == ctl || h.ctl == Ctl::V2)?;
        Some(self.root.path(&h.rel).join(path.trim_start_matches('/')))
    }

    fn text(&self, dir: Option<&PathBuf>, file: &str) -> Option<(PathBuf, String)> {
        let path = dir?.join(file);
        match HostRoot::read_path_string(&path) {
            Ok(t) => Some((path, t)),
            Err(e) if e.is_not_found() => None,
            Err(e) if e.is_permission_denied() => {
                self.denied.set(self.denied.get() + 1);
                None
            }
            Err(e) => {
                // EOPNOTSUPP (PSI off), ENODEV: the kernel says the file has no value.
                if !matches!(&e, Error::Io { source, .. } if matches!(source.raw_os_error(), Some(libc::EOPNOTSUPP | libc::ENODEV | libc::EINVAL)))
                {
                    self.problems.borrow_mut().push(e.to_string());
                }
                None
            }
        }
    }

    fn parsed<T>(
        &self,
        dir: Option<&PathBuf>,
        file: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let (path, text) = self.text(dir, file)?;
        match parse(&text) {
            Ok(v) => Some(v),
            Err(m) => {
                self.problems
                    .borrow_mut()
                    .push(Error::parse(&path, None, m).to_string());
                None
            }
        }
    }

    /// The counters sampled twice: `cpu.stat` (and v1 `cpuacct.usage`).
    pub fn cpu_counters(&self, path: &str, hs: &[usize]) -> CpuCounters {
        let cpu = self.dir(path, hs, Ctl::Cpu);
        let mut c = self
            .parsed(cpu.as_ref(), "cpu.stat", parse::flat_keyed)
            .map(|s| CpuCounters::from_cpu_stat(&s))
            .unwrap_or_default();
        if c.usage_usec.is_none() {
            let acct = self
                .dir(path, hs, Ctl::Cpuacct)
                .or_else(|| self.dir(path, hs, Ctl::Cpu));
            c.usage_usec = self
                .parsed(acct.as_ref(), "cpuacct.usage", |t| {
                    parse::number_or_max(t).map(|v| v.unwrap_or(0))
                })
                .map(|ns| ns / 1000);
        }
        c
    }

    /// What the recorder reads of every cgroup each sample besides the CPU counters:
    /// memory in use and the OOM kills so far (v2 `memory.current`, `memory.events`;
    /// v1 `memory.usage_in_bytes`, `memory.oom_control`).
    pub fn memory_now(&self, path: &str, hs: &[usize]) -> (Option<u64>, Option<u64>) {
        let dir = self.dir(path, hs, Ctl::Memory);
        let (current, events) = if self.is_v2(hs) {
            ("memory.current", "memory.events")
        } else {
            ("memory.usage_in_bytes", "memory.oom_control")
        };
        let bytes = self
            .parsed(dir.as_ref(), current, parse::number_or_max)
            .flatten();
        let kills = self
            .parsed(dir.as_ref(), events, parse::flat_keyed)
            .and_then(|e| e.get("oom_kill").copied());
        (bytes, kills)
    }

    fn is_v2(&self, hs: &[usize]) -> bool {
        hs.iter().any(|&i| self.hierarchies[i].ctl == Ctl::V2)
    }

    /// Everything read once: limits, memory, OOM events, tasks, PSI and names. The CPU
    /// figures are filled in later from the two counter samples (only the quota here).
    pub fn rest(&self, path: &str, hs: &[usize], namer: &mut Namer) -> Option<Cgroup> {
        let v2 = self.is_v2(hs);
        let cpu_dir = self.dir(path, hs, Ctl::Cpu);
        let mem_dir = self.dir(path, hs, Ctl::Memory);
        let pids_dir = self.dir(path, hs, Ctl::Pids);
        let mut cpu = CgroupCpu::default();
        let mut memory = CgroupMemory::default();
        let pressure;
        if v2 {
            cpu.quota_cores = self
                .parsed(cpu_dir.as_ref(), "cpu.max", parse::cpu_max)
                .flatten();
            let n = |f: &str| self.parsed(mem_dir.as_ref(), f, parse::number_or_max);
            memory.current_bytes = n("memory.current").flatten();
            memory.max_bytes = n("memory.max").flatten();
            memory.high_bytes = n("memory.high").flatten();
            memory.swap_current_bytes = n("memory.swap.current").flatten();
            let events = self.parsed(mem_dir.as_ref(), "memory.events", parse::flat_keyed);
            memory.oom_events = events.as_ref().and_then(|e| e.get("oom").copied());
            memory.oom_kills = events.as_ref().and_then(|e| e.get("oom_kill").copied());
            let psi = |f: &str| self.parsed(cpu_dir.as_ref(), f, crate::collect::pressure::parse);
            let p = Pressure {
                cpu: psi("cpu.pressure"),
                memory: psi("memory.pressure"),
                io: psi("io.pressure"),
            };
            pressure = (p.cpu.is_some() || p.memory.is_some() || p.io.is_some()).then_some(p);
        } else {
            let quota = self.parsed(cpu_dir.as_ref(), "cpu.cfs_quota_us", parse::signed);
            let period = self.parsed(cpu_dir.as_ref(), "cpu.cfs_period_us", parse::signed);
            if let (Some(q), Some(p)) = (quota, period) {
                cpu.quota_cores = parse::cores(q, p.max(0) as u64);
            }
            let n = |f: &str| {
                self.parsed(mem_dir.as_ref(), f, parse::number_or_max)
                    .flatten()
            };
            memory.current_bytes = n("memory.usage_in_bytes");
            memory.max_bytes = n("memory.limit_in_bytes").and_then(parse::v1_limit);
            memory.swap_current_bytes = n("memory.memsw.usage_in_bytes")
                .zip(memory.current_bytes)
                .map(|(sw, cur)| sw.saturating_sub(cur));
            let oom = self.parsed(mem_dir.as_ref(), "memory.oom_control", parse::flat_keyed);
            memory.oom_kills = oom.as_ref().and_then(|e| e.get("oom_kill").copied());
            pressure = None;
        }
        let pids = CgroupPids {
            current: self
                .parsed(pids_dir.as_ref(), "pids.current", parse::number_or_max)
                .flatten(),
            max: self
                .parsed(pids_dir.as_ref(), "pids.max", parse::number_or_max)
                .flatten(),
        };
        let procs_dir = [Ctl::Memory, Ctl::Cpu, Ctl::Pids]
            .into_iter()
            .filter_map(|c| self.dir(path, hs, c))
            .find(|d| HostRoot::path_exists(&d.join("cgroup.procs")));
        let processes = self
            .text(procs_dir.as_ref(), "cgroup.procs")
            .map(|(_, t)| t.lines().filter(|l| !l.trim().is_empty()).count() as u64)
            .unwrap_or(0);
        let (unit, container) = namer.name([path]);
        let mut dirs: Vec<String> = hs
            .iter()
            .map(|&i| {
                let rel = &self.hierarchies[i].rel;
                let p = format!("/{rel}{}", if path == "/" { "" } else { path });
                p
            })
            .collect();
        dirs.dedup();
        Some(Cgroup {
            path: path.to_string(),
            unit,
            container,
            processes,
            cpu,
            memory,
            pressure,
            pids,
            version: if v2 { 2 } else { 1 },
            dirs,
        })
    }
}
