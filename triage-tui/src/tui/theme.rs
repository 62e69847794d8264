//! Colours and emphasis. Only foreground colours that read on both dark and light
//! backgrounds (red, green, magenta, cyan, blue; no yellow or white text), selection by
//! reversing, and no colour at all when `NO_COLOR` is set (<https://no-color.org>):
//! bold/reverse/underline still mark what matters.

use ratatui::style::{Color, Modifier, Style};
use triage_core::snapshot::Severity;

/// The styles every pane uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    color: bool,
}

impl Theme {
    /// Colours unless `NO_COLOR` is set to a non-empty value.
    pub fn from_env() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    /// A theme with or without colours (tests).
    #[cfg(test)]
    pub fn new(color: bool) -> Self {
        Theme { color }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn text(&self) -> Style {
        Style::new()
    }

    /// Secondary text (times, sources, hints).
    pub fn dim(&self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }

    /// Headings and the current step.
    pub fn heading(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// Keys in hints.
    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// Something is fine / done.
    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    /// Needs action now.
    pub fn critical(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// Needs a look.
    pub fn warning(&self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }

    /// Worth knowing.
    pub fn info(&self) -> Style {
        self.fg(Color::Blue)
    }

    /// The style of a finding of `severity`.
    pub fn severity(&self, severity: Severity) -> Style {
        match severity {
            Severity::Critical => self.critical(),
            Severity::Warning => self.warning(),
            Severity::Info => self.info(),
        }
    }

    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// A gauge at `ratio` (0..1): ok, warning past 0.8, critical past 0.95.
    pub fn level(&self, ratio: f64) -> Style {
        if ratio >= 0.95 {
            self.critical()
        } else if ratio >= 0.8 {
            self.warning()
        } else {
            self.ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_keeps_emphasis_only() {
        let t = Theme::new(false);
        assert_eq!(t.critical().fg, None);
        assert!(t.critical().add_modifier.contains(Modifier::BOLD));
        assert_eq!(Theme::new(true).critical().fg, Some(Color::Red));
    }
}
