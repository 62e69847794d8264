//! SVG charts of the incident window, drawn with `plotters`' SVG backend. Text is left to
//! the SVG viewer (no font is loaded: plotters' built-in estimate places the labels), so
//! drawing needs no fontconfig and the output is the same on every machine, byte for byte.
//! Times on the x axis are in the UTC offset of the detection, like the timeline.

use chrono::{FixedOffset, TimeZone};
use plotters::coord::types::{RangedCoordf64, RangedCoordi64};
use plotters::prelude::*;

use super::figures::{Figure, Markers};
use crate::error::{Error, Result};

/// Width and height of a chart, pixels.
pub(crate) const SIZE: (u32, u32) = (800, 260);

/// Line colours, in series order (colour-blind safe: Okabe–Ito).
const COLOURS: [RGBColor; 5] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
];
/// The usual band's fill.
const BAND: RGBColor = RGBColor(0, 114, 178);
/// Marker colours: detection, first fix, close, impact start.
const DETECTION: RGBColor = RGBColor(200, 0, 0);
const FIX: RGBColor = RGBColor(0, 140, 60);
const CLOSE: RGBColor = RGBColor(90, 90, 90);
const IMPACT: RGBColor = RGBColor(230, 159, 0);

/// A chart written next to the postmortem.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The figure's id (`load`, `cpu`…).
    pub figure: String,
    /// The figure's title, the image's alt text in the Markdown.
    pub title: String,
    /// The file name: `postmortem-<id>-<figure>.svg`.
    pub file: String,
    /// The SVG document, byte for byte the same for the same figure (no fonts loaded).
    pub svg: String,
}

/// The file name of `figure`'s chart for incident `id`.
pub fn file_name(id: &str, figure: &str) -> String {
    format!("postmortem-{id}-{figure}.svg")
}

/// Draw `figure` from `from` (unix seconds) to just after the close, with `markers`. Fails
/// only when plotters does, with the figure's id in the message.
pub fn draw(id: &str, figure: &Figure, from: i64, markers: &Markers) -> Result<Chart> {
    let mut svg = String::new();
    plot(&mut svg, figure, from, markers)
        .map_err(|e| Error::Invalid(format!("chart {}: {e}", figure.id)))?;
    Ok(Chart {
        figure: figure.id.to_string(),
        title: figure.title.to_string(),
        file: file_name(id, figure.id),
        svg,
    })
}

/// What drawing a chart can fail with (plotters' backend errors, boxed).
type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;
/// The chart's plotting area: unix seconds across, the figure's unit up.
type Plot<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordi64, RangedCoordf64>>;

/// Draws `figure` into `out` as SVG: the frame and axes, the usual band, the lines, the
/// incident's moments as vertical lines, and the legend.
fn plot(out: &mut String, figure: &Figure, from: i64, markers: &Markers) -> DrawResult {
    let offset: FixedOffset = *markers.detection.offset();
    let to = x_end(from, markers);
    let hhmm = move |t: &i64| {
        offset
            .timestamp_opt(*t, 0)
            .single()
            .map(|d| d.format("%H:%M").to_string())
            .unwrap_or_default()
    };
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(figure.title, ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(48)
        .build_cartesian_2d(from..to, 0f64..figure.y_max)?;
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(5)
        .x_label_formatter(&hhmm)
        .y_desc(figure.unit)
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    draw_band(&mut chart, figure, from, to)?;
    draw_lines(&mut chart, figure)?;
    draw_markers(&mut chart, figure, markers, from, to)?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 11))
        .draw()?;
    root.present()?;
    Ok(())
}

/// The right end of the x axis: the close (at least a minute after `from`) plus a margin of
/// 1/40 of the span (at least a minute), so the close marker does not sit on the frame.
fn x_end(from: i64, markers: &Markers) -> i64 {
    let close = markers.close.timestamp().max(from + 60);
    close + ((close - from) / 40).max(60)
}

/// The usual band as a light rectangle across the whole chart, cut at the axis' top.
fn draw_band(chart: &mut Plot, figure: &Figure, from: i64, to: i64) -> DrawResult {
    let Some((lo, hi)) = figure.band else {
        return Ok(());
    };
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(from, lo), (to, hi.min(figure.y_max))],
            BAND.mix(0.12).filled(),
        )))?
        .label("usual")
        .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 16, y + 4)], BAND.mix(0.12).filled()));
    Ok(())
}

/// The figure's lines, coloured in [`COLOURS`] order.
fn draw_lines(chart: &mut Plot, figure: &Figure) -> DrawResult {
    for (i, s) in figure.series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied(),
                colour.stroke_width(2),
            ))?
            .label(s.name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
            });
    }
    Ok(())
}

/// Impact start, detection, first fix and close as vertical lines; a moment that is unknown
/// or outside `from..=to` is left out (and so is its legend entry).
fn draw_markers(
    chart: &mut Plot,
    figure: &Figure,
    markers: &Markers,
    from: i64,
    to: i64,
) -> DrawResult {
    let lines = [
        ("impact start", IMPACT, markers.impact_start),
        ("detection", DETECTION, Some(markers.detection)),
        ("first fix", FIX, markers.first_fix),
        ("close", CLOSE, Some(markers.close)),
    ];
    for (name, colour, at) in lines {
        let Some(at) = at
            .map(|t| t.timestamp())
            .filter(|t| (from..=to).contains(t))
        else {
            continue;
        };
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(at, 0.0), (at, figure.y_max)],
                colour.stroke_width(1),
            )))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x + 8, y - 6), (x + 8, y + 6)], colour));
    }
    Ok(())
}
