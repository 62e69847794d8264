//! The incident window as data: its moments (detection, first fix, close), the figures
//! recorded over it, when the impact started, and the charts drawn from them. Empty when
//! no history directory is given or nothing was recorded then.

use std::path::Path;

use super::charts::{self, Chart};
use super::figures::{self, Figure, Markers};
use super::impact::{self, ImpactStart, Source};
use super::model::Facts;
use super::Lang;
use crate::error::Result;

/// What the recorded history says about the incident window.
#[derive(Debug, Clone, Default)]
pub struct Window {
    /// The moments drawn as markers; `None` when the journal has no time at all.
    pub markers: Option<Markers>,
    /// The figures, an hour before detection to close; empty when no history directory
    /// was given or it has no sample in that window.
    pub figures: Vec<Figure>,
    /// When the impact started, and how that is known.
    pub impact: Option<ImpactStart>,
    /// One chart per figure, in the same order, drawn from an hour before detection (or
    /// the impact start when earlier) to just after the close.
    pub charts: Vec<Chart>,
}

/// Detection (the first snapshot, else the opening), the first fix command, and the close
/// (else the last event).
pub(crate) fn markers(facts: &Facts) -> Option<Markers> {
    let detection = facts
        .first_snapshot
        .as_ref()
        .map(|s| s.collected_at)
        .or(facts.opened_at)?;
    let close = facts
        .closed_at
        .or_else(|| facts.timeline.last().map(|e| e.time))
        .unwrap_or(detection)
        .max(detection);
    Some(Markers {
        detection,
        first_fix: facts.commands.iter().find(|c| c.is_fix()).map(|c| c.time),
        close,
        impact_start: None,
    })
}

/// Where the charts start (unix seconds): an hour before detection, earlier when the
/// impact started before that.
pub fn start(m: &Markers) -> i64 {
    (m.detection - figures::LEAD)
        .timestamp()
        .min(m.impact_start.map_or(i64::MAX, |t| t.timestamp()))
}

/// Read the history in `dir` (when given) for the window of `facts`, find the impact
/// start, and draw the charts.
pub fn build(facts: &Facts, history_dir: Option<&Path>) -> Result<Window> {
    let Some(mut m) = markers(facts) else {
        return Ok(Window::default());
    };
    let cpus = facts
        .first_snapshot
        .as_ref()
        .and_then(|s| s.cpu.as_ref())
        .map(|c| c.count)
        .filter(|c| *c > 0);
    let figures = match history_dir {
        Some(dir) => figures::gather(dir, &m, cpus),
        None => Vec::new(),
    };
    let impact = impact::find(facts, &figures, m.detection);
    m.impact_start = impact.as_ref().map(|i| i.at);
    let from = start(&m);
    let charts = figures
        .iter()
        .map(|f| charts::draw(&facts.id, f, from, &m))
        .collect::<Result<Vec<_>>>()?;
    Ok(Window {
        markers: Some(m),
        figures,
        impact,
        charts,
    })
}

/// `![title](file)` for each chart, one paragraph each.
pub(crate) fn charts_markdown(w: &Window) -> String {
    w.charts
        .iter()
        .map(|c| format!("![{}]({})", c.title, c.file))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// One sentence on when the impact started and how that is known; empty when unknown.
pub(crate) fn impact_markdown(w: &Window, lang: Lang) -> String {
    let (Some(i), Some(m)) = (&w.impact, &w.markers) else {
        return String::new();
    };
    let at = super::sections::time(&i.at);
    let before = (m.detection - i.at).num_seconds();
    let lead = if before > 0 {
        lang.duration(before.unsigned_abs())
    } else {
        String::new()
    };
    match (&i.source, lang) {
        (Source::Data { figure, value, band_high, unit }, Lang::En) => format!(
            "Impact started at **{at}**{}: the first sample of {figure} above its usual band ({value:.2} {unit}, usual at most {band_high:.2}) that stayed above it until detection. Derived from the recorded history; to correct it, add a note `impact started at HH:MM why`.",
            if lead.is_empty() { String::new() } else { format!(", {lead} before detection") }
        ),
        (Source::Data { figure, value, band_high, unit }, Lang::Ja) => format!(
            "影響開始: **{at}**{}。{figure} が通常の範囲（上限 {band_high:.2}）を超え（{value:.2} {unit}）、検知まで超えたままだった最初のサンプル。記録された履歴から算出。訂正するにはメモ `impact started at HH:MM 理由` を追加してください。",
            if lead.is_empty() { String::new() } else { format!("（検知の {lead} 前）") }
        ),
        (Source::Note { line, reason }, Lang::En) => format!(
            "Impact started at **{at}**{} (set by a note, journal line {line}{}).",
            if lead.is_empty() { String::new() } else { format!(", {lead} before detection") },
            if reason.is_empty() { String::new() } else { format!(": {}", super::template::escape_markdown(&super::text::one_line(reason))) }
        ),
        (Source::Note { line, reason }, Lang::Ja) => format!(
            "影響開始: **{at}**{}（メモで指定、ジャーナル {line} 行目{}）。",
            if lead.is_empty() { String::new() } else { format!("（検知の {lead} 前）") },
            if reason.is_empty() { String::new() } else { format!(": {}", super::template::escape_markdown(&super::text::one_line(reason))) }
        ),
    }
}
