//! Parsing what users type for times: `15m`, `2h`, `7d` (durations, via `humantime`), and
//! `2026-11-23T10:00`, `2026-11-23 10:00:00`, `10:00` or full RFC 3339 (local time unless
//! an offset is given).

use std::time::Duration;

use chrono::{Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

use crate::error::{Error, Result};
use crate::snapshot::Time;

/// Parse a duration such as `10s`, `15m`, `2h`, `7d`, `1h30m`, `500ms`.
pub fn parse_duration(text: &str) -> Result<Duration> {
    humantime::parse_duration(text.trim()).map_err(|e| {
        Error::Invalid(format!(
            "{text:?} is not a duration (like 30s, 15m, 2h, 7d): {e}"
        ))
    })
}

/// Parse `--since`/`--until`: a duration back from `now`, or a point in time.
pub fn parse_time_or_ago(text: &str, now: Time) -> Result<Time> {
    let t = text.trim();
    if let Ok(d) = humantime::parse_duration(t) {
        let d = chrono::Duration::from_std(d)
            .map_err(|_| Error::Invalid(format!("{text:?}: too long ago")))?;
        return Ok(now - d);
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
        let err = parse_time_or_ago("yesterday-ish", now)
            .unwrap_err()
            .to_string();
        assert!(err.contains("yesterday-ish"), "{err}");
    }
}
