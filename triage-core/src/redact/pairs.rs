//! `name=value`, `name: value`, `name = value`, `name => value`, `"name": "value"` and
//! `'name': 'value'` where the name holds a secret (see [`super::names`]): environment
//! assignments, query strings, `--password=x`, Go-style `-token=x`, `-Dapp.secret=x`,
//! YAML, INI, JSON and Python dicts.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::names::is_secret_name;

static PAIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"(?:^|[\s"'{,;&?(\[:/])"#,
        // a quoted name and any separator (JSON `"k":"v"`), or a bare name and `=`, `=>`
        // or `: ` (`host:port` and `ts=10:00:00` are no pairs)
        r#"(?:(?:"(-{0,2}[A-Za-z_][\w.-]*)"|'(-{0,2}[A-Za-z_][\w.-]*)')([ \t]*(?:=>|=|:)[ \t]*)"#,
        r"|(-{0,2}[A-Za-z_][\w.-]*)([ \t]*=>?[ \t]*|[ \t]*:[ \t]+))",
        r#"(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^\s"',;&)}\]]+))"#,
    ))
    .expect("static regex")
});

/// Values that say something about a secret without being one.
const NOT_VALUES: &[&str] = &[
    "true",
    "false",
    "null",
    "none",
    "nil",
    "yes",
    "no",
    "on",
    "off",
    "0",
    "1",
    "***",
    "required",
    "optional",
    "redacted",
    "hidden",
    "set",
    "unset",
    "empty",
    "enabled",
    "disabled",
    "bearer",
    "basic",
    "token",
    "digest",
    "negotiate",
];
/// Words that follow `password:` in prose rather than in a config
/// (`passwd: password updated successfully`).
const PROSE: &[&str] = &[
    "for",
    "is",
    "was",
    "updated",
    "changed",
    "expired",
    "invalid",
    "incorrect",
    "missing",
    "failed",
    "failure",
    "authentication",
    "accepted",
    "denied",
    "ok",
    "check",
    "checking",
];

/// Push the ranges of secret values in `name=value`-like pairs onto `out`. The capturing
/// search is slow: it runs only on lines with a secret word before a `:` or `=`
/// (`scan::Hints::pairs`).
pub fn find(text: &str, out: &mut Vec<Range<usize>>) {
    let mut at = 0;
    while let Some(c) = PAIR.captures_at(text, at) {
        let name = c.get(1).or_else(|| c.get(2)).or_else(|| c.get(4));
        let sep = c.get(3).or_else(|| c.get(5));
        let value = c.get(6).or_else(|| c.get(7)).or_else(|| c.get(8));
        let (Some(name), Some(sep), Some(value)) = (name, sep, value) else {
            break;
        };
        let colon = sep.as_str().trim() == ":";
        if is_secret_name(name.as_str()) && is_secret_value(value.as_str(), colon) {
            out.push(value.range());
            at = value.end();
        } else {
            // The value may itself be the next pair's name (`note: api_key = X`).
            at = name.end();
        }
    }
}

/// False for empty values, placeholders, paths, variable references and prose.
pub fn is_secret_value(v: &str, prose_possible: bool) -> bool {
    let lower = v.to_ascii_lowercase();
    !(v.is_empty()
        || NOT_VALUES.contains(&lower.as_str())
        || (prose_possible && PROSE.contains(&lower.as_str()))
        || v.starts_with('$')
        || v.starts_with('%')
        || v.starts_with('<')
        || (v.len() >= 3 && v.bytes().all(|b| b == b'*' || b == b'x' || b == b'X'))
        || looks_like_path(v))
}

/// A file name or path: a secret's location, not the secret.
pub fn looks_like_path(v: &str) -> bool {
    v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("../")
        || v.starts_with("~/")
        || v.starts_with("file:")
        || [
            ".pem", ".key", ".crt", ".der", ".p12", ".json", ".txt", ".asc", ".gpg",
        ]
        .iter()
        .any(|ext| v.ends_with(ext))
}
