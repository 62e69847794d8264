//! Rules over the system figures: CPU, load, memory, swap and filesystems (the U and S of
//! the USE method). Each is a pure function of the snapshot; see [`super::thresholds`].

use super::thresholds as t;
use super::{finding, grade, label, with_process, Context};
use crate::render::{human_bytes, percent};
use crate::snapshot::{Filesystem, Finding, Process, Severity, Snapshot};

fn top_by<K: PartialOrd>(s: &Snapshot, key: impl Fn(&Process) -> K) -> Option<&Process> {
    s.processes.as_ref()?.iter().max_by(|a, b| {
        key(a)
            .partial_cmp(&key(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    })
}

fn top_cpu_line(s: &Snapshot) -> Option<(String, String)> {
    let p = top_by(s, |p| p.cpu_percent).filter(|p| p.cpu_percent > 0.0)?;
    Some((
        label(p),
        format!(
            "top CPU process: {} at {:.0}% (100 = one core) — {} (ps -eo pid,pcpu,comm --sort=-pcpu)",
            label(p),
            p.cpu_percent,
            super::cut(&p.command, super::COMMAND_CHARS)
        ),
    ))
}

/// `load_high`: the 1-minute load per CPU, or runnable tasks per CPU, well above one.
pub fn load_high(s: &Snapshot, c: &Context) -> Option<Finding> {
    let l = s.load.as_ref()?;
    let per_cpu = l.one / c.cpus_f();
    let runnable_per_cpu = l.runnable as f64 / c.cpus_f();
    let mut sev = grade(per_cpu, t::LOAD_PER_CPU_WARNING, t::LOAD_PER_CPU_CRITICAL);
    if sev.is_none()
        && per_cpu >= t::LOAD_PER_CPU_FLOOR
        && runnable_per_cpu >= t::RUNNABLE_PER_CPU_WARNING
    {
        sev = Some(Severity::Warning);
    }
    let sev = sev?;
    let mut evidence = vec![
        format!(
            "load average {:.2} {:.2} {:.2} on {} CPU(s) = {:.2} per CPU (/proc/loadavg, nproc)",
            l.one, l.five, l.fifteen, c.cpus, per_cpu
        ),
        format!(
            "{} task(s) runnable now of {} (/proc/loadavg field 4)",
            l.runnable, l.total_tasks
        ),
    ];
    if let Some(ps) = &s.process_summary {
        if ps.uninterruptible > 0 {
            evidence.push(format!(
                "{} process(es) in D state count in the load too (ps -eo state | grep -c D)",
                ps.uninterruptible
            ));
        }
    }
    let trend = if l.one > l.fifteen * 1.5 {
        ", rising"
    } else {
        ""
    };
    let culprit = top_cpu_line(s);
    if let Some((_, line)) = &culprit {
        evidence.push(line.clone());
    }
    let title = match culprit {
        Some((who, _)) => format!("load {:.1} on {} CPU(s){trend} — top: {who}", l.one, c.cpus),
        None => format!("load {:.1} on {} CPU(s){trend}", l.one, c.cpus),
    };
    let f = finding("load_high", sev, title, evidence);
    Some(
        match top_by(s, |p| p.cpu_percent).filter(|p| p.cpu_percent > 0.0) {
            Some(p) => with_process(f, p),
            None => f,
        },
    )
}

/// `cpu_saturated`: the CPUs are (nearly) all busy; names the top CPU process.
pub fn cpu_saturated(s: &Snapshot, c: &Context) -> Option<Finding> {
    let cpu = s.cpu.as_ref()?;
    if cpu.usage_percent < t::CPU_BUSY_WARNING {
        return None;
    }
    let psi = s
        .pressure
        .as_ref()
        .and_then(|p| p.cpu.as_ref())
        .map(|p| p.some_avg10);
    let runnable = s.load.as_ref().map(|l| l.runnable);
    let queued = psi.is_some_and(|v| v >= t::PSI_CPU_CRITICAL)
        || runnable.is_some_and(|r| r as f64 > 2.0 * c.cpus_f());
    let sev = if cpu.usage_percent >= t::CPU_BUSY_CRITICAL && queued {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let mut evidence = vec![format!(
        "CPU {:.0}% busy over the sample on {} CPU(s) (/proc/stat; vmstat 1: us+sy)",
        cpu.usage_percent, cpu.count
    )];
    if let Some(v) = psi {
        evidence.push(format!(
            "tasks waited for a CPU {v:.1}% of the last 10 s (/proc/pressure/cpu some avg10)"
        ));
    }
    if let Some(r) = runnable {
        evidence.push(format!("{r} task(s) runnable now (/proc/loadavg)"));
    }
    let culprit = top_cpu_line(s);
    let title = match &culprit {
        Some((who, line)) => {
            evidence.push(line.clone());
            format!("CPU {:.0}% busy — top: {who}", cpu.usage_percent)
        }
        None => format!("CPU {:.0}% busy", cpu.usage_percent),
    };
    let f = finding("cpu_saturated", sev, title, evidence);
    Some(
        match top_by(s, |p| p.cpu_percent).filter(|p| p.cpu_percent > 0.0) {
            Some(p) => with_process(f, p),
            None => f,
        },
    )
}

/// `iowait_high`: CPUs idle with I/O outstanding — the disks are the bottleneck.
pub fn iowait_high(s: &Snapshot, _: &Context) -> Option<Finding> {
    let cpu = s.cpu.as_ref()?;
    let sev = grade(cpu.iowait_percent, t::IOWAIT_WARNING, t::IOWAIT_CRITICAL)?;
    let mut evidence = vec![format!(
        "iowait {:.0}% of CPU time over the sample (/proc/stat; vmstat 1: wa)",
        cpu.iowait_percent
    )];
    if let Some(io) = s.pressure.as_ref().and_then(|p| p.io.as_ref()) {
        evidence.push(format!(
            "tasks stalled on I/O {:.1}% of the last 10 s, all tasks {:.1}% (/proc/pressure/io)",
            io.some_avg10,
            io.full_avg10.unwrap_or(0.0)
        ));
    }
    let d = super::procs::in_state(s, "D");
    if !d.is_empty() {
        evidence.push(format!(
            "in D state: {} (ps -eo pid,state,wchan,comm | awk '$2==\"D\"')",
            d.iter()
                .take(t::MAX_NAMED)
                .map(|p| label(p))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    evidence.push("per-device figures: iostat -xz 1".into());
    Some(finding(
        "iowait_high",
        sev,
        format!(
            "iowait {:.0}% — CPUs wait for the disks",
            cpu.iowait_percent
        ),
        evidence,
    ))
}

/// `steal_high`: the hypervisor takes CPU time for other guests.
pub fn steal_high(s: &Snapshot, _: &Context) -> Option<Finding> {
    let cpu = s.cpu.as_ref()?;
    let sev = grade(cpu.steal_percent, t::STEAL_WARNING, t::STEAL_CRITICAL)?;
    Some(finding(
        "steal_high",
        sev,
        format!(
            "CPU steal {:.0}% — the hypervisor is giving this VM's CPU to others",
            cpu.steal_percent
        ),
        vec![format!(
            "steal {:.0}% of CPU time over the sample (/proc/stat; vmstat 1: st)",
            cpu.steal_percent
        )],
    ))
}

/// `memory_pressure`: little memory available, or tasks stalled on memory (PSI); names
/// the largest process by RSS.
pub fn memory_pressure(s: &Snapshot, _: &Context) -> Option<Finding> {
    let m = s.memory.as_ref()?;
    let avail_pct = percent(m.available_bytes, m.total_bytes);
    let psi = s.pressure.as_ref().and_then(|p| p.memory.as_ref());
    let by_avail = if m.total_bytes == 0 {
        None
    } else if avail_pct < t::MEM_AVAILABLE_CRITICAL {
        Some(Severity::Critical)
    } else if avail_pct < t::MEM_AVAILABLE_WARNING {
        Some(Severity::Warning)
    } else {
        None
    };
    let by_psi = psi.and_then(|p| {
        if p.full_avg10.unwrap_or(0.0) >= t::PSI_MEMORY_FULL_CRITICAL {
            Some(Severity::Critical)
        } else if p.some_avg10 >= t::PSI_MEMORY_SOME_WARNING {
            Some(Severity::Warning)
        } else {
            None
        }
    });
    let sev = by_avail.max(by_psi)?;
    let mut evidence = vec![format!(
        "{} available of {} ({avail_pct:.1}%) (/proc/meminfo MemAvailable; free -m)",
        human_bytes(m.available_bytes),
        human_bytes(m.total_bytes)
    )];
    if let Some(p) = psi {
        evidence.push(format!(
            "tasks stalled on memory {:.1}% of the last 10 s, all tasks {:.1}% (/proc/pressure/memory)",
            p.some_avg10,
            p.full_avg10.unwrap_or(0.0)
        ));
    }
    if m.swap_total_bytes > 0 {
        evidence.push(format!(
            "swap used {} of {} (/proc/meminfo; vmstat 1: si/so)",
            human_bytes(m.swap_total_bytes.saturating_sub(m.swap_free_bytes)),
            human_bytes(m.swap_total_bytes)
        ));
    }
    let top = top_by(s, |p| p.rss_bytes).filter(|p| p.rss_bytes > 0);
    let title = match top {
        Some(p) => {
            evidence.push(format!(
                "largest process: {} with {} resident ({:.0}% of memory) (ps -eo pid,rss,comm --sort=-rss)",
                label(p),
                human_bytes(p.rss_bytes),
                percent(p.rss_bytes, m.total_bytes)
            ));
            format!(
                "memory pressure: {avail_pct:.0}% available — largest: {} {}",
                label(p),
                human_bytes(p.rss_bytes)
            )
        }
        None => format!("memory pressure: {avail_pct:.0}% available"),
    };
    let f = finding("memory_pressure", sev, title, evidence);
    Some(match top {
        Some(p) => with_process(f, p),
        None => f,
    })
}

/// `swap_heavy`: most of the swap is in use.
pub(crate) fn swap_heavy(s: &Snapshot, _: &Context) -> Option<Finding> {
    let m = s.memory.as_ref()?;
    let used = m.swap_total_bytes.saturating_sub(m.swap_free_bytes);
    if m.swap_total_bytes == 0 || used < t::SWAP_MIN_BYTES {
        return None;
    }
    let pct = percent(used, m.swap_total_bytes);
    let sev = grade(pct, t::SWAP_USED_WARNING, t::SWAP_USED_CRITICAL)?;
    Some(finding(
        "swap_heavy",
        sev,
        format!(
            "swap {pct:.0}% used ({} of {})",
            human_bytes(used),
            human_bytes(m.swap_total_bytes)
        ),
        vec![
            format!(
                "SwapTotal {} SwapFree {} (/proc/meminfo; swapon --show)",
                human_bytes(m.swap_total_bytes),
                human_bytes(m.swap_free_bytes)
            ),
            "whether it is swapping now: vmstat 1 (si/so columns)".into(),
        ],
    ))
}

/// Percent used as `df` shows it: used / (used + available), rounded up.
pub(crate) fn df_percent(used: u64, available: u64) -> f64 {
    let whole = used.saturating_add(available);
    if whole == 0 {
        0.0
    } else {
        (used as f64 * 100.0 / whole as f64).ceil()
    }
}

fn mounts(s: &Snapshot) -> impl Iterator<Item = &Filesystem> {
    s.filesystems
        .iter()
        .flatten()
        .filter(|f| !f.read_only && f.size_bytes > 0)
}

/// `disk_almost_full`: one finding per filesystem 90% used or more (tmpfs counts).
pub fn disk_almost_full(s: &Snapshot, _: &Context) -> Vec<Finding> {
    mounts(s)
        .filter_map(|f| {
            let pct = df_percent(f.used_bytes, f.available_bytes);
            let sev = grade(pct, t::DISK_USED_WARNING, t::DISK_USED_CRITICAL)?;
            Some(
                finding(
                    "disk_almost_full",
                    sev,
                    format!(
                        "{} {pct:.0}% full ({} left)",
                        f.mount_point,
                        human_bytes(f.available_bytes)
                    ),
                    vec![
                        format!(
                            "{} ({}, {}): size {} used {} available {} = {pct:.0}% (df -h {})",
                            f.mount_point,
                            f.device,
                            f.fs_type,
                            human_bytes(f.size_bytes),
                            human_bytes(f.used_bytes),
                            human_bytes(f.available_bytes),
                            f.mount_point
                        ),
                        format!(
                            "largest directories: du -xh --max-depth=2 {} | sort -h | tail",
                            f.mount_point
                        ),
                    ],
                )
                .var("mount", &f.mount_point)
                .var("device", &f.device),
            )
        })
        .collect()
}

/// `inodes_almost_full`: one finding per filesystem with 90% of its inodes used or more.
pub fn inodes_almost_full(s: &Snapshot, _: &Context) -> Vec<Finding> {
    mounts(s)
        .filter(|f| f.inodes_total > 0)
        .filter_map(|f| {
            let free = f.inodes_total.saturating_sub(f.inodes_used);
            let pct = df_percent(f.inodes_used, free);
            let sev = grade(pct, t::INODES_USED_WARNING, t::INODES_USED_CRITICAL)?;
            Some(finding(
                "inodes_almost_full",
                sev,
                format!("{} inodes {pct:.0}% used ({free} left)", f.mount_point),
                vec![
                    format!(
                        "{} ({}): {} of {} inodes used = {pct:.0}% (df -i {})",
                        f.mount_point, f.fs_type, f.inodes_used, f.inodes_total, f.mount_point
                    ),
                    format!(
                        "directories with most files: du -x --inodes --max-depth=3 {} | sort -n | tail",
                        f.mount_point
                    ),
                ],
            )
            .var("mount", &f.mount_point)
            .var("device", &f.device))
        })
        .collect()
}
