//! One pass over a text that says which finders can match in it: most log lines hold no
//! secret, and on those this pass is the whole cost of redaction (the finders' regexes
//! cost ~1 µs a line when they all run; this pass looks at a few bytes: each `:`, `=`,
//! `-`, `/` and `b`, and one byte in twelve for long words).
//!
//! Every hint is a superset of what its finder needs: something the finder's pattern
//! cannot match without, checked byte by byte on ASCII text (where the `(?i)` patterns
//! fold ASCII case only). On other text the patterns also fold Unicode case (`K`, KELVIN
//! SIGN, is a `k`; `ſ` an `s`), so there the whole-line regexes below decide.

use std::sync::LazyLock;

use regex::Regex;

/// Words without which neither a secret name nor a password flag can be in a line.
static NAMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)pass|pwd|pw(?-u:\b)|secret|token|key|cred|auth|cookie|sig|session|dsn|bearer",
        r"|mysql|mariadb|mongo|redis|curl|docker|podman|nerdctl|buildah|skopeo|helm",
        r"|htpasswd|openssl|smb|rpcclient|ldap|influx|ipmitool|wget",
    ))
    .expect("static regex")
});

/// A secret word, then name characters, then a separator: what `pairs::find` needs.
static MAYBE_PAIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(?:pass|pwd|pw|secret|token|key|cred|auth|cookie|sig|session|dsn)[\w.-]*["']?[ \t]*[:=]"#)
        .expect("static regex")
});

/// The words of [`MAYBE_PAIR`], lower case.
const PAIR_WORDS: &[&[u8]] = &[
    b"pass", b"pwd", b"pw", b"secret", b"token", b"key", b"cred", b"auth", b"cookie", b"sig",
    b"session", b"dsn",
];

/// Every credential header name of `shapes::HEADERS` ends with one of these.
const HEADER_ENDS: &[&[u8]] = &[b"authorization", b"cookie", b"api-key", b"-token"];

/// The literal starts of `shapes::TOKENS`' vendor token shapes (case-sensitive, as there).
const TOKEN_STARTS: &[&[u8]] = &[
    b"ghp_",
    b"gho_",
    b"ghu_",
    b"ghs_",
    b"ghr_",
    b"github_pat_",
    b"glpat-",
    b"xox",
    b"xapp-",
    b"sk_test_",
    b"sk_live_",
    b"sk_prod_",
    b"rk_test_",
    b"rk_live_",
    b"rk_prod_",
    b"AIza",
    b"hvs.",
    b"hvb.",
    b"npm_",
    b"eyJ",
    b"SG.",
    b"dop_v1_",
    b"doo_v1_",
    b"dor_v1_",
    b"pypi-",
    b"sk-",
    b"A3T",
    b"AKIA",
    b"ASIA",
    b"ABIA",
    b"ACCA",
    b"AGPA",
    b"AIDA",
    b"AROA",
    b"ANPA",
    b"ANVA",
    b"AIPA",
    b"shpat_",
    b"shpca_",
    b"shppa_",
    b"shpss_",
    b"glsa_",
    b"hf_",
    b"dp.pt.",
    b"HRKU-AA",
    b"SK",
];

/// Every token shape is a run of at least this many `[A-Za-z0-9_.=-]` (the shortest is
/// `xapp-1-a-1-b`).
const TOKEN_MIN: usize = 12;

/// Which finders to run on a text.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Hints {
    /// `pairs::find`: a secret word followed by name characters and `:` or `=`.
    pub pairs: bool,
    /// `args::find`: a NAMED word and a word starting with `-`.
    pub args: bool,
    /// `shapes::HEADERS`: a credential header name before a `:`.
    pub headers: bool,
    /// `shapes::BEARER`: the word `bearer`.
    pub bearer: bool,
    /// `shapes::TOKENS`: a vendor token's start in a long enough word.
    pub tokens: bool,
    /// `scheme://` and an `@`.
    pub url: bool,
    /// A Slack webhook path.
    pub slack: bool,
    /// `-----` (a PEM marker).
    pub pem: bool,
}

impl Hints {
    /// The finders that can match in `text`.
    pub fn of(text: &str) -> Hints {
        if !text.is_ascii() {
            return Hints::unicode(text);
        }
        let b = text.as_bytes();
        let mut h = Hints::default();
        for i in memchr::memchr2_iter(b':', b'=', b) {
            h.pairs = h.pairs || pair_before(b, i);
            if b[i] == b':' {
                h.headers = h.headers || header_before(b, i);
                h.url |= b[i + 1..].starts_with(b"//");
            }
        }
        h.url &= memchr::memchr(b'@', b).is_some();
        let mut dash = false;
        for i in memchr::memchr_iter(b'-', b) {
            dash |= i == 0 || is_space(b[i - 1]);
            h.pem |= b[i..].starts_with(b"-----");
        }
        h.slack = memchr::memchr_iter(b'/', b)
            .any(|i| b[i + 1..].starts_with(b"services/") || b[..i].ends_with(b"hooks.slack.com"));
        h.bearer = memchr::memchr2_iter(b'b', b'B', b).any(|i| {
            b.get(i..i + 6)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"bearer"))
        });
        h.tokens = tokens(b);
        h.args = dash && NAMED.is_match(text);
        h
    }

    /// Text that is not ASCII: the whole-line regexes decide the named finders.
    fn unicode(text: &str) -> Hints {
        let named = NAMED.is_match(text);
        Hints {
            pairs: named && MAYBE_PAIR.is_match(text),
            args: named,
            headers: named && text.contains(':'),
            bearer: named,
            tokens: true,
            url: text.contains("://") && text.contains('@'),
            slack: true,
            pem: text.contains("-----"),
        }
    }

    /// Every finder, whatever the text (what the hints are tested against).
    #[cfg(test)]
    pub fn all() -> Hints {
        Hints {
            pairs: true,
            args: true,
            headers: true,
            bearer: true,
            tokens: true,
            url: true,
            slack: true,
            pem: true,
        }
    }
}

/// ASCII white space as `char::is_whitespace` and the regexes' `\s` see it.
fn is_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

fn is_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// [`MAYBE_PAIR`] ending at the separator at `sep`: read backwards, `[ \t]*`, an optional
/// quote, then the run of name characters must hold a secret word.
fn pair_before(b: &[u8], sep: usize) -> bool {
    let mut end = sep;
    while end > 0 && matches!(b[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    if end > 0 && matches!(b[end - 1], b'"' | b'\'') {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && is_name(b[start - 1]) {
        start -= 1;
    }
    let run = &b[start..end];
    (0..run.len()).any(|at| {
        let first = run[at].to_ascii_lowercase();
        PAIR_FIRST[first as usize]
            && PAIR_WORDS.iter().any(|w| {
                w[0] == first
                    && run
                        .get(at..at + w.len())
                        .is_some_and(|r| r.eq_ignore_ascii_case(w))
            })
    })
}

/// The first bytes of `words`, as a table (a cheap test before comparing words).
const fn first_bytes(words: &[&[u8]]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < words.len() {
        t[words[i][0] as usize] = true;
        i += 1;
    }
    t
}

static PAIR_FIRST: [bool; 256] = first_bytes(PAIR_WORDS);
static TOKEN_FIRST: [bool; 256] = first_bytes(TOKEN_STARTS);

/// A credential header name, then `\s*`, before the `:` at `colon`.
fn header_before(b: &[u8], colon: usize) -> bool {
    let mut end = colon;
    while end > 0 && is_space(b[end - 1]) {
        end -= 1;
    }
    HEADER_ENDS
        .iter()
        .any(|w| end >= w.len() && b[end - w.len()..end].eq_ignore_ascii_case(w))
}

/// A vendor token's start at a word boundary (after `.`, `=` or `-` inside a run) in a run
/// of at least [`TOKEN_MIN`] token characters. Runs are found looking at one byte in
/// `TOKEN_MIN` where that byte cannot be in one.
fn tokens(b: &[u8]) -> bool {
    let in_token = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'=' | b'-');
    // `b[i - 1]` is never a token character.
    let mut i = 0;
    while i + TOKEN_MIN <= b.len() {
        let probe = i + TOKEN_MIN - 1;
        if !in_token(b[probe]) {
            i = probe + 1;
            continue;
        }
        let mut start = probe;
        while start > i && in_token(b[start - 1]) {
            start -= 1;
        }
        let mut stop = probe;
        while stop < b.len() && in_token(b[stop]) {
            stop += 1;
        }
        if stop - start >= TOKEN_MIN {
            let run = &b[start..stop];
            // Where a word boundary is inside the run: its start and after `.`, `=`, `-`;
            // a token starting there still needs TOKEN_MIN characters.
            let found = std::iter::once(0)
                .chain(memchr::memchr3_iter(b'.', b'=', b'-', run).map(|i| i + 1))
                .filter(|&at| run.len() - at.min(run.len()) >= TOKEN_MIN)
                .filter(|&at| TOKEN_FIRST[run[at] as usize])
                .any(|at| {
                    TOKEN_STARTS
                        .iter()
                        .any(|t| t[0] == run[at] && run[at..].starts_with(t))
                });
            if found {
                return true;
            }
        }
        i = stop + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_lines_need_no_finder() {
        for line in [
            "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=10.1.2.3",
            "session opened for user root by (uid=0)",
            "Failed password for root from 10.0.0.1 port 22 ssh2",
            "disk sda: task blocked for more than 120 seconds",
            "connection from 220.135.151.1 () at Fri Jun 17 20:55:07 2005",
        ] {
            let h = Hints::of(line);
            assert!(
                !(h.pairs || h.args || h.headers || h.bearer || h.tokens || h.url || h.pem),
                "{line}: {h:?}"
            );
        }
    }

    #[test]
    fn each_finder_is_called_for() {
        assert!(Hints::of("DB_PASSWORD = x").pairs);
        assert!(Hints::of("'apiToken': 'x'").pairs);
        assert!(Hints::of("app --token x").args);
        assert!(Hints::of("mysql\t-px").args);
        assert!(!Hints::of("mysql-px").args);
        assert!(Hints::of("X-Vault-Token: x").headers);
        assert!(Hints::of("Proxy-AUTHORIZATION \t: x").headers);
        assert!(Hints::of("use BEARER x").bearer);
        assert!(Hints::of("key=ghp_0123456789").tokens);
        assert!(Hints::of("SK0123456789abcdef0123456789abcdef").tokens);
        assert!(!Hints::of("xghp_0123456789").tokens);
        assert!(Hints::of("rsync://u:p@h").url);
        assert!(!Hints::of("https://example.com/").url);
        assert!(Hints::of("x hooks.slack.com/workflows/T0").slack);
        assert!(Hints::of("x /services/T0").slack);
        assert!(Hints::of("-----BEGIN").pem);
        // Unicode case folding: KELVIN SIGN is a `k` to the (?i) regexes
        assert!(Hints::of("api_\u{212a}ey=abc").pairs);
    }
}
