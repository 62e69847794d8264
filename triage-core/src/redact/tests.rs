//! The masker's cases: command lines, assignments, URLs, headers, PEM blocks.

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

/// The one-pass gate ([`scan::Hints`]) only skips finders that would find nothing: on every
/// line of the redaction corpus, the table above, loghub's Linux_2k when present, and
/// lines made to sit on the gate's edges, running every finder gives the same output.
#[test]
fn the_gate_skips_only_finders_that_find_nothing() {
    let corpus = include_str!("../../tests/fixtures/redaction/corpus.toml");
    let mut lines: Vec<String> = corpus
        .lines()
        .filter_map(|l| l.strip_prefix("line = "))
        .flat_map(|l| {
            l.trim_matches('"')
                .split("\\n")
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    lines.extend(CASES.iter().map(|c| c.0.to_string()));
    lines.extend(
        [
            "x-auth-token : abc",
            "glpat--token: zzz",
            "SK0123456789abcdef0123456789abcdef",
            "note: api_\u{212a}ey = s3cr\u{e9}t",
            "AUTHORIZATION:\tBasic dXNlcjpwYXNz",
            "mysql\u{a0}-pS3cr3t",
            "ſecret=x password\u{3000}--token abc",
            "pw:'x' PW = \"y\" passwd\t=>z",
            "connect rsync://user:pa55@host/x and https://h:8080/p@x",
            "id=AKIAIOSFODNN7EXAMPLE a-xoxb-1234567890-abc xapp-1-A-1-B",
            "p.eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2ln SG.aaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbb",
            "x SK0123456789abcdef0123456789abcdef ghp_0123456789abcdefghijABCDEFGHIJ012345",
        ]
        .map(str::to_string),
    );
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/loghub/Linux/Linux_2k.log"
    );
    if let Ok(text) = std::fs::read_to_string(shared) {
        lines.extend(text.lines().map(str::to_string));
    }
    for line in &lines {
        let (mut gated, mut every) = (Vec::new(), Vec::new());
        find(line, &mut gated);
        find_with(line, &scan::Hints::all(), &mut every);
        assert_eq!(apply(line, gated), apply(line, every), "{line}");
    }
}

/// The gate against every finder on lines made of random pieces that sit on its edges
/// (secret words, header names, token starts, separators, quotes, dashes, non-ASCII).
#[test]
fn the_gate_agrees_with_every_finder_on_random_lines() {
    const PIECES: &[&str] = &[
        "pass",
        "word",
        "PASSWD",
        "token",
        "Key",
        "auth",
        "Bearer ",
        "bearer\t",
        "cookie",
        "Authorization",
        "X-Api-Key",
        "-token",
        "ghp_",
        "xoxb-",
        "AKIA",
        "eyJ",
        "SG.",
        "sk_live_",
        "SK",
        "hf_",
        "://",
        "@",
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----END ",
        "/services/",
        "hooks.slack.com/",
        "T0123456/B0123456/",
        ":",
        "=",
        "=>",
        " ",
        "  ",
        "\t",
        "'",
        "\"",
        "-",
        "--",
        "mysql",
        "-p",
        "curl",
        "-u",
        "htpasswd",
        "-b",
        "0123456789abcdef",
        "ABCDEFGHIJKLMNOP",
        "abcdefghijklmnopqrst",
        "Zz9",
        ".",
        "_",
        ",",
        ";",
        "\u{212a}ey",
        "\u{e9}",
        "secret",
        "dsn",
        "user:",
        "rsync://",
        "%",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..20_000 {
        let n = 1 + next() % 16;
        let line: String = (0..n)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        let (mut gated, mut every) = (Vec::new(), Vec::new());
        find(&line, &mut gated);
        find_with(&line, &scan::Hints::all(), &mut every);
        assert_eq!(apply(&line, gated), apply(&line, every), "{line:?}");
    }
}

/// Word boundaries are ASCII ones: a token glued to Japanese (or any non-ASCII) text is
/// still a token, and the regexes stay on their fast DFA on such text (a Unicode `\b`
/// made a Japanese line ~35× slower to redact than an ASCII one).
#[test]
fn tokens_next_to_non_ascii_text_are_masked() {
    let token = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
    for line in [
        format!("トークン{token}を発行しました"),
        format!("clé:{token}é"),
        format!("Nov 30 10:00:01 web-1 app[1]: ユーザー認証 token={token}"),
    ] {
        let out = redact(&line);
        assert!(!out.contains(token), "{line} -> {out}");
        assert!(out.contains(MASK), "{out}");
    }
    let plain = "Nov 30 10:00:01 web-1 app[1]: 注文処理を開始します order_id=12345";
    assert_eq!(redact(plain), plain);
}

/// A log tail cut after a key's BEGIN line: the body lines before its END marker are
/// masked too, the short last one included (no blob heuristic catches that one).
#[test]
fn a_tail_that_starts_inside_a_key_masks_its_body() {
    let mut lines: Vec<String> = [
        "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn7ygWPbQ4mRkCLT5Ht9hcLYwT1Gq8xqQ2V",
        "I4PR/RKO3MvH",
        "-----END RSA PRIVATE KEY-----",
        "sshd[42]: Accepted publickey for deploy",
    ]
    .map(String::from)
    .to_vec();
    redact_lines(true, lines.iter_mut());
    assert!(!lines[0].contains("MIIEowIBAAKCAQEA"), "{lines:?}");
    assert!(!lines[1].contains("I4PR"), "{lines:?}");
    assert_eq!(lines[2], "-----END RSA PRIVATE KEY-----");
    assert_eq!(lines[3], "sshd[42]: Accepted publickey for deploy");
}
