//! Step 6, Fix: the steps of the runbooks matched to the current findings, else the
//! read-only checks the findings catalogue suggests. A `check` runs on Enter, off the UI
//! thread; a `fix` shows the full command and runs only after the responder types `yes`
//! (or the runbook id). Every run goes through the shared runner and is journaled as the
//! same `command` event `triage runbook run` writes (exit code, duration, bounded and
//! redacted output).

use std::collections::HashMap;

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;
use triage_core::runbook::exec::{self, CommandResult};

use super::checks::{items, Item};
use super::{Outcome, View};
use crate::tui::ctx::Ctx;
use crate::tui::effect::Effect;
use crate::tui::event::Event;
use crate::tui::keys::Action;
use crate::tui::theme::Theme;
use crate::tui::widgets::{InputResult, LineInput};

#[derive(Debug, Default)]
pub struct Fix {
    selected: usize,
    confirm: Option<(Item, LineInput)>,
    running: HashMap<u64, Item>,
    results: HashMap<String, CommandResult>,
    next_job: u64,
}

impl Fix {
    fn run(&mut self, item: Item, ctx: &Ctx) -> Vec<Effect> {
        if !ctx.can_spawn() {
            return vec![Effect::Flash("commands cannot run here".into())];
        }
        self.next_job += 1;
        let effects = vec![
            Effect::Spawn {
                job: self.next_job,
                command: item.command.clone(),
                timeout: item.timeout,
            },
            Effect::Flash(format!("running: {}", item.command)),
        ];
        self.running.insert(self.next_job, item);
        effects
    }
}

impl Fix {
    /// One line per item: kind, command, whether it ran, why it is there.
    fn list(&self, items: &[Item], t: &Theme) -> Vec<Line<'static>> {
        items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                let kind = if it.fix {
                    Span::styled("FIX   ", t.critical())
                } else {
                    Span::styled("check ", t.ok())
                };
                let state = if let Some(why) = &it.blocked {
                    format!(" (cannot run: {why})")
                } else if self.running.values().any(|r| r.command == it.command) {
                    " (running…)".to_string()
                } else if let Some(r) = self.results.get(&it.command) {
                    format!(
                        " (exit {})",
                        r.exit_code.map_or("killed".into(), |c| c.to_string())
                    )
                } else {
                    String::new()
                };
                let pointer = if i == self.selected { "› " } else { "  " };
                let line = Line::from(vec![
                    Span::raw(pointer),
                    kind,
                    Span::raw(it.command.clone()),
                    Span::styled(format!("{state}  — {}", it.title), t.dim()),
                ]);
                if i == self.selected {
                    line.style(t.selected())
                } else {
                    line
                }
            })
            .collect()
    }

    /// The confirmation prompt, else the selected item's last output (its tail, `room`
    /// lines), else how to run it.
    fn output(&self, items: &[Item], room: usize, t: &Theme) -> Vec<Line<'_>> {
        if let Some((item, input)) = &self.confirm {
            return vec![
                Line::styled("This command changes the system:", t.critical()),
                Line::raw(item.command.clone()),
                input.line(
                    "type yes (or the runbook id) to run, Esc to cancel: ",
                    t.key(),
                ),
            ];
        }
        let Some(r) = items
            .get(self.selected)
            .and_then(|i| self.results.get(&i.command))
        else {
            return vec![Line::styled(
                "Enter runs the selected check; its output shows here and goes to the journal.",
                t.dim(),
            )];
        };
        let mut v = vec![Line::styled(
            format!(
                "$ {}  (exit {}, {} ms)",
                r.command,
                r.exit_code.map_or("killed".into(), |c| c.to_string()),
                r.duration.as_millis()
            ),
            t.heading(),
        )];
        let lines: Vec<&str> = r.output.lines().collect();
        let room = room.saturating_sub(1);
        v.extend(
            lines[lines.len().saturating_sub(room)..]
                .iter()
                .map(|l| Line::raw(crate::tui::clean::line(l).into_owned())),
        );
        v
    }
}

impl View for Fix {
    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = &ctx.theme;
        let items = items(ctx);
        let [banner, list, out] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Percentage(45),
            Constraint::Min(4),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(Line::styled(
                "Avoid a second incident: prefer detaching/reverting; get risky commands reviewed by a second person before running them.",
                t.warning(),
            ))
            .wrap(Wrap { trim: true }),
            banner,
        );
        let source = if items.first().is_some_and(|i| i.runbook != "suggested") {
            "runbooks"
        } else {
            "suggested checks (no runbook matched)"
        };
        frame.render_widget(
            Paragraph::new(self.list(&items, t))
                .block(Block::bordered().title(format!(" {source} "))),
            list,
        );
        frame.render_widget(
            Paragraph::new(self.output(&items, super::page(out), t))
                .block(Block::bordered().title(" Output ")),
            out,
        );
    }

    fn handle_key(&mut self, key: &KeyEvent, action: Option<Action>, ctx: &Ctx) -> Outcome {
        if let Some((item, input)) = &mut self.confirm {
            let mut effects = Vec::new();
            match input.key(key) {
                InputResult::Editing => {}
                InputResult::Submit(word) => {
                    let item = item.clone();
                    self.confirm = None;
                    effects = if word.trim() == "yes" || word.trim() == item.runbook {
                        self.run(item, ctx)
                    } else {
                        vec![Effect::Flash("not confirmed: nothing run".into())]
                    };
                }
                InputResult::Cancel => self.confirm = None,
            }
            return Outcome::Consumed(effects);
        }
        let items = items(ctx);
        match action {
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => {
                self.selected = (self.selected + 1).min(items.len().saturating_sub(1))
            }
            Some(Action::Enter) => match items.get(self.selected) {
                Some(it) if it.blocked.is_some() => {
                    let why = it.blocked.as_deref().unwrap_or_default();
                    return Outcome::Consumed(vec![Effect::Flash(format!("cannot run: {why}"))]);
                }
                Some(it) if it.fix => self.confirm = Some((it.clone(), LineInput::default())),
                Some(it) => return Outcome::Consumed(self.run(it.clone(), ctx)),
                None => {}
            },
            _ => return Outcome::NotConsumed,
        }
        Outcome::done()
    }

    fn input_hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        self.confirm
            .as_ref()
            .map(|_| vec![("yes Enter", "run"), ("Esc", "cancel")])
    }

    fn on_event(&mut self, event: &Event, _ctx: &Ctx) -> Vec<Effect> {
        let Event::CommandDone { job, result } = event else {
            return Vec::new();
        };
        let Some(item) = self.running.remove(job) else {
            return Vec::new();
        };
        // The same event `triage runbook run` journals (exec::record): output as the
        // runner bounded and redacted it.
        let mode = if item.fix { "fix" } else { "check" };
        let runbook = if item.runbook == "suggested" {
            ""
        } else {
            item.runbook.as_str()
        };
        self.results.insert(item.command.clone(), result.clone());
        let failed = "ran, but not saved: ";
        match exec::command_event(result, mode, runbook) {
            Ok(body) => vec![Effect::Journal {
                body,
                saved: format!(
                    "done (exit {}), saved to the journal",
                    result.exit_code.map_or("killed".into(), |c| c.to_string())
                ),
                failed,
            }],
            Err(e) => vec![Effect::Flash(format!(
                "{failed}{:#}",
                anyhow::Error::from(e)
            ))],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};
    use std::time::Duration;
    use triage_core::incident::{EventBody, Store};

    use crate::tui::effect::{apply, Outbox};

    /// Type `text` and Enter into the confirmation, applying the effects.
    fn type_line(fix: &mut Fix, ctx: &mut Ctx, out: &mut Outbox, text: &str) {
        let keys = text.chars().map(KeyCode::Char).chain([KeyCode::Enter]);
        for k in keys {
            let key = KeyEvent::new(k, KeyModifiers::NONE);
            match fix.handle_key(&key, None, ctx) {
                Outcome::Consumed(effects) => apply(ctx, out, effects),
                Outcome::NotConsumed => panic!("{k:?} not consumed while confirming"),
            }
        }
    }

    #[test]
    fn a_fix_runs_only_after_yes_and_is_journaled() {
        let dir = tempfile::tempdir().unwrap();
        let mut ctx = Ctx::new(Store::new(dir.path()), crate::tui::theme::Theme::new(false));
        let (tx, rx) = std::sync::mpsc::channel();
        ctx.jobs = Some(tx);
        let item = Item {
            runbook: "restart-web".into(),
            title: "restart".into(),
            command: "echo fixed; exit 3".into(),
            fix: true,
            timeout: Duration::from_secs(5),
            blocked: None,
        };
        let mut fix = Fix {
            confirm: Some((item.clone(), LineInput::default())),
            ..Fix::default()
        };
        assert!(
            fix.input_hints().is_some(),
            "q and digits are text while confirming"
        );
        let mut out = Outbox::default();
        type_line(&mut fix, &mut ctx, &mut out, "no");
        assert_eq!(out.flash.as_deref(), Some("not confirmed: nothing run"));
        assert!(
            rx.recv_timeout(Duration::from_millis(300)).is_err(),
            "nothing ran"
        );

        fix.confirm = Some((item, LineInput::default()));
        type_line(&mut fix, &mut ctx, &mut out, "yes");
        assert_eq!(out.flash.as_deref(), Some("running: echo fixed; exit 3"));
        let ev = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the command finished");
        let effects = fix.on_event(&ev, &ctx);
        apply(&mut ctx, &mut out, effects);
        assert_eq!(
            out.flash.as_deref(),
            Some("done (exit 3), saved to the journal")
        );
        let st = ctx.state().expect("an incident was started");
        let cmd = st.events.iter().find_map(|e| match &e.body {
            EventBody::Command {
                command,
                exit_code,
                output,
                mode,
                runbook,
                ..
            } => Some((
                command.clone(),
                *exit_code,
                output.clone(),
                mode.clone(),
                runbook.clone(),
            )),
            _ => None,
        });
        assert_eq!(
            cmd,
            Some((
                "echo fixed; exit 3".into(),
                Some(3),
                "fixed".into(),
                Some("fix".into()),
                Some("restart-web".into())
            ))
        );
    }
}
