//! Everything around the steps: the status bar (host, role, incident and elapsed time,
//! last refresh, warnings), the step list (a one-line tab bar when narrow), the journal
//! timeline, the footer built from the step's hints, and the help and note popups.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Row, Table};
use ratatui::Frame;
use triage_core::incident::{EventBody, Step};

use super::app::{App, Popup};
use super::keys;
use super::widgets::{clip, duration};

/// Width from which the step list is a column on the left.
const WIDE: u16 = 100;

/// Draw the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let [status, middle, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    status_bar(frame, status, app);
    let step_area = if area.width >= WIDE {
        // The timeline gets more room on big screens.
        let left_w = if area.width >= 180 { 36 } else { 24 };
        let [left, right] =
            Layout::horizontal([Constraint::Length(left_w), Constraint::Min(40)]).areas(middle);
        let [list, timeline_area] =
            Layout::vertical([Constraint::Length(9), Constraint::Min(3)]).areas(left);
        step_list(frame, list, app);
        timeline(frame, timeline_area, app);
        right
    } else {
        let has_notes = last_note(app).is_some();
        let [tabs, body, note] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(u16::from(has_notes)),
        ])
        .areas(middle);
        tab_bar(frame, tabs, app);
        if let Some(n) = last_note(app) {
            let w = note.width.saturating_sub(12) as usize;
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!("last note: {}", clip(&n, w)),
                    app.ctx.theme.dim(),
                )),
                note,
            );
        }
        body
    };
    app.view().render(frame, step_area, &app.ctx);
    footer_bar(frame, footer, app);
    match &app.popup {
        Popup::None => {}
        Popup::Help => help(frame, area, app),
        Popup::Note(input) => {
            let r = popup_line(area);
            frame.render_widget(Clear, r);
            let title = if app.ctx.incident.is_some() {
                " Note (Enter saves, Esc cancels) "
            } else {
                " Note: starts an incident (Enter saves) "
            };
            frame.render_widget(
                Paragraph::new(input.line("> ", app.ctx.theme.key()))
                    .block(Block::bordered().title(title)),
                r,
            );
        }
        Popup::Title(input) => {
            let r = popup_line(area);
            frame.render_widget(Clear, r);
            let width = r.width.saturating_sub(2) as usize;
            frame.render_widget(
                Paragraph::new(input.line_in("> ", app.ctx.theme.key(), width)).block(
                    Block::bordered()
                        .title(" Start an incident: title (Enter starts, Esc cancels) "),
                ),
                r,
            );
        }
    }
}

/// The footer while the title prompt is open.
const TITLE_HINTS: &[(&str, &str)] = &[
    ("Enter", "start"),
    ("Esc", "cancel"),
    ("←/→", "move"),
    ("Ctrl-U", "delete to start"),
];

/// A one-line input box in the middle of `area`.
fn popup_line(area: Rect) -> Rect {
    let w = area.width.saturating_sub(8).min(100);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height / 2).saturating_sub(1),
        width: w,
        height: 3,
    }
}

fn mark(app: &App, step: Step) -> &'static str {
    let done = app
        .ctx
        .state()
        .is_some_and(|s| s.steps_done.contains(step.name()));
    match (step == app.current, done) {
        (true, _) => "▶",
        (false, true) => "✓",
        (false, false) => " ",
    }
}

fn status_bar(frame: &mut Frame, area: Rect, app: &App) {
    let ctx = &app.ctx;
    let t = &ctx.theme;
    let mut spans = vec![
        Span::styled(" triage ", t.selected()),
        Span::raw(format!(" {}", ctx.hostname())),
    ];
    if let Some(e) = &ctx.inventory {
        spans.push(Span::raw(format!(" ({}/{})", e.project, e.role)));
    }
    match &ctx.incident {
        Some((inc, st)) => {
            let elapsed = st
                .opened_at
                .map(|o| duration((ctx.now() - o).num_seconds()))
                .unwrap_or_default();
            spans.push(Span::styled(
                format!(" │ incident {} {elapsed}", inc.id),
                t.warning(),
            ));
        }
        None => spans.push(Span::styled(" │ no incident", t.dim())),
    }
    match &ctx.snap {
        Some(s) => {
            spans.push(Span::raw(format!(
                " │ refreshed {}",
                s.collected_at.format("%H:%M:%S")
            )));
            if !s.warnings.is_empty() {
                let n = s.warnings.len();
                let plural = if n == 1 { "" } else { "s" };
                spans.push(Span::styled(format!(" │ {n} warning{plural}"), t.warning()));
            }
        }
        None => spans.push(Span::styled(" │ collecting…", t.dim())),
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn step_list(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let lines: Vec<Line> = Step::ALL
        .into_iter()
        .map(|s| {
            let style = if s == app.current {
                t.heading()
            } else if mark(app, s) == "✓" {
                t.ok()
            } else {
                t.text()
            };
            let (m, i, name) = (mark(app, s), s.number(), s.title());
            Line::styled(format!("{m} {i} {name}"), style)
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Steps ")),
        area,
    );
}

fn tab_bar(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let mut spans = Vec::new();
    for s in Step::ALL {
        let (m, i, name) = (mark(app, s), s.number(), s.title());
        let text = if s == app.current {
            format!("{m}{i} {name} ")
        } else {
            format!("{m}{i} {} ", &name[..4.min(name.len())])
        };
        let style = if s == app.current {
            t.selected()
        } else if m == "✓" {
            t.ok()
        } else {
            t.text()
        };
        spans.push(Span::styled(text, style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn last_note(app: &App) -> Option<String> {
    app.ctx
        .state()?
        .events
        .iter()
        .rev()
        .find_map(|e| match &e.body {
            EventBody::Note { text } => Some(text.clone()),
            _ => None,
        })
}

fn timeline(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let w = area.width.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(st) = app.ctx.state() {
        for e in &st.events {
            let what = match &e.body {
                EventBody::Note { text } => text.clone(),
                EventBody::Step { step, status } if status != "started" => {
                    format!("{step} {status}")
                }
                EventBody::Command {
                    command, exit_code, ..
                } => format!(
                    "$ {command} → {}",
                    exit_code.map_or("killed".into(), |c| c.to_string())
                ),
                EventBody::Reported { .. } => "reported".into(),
                EventBody::Opened { .. } => "opened".into(),
                EventBody::Finding { title, .. } => format!("! {title}"),
                _ => continue,
            };
            lines.push(Line::from(vec![
                Span::styled(e.time.format("%H:%M ").to_string(), t.dim()),
                Span::raw(clip(&super::clean::journal(&what), w.saturating_sub(6))),
            ]));
        }
    }
    let h = area.height.saturating_sub(2) as usize;
    let skip = lines.len().saturating_sub(h);
    let lines = if lines.is_empty() {
        vec![Line::styled("(no journal yet)", t.dim())]
    } else {
        lines.split_off(skip)
    };
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Timeline ")),
        area,
    );
}

fn footer_bar(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let mut spans = Vec::new();
    if let Some(f) = &app.out.flash {
        spans.push(Span::styled(format!(" {f} "), t.selected()));
        spans.push(Span::raw(" "));
    }
    let hints = match &app.popup {
        Popup::Title(_) => TITLE_HINTS.to_vec(),
        _ => app
            .view()
            .input_hints()
            .unwrap_or_else(|| keys::hints(app.current)),
    };
    for (k, h) in hints {
        spans.push(Span::styled(k, t.key()));
        spans.push(Span::raw(format!(" {h}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn help(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.ctx.theme;
    let h = (keys::help().count() as u16 + 2).min(area.height);
    let w = area.width.min(90);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, r);
    let rows = keys::help().map(|(k, d)| Row::new([Span::styled(k, t.key()), Span::raw(d)]));
    let table = Table::new(rows, [Constraint::Length(26), Constraint::Min(20)])
        .block(Block::bordered().title(" Keys (any key closes) "));
    frame.render_widget(table, r);
}
