//! Renderers: a snapshot as JSON or Markdown, written to any [`std::io::Write`].

pub mod json;
pub mod markdown;
pub mod textfile;

/// Bytes as a short human figure (`1.5G`, `512M`, `12K`), base 1024 like `free -h`.
pub fn human_bytes(bytes: u64) -> String {
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
pub fn human_duration(secs: u64) -> String {
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

/// Percent of `part` in `whole`, 0 when `whole` is 0.
pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures() {
        assert_eq!(human_bytes(512), "512B");
        assert_eq!(human_bytes(1536), "1.5K");
        assert_eq!(human_bytes(16 * 1024 * 1024 * 1024), "16G");
        assert_eq!(human_duration(59), "59s");
        assert_eq!(human_duration(3 * 86400 + 4 * 3600 + 5), "3d 4h");
        assert_eq!(percent(1, 0), 0.0);
    }
}
