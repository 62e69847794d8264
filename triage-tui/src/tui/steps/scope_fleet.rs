//! The fleet pane of the Scope step (`triage --fleet DIR`, or the inventory's
//! `fleet_dir`): is it only this host? The fleet's hosts worst first (this one marked),
//! and the findings and recent changes the sick hosts share — what `triage fleet DIR`
//! prints, read once in the background when the TUI starts.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;
use triage_core::fleet::{Fleet, FleetHost};

use crate::tui::ctx::Ctx;
use crate::tui::theme::Theme;
use crate::tui::widgets::clip;

/// The pane's title: the directory and the counts by worst severity.
fn title(dir: &str, f: &Fleet) -> String {
    let readable: Vec<&FleetHost> = f.hosts.iter().filter(|h| h.error.is_none()).collect();
    let count = |s| readable.iter().filter(|h| h.worst == Some(s)).count();
    use triage_core::snapshot::Severity::{Critical, Warning};
    let ok = readable
        .iter()
        .filter(|h| h.worst.is_none_or(|w| w < Warning))
        .count();
    let bad = f.hosts.len() - readable.len();
    let unreadable = if bad > 0 {
        format!(", {bad} unreadable")
    } else {
        String::new()
    };
    format!(
        " Fleet {dir}: {} hosts, {} critical, {} warning, {ok} ok{unreadable} ",
        f.hosts.len(),
        count(Critical),
        count(Warning)
    )
}

/// Whether `h` is the host on screen.
fn is_here(h: &FleetHost, here: &str) -> bool {
    h.name == here || h.hostname.as_deref() == Some(here)
}

/// One ranking row: name, worst, load per CPU, memory, first finding (+ how many more).
fn host_line<'a>(h: &FleetHost, here: bool, width: usize, t: &Theme) -> Line<'a> {
    let worst = h.worst.map_or("ok", |w| w.as_str());
    let first = h.findings.first().map_or(String::new(), |f| {
        let more = match h.findings.len() {
            1 => String::new(),
            n => format!(" (+{})", n - 1),
        };
        format!("{}{more}", f.title)
    });
    let load = h
        .load_per_cpu
        .map_or("    -".into(), |l| format!("{l:>5.2}"));
    let mem = h
        .memory_used_percent
        .map_or("   -".into(), |m| format!("{m:>3.0}%"));
    let mark = if here { "▶" } else { " " };
    let head = format!("{mark}{:<14} ", clip(&h.name, 14));
    let tail = format!(" {load} {mem}  {first}");
    let style = if here { t.selected() } else { t.text() };
    let rest = width.saturating_sub(head.chars().count() + 8);
    Line::from(vec![
        Span::styled(head, style),
        Span::styled(
            format!("{worst:<8}"),
            h.worst.map_or(t.ok(), |w| t.severity(w)),
        ),
        Span::styled(clip(&tail, rest), style),
    ])
}

/// The readable hosts worst first, at most `room` of them, this host always among them
/// (in the last row when it ranks below the fold); `true` marks this host.
fn top_hosts<'f>(f: &'f Fleet, here: &str, room: usize) -> Vec<(&'f FleetHost, bool)> {
    let readable: Vec<&FleetHost> = f.hosts.iter().filter(|h| h.error.is_none()).collect();
    let here_at = readable.iter().position(|h| is_here(h, here));
    let room = room.max(1);
    let mut out: Vec<(&FleetHost, bool)> = readable
        .iter()
        .enumerate()
        .take(room)
        .map(|(i, h)| (*h, here_at == Some(i)))
        .collect();
    if let Some(p) = here_at.filter(|p| *p >= room) {
        out.truncate(room - 1);
        out.push((readable[p], true));
    }
    out
}

/// The ranking: a header, the top hosts, one line naming the unreadable files.
fn ranking<'a>(f: &Fleet, here: &str, width: usize, rows: usize, t: &Theme) -> Vec<Line<'a>> {
    let mut lines = vec![Line::styled(
        clip(
            &format!(
                "{:<15} {:<8} {:>5} {:>4}  {}",
                " HOST", "WORST", "LOAD", "MEM", "FINDINGS"
            ),
            width,
        ),
        t.heading(),
    )];
    for (h, is) in top_hosts(f, here, rows.saturating_sub(2)) {
        lines.push(host_line(h, is, width, t));
    }
    let bad: Vec<&str> = f
        .hosts
        .iter()
        .filter(|h| h.error.is_some())
        .map(|h| h.name.as_str())
        .collect();
    if !bad.is_empty() {
        let text = format!(" could not read: {}", bad.join(", "));
        lines.push(Line::styled(clip(&text, width), t.dim()));
    }
    lines
}

/// A small terminal: the top hosts (no header; the title has the counts), then one line
/// per shared finding and per shared change.
fn compact<'a>(f: &Fleet, here: &str, width: usize, rows: usize, t: &Theme) -> Vec<Line<'a>> {
    let shared = f.shared_findings.len() + f.shared_changes.len();
    let room = rows.saturating_sub(shared.min(rows / 2)).max(1);
    let mut lines: Vec<Line> = top_hosts(f, here, room)
        .into_iter()
        .map(|(h, is)| host_line(h, is, width, t))
        .collect();
    for s in &f.shared_findings {
        let text = format!(
            "shared: {} on {}: {}",
            s.id,
            s.hosts.len(),
            s.hosts.join(", ")
        );
        lines.push(Line::styled(clip(&text, width), t.severity(s.severity)));
    }
    for c in &f.shared_changes {
        let text = format!(
            "changed on {} sick: {} {}",
            c.hosts.len(),
            c.kind,
            c.summary
        );
        lines.push(Line::raw(clip(&text, width)));
    }
    lines
}

/// What the sick hosts share: findings, then changes.
fn shared<'a>(f: &Fleet, width: usize, t: &Theme) -> Vec<Line<'a>> {
    let mut lines = vec![Line::styled("Shared findings", t.heading())];
    if f.shared_findings.is_empty() {
        lines.push(Line::styled("  none on two hosts or more", t.dim()));
    }
    for s in &f.shared_findings {
        let text = format!("  {} {}: {}", s.id, s.hosts.len(), s.hosts.join(", "));
        lines.push(Line::styled(clip(&text, width), t.severity(s.severity)));
    }
    let hours = f.window_seconds / 3600;
    lines.push(Line::styled(
        format!("Shared changes ({hours}h before the sick hosts' snapshots)"),
        t.heading(),
    ));
    if f.shared_changes.is_empty() {
        lines.push(Line::styled("  none on two sick hosts or more", t.dim()));
    }
    for c in &f.shared_changes {
        let healthy = match c.healthy_hosts.len() {
            0 => String::new(),
            n => format!(" (and {n} healthy)"),
        };
        let what = format!(
            "  {} {} {}",
            c.first_at.format("%m-%d %H:%M"),
            c.kind,
            c.summary
        );
        let on = format!("    on {}: {}{healthy}", c.hosts.len(), c.hosts.join(", "));
        lines.push(Line::raw(clip(&what, width)));
        lines.push(Line::styled(clip(&on, width), t.dim()));
    }
    lines
}

/// Draw the fleet pane into `area`.
pub fn render(frame: &mut Frame, area: Rect, ctx: &Ctx) {
    let t = &ctx.theme;
    let dir = ctx
        .fleet_dir
        .as_ref()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let fleet = match &ctx.fleet {
        None => {
            let text = Line::styled(format!("  reading {dir}…"), t.dim());
            frame.render_widget(
                Paragraph::new(text).block(Block::bordered().title(" Fleet ")),
                area,
            );
            return;
        }
        Some(Err(why)) => {
            let text = Line::styled(format!("  {why}"), t.critical());
            frame.render_widget(
                Paragraph::new(text).block(Block::bordered().title(" Fleet ")),
                area,
            );
            return;
        }
        Some(Ok(f)) => f,
    };
    let here = ctx.hostname();
    let block = Block::bordered().title(title(&dir, fleet));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = inner.height as usize;
    if inner.width >= 110 {
        let [left, right] = Layout::horizontal([Constraint::Percentage(55), Constraint::Min(40)])
            .spacing(2)
            .areas(inner);
        let w = left.width as usize;
        frame.render_widget(Paragraph::new(ranking(fleet, &here, w, rows, t)), left);
        let w = right.width as usize;
        frame.render_widget(Paragraph::new(shared(fleet, w, t)), right);
    } else {
        let lines = compact(fleet, &here, inner.width as usize, rows, t);
        frame.render_widget(Paragraph::new(lines), inner);
    }
}
