//! Step 7, Postmortem: a preview of the postmortem generated from the journal; `w`
//! writes it atomically to `postmortem.md` in the incident's directory.

use std::cell::{Cell, RefCell};

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::{Outcome, Step};
use crate::tui::ctx::Ctx;
use crate::tui::keys::{self, Action};
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

impl Step for Postmortem {
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

    fn handle_key(&mut self, key: &KeyEvent, ctx: &mut Ctx) -> Outcome {
        let len = preview(&self.cache, ctx).map_or(0, |p| p.lines().count());
        match keys::action(6, key) {
            Some(Action::Write) => {
                let (Some(text), Some((inc, _))) = (preview(&self.cache, ctx), &ctx.incident)
                else {
                    ctx.flash = Some("no incident open".into());
                    return Outcome::Consumed;
                };
                let path = inc.dir.join("postmortem.md");
                ctx.flash = Some(
                    match triage_core::fsutil::write_atomic(&path, text.as_bytes(), 0o600) {
                        Ok(()) => format!("written to {}", path.display()),
                        Err(e) => format!("not written: {e}"),
                    },
                );
            }
            Some(a) if self.scroll.apply(a, len, self.page.get()) => {}
            _ => return Outcome::NotConsumed,
        }
        Outcome::Consumed
    }

    fn hints(&self) -> Vec<(String, &'static str)> {
        let mut h = keys::local_hints(6);
        h.push(("j/k".into(), "scroll"));
        h
    }
}
