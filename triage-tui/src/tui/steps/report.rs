//! Step 2, Report: the status message to paste into chat ("[triage] host web-3 … On it:
//! alice"), copied with `c` through OSC 52 (works over SSH and tmux) and journaled as
//! `reported`; who else is logged in, to split the work.

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::{Outcome, View};
use crate::tui::ctx::Ctx;
use crate::tui::keys::Action;

#[derive(Debug, Default)]
pub struct Report;

impl View for Report {
    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = &ctx.theme;
        let msg = ctx.status_message();
        let msg_h = (msg.chars().count() as u16 / area.width.saturating_sub(4).max(1)) + 3;
        let [top, info, users] = Layout::vertical([
            Constraint::Length(msg_h),
            Constraint::Length(4),
            Constraint::Min(3),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(msg)
                .wrap(Wrap { trim: false })
                .block(Block::bordered().title(" Status message ")),
            top,
        );
        let reported = ctx.state().and_then(|st| {
            st.events
                .iter()
                .rev()
                .find(|e| e.body.kind() == "reported")
                .map(|e| e.time.format("%H:%M:%S").to_string())
        });
        let status = match reported {
            Some(at) => Line::styled(format!("reported at {at} (journaled)"), t.ok()),
            None => Line::styled("not reported yet", t.warning()),
        };
        let info_lines = vec![
            Line::from(vec![
                Span::raw("Press "),
                Span::styled("c", t.key()),
                Span::raw(" to copy it (OSC 52: your local clipboard, through SSH and tmux)."),
            ]),
            status,
        ];
        frame.render_widget(Paragraph::new(info_lines).block(Block::new()), info);
        let mut lines = Vec::new();
        match ctx.snap.as_ref().and_then(|s| s.users.as_ref()) {
            Some(us) if !us.is_empty() => {
                for u in us {
                    let at = u
                        .login_at
                        .map(|t| t.format("%m-%d %H:%M").to_string())
                        .unwrap_or_default();
                    lines.push(Line::raw(format!(
                        "{:<12} {:<8} {:<18} {at}",
                        u.user, u.tty, u.from
                    )));
                }
            }
            Some(_) => lines.push(Line::styled("  nobody else is logged in", t.dim())),
            None => lines.push(Line::styled("  (sessions unknown)", t.dim())),
        }
        frame.render_widget(
            Paragraph::new(lines).block(Block::bordered().title(" Logged in (who else is on it) ")),
            users,
        );
    }

    fn handle_key(&mut self, _: &KeyEvent, _: Option<Action>, _: &Ctx) -> Outcome {
        Outcome::NotConsumed
    }
}
