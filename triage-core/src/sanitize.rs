//! Output sanitising: what reaches a terminal or a ticket can not act as a control
//! sequence or forge Markdown.
//!
//! Process names, command lines, log lines, notes and hostnames are written by whoever
//! runs on (or attacks) the host. Printed raw, an `ESC ] 52` sequence writes the
//! responder's clipboard, `ESC [ 2 J` clears the screen and `ESC ] 8` plants links;
//! pasted raw into a ticket, `"z\n\n# OK\n<!--"` forges a heading and hides the rest.
//!
//! Two layers, both applied at output time (the snapshot JSON keeps the exact bytes):
//! - [`terminal`] / [`SanitizingWriter`]: C0 and C1 control characters (except tab and
//!   newline), DEL, bidi overrides and invalid UTF-8 become visible `\xNN` / `\u{NNNN}`
//!   text. Every text format goes through it on its way to stdout or `-o`.
//! - `md_*`: escape an untrusted string for its Markdown context (table cell, inline text
//!   of a list item or heading, code span), so it renders as the literal text.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// True for characters that must not reach a terminal raw: C0 controls except tab and
/// newline, DEL, C1 controls, and the bidi overrides/isolates that reorder what is shown
/// (the "Trojan Source" characters).
fn is_unsafe(c: char, keep_newline: bool) -> bool {
    match c {
        '\t' => false,
        '\n' => !keep_newline,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' => true,
        _ => false,
    }
}

fn push_escaped(out: &mut String, c: char) {
    let v = c as u32;
    if v <= 0xff {
        let _ = write!(out, "\\x{v:02x}");
    } else {
        let _ = write!(out, "\\u{{{v:04x}}}");
    }
}

fn escape_with(text: &str, keep_newline: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c, keep_newline)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c, keep_newline) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` made safe for a terminal: controls become `\xNN`; tab and newline stay.
pub fn terminal(text: &str) -> Cow<'_, str> {
    escape_with(text, true)
}

/// `text` as one terminal line: like [`terminal`], and a newline becomes `\x0a` too (a
/// field that must not start a line of its own, such as a process name).
pub fn terminal_line(text: &str) -> Cow<'_, str> {
    escape_with(text, false)
}

/// Sanitise raw bytes for a terminal: invalid UTF-8 becomes `\xNN` per byte, then as
/// [`terminal`].
pub(crate) fn terminal_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(&terminal(s));
                return out;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                // The prefix is valid UTF-8 by construction.
                out.push_str(&terminal(std::str::from_utf8(good).unwrap_or_default()));
                let n = e.error_len().unwrap_or(bad.len());
                for b in &bad[..n] {
                    let _ = write!(out, "\\x{b:02x}");
                }
                rest = &bad[n..];
            }
        }
    }
}

/// A rendered output buffer made safe for a terminal, whatever its format: JSON (as
/// written by `serde_json`, which escapes C0 itself) keeps its exact data, with C1, DEL and
/// bidi characters written as `\u00NN` escapes (valid JSON, same string); anything else is
/// text and goes through [`terminal_bytes`]. Used by the binary on every stdout / `-o`
/// output, so a renderer that forgets a field still cannot emit a control sequence.
pub fn for_output(buf: &[u8]) -> Cow<'_, [u8]> {
    let looks_json = matches!(
        buf.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    ) && serde_json::from_slice::<serde::de::IgnoredAny>(buf).is_ok();
    if looks_json {
        // Valid JSON is valid UTF-8.
        let text = std::str::from_utf8(buf).unwrap_or_default();
        if !text.chars().any(|c| is_unsafe(c, true) && c != '\r') {
            return Cow::Borrowed(buf);
        }
        let mut out = String::with_capacity(text.len() + 16);
        for c in text.chars() {
            if is_unsafe(c, true) && c != '\r' {
                let _ = write!(out, "\\u{:04x}", c as u32);
            } else {
                out.push(c);
            }
        }
        return Cow::Owned(out.into_bytes());
    }
    match std::str::from_utf8(buf) {
        Ok(s) => match terminal(s) {
            Cow::Borrowed(_) => Cow::Borrowed(buf),
            Cow::Owned(o) => Cow::Owned(o.into_bytes()),
        },
        Err(_) => Cow::Owned(terminal_bytes(buf).into_bytes()),
    }
}

/// An [`io::Write`] that passes text through [`terminal_bytes`]: wrap stdout (or the `-o`
/// buffer) once and no field can slip past. A UTF-8 sequence split across two writes is
/// held back until complete, so it is not mistaken for invalid bytes; call
/// [`SanitizingWriter::into_inner`] at the end so a dangling one is written (escaped).
pub struct SanitizingWriter<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> SanitizingWriter<W> {
    /// Wrap `inner`.
    pub fn new(inner: W) -> Self {
        SanitizingWriter {
            inner,
            pending: Vec::new(),
        }
    }

    /// Flush what is held back (an incomplete sequence is escaped) and return the writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.finish()?;
        Ok(self.inner)
    }

    fn finish(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let s = terminal_bytes(&self.pending);
            self.pending.clear();
            self.inner.write_all(s.as_bytes())?;
        }
        Ok(())
    }
}

impl<W: Write> Write for SanitizingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        // Keep back an incomplete UTF-8 sequence at the end (at most 3 bytes).
        let keep = match std::str::from_utf8(&self.pending) {
            Ok(_) => 0,
            Err(e) if e.error_len().is_none() => self.pending.len() - e.valid_up_to(),
            Err(_) => {
                // An invalid byte somewhere; only an incomplete tail is held back.
                let tail_start = self.pending.len().saturating_sub(3);
                (tail_start..self.pending.len())
                    .find(|&i| {
                        std::str::from_utf8(&self.pending[i..])
                            .err()
                            .is_some_and(|e| e.valid_up_to() == 0 && e.error_len().is_none())
                    })
                    .map_or(0, |i| self.pending.len() - i)
            }
        };
        let cut = self.pending.len() - keep;
        let s = terminal_bytes(&self.pending[..cut]);
        self.pending.drain(..cut);
        self.inner.write_all(s.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Characters escaped wherever they are: code spans, raw HTML (`<img>`, `<!--`), table
/// cells, and the backslash itself (so an escape in the text cannot undo ours). Links and
/// images need `](` or `][`, so only that `]` is escaped (`[kthreadd]` stays readable).
/// Emphasis characters (`*`, `_`, `~`) are left alone mid-line: they can restyle text but
/// not hide, link or forge structure, and escaping them would make the mask `***` and
/// names like `oom_kill` unreadable in the raw text.
const MD_SPECIAL: &[char] = &['\\', '`', '<', '|'];

/// Characters that start a block (heading, quote, list, thematic break, setext underline,
/// fence, link reference definition) when first on a line.
const MD_LINE_START: &[char] = &['#', '>', '-', '+', '=', '*', '_', '~', '['];

/// Escape `text` for inline Markdown, with `newline` put where a newline was. Block
/// markers are escaped only where a line of the text starts a line of the output (after a
/// `newline` that is a line break).
fn md_escape(text: &str, newline: &str) -> String {
    let text = terminal(text);
    let breaks = newline.contains('\n');
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str(newline);
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        if i == 0 || !breaks {
            out.push_str(&md_punct(line));
            continue;
        }
        let trimmed = line.trim_start();
        out.push_str(&line[..line.len() - trimmed.len()]);
        let digits = trimmed.len()
            - trimmed
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        if trimmed.starts_with(MD_LINE_START) {
            out.push('\\');
        } else if digits > 0 && matches!(trimmed.as_bytes().get(digits), Some(b'.' | b')')) {
            out.push_str(&trimmed[..digits]);
            out.push('\\');
            out.push_str(&md_punct(&trimmed[digits..]));
            continue;
        }
        out.push_str(&md_punct(trimmed));
    }
    out
}

fn md_punct(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let escape = MD_SPECIAL.contains(&c)
            || (c == ']' && matches!(next, Some('(' | '[')))
            || (c == '&' && next.is_some_and(|n| n.is_ascii_alphanumeric() || n == '#'));
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `text` as one Markdown table cell: literal, one line, `|` escaped.
pub(crate) fn md_cell(text: &str) -> String {
    md_escape(text, " ")
}

/// `text` as inline text on one line (a heading, a title after `**SEVERITY**`).
pub(crate) fn md_inline(text: &str) -> String {
    md_escape(text, " ")
}

/// `text` as the body of a list item whose continuation lines are indented by `indent`
/// spaces: a note with newlines stays inside its item, and no line of it can start a
/// heading, a list, a quote or an HTML block.
pub(crate) fn md_list_item(text: &str, indent: usize) -> String {
    let newline = format!("\n{}", " ".repeat(indent));
    md_escape(text, &newline)
}

/// `text` as a code span: fenced with one backtick more than its longest backtick run,
/// on one line. Inside a code span nothing is interpreted, so only the fence matters.
pub(crate) fn md_code(text: &str) -> String {
    let text = terminal_line(&text.replace(['\n', '\r'], " ")).into_owned();
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// `text` as one line inside a fenced code block: no control bytes and no line that could
/// close the fence.
pub(crate) fn md_fenced_line(text: &str) -> String {
    terminal_line(text)
        .replace("```", "` ` `")
        .replace("~~~", "~ ~ ~")
}

#[cfg(test)]
#[path = "sanitize_tests.rs"]
mod tests;
