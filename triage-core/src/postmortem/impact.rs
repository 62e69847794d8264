//! When did the impact start? Detection is when someone looked; the data often says the
//! host left its usual state earlier. The start is the first sample of the run of samples,
//! ending at detection, in which a figure stayed above its usual band (see
//! [`super::figures`]); the earliest such start over all figures wins, and the figure is
//! named. Only "above" counts: a figure falling below its band (memory freed by a crash)
//! is not where trouble begins.
//!
//! A responder may know better (an alert, a customer report): a note that starts with
//! `impact started at TIME` (TIME `HH:MM`, `HH:MM:SS` or RFC 3339; without a date it is on
//! the detection's day, in its UTC offset) overrides the derived start; the rest of the
//! note is the reason.

use chrono::{DateTime, NaiveTime, TimeZone};

use super::figures::Figure;
use super::model::{Facts, What};
use crate::snapshot::Time;

/// The note prefix that sets the impact start by hand.
pub(crate) const NOTE_PREFIX: &str = "impact started at ";

/// When the impact started and how that is known.
#[derive(Debug, Clone, PartialEq)]
pub struct ImpactStart {
    /// When the impact started, in the detection's UTC offset (a note's RFC 3339 time keeps
    /// its own).
    pub at: Time,
    /// A note (a person said so, it wins) or the history data (a guess from a figure).
    pub source: Source,
}

/// How an impact start is known.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Derived from history: `figure` left its band (`band_high`) with `value`.
    Data {
        /// The title of the figure whose run above its band started first, as on its chart.
        figure: String,
        /// The first sample's value above the band, in `unit`.
        value: f64,
        /// The top of the figure's usual band, which `value` is above (see
        /// [`super::figures::Figure::band`]).
        band_high: f64,
        /// The figure's y-axis unit (`load / CPU`, `%`, `% of RAM`…).
        unit: String,
    },
    /// Set by a note (journal line number, the reason given).
    Note {
        /// 1-based line of the note in `journal.jsonl`.
        line: usize,
        /// What follows the time in the note, leading dashes and colons dropped; may be
        /// empty.
        reason: String,
    },
}

/// The impact start: a note's, else the data's, else `None`.
pub fn find(facts: &Facts, figures: &[Figure], detection: Time) -> Option<ImpactStart> {
    from_note(facts, detection).or_else(|| from_data(figures, detection))
}

/// The last `impact started at …` note that parses.
fn from_note(facts: &Facts, detection: Time) -> Option<ImpactStart> {
    facts.timeline.iter().rev().find_map(|e| {
        let What::Note(text) = &e.what else {
            return None;
        };
        let rest = text.trim().strip_prefix(NOTE_PREFIX)?;
        let (when, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let at = parse_at(when.trim_end_matches([',', ':', ';']), detection)?;
        Some(ImpactStart {
            at,
            source: Source::Note {
                line: e.line,
                reason: reason
                    .trim()
                    .trim_start_matches(['—', '-', ':'])
                    .trim()
                    .to_string(),
            },
        })
    })
}

/// `HH:MM[:SS]` on the detection's day and offset, or RFC 3339.
fn parse_at(text: &str, detection: Time) -> Option<Time> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t);
    }
    let time = NaiveTime::parse_from_str(text, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
        .ok()?;
    let day = detection.date_naive();
    detection
        .offset()
        .from_local_datetime(&day.and_time(time))
        .single()
}

/// The earliest start of a run above the band that lasts until detection.
fn from_data(figures: &[Figure], detection: Time) -> Option<ImpactStart> {
    let until = detection.timestamp();
    let mut best: Option<(i64, ImpactStart)> = None;
    for f in figures {
        let (Some((_, high)), Some(series)) = (f.band, f.series.first()) else {
            continue;
        };
        let before: Vec<&(i64, f64)> = series.points.iter().filter(|p| p.0 <= until).collect();
        let mut start = None;
        for p in before.iter().rev() {
            if p.1 > high {
                start = Some(**p);
            } else {
                break;
            }
        }
        let Some((t, value)) = start else {
            continue;
        };
        if best.as_ref().is_some_and(|(b, _)| *b <= t) {
            continue;
        }
        let at = detection.offset().timestamp_opt(t, 0).single()?;
        best = Some((
            t,
            ImpactStart {
                at,
                source: Source::Data {
                    figure: f.title.to_string(),
                    value,
                    band_high: high,
                    unit: f.unit.to_string(),
                },
            },
        ));
    }
    best.map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postmortem::figures::Series;

    fn at(s: &str) -> Time {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn figure(title: &'static str, band: (f64, f64), values: &[(i64, f64)]) -> Figure {
        Figure {
            id: "x",
            title,
            unit: "%",
            series: vec![Series {
                name: "x".into(),
                points: values.to_vec(),
            }],
            band: Some(band),
            y_max: 100.0,
        }
    }

    #[test]
    fn the_earliest_run_up_to_detection_wins() {
        let d = at("2026-11-23T10:00:00+09:00");
        let t = d.timestamp();
        // cpu: a blip at -50 min, back in band, then above from -20 min.
        let cpu = figure(
            "CPU",
            (0.0, 50.0),
            &[
                (t - 3000, 90.0),
                (t - 2400, 20.0),
                (t - 1200, 80.0),
                (t, 95.0),
            ],
        );
        // load: above from -30 min.
        let load = figure(
            "Load",
            (0.0, 1.0),
            &[(t - 2400, 0.5), (t - 1800, 2.0), (t - 600, 3.0), (t, 4.0)],
        );
        let s = from_data(&[cpu.clone(), load], d).unwrap();
        assert_eq!(s.at, at("2026-11-23T09:30:00+09:00"));
        assert!(
            matches!(s.source, Source::Data { ref figure, value, .. } if figure == "Load" && value == 2.0)
        );
        // In band at detection: no start from that figure.
        let calm = figure("CPU", (0.0, 50.0), &[(t - 600, 90.0), (t, 10.0)]);
        assert_eq!(from_data(&[calm], d), None);
        assert!(from_data(&[cpu], d).is_some());
    }

    #[test]
    fn times_in_notes() {
        let d = at("2026-11-23T10:00:00+09:00");
        assert_eq!(parse_at("09:41", d), Some(at("2026-11-23T09:41:00+09:00")));
        assert_eq!(
            parse_at("09:41:30", d),
            Some(at("2026-11-23T09:41:30+09:00"))
        );
        assert_eq!(
            parse_at("2026-11-23T00:41:00Z", d),
            Some(at("2026-11-23T09:41:00+09:00"))
        );
        assert_eq!(parse_at("soon", d), None);
    }
}
