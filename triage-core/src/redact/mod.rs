//! Secret masking, on by default in every output (`--no-redact` turns it off).
//!
//! Three finders mark byte ranges, then every range becomes `***` once:
//! - [`shapes`]: secrets recognisable by their shape wherever they stand (vendor tokens
//!   from the gitleaks rule set, JWTs, Slack webhook paths, `scheme://user:X@`,
//!   `Authorization`/`Cookie`/`X-Api-Key` headers, `Bearer X`, PEM bodies, long random
//!   base64 blobs);
//! - [`pairs`]: `NAME=value`, `name: value`, `"name": "value"`, `--password=x`,
//!   `-token=x` where the name holds a secret, judged on whole name parts ([`names`]);
//! - [`args`]: `--token X`, `-password X` and tools whose own flags carry passwords.
//!
//! Free text such as `Failed password for root from 10.0.0.1` is left alone, and so are
//! settings about secrets (`--with-auth=pam`, `--password-file=PATH`, `--cache-key=v2`).
//! A log read line by line goes through [`LineRedactor`], which also masks the body
//! lines of a PEM block whose markers are on other lines.

mod args;
mod names;
mod pairs;
mod shapes;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// The mask that replaces a secret.
pub(crate) const MASK: &str = "***";

/// Words without which neither a secret name nor a password flag can be in a line: a
/// cheap first look that keeps clean lines fast.
static NAMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)pass|pwd|pw\b|secret|token|key|cred|auth|cookie|sig|session|dsn|bearer",
        r"|mysql|mariadb|mongo|redis|curl|docker|podman|nerdctl|buildah|skopeo|helm",
        r"|htpasswd|openssl|smb|rpcclient|ldap|influx|ipmitool|wget",
    ))
    .expect("static regex")
});

/// Mask secrets in `text`. Returns the input unchanged (borrowed) when there is nothing
/// to mask.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut spans = Vec::new();
    let named = NAMED.is_match(text);
    shapes::find(text, named, &mut spans);
    if named {
        pairs::find(text, &mut spans);
        args::find(text, &mut spans);
    }
    apply(text, spans)
}

/// Mask secrets in `text` when `enabled`, else return it unchanged.
pub fn redact_if(enabled: bool, text: &str) -> Cow<'_, str> {
    if enabled {
        redact(text)
    } else {
        Cow::Borrowed(text)
    }
}

/// Mask `s` in place when `enabled`.
pub fn redact_in_place(enabled: bool, s: &mut String) {
    if enabled {
        if let Cow::Owned(new) = redact(s) {
            *s = new;
        }
    }
}

/// Mask secrets in consecutive lines of one log, PEM bodies spanning lines included.
pub fn redact_lines<'a>(enabled: bool, lines: impl IntoIterator<Item = &'a mut String>) {
    if enabled {
        let mut r = LineRedactor::default();
        lines.into_iter().for_each(|l| r.in_place(l));
    }
}

/// The longest PEM body followed across lines (an 8192-bit RSA key is ~100 lines).
const PEM_MAX_LINES: usize = 200;

/// Redacts a log line by line, carrying one thing from line to line: being inside a PEM
/// block (`-----BEGIN … PRIVATE KEY-----` on one line, its body on the next ones).
#[derive(Debug, Default, Clone)]
pub struct LineRedactor {
    /// Lines still to treat as PEM body (0: not in a block).
    pem_left: usize,
}

impl LineRedactor {
    /// Mask secrets in the next line.
    pub fn line<'a>(&mut self, line: &'a str) -> Cow<'a, str> {
        let mut spans = Vec::new();
        if self.pem_left > 0 {
            let end = line.find("-----END ");
            let body = &line[..end.unwrap_or(line.len())];
            spans.extend(pem_words(body));
            self.pem_left = if end.is_some() { 0 } else { self.pem_left - 1 };
        } else if let Some(begin) = line.rfind("-----BEGIN ") {
            if !line[begin..].contains("-----END ") {
                self.pem_left = PEM_MAX_LINES;
            }
        }
        let named = NAMED.is_match(line);
        shapes::find(line, named, &mut spans);
        if named {
            pairs::find(line, &mut spans);
            args::find(line, &mut spans);
        }
        apply(line, spans)
    }

    /// Mask secrets in the next line, in place.
    pub fn in_place(&mut self, s: &mut String) {
        if let Cow::Owned(new) = self.line(s) {
            *s = new;
        }
    }
}

/// Words of a PEM body line: base64 runs of 4 or more characters that are not a plain
/// number (a log prefix's time and host stay). Base64 is ASCII, so every range starts and
/// ends on a character boundary.
fn pem_words(body: &str) -> Vec<Range<usize>> {
    let bytes = body.as_bytes();
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
    let mut words = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && is_b64(bytes[i]) {
            i += 1;
        }
        let word = &bytes[start..i];
        if word.len() >= 4 && !word.iter().all(u8::is_ascii_digit) {
            words.push(start..i);
        }
        i += 1;
    }
    words
}

/// Replace every range of `spans` (merged where they overlap) with [`MASK`].
fn apply(text: &str, mut spans: Vec<Range<usize>>) -> Cow<'_, str> {
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    spans.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in spans {
        if r.end <= at {
            continue;
        }
        let start = r.start.max(at);
        out.push_str(&text[at..start]);
        if !out.ends_with(MASK) || start != at {
            out.push_str(MASK);
        }
        at = r.end;
    }
    out.push_str(&text[at..]);
    if out == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out)
    }
}
