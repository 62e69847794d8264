//! Parsing what users type for times: `15m`, `2h`, `7d` (durations, via `humantime`), and
//! `2026-11-23T10:00`, `2026-11-23 10:00:00`, `10:00` or full RFC 3339 (local time unless
//! an offset is given).

use std::time::Duration;

use chrono::{Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

use crate::error::{Error, Result};
use crate::snapshot::Time;

/// The longest duration any argument accepts: ten years. Beyond it `Instant` and
/// `DateTime` arithmetic overflows (`--timeout 18446744073709551615s` panicked).
pub(crate) const MAX_DURATION: Duration = Duration::from_secs(10 * 366 * 86400);

/// Parse a duration such as `10s`, `15m`, `2h`, `7d`, `1h30m`, `500ms`, at most
/// [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration> {
    parse_duration_max(text, MAX_DURATION)
}

/// Parse a duration of at most `max`: a sampling interval of 100000 days is a hang, not a
/// setting, and is refused with a message saying the limit.
pub fn parse_duration_max(text: &str, max: Duration) -> Result<Duration> {
    let d = humantime::parse_duration(text.trim()).map_err(|e| {
        Error::Invalid(format!(
            "{text:?} is not a duration (like 30s, 15m, 2h, 7d): {e}"
        ))
    })?;
    if d > max {
        return Err(Error::Invalid(format!(
            "{text:?} is too long (at most {})",
            humantime::format_duration(max)
        )));
    }
    Ok(d)
}

/// Parse `--since`/`--until`: a duration back from `now` (at most [`MAX_DURATION`]), or a
/// point in time.
pub fn parse_time_or_ago(text: &str, now: Time) -> Result<Time> {
    let t = text.trim();
    if humantime::parse_duration(t).is_ok() {
        let d = parse_duration(t)?;
        return chrono::Duration::from_std(d)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
            .ok_or_else(|| Error::Invalid(format!("{text:?}: too long ago")));
    }
    parse_time(t, now)
}

/// Parse a point in time; a time of day alone means today (or yesterday when that would
/// be in the future).
pub fn parse_time(text: &str, now: Time) -> Result<Time> {
    let t = text.trim();
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(dt);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(t, fmt) {
            return local(naive, text);
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return local(date.and_time(NaiveTime::MIN), text);
    }
    for fmt in ["%H:%M:%S", "%H:%M"] {
        if let Ok(time) = NaiveTime::parse_from_str(t, fmt) {
            let today = now.with_timezone(&Local).date_naive();
            let candidate = local(today.and_time(time), text)?;
            return Ok(if candidate > now {
                candidate - chrono::Duration::days(1)
            } else {
                candidate
            });
        }
    }
    Err(Error::Invalid(format!(
        "{text:?} is neither a duration (15m, 2h) nor a time (2026-11-23T10:00, 10:00)"
    )))
}

fn local(naive: NaiveDateTime, text: &str) -> Result<Time> {
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.fixed_offset())
        .ok_or_else(|| Error::Invalid(format!("{text:?} does not exist in the local time zone")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T12:00:00+00:00").unwrap();
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(
            parse_duration("7d").unwrap(),
            Duration::from_secs(7 * 86400)
        );
        assert!(parse_duration("soon").is_err());
        assert_eq!(
            parse_time_or_ago("2h", now).unwrap(),
            now - chrono::Duration::hours(2)
        );
        let t = parse_time_or_ago("2026-11-23T10:00:00+00:00", now).unwrap();
        assert_eq!(t, now - chrono::Duration::hours(2));
        assert!(parse_time_or_ago("2026-11-23T10:00", now).is_ok());
        assert!(parse_time_or_ago("10:00", now).unwrap() <= now);
        // Sizes that overflowed `Instant`/`DateTime` arithmetic are refused, not a panic.
        for huge in ["18446744073709551615s", "99999999999d", "100000d"] {
            let err = parse_duration(huge).unwrap_err().to_string();
            assert!(
                err.contains("too long") || err.contains("not a duration"),
                "{err}"
            );
            assert!(parse_time_or_ago(huge, now).is_err());
        }
        assert!(parse_duration_max("2h", Duration::from_secs(60)).is_err());
        let err = parse_time_or_ago("yesterday-ish", now)
            .unwrap_err()
            .to_string();
        assert!(err.contains("yesterday-ish"), "{err}");
    }
}
