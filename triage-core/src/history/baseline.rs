//! "What is usual at this hour": the same time of day ± a window on each of the previous
//! days, summarised as median and median absolute deviation (robust to one bad day);
//! and the TCP ports listening in nearly every sample of the last 24 h.

use std::collections::HashMap;

use chrono::Duration;

use super::sample::Sample;
use crate::baseline::{Baseline, Usual, UsualListener};
use crate::findings::thresholds as t;
use crate::snapshot::Time;

/// Days looked back by default.
pub const DEFAULT_DAYS: u32 = 7;
/// Minutes each side of the time of day, by default.
pub const DEFAULT_WINDOW_MINUTES: u32 = 30;

/// The baseline at `at` from `samples`: those within `window_minutes` of the same time of
/// day on each of the `days` days before `at` (samples of the day of `at` itself are not
/// used). A figure no sample had is `None`. Usual listeners come from the samples of the
/// [`t::LISTENER_WINDOW_HOURS`] before `at` (see [`usual_listeners`]).
pub fn compute(samples: &[Sample], at: Time, days: u32, window_minutes: u32) -> Baseline {
    let window = Duration::minutes(i64::from(window_minutes));
    let windows: Vec<(i64, i64)> = (1..=i64::from(days))
        .map(|d| {
            let centre = at - Duration::days(d);
            ((centre - window).timestamp(), (centre + window).timestamp())
        })
        .collect();
    let mut used_days = vec![false; windows.len()];
    let picked: Vec<&Sample> = samples
        .iter()
        .filter(|s| {
            match windows
                .iter()
                .position(|(a, b)| (*a..=*b).contains(&s.time))
            {
                Some(i) => {
                    used_days[i] = true;
                    true
                }
                None => false,
            }
        })
        .collect();
    let usual = |f: &dyn Fn(&Sample) -> Option<f64>| usual(picked.iter().filter_map(|s| f(s)));
    Baseline {
        at: Some(at),
        days: used_days.iter().filter(|u| **u).count() as u32,
        window_minutes,
        load1: usual(&|s| s.load.map(|l| f64::from(l.one))),
        cpu_usage_percent: usual(&|s| s.cpu.map(|c| f64::from(c.usage_percent))),
        iowait_percent: usual(&|s| s.cpu.map(|c| f64::from(c.iowait_percent))),
        memory_used_bytes: usual(&|s| s.memory_used_bytes().map(|m| m as f64)),
        swap_used_bytes: usual(&|s| s.memory.map(|m| m.swap_used_bytes as f64)),
        psi_memory_some: usual(&|s| s.pressure.memory.map(f64::from)),
        psi_io_some: usual(&|s| s.pressure.io.map(f64::from)),
        tcp_connections: usual(&|s| s.tcp.map(|t| f64::from(t.established + t.time_wait))),
        usual_listeners: usual_listeners(samples, at),
    }
}

/// The TCP ports listening in at least [`t::LISTENER_USUAL_SHARE`] of the samples of the
/// [`t::LISTENER_WINDOW_HOURS`] before `at` that recorded listeners, when there are at
/// least [`t::LISTENER_MIN_SAMPLES`] of them; each with the process name seen most often
/// on it. Ascending by port.
pub fn usual_listeners(samples: &[Sample], at: Time) -> Vec<UsualListener> {
    let to = at.timestamp();
    let from = to - t::LISTENER_WINDOW_HOURS * 3600;
    let mut total = 0u64;
    let mut first = to;
    // port → (samples seen in, name → count)
    let mut seen: HashMap<u16, (u64, HashMap<&str, u64>)> = HashMap::new();
    for s in samples.iter().filter(|s| (from..to).contains(&s.time)) {
        let Some(ls) = &s.listeners else { continue };
        total += 1;
        first = first.min(s.time);
        for l in ls {
            let e = seen.entry(l.port).or_default();
            e.0 += 1;
            if let Some(p) = &l.process {
                *e.1.entry(p.as_str()).or_default() += 1;
            }
        }
    }
    if total < t::LISTENER_MIN_SAMPLES {
        return Vec::new();
    }
    let mut out: Vec<UsualListener> = seen
        .into_iter()
        .filter_map(|(port, (n, names))| {
            let share = n as f64 / total as f64;
            // Most seen name; ties broken by name so the result does not depend on order.
            let process = names
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
                .map(|(name, _)| name.to_string());
            (share >= t::LISTENER_USUAL_SHARE).then_some(UsualListener {
                port,
                process,
                seen_share: share,
                samples: total,
                window_hours: t::LISTENER_WINDOW_HOURS as u32,
                covered_seconds: (to - first).max(0) as u64,
            })
        })
        .collect();
    out.sort_by_key(|l| l.port);
    out
}

/// Median and MAD of `values`; `None` when there are none.
pub fn usual(values: impl Iterator<Item = f64>) -> Option<Usual> {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    let median = median_of(&mut v);
    let mut dev: Vec<f64> = v.iter().map(|x| (x - median).abs()).collect();
    Some(Usual {
        median,
        spread: median_of(&mut dev),
        samples: v.len() as u64,
    })
}

fn median_of(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::sample::{ListenPort, LoadAvg, MemUse};

    fn at(s: &str) -> Time {
        chrono::DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn sample(t: Time, load: f32) -> Sample {
        Sample {
            time: t.timestamp(),
            load: Some(LoadAvg {
                one: load,
                five: load,
                fifteen: load,
            }),
            memory: Some(MemUse {
                total_bytes: 8 << 30,
                available_bytes: 6 << 30,
                ..MemUse::default()
            }),
            ..Sample::default()
        }
    }

    /// A week of samples every 10 minutes: load 1.0 ± 0.1 around 10:00, 5.0 elsewhere
    /// (so a window that leaks into other hours shows), and today 14 at 10:00.
    fn synthetic_week(now: Time) -> Vec<Sample> {
        let mut out = Vec::new();
        let start = now - Duration::days(7) - Duration::hours(12);
        let mut t = start;
        let mut i = 0u32;
        while t <= now {
            let tod = t.time();
            let near_ten = tod >= chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap()
                && tod <= chrono::NaiveTime::from_hms_opt(11, 0, 0).unwrap();
            let load = if t.date_naive() == now.date_naive() && near_ten {
                14.0
            } else if near_ten {
                [0.9, 1.0, 1.1][(i % 3) as usize]
            } else {
                5.0
            };
            out.push(sample(t, load));
            t += Duration::minutes(10);
            i += 1;
        }
        out
    }

    #[test]
    fn same_hour_on_earlier_days() {
        let now = at("2026-11-23T10:00:00+00:00");
        let week = synthetic_week(now);
        let b = compute(&week, now, 7, 30);
        assert_eq!(b.days, 7);
        let load = b.load1.unwrap();
        assert!((load.median - 1.0).abs() < 0.01, "{load:?}");
        assert!(load.spread > 0.05 && load.spread <= 0.1 + 1e-6, "{load:?}");
        // ±30 min every 10 min = 7 samples a day.
        assert_eq!(load.samples, 7 * 7);
        assert!(load.deviations(14.0) > 50.0, "{}", load.deviations(14.0));
        assert!(load.deviations(1.05).abs() < 1.0);
        let mem = b.memory_used_bytes.unwrap();
        assert_eq!(mem.median, (2u64 << 30) as f64);
        assert_eq!(mem.spread, 0.0);
        assert!(b.psi_io_some.is_none());
    }

    #[test]
    fn fewer_days_and_no_history() {
        let now = at("2026-11-23T10:00:00+00:00");
        let week = synthetic_week(now);
        let recent: Vec<Sample> = week
            .into_iter()
            .filter(|s| s.time > (now - Duration::days(2) - Duration::hours(2)).timestamp())
            .collect();
        assert_eq!(compute(&recent, now, 7, 30).days, 2);
        let empty = compute(&[], now, 7, 30);
        assert_eq!(empty.days, 0);
        assert!(empty.load1.is_none());
    }

    fn with_ports(t: Time, ports: &[(u16, &str)]) -> Sample {
        Sample {
            time: t.timestamp(),
            listeners: Some(
                ports
                    .iter()
                    .map(|(port, name)| ListenPort {
                        port: *port,
                        process: (!name.is_empty()).then(|| name.to_string()),
                    })
                    .collect(),
            ),
            ..Sample::default()
        }
    }

    #[test]
    fn usual_listeners_are_those_present_all_day() {
        let now = at("2026-11-23T10:00:00+00:00");
        // Every 10 minutes over the last 30 h: 5432 always (owner unknown once), 8080
        // half the time, 9000 in all but 10% + 1 of the last 24 h; one sample lost its
        // listeners (not counted either way); one sample after `now` (ignored).
        let mut samples = Vec::new();
        let mut i = 0;
        let mut t = now - Duration::hours(30);
        while t < now {
            let mut ports = vec![(5432, if i == 7 { "" } else { "postgres" })];
            if i % 2 == 0 {
                ports.push((8080, "java"));
            }
            if i % 10 != 3 && i != 100 {
                ports.push((9000, "php-fpm"));
            }
            let mut s = with_ports(t, &ports);
            if i == 50 {
                s.listeners = None;
            }
            samples.push(s);
            t += Duration::minutes(10);
            i += 1;
        }
        samples.push(with_ports(now + Duration::minutes(1), &[(7000, "x")]));
        let usual = usual_listeners(&samples, now);
        assert_eq!(usual.len(), 1, "{usual:?}");
        assert_eq!(usual[0].port, 5432);
        assert_eq!(usual[0].process.as_deref(), Some("postgres"));
        assert_eq!(usual[0].seen_share, 1.0);
        // 24 h every 10 min = 144 samples, one without listeners.
        assert_eq!(usual[0].samples, 143);
        assert_eq!(usual[0].covered_seconds, 24 * 3600);
        // Through compute too, even with no same-hour figures.
        assert_eq!(compute(&samples, now, 7, 30).usual_listeners, usual);
    }

    #[test]
    fn usual_listeners_need_enough_samples() {
        let now = at("2026-11-23T10:00:00+00:00");
        let few: Vec<Sample> = (1..t::LISTENER_MIN_SAMPLES as i64)
            .map(|m| with_ports(now - Duration::minutes(m), &[(22, "sshd")]))
            .collect();
        assert!(usual_listeners(&few, now).is_empty());
        let mut enough = few.clone();
        enough.push(with_ports(now - Duration::hours(2), &[(22, "sshd")]));
        assert_eq!(usual_listeners(&enough, now).len(), 1);
        // Samples recorded without listeners do not count.
        let old: Vec<Sample> = (1..100)
            .map(|m| Sample {
                time: (now - Duration::minutes(m)).timestamp(),
                ..Sample::default()
            })
            .collect();
        assert!(usual_listeners(&old, now).is_empty());
    }

    #[test]
    fn median_and_mad() {
        let u = usual([1.0, 2.0, 3.0, 4.0, 100.0].into_iter()).unwrap();
        assert_eq!(u.median, 3.0);
        assert_eq!(u.spread, 1.0);
        assert!(usual(std::iter::empty()).is_none());
    }
}
