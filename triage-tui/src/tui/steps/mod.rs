//! The seven steps of the incident workflow, each a component (gitui's pattern): it
//! draws itself and handles the keys it knows, returning the effects it wants. The app
//! asks the step first; a key it does not consume is a global one. Footer hints come
//! from the key table (`keys.rs`), not from the steps.

mod checks;
mod detect;
mod fix;
mod logs;
pub mod logs_live;
mod postmortem;
mod report;
mod scope;
mod scope_fleet;
mod state;

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::Frame;
use triage_core::incident::Step;

use super::ctx::Ctx;
use super::effect::Effect;
use super::event::Event;
use super::keys::Action;

/// What a step did with a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Handled; the app carries out the effects.
    Consumed(Vec<Effect>),
    /// Not for this step: the app tries the global bindings.
    NotConsumed,
}

impl Outcome {
    /// Handled, nothing for the app to do.
    pub fn done() -> Outcome {
        Outcome::Consumed(Vec::new())
    }
}

/// A step's screen: it reads the [`Ctx`] and asks for changes by returning [`Effect`]s.
pub trait View {
    /// Draw into `area`.
    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx);
    /// React to a key; `action` is what the key table says it means on this step (a step
    /// editing text reads `key` itself).
    fn handle_key(&mut self, key: &KeyEvent, action: Option<Action>, ctx: &Ctx) -> Outcome;
    /// While the step edits text every key goes to it, even `q`, and the footer shows
    /// only these hints instead of the table's.
    fn input_hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        None
    }
    /// A background event (a command finished).
    fn on_event(&mut self, _event: &Event, _ctx: &Ctx) -> Vec<Effect> {
        Vec::new()
    }
    /// The step was entered.
    fn on_enter(&mut self, _ctx: &Ctx) -> Vec<Effect> {
        Vec::new()
    }
}

pub fn view(step: Step) -> Box<dyn View> {
    match step {
        Step::Detect => Box::new(detect::Detect::default()),
        Step::Report => Box::new(report::Report),
        Step::Scope => Box::new(scope::Scope::default()),
        Step::Logs => Box::new(logs::Logs::default()),
        Step::State => Box::new(state::StateStep::default()),
        Step::Fix => Box::new(fix::Fix::default()),
        Step::Postmortem => Box::new(postmortem::Postmortem::default()),
    }
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
