//! Systemd units in the failed state: `systemctl --failed --no-legend --plain`, and when
//! each failed (`systemctl show -p Id,StateChangeTimestamp`). Live host with systemd only
//! (`/run/systemd/system` exists); each command runs under a deadline and is killed when
//! it does not answer (a wedged PID 1 makes `systemctl` hang).

use std::time::Duration;

use super::{change, kind, local};
use crate::collect::Ctx;
use crate::command::{run_command, Cmd};
use crate::error::{Error, Result};
use crate::snapshot::{Change, Time};

/// Deadline for each `systemctl` call.
pub(crate) const SYSTEMCTL_TIMEOUT: Duration = Duration::from_millis(600);

/// Run `program args` through [`run_command`] with `timeout`; kill it when it takes
/// longer. Returns stdout (at most 4 MiB, as printed: the snapshot redacts later).
pub(crate) fn run_with_timeout(program: &str, args: &[&str], timeout: Duration) -> Result<String> {
    let cmd = Cmd::new(program)
        .args(args)
        .env("SYSTEMD_PAGER", "")
        .env("LC_ALL", "C")
        .raw();
    let what = cmd.describe();
    let o = run_command(&cmd, timeout, 4 * 1024 * 1024)
        .map_err(|e| Error::Unavailable(format!("{what}: {e}")))?;
    if o.timed_out {
        return Err(Error::Timeout {
            what,
            after: timeout,
        });
    }
    Ok(o.stdout.text)
}

/// Unit names from `systemctl --failed --no-legend --plain` output
/// (`nginx.service loaded failed failed A high performance web server`).
pub(crate) fn parse_failed(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // Older systemd prints a "●" bullet first even with --plain.
            let f: Vec<&str> = f
                .into_iter()
                .skip_while(|w| *w == "●" || *w == "*")
                .collect();
            (f.len() >= 4 && f[2] == "failed").then(|| {
                (
                    f[0].to_string(),
                    f.get(4..).map(|d| d.join(" ")).unwrap_or_default(),
                )
            })
        })
        .collect()
}

/// `Id=` → `StateChangeTimestamp=` from `systemctl show` output (blank-line separated).
pub(crate) fn parse_show(text: &str) -> Vec<(String, Option<Time>)> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut id = None;
            let mut when = None;
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("Id=") {
                    id = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("StateChangeTimestamp=") {
                    when = parse_systemd_time(v.trim());
                }
            }
            id.map(|i| (i, when))
        })
        .collect()
}

/// `Mon 2026-11-23 10:15:42 UTC` (the zone is the host's; it is dropped).
pub(crate) fn parse_systemd_time(text: &str) -> Option<Time> {
    let f: Vec<&str> = text.split_whitespace().collect();
    let (date, time) = (f.get(1)?, f.get(2)?);
    local(
        chrono::NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M:%S")
            .ok()?,
    )
}

/// Failed units as changes (live host with systemd only).
pub fn collect(ctx: &Ctx, _since: Time, out: &mut Vec<Change>) {
    if !ctx.root.is_live() || !ctx.root.exists("run/systemd/system") {
        return;
    }
    let failed = match run_with_timeout(
        "systemctl",
        &["--failed", "--no-legend", "--plain", "--no-pager"],
        SYSTEMCTL_TIMEOUT,
    ) {
        Ok(text) => parse_failed(&text),
        Err(e) => {
            ctx.warn(format!("{e} (failed units not shown)"));
            return;
        }
    };
    if failed.is_empty() {
        return;
    }
    let mut args = vec!["show", "-p", "Id,StateChangeTimestamp", "--"];
    args.extend(failed.iter().map(|(u, _)| u.as_str()));
    let times = run_with_timeout("systemctl", &args, SYSTEMCTL_TIMEOUT)
        .map(|t| parse_show(&t))
        .unwrap_or_default();
    for (unit, description) in failed {
        let when = times
            .iter()
            .find(|(id, _)| *id == unit)
            .and_then(|(_, t)| *t)
            .unwrap_or(ctx.now);
        let desc = if description.is_empty() {
            String::new()
        } else {
            format!(" ({description})")
        };
        out.push(change(
            when,
            kind::SERVICE,
            format!("{unit} failed{desc}"),
            format!("systemctl status {unit}"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_units_and_times() {
        let out = "nginx.service loaded failed failed A high performance web server\n● cron.service loaded failed failed Regular background program processing daemon\n";
        let u = parse_failed(out);
        assert_eq!(u.len(), 2);
        assert_eq!(
            u[0],
            (
                "nginx.service".into(),
                "A high performance web server".into()
            )
        );
        assert_eq!(u[1].0, "cron.service");
        let show = "Id=nginx.service\nStateChangeTimestamp=Mon 2026-11-23 10:15:42 UTC\n\nId=cron.service\nStateChangeTimestamp=\n";
        let s = parse_show(show);
        assert_eq!(s[0].1.unwrap().format("%H:%M:%S").to_string(), "10:15:42");
        assert_eq!(s[1].1, None);
    }

    #[test]
    fn a_hung_command_is_killed_at_its_deadline() {
        let started = std::time::Instant::now();
        let err = run_with_timeout("sleep", &["5"], Duration::from_millis(100)).unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(
            run_with_timeout("echo", &["hi"], Duration::from_secs(2)).unwrap(),
            "hi\n"
        );
    }
}
