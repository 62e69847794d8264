//! Step 5, State: live top processes (sortable by CPU, memory, pid) with their unit or
//! container (pod when known), the cgroups closest to their limits, listeners with their
//! processes, connection states and top peers, and the load sparkline from recorded
//! history. The data refreshes every 2 s from the collection thread.

use std::cell::Cell;

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Sparkline, Table};
use ratatui::Frame;
use triage_core::snapshot::{Cgroup, Process, Severity, Snapshot};

use super::{Outcome, View};
use crate::tui::ctx::Ctx;
use crate::tui::keys::Action;
use crate::tui::widgets::{bytes, Scroll};

/// Process sort order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Sort {
    #[default]
    Cpu,
    Mem,
    Pid,
}

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
        // The unit/container column only where some process has one.
        let owners = procs.iter().any(|p| owner(p).is_some());
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
                let mut cells = vec![
                    p.pid.to_string(),
                    p.user.clone().unwrap_or_default(),
                    p.state.clone(),
                    format!("{:.1}", p.cpu_percent),
                    bytes(p.rss_bytes),
                ];
                if owners {
                    cells.push(owner(p).unwrap_or_default());
                }
                cells.push(p.command.clone());
                Row::new(cells).style(style)
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
        let mut widths = vec![
            Constraint::Length(7),
            Constraint::Length(9),
            Constraint::Length(1),
            Constraint::Length(6),
            Constraint::Length(6),
        ];
        let mut header = vec!["PID", "USER", "S", "CPU%", "RSS"];
        if owners {
            widths.push(Constraint::Length(OWNER_WIDTH));
            header.push("UNIT/CONTAINER");
        }
        widths.push(Constraint::Min(10));
        header.push("COMMAND");
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(t.heading()))
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

    /// The cgroups closest to their limits (worst first, as collected), coloured by the
    /// worst finding that names them.
    fn cgroups(&self, frame: &mut Frame, area: Rect, ctx: &Ctx, snap: &Snapshot, cgs: &[Cgroup]) {
        let t = &ctx.theme;
        let lines: Vec<Line> = cgs
            .iter()
            .take(area.height.saturating_sub(2) as usize)
            .map(|c| {
                let sev = snap
                    .findings
                    .iter()
                    .filter(|f| f.vars.get("cgroup") == Some(&c.path))
                    .map(|f| f.severity)
                    .max();
                let style = match sev {
                    Some(Severity::Critical) => t.critical(),
                    Some(Severity::Warning) => t.warning(),
                    _ => t.text(),
                };
                Line::styled(cgroup_line(c), style)
            })
            .collect();
        frame.render_widget(
            Paragraph::new(lines)
                .block(Block::bordered().title(" Cgroups, closest to their limits ")),
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

/// Width of the unit/container column.
const OWNER_WIDTH: u16 = 32;

/// `shop/web-7d9f/nginx` for a pod's container, the container's name, else the unit.
fn owner(p: &Process) -> Option<String> {
    match (&p.container, &p.unit) {
        (Some(c), _) => Some(match (&c.pod, &c.name) {
            (Some(pod), name) => {
                let ns = c
                    .namespace
                    .as_deref()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default();
                let name = name
                    .clone()
                    .unwrap_or_else(|| c.id.chars().take(12).collect());
                format!("{ns}{pod}/{name}")
            }
            (None, Some(name)) => format!("{} {name}", c.runtime),
            (None, None) => format!(
                "{} {}",
                c.runtime,
                c.id.chars().take(12).collect::<String>()
            ),
        }),
        (None, Some(u)) => Some(u.clone()),
        (None, None) => None,
    }
}

/// One cgroup: who, CPU use and throttling against its quota, memory against its limit,
/// OOM kills.
fn cgroup_line(c: &Cgroup) -> String {
    let who = match (&c.container, &c.unit) {
        (Some(k), _) => k.label(),
        (None, Some(u)) => u.clone(),
        (None, None) => c.path.clone(),
    };
    let mut parts = vec![who];
    if let Some(u) = c.cpu.usage_percent {
        parts.push(format!("cpu {u:.0}%"));
    }
    if let (Some(q), Some(tp)) = (c.cpu.quota_cores, c.cpu.throttled_percent) {
        parts.push(format!("throttled {tp:.0}% (quota {q})"));
    }
    match (c.memory.current_bytes, c.memory.max_bytes) {
        (Some(cur), Some(max)) if max > 0 => parts.push(format!(
            "mem {} {:.0}% of {}",
            bytes(cur),
            cur as f64 / max as f64 * 100.0,
            bytes(max)
        )),
        (Some(cur), _) => parts.push(format!("mem {}", bytes(cur))),
        _ => {}
    }
    if let Some(k) = c.memory.oom_kills.filter(|k| *k > 0) {
        parts.push(format!("OOM kills {k}"));
    }
    parts.join("  ")
}

impl View for StateStep {
    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
        // The cgroups pane only where there are cgroups to show (not on a bare tree).
        let cgs = ctx
            .snap
            .as_ref()
            .and_then(|s| Some((s, s.cgroups.as_deref().filter(|c| !c.is_empty())?)));
        if let Some((snap, cgs)) = cgs {
            let rows = (cgs.len() as u16 + 2).min(10);
            let [main, bottom] =
                Layout::vertical([Constraint::Min(8), Constraint::Length(rows)]).areas(area);
            self.render_main(frame, main, ctx);
            self.cgroups(frame, bottom, ctx, snap, cgs);
        } else {
            self.render_main(frame, area, ctx);
        }
    }

    fn handle_key(&mut self, _key: &KeyEvent, action: Option<Action>, ctx: &Ctx) -> Outcome {
        let len = ctx
            .snap
            .as_ref()
            .and_then(|s| s.processes.as_ref())
            .map_or(0, |p| p.len());
        match action {
            Some(Action::SortCpu) => self.sort = Sort::Cpu,
            Some(Action::SortMem) => self.sort = Sort::Mem,
            Some(Action::SortPid) => self.sort = Sort::Pid,
            Some(a) if self.scroll.apply(a, len, self.page.get()) => {}
            _ => return Outcome::NotConsumed,
        }
        Outcome::done()
    }
}

impl StateStep {
    fn render_main(&self, frame: &mut Frame, area: Rect, ctx: &Ctx) {
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
}
