//! Step 4, Logs: the kernel log and the system/application log tail of the snapshot,
//! merged by time, kernel events (OOM, hung task, I/O error…) highlighted; `/` filters
//! (case-insensitive), `F` follows new lines as `triage logs --follow` does (same stream,
//! on a thread: `tui/follow.rs`), appended under the snapshot's lines as they were when
//! follow mode started, with the findings they fire inline; on wide screens, repeated
//! lines grouped into templates (numbers masked) with counts.

use std::cell::Cell;
use std::collections::HashMap;

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;
use triage_core::snapshot::{Snapshot, Time};

use super::{Outcome, View};
use crate::tui::ctx::Ctx;
use crate::tui::effect::Effect;
use crate::tui::event::Event;
use crate::tui::keys::Action;
use crate::tui::widgets::{clip, InputResult, LineInput, Scroll};

use super::logs_live::Live;

/// Kernel messages that are incidents by themselves.
const KERNEL_EVENTS: [&str; 10] = [
    "out of memory",
    "oom-kill",
    "killed process",
    "blocked for more than",
    "soft lockup",
    "i/o error",
    "segfault",
    "ext4-fs error",
    "xfs",
    "call trace",
];

/// One merged line.
#[derive(Debug, Clone)]
pub(super) struct LogLine {
    pub time: Option<Time>,
    pub source: String,
    pub message: String,
    pub kernel_event: bool,
}

pub(super) fn is_kernel_event(message: &str) -> bool {
    let low = message.to_lowercase();
    KERNEL_EVENTS.iter().any(|p| low.contains(p))
}

fn merged(snap: &Snapshot) -> Vec<LogLine> {
    let mut out: Vec<LogLine> = Vec::new();
    for k in snap.kernel_log.iter().flatten() {
        out.push(LogLine {
            time: k.time,
            source: "kernel".into(),
            message: k.message.clone(),
            kernel_event: is_kernel_event(&k.message),
        });
    }
    for l in snap.log_tail.iter().flatten() {
        let source = l.source.rsplit('/').next().unwrap_or(&l.source).to_string();
        out.push(LogLine {
            time: l.time,
            source,
            message: l.message.clone(),
            kernel_event: false,
        });
    }
    // Stable: lines without a time keep their place after the timed ones before them.
    out.sort_by_key(|l| l.time);
    out
}

/// `message` with every run of digits as `<*>`.
fn template(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut in_num = false;
    for c in message.chars() {
        if c.is_ascii_digit() {
            if !in_num {
                out.push_str("<*>");
            }
            in_num = true;
        } else {
            in_num = false;
            out.push(c);
        }
    }
    out
}

/// The pane of lines seen more than once, as templates with counts, most frequent first.
fn repeated(frame: &mut Frame, area: Rect, lines: &[LogLine], ctx: &Ctx) {
    let t = &ctx.theme;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for l in lines {
        *counts.entry(template(&l.message)).or_default() += 1;
    }
    let mut top: Vec<_> = counts.into_iter().filter(|(_, n)| *n > 1).collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let sw = area.width.saturating_sub(9) as usize;
    let tl: Vec<Line> = top
        .iter()
        .take(super::page(area))
        .map(|(tpl, n)| {
            Line::from(vec![
                Span::styled(format!("{n:>6} "), t.heading()),
                Span::raw(clip(tpl, sw)),
            ])
        })
        .collect();
    frame.render_widget(
        Paragraph::new(tl).block(Block::bordered().title(" Repeated lines ")),
        area,
    );
}

#[derive(Debug, Default)]
pub struct Logs {
    scroll: Scroll,
    /// Showing the last page (follow mode on and not scrolled away).
    follow: bool,
    /// Follow mode: the snapshot's lines when it started, then the followed ones.
    live: Option<Live>,
    filter: Option<String>,
    input: Option<LineInput>,
    page: Cell<usize>,
}

impl Logs {
    fn lines(&self, ctx: &Ctx) -> Vec<LogLine> {
        let all = match &self.live {
            Some(live) => live.lines.iter().cloned().collect(),
            None => ctx.snap.as_ref().map(merged).unwrap_or_default(),
        };
        match &self.filter {
            Some(f) => {
                let f = f.to_lowercase();
                all.into_iter()
                    .filter(|l| l.message.to_lowercase().contains(&f))
                    .collect()
            }
            None => all,
        }
    }
}

impl View for Logs {
    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = &ctx.theme;
        let (main, side) = if area.width >= 130 {
            let [a, b] =
                Layout::horizontal([Constraint::Min(70), Constraint::Length(56)]).areas(area);
            (a, Some(b))
        } else {
            (area, None)
        };
        let lines = self.lines(ctx);
        let page = super::page(main);
        self.page.set(page);
        let start = if self.follow {
            lines.len().saturating_sub(page)
        } else {
            self.scroll.pos.min(lines.len().saturating_sub(1))
        };
        let w = main.width.saturating_sub(2) as usize;
        let body: Vec<Line> = lines
            .iter()
            .skip(start)
            .take(page)
            .map(|l| {
                let time = l
                    .time
                    .map_or("--:--:--".into(), |t| t.format("%H:%M:%S").to_string());
                let src = clip(&l.source, 10);
                let text = clip(&l.message, w.saturating_sub(21));
                let style = if l.kernel_event {
                    t.critical()
                } else if l.source == "kernel" {
                    t.info()
                } else {
                    t.text()
                };
                Line::from(vec![
                    Span::styled(format!("{time} {src:<10} "), t.dim()),
                    Span::styled(text, style),
                ])
            })
            .collect();
        let mut title = format!(
            " Logs {}-{} of {} ",
            (start + 1).min(lines.len()),
            (start + page).min(lines.len()),
            lines.len()
        );
        if let Some(f) = &self.filter {
            title.push_str(&format!("[/{f}] "));
        }
        if let Some(live) = &self.live {
            title.push_str(if self.follow {
                "[follow"
            } else {
                "[follow, scrolled"
            });
            if live.findings > 0 {
                title.push_str(&format!(", {} new finding(s)", live.findings));
            }
            if live.dropped > 0 {
                title.push_str(&format!(", {} lines dropped", live.dropped));
            }
            title.push_str("] ");
        }
        let [list, prompt] = Layout::vertical([
            Constraint::Min(3),
            Constraint::Length(u16::from(self.input.is_some())),
        ])
        .areas(main);
        let empty = body.is_empty();
        let mut p = Paragraph::new(body).block(Block::bordered().title(title.clone()));
        if empty {
            let said = if self.live.is_some() {
                "  (following: no new lines yet)"
            } else {
                "  (no log lines in this snapshot)"
            };
            let title = if self.live.is_some() {
                title
            } else {
                " Logs ".into()
            };
            p = Paragraph::new(Line::styled(said, t.dim())).block(Block::bordered().title(title));
        }
        frame.render_widget(p, list);
        if let Some(input) = &self.input {
            frame.render_widget(Paragraph::new(input.line("/", t.key())), prompt);
        }
        if let Some(side) = side {
            repeated(frame, side, &lines, ctx);
        }
    }

    fn handle_key(&mut self, key: &KeyEvent, action: Option<Action>, ctx: &Ctx) -> Outcome {
        if let Some(input) = &mut self.input {
            match input.key(key) {
                InputResult::Editing => {}
                InputResult::Submit(text) => {
                    self.filter = (!text.is_empty()).then_some(text);
                    self.scroll = Scroll::default();
                    self.input = None;
                }
                InputResult::Cancel => self.input = None,
            }
            return Outcome::done();
        }
        let len = self.lines(ctx).len();
        match action {
            Some(Action::Search) => self.input = Some(LineInput::default()),
            Some(Action::Follow) if self.live.is_none() => {
                let lines = ctx.snap.as_ref().map(merged).unwrap_or_default();
                let mut live = Live::default();
                lines.into_iter().for_each(|l| live.push(l));
                self.live = Some(live);
                self.follow = true;
                // A start that fails says why, over "starting".
                return Outcome::Consumed(vec![
                    Effect::Flash("follow: starting…".into()),
                    Effect::Follow(true),
                ]);
            }
            Some(Action::Follow) => {
                self.live = None;
                self.follow = false;
                self.scroll.pos = len.saturating_sub(self.page.get());
                return Outcome::Consumed(vec![
                    Effect::Follow(false),
                    Effect::Flash("follow stopped".into()),
                ]);
            }
            Some(Action::Escape) if self.filter.is_some() => self.filter = None,
            // Back to the newest lines, stuck to them again.
            Some(Action::End) if self.live.is_some() => self.follow = true,
            Some(a) if self.scroll.apply(a, len, self.page.get()) => self.follow = false,
            _ => return Outcome::NotConsumed,
        }
        Outcome::done()
    }

    fn on_event(&mut self, event: &Event, ctx: &Ctx) -> Vec<Effect> {
        let (Event::Follow(u), Some(live)) = (event, self.live.as_mut()) else {
            return Vec::new();
        };
        let root_is_live = ctx.follow_source.as_ref().is_none_or(|s| s.root.is_live());
        live.apply(u, root_is_live)
            .map(|m| vec![Effect::Flash(m)])
            .unwrap_or_default()
    }

    fn input_hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        self.input
            .as_ref()
            .map(|_| vec![("Enter", "filter"), ("Esc", "cancel")])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_mask_numbers() {
        assert_eq!(
            template("conn 10.0.0.1:443 took 12ms"),
            "conn <*>.<*>.<*>.<*>:<*> took <*>ms"
        );
    }
}
