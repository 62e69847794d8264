//! Every key binding, in one table ([`BINDINGS`]): the DESIGN.md contract (`Tab`, `1`–`7`,
//! `n`, `c`, `r`, `?`, `q`) plus htop/less-like movement. [`action`] reads it to say what
//! a key means on a step, the help overlay lists its rows and the footer shows its hints,
//! so a key cannot work without being documented, nor be advertised where it does nothing.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use triage_core::incident::Step;

/// What a key does. Steps get it from the app with the key; the app carries out the
/// global ones a step leaves alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    NextStep,
    PrevStep,
    Jump(Step),
    Note,
    /// Copy the status message and journal it as reported.
    Copy,
    Refresh,
    Help,
    /// Quit; the incident stays open.
    Quit,
    Start,
    /// Mark the current step done (again: undone).
    Done,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    /// Filter the lines (Logs).
    Search,
    /// Follow new lines (Logs).
    Follow,
    SortCpu,
    SortMem,
    SortPid,
    /// Run or confirm the selected item.
    Enter,
    /// Cycle the selected answer (Scope).
    Toggle,
    /// Close a popup, cancel input, clear a filter, hide evidence.
    Escape,
    /// Show the selected finding's evidence (Detect).
    Expand,
    /// Hide it again.
    Collapse,
    /// Write the postmortem to a file.
    Write,
}

/// A key as the table matches it. A letter with Ctrl is another key than without; other
/// modifiers (Shift on `F`/`G`, Alt) are ignored, as terminals report them unevenly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    code: KeyCode,
    ctrl: bool,
}

const fn ch(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: false,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

const fn code(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

impl Key {
    fn matches(&self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char(_) => self.code == key.code && self.ctrl == ctrl,
            _ => self.code == key.code,
        }
    }
}

/// The steps a binding or hint applies to.
#[derive(Debug, Clone, Copy)]
pub enum On {
    All,
    Only(&'static [Step]),
    Except(&'static [Step]),
}

impl On {
    fn includes(self, step: Step) -> bool {
        match self {
            On::All => true,
            On::Only(s) => s.contains(&step),
            On::Except(s) => !s.contains(&step),
        }
    }
}

/// A footer hint of a binding: where it shows, the key as shown, what it does there.
#[derive(Debug, Clone, Copy)]
pub struct Hint {
    pub on: On,
    pub key: &'static str,
    pub text: &'static str,
}

/// One row of the table: one line of help.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// The keys and what each does.
    pub keys: &'static [(Key, Action)],
    /// The keys as help shows them.
    pub label: &'static str,
    /// Where the keys work.
    pub on: On,
    pub help: &'static str,
    /// Footer hints. Step-specific ones show first, then those [`On::All`], each group
    /// in table order.
    pub hints: &'static [Hint],
}

const fn hint(on: On, key: &'static str, text: &'static str) -> Hint {
    Hint { on, key, text }
}

use Action as A;
use Step as S;

/// Scrolling panes, where `j/k` hints "scroll".
const SCROLLING: On = On::Only(&[S::Logs, S::State, S::Postmortem]);

/// The bindings. The first row whose keys hold the key and whose steps hold the current
/// step wins: step-only rows come before the rows whose keys they shadow (`s` sorts in
/// State and starts an incident elsewhere; Space answers in Scope and pages elsewhere).
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[
            (code(KeyCode::Tab), A::NextStep),
            (code(KeyCode::BackTab), A::PrevStep),
        ],
        label: "Tab / Shift-Tab",
        on: On::All,
        help: "next / previous step",
        hints: &[hint(On::All, "Tab", "step")],
    },
    Binding {
        keys: &[
            (ch('1'), A::Jump(S::Detect)),
            (ch('2'), A::Jump(S::Report)),
            (ch('3'), A::Jump(S::Scope)),
            (ch('4'), A::Jump(S::Logs)),
            (ch('5'), A::Jump(S::State)),
            (ch('6'), A::Jump(S::Fix)),
            (ch('7'), A::Jump(S::Postmortem)),
        ],
        label: "1-7",
        on: On::All,
        help: "jump to a step",
        hints: &[],
    },
    Binding {
        keys: &[(ch('/'), A::Search), (ch('F'), A::Follow)],
        label: "/  F",
        on: On::Only(&[S::Logs]),
        help: "search, follow (Logs)",
        hints: &[
            hint(On::Only(&[S::Logs]), "/", "search"),
            hint(On::Only(&[S::Logs]), "F", "follow"),
        ],
    },
    Binding {
        keys: &[
            (ch('s'), A::SortCpu),
            (ch('m'), A::SortMem),
            (ch('p'), A::SortPid),
        ],
        label: "s m p",
        on: On::Only(&[S::State]),
        help: "sort by CPU, memory, pid (State)",
        hints: &[
            hint(On::Only(&[S::State]), "s", "sort CPU"),
            hint(On::Only(&[S::State]), "m", "sort mem"),
            hint(On::Only(&[S::State]), "p", "sort pid"),
        ],
    },
    Binding {
        keys: &[(ch('w'), A::Write)],
        label: "w",
        on: On::Only(&[S::Postmortem]),
        help: "write the postmortem to a file (Postmortem)",
        hints: &[hint(On::Only(&[S::Postmortem]), "w", "write file")],
    },
    Binding {
        keys: &[
            (ch('k'), A::Up),
            (code(KeyCode::Up), A::Up),
            (ch('j'), A::Down),
            (code(KeyCode::Down), A::Down),
        ],
        label: "j/k ↑/↓",
        on: On::All,
        help: "scroll, select",
        hints: &[
            hint(SCROLLING, "j/k", "scroll"),
            hint(On::Only(&[S::Detect]), "↑/↓", "finding"),
            hint(On::Only(&[S::Scope]), "↑/↓", "question"),
            hint(On::Only(&[S::Fix]), "↑/↓", "select"),
        ],
    },
    Binding {
        keys: &[
            (code(KeyCode::Right), A::Expand),
            (code(KeyCode::Left), A::Collapse),
        ],
        label: "→ / ←",
        on: On::Only(&[S::Detect]),
        help: "show / hide a finding's evidence (Detect)",
        hints: &[hint(On::Only(&[S::Detect]), "→", "evidence")],
    },
    Binding {
        keys: &[(ch(' '), A::Toggle)],
        label: "Space",
        on: On::Only(&[S::Scope]),
        help: "tick an answer: ? → yes → no (Scope)",
        hints: &[hint(On::Only(&[S::Scope]), "Space", "answer")],
    },
    Binding {
        keys: &[
            (code(KeyCode::PageUp), A::PageUp),
            (ctrl('b'), A::PageUp),
            (code(KeyCode::PageDown), A::PageDown),
            (ctrl('f'), A::PageDown),
            (ch(' '), A::PageDown),
        ],
        label: "PgUp/PgDn Ctrl-B/F Space",
        on: On::Except(&[S::Scope]),
        help: "page up / down",
        hints: &[],
    },
    Binding {
        keys: &[
            (code(KeyCode::Home), A::Home),
            (ch('g'), A::Home),
            (code(KeyCode::End), A::End),
            (ch('G'), A::End),
        ],
        label: "g/G Home/End",
        on: On::All,
        help: "to the top / bottom",
        hints: &[],
    },
    Binding {
        keys: &[(code(KeyCode::Enter), A::Enter)],
        label: "Enter",
        on: On::All,
        help: "run a check (Fix), tick (Scope), show evidence (Detect)",
        hints: &[hint(On::Only(&[S::Fix]), "Enter", "run")],
    },
    Binding {
        keys: &[(ch('n'), A::Note)],
        label: "n",
        on: On::All,
        help: "write a note (Enter saves it to the journal)",
        hints: &[hint(On::All, "n", "note")],
    },
    Binding {
        keys: &[(ch('d'), A::Done)],
        label: "d",
        on: On::All,
        help: "mark the step done (again: not done)",
        hints: &[hint(On::All, "d", "done")],
    },
    Binding {
        keys: &[(ch('c'), A::Copy)],
        label: "c",
        on: On::All,
        help: "copy the status message (OSC 52), record it as reported",
        hints: &[
            hint(On::Only(&[S::Report]), "c", "copy + mark reported"),
            hint(On::All, "c", "copy status"),
        ],
    },
    Binding {
        keys: &[(ch('s'), A::Start)],
        label: "s",
        on: On::All,
        help: "start an incident, title to edit (State: sort by CPU)",
        hints: &[],
    },
    Binding {
        keys: &[(ch('r'), A::Refresh), (ctrl('l'), A::Refresh)],
        label: "r / Ctrl-L",
        on: On::All,
        help: "refresh now",
        hints: &[],
    },
    Binding {
        keys: &[(code(KeyCode::Esc), A::Escape)],
        label: "Esc",
        on: On::All,
        help: "close, cancel, clear the Logs filter, hide evidence",
        hints: &[],
    },
    Binding {
        keys: &[(ch('?'), A::Help)],
        label: "?",
        on: On::All,
        help: "this help",
        hints: &[hint(On::All, "?", "help")],
    },
    Binding {
        keys: &[(ch('q'), A::Quit), (ctrl('c'), A::Quit)],
        label: "q / Ctrl-C",
        on: On::All,
        help: "quit (the incident stays open)",
        hints: &[hint(On::All, "q", "quit")],
    },
];

/// What `key` means on `step`.
pub fn action(step: Step, key: &KeyEvent) -> Option<Action> {
    BINDINGS
        .iter()
        .filter(|b| b.on.includes(step))
        .flat_map(|b| b.keys)
        .find(|(k, _)| k.matches(key))
        .map(|(_, a)| *a)
}

/// The help overlay: keys, what they do; one line per binding.
pub fn help() -> impl Iterator<Item = (&'static str, &'static str)> {
    BINDINGS.iter().map(|b| (b.label, b.help))
}

/// The footer hints of `step`: its own first, then those of every step.
pub fn hints(step: Step) -> Vec<(&'static str, &'static str)> {
    let all = || BINDINGS.iter().flat_map(|b| b.hints);
    let own = all().filter(|h| !matches!(h.on, On::All) && h.on.includes(step));
    let shared = all().filter(|h| matches!(h.on, On::All));
    own.chain(shared).map(|h| (h.key, h.text)).collect()
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
