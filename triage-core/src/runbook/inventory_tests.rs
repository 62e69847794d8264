use super::*;

const INV: &str = r#"
[[host]]
pattern = "web-*"
project = "shop"
role = "web"
redundant = true
dependencies = ["db-1.internal:5432", "[::1]:6379"]

[[host]]
pattern = "*"
role = "default"
"#;

#[test]
fn lookup_first_match_full_or_short_name() {
    let inv = parse(INV, "inv.toml").unwrap();
    let e = inv.lookup("web-3.prod.example.com").unwrap();
    assert_eq!(e.role, "web");
    assert!(e.redundant);
    assert_eq!(inv.lookup("WEB-1").unwrap().project, "shop");
    assert_eq!(inv.lookup("db-1").unwrap().role, "default");
    let strict = parse("[[host]]\npattern = \"web-?\"\n", "i").unwrap();
    assert!(strict.lookup("web-12").is_none());
    assert!(strict.lookup("web-1.example").is_some());
}

#[test]
fn errors_name_file_and_line() {
    let d = check_text("[[host]]\npattern = \"a\"\nrole = web\n", "inv.toml");
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].to_string().starts_with("inv.toml:3: TOML syntax"),
        "{}",
        d[0]
    );
    let d = check_text("[[host]]\npattern = \"a[\"\nrol = \"x\"\n", "inv.toml");
    assert_eq!(
        d.iter().map(ToString::to_string).collect::<Vec<_>>(),
        vec![
            "inv.toml:3: unknown key \"rol\" in [[host]] (expected one of: pattern, project, \
             role, owner, contacts, responder, redundant, dependencies, logs, fleet_dir)"
        ]
    );
    let d = check_text(
        "[[host]]\npattern = \"a[\"\ndependencies = [\"db\", \"x:1\"]\n",
        "inv.toml",
    );
    let lines: Vec<String> = d.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("inv.toml:2: pattern \"a[\""),
        "{lines:?}"
    );
    assert_eq!(lines[1], "inv.toml:3: dependency \"db\" is not host:port");
}

#[test]
fn a_broken_file_is_a_warning_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("inventory.toml");
    std::fs::write(&p, "[[host]\n").unwrap();
    let (inv, warnings) = load_path(&p);
    assert!(inv.is_none());
    assert!(warnings[0].contains("inventory.toml:1:"), "{warnings:?}");
    let (inv, warnings) = load_path(&dir.path().join("missing.toml"));
    assert!(inv.is_none());
    assert_eq!(warnings.len(), 1);
}

#[test]
fn the_embedded_example_matches_no_real_host() {
    let text = crate::runbook::load::builtin_inventory().unwrap();
    let inv = parse(text, "builtin").unwrap();
    assert!(!inv.hosts.is_empty());
    for name in [
        "localhost",
        "web-1",
        "db-1",
        "web-1.prod",
        "app01",
        "ip-10-0-0-1",
    ] {
        assert!(inv.lookup(name).is_none(), "{name} matched the example");
    }
    assert!(inv.lookup("web-1.example").is_some());
}

#[test]
fn split_targets() {
    assert_eq!(split_target("db:5432"), Some(("db", 5432)));
    assert_eq!(split_target("[::1]:80"), Some(("::1", 80)));
    assert_eq!(split_target("db"), None);
    assert_eq!(split_target("db:0"), None);
    assert_eq!(split_target(":80"), None);
}

#[test]
fn reachability_of_an_open_and_a_closed_port() {
    let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let open_port = open.local_addr().unwrap().port();
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let targets = vec![
        format!("127.0.0.1:{open_port}"),
        format!("127.0.0.1:{closed_port}"),
        "not-a-target".to_string(),
    ];
    let t0 = Instant::now();
    let r = check_reachability(&targets, Duration::from_secs(2));
    assert!(t0.elapsed() < Duration::from_secs(3));
    assert_eq!(r.len(), 3);
    assert_eq!(r[0].target, targets[0]);
    assert!(r[0].ok, "{:?}", r[0]);
    assert!(r[0].error.is_none());
    assert!(!r[1].ok);
    assert!(
        r[1].error.as_deref().unwrap().contains("refused"),
        "{:?}",
        r[1]
    );
    assert!(!r[2].ok);
    assert_eq!(r[2].error.as_deref(), Some("not host:port"));
    // The listener saw exactly one connection: ours, and nothing else was attempted.
    open.set_nonblocking(true).unwrap();
    assert!(open.accept().is_ok());
    assert!(open.accept().is_err());
}

#[test]
fn reachability_never_exceeds_its_timeout() {
    // A non-routable address: it fails at once (no route), times out, or (behind a
    // transparent proxy) connects; in every case the answer comes within the timeout.
    let t0 = Instant::now();
    let r = check_reachability(&["10.255.255.1:9".to_string()], Duration::from_millis(300));
    assert!(
        t0.elapsed() < Duration::from_millis(1000),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(r.len(), 1);
    assert!(r[0].latency_ms <= 400, "{:?}", r[0]);
}
