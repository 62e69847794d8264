//! Command lines: options whose value is the next argument (`--token X`, Go-style
//! `-password X`) and tools whose own flags carry passwords (`mysql -pX`, `sshpass -p X`,
//! `docker login -p X`, `htpasswd -b FILE USER PASS`, `openssl -pass pass:X`,
//! `smbclient -U user%pass`, `ldapsearch -w X`, `redis-cli -a X`, `curl -u user:X`).

use std::ops::Range;

use super::names::is_secret_name;
use super::pairs::is_secret_value;

/// Programs run in front of the real one (`sudo -u postgres mysql -pX`).
const WRAPPERS: &[&str] = &[
    "sudo", "env", "nohup", "exec", "time", "nice", "ionice", "timeout", "doas", "chroot",
];

/// One command of a line: its program and its words.
struct Command<'a> {
    text: &'a str,
    program: &'a str,
    /// Byte ranges of the words after the program.
    words: Vec<Range<usize>>,
}

impl<'a> Command<'a> {
    /// A command of `text` with no program or words seen yet.
    fn new(text: &'a str) -> Self {
        Command {
            text,
            program: "",
            words: Vec::new(),
        }
    }
}

/// Push the ranges of password arguments in the command lines of `text` onto `out`.
pub fn find(text: &str, out: &mut Vec<Range<usize>>) {
    for cmd in commands(text) {
        find_in(&cmd, out);
    }
}

/// Split `text` into commands at newlines, `;`, `&&`, `||` and `|`, each with the
/// program whose options follow (the last word naming a password tool, else the first
/// word that is no wrapper, option or assignment).
fn commands(text: &str) -> Vec<Command<'_>> {
    let mut cmds = Vec::new();
    let mut cur = Command::new(text);
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        let sep = c.is_whitespace();
        match (sep, start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                start = None;
                let word = &text[s..i];
                if matches!(word, ";" | "&&" | "||" | "|") {
                    cmds.push(std::mem::replace(&mut cur, Command::new(text)));
                    continue;
                }
                let name = word.rsplit('/').next().unwrap_or(word);
                let is_prog = !word.starts_with('-') && !word.contains('=');
                if is_prog
                    && !WRAPPERS.contains(&name)
                    && (cur.program.is_empty() || is_password_tool(name))
                {
                    cur.program = name;
                    cur.words.clear();
                } else {
                    cur.words.push(s..i);
                }
            }
            _ => {}
        }
        if c == '\n' {
            cmds.push(std::mem::replace(&mut cur, Command::new(text)));
        }
    }
    cmds.push(cur);
    cmds
}

fn is_mysql_family(p: &str) -> bool {
    p.starts_with("mysql") || p.starts_with("mariadb")
}

fn is_password_tool(p: &str) -> bool {
    is_mysql_family(p)
        || p.starts_with("mongo")
        || p.starts_with("ldap")
        || p.starts_with("smb")
        || matches!(
            p,
            "sshpass"
                | "redis-cli"
                | "curl"
                | "docker"
                | "podman"
                | "nerdctl"
                | "buildah"
                | "skopeo"
                | "helm"
                | "htpasswd"
                | "openssl"
                | "rpcclient"
                | "influx"
                | "ipmitool"
                | "wget"
        )
}

/// How a flag of `program` carries a password: `Some(true)` when its value is a
/// `user:pass`/`user%pass`/`pass:X` pair whose first part is kept.
fn password_flag(program: &str, flag: &str, login: bool) -> Option<bool> {
    match (program, flag) {
        (p, "p") if p.starts_with("mongo") => Some(false),
        ("sshpass", "p") | ("redis-cli", "a") | ("ipmitool", "P") => Some(false),
        ("docker" | "podman" | "nerdctl" | "buildah" | "skopeo" | "helm", "p") if login => {
            Some(false)
        }
        (p, "w") if p.starts_with("ldap") => Some(false),
        ("curl", "u" | "U") => Some(true),
        (p, "U") if p.starts_with("smb") || p == "rpcclient" => Some(true),
        ("openssl", "k") => Some(false),
        _ => None,
    }
}

/// The part of a `user:pass`, `user%pass` or `pass:X` value that is secret.
fn after_user(word: &str, range: Range<usize>) -> Option<Range<usize>> {
    let sep = word.find(['%', ':'])?;
    let secret = range.start + sep + 1..range.end;
    (!secret.is_empty()).then_some(secret)
}

fn find_in(cmd: &Command<'_>, out: &mut Vec<Range<usize>>) {
    let login = cmd.words.iter().any(|w| &cmd.text[w.clone()] == "login");
    let mut positional = Vec::new();
    let mut htpasswd_batch = false;
    let mut words = cmd.words.iter().peekable();
    while let Some(w) = words.next() {
        let word = &cmd.text[w.clone()];
        let next = words.peek().map(|r| (*r).clone());
        let next_word = next.as_ref().map(|r| &cmd.text[r.clone()]);
        if !word.starts_with('-') || word == "-" {
            positional.push(w.clone());
            continue;
        }
        if cmd.program == "htpasswd" && !word.starts_with("--") && word.contains('b') {
            htpasswd_batch = true;
        }
        if let Some(r) = option(cmd, word, w.clone(), next_word, login) {
            match r {
                Take::Attached(r) => out.push(r),
                Take::Next(user_kept) => {
                    let (Some(nr), Some(nw)) = (next, next_word) else {
                        continue;
                    };
                    words.next();
                    let secret = if user_kept {
                        after_user(nw, nr)
                    } else {
                        Some(nr)
                    };
                    out.extend(secret);
                }
            }
        }
    }
    // `htpasswd -b [FILE] USER PASS`: the password is the last argument.
    if htpasswd_batch && positional.len() >= 2 {
        out.extend(positional.last().cloned());
    }
}

enum Take {
    /// Mask this range of the option word itself.
    Attached(Range<usize>),
    /// Mask the next word (keeping a `user:`/`user%`/`pass:` prefix when true).
    Next(bool),
}

/// What the option `word` (at `range`) of `cmd` says is secret.
fn option(
    cmd: &Command<'_>,
    word: &str,
    range: Range<usize>,
    next: Option<&str>,
    login: bool,
) -> Option<Take> {
    let value_ok = |v: &str| is_secret_value(v, false) && !v.starts_with('-');
    if let Some(long) = word.strip_prefix("--") {
        if long.contains('=') {
            let (name, value) = long.split_once('=')?;
            // `--user=admin:x` (curl), `--user=admin%x` (smbclient); `--password=x` is a pair.
            let user_pass = matches!(name, "user" | "proxy-user")
                && (value.contains(':') || value.contains('%'));
            return user_pass
                .then(|| after_user(value, range.end - value.len()..range.end))
                .flatten()
                .map(Take::Attached);
        }
        if matches!(long, "user" | "proxy-user") && next.is_some_and(|n| n.contains([':', '%'])) {
            return Some(Take::Next(true));
        }
        let mysql_prompt = is_mysql_family(cmd.program) && long == "password";
        let secret = is_secret_name(long) && !mysql_prompt && next.is_some_and(value_ok);
        return secret.then_some(Take::Next(false));
    }
    let flags = &word[1..];
    if cmd.program == "openssl" && matches!(flags, "pass" | "passin" | "passout") {
        return next
            .is_some_and(|n| n.starts_with("pass:"))
            .then_some(Take::Next(true));
    }
    let (flag, attached) = (flags.get(..1)?, flags.get(1..)?);
    if is_mysql_family(cmd.program) && flag == "p" && !attached.is_empty() {
        return Some(Take::Attached(range.start + 2..range.end));
    }
    if let Some(user_kept) = password_flag(cmd.program, flag, login) {
        if attached.is_empty() {
            return next.map(|_| Take::Next(user_kept));
        }
        let r = range.start + 2..range.end;
        return if user_kept {
            after_user(attached, r).map(Take::Attached)
        } else {
            Some(Take::Attached(r))
        };
    }
    // Go and Java style single-dash long options: `-password X`, `-token X`.
    let long = flags.len() > 2 && !flags.contains('=') && is_secret_name(flags);
    (long && next.is_some_and(value_ok)).then_some(Take::Next(false))
}
