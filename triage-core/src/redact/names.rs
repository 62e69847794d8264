//! Which names hold a secret: option, variable, field and header names, judged on whole
//! name parts (`DB_PASSWORD`, `apiKey`, `--client-secret`), never on substrings
//! (`KEYBOARD`, `--session-timeout`, `--cache-key`, `--with-auth`).

/// A part equal to one of these, or ending with one (`PGPASSWORD`, `accesstoken`), makes
/// the name secret wherever the part stands.
const STRONG: &[&str] = &[
    "password",
    "passwords",
    "passwd",
    "secret",
    "secrets",
    "token",
    "tokens",
    "passphrase",
    "credential",
    "credentials",
    "apikey",
    "privatekey",
];
/// A name whose last part is one of these holds a secret (`ssh_pass`, `api-key`, `auth`).
const HEADS: &[&str] = &[
    "pass",
    "pwd",
    "pw",
    "key",
    "creds",
    "auth",
    "authorization",
    "cookie",
    "signature",
    "sig",
    "session",
    "sessionid",
    "dsn",
];
/// `key` after one of these names something that is not a secret (`--cache-key`,
/// `PRIMARY_KEY`, `public_key`).
const KEY_QUALIFIERS: &[&str] = &[
    "cache",
    "sort",
    "primary",
    "foreign",
    "partition",
    "shard",
    "routing",
    "public",
    "pub",
    "group",
    "row",
    "map",
    "lookup",
    "index",
    "dedup",
    "idempotency",
    "host",
    "ssh-host",
    "foreign",
];
/// A name ending in one of these names a place, a size or a setting about the secret,
/// not the secret (`SSL_KEY_FILE`, `--password-file`, `--auth-method`, `token_ttl`).
const NOT_SECRET_LAST: &[&str] = &[
    "file",
    "files",
    "path",
    "dir",
    "directory",
    "length",
    "len",
    "size",
    "type",
    "name",
    "id",
    "url",
    "uri",
    "timeout",
    "method",
    "mode",
    "ttl",
    "expiry",
    "expires",
    "expiration",
    "age",
    "count",
    "policy",
    "algorithm",
    "alg",
    "format",
    "version",
    "enabled",
    "required",
    "prompt",
    "endpoint",
    "host",
    "port",
    "user",
    "username",
    "location",
    "store",
    "provider",
    "command",
    "cmd",
    "helper",
    "env",
    "fd",
    "stdin",
    "lifetime",
    "interval",
    "limit",
    "retries",
    "realm",
    "backend",
    "scheme",
    "header",
    "hint",
    "level",
];
/// A first part that makes the whole name a switch (`--with-auth=pam`, `--enable-auth`).
const SWITCH_FIRST: &[&str] = &[
    "with", "without", "enable", "disable", "use", "no", "allow", "require", "skip",
];

/// True when an option, variable, field or header called `name` holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let parts = parts(name);
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    if parts.len() > 1
        && (NOT_SECRET_LAST.contains(&last.as_str()) || SWITCH_FIRST.contains(&first.as_str()))
    {
        return false;
    }
    let strong = parts.iter().any(|p| {
        STRONG
            .iter()
            .any(|w| p == w || (p.len() > w.len() && p.ends_with(w)))
    });
    if strong {
        return true;
    }
    if !HEADS.contains(&last.as_str()) {
        return false;
    }
    let before = parts.len().checked_sub(2).and_then(|i| parts.get(i));
    !(last == "key" && before.is_some_and(|b| KEY_QUALIFIERS.contains(&b.as_str())))
}

/// Lower-case parts of a name, split at `_ - . : /` and at camelCase humps
/// (`X-Api-Key`, `_authToken`, `spring.datasource.password`).
fn parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.trim_start_matches('-').chars() {
        if matches!(c, '_' | '-' | '.' | ':' | '/') {
            if !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            parts.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::is_secret_name;

    #[test]
    fn whole_parts_not_substrings() {
        for n in [
            "DB_PASSWORD",
            "PGPASSWORD",
            "apiKey",
            "X-Api-Key",
            "_authToken",
            "--client-secret",
            "STRIPE_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "spring.datasource.password",
            "ssh_pass",
            "MYSQL_PWD",
            "secret_key_base",
            "token",
            "accessToken",
            "Authorization",
        ] {
            assert!(is_secret_name(n), "{n} should be secret");
        }
        for n in [
            "KEYBOARD",
            "monkey",
            "--session-timeout",
            "--cache-key",
            "--with-auth",
            "--auth-method",
            "SSL_KEY_FILE",
            "--password-file",
            "AWS_ACCESS_KEY_ID",
            "tokenizer",
            "public_key",
            "AuthorizedKeysFile",
            "bypass",
            "compass",
            "LANG",
        ] {
            assert!(!is_secret_name(n), "{n} should not be secret");
        }
    }
}
