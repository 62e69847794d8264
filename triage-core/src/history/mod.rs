//! sar-style history: what the load, memory, PSI and top processes were at 03:10, and how
//! now compares with the same hour on earlier days.
//!
//! - [`sample`]: what a sample holds and taking one ([`Recorder`]); [`listen`]: its
//!   listening TCP ports.
//! - [`store`]: the crash-safe segment files; [`recorder`]: the `triage record` loop.
//! - [`sadf`]: sysstat's `sadf -j` output as samples.
//! - [`baseline`]: median and spread at the same time of day on earlier days.
//! - [`render`]: the sar-style table and the comparison lines.
//!
//! The entry points for other parts of triage are [`read_range`] (TUI sparklines),
//! [`baseline_for`] (findings, TUI) and [`History`] (the `triage history --json` shape).

pub mod baseline;
pub mod listen;
pub mod probe;
pub mod recorder;
pub mod render;
pub mod sadf;
pub mod sample;
pub mod store;

use std::path::{Path, PathBuf};

use chrono::Duration;
use serde::Serialize;

pub use sample::{Recorder, Sample};

use crate::baseline::Baseline;
use crate::error::{Error, Result};
use crate::snapshot::{Time, Warning};

/// The collector name used in `warnings[]`.
pub const COLLECTOR: &str = "history";

/// Where `triage record` keeps its segments by default: `STATE_DIR/history`.
pub fn default_dir() -> Result<PathBuf> {
    Ok(crate::state::state_dir()?.join("history"))
}

/// Encode a sample as a record payload (postcard).
pub fn encode(sample: &Sample) -> Result<Vec<u8>> {
    postcard::to_stdvec(sample)
        .map_err(|e| Error::Invalid(format!("history sample could not be encoded: {e}")))
}

/// Decode a record payload of segment format `version`. A version 2 sample is a version 3
/// one without its last field, `cgroups`: postcard writes no field names, so one more
/// byte, 0 (an empty list's length), makes it a version 3 record with no cgroups.
pub fn decode(version: u16, mut payload: Vec<u8>) -> Result<Sample> {
    if version == 2 {
        payload.push(0);
    }
    postcard::from_bytes::<Sample>(&payload)
        .map_err(|e| Error::Invalid(format!("history sample could not be decoded: {e}")))
}

/// The samples recorded in `dir` between `since` and `until` (inclusive), oldest first,
/// and a warning for each segment that had damaged records or could not be read. A
/// missing directory is no history, not an error.
pub fn read_range(dir: &Path, since: Time, until: Time) -> (Vec<Sample>, Vec<Warning>) {
    let mut warnings = Vec::new();
    let warn = |w: &mut Vec<Warning>, message: String| {
        w.push(Warning {
            collector: COLLECTOR.into(),
            message,
        })
    };
    let segments = match store::segments(dir) {
        Ok(s) => s,
        Err(e) => {
            warn(&mut warnings, e.to_string());
            return (Vec::new(), warnings);
        }
    };
    let (from, to) = (since.timestamp(), until.timestamp());
    let first_day = since.naive_utc().date();
    let last_day = until.naive_utc().date();
    let mut samples = Vec::new();
    for (date, path) in segments {
        if date < first_day || date > last_day {
            continue;
        }
        let segment = store::read_segment(&path);
        if let Some(m) = segment.warning {
            warn(&mut warnings, m);
        }
        let mut undecodable = 0usize;
        for r in segment.records {
            // `time` is the first field: records out of range are not decoded further.
            match postcard::take_from_bytes::<i64>(&r) {
                Ok((time, _)) if !(from..=to).contains(&time) => continue,
                Ok(_) => {}
                Err(_) => {
                    undecodable += 1;
                    continue;
                }
            }
            match decode(segment.version, r) {
                Ok(s) => samples.push(s),
                Err(_) => undecodable += 1,
            }
        }
        if undecodable > 0 {
            warn(
                &mut warnings,
                format!(
                    "{}: {undecodable} record(s) passed their checksum but could not be decoded (written by another triage version?); skipped",
                    path.display()
                ),
            );
        }
    }
    samples.sort_by_key(|s| s.time);
    (samples, warnings)
}

/// True when `dir` holds at least one segment file.
pub fn has_store(dir: &Path) -> bool {
    store::segments(dir).is_ok_and(|s| !s.is_empty())
}

/// The baseline at `at` from the store in `dir`: the same time of day ± 30 minutes on
/// each of the previous 7 days, and the ports usually listening over the last 24 h.
/// `Ok(None)` when no earlier day has samples there and no listener is usual.
pub fn baseline_for(dir: &Path, at: Time) -> Result<Option<Baseline>> {
    baseline_for_with(
        dir,
        at,
        baseline::DEFAULT_DAYS,
        baseline::DEFAULT_WINDOW_MINUTES,
    )
}

/// [`baseline_for`] with the number of days and the window chosen.
pub(crate) fn baseline_for_with(
    dir: &Path,
    at: Time,
    days: u32,
    window_minutes: u32,
) -> Result<Option<Baseline>> {
    store::segments(dir)?;
    let window = Duration::minutes(i64::from(window_minutes));
    // The last day whole (usual listeners) together with yesterday's window, then one
    // read per earlier day's window, so only the samples near that time of day are kept.
    let recent = at - Duration::hours(crate::findings::thresholds::LISTENER_WINDOW_HOURS);
    let yesterday = at - Duration::days(1) - window;
    let mut samples = read_range(dir, recent.min(yesterday), at).0;
    for d in 2..=i64::from(days) {
        let centre = at - Duration::days(d);
        samples.extend(read_range(dir, centre - window, centre + window).0);
    }
    let b = baseline::compute(&samples, at, days, window_minutes);
    Ok((b.days > 0 || !b.usual_listeners.is_empty()).then_some(b))
}

/// `triage history --json`: the History JSON of DESIGN.md.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct History {
    /// Samples, oldest first.
    pub samples: Vec<HistorySample>,
    /// What could not be read, and why.
    pub warnings: Vec<Warning>,
}

/// One sample in the History JSON.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HistorySample {
    /// When (RFC 3339, the recorder's offset).
    pub time: Time,
    /// Load averages.
    pub load: Option<JsonLoad>,
    /// CPU over the interval.
    pub cpu: Option<JsonCpu>,
    /// Memory and swap.
    pub memory: Option<JsonMemory>,
    /// PSI `some avg10` per resource, `null` when unknown.
    pub pressure: JsonPressure,
    /// The top processes by CPU and by memory.
    pub top_processes: Vec<JsonProcess>,
    /// The top cgroups by CPU, throttling and memory, and those with an OOM kill (empty
    /// for samples recorded before format version 3).
    pub cgroups: Vec<JsonCgroup>,
}

/// `cgroups[]` in the History JSON (addition to DESIGN.md, documented in the README).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JsonCgroup {
    /// Path in its hierarchy (the start cut to `…` past 96 characters).
    pub path: String,
    /// Pod/container or unit, when the path alone does not say it.
    pub name: Option<String>,
    /// CPU over the interval, 100 = one core.
    pub cpu_percent: Option<f64>,
    /// CFS quota in cores; `null` when unlimited.
    pub quota_cores: Option<f64>,
    /// Share of the enforcement periods in the interval in which it was throttled.
    pub throttled_percent: Option<f64>,
    /// Memory in use.
    pub memory_bytes: Option<u64>,
    /// Hard memory limit; `null` when unlimited.
    pub memory_max_bytes: Option<u64>,
    /// Processes OOM-killed in it during the interval.
    pub oom_kills: u32,
}

/// `load` in the History JSON.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JsonLoad {
    /// 1 minute.
    pub one: f64,
    /// 5 minutes.
    pub five: f64,
    /// 15 minutes.
    pub fifteen: f64,
}

/// `cpu` in the History JSON.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JsonCpu {
    /// Busy percent.
    pub usage_percent: f64,
    /// Iowait percent.
    pub iowait_percent: f64,
}

/// `memory` in the History JSON.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JsonMemory {
    /// MemTotal.
    pub total_bytes: u64,
    /// MemAvailable.
    pub available_bytes: u64,
    /// Swap used.
    pub swap_used_bytes: u64,
}

/// `pressure` in the History JSON.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JsonPressure {
    /// CPU some avg10.
    pub cpu: Option<f64>,
    /// Memory some avg10.
    pub memory: Option<f64>,
    /// I/O some avg10.
    pub io: Option<f64>,
}

/// `top_processes[]` in the History JSON.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JsonProcess {
    /// Process id.
    pub pid: i32,
    /// Command line (redacted).
    pub command: String,
    /// CPU, 100 = one core.
    pub cpu_percent: f64,
    /// Resident memory.
    pub rss_bytes: u64,
}

/// An `f32` as an `f64` with 2 decimals (no `14.199999809`).
fn r2(v: f32) -> f64 {
    (f64::from(v) * 100.0).round() / 100.0
}

impl HistorySample {
    /// The JSON view of `s`; `None` when its time is out of range.
    pub fn from_sample(s: &Sample) -> Option<HistorySample> {
        Some(HistorySample {
            time: s.time()?,
            load: s.load.map(|l| JsonLoad {
                one: r2(l.one),
                five: r2(l.five),
                fifteen: r2(l.fifteen),
            }),
            cpu: s.cpu.map(|c| JsonCpu {
                usage_percent: r2(c.usage_percent),
                iowait_percent: r2(c.iowait_percent),
            }),
            memory: s.memory.map(|m| JsonMemory {
                total_bytes: m.total_bytes,
                available_bytes: m.available_bytes,
                swap_used_bytes: m.swap_used_bytes,
            }),
            pressure: JsonPressure {
                cpu: s.pressure.cpu.map(r2),
                memory: s.pressure.memory.map(r2),
                io: s.pressure.io.map(r2),
            },
            top_processes: s
                .top
                .iter()
                .map(|p| JsonProcess {
                    pid: p.pid,
                    command: p.command.clone(),
                    cpu_percent: r2(p.cpu_percent),
                    rss_bytes: p.rss_bytes,
                })
                .collect(),
            cgroups: s
                .cgroups
                .iter()
                .map(|c| JsonCgroup {
                    path: c.path.clone(),
                    name: c.name.clone(),
                    cpu_percent: c.cpu_percent.map(r2),
                    quota_cores: c.quota_cores.map(r2),
                    throttled_percent: c.throttled_percent.map(r2),
                    memory_bytes: c.memory_bytes,
                    memory_max_bytes: c.memory_max_bytes,
                    oom_kills: c.oom_kills,
                })
                .collect(),
        })
    }
}

impl History {
    /// The JSON view of `samples` with `warnings`.
    pub fn new(samples: &[Sample], warnings: Vec<Warning>) -> History {
        History {
            samples: samples
                .iter()
                .filter_map(HistorySample::from_sample)
                .collect(),
            warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(s: &str) -> Time {
        chrono::DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn read_range_spans_days_and_skips_damage() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = store::SegmentWriter::new(dir.path());
        let base = at("2026-11-22T23:59:50+00:00");
        for i in 0..4 {
            let s = Sample {
                time: base.timestamp() + i * 10,
                ..Sample::default()
            };
            let date = s.time().unwrap().naive_utc().date();
            w.append(date, &encode(&s).unwrap()).unwrap();
        }
        // A torn write on the second day.
        let day2 = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let path = w.path_for(day2);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(&store::SYNC);
        bytes.extend_from_slice(&[200, 0]);
        std::fs::write(&path, bytes).unwrap();
        // Just written: could be a record in flight, so no warning yet...
        let (_, warnings) = read_range(dir.path(), base, base + Duration::minutes(1));
        assert!(warnings.is_empty(), "{warnings:?}");
        // ...but once the file is older, the torn tail is reported.
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        std::fs::File::options()
            .append(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let (samples, warnings) = read_range(dir.path(), base, base + Duration::minutes(1));
        assert_eq!(samples.len(), 4);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].message.contains("2026-11-23.tseg"));
        let (samples, _) = read_range(
            dir.path(),
            base + Duration::seconds(15),
            base + Duration::minutes(1),
        );
        assert_eq!(samples.len(), 2);
        let json = serde_json::to_value(History::new(&samples, vec![])).unwrap();
        assert!(json["samples"][0]["pressure"]["io"].is_null());
        assert!(json["samples"][0]["time"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-23T00:00:"));
        assert_eq!(read_range(&dir.path().join("none"), base, base).0.len(), 0);
    }

    #[test]
    fn listeners_round_trip_and_old_versions_are_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let t = at("2026-11-23T10:00:00+00:00");
        let day = t.naive_utc().date();
        let mut w = store::SegmentWriter::new(dir.path());
        // A segment of format version 1 (samples without listeners) for the same day:
        // its records would decode as garbage with this build's `Sample`.
        let old = w.path_for(day);
        let mut v1 = store::header();
        v1[4..6].copy_from_slice(&1u16.to_le_bytes());
        let mut bytes = v1.to_vec();
        bytes.extend(store::encode_record(b"an old sample"));
        std::fs::write(&old, &bytes).unwrap();
        let (samples, warnings) = read_range(dir.path(), t, t);
        assert!(samples.is_empty());
        assert!(warnings[0].message.contains("version 1"), "{warnings:?}");
        // Recording moves it aside, then writes this version.
        let s = Sample {
            time: t.timestamp(),
            listeners: Some(vec![
                sample::ListenPort {
                    port: 22,
                    process: None,
                },
                sample::ListenPort {
                    port: 5432,
                    process: Some("postgres".into()),
                },
            ]),
            ..Sample::default()
        };
        w.append(day, &encode(&s).unwrap()).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("2026-11-23.tseg.v1")).unwrap(),
            bytes
        );
        let (samples, warnings) = read_range(dir.path(), t, t);
        assert!(warnings.is_empty(), "{warnings:?}");
        // read_range peeks at the time alone: it must be the first field.
        let peeked = postcard::take_from_bytes::<i64>(&encode(&s).unwrap())
            .unwrap()
            .0;
        assert_eq!(peeked, s.time);
        assert_eq!(samples, vec![s]);
        assert_eq!(store::VERSION, 3);
    }
}
