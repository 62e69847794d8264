//! Step 5, State: live top processes (sortable by CPU, memory, pid), listeners with their
//! processes, connection states and top peers, and the load sparkline from recorded
//! history. The data refreshes every 2 s from the collection thread.

use std::cell::Cell;

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Sparkline, Table};
use ratatui::Frame;
use triage_core::snapshot::Process;

use super::{Outcome, Step};
use crate::tui::ctx::Ctx;
use crate::tui::keys::{self, Action};
use crate::tui::widgets::{bytes, Scroll};

/// Process sort order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Sort {
    #[default]
    Cpu,
    Mem,
    Pid,
}

/// The State step.
#[derive(Debug, Default)]
pub struct StateStep {
    sort: Sort,
    scroll: Scroll,
    page: Cell<usize>,
}

impl StateStep {
    fn sorted<'a>(&self, procs: &'a [Process]) -> Vec<&'a Process> {
        let mut v: Vec<&Process> = procs.iter().collect();
        match self.sort {
            Sort::Cpu => v.sort_by(|a, b| {
                b.cpu_percent
                    .total_cmp(&a.cpu_percent)
                    .then(a.pid.cmp(&b.pid))
            }),
            Sort::Mem => v.sort_by(|a, b| b.rss_bytes.cmp(&a.rss_bytes).then(a.pid.cmp(&b.pid))),
            Sort::Pid => v.sort_by_key(|p| p.pid),
        }
        v
    }

    fn processes(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = &ctx.theme;
        let procs = ctx
            .snap
            .as_ref()
            .and_then(|s| s.processes.as_deref())
            .unwrap_or(&[]);
        let page = area.height.saturating_sub(3) as usize;
        self.page.set(page);
        let start = self.scroll.pos.min(procs.len().saturating_sub(1));
        let rows: Vec<Row> = self
            .sorted(procs)
            .into_iter()
            .skip(start)
            .take(page)
            .map(|p| {
                let style = match p.state.as_str() {
                    "D" | "Z" => t.warning(),
                    _ => t.text(),
                };
                Row::new(vec![
                    p.pid.to_string(),
                    p.user.clone().unwrap_or_default(),
                    p.state.clone(),
                    format!("{:.1}", p.cpu_percent),
                    bytes(p.rss_bytes),
                    p.command.clone(),
                ])
                .style(style)
            })
            .collect();
        let sort = match self.sort {
            Sort::Cpu => "CPU",
            Sort::Mem => "memory",
            Sort::Pid => "pid",
        };
        let summary = ctx
            .snap
            .as_ref()
            .and_then(|s| s.process_summary.as_ref())
            .map_or(String::new(), |s| {
                format!(
                    " {} procs, {} running, {} D, {} zombie ",
                    s.total, s.running, s.uninterruptible, s.zombie
                )
            });
        let table = Table::new(
            rows,
            [
                Constraint::Length(7),
                Constraint::Length(9),
                Constraint::Length(1),
                Constraint::Length(6),
                Constraint::Length(6),
                Constraint::Min(10),
            ],
        )
        .header(Row::new(["PID", "USER", "S", "CPU%", "RSS", "COMMAND"]).style(t.heading()))
        .block(
            Block::bordered()
                .title(format!(" Processes by {sort} "))
                .title_bottom(summary),
        );
        frame.render_widget(table, area);
    }

    fn network(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = &ctx.theme;
        let snap = ctx.snap.as_ref();
        let mut lines = Vec::new();
        match snap.and_then(|s| s.connections.as_ref()) {
            Some(c) => {
                let states: Vec<String> = c
                    .by_state
                    .iter()
                    .filter(|(k, v)| **v > 0 && k.as_str() != "LISTEN")
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect();
                lines.push(Line::raw(format!(
                    "{} conns: {}",
                    c.total,
                    states.join(", ")
                )));
                let peers: Vec<String> = c
                    .top_remote
                    .iter()
                    .take(5)
                    .map(|r| format!("{} ×{}", r.address, r.count))
                    .collect();
                if !peers.is_empty() {
                    lines.push(Line::raw(format!("top peers: {}", peers.join(", "))));
                }
            }
            None => lines.push(Line::styled("(connections unknown)", t.dim())),
        }
        match snap.and_then(|s| s.listeners.as_ref()) {
            Some(ls) => {
                for l in ls {
                    let who = match (&l.process, l.pid) {
                        (Some(p), Some(pid)) => format!("{p}[{pid}]"),
                        _ => "?".into(),
                    };
                    let q = match (l.recv_q, l.send_q) {
                        (Some(r), Some(s)) if l.protocol.starts_with("tcp") => {
                            format!(" q {r}/{s}")
                        }
                        _ => String::new(),
                    };
                    let style = if l.recv_q.zip(l.send_q).is_some_and(|(r, s)| s > 0 && r >= s) {
                        t.critical()
                    } else {
                        t.text()
                    };
                    lines.push(Line::styled(
                        format!("{:<5} {}:{} {who}{q}", l.protocol, l.address, l.port),
                        style,
                    ));
                }
            }
            None => lines.push(Line::styled("(listeners unknown)", t.dim())),
        }
        frame.render_widget(
            Paragraph::new(lines).block(Block::bordered().title(" Listeners & connections ")),
            area,
        );
    }

    fn sparkline(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        let data: Vec<u64> = ctx
            .history
            .iter()
            .map(|(_, l, _)| (l * 100.0).max(0.0) as u64)
            .collect();
        let block = Block::bordered().title(" Load, last hour ");
        if data.is_empty() {
            let p = Paragraph::new(Line::styled(
                "(no recorded history: run `triage record`)".to_string(),
                ctx.theme.dim(),
            ))
            .block(block);
            frame.render_widget(p, area);
        } else {
            frame.render_widget(
                Sparkline::default()
                    .data(&data)
                    .style(ctx.theme.heading())
                    .block(block),
                area,
            );
        }
    }
}

impl Step for StateStep {
    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        if area.width >= 120 {
            let [left, right] =
                Layout::horizontal([Constraint::Percentage(60), Constraint::Min(40)]).areas(area);
            let [net, spark] =
                Layout::vertical([Constraint::Min(5), Constraint::Length(6)]).areas(right);
            self.processes(frame, left, ctx);
            self.network(frame, net, ctx);
            self.sparkline(frame, spark, ctx);
        } else {
            let [top, bottom] =
                Layout::vertical([Constraint::Percentage(60), Constraint::Min(4)]).areas(area);
            self.processes(frame, top, ctx);
            self.network(frame, bottom, ctx);
        }
    }

    fn handle_key(&mut self, key: &KeyEvent, ctx: &mut Ctx) -> Outcome {
        let len = ctx
            .snap
            .as_ref()
            .and_then(|s| s.processes.as_ref())
            .map_or(0, |p| p.len());
        match keys::action(4, key) {
            Some(Action::SortCpu) => self.sort = Sort::Cpu,
            Some(Action::SortMem) => self.sort = Sort::Mem,
            Some(Action::SortPid) => self.sort = Sort::Pid,
            Some(a) if self.scroll.apply(a, len, self.page.get()) => {}
            _ => return Outcome::NotConsumed,
        }
        Outcome::Consumed
    }

    fn hints(&self) -> Vec<(String, &'static str)> {
        let mut h = keys::local_hints(4);
        h.push(("j/k".into(), "scroll"));
        h
    }
}
