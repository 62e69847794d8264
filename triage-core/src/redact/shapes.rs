//! Secrets recognised by their shape alone, wherever they stand: vendor tokens, JWTs,
//! Slack webhook paths, credentials inside URLs, HTTP authorisation headers and PEM
//! blocks.
//!
//! The vendor token shapes are data taken from the gitleaks rule set
//! (<https://github.com/gitleaks/gitleaks>, `config/gitleaks.toml` at commit b58d3f10,
//! MIT licence, Copyright (c) 2019 Zachary Rice); minimum lengths were loosened where
//! real tokens vary (Vault, JWT, GitHub fine-grained) and the trailing-delimiter groups
//! dropped because the match is masked, not reported; upper length bounds are open
//! (a longer token is still a token) and `\w` is ASCII, which keeps the automaton small.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::scan::Hints;

/// Vendor token shapes (gitleaks ids in the comments), masked whole.
static TOKENS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        // github-pat, github-oauth, github-app-token, github-refresh-token
        r"(?-u:\b)gh[pousr]_[0-9A-Za-z]{36}(?-u:\b)",
        // github-fine-grained-pat
        r"|(?-u:\b)github_pat_[A-Za-z0-9_]{22,}",
        // gitlab-pat
        r"|(?-u:\b)glpat-[A-Za-z0-9_-]{20,}",
        // slack-bot/user/legacy/config tokens
        r"|(?-u:\b)xox[abposre]-[0-9A-Za-z-]{10,}",
        // slack-app-token
        r"|(?-u:\b)xapp-\d-[A-Za-z0-9]+-\d+-[A-Za-z0-9]+",
        // stripe-access-token
        r"|(?-u:\b)[sr]k_(?:test|live|prod)_[A-Za-z0-9]{10,}(?-u:\b)",
        // gcp-api-key
        r"|(?-u:\b)AIza[A-Za-z0-9_-]{35}",
        // vault-service-token, vault-batch-token (not the legacy `s.` form: its two-byte
        // prefix is in too many log lines to search for cheaply)
        r"|(?-u:\b)hv[sb]\.[A-Za-z0-9_-]{20,}",
        // npm-access-token
        r"|(?-u:\b)npm_[A-Za-z0-9]{36}(?-u:\b)",
        // jwt (header and payload both start `eyJ`, base64 of `{"`)
        r"|(?-u:\b)eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_/\\-]{10,}\.[A-Za-z0-9_/\\-]*=*",
        // sendgrid-api-token
        r"|(?-u:\b)SG\.[A-Za-z0-9_=-]{16,}\.[A-Za-z0-9_=-]{16,}",
        // digitalocean-pat/access/refresh
        r"|(?-u:\b)do[por]_v1_[a-f0-9]{64}(?-u:\b)",
        // pypi-upload-token
        r"|(?-u:\b)pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
        // anthropic-api-key, openai-api-key
        r"|(?-u:\b)sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,}|(?-u:\b)sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}",
        // aws-access-token (and the other IAM unique-id prefixes)
        r"|(?-u:\b)(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}(?-u:\b)",
        // shopify tokens, grafana-service-account-token, huggingface, doppler, heroku v2
        r"|(?-u:\b)shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}(?-u:\b)|(?-u:\b)glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}(?-u:\b)",
        r"|(?-u:\b)hf_[A-Za-z]{34}(?-u:\b)|(?-u:\b)dp\.pt\.[A-Za-z0-9]{43}|(?-u:\b)HRKU-AA[0-9A-Za-z_-]{58}",
        // twilio-api-key
        r"|(?-u:\b)SK[0-9a-fA-F]{32}(?-u:\b)",
    ))
    .expect("static regex")
});
/// Slack webhook paths, with or without the host: the path after the kind is the secret.
static SLACK_HOOK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9+/]{20,})",
        r"|/services/(T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{16,})",
    ))
    .expect("static regex")
});
/// `scheme://user:password@`: the password is group 2 (the user is kept).
static URL_CREDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[a-zA-Z][a-zA-Z0-9+.-]*://([^:/@\s]*):([^@\s]+)@").expect("static regex")
});
/// `scheme://TOKEN@host`: a user part that is a token, not a login name.
static URL_TOKEN_USER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[a-zA-Z][a-zA-Z0-9+.-]*://([A-Za-z0-9_-]{20,})@").expect("static regex")
});
/// HTTP headers that carry credentials; the value (group 2) runs to a quote or the end of
/// the line, after an authorisation scheme word, which is kept.
static HEADERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?-u:\b)(?:proxy-authorization|authorization|set-cookie|cookie|x-api-key|api-key",
        r"|x-auth-token|x-access-token|private-token|x-vault-token|x-goog-api-key",
        r"|x-amz-security-token)\s*:\s*",
        r"((?:bearer|basic|token|digest|negotiate|aws4-hmac-sha256)\s+)?",
        r#"([^"'\r\n]+)"#,
    ))
    .expect("static regex")
});
/// A PEM block: the body between the markers (or to the end of the text).
static PEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)-----BEGIN [A-Z0-9 ]+-----(.*?)(?:-----END [A-Z0-9 ]+-----|\z)")
        .expect("static regex")
});
/// `Bearer X` outside a header (`curl -H Authorization: Bearer X` split into arguments).
static BEARER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(?-u:\b)bearer\s+([^\s\x22']+)").expect("static regex"));

/// Push the byte ranges of every shaped secret in `text` onto `out`, running only the
/// patterns `hints` says can match.
pub(super) fn find(text: &str, hints: &Hints, out: &mut Vec<Range<usize>>) {
    if hints.tokens {
        out.extend(TOKENS.find_iter(text).map(|m| m.range()));
    }
    if hints.slack {
        for c in SLACK_HOOK.captures_iter(text) {
            out.extend(c.get(1).or_else(|| c.get(2)).map(|m| m.range()));
        }
    }
    if hints.url {
        urls(text, out);
    }
    if hints.headers {
        headers(text, out);
    }
    if hints.bearer {
        for c in BEARER.captures_iter(text) {
            out.extend(c.get(1).map(|m| m.range()));
        }
    }
    if hints.pem && text.contains("-----BEGIN ") {
        for c in PEM.captures_iter(text) {
            out.extend(c.get(1).map(|m| m.range()).filter(|r| !r.is_empty()));
        }
    }
    blobs(text, out);
}

/// `scheme://user:password@` and `scheme://TOKEN@`.
fn urls(text: &str, out: &mut Vec<Range<usize>>) {
    for c in URL_CREDS.captures_iter(text) {
        let pass = &c[2];
        // `http://host:8080/path@x` is a port and a path, not a password.
        let port = pass.split('/').next().is_some_and(|p| {
            pass.contains('/') && !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())
        });
        if !port {
            out.extend(c.get(2).map(|m| m.range()));
        }
    }
    for c in URL_TOKEN_USER.captures_iter(text) {
        let user = &c[1];
        if user.bytes().any(|b| b.is_ascii_digit()) && user.bytes().any(|b| b.is_ascii_alphabetic())
        {
            out.extend(c.get(1).map(|m| m.range()));
        }
    }
}

/// Credential headers.
fn headers(text: &str, out: &mut Vec<Range<usize>>) {
    for c in HEADERS.captures_iter(text) {
        let Some(value) = c.get(2) else { continue };
        // After a scheme the credential is one word; a cookie runs to the end.
        let range = if c.get(1).is_some() {
            let word = value.as_str().find(char::is_whitespace);
            value.start()..word.map_or(value.end(), |w| value.start() + w)
        } else {
            trim_end(text, value.range())
        };
        out.push(range);
    }
}

/// Shortest base64 run taken for a key blob.
const BLOB_MIN: usize = 60;

/// Runs of [`BLOB_MIN`] or more base64 characters (`=` padding included) that mix upper
/// case, lower case and digits: a PEM body line or a key blob whose BEGIN line is not in
/// view. A byte loop, not a regex: it runs on every line, looking at one byte in
/// `BLOB_MIN` where that byte is not base64 (no run that long can hold it).
fn blobs(text: &str, out: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    // `bytes[i - 1]` is never base64: a run that holds `i` starts at `i`.
    let mut i = 0;
    while i + BLOB_MIN <= bytes.len() {
        let probe = i + BLOB_MIN - 1;
        if !is_b64(bytes[probe]) {
            i = probe + 1;
            continue;
        }
        let mut start = probe;
        while start > i && is_b64(bytes[start - 1]) {
            start -= 1;
        }
        let mut stop = probe;
        while stop < bytes.len() && is_b64(bytes[stop]) {
            stop += 1;
        }
        let run = &bytes[start..stop];
        let mixed = run.iter().any(u8::is_ascii_uppercase)
            && run.iter().any(u8::is_ascii_lowercase)
            && run.iter().any(u8::is_ascii_digit);
        if run.len() >= BLOB_MIN && mixed {
            let pad = bytes[stop..]
                .iter()
                .take(2)
                .take_while(|&&b| b == b'=')
                .count();
            out.push(start..stop + pad);
        }
        // `bytes[stop]` is not base64 (or the end).
        i = stop + 1;
    }
}

/// `range` without trailing white space.
fn trim_end(text: &str, range: Range<usize>) -> Range<usize> {
    let kept = text[range.clone()].trim_end().len();
    range.start..range.start + kept
}
