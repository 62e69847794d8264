//! PEM blocks spread over log lines: `-----BEGIN … PRIVATE KEY-----` on one line, its
//! base64 body on the next ones, each line on its own a harmless-looking word.

use std::borrow::Cow;
use std::ops::Range;

/// The longest PEM body followed across lines (an 8192-bit RSA key is ~100 lines).
const PEM_MAX_LINES: usize = 200;

/// Where a source's lines are in PEM blocks. It must see every line of the source, in
/// order, shown or not (a `--grep` can match a body line whose BEGIN line it dropped).
#[derive(Debug, Default, Clone)]
pub struct PemBlocks {
    /// Lines still to treat as PEM body (0: not in a block).
    left: usize,
}

impl PemBlocks {
    /// Look at the next line. `Some(end)`: `line[..end]` is PEM body (the whole line, or
    /// up to the END marker on it). Outside a block, a line costs a `memchr` for `-`.
    pub fn next(&mut self, line: &str) -> Option<usize> {
        let b = line.as_bytes();
        let marker = memchr::memchr_iter(b'-', b).any(|i| b[i..].starts_with(b"-----"));
        if self.left > 0 {
            let end = marker.then(|| line.find("-----END ")).flatten();
            self.left = if end.is_some() { 0 } else { self.left - 1 };
            return Some(end.unwrap_or(line.len()));
        }
        if marker {
            if let Some(begin) = line.rfind("-----BEGIN ") {
                if !line[begin..].contains("-----END ") {
                    self.left = PEM_MAX_LINES;
                }
            }
        }
        None
    }

    /// Mask the body words of `line[..end]`, an `end` that [`PemBlocks::next`] gave.
    pub fn mask(line: &mut String, end: usize) {
        let mut spans = Vec::new();
        words(line.get(..end).unwrap_or(line), &mut spans);
        if let Cow::Owned(new) = super::apply(line, spans) {
            *line = new;
        }
    }
}

/// A window of lines that starts inside a PEM block (the tail of a log cut after the BEGIN
/// line): the body lines before the block's END marker, which no forward pass can know to
/// be body. Returns how many leading lines are body, and where on the next line the END
/// marker stands; `None` when the window does not start inside a block. Only an unbroken
/// run of lines that are each one base64 word counts, so a window that merely holds an
/// END line after ordinary log lines masks nothing of them.
pub(super) fn cut_body<S: AsRef<str>>(lines: &[S]) -> Option<(usize, usize)> {
    for (i, line) in lines.iter().take(PEM_MAX_LINES + 1).enumerate() {
        let line = line.as_ref();
        if let Some(end) = line.find("-----END ") {
            let before = &line[..end];
            let clean = before.trim().is_empty() || is_body_word(before.trim());
            return (!line.contains("-----BEGIN ")
                && clean
                && (i > 0 || !before.trim().is_empty()))
            .then_some((i, end));
        }
        if !is_body_word(line.trim()) {
            return None;
        }
    }
    None
}

/// One word of base64 (a PEM body line): 4 or more of `[A-Za-z0-9+/=]`, not a number.
fn is_body_word(w: &str) -> bool {
    w.len() >= 4
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        && !w.bytes().all(|b| b.is_ascii_digit())
}

/// Words of a PEM body line: base64 runs of 4 or more characters that are not a plain
/// number (a log prefix's time and host stay). Base64 is ASCII, so every range starts and
/// ends on a character boundary.
pub(super) fn words(body: &str, out: &mut Vec<Range<usize>>) {
    let bytes = body.as_bytes();
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && is_b64(bytes[i]) {
            i += 1;
        }
        let word = &bytes[start..i];
        if word.len() >= 4 && !word.iter().all(u8::is_ascii_digit) {
            out.push(start..i);
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_cut_inside_a_block_knows_its_first_lines_are_body() {
        let cut = [
            "c3NoLXJzYQAAAAMBAAE+/=",
            "abcd==",
            "-----END RSA PRIVATE KEY-----",
            "x",
        ];
        assert_eq!(cut_body(&cut), Some((2, 0)));
        assert_eq!(
            cut_body(&["tail9Zz==-----END RSA PRIVATE KEY-----"]),
            Some((0, 9))
        );
        // Ordinary lines before an END marker, a whole block, no marker: nothing.
        assert_eq!(
            cut_body(&["sshd started", "-----END CERTIFICATE-----"]),
            None
        );
        assert_eq!(
            cut_body(&["-----BEGIN X-----", "abcd", "-----END X-----"]),
            None
        );
        assert_eq!(cut_body(&["-----END X-----"]), None);
        assert_eq!(cut_body(&["abcd", "efgh"]), None);
        assert_eq!(cut_body(&["1234", "-----END X-----"]), None);
    }

    #[test]
    fn follows_a_block_across_lines() {
        let lines = [
            "key follows",
            "-----BEGIN RSA PRIVATE KEY-----",
            "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn",
            "abcd==",
            "-----END RSA PRIVATE KEY----- done",
            "after",
        ];
        let mut p = PemBlocks::default();
        let got: Vec<_> = lines.iter().map(|l| p.next(l)).collect();
        assert_eq!(got, [None, None, Some(31), Some(6), Some(0), None]);
        let mut body = lines[3].to_string();
        PemBlocks::mask(&mut body, 6);
        assert_eq!(body, "***");
        // BEGIN and END on one line: no block follows
        assert_eq!(p.next("-----BEGIN X----- y -----END X-----"), None);
        assert_eq!(p.next("next"), None);
    }
}
