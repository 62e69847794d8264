//! Step 1, Detect: headline gauges (load per core, CPU, memory, PSI, fullest disks) and
//! the findings, worst first, one line each (severity, title, id) so that all of them fit
//! at 80×24; Enter/→ shows the selected one's evidence, ←/Esc hides it.

use std::cell::Cell;

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;
use triage_core::snapshot::{Finding, Snapshot};

use super::{Outcome, View};
use crate::tui::ctx::Ctx;
use crate::tui::keys::Action;
use crate::tui::theme::Theme;
use crate::tui::widgets::{bar, bytes, clip, missing, Scroll};

#[derive(Debug, Default)]
pub struct Detect {
    /// The selected finding (index into the snapshot's findings).
    selected: usize,
    /// The finding whose evidence is shown, by id (so a refresh that reorders the
    /// findings keeps it open).
    expanded: Option<String>,
    /// The first row shown, kept by rendering so the selection stays in view.
    top: Cell<usize>,
    page: Cell<usize>,
}

/// One gauge line: label, bar, figure.
fn gauge(label: &str, ratio: f64, figure: String, width: usize, t: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<8}"), t.heading()),
        Span::styled(bar(ratio, width), t.level(ratio)),
        Span::raw(format!(" {figure}")),
    ])
}

/// The headline gauges of `snap`.
pub fn gauges(snap: &Snapshot, width: u16, t: &Theme) -> Vec<Line<'static>> {
    let w = (width as usize).saturating_sub(56).clamp(8, 40);
    let mut out = Vec::new();
    let cores = snap.cpu_count().unwrap_or(1).max(1) as f64;
    match &snap.load {
        Some(l) => out.push(gauge(
            "load",
            l.one / cores,
            format!(
                "{:.2} {:.2} {:.2} on {cores} cores",
                l.one, l.five, l.fifteen
            ),
            w,
            t,
        )),
        None => out.push(missing("load unknown", t)),
    }
    if let Some(c) = &snap.cpu {
        out.push(gauge(
            "cpu",
            c.usage_percent / 100.0,
            format!(
                "{:.0}% (iowait {:.0}%, steal {:.0}%)",
                c.usage_percent, c.iowait_percent, c.steal_percent
            ),
            w,
            t,
        ));
    }
    if let Some(m) = &snap.memory {
        let r = m.used_bytes as f64 / m.total_bytes.max(1) as f64;
        let swap = m.swap_total_bytes.saturating_sub(m.swap_free_bytes);
        out.push(gauge(
            "memory",
            r,
            format!(
                "{} / {} (swap {} used)",
                bytes(m.used_bytes),
                bytes(m.total_bytes),
                bytes(swap)
            ),
            w,
            t,
        ));
    }
    if let Some(p) = &snap.pressure {
        out.push(psi_gauge(p, w, t));
    }
    out.extend(disk_gauges(snap, w, t));
    out
}

/// Pressure stall: the bar is the worst `some avg10`, the figure all three.
fn psi_gauge(p: &triage_core::snapshot::Pressure, w: usize, t: &Theme) -> Line<'static> {
    let f = |l: &Option<triage_core::snapshot::PressureLine>| {
        l.as_ref()
            .map_or("-".to_string(), |l| format!("{:.1}", l.some_avg10))
    };
    let worst = [&p.cpu, &p.memory, &p.io]
        .iter()
        .filter_map(|l| l.as_ref().map(|l| l.some_avg10))
        .fold(0.0, f64::max);
    gauge(
        "psi",
        worst / 100.0,
        format!(
            "some avg10: cpu {} mem {} io {}",
            f(&p.cpu),
            f(&p.memory),
            f(&p.io)
        ),
        w,
        t,
    )
}

/// The two fullest filesystems.
fn disk_gauges(snap: &Snapshot, w: usize, t: &Theme) -> Vec<Line<'static>> {
    let mut fs: Vec<_> = snap
        .filesystems
        .iter()
        .flatten()
        .filter(|f| f.size_bytes > 0)
        .collect();
    fs.sort_by(|a, b| {
        let r = |f: &&triage_core::snapshot::Filesystem| f.used_bytes as f64 / f.size_bytes as f64;
        r(b).total_cmp(&r(a))
    });
    fs.iter()
        .take(2)
        .map(|f| {
            let r = f.used_bytes as f64 / f.size_bytes as f64;
            gauge(
                "disk",
                r,
                format!(
                    "{:.0}% {} ({} free)",
                    r * 100.0,
                    f.mount_point,
                    bytes(f.available_bytes)
                ),
                w,
                t,
            )
        })
        .collect()
}

/// The finding list: one line per finding (severity, title, id), the expanded one
/// followed by its evidence, each evidence line wrapped with its indentation kept.
/// Returns the lines and the rows the selected finding (with its evidence) covers.
fn finding_rows(
    findings: &[Finding],
    selected: usize,
    expanded: Option<&str>,
    width: usize,
    t: &Theme,
) -> (Vec<Line<'static>>, std::ops::Range<usize>) {
    let mut rows: Vec<Line> = Vec::new();
    let mut span = 0..0;
    for (i, f) in findings.iter().enumerate() {
        let open = expanded == Some(f.id.as_str());
        let start = rows.len();
        let cursor = if i == selected { ">" } else { " " };
        let fold = if open { "▾" } else { "▸" };
        let id = format!("  [{}]", f.id);
        // Room for the title: what the id and the 12 columns before the title leave.
        let room = width.saturating_sub(12 + id.chars().count()).max(8);
        let style = if i == selected {
            t.selected()
        } else {
            t.heading()
        };
        rows.push(Line::from(vec![
            Span::styled(format!("{cursor}{fold} "), style),
            Span::styled(
                format!("{:<8} ", f.severity.as_str().to_uppercase()),
                t.severity(f.severity),
            ),
            Span::styled(clip(&f.title, room), style),
            Span::styled(id, t.dim()),
        ]));
        if open {
            if f.evidence.is_empty() {
                rows.push(Line::styled("     (no evidence recorded)", t.dim()));
            }
            for e in &f.evidence {
                rows.extend(evidence_lines(e, width).into_iter().map(Line::raw));
            }
        }
        if i == selected {
            span = start..rows.len();
        }
    }
    (rows, span)
}

/// One evidence line wrapped to `width` columns: `     • ` before the first piece, the
/// same indentation before the others, so a long line never falls back to column 0.
pub fn evidence_lines(text: &str, width: usize) -> Vec<String> {
    let opts = textwrap::Options::new(width.max(EVIDENCE_INDENT + 8))
        .initial_indent("     • ")
        .subsequent_indent("       ")
        .break_words(true);
    textwrap::wrap(text, opts)
        .into_iter()
        .map(|l| l.into_owned())
        .collect()
}

/// Columns before an evidence line's text.
const EVIDENCE_INDENT: usize = 7;

impl View for Detect {
    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = &ctx.theme;
        let Some(snap) = &ctx.snap else {
            let p = Paragraph::new("collecting…").block(Block::bordered().title(" Detect "));
            frame.render_widget(p, area);
            return;
        };
        let g = gauges(snap, area.width, t);
        let mut top = g.len() as u16 + 2;
        if ctx.incident.is_none() {
            top += 1;
        }
        let [head, body] =
            Layout::vertical([Constraint::Length(top), Constraint::Min(3)]).areas(area);
        let mut lines = g;
        if ctx.incident.is_none() {
            lines.push(Line::from(vec![
                Span::styled("No incident open: ", t.warning()),
                Span::raw("press "),
                Span::styled("s", t.key()),
                Span::raw(" to start one (a note or "),
                Span::styled("d", t.key()),
                Span::raw(" also does)"),
            ]));
        }
        frame.render_widget(
            Paragraph::new(lines).block(Block::bordered().title(" Detect: now ")),
            head,
        );
        let inner = body.width.saturating_sub(2) as usize;
        let selected = self.selected.min(snap.findings.len().saturating_sub(1));
        let (mut rows, span) =
            finding_rows(&snap.findings, selected, self.expanded.as_deref(), inner, t);
        if snap.findings.is_empty() {
            rows.push(Line::styled("  no abnormal findings", t.ok()));
        }
        if !snap.warnings.is_empty() {
            rows.push(Line::raw(""));
            rows.push(Line::styled("Collector warnings (less detail):", t.dim()));
            for w in &snap.warnings {
                let text = format!("{}: {}", w.collector, w.message);
                let opts = textwrap::Options::new(inner.max(16))
                    .initial_indent("  ")
                    .subsequent_indent("    ");
                for l in textwrap::wrap(&text, opts) {
                    rows.push(Line::styled(l.into_owned(), t.dim()));
                }
            }
        }
        let page = super::page(body).max(1);
        self.page.set(page);
        // Keep the selected finding, and as much of its evidence as fits, in view.
        let mut top = self.top.get().min(rows.len().saturating_sub(1));
        if span.end > top + page {
            top = span.end - page;
        }
        top = top.min(span.start);
        self.top.set(top);
        let title = if snap.findings.is_empty() {
            " Findings (0) ".to_string()
        } else {
            format!(" Findings ({}): Enter/→ evidence ", snap.findings.len())
        };
        let p = Paragraph::new(rows.split_off(top)).block(Block::bordered().title(title));
        frame.render_widget(p, body);
    }

    fn handle_key(&mut self, _key: &KeyEvent, action: Option<Action>, ctx: &Ctx) -> Outcome {
        let findings = ctx.snap.as_ref().map_or(&[][..], |s| &s.findings[..]);
        self.selected = self.selected.min(findings.len().saturating_sub(1));
        let selected_id = || findings.get(self.selected).map(|f| f.id.clone());
        match action {
            Some(Action::Enter) => {
                let id = selected_id();
                self.expanded = if self.expanded == id { None } else { id };
            }
            Some(Action::Expand) => self.expanded = selected_id(),
            Some(Action::Collapse) => self.expanded = None,
            Some(Action::Escape) if self.expanded.is_some() => self.expanded = None,
            Some(a) => {
                let mut pos = Scroll { pos: self.selected };
                if !pos.apply(a, findings.len(), self.page.get()) {
                    return Outcome::NotConsumed;
                }
                self.selected = pos.pos;
            }
            None => return Outcome::NotConsumed,
        }
        Outcome::done()
    }
}
