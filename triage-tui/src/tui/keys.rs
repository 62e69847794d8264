//! Every key binding, in one table: the DESIGN.md contract (`Tab`, `1`–`7`, `n`, `c`,
//! `r`, `?`, `q`) plus htop/less-like movement. Steps ask [`action`] what a key means on
//! their step; the help overlay and the footer read the same table.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Next step.
    NextStep,
    /// Previous step.
    PrevStep,
    /// Jump to step N (0-based).
    Jump(usize),
    /// Write a note.
    Note,
    /// Copy the status message.
    Copy,
    /// Refresh now.
    Refresh,
    /// Help overlay.
    Help,
    /// Quit (the incident stays open).
    Quit,
    /// Start an incident.
    Start,
    /// Mark the current step done (again: undone).
    Done,
    /// Move up one line.
    Up,
    /// Move down one line.
    Down,
    /// Up one page.
    PageUp,
    /// Down one page.
    PageDown,
    /// To the top.
    Home,
    /// To the bottom.
    End,
    /// Search (Logs).
    Search,
    /// Follow new lines (Logs).
    Follow,
    /// Sort processes by CPU (State).
    SortCpu,
    /// Sort processes by memory (State).
    SortMem,
    /// Sort processes by pid (State).
    SortPid,
    /// Run / confirm / toggle the selected item.
    Enter,
    /// Toggle the selected item.
    Toggle,
    /// Close a popup, cancel input.
    Escape,
    /// Write to a file (Postmortem).
    Write,
}

/// Step-local bindings: (step index, key, action, help text). Looked up before the
/// global ones, so `s` sorts in State and starts an incident elsewhere.
const LOCAL: &[(usize, char, Action, &str)] = &[
    (3, '/', Action::Search, "search"),
    (3, 'F', Action::Follow, "follow"),
    (4, 's', Action::SortCpu, "sort CPU"),
    (4, 'm', Action::SortMem, "sort mem"),
    (4, 'p', Action::SortPid, "sort pid"),
    (6, 'w', Action::Write, "write file"),
];

/// The help overlay: key, what it does.
pub const HELP: &[(&str, &str)] = &[
    ("Tab / Shift-Tab", "next / previous step"),
    ("1-7", "jump to a step"),
    ("n", "write a note (Enter saves it to the journal)"),
    (
        "c",
        "copy the status message (OSC 52), record it as reported",
    ),
    ("d", "mark the step done (again: not done)"),
    ("s", "start an incident (State: sort by CPU)"),
    ("r", "refresh now"),
    ("j/k ↑/↓ PgUp/PgDn Home/End", "scroll, select"),
    ("Enter / Space", "run a check (Fix), tick an answer (Scope)"),
    ("/  F", "search, follow (Logs)"),
    ("s m p", "sort by CPU, memory, pid (State)"),
    ("w", "write the postmortem to a file (Postmortem)"),
    ("Esc", "close a popup, cancel"),
    ("?", "this help"),
    ("q", "quit (the incident stays open)"),
];

/// What `key` means on step `step` (0-based).
pub fn action(step: usize, key: &KeyEvent) -> Option<Action> {
    if let KeyCode::Char(c) = key.code {
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            return match c {
                'c' => Some(Action::Quit),
                'l' => Some(Action::Refresh),
                'f' => Some(Action::PageDown),
                'b' => Some(Action::PageUp),
                _ => None,
            };
        }
        if let Some((_, _, a, _)) = LOCAL.iter().find(|(s, k, _, _)| *s == step && *k == c) {
            return Some(*a);
        }
    }
    Some(match key.code {
        KeyCode::Tab => Action::NextStep,
        KeyCode::BackTab => Action::PrevStep,
        KeyCode::Char(c @ '1'..='7') => Action::Jump(c as usize - '1' as usize),
        KeyCode::Char('n') => Action::Note,
        KeyCode::Char('c') => Action::Copy,
        KeyCode::Char('r') => Action::Refresh,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('s') => Action::Start,
        KeyCode::Char('d') => Action::Done,
        KeyCode::Char('k') | KeyCode::Up => Action::Up,
        KeyCode::Char('j') | KeyCode::Down => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown | KeyCode::Char(' ') if step != 2 => Action::PageDown,
        KeyCode::Char(' ') => Action::Toggle,
        KeyCode::Home | KeyCode::Char('g') => Action::Home,
        KeyCode::End | KeyCode::Char('G') => Action::End,
        KeyCode::Enter => Action::Enter,
        KeyCode::Esc => Action::Escape,
        _ => return None,
    })
}

/// Footer hints every step shares, after the step's own.
pub const GLOBAL_HINTS: &[(&str, &str)] = &[
    ("Tab", "step"),
    ("n", "note"),
    ("d", "done"),
    ("c", "copy status"),
    ("?", "help"),
    ("q", "quit"),
];

/// The footer hints of step `step`'s local keys.
pub fn local_hints(step: usize) -> Vec<(String, &'static str)> {
    LOCAL
        .iter()
        .filter(|(s, ..)| *s == step)
        .map(|(_, k, _, h)| (k.to_string(), *h))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn local_keys_win_on_their_step_only() {
        assert_eq!(action(4, &k('s')), Some(Action::SortCpu));
        assert_eq!(action(0, &k('s')), Some(Action::Start));
        assert_eq!(action(3, &k('/')), Some(Action::Search));
        assert_eq!(action(0, &k('/')), None);
        assert_eq!(action(0, &k('7')), Some(Action::Jump(6)));
        assert_eq!(action(2, &k(' ')), Some(Action::Toggle));
    }
}
