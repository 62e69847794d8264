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
mod pem;
mod scan;
mod shapes;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::ops::Range;

pub use pem::PemBlocks;

/// The mask that replaces a secret.
pub(crate) const MASK: &str = "***";

/// Mask secrets in `text`. Returns the input unchanged (borrowed) when there is nothing
/// to mask.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut spans = Vec::new();
    find(text, &mut spans);
    apply(text, spans)
}

/// Push the ranges of every secret in `text` onto `spans`: one cheap pass says which
/// finders can match ([`scan::Hints`]), only those run.
fn find(text: &str, spans: &mut Vec<Range<usize>>) {
    find_with(text, &scan::Hints::of(text), spans);
}

fn find_with(text: &str, hints: &scan::Hints, spans: &mut Vec<Range<usize>>) {
    shapes::find(text, hints, spans);
    if hints.pairs {
        pairs::find(text, spans);
    }
    if hints.args {
        args::find(text, spans);
    }
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
///
/// The lines are a window of a log (a tail): when it starts inside a PEM block whose
/// BEGIN line was cut off, the body lines before the END marker are masked too.
pub fn redact_lines<'a>(enabled: bool, lines: impl IntoIterator<Item = &'a mut String>) {
    if enabled {
        let mut lines: Vec<&mut String> = lines.into_iter().collect();
        if let Some((body, end)) = pem::cut_body(&lines) {
            for l in lines.iter_mut().take(body) {
                let len = l.len();
                PemBlocks::mask(l, len);
            }
            PemBlocks::mask(lines[body], end);
        }
        let mut r = LineRedactor::default();
        lines.into_iter().for_each(|l| r.in_place(l));
    }
}

/// Redacts a log line by line, carrying one thing from line to line: being inside a PEM
/// block (`-----BEGIN … PRIVATE KEY-----` on one line, its body on the next ones).
#[derive(Debug, Default, Clone)]
pub struct LineRedactor {
    pem: PemBlocks,
}

impl LineRedactor {
    /// Mask secrets in the next line.
    pub fn line<'a>(&mut self, line: &'a str) -> Cow<'a, str> {
        let mut spans = Vec::new();
        if let Some(end) = self.pem.next(line) {
            pem::words(&line[..end], &mut spans);
        }
        find(line, &mut spans);
        apply(line, spans)
    }

    /// Mask secrets in the next line, in place.
    pub fn in_place(&mut self, s: &mut String) {
        if let Cow::Owned(new) = self.line(s) {
            *s = new;
        }
    }
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
