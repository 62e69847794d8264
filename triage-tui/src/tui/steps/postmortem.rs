//! Step 7, Postmortem: a preview of the postmortem generated from the journal; `w`
//! writes it atomically to `postmortem.md` in the incident's directory, with the SVG
//! charts it links beside it. When recorded
//! history covers the incident, the series the postmortem's SVG charts draw are shown
//! above it as sparklines, with the incident's moments marked under them.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Sparkline, Wrap};
use ratatui::Frame;
use triage_core::postmortem::figures::{Figure, Markers};
use triage_core::postmortem::{window, Rendered};

use super::{Outcome, View};
use crate::tui::ctx::Ctx;
use crate::tui::effect::Effect;
use crate::tui::keys::Action;
use crate::tui::widgets::{clip, Scroll};

#[derive(Debug, Default)]
pub struct Postmortem {
    scroll: Scroll,
    page: Cell<usize>,
    cache: RefCell<Option<Cache>>,
}

/// (incident id, events) → preview.
type Cache = ((String, usize), Rendered);

/// The state dir the store lives in: its templates and history go with it.
fn state_dir(ctx: &Ctx) -> PathBuf {
    ctx.store
        .dir()
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The preview, rendered again only when the journal grew (not on every frame).
fn preview(cache: &RefCell<Option<Cache>>, ctx: &Ctx) -> Option<Rendered> {
    let (inc, st) = ctx.incident.as_ref()?;
    let mut c = cache.borrow_mut();
    let key = (inc.id.clone(), st.events.len());
    if c.as_ref().map(|c| &c.0) != Some(&key) {
        let r = crate::sources::postmortem_preview(inc, &state_dir(ctx), "en");
        *c = Some((key, r));
    }
    c.as_ref().map(|c| c.1.clone())
}

/// Columns of a sparkline's label and of its maximum.
const LABEL: u16 = 16;
const MAX: u16 = 11;

/// One sparkline: label, points, the figure's y-axis top (one scale per figure, as in
/// its chart), unit of the peak shown.
type Row<'a> = (String, &'a [(i64, f64)], f64, &'static str);

/// One row per series of every figure, in the charts' order.
fn series(figures: &[Figure]) -> Vec<Row<'_>> {
    figures
        .iter()
        .flat_map(|f| {
            f.series.iter().map(move |s| {
                // The top processes' figure names its commands even when there is one.
                let label = if f.series.len() == 1 && f.id != "top" {
                    f.id.to_string()
                } else {
                    format!("{} {}", f.id, s.name)
                };
                let unit = if f.unit.starts_with('%') { "%" } else { "" };
                (label, &s.points[..], f.y_max, unit)
            })
        })
        .collect()
}

/// `points` (in time order) from `from` to `to` in `width` columns: each the highest
/// value of its time slice, scaled to 0–100 of `top` and at least 13 (the lowest bar, so a
/// small value is not mistaken for a gap). A column with no sample of its own repeats the
/// one before it when that is less than two sampling intervals old (the chart's line
/// joins them too); `None` (blank) only where nothing was recorded.
pub fn buckets(
    points: &[(i64, f64)],
    from: i64,
    to: i64,
    width: usize,
    top: f64,
) -> Vec<Option<u64>> {
    let mut out = vec![None::<f64>; width];
    let span = (to - from).max(1) as f64;
    let column = |t: i64| ((((t - from) as f64 / span) * width as f64) as usize).min(width - 1);
    let mut last: Vec<Option<i64>> = vec![None; width];
    for &(t, v) in points {
        if t < from || t > to || !v.is_finite() || width == 0 {
            continue;
        }
        let i = column(t);
        out[i] = Some(out[i].map_or(v, |m: f64| m.max(v)));
        last[i] = Some(t);
    }
    let mut gaps: Vec<i64> = points.windows(2).map(|w| w[1].0 - w[0].0).collect();
    gaps.sort_unstable();
    let interval = gaps.get(gaps.len() / 2).copied().unwrap_or(0).max(1);
    let mut carry: Option<(i64, f64)> = None;
    for i in 0..width {
        match (out[i], last[i]) {
            (Some(v), Some(t)) => carry = Some((t, v)),
            _ => {
                let start = from + (span * i as f64 / width as f64) as i64;
                out[i] = carry.filter(|(t, _)| start - t < 2 * interval).map(|c| c.1);
            }
        }
    }
    let top = if top > 0.0 { top } else { 1.0 };
    out.into_iter()
        .map(|v| v.map(|v| ((v / top).clamp(0.0, 1.0) * 100.0).round().max(13.0) as u64))
        .collect()
}

/// The marker row: `I` impact start, `D` detection, `F` first fix, `C` close, at their
/// columns of a `width`-column axis from `from` to `to`. Moments closer than a column
/// apart take neighbouring columns, in time order, so none hides another.
fn marker_row(m: &Markers, from: i64, to: i64, width: usize) -> String {
    let span = (to - from).max(1) as f64;
    let mut moments: Vec<(i64, char)> = [
        (m.impact_start, 'I'),
        (Some(m.detection), 'D'),
        (m.first_fix, 'F'),
        (Some(m.close), 'C'),
    ]
    .into_iter()
    .filter_map(|(t, c)| t.map(|t| (t.timestamp(), c)))
    .collect();
    moments.sort_by_key(|(t, _)| *t);
    let last = width.saturating_sub(1) as i64;
    let mut cols: Vec<i64> = moments
        .iter()
        .map(|(t, _)| ((((t - from) as f64 / span) * width as f64) as i64).clamp(0, last))
        .collect();
    for k in 1..cols.len() {
        cols[k] = cols[k].max(cols[k - 1] + 1);
    }
    for k in (0..cols.len()).rev() {
        let limit = cols.get(k + 1).map_or(last, |c| c - 1);
        cols[k] = cols[k].min(limit);
    }
    let mut row = vec![' '; width];
    for (&col, &(_, c)) in cols.iter().zip(&moments) {
        if let Some(cell) = usize::try_from(col).ok().and_then(|i| row.get_mut(i)) {
            *cell = c;
        }
    }
    row.into_iter().collect()
}

/// The sparklines pane: one row per series, then the marker row.
fn sparklines(frame: &mut Frame, area: Rect, r: &Rendered, markers: &Markers, ctx: &Ctx) {
    let t = &ctx.theme;
    let rows = series(&r.figures);
    let from = window::start(markers);
    let to = markers.close.timestamp().max(from + 60);
    let hhmm = |m: &Markers, s: i64| {
        chrono::DateTime::from_timestamp(s, 0)
            .map(|d| {
                d.with_timezone(m.detection.offset())
                    .format("%H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let block = Block::bordered().title(format!(
        " History {}–{} (I impact, D detection, F first fix, C close) ",
        hhmm(markers, from),
        hhmm(markers, to)
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let shown = (inner.height as usize).saturating_sub(1).min(rows.len());
    let mut constraints = vec![Constraint::Length(1); shown + 1];
    constraints.push(Constraint::Min(0));
    let lines = Layout::vertical(constraints).split(inner);
    let cols = |a: Rect| {
        Layout::horizontal([
            Constraint::Length(LABEL),
            Constraint::Min(10),
            Constraint::Length(MAX),
        ])
        .split(a)
    };
    for (i, (label, points, top, unit)) in rows.iter().take(shown).enumerate() {
        let c = cols(lines[i]);
        let width = c[1].width as usize;
        let data = buckets(points, from, to, width, *top);
        frame.render_widget(
            Paragraph::new(clip(label, LABEL as usize - 1)).style(t.heading()),
            c[0],
        );
        frame.render_widget(
            Sparkline::default()
                .data(data)
                .max(100)
                .absent_value_symbol(" ")
                .style(t.key()),
            c[1],
        );
        let peak = points.iter().map(|p| p.1).fold(f64::NAN, f64::max);
        let peak = if peak.is_finite() {
            format!(" max {peak:.1}{unit}")
        } else {
            String::new()
        };
        frame.render_widget(
            Paragraph::new(clip(&peak, MAX as usize)).style(t.dim()),
            c[2],
        );
    }
    let c = cols(lines[shown]);
    frame.render_widget(
        Paragraph::new(marker_row(markers, from, to, c[1].width as usize)).style(t.dim()),
        c[1],
    );
}

impl View for Postmortem {
    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let rendered = preview(&self.cache, ctx);
        let mut text_area = area;
        if let Some((r, m)) = rendered
            .as_ref()
            .and_then(|r| r.markers.as_ref().map(|m| (r, m)))
            .filter(|(r, _)| !r.figures.is_empty())
        {
            // At most a third of the screen, so the document stays readable.
            let rows = series(&r.figures).len() as u16 + 3;
            let height = rows.min(area.height / 3).max(4);
            let [charts, rest] =
                Layout::vertical([Constraint::Length(height), Constraint::Min(3)]).areas(area);
            sparklines(frame, charts, r, m, ctx);
            text_area = rest;
        }
        self.page.set(super::page(text_area));
        let text = rendered.map_or_else(
            || "No incident open: nothing to write yet (s starts one).".to_string(),
            |r| r.markdown,
        );
        let lines: Vec<Line> = text
            .lines()
            .skip(self.scroll.pos)
            .map(|l| Line::raw(crate::tui::clean::line(l).into_owned()))
            .collect();
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(Block::bordered().title(" Postmortem preview ")),
            text_area,
        );
    }

    fn handle_key(&mut self, _key: &KeyEvent, action: Option<Action>, ctx: &Ctx) -> Outcome {
        let len = preview(&self.cache, ctx).map_or(0, |p| p.markdown.lines().count());
        match action {
            Some(Action::Write) => {
                let effects = match (preview(&self.cache, ctx), &ctx.incident) {
                    // The charts the Markdown links go beside it, then the Markdown (whose
                    // path the footer then shows).
                    (Some(r), Some((inc, _))) => r
                        .charts
                        .into_iter()
                        .map(|c| Effect::Write {
                            path: inc.dir.join(&c.file),
                            text: c.svg,
                        })
                        .chain([Effect::Write {
                            path: inc.dir.join("postmortem.md"),
                            text: r.markdown,
                        }])
                        .collect(),
                    _ => vec![Effect::Flash("no incident open".into())],
                };
                Outcome::Consumed(effects)
            }
            Some(a) if self.scroll.apply(a, len, self.page.get()) => Outcome::done(),
            _ => Outcome::NotConsumed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_close_together_take_neighbouring_columns_in_time_order() {
        let t = |s| chrono::DateTime::parse_from_rfc3339(s).unwrap();
        let m = Markers {
            impact_start: None,
            detection: t("2026-11-23T10:03:00+00:00"),
            first_fix: None,
            close: t("2026-11-23T10:04:00+00:00"),
        };
        let from = t("2026-11-23T09:03:00+00:00").timestamp();
        let to = m.close.timestamp();
        assert_eq!(marker_row(&m, from, to, 10), "        DC");
        let wide = marker_row(&m, from, to, 61);
        assert_eq!(wide.find('D'), Some(59));
        assert_eq!(wide.find('C'), Some(60));
    }

    #[test]
    fn buckets_keep_the_peak_of_each_slice_and_leave_gaps_empty() {
        // Every 10 s, then nothing from 30 s to 80 s; 200 s is outside.
        let points = [
            (0, 4.0),
            (10, 2.0),
            (20, 2.0),
            (30, 2.0),
            (80, 8.0),
            (200, 9.0),
        ];
        assert_eq!(
            buckets(&points, 0, 100, 5, 8.0),
            [Some(50), Some(25), Some(25), None, Some(100)]
        );
        assert_eq!(buckets(&[(5, f64::NAN)], 0, 10, 2, 1.0), [None, None]);
        // One sample a minute over 10 columns of 30 s: each repeats into the next column;
        // a value near zero still shows the lowest bar.
        let minutes = [(0, 0.0), (60, 2.0), (120, 4.0), (180, 8.0), (240, 8.0)];
        assert_eq!(
            buckets(&minutes, 0, 300, 10, 8.0),
            [13, 13, 25, 25, 50, 50, 100, 100, 100, 100].map(Some)
        );
        // After the last sample, two intervals and then a gap.
        assert_eq!(
            buckets(&[(0, 8.0), (60, 8.0)], 0, 600, 10, 8.0),
            [
                Some(100),
                Some(100),
                Some(100),
                None,
                None,
                None,
                None,
                None,
                None,
                None
            ]
        );
    }
}
