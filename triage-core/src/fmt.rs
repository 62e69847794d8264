//! How figures and text are shown everywhere (findings, renderers, history, the TUI):
//! bytes, durations, percents, text cut to a width. The bottom layer: it imports nothing
//! of triage.

/// Bytes as a short human figure (`1.5G`, `512M`, `12K`), base 1024 like `free -h`.
pub fn bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "K", "M", "G", "T", "P"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}B")
    } else if v < 10.0 {
        format!("{v:.1}{}", UNITS[unit])
    } else {
        format!("{v:.0}{}", UNITS[unit])
    }
}

/// Seconds as (days, hours, minutes, seconds).
pub fn split_duration(secs: u64) -> (u64, u64, u64, u64) {
    (
        secs / 86400,
        secs % 86400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    )
}

/// Seconds as `3d 4h`, `5h 12m`, `7m 3s`, `42s`.
pub fn duration(secs: u64) -> String {
    let (d, h, m, s) = split_duration(secs);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

/// Seconds as `1h02m`, `3m05s`, `42s`, `2d03h` (fixed width for the TUI's header and
/// `incident status`); negative counts as 0.
pub fn duration_compact(secs: i64) -> String {
    let (d, h, m, s) = split_duration(secs.max(0) as u64);
    if d > 0 {
        format!("{d}d{h:02}h")
    } else if h > 0 {
        format!("{h}h{m:02}m")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}

/// Percent of `part` in `whole`, 0 when `whole` is 0.
pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// `text` cut to `max` characters with an ellipsis (char-safe).
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures() {
        assert_eq!(bytes(512), "512B");
        assert_eq!(bytes(1536), "1.5K");
        assert_eq!(bytes(16 * 1024 * 1024 * 1024), "16G");
        assert_eq!(duration(59), "59s");
        assert_eq!(duration(3 * 86400 + 4 * 3600 + 5), "3d 4h");
        assert_eq!(duration_compact(3725), "1h02m");
        assert_eq!(duration_compact(-5), "0s");
        assert_eq!(percent(1, 0), 0.0);
        assert_eq!(cut("héllo wörld", 5), "héll…");
        assert_eq!(cut("short", 5), "short");
    }
}
