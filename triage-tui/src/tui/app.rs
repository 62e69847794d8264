//! The app routes: events to the context, keys to the popup, then the current step, then
//! the global bindings. It decides nothing about what a step shows.

use ratatui::crossterm::event::KeyEvent;
use ratatui::Frame;
use triage_core::incident::{EventBody, STEPS};

use super::ctx::Ctx;
use super::event::Event;
use super::keys::{self, Action};
use super::steps::{self, Outcome, Step};
use super::widgets::{InputResult, LineInput};

/// A popup over the steps.
#[derive(Debug, Default)]
pub enum Popup {
    /// None.
    #[default]
    None,
    /// The key help.
    Help,
    /// The note editor.
    Note(LineInput),
}

/// The TUI.
pub struct App {
    pub(super) steps: Vec<Box<dyn Step>>,
    /// The current step (0-based).
    pub current: usize,
    /// The open popup.
    pub popup: Popup,
    /// Shared state.
    pub ctx: Ctx,
    /// Set when the loop should end.
    pub quit: bool,
}

/// The step to resume on: the last one the journal entered, or the first not done after
/// it when it was marked done.
pub fn resume_step(ctx: &Ctx) -> usize {
    let Some(st) = ctx.state() else { return 0 };
    let Some(cur) = st
        .current_step
        .as_deref()
        .and_then(|s| STEPS.iter().position(|x| *x == s))
    else {
        return 0;
    };
    if !st.steps_done.contains(STEPS[cur]) {
        return cur;
    }
    (cur..STEPS.len())
        .find(|i| !st.steps_done.contains(STEPS[*i]))
        .unwrap_or(cur)
}

impl App {
    /// The app over `ctx`, on the step the journal says.
    pub fn new(ctx: Ctx) -> App {
        let current = resume_step(&ctx);
        App {
            steps: steps::all(),
            current,
            popup: Popup::None,
            ctx,
            quit: false,
        }
    }

    /// Draw everything.
    pub fn render(&self, frame: &mut Frame) {
        super::chrome::draw(frame, self);
    }

    /// The current step component.
    pub fn step(&self) -> &dyn Step {
        self.steps[self.current].as_ref()
    }

    /// React to one event.
    pub fn handle(&mut self, event: Event) {
        match event {
            Event::Key(k) => self.key(&k),
            Event::Snapshot(s) => {
                self.ctx.snap = Some(*s);
                self.ctx.on_snapshot();
            }
            Event::History(h) => self.ctx.history = h,
            Event::Reach(r) => self.ctx.reach = Some(r),
            Event::Sources(s) => {
                self.ctx.runbooks = s.runbooks;
                self.ctx.inventory = s.inventory;
                self.ctx.reach = None;
                self.ctx.spawn_reach();
            }
            Event::Terminate => self.leave(),
            e @ Event::CommandDone { .. } => {
                for s in &mut self.steps {
                    s.on_event(&e, &mut self.ctx);
                }
            }
            Event::Tick | Event::Resize => {}
        }
    }

    fn go(&mut self, step: usize) {
        if step < self.steps.len() {
            self.current = step;
            self.steps[step].on_enter(&mut self.ctx);
        }
    }

    /// Quit, journaling the step the responder is on so a restart resumes there.
    pub fn leave(&mut self) {
        let step = STEPS[self.current];
        if let Some(st) = self.ctx.state() {
            if st.current_step.as_deref() != Some(step) {
                let _ = self.ctx.journal(EventBody::Step {
                    step: step.into(),
                    status: "started".into(),
                });
            }
        }
        self.quit = true;
    }

    fn key(&mut self, key: &KeyEvent) {
        self.ctx.flash = None;
        match &mut self.popup {
            Popup::Note(input) => {
                match input.key(key) {
                    InputResult::Editing => {}
                    InputResult::Cancel => self.popup = Popup::None,
                    InputResult::Submit(text) => {
                        self.popup = Popup::None;
                        self.ctx.save_note(&text);
                    }
                }
                return;
            }
            Popup::Help => {
                self.popup = Popup::None;
                return;
            }
            Popup::None => {}
        }
        if self.steps[self.current].handle_key(key, &mut self.ctx) == Outcome::Consumed {
            return;
        }
        let Some(action) = keys::action(self.current, key) else {
            return;
        };
        let n = self.steps.len();
        match action {
            Action::NextStep => self.go((self.current + 1) % n),
            Action::PrevStep => self.go((self.current + n - 1) % n),
            Action::Jump(i) => self.go(i),
            Action::Note => self.popup = Popup::Note(LineInput::default()),
            Action::Help => self.popup = Popup::Help,
            Action::Quit => self.leave(),
            Action::Refresh => {
                self.ctx.refresh_requested = true;
                if self.current == 2 {
                    self.ctx.reach = None;
                    self.ctx.spawn_reach();
                }
                self.ctx.flash = Some("refreshing…".into());
            }
            Action::Start => {
                if let Err(e) = self.ctx.start_incident() {
                    self.ctx.flash = Some(format!("could not start: {e:#}"));
                }
            }
            Action::Copy => self.ctx.copy_status(),
            Action::Done => self.ctx.toggle_done(self.current),
            _ => {}
        }
    }
}
