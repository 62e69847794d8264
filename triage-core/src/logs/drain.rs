//! Template grouping with Drain (He, Zhu, Zheng, Lyu: "Drain: An Online Log Parsing
//! Approach with Fixed Depth Tree", ICWS 2017; the reference implementation is
//! logpai/logparser `Drain.py`).
//!
//! A message is split on whitespace; obvious variables are masked first: the parts of a
//! token (between `=`, brackets, commas, quotes) that look like values become `<*>` —
//! numbers, IPs, ports, times, sizes (a piece starting with a digit), host and queue ids
//! (as many digits as letters: `bn526`), long hex (`ffffffff`), `true`/`false` — keeping
//! `key=` and brackets, so `uid=0` reads `uid=<*>`; names with a digit (`SOCKS5`, `ssh2`,
//! `eth0`) stay; month and weekday names, which only appear in dates, are masked. Then a fixed-depth tree routes it by token count and its
//! first tokens to a leaf holding a few templates; the most similar template (share of
//! equal constant tokens) wins when its similarity reaches the threshold and absorbs the
//! message (differing tokens become `<*>`), otherwise the message starts a new template.
//! Two tokens where one extends the other around a mask (`(uid=<*>)`, `LOGIN(uid=<*>)`)
//! never join: they are different message formats; nor does an upper-case keyword
//! (`HTTPS`/`SOCKS5`, `SPP.`) with another token: it names a kind, not a value.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::snapshot::Time;

/// The wildcard token.
pub(crate) const WILD: &str = "<*>";

/// One template and how often it was seen.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Template {
    /// Id, as in each entry's `template_id` (1-based, in order of first appearance).
    pub id: u32,
    /// Tokens with `<*>` for the variable ones.
    pub template: String,
    /// Messages grouped under it.
    pub count: u64,
    /// Earliest time of its messages, when known.
    pub first: Option<Time>,
    /// Latest time of its messages, when known.
    pub last: Option<Time>,
}

#[derive(Debug, Default)]
struct Node {
    children: HashMap<String, Node>,
    clusters: Vec<u32>,
}

#[derive(Debug)]
struct Cluster {
    tokens: Vec<String>,
    count: u64,
    first: Option<Time>,
    last: Option<Time>,
}

/// An online Drain parser. Feed it messages with [`Drain::add`].
#[derive(Debug)]
pub struct Drain {
    /// Tokens of the message used to route it below the length layer.
    prefix_tokens: usize,
    /// Similarity a message needs to join a template.
    threshold: f64,
    /// Children per tree node before new tokens go to the `<*>` child.
    max_children: usize,
    roots: HashMap<usize, Node>,
    clusters: Vec<Cluster>,
    scratch: Tokens,
    /// Bytes held by the templates' tokens, roughly.
    bytes: usize,
    max_bytes: usize,
    /// The catch-all template once `max_bytes` is reached.
    overflow: Option<usize>,
}

/// Most bytes of template tokens kept: every line of a window can start a template (a
/// stream of unique lines), and `logs --templates` must stay within 64 MiB on any input.
pub const MAX_TEMPLATE_BYTES: usize = 24 << 20;

/// Most templates under one leaf of the tree: each line is compared with every template of
/// its leaf, so a stream of unique lines routed to one leaf would cost quadratic time.
const MAX_LEAF: usize = 1024;

/// Memory per token besides its text (the `String`).
const TOKEN_OVERHEAD: usize = 24;

/// A token longer than this is a value (a payload, a blob, a long id), not a word.
const LONG_TOKEN: usize = 256;

impl Default for Drain {
    /// Three prefix tokens (depth 6 in Drain.py's terms, its benchmark setting for Linux),
    /// similarity 0.7 over constant tokens, 100 children per node: the best average
    /// grouping accuracy over the 16 loghub-2k datasets (README, "Template accuracy").
    fn default() -> Self {
        Drain::new(3, 0.7, 100)
    }
}

/// Month and weekday names: they only appear in dates.
const DATE_WORDS: [&str; 19] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Mon",
    "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
];

/// Bytes that separate the parts of one token (`uid=0`, `LOGIN(uid=0)`, `a,b`).
const fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'=' | b'(' | b')' | b',' | b';' | b'[' | b']' | b'{' | b'}' | b'"' | b'\''
    )
}

/// Bytes that separate the pieces of one part (`10.0.0.1:22`, `node-23`, `job_42`).
const fn is_piece_separator(b: u8) -> bool {
    matches!(b, b'-' | b'_' | b'.' | b':' | b'/' | b'@' | b'#' | b'+')
}

/// `token` with its variables masked, appended to `out`: each part between delimiters
/// that looks like a value ([`value_like`]) becomes `<*>`, so `uid=0` → `uid=<*>` and
/// `LOGIN(uid=0)` → `LOGIN(uid=<*>)` stay apart; a token left with no letters
/// (`10.0.0.1:22`, `(42),`) is `<*>` as a whole; a date word is `<*>`. Byte-wise: every
/// separator is ASCII, so each cut is on a character boundary.
fn mask_into(token: &str, out: &mut String) {
    if token.len() > LONG_TOKEN {
        out.push_str(WILD);
        return;
    }
    let bytes = token.as_bytes();
    if !value_like(bytes) {
        let date = token.len() == 3 && DATE_WORDS.contains(&token);
        out.push_str(if date { WILD } else { token });
        return;
    }
    if !bytes.iter().any(|&b| is_delimiter(b)) {
        // One part, and it is a value.
        out.push_str(WILD);
        return;
    }
    let start = out.len();
    let mut letters = false;
    let mut from = 0;
    for i in 0..=bytes.len() {
        if i < bytes.len() && !is_delimiter(bytes[i]) {
            continue;
        }
        let body = &token[from..i];
        if value_like(body.as_bytes()) {
            out.push_str(WILD);
        } else {
            letters |= body.chars().any(char::is_alphabetic);
            out.push_str(body);
        }
        if let Some(&d) = bytes.get(i) {
            out.push(char::from(d));
        }
        from = i + 1;
    }
    if !letters {
        out.truncate(start);
        out.push_str(WILD);
    }
}

/// True when one of the pieces of `s` (between delimiters and `-_.:/@#+`) looks like a
/// value: it starts with a digit (`42`, `5070`, `3s`), has as many digits as letters
/// (`bn526`, `R17`), is long hex (`ffffffff`) or is `true`/`false`. A word with a digit in
/// it (`SOCKS5`, `ssh2`, `eth0`, `sda1`) is a name, not a value.
fn value_like(s: &[u8]) -> bool {
    // One pass: each piece's length, digits, whether all hex and whether it starts with a
    // digit, judged at its end.
    let (mut from, mut digits, mut hex) = (0, 0, true);
    for i in 0..=s.len() {
        let b = s.get(i).copied();
        if b.is_none_or(|b| SEPARATOR[b as usize]) {
            let p = &s[from..i];
            let value = match p.first() {
                None => false,
                Some(first) if digits > 0 => first.is_ascii_digit() || digits * 2 >= p.len(),
                Some(_) => (p.len() >= 8 && hex) || p == b"true" || p == b"false",
            };
            if value {
                return true;
            }
            (from, digits, hex) = (i + 1, 0, true);
        } else if let Some(b) = b {
            digits += usize::from(b.is_ascii_digit());
            hex &= b.is_ascii_hexdigit();
        }
    }
    false
}

/// [`is_delimiter`] or [`is_piece_separator`], per byte.
static SEPARATOR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = is_delimiter(i as u8) || is_piece_separator(i as u8);
        i += 1;
    }
    t
};

#[cfg(test)]
fn mask(token: &str) -> String {
    let mut out = String::new();
    mask_into(token, &mut out);
    out
}

/// A message's masked tokens, in one reused string (no allocation per token or line).
#[derive(Debug, Default)]
struct Tokens {
    text: String,
    ends: Vec<usize>,
}

impl Tokens {
    /// `message` split on whitespace, variables masked. ASCII messages (nearly all) are
    /// split on ASCII whitespace, which is cheaper than the Unicode rules.
    fn fill(&mut self, message: &str) {
        self.text.clear();
        self.ends.clear();
        if message.is_ascii() {
            for t in message.split_ascii_whitespace() {
                mask_into(t, &mut self.text);
                self.ends.push(self.text.len());
            }
        } else {
            for t in message.split_whitespace() {
                mask_into(t, &mut self.text);
                self.ends.push(self.text.len());
            }
        }
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn iter(&self) -> impl Iterator<Item = &str> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let t = &self.text[start..end];
            start = end;
            t
        })
    }
}

/// Two different tokens, one partly masked, where one extends the other
/// (`(uid=<*>)` and `LOGIN(uid=<*>)`): a different message format, not a variable.
fn structural(tpl: &str, tok: &str) -> bool {
    if shouting(tpl) || shouting(tok) {
        return true;
    }
    (tpl.contains(WILD) || tok.contains(WILD))
        && (tpl.ends_with(tok)
            || tok.ends_with(tpl)
            || tpl.starts_with(tok)
            || tok.starts_with(tpl))
}

/// An upper-case keyword (`HTTPS`, `SOCKS5`, `ERROR`): two different ones name different
/// things (protocols, levels, states), not two values of one variable.
fn shouting(t: &str) -> bool {
    let t = t.trim_end_matches(['.', ',', ':', ';']);
    t.len() >= 2
        && t.bytes().any(|b| b.is_ascii_uppercase())
        && t.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

impl Drain {
    /// A parser routing on `prefix_tokens` first tokens, joining templates at `threshold`
    /// similarity, with at most `max_children` children per node.
    pub fn new(prefix_tokens: usize, threshold: f64, max_children: usize) -> Self {
        Drain {
            prefix_tokens,
            threshold,
            max_children: max_children.max(2),
            roots: HashMap::new(),
            clusters: Vec::new(),
            scratch: Tokens::default(),
            bytes: 0,
            max_bytes: MAX_TEMPLATE_BYTES,
            overflow: None,
        }
    }

    /// Add one message seen at `time`; returns its template id.
    pub fn add(&mut self, message: &str, time: Option<Time>) -> u32 {
        let mut tokens = std::mem::take(&mut self.scratch);
        tokens.fill(message);
        let idx = match self.search(&tokens) {
            Some(idx) => {
                let c = &mut self.clusters[idx];
                for (tpl, tok) in c.tokens.iter_mut().zip(tokens.iter()) {
                    if tpl != tok && tpl != WILD {
                        *tpl = WILD.to_string();
                    }
                }
                idx
            }
            None if self.bytes + tokens.text.len() > self.max_bytes => self.overflow(),
            None => {
                let idx = self.clusters.len();
                if self.insert(&tokens, idx as u32) {
                    self.bytes += tokens.text.len() + tokens.len() * TOKEN_OVERHEAD;
                    self.clusters.push(Cluster {
                        tokens: tokens.iter().map(str::to_string).collect(),
                        count: 0,
                        first: None,
                        last: None,
                    });
                    idx
                } else {
                    self.overflow()
                }
            }
        };
        self.scratch = tokens;
        let c = &mut self.clusters[idx];
        c.count += 1;
        if let Some(t) = time {
            c.first = Some(c.first.map_or(t, |f| f.min(t)));
            c.last = Some(c.last.map_or(t, |l| l.max(t)));
        }
        idx as u32 + 1
    }

    /// The template of lines that match none when the templates' memory (or their leaf of
    /// the tree) is full: `<*>`.
    fn overflow(&mut self) -> usize {
        if let Some(i) = self.overflow {
            return i;
        }
        let i = self.clusters.len();
        self.clusters.push(Cluster {
            tokens: vec![WILD.to_string()],
            count: 0,
            first: None,
            last: None,
        });
        self.overflow = Some(i);
        i
    }

    /// True when the templates' memory cap (or a leaf's) was reached: lines that matched no
    /// template from then on were counted under one `<*>` template.
    pub fn overflowed(&self) -> bool {
        self.overflow.is_some()
    }

    /// Lower the memory cap of the templates (tests).
    pub fn with_max_bytes(mut self, max: usize) -> Self {
        self.max_bytes = max;
        self
    }

    fn search(&self, tokens: &Tokens) -> Option<usize> {
        let mut node = self.roots.get(&tokens.len())?;
        for tok in tokens.iter().take(self.prefix_tokens) {
            node = match node.children.get(tok) {
                Some(n) => n,
                None => node.children.get(WILD)?,
            };
        }
        let mut best: Option<(usize, f64, usize)> = None;
        for &ci in &node.clusters {
            let c = &self.clusters[ci as usize];
            let (mut same, mut wild, mut apart) = (0usize, 0usize, false);
            for (tpl, tok) in c.tokens.iter().zip(tokens.iter()) {
                if tpl == WILD {
                    wild += 1;
                } else if tpl == tok {
                    same += 1;
                } else {
                    apart |= structural(tpl, tok);
                }
            }
            if apart {
                continue;
            }
            // Similarity over the template's constant tokens: a position that is already
            // `<*>` (masked or learnt) accepts any value. (Drain.py divides by the whole
            // length, so a message with many masked variables never reaches the threshold
            // and every such line becomes its own template.)
            let sim = if c.tokens.is_empty() {
                1.0
            } else {
                same as f64 / (c.tokens.len() - wild).max(1) as f64
            };
            if best.is_none_or(|(_, s, w)| sim > s || (sim == s && wild > w)) {
                best = Some((ci as usize, sim, wild));
            }
        }
        best.filter(|(_, s, _)| *s >= self.threshold).map(|b| b.0)
    }

    /// File template `id` under its route; false when that leaf is full.
    fn insert(&mut self, tokens: &Tokens, id: u32) -> bool {
        let max = self.max_children;
        let mut node = self.roots.entry(tokens.len()).or_default();
        for tok in tokens.iter().take(self.prefix_tokens) {
            let key = if node.children.contains_key(tok) {
                tok
            } else if tok == WILD {
                WILD
            } else {
                let has_wild = node.children.contains_key(WILD);
                let n = node.children.len() + usize::from(!has_wild);
                if n < max {
                    tok
                } else {
                    WILD
                }
            };
            node = node.children.entry(key.to_string()).or_default();
        }
        if node.clusters.len() >= MAX_LEAF {
            return false;
        }
        node.clusters.push(id);
        true
    }

    /// Every template so far, by id.
    pub fn templates(&self) -> Vec<Template> {
        self.clusters
            .iter()
            .enumerate()
            .map(|(i, c)| Template {
                id: i as u32 + 1,
                template: c.tokens.join(" "),
                count: c.count,
                first: c.first,
                last: c.last,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_variable_lines_and_keeps_others_apart() {
        let mut d = Drain::default();
        let a = d.add(
            "Accepted password for root from 10.0.0.1 port 2201 ssh2",
            None,
        );
        let b = d.add(
            "Accepted password for alice from 10.0.0.9 port 51000 ssh2",
            None,
        );
        let c = d.add("Connection closed by 10.0.0.2", None);
        let e = d.add("Accepted password for bob from 10.1.1.1 port 2 ssh2", None);
        assert_eq!(a, b);
        assert_eq!(a, e);
        assert_ne!(a, c);
        let t = &d.templates()[a as usize - 1];
        assert_eq!(
            t.template,
            "Accepted password for <*> from <*> port <*> ssh2"
        );
        assert_eq!(t.count, 3);
        // Same length, different words: separate templates.
        let x = d.add("disk sda is fine", None);
        let y = d.add("fan speed reading failed", None);
        assert_ne!(x, y);
    }

    #[test]
    fn masks_inside_tokens_and_keeps_formats_apart() {
        assert_eq!(mask("uid=0"), "uid=<*>");
        assert_eq!(mask("LOGIN(uid=0)"), "LOGIN(uid=<*>)");
        assert_eq!(mask("10.0.0.1:22"), WILD);
        assert_eq!(mask("(42),"), WILD);
        assert_eq!(mask("Jun"), WILD);
        assert_eq!(mask("sshd"), "sshd");
        // Names with a digit stay; values (digit first, as many digits as letters, long
        // hex, booleans) go.
        for name in ["SOCKS5", "ssh2", "eth0", "CPU0", "sda1"] {
            assert_eq!(mask(name), name);
        }
        assert_eq!(mask("bn526"), WILD);
        assert_eq!(mask("jA9J1UvC004306:"), WILD);
        assert_eq!(mask("node-23"), WILD);
        assert_eq!(mask("mask=ffffffff"), "mask=<*>");
        assert_eq!(mask("overlap:true"), WILD);
        assert_eq!(mask("deadline"), "deadline");
        let mut d = Drain::default();
        let a = d.add("session opened for user news by (uid=0)", None);
        let b = d.add("session opened for user cyrus by (uid=0)", None);
        let c = d.add("session opened for user root by LOGIN(uid=0)", None);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            d.templates()[a as usize - 1].template,
            "session opened for user <*> by (uid=<*>)"
        );
    }

    #[test]
    fn an_upper_case_keyword_is_not_a_variable_value() {
        let mut d = Drain::default();
        let a = d.add(
            "a.example:443 open through proxy p.example:5070 HTTPS",
            None,
        );
        let b = d.add("b.example:80 open through proxy p.example:5070 HTTPS", None);
        let c = d.add(
            "c.example:80 open through proxy p.example:5070 SOCKS5",
            None,
        );
        let x = d.add("Session: 1 initialized by client WindowsUpdateAgent.", None);
        let y = d.add("Session: 2 initialized by client SPP.", None);
        let z = d.add("Session: 3 initialized by client WindowsUpdateAgent.", None);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(x, z);
        assert_ne!(x, y);
    }

    /// `i` written in letters `a`–`z`: unique words without digits.
    fn letters(mut i: usize) -> String {
        let mut w = String::new();
        loop {
            w.push((b'a' + (i % 26) as u8) as char);
            i /= 26;
            if i == 0 {
                return w;
            }
        }
    }

    #[test]
    fn memory_is_capped_and_every_line_still_counted() {
        let mut leaf = Drain::default();
        for i in 0..1_500 {
            let w = letters(i);
            leaf.add(&format!("{w} {w}a {w}b {w}c"), None);
        }
        assert!(leaf.overflowed());
        // Full routes: up to 99 one-word children at each of the 3 levels, then the leaf.
        assert!(leaf.templates().len() <= MAX_LEAF + 3 * 99 + 1);
        let mut d = Drain::default().with_max_bytes(2_000);
        for i in 0..10_000 {
            // Unique words: every line would start a template.
            let w = letters(i);
            d.add(&format!("{w} {w}a {w}b {w}c"), None);
        }
        let t = d.templates();
        assert!(d.overflowed());
        assert!(t.len() < 200, "{}", t.len());
        assert_eq!(t.iter().map(|t| t.count).sum::<u64>(), 10_000);
        assert_eq!(t.last().map(|t| t.template.as_str()), Some(WILD));
        let mut long = Drain::default();
        let a = long.add(&format!("payload {}", "x".repeat(1000)), None);
        let b = long.add(&format!("payload {}", "y".repeat(2000)), None);
        assert_eq!(a, b);
        assert!(!long.overflowed());
    }

    #[test]
    fn first_and_last_times() {
        let mut d = Drain::default();
        let t1 = crate::snapshot::time_from_unix(100);
        let t2 = crate::snapshot::time_from_unix(200);
        d.add("link down on eth0", t2);
        d.add("link down on eth1", t1);
        let t = &d.templates()[0];
        assert_eq!((t.first, t.last, t.count), (t1, t2, 2));
        assert!(d.add("", None) > 0);
    }
}
