//! Step 3, Scope: what changed just before (snapshot `recent_changes`), now vs usual
//! (the baseline the snapshot carries), this host in the inventory with the reachability of its
//! dependencies, and the impact questions, ticked with Space and journaled as `impact`.

use std::collections::BTreeMap;

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;
use triage_core::findings::usual::{compare, Now, Verdict};
use triage_core::incident::EventBody;
use triage_core::Snapshot;

use super::{Outcome, View};

use crate::tui::ctx::Ctx;
use crate::tui::effect::Effect;
use crate::tui::keys::Action;
use crate::tui::widgets::clip;

/// The impact questions: journal key, question.
pub const QUESTIONS: [(&str, &str); 4] = [
    ("whole_service", "Is the whole service affected?"),
    ("one_feature", "Only one feature?"),
    ("middleware_only", "Only middleware (no user impact yet)?"),
    ("can_detach", "Redundant, so this host can be detached?"),
];

#[derive(Debug, Default)]
pub struct Scope {
    selected: usize,
}

fn answers(ctx: &Ctx) -> BTreeMap<String, String> {
    ctx.state()
        .and_then(|st| {
            st.events.iter().rev().find_map(|e| match &e.body {
                EventBody::Impact { answers } => Some(answers.clone()),
                _ => None,
            })
        })
        .unwrap_or_default()
}

/// The figures the pane shows: label, unit, index in [`compare`]'s order.
const FIGURES: [(&str, &str, usize); 3] = [("load1", "", 0), ("cpu", "%", 1), ("iowait", "%", 2)];

/// The snapshot's figures against the baseline it carries, judged by [`compare`] (as the
/// `unusual_vs_baseline` findings are); `None` without history.
fn usual_lines(snap: Option<&Snapshot>, count: usize) -> Option<Vec<String>> {
    let snap = snap?;
    let compared = compare(&Now::from_snapshot(snap), snap.baseline.as_ref()?);
    let lines = FIGURES.iter().take(count).map(|(label, unit, i)| {
        let c = compared[*i];
        let mark = match c.verdict {
            Verdict::Higher => "  HIGHER",
            Verdict::Lower => "  lower",
            Verdict::Usual => "",
        };
        match (c.now, c.usual, c.deviations) {
            (Some(n), Some(u), Some(d)) => format!(
                "{label:<7}{n:>8.1}{unit}  usual {:>7.1}{unit}  {d:+.1}σ{mark}",
                u.median
            ),
            (Some(n), _, _) => format!("{label:<7}{n:>8.1}{unit}  usual ?"),
            _ => format!("{label:<7} ?"),
        }
    });
    Some(lines.collect())
}

/// Current findings seen in an earlier incident, then what changed recently, newest first.
fn changes(frame: &mut Frame, area: Rect, ctx: &Ctx) {
    let t = &ctx.theme;
    let w = area.width.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    for hit in &ctx.seen_before.hits {
        let opts = textwrap::Options::new(w.max(16)).subsequent_indent("  ");
        let line = triage_core::sanitize::terminal_line(&hit.line()).into_owned();
        for l in textwrap::wrap(&line, opts) {
            lines.push(Line::styled(l.into_owned(), t.warning()));
        }
    }
    match ctx.snap.as_ref().and_then(|s| s.recent_changes.as_ref()) {
        Some(ch) if !ch.is_empty() => {
            for c in ch.iter().rev() {
                let text = format!(
                    "{} {:<8} {}",
                    c.time.format("%m-%d %H:%M"),
                    c.kind,
                    c.summary
                );
                lines.push(Line::raw(clip(&text, w)));
            }
        }
        Some(_) => lines.push(Line::styled("  nothing changed recently", t.dim())),
        None => lines.push(Line::styled("  (recent changes unknown)", t.dim())),
    }
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" What changed (newest first) ")),
        area,
    );
}

/// The "now vs usual" pane (wide screens).
fn usual(frame: &mut Frame, area: Rect, ctx: &Ctx) {
    let lines: Vec<Line> = match usual_lines(ctx.snap.as_ref(), FIGURES.len()) {
        None => vec![Line::styled(
            "  no recorded history yet (run `triage record`)".to_string(),
            ctx.theme.dim(),
        )],
        Some(lines) => lines.into_iter().map(Line::raw).collect(),
    };
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Now vs usual ")),
        area,
    );
}

/// This host in the inventory and the reachability of its dependencies; on narrow screens
/// also the "now vs usual" headline, which has no pane of its own there.
fn inventory(frame: &mut Frame, area: Rect, ctx: &Ctx, wide: bool) {
    let t = &ctx.theme;
    let mut inv = Vec::new();
    match &ctx.inventory {
        None => inv.push(Line::styled(
            "  inventory: no entry for this host (runbooks/inventory.toml)".to_string(),
            t.dim(),
        )),
        Some(e) => {
            inv.push(Line::raw(format!(
                "project {}  role {}  owner {}",
                e.project, e.role, e.owner
            )));
            inv.push(Line::raw(format!(
                "redundant: {}  contacts: {}",
                if e.redundant {
                    "yes (may be detached)"
                } else {
                    "no"
                },
                e.contacts.join(", ")
            )));
            inv.extend(e.dependencies.iter().map(|dep| reach_line(dep, ctx)));
        }
    }
    if !wide {
        inv.push(match usual_lines(ctx.snap.as_ref(), 1) {
            Some(mut l) => Line::raw(l.remove(0)),
            None => Line::styled(
                "  now vs usual: no recorded history yet (run `triage record`)".to_string(),
                t.dim(),
            ),
        });
    }
    let title = if wide {
        " Inventory & dependencies "
    } else {
        " Inventory "
    };
    frame.render_widget(
        Paragraph::new(inv).block(Block::bordered().title(title)),
        area,
    );
}

/// One dependency and whether it answered.
fn reach_line(dep: &str, ctx: &Ctx) -> Line<'static> {
    let t = &ctx.theme;
    let r = ctx
        .reach
        .as_ref()
        .and_then(|rs| rs.iter().find(|r| r.target == dep));
    let (s, style) = match r {
        None => ("testing…".to_string(), t.dim()),
        Some(r) if r.ok => (format!("ok {} ms", r.latency_ms), t.ok()),
        Some(r) => (
            format!("FAIL {}", r.error.clone().unwrap_or_default()),
            t.critical(),
        ),
    };
    Line::from(vec![
        Span::raw(format!("  {dep:<28} ")),
        Span::styled(s, style),
    ])
}

impl Scope {
    /// The impact questions with the journal's answers, the selected one marked.
    fn impact(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = &ctx.theme;
        let ans = answers(ctx);
        let mut lines = Vec::new();
        for (i, (key, q)) in QUESTIONS.iter().enumerate() {
            let a = ans.get(*key).map_or("?", |s| s.as_str());
            let mark = match a {
                "yes" => "[y]",
                "no" => "[n]",
                _ => "[ ]",
            };
            let style = if i == self.selected {
                t.selected()
            } else {
                t.text()
            };
            let pointer = if i == self.selected { "›" } else { " " };
            lines.push(Line::styled(format!("{pointer}{mark} {q}"), style));
        }
        frame.render_widget(
            Paragraph::new(lines).block(Block::bordered().title(" Impact (Space: ? → yes → no) ")),
            area,
        );
    }
}

impl View for Scope {
    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let wide = area.width >= 120;
        // With a fleet directory, its pane goes between what changed here and the
        // inventory: "is it only this host?" comes right after "what changed?".
        let [top, bottom] = match ctx.fleet_dir {
            Some(_) => {
                let [top, fleet, bottom] = Layout::vertical([
                    Constraint::Percentage(22),
                    Constraint::Percentage(40),
                    Constraint::Min(10),
                ])
                .areas(area);
                super::scope_fleet::render(frame, fleet, ctx);
                [top, bottom]
            }
            None => Layout::vertical([Constraint::Percentage(50), Constraint::Min(10)]).areas(area),
        };
        let [inv_area, impact_area] = if wide {
            let [a, b] =
                Layout::horizontal([Constraint::Percentage(60), Constraint::Min(30)]).areas(top);
            changes(frame, a, ctx);
            usual(frame, b, ctx);
            Layout::horizontal([Constraint::Percentage(50), Constraint::Min(30)]).areas(bottom)
        } else {
            changes(frame, top, ctx);
            Layout::vertical([Constraint::Length(4), Constraint::Min(6)]).areas(bottom)
        };
        inventory(frame, inv_area, ctx, wide);
        self.impact(frame, impact_area, ctx);
    }

    fn handle_key(&mut self, _key: &KeyEvent, action: Option<Action>, ctx: &Ctx) -> Outcome {
        match action {
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => self.selected = (self.selected + 1).min(QUESTIONS.len() - 1),
            Some(Action::Toggle | Action::Enter) => {
                let mut ans = answers(ctx);
                let key = QUESTIONS[self.selected].0.to_string();
                let next = match ans.get(&key).map(|s| s.as_str()) {
                    None | Some("?") => "yes",
                    Some("yes") => "no",
                    _ => "?",
                };
                ans.insert(key, next.to_string());
                return Outcome::Consumed(vec![Effect::Journal {
                    body: EventBody::Impact { answers: ans },
                    saved: "impact saved".into(),
                    failed: "not saved: ",
                }]);
            }
            _ => return Outcome::NotConsumed,
        }
        Outcome::done()
    }

    fn on_enter(&mut self, ctx: &Ctx) -> Vec<Effect> {
        if ctx.reach.is_none() {
            vec![Effect::Reach]
        } else {
            Vec::new()
        }
    }
}
