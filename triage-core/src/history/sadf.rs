//! sysstat history: `sadf -j` output (sysstat's JSON, see `sadf(1)`) turned into
//! [`Sample`]s, so hosts that already run sysstat have history from day one.
//!
//! Read: `timestamp` {date, time, utc}, `cpu-load` (the `all` entry: `idle`, `iowait`,
//! `steal`), `memory` (kB: `memfree`, `avail`, `memused`, `memused-percent` or
//! `%memused`, `buffers`, `cached`, `swpused`), `queue` (`ldavg-1/5/15`) and `psi`
//! (`psi-cpu`, `psi-mem`, `psi-io`: `some_avg10`). Missing parts stay `None`.
//! [`run_sadf`] invokes `sadf -j` on the host's sa files under a deadline.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use serde::Deserialize;

use super::sample::{CpuUse, LoadAvg, MemUse, Psi, Sample};
use crate::command::{run_command, Cmd};
use crate::error::{Error, Result};
use crate::host_root::HostRoot;

#[derive(Deserialize)]
struct Top {
    sysstat: Sysstat,
}

#[derive(Deserialize)]
struct Sysstat {
    #[serde(default)]
    hosts: Vec<Host>,
}

#[derive(Deserialize)]
struct Host {
    #[serde(default)]
    statistics: Vec<Stat>,
}

#[derive(Deserialize)]
struct Stat {
    timestamp: Option<Stamp>,
    #[serde(rename = "cpu-load", default)]
    cpu_load: Vec<HashMap<String, serde_json::Value>>,
    memory: Option<HashMap<String, f64>>,
    queue: Option<HashMap<String, f64>>,
    psi: Option<HashMap<String, HashMap<String, f64>>>,
}

#[derive(Deserialize)]
struct Stamp {
    date: String,
    time: String,
    #[serde(default)]
    utc: u8,
    #[serde(default)]
    interval: f64,
}

/// Parse `sadf -j` output; `path` names the source in errors and warnings. Returns the
/// samples (oldest first) and one warning per statistics entry that had to be skipped.
pub fn parse(text: &str, path: &Path) -> Result<(Vec<Sample>, Vec<String>)> {
    let top: Top = serde_json::from_str(text)
        .map_err(|e| Error::parse(path, Some(e.line()), format!("not `sadf -j` output: {e}")))?;
    let mut samples = Vec::new();
    let mut warnings = Vec::new();
    for (i, st) in top
        .sysstat
        .hosts
        .iter()
        .flat_map(|h| h.statistics.iter())
        .enumerate()
    {
        match convert(st) {
            Ok(s) => samples.push(s),
            Err(m) => warnings.push(format!("{}: statistics[{i}]: {m}; skipped", path.display())),
        }
    }
    samples.sort_by_key(|s| s.time);
    Ok((samples, warnings))
}

fn convert(st: &Stat) -> std::result::Result<Sample, String> {
    let stamp = st.timestamp.as_ref().ok_or("no timestamp")?;
    let date = NaiveDate::parse_from_str(&stamp.date, "%Y-%m-%d")
        .map_err(|e| format!("bad date {:?}: {e}", stamp.date))?;
    let time = NaiveTime::parse_from_str(&stamp.time, "%H:%M:%S")
        .map_err(|e| format!("bad time {:?}: {e}", stamp.time))?;
    let naive = NaiveDateTime::new(date, time);
    let when = if stamp.utc == 1 {
        chrono::Utc.from_utc_datetime(&naive).fixed_offset()
    } else {
        chrono::Local
            .from_local_datetime(&naive)
            .earliest()
            .ok_or("time does not exist in the local zone")?
            .fixed_offset()
    };
    let local = when.with_timezone(&chrono::Local);
    let mut s = Sample {
        time: when.timestamp(),
        utc_offset: local.offset().local_minus_utc(),
        interval_s: stamp.interval as f32,
        ..Sample::default()
    };
    let num = |m: &HashMap<String, serde_json::Value>, k: &str| m.get(k).and_then(|v| v.as_f64());
    if let Some(all) = st
        .cpu_load
        .iter()
        .find(|c| c.get("cpu").and_then(|v| v.as_str()) == Some("all"))
    {
        let idle = num(all, "idle").unwrap_or(0.0);
        let iowait = num(all, "iowait").unwrap_or(0.0);
        s.cpu = Some(CpuUse {
            usage_percent: (100.0 - idle - iowait).clamp(0.0, 100.0) as f32,
            iowait_percent: iowait as f32,
            steal_percent: num(all, "steal").unwrap_or(0.0) as f32,
        });
    }
    if let Some(q) = &st.queue {
        if let (Some(one), Some(five), Some(fifteen)) =
            (q.get("ldavg-1"), q.get("ldavg-5"), q.get("ldavg-15"))
        {
            s.load = Some(LoadAvg {
                one: *one as f32,
                five: *five as f32,
                fifteen: *fifteen as f32,
            });
        }
    }
    if let Some(m) = &st.memory {
        s.memory = memory(m);
    }
    if let Some(psi) = &st.psi {
        let some = |k: &str| {
            psi.get(k)
                .and_then(|p| p.get("some_avg10"))
                .map(|v| *v as f32)
        };
        let full = |k: &str| {
            psi.get(k)
                .and_then(|p| p.get("full_avg10"))
                .map(|v| *v as f32)
        };
        s.pressure = Psi {
            cpu: some("psi-cpu"),
            memory: some("psi-mem"),
            io: some("psi-io"),
            memory_full: full("psi-mem"),
            io_full: full("psi-io"),
        };
    }
    Ok(s)
}

/// Memory in bytes from sadf's kB figures. sysstat ≥ 12 counts `memused` without
/// buffers, cache and slab, older versions as total − free: the total is recovered from
/// the used percentage when there is one.
fn memory(m: &HashMap<String, f64>) -> Option<MemUse> {
    let kb = |k: &str| m.get(k).copied().map(|v| (v.max(0.0) * 1024.0) as u64);
    let free = kb("memfree")?;
    let used = kb("memused")?;
    let pct = m
        .get("memused-percent")
        .or_else(|| m.get("%memused"))
        .copied();
    let total = match pct {
        Some(p) if p > 0.0 => (used as f64 * 100.0 / p).round() as u64,
        _ => free + used + kb("buffers").unwrap_or(0) + kb("cached").unwrap_or(0),
    };
    let available = kb("avail")
        .unwrap_or(free + kb("buffers").unwrap_or(0) + kb("cached").unwrap_or(0))
        .min(total);
    let swap_used = kb("swpused").unwrap_or(0);
    Some(MemUse {
        total_bytes: total,
        available_bytes: available,
        swap_total_bytes: swap_used + kb("swpfree").unwrap_or(0),
        swap_used_bytes: swap_used,
    })
}

/// The host's sysstat data files (`saDD`, newest first), under `/var/log/sysstat` or
/// `/var/log/sa`.
pub fn sa_files(root: &HostRoot) -> Vec<PathBuf> {
    let Some(dir) = root.first_existing(&["var/log/sysstat", "var/log/sa"]) else {
        return Vec::new();
    };
    // Listed inside the tree: `var/log/sysstat → /var/log/sysstat` must not list (and hand
    // `sadf`) the analyst's own files.
    let Ok(dir) = HostRoot::contained(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = HostRoot::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.strip_prefix("sa")
                .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
        })
        // Regular files only: a link in the tree is not followed to `sadf`.
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    files.into_iter().map(|(_, p)| p).collect()
}

/// Run `sadf -j FILE -- -u -r -S -q` with a deadline (the child is killed when it runs
/// over) and parse its output.
pub fn run_sadf(file: &Path, limit: Duration) -> Result<(Vec<Sample>, Vec<String>)> {
    let cmd = Cmd::new("sadf")
        .arg("-j")
        .arg(file)
        .args(["--", "-u", "-r", "-S", "-q"])
        .raw();
    let what = format!("sadf -j {}", file.display());
    let o = run_command(&cmd, limit, MAX_OUTPUT)
        .map_err(|e| Error::Unavailable(format!("{what}: {e} (is sysstat installed?)")))?;
    if o.timed_out {
        return Err(Error::Timeout { what, after: limit });
    }
    if o.stdout.dropped_lines > 0 {
        return Err(Error::Unavailable(format!(
            "{what}: more than {} MiB of output",
            MAX_OUTPUT >> 20
        )));
    }
    parse(&o.stdout.text, file)
}

/// Most `sadf -j` output read: a day of samples at a 10 s interval is far less.
const MAX_OUTPUT: usize = 64 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../tests/fixtures/sadf/sadf.json");

    #[test]
    fn sa_files_linked_out_of_the_tree_are_not_handed_to_sadf() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("root");
        std::fs::create_dir_all(d.join("var/log/sa")).unwrap();
        let outside = dir.path().join("sa30");
        std::fs::write(&outside, "analyst's own data").unwrap();
        std::os::unix::fs::symlink(&outside, d.join("var/log/sa/sa30")).unwrap();
        std::fs::write(d.join("var/log/sa/sa29"), "captured").unwrap();
        let root = HostRoot::new(&d).unwrap();
        let files = sa_files(&root);
        assert_eq!(files.len(), 1, "{files:?}");
        assert!(files[0].ends_with("sa29"));
        // The directory itself linked out of the tree: nothing listed.
        let d2 = dir.path().join("root2");
        std::fs::create_dir_all(d2.join("var/log")).unwrap();
        std::fs::create_dir_all(dir.path().join("outside_sa")).unwrap();
        std::fs::copy(
            d.join("var/log/sa/sa29"),
            dir.path().join("outside_sa/sa28"),
        )
        .unwrap();
        std::os::unix::fs::symlink("../../../outside_sa", d2.join("var/log/sa")).unwrap();
        assert!(sa_files(&HostRoot::new(&d2).unwrap()).is_empty());
    }

    #[test]
    fn reads_the_fixture() {
        let (samples, warnings) = parse(FIXTURE, Path::new("sadf.json")).unwrap();
        assert_eq!(samples.len(), 3, "{warnings:?}");
        assert_eq!(warnings.len(), 1, "the entry without timestamp");
        let first = &samples[0];
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-22T03:00:01+00:00").unwrap();
        assert_eq!(first.time, t.timestamp());
        let load = first.load.unwrap();
        assert_eq!((load.one, load.five, load.fifteen), (0.52, 0.40, 0.31));
        let cpu = first.cpu.unwrap();
        assert!((cpu.usage_percent - 6.5).abs() < 1e-4, "{cpu:?}");
        assert!((cpu.iowait_percent - 1.25).abs() < 1e-4);
        let m = first.memory.unwrap();
        assert_eq!(m.total_bytes, 8_000_000 * 1024);
        assert_eq!(m.available_bytes, 6_000_000 * 1024);
        assert_eq!(m.swap_used_bytes, 1024 * 1024);
        assert_eq!(first.pressure.io, Some(2.5));
        // Old sysstat: no avail, %memused, no psi.
        let old = &samples[2];
        assert_eq!(old.memory.unwrap().total_bytes, 4_000_000 * 1024);
        assert!(old.pressure.io.is_none());
        assert!(samples.windows(2).all(|w| w[0].time <= w[1].time));
    }

    #[test]
    fn not_sadf_names_file_and_line() {
        let err = parse("{\n\"sysstat\": [1,", Path::new("x.json")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("x.json:2"), "{msg}");
        assert!(parse("{}", Path::new("y.json")).is_err());
    }
}
