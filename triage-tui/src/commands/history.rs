//! `triage history`: recorded history as a sar-style table or the History JSON; `--sadf`
//! reads sysstat's `sadf -j` output; `--compare` sets now against the same hour on
//! earlier days.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use triage_core::history::{
    self, baseline, render, sadf, History, HistorySample, Recorder, Sample,
};
use triage_core::snapshot::{self, Time, Warning};
use triage_core::timespec::{parse_time, parse_time_or_ago};
use triage_core::HostRoot;

use super::Global;
use crate::cli::HistoryArgs;
use crate::output;

/// Default `--since`: this long before `--until` (or now).
const DEFAULT_SINCE: chrono::Duration = chrono::Duration::hours(2);
/// Total time allowed for `sadf` on the host's sa files.
const SADF_DEADLINE: Duration = Duration::from_secs(10);
/// At most this many sa files (days) are read.
const MAX_SA_FILES: usize = 8;

fn warning(message: String) -> Warning {
    Warning {
        collector: history::COLLECTOR.into(),
        message,
    }
}

/// Run `triage history`.
pub fn run(global: &Global, args: HistoryArgs) -> Result<ExitCode> {
    let now = snapshot::now();
    let since = args
        .since
        .as_deref()
        .map(|s| parse_time_or_ago(s, now))
        .transpose()
        .context("--since")?;
    let until = args
        .until
        .as_deref()
        .map(|s| parse_time(s, now))
        .transpose()
        .context("--until")?
        .unwrap_or(now);
    let dir = match args.dir.clone() {
        Some(d) => d,
        None => history::default_dir()?,
    };
    let (mut samples, mut warnings, source) = if let Some(file) = &args.sadf {
        let (s, w) = read_sadf_file(file)?;
        (s, w, format!("{} (sadf -j)", file.display()))
    } else if history::has_store(&dir) || args.dir.is_some() {
        let from = since.unwrap_or(until - DEFAULT_SINCE);
        let (s, w) = history::read_range(&dir, from, until);
        (s, w, dir.display().to_string())
    } else {
        // Earlier days too when comparing: the baseline needs them.
        let mut from = since.unwrap_or(until - DEFAULT_SINCE);
        if args.compare {
            from = from.min(now - chrono::Duration::days(8));
        }
        let (s, w) = host_sysstat(&global.root, from);
        let source = format!(
            "{} (nothing recorded there yet) or the host's sysstat files",
            dir.display()
        );
        (s, w, source)
    };
    let baseline = if !args.compare {
        None
    } else if args.sadf.is_none() && history::has_store(&dir) {
        history::baseline_for(&dir, now).context("reading the history for --compare")?
    } else {
        Some(baseline::compute(
            &samples,
            now,
            baseline::DEFAULT_DAYS,
            baseline::DEFAULT_WINDOW_MINUTES,
        ))
        .filter(|b| b.days > 0)
    };
    // The table and JSON show the asked range only (sadf files: everything unless --since).
    let from = since.or((args.sadf.is_none()).then_some(until - DEFAULT_SINCE));
    samples.retain(|s| from.is_none_or(|f| s.time >= f.timestamp()) && s.time <= until.timestamp());
    if args.compare {
        let current = live_sample(global);
        return compare(&current, baseline.as_ref(), args.json, warnings);
    }
    if samples.is_empty() {
        warnings.push(warning(format!(
            "no samples in {source} between {} and {}{}",
            since
                .unwrap_or(until - DEFAULT_SINCE)
                .format("%Y-%m-%d %H:%M"),
            until.format("%Y-%m-%d %H:%M"),
            if args.sadf.is_none() && !history::has_store(&dir) {
                " (start `triage record`, see the README, or pass --sadf FILE)"
            } else {
                ""
            }
        )));
    }
    if args.json {
        let doc = History::new(&samples, warnings);
        output::emit(None, |out| triage_core::render::json::write(&doc, out))?;
    } else {
        print_warnings(&warnings);
        output::emit(None, |out| render::write_table(&samples, out))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_warnings(warnings: &[Warning]) {
    for w in warnings {
        eprintln!("triage: warning: {}", w.message);
    }
}

fn read_sadf_file(file: &Path) -> Result<(Vec<Sample>, Vec<Warning>)> {
    let text = HostRoot::read_path_string(file).with_context(|| "--sadf".to_string())?;
    let (s, w) = sadf::parse(&text, file)?;
    Ok((s, w.into_iter().map(warning).collect()))
}

/// No triage store: the host's own sysstat files through `sadf -j`, newest first, under
/// one overall deadline.
fn host_sysstat(root: &HostRoot, since: Time) -> (Vec<Sample>, Vec<Warning>) {
    let mut samples = Vec::new();
    let mut warnings = Vec::new();
    let files = sadf::sa_files(root);
    if files.is_empty() {
        return (samples, warnings);
    }
    let started = Instant::now();
    for file in files.into_iter().take(MAX_SA_FILES) {
        let modified = std::fs::metadata(&file).and_then(|m| m.modified()).ok();
        let since_sys =
            std::time::UNIX_EPOCH + Duration::from_secs(since.timestamp().max(0) as u64);
        if modified.is_some_and(|m| m < since_sys) {
            break;
        }
        let left = SADF_DEADLINE.saturating_sub(started.elapsed());
        if left.is_zero() {
            warnings.push(warning(
                "sadf: out of time; older sysstat files not read".into(),
            ));
            break;
        }
        match sadf::run_sadf(&file, left) {
            Ok((s, w)) => {
                samples.extend(s);
                warnings.extend(w.into_iter().map(warning));
            }
            Err(e) => {
                warnings.push(warning(e.to_string()));
                break;
            }
        }
    }
    samples.sort_by_key(|s| s.time);
    (samples, warnings)
}

/// A sample of the host now: two readings one second apart.
fn live_sample(global: &Global) -> Sample {
    let mut rec = Recorder::new(global.root.clone(), global.redact);
    if global.root.is_live() {
        std::thread::sleep(Duration::from_secs(1));
    }
    rec.take().0
}

fn compare(
    now: &Sample,
    baseline: Option<&triage_core::baseline::Baseline>,
    json: bool,
    warnings: Vec<Warning>,
) -> Result<ExitCode> {
    if json {
        let doc = serde_json::json!({
            "now": HistorySample::from_sample(now),
            "baseline": baseline,
            "warnings": warnings,
        });
        output::emit(None, |out| triage_core::render::json::write(&doc, out))?;
    } else {
        print_warnings(&warnings);
        output::emit(None, |out| {
            render::write_compare(&now.into(), baseline, out)
        })?;
    }
    Ok(ExitCode::SUCCESS)
}
