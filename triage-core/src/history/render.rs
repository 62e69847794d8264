//! Text output of `triage history`: a sar-style table, and the now-versus-usual lines of
//! `--compare`.

use std::io::{self, Write};

use super::sample::Sample;
use crate::baseline::Baseline;
use crate::findings::usual::{compare, Compared, Now, Unit, Verdict};

pub use crate::fmt::bytes;

/// A command line with the directory of its program left out (`/usr/bin/java -jar x`
/// → `java -jar x`), for narrow columns.
pub(crate) fn short_command(command: &str) -> &str {
    let program_end = command.find(' ').unwrap_or(command.len());
    match command.get(..program_end).and_then(|p| p.rfind('/')) {
        Some(slash) if !command.starts_with('[') => command.get(slash + 1..).unwrap_or(command),
        _ => command,
    }
}

fn opt(v: Option<f32>, width: usize, decimals: usize) -> String {
    match v {
        Some(v) => format!("{v:>width$.decimals$}"),
        None => format!("{:>width$}", "-"),
    }
}

/// The sar-style table: one line per sample, oldest first.
pub fn write_table(samples: &[Sample], out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "{:<14} {:>6} {:>6} {:>7} {:>8} {:>8} {:>7} {:>7}  TOP PROCESS (%CPU)",
        "TIME", "LOAD1", "%CPU", "%IOWAIT", "MEMUSED", "SWAPUSED", "PSI-MEM", "PSI-IO"
    )?;
    for s in samples {
        let time = s
            .time()
            .map(|t| t.format("%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| s.time.to_string());
        let top = s
            .top
            .iter()
            .max_by(|a, b| a.cpu_percent.total_cmp(&b.cpu_percent))
            .map(|p| {
                let cmd: String = short_command(&p.command).chars().take(40).collect();
                format!("{} {cmd} ({:.1})", p.pid, p.cpu_percent)
            })
            .unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "{time:<14} {} {} {} {:>8} {:>8} {} {}  {top}",
            opt(s.load.map(|l| l.one), 6, 2),
            opt(s.cpu.map(|c| c.usage_percent), 6, 1),
            opt(s.cpu.map(|c| c.iowait_percent), 7, 1),
            s.memory_used_bytes()
                .map(bytes)
                .unwrap_or_else(|| "-".into()),
            s.memory
                .map(|m| bytes(m.swap_used_bytes))
                .unwrap_or_else(|| "-".into()),
            opt(s.pressure.memory, 7, 2),
            opt(s.pressure.io, 7, 2),
        )?;
        let sick: Vec<String> = s.cgroups.iter().filter_map(cgroup_note).collect();
        if !sick.is_empty() {
            writeln!(out, "{:<14} cgroups: {}", "", sick.join("; "))?;
        }
    }
    Ok(())
}

/// A cgroup worth a line under its sample: throttled in at least [`NOTE_THROTTLED`]
/// percent of the periods, or with an OOM kill.
fn cgroup_note(c: &super::sample::CgroupSample) -> Option<String> {
    let throttled = c.throttled_percent.filter(|t| *t >= NOTE_THROTTLED);
    if throttled.is_none() && c.oom_kills == 0 {
        return None;
    }
    let who = c.name.as_deref().unwrap_or(&c.path);
    let mut parts = Vec::new();
    if c.oom_kills > 0 {
        parts.push(format!("{} OOM kill(s)", c.oom_kills));
    }
    if let Some(t) = throttled {
        let quota = c
            .quota_cores
            .map(|q| format!(" (quota {q:.2} CPU)"))
            .unwrap_or_default();
        parts.push(format!("throttled {t:.0}% of periods{quota}"));
    }
    if let Some(cpu) = c.cpu_percent {
        parts.push(format!("{cpu:.1}% CPU"));
    }
    if let (Some(m), Some(max)) = (c.memory_bytes, c.memory_max_bytes) {
        parts.push(format!("mem {} of {}", bytes(m), bytes(max)));
    }
    Some(format!("{who} {}", parts.join(", ")))
}

/// Throttled share (percent of periods) from which a cgroup gets a line in the table:
/// the `cgroup_cpu_throttled` warning threshold, so the table and the finding agree.
const NOTE_THROTTLED: f32 = crate::findings::thresholds::CGROUP_THROTTLED_WARNING as f32;

impl From<&Sample> for Now {
    fn from(s: &Sample) -> Now {
        let f = |v: Option<f32>| v.map(f64::from);
        Now {
            cpus: 0,
            load1: f(s.load.map(|l| l.one)),
            cpu_usage_percent: f(s.cpu.map(|c| c.usage_percent)),
            iowait_percent: f(s.cpu.map(|c| c.iowait_percent)),
            memory_total_bytes: s.memory.map(|m| m.total_bytes as f64),
            memory_used_bytes: s.memory_used_bytes().map(|v| v as f64),
            swap_used_bytes: s.memory.map(|m| m.swap_used_bytes as f64),
            psi_memory_some: f(s.pressure.memory),
            psi_io_some: f(s.pressure.io),
            tcp_connections: s.tcp.map(|t| f64::from(t.established + t.time_wait)),
        }
    }
}

/// One figure against its usual value: `name value — usual at this hour m ± s`.
fn compare_line(out: &mut impl Write, name: &str, c: &Compared) -> io::Result<()> {
    let fmt = |v: f64| match c.unit {
        Unit::Plain => format!("{v:.2}"),
        Unit::Percent if name.starts_with("psi") => format!("{v:.2}"),
        Unit::Percent => format!("{v:.1}"),
        Unit::Bytes => bytes(v.max(0.0) as u64),
        Unit::Count => format!("{v:.0}"),
    };
    let Some(value) = c.now else {
        return writeln!(out, "{name:<10} {:>8} — not measured now", "-");
    };
    match c.usual {
        None => writeln!(
            out,
            "{name:<10} {:>8} — no history at this hour",
            fmt(value)
        ),
        Some(u) => {
            let note = match c.verdict {
                Verdict::Higher => "   HIGHER than usual",
                Verdict::Lower => "   lower than usual",
                Verdict::Usual => "",
            };
            writeln!(
                out,
                "{name:<10} {:>8} — usual at this hour {} ± {} ({} samples){note}",
                fmt(value),
                fmt(u.median),
                fmt(u.spread),
                u.samples
            )
        }
    }
}

/// The `--compare` lines: each figure of `now` against `baseline`, judged by
/// [`compare`] (the same judgement as the `unusual_vs_baseline` findings).
pub fn write_compare(
    now: &Now,
    baseline: Option<&Baseline>,
    out: &mut impl Write,
) -> io::Result<()> {
    // A baseline of usual listeners only (no earlier day yet) has no figures to compare.
    let baseline = baseline.filter(|b| b.days > 0);
    let empty = Baseline::default();
    let b = baseline.unwrap_or(&empty);
    match baseline {
        Some(b) => writeln!(
            out,
            "Now compared with the same time ±{} min on earlier days ({} day(s) of history):",
            b.window_minutes, b.days
        )?,
        None => writeln!(
            out,
            "Now (no history at this time of day on earlier days to compare with):"
        )?,
    }
    let names = [
        "load1",
        "%cpu",
        "%iowait",
        "mem used",
        "swap used",
        "psi mem",
        "psi io",
        "tcp conns",
    ];
    for (name, c) in names.iter().zip(compare(now, b)) {
        compare_line(out, name, &c)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::Usual;
    use crate::history::sample::{LoadAvg, TopProcess};

    #[test]
    fn table_and_compare() {
        let s = Sample {
            time: 1_795_000_000,
            load: Some(LoadAvg {
                one: 14.2,
                five: 9.0,
                fifteen: 4.0,
            }),
            top: vec![
                TopProcess {
                    pid: 7,
                    command: "small".into(),
                    cpu_percent: 1.0,
                    rss_bytes: 1 << 30,
                },
                TopProcess {
                    pid: 42,
                    command: "/usr/bin/java -jar /srv/app.jar".into(),
                    cpu_percent: 350.0,
                    rss_bytes: 1 << 20,
                },
            ],
            ..Sample::default()
        };
        let mut out = Vec::new();
        write_table(std::slice::from_ref(&s), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("14.20"), "{text}");
        assert!(text.contains("42 java -jar /srv/app.jar (350.0)"), "{text}");
        let b = Baseline {
            days: 7,
            window_minutes: 30,
            load1: Some(Usual {
                median: 1.1,
                spread: 0.4,
                samples: 42,
            }),
            ..Baseline::default()
        };
        let mut out = Vec::new();
        write_compare(&Now::from(&s), Some(&b), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(
                "load1         14.20 — usual at this hour 1.10 ± 0.40 (42 samples)   HIGHER"
            ),
            "{text}"
        );
        assert!(text.contains("%cpu"), "{text}");
        // Usual listeners alone (a recorder younger than a day): nothing to compare.
        let listeners_only = Baseline {
            window_minutes: 30,
            ..Baseline::default()
        };
        let mut out = Vec::new();
        write_compare(&Now::from(&s), Some(&listeners_only), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("Now (no history"), "{text}");
        assert_eq!(bytes(512), "512B");
        assert_eq!(short_command("[kworker/0:1]"), "[kworker/0:1]");
        assert_eq!(short_command("/bin/sh"), "sh");
        assert_eq!(bytes(5 << 29), "2.5G");
    }
}
