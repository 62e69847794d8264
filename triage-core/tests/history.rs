//! The baseline through the store: a synthetic week written as segments, read back by
//! `history::baseline_for`.

use chrono::Duration;
use triage_core::history::sample::LoadAvg;
use triage_core::history::{self, store::SegmentWriter, Sample};

fn at(s: &str) -> triage_core::snapshot::Time {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

#[test]
fn baseline_for_a_synthetic_week() {
    let dir = tempfile::tempdir().unwrap();
    let now = at("2026-11-23T10:00:00+09:00");
    let mut w = SegmentWriter::new(dir.path());
    let mut t = now - Duration::days(8);
    let mut i = 0;
    while t <= now {
        // load 1.0 ± 0.1 around 10:00 every day, 6.0 at other hours, 14 today at 10:00.
        let hour = t
            .with_timezone(now.offset())
            .time()
            .format("%H")
            .to_string();
        let load = match (t.date_naive() == now.date_naive(), hour.as_str()) {
            (true, "09" | "10") => 14.0,
            (false, "09" | "10") => [0.9, 1.0, 1.1][i % 3],
            _ => 6.0,
        };
        let s = Sample {
            time: t.timestamp(),
            utc_offset: 9 * 3600,
            load: Some(LoadAvg {
                one: load,
                five: load,
                fifteen: load,
            }),
            ..Sample::default()
        };
        w.append(t.naive_utc().date(), &history::encode(&s).unwrap())
            .unwrap();
        t += Duration::minutes(10);
        i += 1;
    }
    let b = history::baseline_for(dir.path(), now).unwrap().unwrap();
    assert_eq!(b.days, 7);
    let load = b.load1.unwrap();
    assert!((load.median - 1.0).abs() < 0.01, "{load:?}");
    assert!(load.spread <= 0.1 + 1e-6, "{load:?}");
    assert_eq!(load.samples, 7 * 7, "±30 min every 10 min, 7 days");
    assert!(load.deviations(14.0) > 100.0);
    assert!(b.cpu_usage_percent.is_none());
    // Nothing recorded before: no baseline, not an error.
    let early = now - Duration::days(30);
    assert!(history::baseline_for(dir.path(), early).unwrap().is_none());
    // The sparkline reader: today's samples in a 1-hour window.
    let (samples, warnings) = history::read_range(dir.path(), now - Duration::hours(1), now);
    assert_eq!(samples.len(), 7);
    assert!(warnings.is_empty());
    assert!(samples.windows(2).all(|w| w[0].time < w[1].time));
}
