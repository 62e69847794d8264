//! Small pieces the steps share: a one-line text input, a scroll position, text gauges
//! and human-readable sizes and durations.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// What a key did to a [`LineInput`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputResult {
    /// Still editing.
    Editing,
    /// Enter: the text.
    Submit(String),
    /// Esc.
    Cancel,
}

/// A one-line editor: characters, Backspace, Ctrl-U (clear), Ctrl-W (word), Enter, Esc.
#[derive(Debug, Clone, Default)]
pub struct LineInput {
    /// The text so far.
    pub text: String,
}

impl LineInput {
    /// Feed one key.
    pub fn key(&mut self, key: &KeyEvent) -> InputResult {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Enter => return InputResult::Submit(std::mem::take(&mut self.text)),
            KeyCode::Esc => return InputResult::Cancel,
            KeyCode::Char('c') if ctrl => return InputResult::Cancel,
            KeyCode::Char('u') if ctrl => self.text.clear(),
            KeyCode::Char('w') if ctrl => {
                let trimmed = self.text.trim_end().len();
                let cut = self.text[..trimmed].rfind(' ').map_or(0, |i| i + 1);
                self.text.truncate(cut);
            }
            KeyCode::Char(c) if !ctrl => self.text.push(c),
            KeyCode::Backspace => {
                self.text.pop();
            }
            _ => {}
        }
        InputResult::Editing
    }

    /// The input as a line: `prompt` then the text and a cursor block.
    pub fn line<'a>(&'a self, prompt: &'a str, style: Style) -> Line<'a> {
        Line::from(vec![
            Span::styled(prompt, style),
            Span::raw(self.text.as_str()),
            Span::styled("█", Style::new()),
        ])
    }
}

/// A scroll offset over `len` lines shown `page` at a time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scroll {
    /// First line shown (or the selected line, for selection lists).
    pub pos: usize,
}

impl Scroll {
    /// Apply a movement action; returns true when it was one.
    pub fn apply(&mut self, action: super::keys::Action, len: usize, page: usize) -> bool {
        use super::keys::Action as A;
        let max = len.saturating_sub(1);
        self.pos = match action {
            A::Up => self.pos.saturating_sub(1),
            A::Down => (self.pos + 1).min(max),
            A::PageUp => self.pos.saturating_sub(page.max(1)),
            A::PageDown => (self.pos + page.max(1)).min(max),
            A::Home => 0,
            A::End => max,
            _ => return false,
        };
        true
    }
}

/// `[#####-----]` of `width` cells at `ratio` (clamped to 0..1).
pub fn bar(ratio: f64, width: usize) -> String {
    let r = if ratio.is_finite() {
        ratio.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let full = (r * width as f64).round() as usize;
    format!("[{}{}]", "#".repeat(full), "-".repeat(width - full))
}

pub use triage_core::fmt::{bytes, cut as clip, duration_compact as duration};

/// A placeholder line for a section that is missing.
pub fn missing(what: &str, theme: &super::theme::Theme) -> Line<'static> {
    Line::styled(format!("  ({what})"), theme.dim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(bytes(512), "512B");
        assert_eq!(bytes(1536), "1.5K");
        assert_eq!(bytes(8 * 1024 * 1024 * 1024), "8.0G");
        assert_eq!(duration(3725), "1h02m");
        assert_eq!(bar(0.5, 4), "[##--]");
        assert_eq!(bar(f64::NAN, 2), "[--]");
        assert_eq!(clip("héllo wörld", 6), "héllo…");
    }

    #[test]
    fn line_input_edits() {
        let mut i = LineInput::default();
        for c in "disk full".chars() {
            i.key(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        i.key(&KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
        let r = i.key(&KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        assert_eq!(r, InputResult::Submit("disk ful".into()));
    }
}
