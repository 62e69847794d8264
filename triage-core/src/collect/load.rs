//! `load`: load averages and runnable tasks from `/proc/loadavg` (see `proc(5)`), parsed
//! by `procfs-core`.

use super::Ctx;
use crate::error::{Error, Result};
use crate::snapshot::Load;
use procfs_core::FromRead;

/// Collect the load section.
pub fn collect(ctx: &Ctx) -> Result<Load> {
    let path = ctx.root.proc("loadavg");
    let text = match ctx.root.read_proc("loadavg") {
        Ok(t) => t,
        Err(e) if !ctx.root.is_live() => return from_uptime_output(ctx).ok_or(e),
        Err(e) => return Err(e),
    };
    parse(&text).map_err(|m| Error::parse(&path, Some(1), m))
}

/// A sosreport without `proc/loadavg`: the averages its saved `uptime` output printed.
fn from_uptime_output(ctx: &Ctx) -> Option<Load> {
    super::host::UPTIME_OUTPUTS.iter().find_map(|rel| {
        let [one, five, fifteen] = ctx
            .root
            .read_string(rel)
            .ok()
            .and_then(|t| super::capture::parse_uptime_load(&t))?;
        ctx.warn(format!(
            "no proc/loadavg; load averages from {rel} (runnable and total tasks unknown, shown as 0)"
        ));
        Some(Load {
            one,
            five,
            fifteen,
            runnable: 0,
            total_tasks: 0,
        })
    })
}

/// Parse `/proc/loadavg` text ("0.20 0.18 0.12 1/80 11206").
pub(crate) fn parse(text: &str) -> std::result::Result<Load, String> {
    let la = procfs_core::LoadAverage::from_read(text.as_bytes())
        .map_err(|e| format!("expected `1m 5m 15m runnable/total lastpid`: {e}"))?;
    Ok(Load {
        one: round2(la.one as f64),
        five: round2(la.five as f64),
        fifteen: round2(la.fifteen as f64),
        runnable: la.cur as u64,
        total_tasks: la.max as u64,
    })
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_loadavg() {
        let load = parse("14.20 7.50 3.01 9/1234 55555\n").unwrap();
        assert_eq!(load.one, 14.2);
        assert_eq!(load.fifteen, 3.01);
        assert_eq!(load.runnable, 9);
        assert_eq!(load.total_tasks, 1234);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse("").is_err());
        assert!(parse("not a load line").is_err());
        assert!(parse("1.0 2.0").is_err());
    }
}
