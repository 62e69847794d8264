//! Small pieces the steps share: a one-line text input, a scroll position, text gauges
//! and human-readable sizes and durations.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// What a key did to a [`LineInput`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputResult {
    Editing,
    /// Enter: the text.
    Submit(String),
    /// Esc.
    Cancel,
}

/// A one-line editor with a cursor: characters, ←/→, Home/End (Ctrl-A/Ctrl-E), Backspace,
/// Delete, Ctrl-U (delete to the start), Ctrl-K (to the end), Ctrl-W (the word before the
/// cursor), Enter, Esc.
#[derive(Debug, Clone, Default)]
pub struct LineInput {
    /// The text so far.
    pub text: String,
    /// The cursor, in characters from the start (at most the text's length).
    cursor: usize,
}

impl LineInput {
    /// An editor holding `text`, the cursor at its end.
    pub fn with(text: &str) -> LineInput {
        LineInput {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    /// Byte offset of character `i`.
    fn byte(&self, i: usize) -> usize {
        self.text
            .char_indices()
            .nth(i)
            .map_or(self.text.len(), |(b, _)| b)
    }

    /// Feed one key.
    pub fn key(&mut self, key: &KeyEvent) -> InputResult {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let len = self.text.chars().count();
        self.cursor = self.cursor.min(len);
        let at = self.byte(self.cursor);
        match key.code {
            KeyCode::Enter => {
                self.cursor = 0;
                return InputResult::Submit(std::mem::take(&mut self.text));
            }
            KeyCode::Esc => return InputResult::Cancel,
            KeyCode::Char('c') if ctrl => return InputResult::Cancel,
            KeyCode::Char('u') if ctrl => {
                self.text.replace_range(..at, "");
                self.cursor = 0;
            }
            KeyCode::Char('k') if ctrl => self.text.truncate(at),
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = len,
            KeyCode::Char('w') if ctrl => {
                let before = &self.text[..at];
                let trimmed = before.trim_end().len();
                let cut = before[..trimmed].rfind(' ').map_or(0, |i| i + 1);
                self.cursor -= before[cut..].chars().count();
                self.text.replace_range(cut..at, "");
            }
            KeyCode::Char(c) if !ctrl => {
                self.text.insert(at, c);
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let b = self.byte(self.cursor);
                self.text.replace_range(b..at, "");
            }
            KeyCode::Delete if self.cursor < len => {
                let next = self.byte(self.cursor + 1);
                self.text.replace_range(at..next, "");
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(len),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = len,
            _ => {}
        }
        InputResult::Editing
    }

    /// The input as a line: `prompt` then the text with the cursor as a reversed cell.
    pub fn line<'a>(&'a self, prompt: &'a str, style: Style) -> Line<'a> {
        self.line_in(prompt, style, usize::MAX)
    }

    /// [`LineInput::line`] within `width` characters: a text too long to fit is shown
    /// from far enough right that the cursor is visible.
    pub fn line_in<'a>(&'a self, prompt: &'a str, style: Style, width: usize) -> Line<'a> {
        let chars: Vec<char> = self.text.chars().collect();
        let cursor = self.cursor.min(chars.len());
        let room = width.saturating_sub(prompt.chars().count() + 1).max(1);
        let from = (cursor + 1).saturating_sub(room);
        let before: String = chars[from..cursor].iter().collect();
        let after: String = chars.iter().skip(cursor + 1).take(room).collect();
        // At the end, a block; on a character, that character reversed.
        let under = match chars.get(cursor) {
            Some(c) => Span::styled(c.to_string(), Style::new().add_modifier(Modifier::REVERSED)),
            None => Span::raw("█"),
        };
        Line::from(vec![
            Span::styled(prompt, style),
            Span::raw(before),
            under,
            Span::raw(after),
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

    fn keys(i: &mut LineInput, codes: &[KeyCode]) {
        for c in codes {
            i.key(&KeyEvent::new(*c, KeyModifiers::NONE));
        }
    }

    #[test]
    fn line_input_edits_at_the_cursor() {
        let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
        let mut i = LineInput::with("OOM kill of java");
        keys(&mut i, &[KeyCode::Left; 5]);
        keys(&mut i, &[KeyCode::Backspace, KeyCode::Char('n')]);
        assert_eq!(i.text, "OOM kill on java");
        keys(&mut i, &[KeyCode::Home, KeyCode::Delete]);
        assert_eq!(i.text, "OM kill on java");
        i.key(&ctrl('e'));
        keys(&mut i, &[KeyCode::Left, KeyCode::Right, KeyCode::Char('!')]);
        assert_eq!(i.text, "OM kill on java!");
        keys(&mut i, &[KeyCode::Left; 5]);
        i.key(&ctrl('w'));
        assert_eq!(i.text, "OM kill java!");
        i.key(&ctrl('u'));
        assert_eq!(i.text, "java!");
        keys(&mut i, &[KeyCode::Right, KeyCode::Right]);
        i.key(&ctrl('k'));
        assert_eq!(i.text, "ja");
        // Multi-byte characters are edited whole.
        let mut j = LineInput::with("障碍 on web");
        keys(&mut j, &[KeyCode::Home, KeyCode::Right, KeyCode::Delete]);
        assert_eq!(j.text, "障 on web");
        let shown: String = j
            .line_in("> ", Style::new(), 6)
            .spans
            .iter()
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(shown, "> 障 on ");
        assert_eq!(
            i.key(&KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            InputResult::Submit("ja".into())
        );
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
