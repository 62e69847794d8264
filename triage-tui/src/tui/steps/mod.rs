//! The seven steps of the incident workflow, each a component (gitui's pattern): it
//! draws itself, handles the keys it knows and says which keys it offers for the footer.
//! The app asks the step first; a key it does not consume is a global one.

mod checks;
mod detect;
mod fix;
mod logs;
mod postmortem;
mod report;
mod scope;
mod state;

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::Frame;

use super::ctx::Ctx;
use super::event::Event;

/// Step names on screen (DESIGN.md).
pub const NAMES: [&str; 7] = [
    "Detect",
    "Report",
    "Scope",
    "Logs",
    "State",
    "Fix",
    "Postmortem",
];

/// What a step did with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Handled; nothing else to do.
    Consumed,
    /// Not for this step: try the global keys.
    NotConsumed,
}

/// A step component.
pub trait Step {
    /// Draw into `area`.
    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx);
    /// React to a key.
    fn handle_key(&mut self, key: &KeyEvent, ctx: &mut Ctx) -> Outcome;
    /// Keys to show in the footer: key, what it does.
    fn hints(&self) -> Vec<(String, &'static str)>;
    /// True while the step edits text (every key goes to it, even `q`).
    fn capturing(&self) -> bool {
        false
    }
    /// A background event (command done, new snapshot).
    fn on_event(&mut self, _event: &Event, _ctx: &mut Ctx) {}
    /// The step was entered.
    fn on_enter(&mut self, _ctx: &mut Ctx) {}
}

/// The seven steps, in order.
pub fn all() -> Vec<Box<dyn Step>> {
    vec![
        Box::new(detect::Detect::default()),
        Box::new(report::Report),
        Box::new(scope::Scope::default()),
        Box::new(logs::Logs::default()),
        Box::new(state::StateStep::default()),
        Box::new(fix::Fix::default()),
        Box::new(postmortem::Postmortem::default()),
    ]
}

/// Page height of a pane of `area` (its inner height, borders excluded).
pub fn page(area: Rect) -> usize {
    area.height.saturating_sub(2) as usize
}

/// The Fix step's items (tests).
#[cfg(test)]
pub fn fix_items(ctx: &Ctx) -> Vec<checks::Item> {
    checks::items(ctx)
}
