//! Variables in runbook commands: `{mount}` is replaced by the finding's value, shell-quoted
//! with [`shlex::try_quote`], so a mount point like `/mnt/a b; rm -rf /` stays one word and
//! is never run.
//!
//! The syntax, chosen so that ordinary shell and awk text needs no escaping:
//! - `{name}` where `name` is lowercase letters, digits and `_` (starting with a letter or
//!   `_`) is a variable;
//! - `${name}`, `{}`, `{ print $1 }`, `{print $1}`… are left alone (shell and awk syntax);
//! - `{{name}}` is a literal `{name}` (for `curl -w '%{{http_code}}'`).
//!
//! A variable may not stand inside single or double quotes: the value is quoted already, and
//! a quoted value inside `"…"` would let `$(…)` in it run. The validator reports it and
//! rendering refuses it.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::runbook::Runbook;
use crate::snapshot::Finding;

/// A piece of a command template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Text copied as is.
    Literal(&'a str),
    /// A variable name (without braces).
    Var {
        /// The name.
        name: &'a str,
        /// True when it stands inside shell quotes (an error).
        quoted: bool,
    },
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Length of the run of variable-name characters that starts `s`.
fn ident_len(s: &str) -> usize {
    s.bytes()
        .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        .count()
}

/// Quote state of a shell word scanner: enough to know whether a position is inside
/// quotes (single, double, backslash-escaped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// Split `template` into literal text and variables, in order.
pub(crate) fn parse(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let bytes = template.as_bytes();
    let mut quote = Quote::None;
    let mut lit_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match (quote, b) {
            (Quote::None, b'\\') | (Quote::Double, b'\\') => {
                i += 2;
                continue;
            }
            (Quote::None, b'\'') => quote = Quote::Single,
            (Quote::Single, b'\'') => quote = Quote::None,
            (Quote::None, b'"') => quote = Quote::Double,
            (Quote::Double, b'"') => quote = Quote::None,
            (_, b'{') => {
                let rest = template.get(i..).unwrap_or("");
                // `{{name}}`: a literal `{name}`.
                // Names are scanned, not searched for: a `find('}')` from every `{` was
                // quadratic (minutes on a file of `{`).
                if let Some(inner) = rest.strip_prefix("{{") {
                    let end = ident_len(inner);
                    if inner.get(end..).is_some_and(|r| r.starts_with("}}")) {
                        let name = inner.get(..end).unwrap_or("");
                        if is_ident(name) {
                            // `…{` then `name}`: drops one brace of each pair.
                            push_lit(&mut out, template, lit_start, i + 1);
                            push_lit(&mut out, template, i + 2, i + 2 + end + 1);
                            i += 2 + end + 2;
                            lit_start = i;
                            continue;
                        }
                    }
                }
                let after_dollar = i > 0 && bytes[i - 1] == b'$';
                let end = 1 + ident_len(rest.get(1..).unwrap_or(""));
                if rest.get(end..).is_some_and(|r| r.starts_with('}')) {
                    let name = rest.get(1..end).unwrap_or("");
                    if !after_dollar && is_ident(name) {
                        push_lit(&mut out, template, lit_start, i);
                        out.push(Piece::Var {
                            name,
                            quoted: quote != Quote::None,
                        });
                        i += end + 1;
                        lit_start = i;
                        continue;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    push_lit(&mut out, template, lit_start, bytes.len());
    out
}

fn push_lit<'a>(out: &mut Vec<Piece<'a>>, s: &'a str, from: usize, to: usize) {
    if let Some(text) = s.get(from..to.min(s.len())) {
        if !text.is_empty() {
            out.push(Piece::Literal(text));
        }
    }
}

/// The variable names `template` uses, in order of first use.
pub fn variables_in(template: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for p in parse(template) {
        if let Piece::Var { name, .. } = p {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    names
}

/// Render `template` with `vars`: each `{name}` becomes its value, shell-quoted. Errors
/// name the variable: one with no value, an empty value, a value with a NUL byte, or one
/// standing inside quotes.
pub fn render_with(template: &str, vars: &BTreeMap<String, String>) -> Result<String> {
    let mut out = String::with_capacity(template.len() + 32);
    for p in parse(template) {
        match p {
            Piece::Literal(text) => out.push_str(text),
            Piece::Var { name, quoted: true } => {
                return Err(Error::Invalid(format!(
                    "{{{name}}} stands inside quotes in {template:?}: triage quotes values \
                     itself; remove the quotes around it"
                )))
            }
            Piece::Var { name, .. } => {
                let value = vars.get(name).ok_or_else(|| {
                    Error::Invalid(format!(
                        "no value for {{{name}}}: the finding does not give one; \
                         set it (triage runbook run … --var {name}=VALUE)"
                    ))
                })?;
                if value.is_empty() {
                    return Err(Error::Invalid(format!(
                        "{{{name}}} is empty; set it (triage runbook run … --var {name}=VALUE)"
                    )));
                }
                let q = shlex::try_quote(value).map_err(|e| {
                    Error::Invalid(format!("value of {{{name}}} cannot be quoted: {e}"))
                })?;
                out.push_str(&q);
            }
        }
    }
    Ok(out)
}

/// Render `template` with the finding's variables, `extra` taking precedence over them.
pub fn render_command(
    template: &str,
    finding: &Finding,
    extra: &BTreeMap<String, String>,
) -> Result<String> {
    let mut vars = finding.vars.clone();
    vars.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    render_with(template, &vars)
}

/// Every variable a step of `runbook` may use, lowest precedence first: the runbook's
/// `[vars]` defaults, `host` (this machine's name), the finding's `vars`, then `overrides`
/// (`--var`, or what the responder typed).
pub fn context(
    runbook: &Runbook,
    finding: Option<&Finding>,
    overrides: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut vars = runbook.vars.clone();
    if let Ok(h) = crate::HostRoot::live().read_proc("sys/kernel/hostname") {
        if !h.trim().is_empty() {
            vars.insert("host".to_string(), h.trim().to_string());
        }
    }
    if let Some(f) = finding {
        vars.extend(f.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    vars.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
    vars
}

/// Render one command of `runbook` (a step's check, fix or rollback) with [`context`].
pub fn render_step(
    runbook: &Runbook,
    template: &str,
    finding: Option<&Finding>,
    overrides: &BTreeMap<String, String>,
) -> Result<String> {
    render_with(template, &context(runbook, finding, overrides))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Severity;

    fn finding(k: &str, v: &str) -> Finding {
        Finding::new("disk_almost_full", Severity::Warning, "t").var(k, v)
    }

    /// Run `sh -c 'printf "%s\n" ARG'` with the rendered word and return what the shell
    /// saw: proves the value arrived as exactly one argument, unexpanded.
    fn shell_sees(rendered: &str) -> String {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(rendered)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn hostile_values_stay_one_word() {
        let hostile = [
            "/mnt/with space",
            "/mnt/a;touch /tmp/triage-pwned-1",
            "/mnt/$(touch /tmp/triage-pwned-2)",
            "/mnt/`touch /tmp/triage-pwned-3`",
            "/mnt/it's \"quoted\"",
            "/mnt/a\nb",
            "-rf",
            "$HOME",
            "*",
        ];
        for v in hostile {
            let cmd = render_command(
                "printf '[%s]\\n' {mount}",
                &finding("mount", v),
                &BTreeMap::new(),
            )
            .unwrap();
            assert_eq!(shell_sees(&cmd), format!("[{v}]\n"), "{cmd}");
        }
        for n in 1..=3 {
            assert!(!std::path::Path::new(&format!("/tmp/triage-pwned-{n}")).exists());
        }
    }

    #[test]
    fn missing_empty_and_quoted_variables_are_errors_naming_them() {
        let f = finding("mount", "/var");
        let e = render_command("df -h {device}", &f, &BTreeMap::new()).unwrap_err();
        assert!(e.to_string().contains("{device}"), "{e}");
        let e = render_command("echo \"{mount}\"", &f, &BTreeMap::new()).unwrap_err();
        assert!(e.to_string().contains("inside quotes"), "{e}");
        let e = render_command("echo '{mount}'", &f, &BTreeMap::new()).unwrap_err();
        assert!(e.to_string().contains("inside quotes"), "{e}");
        let empty = finding("mount", "");
        let e = render_command("df {mount}", &empty, &BTreeMap::new()).unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
        let nul = finding("mount", "a\0b");
        assert!(render_command("df {mount}", &nul, &BTreeMap::new()).is_err());
    }

    #[test]
    fn shell_and_awk_braces_are_left_alone() {
        let f = finding("mount", "/var/log");
        let t = "du -x {mount} | awk '{print $1}' | sed -n '1p' ; echo ${HOME} {} { x; } \
                 '%{{http_code}}' \"a\\\"{{b}}\"";
        let r = render_command(t, &f, &BTreeMap::new()).unwrap();
        assert_eq!(
            r,
            "du -x /var/log | awk '{print $1}' | sed -n '1p' ; echo ${HOME} {} { x; } \
             '%{http_code}' \"a\\\"{b}\""
        );
        assert_eq!(variables_in(t), vec!["mount".to_string()]);
    }

    #[test]
    fn extra_and_overrides_take_precedence() {
        let f = finding("mount", "/var");
        let mut extra = BTreeMap::new();
        extra.insert("mount".to_string(), "/srv".to_string());
        assert_eq!(render_command("df {mount}", &f, &extra).unwrap(), "df /srv");
        let rb = Runbook {
            vars: [("keep".to_string(), "500M".to_string())].into(),
            ..Runbook::default()
        };
        let cmd = render_step(&rb, "x {keep} {mount} {host}", Some(&f), &BTreeMap::new());
        let cmd = cmd.unwrap();
        assert!(cmd.starts_with("x 500M /var "), "{cmd}");
    }

    #[test]
    fn many_open_braces_parse_in_linear_time() {
        // Was quadratic: every `{` searched the rest of the text for `}`.
        let text = "{".repeat(200_000);
        let started = std::time::Instant::now();
        assert_eq!(parse(&text), vec![Piece::Literal(text.as_str())]);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // Names still end at their `}`; in `{{a}b}}` the inner `{a}` is the variable.
        assert_eq!(
            parse("x {{a}b}} {host}"),
            vec![
                Piece::Literal("x {"),
                Piece::Var {
                    name: "a",
                    quoted: false
                },
                Piece::Literal("b}} "),
                Piece::Var {
                    name: "host",
                    quoted: false
                }
            ]
        );
    }
}
