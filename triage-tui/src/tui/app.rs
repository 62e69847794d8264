//! The app routes: events to the context, keys to the popup, then the current step, then
//! the global bindings. It decides nothing about what a step shows.

use ratatui::crossterm::event::KeyEvent;
use ratatui::Frame;
use triage_core::incident::{EventBody, Step};

use super::ctx::Ctx;
use super::effect::{self, Effect, Outbox};
use super::event::Event;
use super::keys::{self, Action};
use super::steps::{self, Outcome, View};
use super::widgets::{InputResult, LineInput};

/// A popup over the steps.
#[derive(Debug, Default)]
pub enum Popup {
    #[default]
    None,
    /// The key help.
    Help,
    /// The note editor.
    Note(LineInput),
    /// The title of the incident `s` starts, prefilled with the top finding's title.
    Title(LineInput),
}

/// The TUI.
pub struct App {
    /// One per step, in [`Step::ALL`] order.
    views: Vec<Box<dyn View>>,
    /// The step on screen.
    pub current: Step,
    pub popup: Popup,
    /// Shared state.
    pub ctx: Ctx,
    /// What the UI loop still has to show, copy or ask for.
    pub out: Outbox,
    /// Set when the loop should end.
    pub quit: bool,
}

/// The step to resume on: the last one the journal entered, or the first not done after
/// it when it was marked done.
pub fn resume_step(ctx: &Ctx) -> Step {
    let Some(st) = ctx.state() else {
        return Step::Detect;
    };
    let Some(cur) = st.current_step.as_deref().and_then(Step::from_name) else {
        return Step::Detect;
    };
    Step::ALL[cur as usize..]
        .iter()
        .copied()
        .find(|s| !st.steps_done.contains(s.name()))
        .unwrap_or(cur)
}

impl App {
    /// The app over `ctx`, on the step the journal says.
    pub fn new(ctx: Ctx) -> App {
        let current = resume_step(&ctx);
        App {
            views: Step::ALL.into_iter().map(steps::view).collect(),
            current,
            popup: Popup::None,
            ctx,
            out: Outbox::default(),
            quit: false,
        }
    }

    /// Draw everything.
    pub fn render(&self, frame: &mut Frame) {
        super::chrome::draw(frame, self);
    }

    /// The view of the current step.
    pub fn view(&self) -> &dyn View {
        self.views[self.current as usize].as_ref()
    }

    /// Carry out what a step or a global key asked for.
    pub fn apply(&mut self, effects: Vec<Effect>) {
        effect::apply(&mut self.ctx, &mut self.out, effects);
    }

    /// React to one event.
    pub fn handle(&mut self, event: Event) {
        match event {
            Event::Key(k) => self.key(&k),
            Event::Snapshot(s) => {
                self.ctx.snap = Some(*s);
                if let Some(said) = self.ctx.on_snapshot() {
                    self.out.flash = Some(said);
                }
                // Saved as collected above; what the steps draw is sanitised.
                if let Some(snap) = self.ctx.snap.as_mut() {
                    super::clean::snapshot(snap);
                }
                self.ctx.refresh_seen_before();
            }
            Event::History(h) => self.ctx.history = h,
            Event::Reach(r) => self.ctx.reach = Some(r),
            Event::Sources(s) => {
                self.ctx.runbooks = s.runbooks;
                self.ctx.inventory = s.inventory;
                self.ctx.reach = None;
                self.ctx.spawn_reach();
                let dir = self.ctx.inventory.as_ref().map(|e| e.fleet_dir.clone());
                if let Some(dir) = dir.filter(|d| !d.is_empty()) {
                    self.ctx.spawn_fleet(dir.into());
                }
            }
            Event::Fleet(f) => self.ctx.fleet = Some(*f),
            Event::Terminate => self.leave(),
            Event::Followed => {
                for u in self.ctx.follow_updates() {
                    self.broadcast(Event::Follow(Box::new(u)));
                }
            }
            e @ (Event::CommandDone { .. } | Event::Follow(_)) => self.broadcast(e),
            Event::Tick | Event::Resize => {}
        }
    }

    /// A background event for the steps.
    fn broadcast(&mut self, e: Event) {
        let mut effects = Vec::new();
        for v in &mut self.views {
            effects.extend(v.on_event(&e, &self.ctx));
        }
        self.apply(effects);
    }

    fn go(&mut self, step: Step) {
        self.current = step;
        let effects = self.views[step as usize].on_enter(&self.ctx);
        self.apply(effects);
    }

    /// Quit, journaling the step the responder is on so a restart resumes there.
    pub fn leave(&mut self) {
        let step = self.current.name();
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
        self.out.flash = None;
        match &mut self.popup {
            Popup::Note(input) => {
                match input.key(key) {
                    InputResult::Editing => {}
                    InputResult::Cancel => self.popup = Popup::None,
                    InputResult::Submit(text) => {
                        self.popup = Popup::None;
                        self.apply(Ctx::note(&text).into_iter().collect());
                    }
                }
                return;
            }
            Popup::Title(input) => {
                match input.key(key) {
                    InputResult::Editing => {}
                    InputResult::Cancel => {
                        self.popup = Popup::None;
                        self.out.flash = Some("no incident started".into());
                    }
                    InputResult::Submit(title) => {
                        self.popup = Popup::None;
                        self.apply(vec![Effect::Start(title)]);
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
        let action = keys::action(self.current, key);
        let view = &mut self.views[self.current as usize];
        if let Outcome::Consumed(effects) = view.handle_key(key, action, &self.ctx) {
            self.apply(effects);
            return;
        }
        let Some(action) = action else {
            return;
        };
        match action {
            Action::NextStep => self.go(self.current.next()),
            Action::PrevStep => self.go(self.current.prev()),
            Action::Jump(step) => self.go(step),
            Action::Note => self.popup = Popup::Note(LineInput::default()),
            Action::Help => self.popup = Popup::Help,
            Action::Quit => self.leave(),
            Action::Refresh => {
                let mut effects = vec![Effect::Refresh];
                if self.current == Step::Scope {
                    effects.push(Effect::Reach);
                }
                effects.push(Effect::Flash("refreshing…".into()));
                self.apply(effects);
            }
            Action::Start => match &self.ctx.incident {
                Some((inc, _)) => self.out.flash = Some(format!("incident {} is open", inc.id)),
                None => self.popup = Popup::Title(LineInput::with(&self.ctx.default_title())),
            },
            Action::Copy => self.apply(self.ctx.copy_status()),
            Action::Done => self.apply(vec![self.ctx.toggle_done(self.current)]),
            _ => {}
        }
    }
}
