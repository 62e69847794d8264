//! Step 1, Detect: headline gauges (load per core, CPU, memory, PSI, fullest disks) and
//! the findings, worst first, each with its evidence.

use std::cell::Cell;

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;
use triage_core::snapshot::Snapshot;

use super::{Outcome, View};
use crate::tui::ctx::Ctx;
use crate::tui::keys::Action;
use crate::tui::theme::Theme;
use crate::tui::widgets::{bar, bytes, missing, Scroll};

/// The Detect step.
#[derive(Debug, Default)]
pub struct Detect {
    scroll: Scroll,
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
        let f = |l: &Option<triage_core::snapshot::PressureLine>| {
            l.as_ref()
                .map_or("-".to_string(), |l| format!("{:.1}", l.some_avg10))
        };
        let worst = [&p.cpu, &p.memory, &p.io]
            .iter()
            .filter_map(|l| l.as_ref().map(|l| l.some_avg10))
            .fold(0.0, f64::max);
        out.push(gauge(
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
        ));
    }
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
    for f in fs.iter().take(2) {
        let r = f.used_bytes as f64 / f.size_bytes as f64;
        out.push(gauge(
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
        ));
    }
    out
}

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
        let mut rows: Vec<Line> = Vec::new();
        if snap.findings.is_empty() {
            rows.push(Line::styled("  no abnormal findings", t.ok()));
        }
        for f in &snap.findings {
            rows.push(Line::from(vec![
                Span::styled(
                    format!("{:<8} ", f.severity.as_str().to_uppercase()),
                    t.severity(f.severity),
                ),
                Span::styled(f.title.clone(), t.heading()),
                Span::styled(format!("  [{}]", f.id), t.dim()),
            ]));
            for e in &f.evidence {
                rows.push(Line::raw(format!("         {e}")));
            }
        }
        if !snap.warnings.is_empty() {
            rows.push(Line::raw(""));
            rows.push(Line::styled("Collector warnings (less detail):", t.dim()));
            for w in &snap.warnings {
                rows.push(Line::styled(
                    format!("  {}: {}", w.collector, w.message),
                    t.dim(),
                ));
            }
        }
        let page = super::page(body);
        self.page.set(page);
        let start = self.scroll.pos.min(rows.len().saturating_sub(1));
        let p = Paragraph::new(rows.split_off(start))
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(format!(" Findings ({}) ", snap.findings.len())));
        frame.render_widget(p, body);
    }

    fn handle_key(&mut self, _key: &KeyEvent, action: Option<Action>, ctx: &Ctx) -> Outcome {
        let len = ctx.snap.as_ref().map_or(0, |s| {
            s.findings
                .iter()
                .map(|f| 1 + f.evidence.len())
                .sum::<usize>()
                + s.warnings.len()
                + 2
        });
        match action {
            Some(a) if self.scroll.apply(a, len, self.page.get()) => Outcome::done(),
            _ => Outcome::NotConsumed,
        }
    }
}
