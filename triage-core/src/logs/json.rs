//! One [`LogEntry`] as a JSON object, written by hand into a reused buffer: the same
//! fields, order and values as its `serde` form (DESIGN.md "Logs JSON"), at a fraction of
//! the cost, because `triage logs --json` writes one per line of the window.
//!
//! Why not `serde_json::to_writer`: profiling `logs --templates --json` over 500k lines
//! put 16% of the time in serialising entries, half of it formatting the same timestamp
//! again for every line of the same second. Here the last timestamp's text is kept, and
//! strings without characters to escape are copied whole.
//!
//! Strings are escaped as `serde_json` does (`\"`, `\\`, `\n`, `\t`, …, other C0 as
//! `\u00NN`), and also DEL, C1 controls and the bidi overrides as `\uNNNN`, like
//! [`crate::sanitize::for_output`] does to any JSON we print: valid JSON with the same
//! string, that cannot act on a terminal it is printed to.

use super::LogEntry;
use crate::snapshot::Time;

/// Writes entries; keeps the text of the last timestamp written.
#[derive(Debug, Default)]
pub struct EntryWriter {
    last_time: Option<(Time, String)>,
}

impl EntryWriter {
    /// Append `e` as one JSON object (no newline) to `out`.
    pub fn write(&mut self, out: &mut Vec<u8>, e: &LogEntry) {
        out.extend_from_slice(b"{\"time\":");
        match e.time {
            Some(t) => self.time(out, t),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"source\":");
        string(out, &e.source);
        out.extend_from_slice(b",\"level\":");
        opt_string(out, e.level.as_deref());
        out.extend_from_slice(b",\"message\":");
        string(out, &e.message);
        if let Some(id) = e.template_id {
            out.extend_from_slice(b",\"template_id\":");
            number(out, u64::from(id));
        }
        if let Some(p) = &e.program {
            out.extend_from_slice(b",\"program\":");
            string(out, p);
        }
        if let Some(pid) = e.pid {
            out.extend_from_slice(b",\"pid\":");
            number(out, u64::from(pid));
        }
        if let Some(h) = &e.host {
            out.extend_from_slice(b",\"host\":");
            string(out, h);
        }
        if let Some(u) = e.uptime_seconds {
            out.extend_from_slice(b",\"uptime_seconds\":");
            // Rare (dmesg records): serde_json's float format (`null` when not finite).
            if serde_json::to_writer(&mut *out, &u).is_err() {
                out.extend_from_slice(b"null");
            }
        }
        if e.kernel {
            out.extend_from_slice(b",\"kernel\":true");
        }
        out.push(b'}');
    }

    /// The time as `serde` writes it (RFC 3339), formatted once per distinct value.
    fn time(&mut self, out: &mut Vec<u8>, t: Time) {
        // `==` on times compares instants: the offset must match too for the same text.
        let same = self
            .last_time
            .as_ref()
            .is_some_and(|(last, _)| *last == t && last.offset() == t.offset());
        if !same {
            let text = serde_json::to_string(&t).unwrap_or_else(|_| "null".into());
            self.last_time = Some((t, text));
        }
        if let Some((_, text)) = &self.last_time {
            out.extend_from_slice(text.as_bytes());
        }
    }
}

fn opt_string(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

fn number(out: &mut Vec<u8>, n: u64) {
    use std::io::Write as _;
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{n}");
}

/// True for bytes that start something to escape: `"`, `\`, C0, DEL, and the lead bytes
/// of C1 controls (`C2 80`–`C2 9F`) and of the bidi characters (`E2 80 8E`…`E2 81 A9`).
const fn needs_look(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\' || b == 0x7f || b == 0xc2 || b == 0xe2
}

/// [`needs_look`] for every byte, so the scan is one load per byte.
static LOOK: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = needs_look(i as u8);
        i += 1;
    }
    t
};

/// `s` as a JSON string.
fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut done = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !LOOK[bytes[i] as usize] {
            i += 1;
            continue;
        }
        // `i` is a char boundary: every byte that starts a look is ASCII or a lead byte.
        let c = s[i..].chars().next().unwrap_or('\u{fffd}');
        let len = c.len_utf8();
        if let Some(esc) = escape(c) {
            out.extend_from_slice(&bytes[done..i]);
            out.extend_from_slice(esc.as_bytes());
            done = i + len;
        }
        i += len;
    }
    out.extend_from_slice(&bytes[done..]);
    out.push(b'"');
}

/// The escape for `c`, or `None` when it is written as is.
fn escape(c: char) -> Option<String> {
    let short = match c {
        '"' => "\\\"",
        '\\' => "\\\\",
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        '\u{8}' => "\\b",
        '\u{c}' => "\\f",
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200e}'
        | '\u{200f}' => return Some(format!("\\u{:04x}", c as u32)),
        _ => return None,
    };
    Some(short.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(message: &str) -> LogEntry {
        let mut e = LogEntry::new("/var/log/syslog", message);
        e.time = chrono::DateTime::parse_from_rfc3339("2026-11-23T10:02:03+09:00").ok();
        e.level = Some("err".into());
        e.program = Some("sshd".into());
        e.pid = Some(42);
        e.host = Some("web1".into());
        e.template_id = Some(7);
        e
    }

    fn ours(e: &LogEntry, w: &mut EntryWriter) -> String {
        let mut out = Vec::new();
        w.write(&mut out, e);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn same_as_serde_for_every_field() {
        let mut w = EntryWriter::default();
        let mut cases = vec![
            entry("plain message"),
            entry("quotes \" and \\ and\ttab\nnewline\r\u{1}\u{1f} é 日本 🙂"),
            entry(""),
            LogEntry::new("kernel", "no time"),
        ];
        let mut k = entry("kernel line");
        k.kernel = true;
        k.uptime_seconds = Some(12.5);
        k.level = None;
        cases.push(k);
        let mut utc = entry("same instant, other offset");
        utc.time = chrono::DateTime::parse_from_rfc3339("2026-11-23T01:02:03Z").ok();
        cases.push(utc);
        let mut big = entry("max");
        big.pid = Some(u32::MAX);
        big.template_id = Some(0);
        cases.push(big);
        for e in &cases {
            assert_eq!(ours(e, &mut w), serde_json::to_string(e).unwrap());
        }
    }

    #[test]
    fn terminal_controls_are_escaped_and_the_string_is_kept() {
        let mut w = EntryWriter::default();
        let msg = "a\u{7f}b\u{9b}c\u{202e}d\u{2069}e\u{200f}f \u{e9}\u{2014}";
        let text = ours(&entry(msg), &mut w);
        assert!(
            text.contains(r"a\u007fb\u009bc\u202ed\u2069e\u200ff é—"),
            "{text}"
        );
        let back: LogEntry = serde_json::from_str(&text).unwrap();
        assert_eq!(back.message, msg);
    }
}
