//! Secret masking, on by default in every output (`--no-redact` turns it off).
//!
//! What is masked (each replaced by `***`):
//! - values of long options whose name says secret: `--password=x`, `--token x`,
//!   `--client-secret=x` (but not `--password-file=PATH`);
//! - tool-specific short options: `mysql -pX`, `sshpass -p X`, `redis-cli -a X`,
//!   `curl -u user:X` (the user is kept);
//! - `NAME=value` (environment assignments, query strings, `key=value` configs) where
//!   `NAME` looks secret: PASSWORD, PASSWD, SECRET, TOKEN, KEY, CREDENTIAL, AUTH…;
//! - `"password": "x"` in JSON-looking text;
//! - credentials inside URLs: `scheme://user:pass@host` keeps user and host;
//! - `Bearer`/`Basic` authorisation tokens, AWS-style access key ids, PEM blocks.
//!
//! Free text such as `Failed password for root from 10.0.0.1` is left alone: only
//! assignments and options are treated as secrets, so log lines stay readable.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// The mask that replaces a secret.
pub(crate) const MASK: &str = "***";

static PEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)-----BEGIN ([A-Z0-9 ]+)-----.*?(?:-----END ([A-Z0-9 ]+)-----|\z)")
        .expect("static regex")
});
static URL_CREDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)([^:/@\s]*):([^@\s/]+)@").expect("static regex")
});
static AWS_KEY_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b")
        .expect("static regex")
});
static JSON_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""([A-Za-z0-9_.-]+)"(\s*:\s*)"((?:[^"\\]|\\.)*)""#).expect("static regex")
});
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(^|[\s?&;,(])([A-Za-z_][A-Za-z0-9_.-]*)=([^\s&;,)]*)").expect("static regex")
});

/// Mask secrets in `text`. Returns the input unchanged (borrowed) when there is nothing
/// to mask.
pub(crate) fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    if out.contains("-----BEGIN ") {
        out = Cow::Owned(
            PEM.replace_all(&out, "-----BEGIN $1-----***-----END $1-----")
                .into_owned(),
        );
    }
    if out.contains("://") {
        if let Cow::Owned(s) = URL_CREDS.replace_all(&out, "$1$2:***@") {
            out = Cow::Owned(s);
        }
    }
    if let Cow::Owned(s) = AWS_KEY_ID.replace_all(&out, MASK) {
        out = Cow::Owned(s);
    }
    if out.contains('"') {
        let replaced = JSON_SECRET.replace_all(&out, |c: &regex::Captures| {
            if is_secret_name(&c[1]) && !c[3].is_empty() {
                format!("\"{}\"{}\"{MASK}\"", &c[1], &c[2])
            } else {
                c[0].to_string()
            }
        });
        if let Cow::Owned(s) = replaced {
            out = Cow::Owned(s);
        }
    }
    if out.contains('=') {
        let replaced = ASSIGNMENT.replace_all(&out, |c: &regex::Captures| {
            let name = &c[2];
            // `--password=x` is handled by the token pass, which knows about `-file` names.
            let is_option = c
                .get(2)
                .is_some_and(|m| m.start() > 0 && out.as_bytes()[m.start() - 1] == b'-');
            if !is_option && is_secret_name(name) && !c[3].is_empty() && &c[3] != MASK {
                format!("{}{}={MASK}", &c[1], name)
            } else {
                c[0].to_string()
            }
        });
        if let Cow::Owned(s) = replaced {
            out = Cow::Owned(s);
        }
    }
    match redact_tokens(&out) {
        Some(s) => Cow::Owned(s),
        None => out,
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

/// Words that make a name secret when a `_`/`-`/`.`-separated part of it equals one of them.
const SECRET_PARTS: &[&str] = &[
    "key",
    "pwd",
    "pass",
    "auth",
    "apikey",
    "passphrase",
    "sig",
    "signature",
    "cookie",
    "session",
];
/// Words that make a name secret wherever they appear in it (`PGPASSWORD`, `dbpassword`).
const SECRET_SUBSTRINGS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "credential",
    "apikey",
    "privatekey",
];
/// A name ending in one of these names a place or a size, not a secret (`SSL_KEY_FILE`).
const NOT_SECRET_SUFFIXES: &[&str] = &[
    "file", "path", "dir", "length", "len", "size", "type", "name", "id", "url",
];

/// True when an option, variable or field called `name` holds a secret.
pub(crate) fn is_secret_name(name: &str) -> bool {
    let lower = name.trim_start_matches('-').to_ascii_lowercase();
    let parts: Vec<&str> = lower
        .split(['_', '-', '.'])
        .filter(|p| !p.is_empty())
        .collect();
    let Some(last) = parts.last() else {
        return false;
    };
    if parts.len() > 1 && NOT_SECRET_SUFFIXES.contains(last) {
        return false;
    }
    // AWS_ACCESS_KEY_ID style ids are not secret, but `AWS_SECRET_ACCESS_KEY` is.
    SECRET_SUBSTRINGS.iter().any(|w| lower.contains(w))
        || parts.iter().any(|p| SECRET_PARTS.contains(p))
}

/// What the token after the current one is.
#[derive(Clone, Copy, PartialEq)]
enum Next {
    Plain,
    /// Mask it whole.
    Secret,
    /// `user:password`: keep the user.
    UserPass,
}

/// Tools whose short options carry passwords, and how.
fn program_of(token: &str) -> &str {
    token.rsplit('/').next().unwrap_or(token)
}

fn is_mysql_family(program: &str) -> bool {
    matches!(
        program,
        "mysql"
            | "mysqldump"
            | "mysqladmin"
            | "mysqlimport"
            | "mysqlshow"
            | "mysqlcheck"
            | "mysqlpump"
            | "mariadb"
            | "mariadb-dump"
            | "mariadb-admin"
            | "mariadb-import"
            | "mariadb-check"
    )
}

fn is_password_tool(program: &str) -> bool {
    is_mysql_family(program)
        || matches!(
            program,
            "sshpass" | "redis-cli" | "mongo" | "mongosh" | "mongodump" | "mongorestore" | "curl"
        )
}

/// Token-aware pass: options whose value is the next argument, and tool-specific short
/// options. Returns `None` when nothing was masked.
fn redact_tokens(text: &str) -> Option<String> {
    if !text.contains('-')
        && !text.to_ascii_lowercase().contains("bearer")
        && !text.contains("asic")
    {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut next = Next::Plain;
    let mut program = "";
    let mut prev_lower = String::new();
    let mut rest = text;
    let mut first_in_command = true;
    while !rest.is_empty() {
        let ws_len = rest.len() - rest.trim_start().len();
        out.push_str(&rest[..ws_len]);
        if rest[..ws_len].contains('\n') {
            first_in_command = true;
            next = Next::Plain;
        }
        rest = &rest[ws_len..];
        if rest.is_empty() {
            break;
        }
        let tok_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let token = &rest[..tok_len];
        rest = &rest[tok_len..];

        let replaced: Option<String> = match next {
            Next::Secret if token != MASK => Some(MASK.to_string()),
            Next::UserPass => token
                .split_once(':')
                .map(|(user, _)| format!("{user}:{MASK}")),
            _ => None,
        };
        next = Next::Plain;
        if let Some(r) = replaced {
            changed = true;
            out.push_str(&r);
            prev_lower = r;
            continue;
        }

        if !token.starts_with('-') && !token.contains('=') {
            // The program whose options follow: the first word of a command, or any later
            // word naming a tool with password options (`sudo -u postgres mysql -pX`).
            let p = program_of(token);
            let wrapper = matches!(
                p,
                "sudo" | "env" | "nohup" | "exec" | "time" | "nice" | "ionice" | "timeout"
            );
            if (first_in_command || is_password_tool(p)) && !wrapper {
                program = p;
                first_in_command = false;
            }
        }
        let mut emitted: Option<String> = None;
        let lower = token.to_ascii_lowercase();
        if let Some(opt) = token.strip_prefix("--") {
            match opt.split_once('=') {
                Some((name, value))
                    if !value.is_empty() && value != MASK && is_secret_name(name) =>
                {
                    emitted = Some(format!("--{name}={MASK}"));
                }
                Some((name, value))
                    if matches!(name, "user" | "proxy-user") && value.contains(':') =>
                {
                    let user = value.split_once(':').map(|(u, _)| u).unwrap_or_default();
                    emitted = Some(format!("--{name}={user}:{MASK}"));
                }
                Some(_) => {}
                None => {
                    if matches!(opt, "user" | "proxy-user") && matches!(program, "curl") {
                        next = Next::UserPass;
                    } else if is_secret_name(opt)
                        && !(is_mysql_family(program) && opt == "password")
                    {
                        next = Next::Secret;
                    }
                }
            }
        } else if let Some((prefix, name)) = token.strip_prefix('-').and_then(|t| {
            let rest = t.get(1..)?;
            let (name, value) = rest.split_once('=')?;
            let secret = is_secret_name(name) && !value.is_empty() && value != MASK;
            secret.then(|| (&token[..token.len() - rest.len()], name))
        }) {
            // `-Dspring.datasource.password=x`, `-Xsecret=x`
            emitted = Some(format!("{prefix}{name}={MASK}"));
        } else if let (Some(flag), Some(attached), false) = (
            token.get(1..2),
            token.get(2..),
            !token.starts_with('-') || token.starts_with("--"),
        ) {
            match (program, flag) {
                (p, "p") if is_mysql_family(p) && !attached.is_empty() && attached != MASK => {
                    emitted = Some(format!("-p{MASK}"));
                }
                ("sshpass", "p")
                | ("redis-cli", "a")
                | ("mongo" | "mongosh" | "mongodump" | "mongorestore", "p") => {
                    if attached.is_empty() {
                        next = Next::Secret;
                    } else if attached != MASK {
                        emitted = Some(format!("-{flag}{MASK}"));
                    }
                }
                ("curl", "u" | "U") => {
                    if attached.is_empty() {
                        next = Next::UserPass;
                    } else if let Some((user, _)) = attached.split_once(':') {
                        emitted = Some(format!("-{flag}{user}:{MASK}"));
                    }
                }
                _ => {}
            }
        } else if lower == "bearer"
            || (lower == "basic" && prev_lower.ends_with("authorization:"))
            || lower.ends_with("authorization:bearer")
            || lower.ends_with("authorization:basic")
        {
            next = Next::Secret;
        }
        match emitted {
            Some(e) => {
                changed = true;
                out.push_str(&e);
            }
            None => out.push_str(token),
        }
        prev_lower = lower;
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (input, expected). Expected == input means "must not be masked".
    const CASES: &[(&str, &str)] = &[
        // long options
        (
            "myapp --password=hunter2 --port 8080",
            "myapp --password=*** --port 8080",
        ),
        (
            "myapp --password hunter2 --port 8080",
            "myapp --password *** --port 8080",
        ),
        (
            "vault login --token s.abcdEFGH1234",
            "vault login --token ***",
        ),
        (
            "app --client-secret=abc123 --client-id=myclient",
            "app --client-secret=*** --client-id=myclient",
        ),
        ("app --db-pass=x", "app --db-pass=***"),
        ("app --api-key 0123456789abcdef", "app --api-key ***"),
        (
            "app --password-file=/run/secrets/db",
            "app --password-file=/run/secrets/db",
        ),
        (
            "app --token-file /var/run/token",
            "app --token-file /var/run/token",
        ),
        // tool-specific short options
        ("mysql -u root -pS3cr3t mydb", "mysql -u root -p*** mydb"),
        (
            "/usr/bin/mysqldump -uroot -phunter2 --all-databases",
            "/usr/bin/mysqldump -uroot -p*** --all-databases",
        ),
        ("mysql -u root -p mydb", "mysql -u root -p mydb"),
        ("mysql --password mydb", "mysql --password mydb"),
        (
            "sshpass -p hunter2 ssh admin@db1",
            "sshpass -p *** ssh admin@db1",
        ),
        (
            "redis-cli -h 10.0.0.5 -a s3cret ping",
            "redis-cli -h 10.0.0.5 -a *** ping",
        ),
        (
            "curl -u admin:hunter2 https://api.example.com/",
            "curl -u admin:*** https://api.example.com/",
        ),
        (
            "curl --user admin:hunter2 https://x",
            "curl --user admin:*** https://x",
        ),
        (
            "sudo -u postgres mysql -pabc",
            "sudo -u postgres mysql -p***",
        ),
        // -p that is not a password
        ("ssh -p 2222 admin@host", "ssh -p 2222 admin@host"),
        ("docker run -p 8080:80 nginx", "docker run -p 8080:80 nginx"),
        ("mkdir -p /var/lib/app", "mkdir -p /var/lib/app"),
        ("mysql -é x", "mysql -é x"),
        ("-", "-"),
        ("redis-server *:6379", "redis-server *:6379"),
        // assignments
        (
            "env DB_PASSWORD=hunter2 ./run.sh",
            "env DB_PASSWORD=*** ./run.sh",
        ),
        (
            "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG ./deploy",
            "AWS_SECRET_ACCESS_KEY=*** ./deploy",
        ),
        ("PGPASSWORD=pw psql -h db", "PGPASSWORD=*** psql -h db"),
        (
            "java -Dapp.secret=xyz -jar app.jar",
            "java -Dapp.secret=*** -jar app.jar",
        ),
        (
            "java -Dspring.datasource.password=pw -jar a.jar",
            "java -Dspring.datasource.password=*** -jar a.jar",
        ),
        (
            "GET /login?user=bob&token=abcdef&x=1",
            "GET /login?user=bob&token=***&x=1",
        ),
        (
            "SSL_KEY_FILE=/etc/ssl/private/key.pem nginx",
            "SSL_KEY_FILE=/etc/ssl/private/key.pem nginx",
        ),
        (
            "LANG=en_US.UTF-8 KEYBOARD=us TERM=xterm",
            "LANG=en_US.UTF-8 KEYBOARD=us TERM=xterm",
        ),
        ("AWS_ACCESS_KEY_ID=foo", "AWS_ACCESS_KEY_ID=foo"),
        ("nginx: worker process", "nginx: worker process"),
        // URLs
        (
            "psql postgres://app:s3cr3t@db.internal:5432/app",
            "psql postgres://app:***@db.internal:5432/app",
        ),
        (
            "git clone https://x-token:ghp_abc@github.com/o/r",
            "git clone https://x-token:***@github.com/o/r",
        ),
        (
            "curl https://example.com:8443/path",
            "curl https://example.com:8443/path",
        ),
        (
            "redis://:onlypass@cache:6379/0",
            "redis://:***@cache:6379/0",
        ),
        // headers and keys
        (
            "curl -H Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig https://x",
            "curl -H Authorization: Bearer *** https://x",
        ),
        (
            "Authorization: Basic YWRtaW46aHVudGVyMg==",
            "Authorization: Basic ***",
        ),
        (
            "aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE",
            "aws configure set aws_access_key_id ***",
        ),
        (
            r#"{"user":"bob","password":"hunter2"}"#,
            r#"{"user":"bob","password":"***"}"#,
        ),
        // log lines that must stay readable
        (
            "sshd[123]: Failed password for root from 10.0.0.1 port 22 ssh2",
            "sshd[123]: Failed password for root from 10.0.0.1 port 22 ssh2",
        ),
        (
            "kernel: Out of memory: Killed process 1234 (java)",
            "kernel: Out of memory: Killed process 1234 (java)",
        ),
        ("postgres: checkpointer", "postgres: checkpointer"),
        (
            "/usr/sbin/sshd -D -o AuthorizedKeysFile=.ssh/keys",
            "/usr/sbin/sshd -D -o AuthorizedKeysFile=.ssh/keys",
        ),
    ];

    #[test]
    fn table_of_command_lines() {
        let mut failures = Vec::new();
        for (input, expected) in CASES {
            let got = redact(input);
            if got != *expected {
                failures.push(format!(
                    "  {input:?}\n    got      {got:?}\n    expected {expected:?}"
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "redaction mismatches:\n{}",
            failures.join("\n")
        );
    }

    #[test]
    fn pem_blocks_are_masked_and_labelled() {
        let text = "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----\nend";
        let out = redact(text);
        assert!(!out.contains("MIIEowIBAAKCAQEA"), "{out}");
        assert!(
            out.contains("-----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY-----"),
            "{out}"
        );
        assert!(out.ends_with("\nend"));
        // Truncated block: everything after BEGIN goes.
        let out = redact("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk");
        assert!(!out.contains("b3BlbnNzaC1rZXk"), "{out}");
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(
            redact("/usr/sbin/nginx -g daemon off;"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn idempotent() {
        for (input, _) in CASES {
            let once = redact(input).into_owned();
            assert_eq!(redact(&once), once, "{input}");
        }
    }
}
