//! Line parsers for every log format `triage logs` reads, detected line by line:
//!
//! - raw `/dev/kmsg` records `prio,seq,usec,flags;text` (Documentation/ABI/testing/dev-kmsg),
//!   with their ` KEY=value` continuation lines;
//! - `dmesg` output: plain, `[ seconds]`, `-T` (`[Mon Nov 23 10:02:03 2026]`),
//!   `--decode` (`kern  :warn  : …`) and `klogctl`'s `<6>[ seconds]` form;
//! - syslog files: RFC 3164 (`Nov 23 10:02:03 host prog[pid]: msg`, no year: inferred from
//!   a reference time such as the file's mtime, with the Dec→Jan turnover), RFC 5424
//!   (`<pri>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`) and rsyslog's RFC 3339 form;
//! - `journalctl -o json` lines (see [`super::journal::parse_json`]).
//!
//! Anything else is kept as a message with no time. Parsing is pure: text in, entry out.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Local, NaiveDate, NaiveDateTime, TimeZone};
use regex::Regex;

use super::LogEntry;
use crate::snapshot::Time;

/// Syslog severity names, indexed by the severity number (RFC 5424 §6.2.1).
pub(crate) const LEVELS: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// The level name of a syslog priority value (facility bits ignored).
pub(crate) fn level_name(prio: u32) -> String {
    LEVELS[(prio & 7) as usize].to_string()
}

/// What a line parser needs besides the line.
#[derive(Debug, Clone)]
pub struct ParseCtx {
    /// `source` of every entry (a file path, `kernel`, `journal`).
    pub source: String,
    /// "About now" for the file: its mtime. RFC 3164 dates take this year, or the year
    /// before when that would put them more than a day after it.
    pub reference: Time,
    /// When the machine booted, to turn kernel `[seconds]` stamps into wall time. `None`
    /// for logs of another boot or another host: such entries keep `uptime_seconds` only.
    pub boot_time: Option<Time>,
}

/// The outcome of parsing one line.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// A log record.
    Entry(LogEntry),
    /// A ` KEY=value` continuation of the previous `/dev/kmsg` record (dropped).
    Continuation,
    /// An empty line.
    Blank,
}

macro_rules! re {
    ($name:ident, $pat:expr) => {
        static $name: LazyLock<Regex> = LazyLock::new(|| Regex::new($pat).expect("static regex"));
    };
}

re!(KMSG, r"^(\d{1,4}),(\d+),(\d+),([^;]*);");
re!(KMSG_CONT, r"^ [A-Z][A-Z0-9_]*=");
re!(
    RFC3164,
    r"^(?:<(\d{1,3})>)?([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)? +"
);
re!(
    RFC5424,
    r"^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (.*))?$"
);
re!(
    RFC3339,
    r"^(?:<(\d{1,3})>)?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2}))\s+"
);
// `host prog[pid]: msg`; sysklogd writes its own lines as `syslogd 1.4.1: restart.`.
re!(
    TAG,
    r"^(\S+) +([^\s:\[\]]+)(?: [0-9][0-9.]*)?(?:\[(\d+)\])?: ?"
);
re!(
    CTIME,
    r"^\[([A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2} \d{4})\] ?"
);
re!(UPTIME, r"^(?:<(\d{1,3})>)?\[ *(\d+)\.(\d+)\] ?");
re!(
    DECODE,
    r"^([a-z0-9]+) *:(emerg|alert|crit|err|warn|notice|info|debug) *: ?"
);

/// Parse one line (without its newline). Never fails: unknown text becomes an entry with
/// no time.
pub fn parse_line(line: &str, ctx: &ParseCtx) -> Parsed {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.trim().is_empty() {
        return Parsed::Blank;
    }
    if line.starts_with(' ') && KMSG_CONT.is_match(line) {
        return Parsed::Continuation;
    }
    if line.starts_with('{') {
        if let Some(e) = super::journal::parse_json(line, &ctx.source) {
            return Parsed::Entry(e);
        }
    }
    let mut e = LogEntry::new(&ctx.source, "");
    // Cheap first-byte checks keep the regexes that cannot match from running.
    let first = line.as_bytes()[0];
    let (digit, angle) = (first.is_ascii_digit(), first == b'<');
    if let Some(h) = first
        .is_ascii_uppercase()
        .then(|| fast_3164(line))
        .flatten()
    {
        e.time = infer_year(h.month, h.day, h.hms, ctx.reference);
        let rest = line.get(h.end..).unwrap_or("");
        if !fast_tag(rest, &mut e) {
            parse_tag(rest, &mut e);
        }
    } else if let Some(c) = digit.then(|| KMSG.captures(line)).flatten() {
        parse_kmsg(&c, rest(line, &c), ctx, &mut e);
    } else if let Some(c) = angle.then(|| RFC5424.captures(line)).flatten() {
        parse_5424(&c, &mut e);
    } else if let Some(c) = (angle || first.is_ascii_uppercase())
        .then(|| RFC3164.captures(line))
        .flatten()
    {
        let pri = c.get(1).and_then(|m| m.as_str().parse().ok());
        let (mon, day) = (&c[2], c[3].parse().unwrap_or(0));
        let hms = [&c[4], &c[5], &c[6]].map(|s| s.parse().unwrap_or(99));
        e.time = infer_year(mon, day, hms, ctx.reference);
        set_pri(&mut e, pri);
        parse_tag(rest(line, &c), &mut e);
    } else if let Some(c) = (digit || angle).then(|| RFC3339.captures(line)).flatten() {
        set_pri(&mut e, c.get(1).and_then(|m| m.as_str().parse().ok()));
        e.time = parse_rfc3339(&c[2]);
        parse_tag(rest(line, &c), &mut e);
    } else if let Some(c) = first
        .is_ascii_lowercase()
        .then(|| DECODE.captures(line))
        .flatten()
    {
        let rest = rest(line, &c).to_string();
        let level = match &c[2] {
            "warn" => "warning",
            l => l,
        };
        let kernel = &c[1] == "kern";
        parse_kernel_text(&rest, ctx, &mut e);
        e.level = Some(level.to_string());
        e.kernel = kernel;
    } else {
        parse_kernel_text(line, ctx, &mut e);
    }
    Parsed::Entry(e)
}

/// An RFC 3164 header without `<pri>` (`Nov 23 10:02:03 `), read byte by byte: the
/// same lines [`RFC3164`] matches, several times faster.
struct Header<'a> {
    month: &'a str,
    day: u32,
    hms: [u32; 3],
    /// Where the text after the header starts.
    end: usize,
}

fn fast_3164(line: &str) -> Option<Header<'_>> {
    let b = line.as_bytes();
    if b.len() < 16 || !b[1].is_ascii_lowercase() || !b[2].is_ascii_lowercase() || b[3] != b' ' {
        return None;
    }
    let mut i = 3;
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    let digits = |from: usize, n: usize| -> Option<u32> {
        let s = b.get(from..from + n)?;
        s.iter()
            .all(u8::is_ascii_digit)
            .then(|| s.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
    };
    let day_len = if b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        2
    } else {
        1
    };
    let day = digits(i, day_len)?;
    i += day_len;
    if b.get(i) != Some(&b' ') || b.get(i + 3) != Some(&b':') || b.get(i + 6) != Some(&b':') {
        return None;
    }
    let hms = [digits(i + 1, 2)?, digits(i + 4, 2)?, digits(i + 7, 2)?];
    i += 9;
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if b.get(i) != Some(&b' ') {
        return None;
    }
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    Some(Header {
        month: line.get(..3)?,
        day,
        hms,
        end: i,
    })
}

/// [`TAG`] (`host prog[pid]: msg`) read byte by byte for ASCII text; false when it does
/// not apply and the regex must decide.
fn fast_tag(text: &str, e: &mut LogEntry) -> bool {
    let b = text.as_bytes();
    let Some(host_end) = b.iter().position(|c| !c.is_ascii_graphic()) else {
        return false;
    };
    if host_end == 0 || b[host_end] != b' ' {
        return false;
    }
    let mut i = host_end;
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    let prog_start = i;
    while b
        .get(i)
        .is_some_and(|c| c.is_ascii_graphic() && !matches!(c, b':' | b'[' | b']'))
    {
        i += 1;
    }
    let prog_end = i;
    if prog_end == prog_start {
        return false;
    }
    // sysklogd's `syslogd 1.4.1:`
    if b.get(i) == Some(&b' ') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        let mut j = i + 1;
        while b.get(j).is_some_and(|c| c.is_ascii_digit() || *c == b'.') {
            j += 1;
        }
        if b.get(j) == Some(&b':') || b.get(j) == Some(&b'[') {
            i = j;
        }
    }
    let mut pid = None;
    if b.get(i) == Some(&b'[') {
        let start = i + 1;
        let mut j = start;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if j == start || b.get(j) != Some(&b']') {
            return false;
        }
        pid = text.get(start..j);
        i = j + 1;
    }
    if b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    if b.get(i) == Some(&b' ') {
        i += 1;
    }
    // Any non-ASCII byte before the message: let the regex judge (Unicode `\s`).
    if !text.is_char_boundary(i) || !b[..i].is_ascii() {
        return false;
    }
    e.host = text.get(..host_end).map(str::to_string);
    e.program = text.get(prog_start..prog_end).map(str::to_string);
    e.pid = pid.and_then(|p| p.parse().ok());
    e.message = text.get(i..).unwrap_or("").to_string();
    if e.program.as_deref() == Some("kernel") {
        e.kernel = true;
        if let Some(u) = UPTIME.captures(&e.message) {
            let secs = uptime(&u[2], &u[3]);
            e.uptime_seconds = Some(secs);
            e.message = rest(&e.message, &u).to_string();
        }
    }
    true
}

/// What follows the match: the header regexes match only the header, so the message
/// itself is never scanned by them.
fn rest<'a>(line: &'a str, c: &regex::Captures<'_>) -> &'a str {
    c.get(0).and_then(|m| line.get(m.end()..)).unwrap_or("")
}

/// dmesg-style text: `[ctime] msg`, `<pri>[secs] msg`, `ISO msg` or plain.
fn parse_kernel_text(text: &str, ctx: &ParseCtx, e: &mut LogEntry) {
    if let Some(c) = CTIME.captures(text) {
        e.time = NaiveDateTime::parse_from_str(&c[1], "%a %b %e %H:%M:%S %Y")
            .ok()
            .and_then(local);
        e.message = rest(text, &c).to_string();
        e.kernel = true;
    } else if let Some(c) = UPTIME.captures(text) {
        set_pri(e, c.get(1).and_then(|m| m.as_str().parse().ok()));
        let secs = uptime(&c[2], &c[3]);
        e.uptime_seconds = Some(secs);
        e.time = ctx.boot_time.and_then(|b| add_secs(b, secs));
        e.message = rest(text, &c).to_string();
        e.kernel = true;
        strip_kernel_prefix(e);
    } else if let Some(c) = RFC3339.captures(text) {
        e.time = parse_rfc3339(&c[2]);
        e.message = rest(text, &c).to_string();
    } else {
        e.message = text.to_string();
    }
}

/// `/var/log/dmesg` on Ubuntu prints `[secs] kernel: msg`: drop the `kernel: `.
fn strip_kernel_prefix(e: &mut LogEntry) {
    if let Some(rest) = e.message.strip_prefix("kernel: ") {
        e.message = rest.to_string();
    }
}

fn parse_kmsg(c: &regex::Captures<'_>, text: &str, ctx: &ParseCtx, e: &mut LogEntry) {
    let prio: u32 = c[1].parse().unwrap_or(6);
    let usec: u64 = c[3].parse().unwrap_or(0);
    let secs = usec as f64 / 1e6;
    e.level = Some(level_name(prio));
    e.kernel = prio >> 3 == 0;
    e.uptime_seconds = Some(secs);
    e.time = ctx.boot_time.and_then(|b| {
        let usec = i64::try_from(usec).ok()?;
        b.checked_add_signed(chrono::Duration::microseconds(usec))
    });
    e.message = unescape_kmsg(text);
}

/// `/dev/kmsg` escapes every byte below space, from 127 up, and `\` as `\xNN`. Turn the
/// printable ones back (UTF-8 text, backslashes) but keep control bytes escaped: turning
/// `\x1b` back into ESC would hand a terminal escape sequence written by any process that
/// can log to the kernel straight to the responder's terminal.
fn unescape_kmsg(text: &str) -> String {
    if !text.contains("\\x") {
        return text.to_string();
    }
    let mut out = Vec::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') {
            if let Some(v) = text
                .get(i + 2..i + 4)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .filter(|v| *v == b'\t' || (*v >= 0x20 && *v != 0x7f))
            {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_5424(c: &regex::Captures<'_>, e: &mut LogEntry) {
    set_pri(e, c[1].parse().ok());
    e.time = parse_rfc3339(&c[2]);
    let nil = |s: &str| (s != "-").then(|| s.to_string());
    e.host = nil(&c[3]);
    e.program = nil(&c[4]);
    e.pid = c[5].parse().ok();
    let msg = c.get(8).map_or("", |m| m.as_str());
    e.message = msg.strip_prefix('\u{feff}').unwrap_or(msg).to_string();
    e.kernel = e.program.as_deref() == Some("kernel");
}

/// `host prog[pid]: msg` after a syslog timestamp.
fn parse_tag(text: &str, e: &mut LogEntry) {
    match TAG.captures(text) {
        Some(c) => {
            e.host = Some(c[1].to_string());
            e.program = Some(c[2].to_string());
            e.pid = c.get(3).and_then(|m| m.as_str().parse().ok());
            let msg = rest(text, &c);
            e.message = msg.to_string();
            if e.program.as_deref() == Some("kernel") {
                e.kernel = true;
                if let Some(u) = UPTIME.captures(msg) {
                    let secs = uptime(&u[2], &u[3]);
                    e.uptime_seconds = Some(secs);
                    e.message = rest(msg, &u).to_string();
                }
            }
        }
        None => e.message = text.to_string(),
    }
}

fn set_pri(e: &mut LogEntry, pri: Option<u32>) {
    if let Some(p) = pri.filter(|p| *p < 192) {
        e.level = Some(level_name(p));
        if p >> 3 == 0 {
            e.kernel = true;
        }
    }
}

fn uptime(secs: &str, frac: &str) -> f64 {
    format!("{secs}.{frac}").parse().unwrap_or(0.0)
}

/// `t` + `secs`; `None` past chrono's range (a garbled `[99999999999999999999.0]` stamp).
fn add_secs(t: Time, secs: f64) -> Option<Time> {
    t.checked_add_signed(chrono::Duration::microseconds((secs * 1e6) as i64))
}

/// `naive` as local time (the earlier one in a DST fold). The offset is cached per hour:
/// asking the time zone for every line of a big file was a tenth of the parse time.
fn local(naive: NaiveDateTime) -> Option<Time> {
    use chrono::{FixedOffset, LocalResult, Timelike};
    thread_local! {
        static LAST: std::cell::Cell<Option<(NaiveDateTime, FixedOffset)>> =
            const { std::cell::Cell::new(None) };
    }
    let hour = naive.with_minute(0)?.with_second(0)?.with_nanosecond(0)?;
    if let Some((h, off)) = LAST.get() {
        if h == hour {
            return naive.and_local_timezone(off).single();
        }
    }
    match Local.from_local_datetime(&naive) {
        LocalResult::Single(t) => {
            let t = t.fixed_offset();
            // Only an hour that is unambiguous at its start and end is cached.
            let whole = [hour, hour + chrono::Duration::minutes(59)]
                .iter()
                .all(|h| matches!(Local.from_local_datetime(h), LocalResult::Single(x) if x.fixed_offset().offset() == t.offset()));
            if whole {
                LAST.set(Some((hour, *t.offset())));
            }
            Some(t)
        }
        other => other.earliest().map(|t| t.fixed_offset()),
    }
}

/// RFC 3339, also with `,` as decimal mark, a space for `T` and `+0000` offsets.
pub(crate) fn parse_rfc3339(text: &str) -> Option<Time> {
    let t = text.replacen(',', ".", 1).replacen(' ', "T", 1);
    if let Ok(t) = DateTime::parse_from_rfc3339(&t) {
        return Some(t);
    }
    DateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%S%.f%z").ok()
}

/// The local year of `t`, cached for the last `t` asked (one reference per file).
fn local_year(t: Time) -> i32 {
    thread_local! {
        static LAST: std::cell::Cell<Option<(Time, i32)>> = const { std::cell::Cell::new(None) };
    }
    if let Some((at, y)) = LAST.get() {
        if at == t {
            return y;
        }
    }
    let y = t.with_timezone(&Local).year();
    LAST.set(Some((t, y)));
    y
}

/// A timestamp without a year (`Nov 23 10:02:03`): the year of `reference`, or the year
/// before when that would be more than a day in the future of `reference` (a December line
/// read in January).
pub(crate) fn infer_year(mon: &str, day: u32, hms: [u32; 3], reference: Time) -> Option<Time> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == mon)? as u32 + 1;
    // Consecutive lines often share their second: the last answer is kept.
    type Key = (u32, u32, [u32; 3], Time);
    thread_local! {
        static LAST: std::cell::Cell<Option<(Key, Option<Time>)>> =
            const { std::cell::Cell::new(None) };
    }
    let key = (month, day, hms, reference);
    if let Some((k, t)) = LAST.get() {
        if k == key {
            return t;
        }
    }
    let t = infer_year_of(month, day, hms, reference);
    LAST.set(Some((key, t)));
    t
}

fn infer_year_of(month: u32, day: u32, hms: [u32; 3], reference: Time) -> Option<Time> {
    let year = local_year(reference);
    let at = |y: i32| {
        NaiveDate::from_ymd_opt(y, month, day)?
            .and_hms_opt(hms[0], hms[1], hms[2])
            .and_then(local)
    };
    match at(year) {
        Some(t) if t > reference + chrono::Duration::days(1) => at(year - 1),
        // Feb 29 of a year that has none: the last leap year.
        None if month == 2 && day == 29 => (1..8).find_map(|k| at(year - k)),
        other => other,
    }
}

#[cfg(test)]
#[path = "formats_tests.rs"]
mod tests;
