//! Step 7, Postmortem: a preview of the postmortem generated from the journal; `w`
//! writes it atomically to `postmortem.md` in the incident's directory.

use std::cell::{Cell, RefCell};

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::{Outcome, View};
use crate::tui::ctx::Ctx;
use crate::tui::effect::Effect;
use crate::tui::keys::Action;
use crate::tui::widgets::Scroll;

/// The Postmortem step.
#[derive(Debug, Default)]
pub struct Postmortem {
    scroll: Scroll,
    page: Cell<usize>,
    cache: RefCell<Cache>,
}

/// (incident id, events) → preview.
type Cache = ((String, usize), String);

/// The preview, rendered again only when the journal grew (not on every frame).
fn preview(cache: &RefCell<Cache>, ctx: &Ctx) -> Option<String> {
    let (inc, st) = ctx.incident.as_ref()?;
    let mut c = cache.borrow_mut();
    let key = (inc.id.clone(), st.events.len());
    if c.0 != key {
        *c = (key, crate::sources::postmortem_preview(inc, st, "en"));
    }
    Some(c.1.clone())
}

impl View for Postmortem {
    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        self.page.set(super::page(area));
        let text = preview(&self.cache, ctx)
            .unwrap_or_else(|| "No incident open: nothing to write yet (s starts one).".into());
        let lines: Vec<Line> = text
            .lines()
            .skip(self.scroll.pos)
            .map(|l| Line::raw(l.to_string()))
            .collect();
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(Block::bordered().title(" Postmortem preview ")),
            area,
        );
    }

    fn handle_key(&mut self, _key: &KeyEvent, action: Option<Action>, ctx: &Ctx) -> Outcome {
        let len = preview(&self.cache, ctx).map_or(0, |p| p.lines().count());
        match action {
            Some(Action::Write) => {
                let effect = match (preview(&self.cache, ctx), &ctx.incident) {
                    (Some(text), Some((inc, _))) => Effect::Write {
                        path: inc.dir.join("postmortem.md"),
                        text,
                    },
                    _ => Effect::Flash("no incident open".into()),
                };
                Outcome::Consumed(vec![effect])
            }
            Some(a) if self.scroll.apply(a, len, self.page.get()) => Outcome::done(),
            _ => Outcome::NotConsumed,
        }
    }
}
