//! Entry points for the cargo-fuzz targets in `fuzz/` (feature `fuzzing`, never in a
//! release build): the parsers of untrusted input stay `pub(crate)`, and each target
//! reaches them through one function here. Every function must return for any input;
//! a panic is a bug (`scripts/fuzz.sh` runs them).

use chrono::TimeZone;

use crate::collect::{counters, cpu, filesystems, kernel_state, load, memory, pressure};
use crate::collect::{host, proc_sample, users};
use crate::logs::formats::{parse_line, ParseCtx};
use crate::snapshot::Time;

/// A fixed "now" (2026-11-30 12:00 UTC): the same input always takes the same path.
fn reference() -> Time {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 30, 12, 0, 0)
        .single()
        .unwrap_or_default()
        .fixed_offset()
}

/// One log line as every log reader parses it (syslog RFC 3164/5424, ISO, kmsg records,
/// dmesg `[secs]`, journal short formats), with and without a boot time.
pub fn log_line(line: &str) {
    let boot = reference() - chrono::Duration::days(3);
    for boot_time in [None, Some(boot)] {
        let ctx = ParseCtx {
            source: "/var/log/syslog".into(),
            reference: reference(),
            boot_time,
        };
        let _ = parse_line(&crate::logs::cap_line(line), &ctx);
    }
}

/// Kernel ring-buffer text as read from `/dev/kmsg`, `klogctl` or a sosreport's `dmesg`
/// (`\xNN` escapes, continuation lines, priorities, uptime stamps).
pub fn kmsg_text(text: &str) {
    let boot = reference() - chrono::Duration::days(3);
    let _ = crate::logs::kmsg::parse_text(text, "kernel", Some(boot));
    let _ = crate::logs::kmsg::parse_text(text, "kernel", None);
}

/// A `/proc` (or sosreport) file's text, given to the parser `which` picks.
pub fn proc_file(which: u8, text: &str) {
    match which % 16 {
        0 => {
            let _ = proc_sample::parse_stat(text);
        }
        1 => {
            let _ = proc_sample::parse_status_uid(text);
        }
        2 => {
            if let Ok(stats) = cpu::parse_stat(text) {
                let _ = cpu::usage_between(None, &stats);
            }
        }
        3 => {
            let _ = memory::parse(text);
        }
        4 => {
            let _ = memory::parse_free(text, 1024);
        }
        5 => {
            let _ = load::parse(text);
        }
        6 => {
            let _ = pressure::parse(text);
        }
        7 => {
            let _ = counters::parse_diskstats(text, |_| true);
        }
        8 => {
            let _ = counters::parse_net_dev(text);
        }
        9 => {
            // sockstat, sockstat6 and snmp, NUL-separated.
            let mut files = text.splitn(3, '\0');
            let mut next = || files.next().unwrap_or_default();
            let _ = counters::parse_tcp(next(), next(), next());
        }
        10 => {
            let _ = filesystems::parse_mountinfo(text);
        }
        11 => {
            let _ = filesystems::parse_mounts(text);
        }
        12 => {
            let _ = filesystems::parse_df(text);
        }
        13 => {
            let _ = (host::parse_os_release(text), host::parse_uptime(text));
        }
        14 => {
            let _ = users::parse_passwd(text);
        }
        _ => {
            let _ = (
                kernel_state::parse_netlink(text),
                kernel_state::parse_sockstat(text),
                kernel_state::parse_buddyinfo(text),
            );
        }
    }
}

/// The redactor over `text`: whole, again over its own output, and line by line carrying
/// PEM state as the log readers do.
pub fn redact(text: &str) {
    let once = crate::redact::redact(text);
    let _ = crate::redact::redact(&once);
    let mut lines = crate::redact::LineRedactor::default();
    for l in text.lines() {
        let _ = lines.line(l);
    }
}
