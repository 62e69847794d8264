use super::*;

/// Escape sequences an attacker can put in a process name or a log line.
const ATTACKS: &[&str] = &[
    "\x1b]52;c;Y3VybCBldmlsfHNo\x07", // OSC 52: write the clipboard
    "\x1b[2J\x1b[H",                  // clear the screen
    "\x1b]8;;https://evil.example/\x1b\\x\x1b]8;;\x1b\\", // OSC 8 link
    "\u{9b}31m",                      // C1 CSI
    "\u{9d}52;c;eA==\u{9c}",          // C1 OSC .. ST
    "a\rb",                           // overwrite the line
    "\u{202e}gnp.exe",                // bidi override
];

fn no_controls(s: &str) -> bool {
    !s.chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\t') || ('\u{202a}'..='\u{202e}').contains(&c)
    })
}

#[test]
fn control_sequences_become_visible_text() {
    for a in ATTACKS {
        let out = terminal(a);
        assert!(no_controls(&out), "{a:?} -> {out:?}");
        assert!(out.contains("\\x") || out.contains("\\u{"), "{out:?}");
    }
    assert_eq!(terminal("\x1b[31mred"), "\\x1b[31mred");
    assert_eq!(terminal("\u{9b}"), "\\x9b");
    assert_eq!(terminal("a\tb\nc"), "a\tb\nc");
    assert_eq!(terminal_line("a\nb"), "a\\x0ab");
    assert!(matches!(terminal("plain ünïcode"), Cow::Borrowed(_)));
}

#[test]
fn invalid_utf8_and_raw_c1_bytes_are_escaped() {
    assert_eq!(terminal_bytes(b"a\x9b1m\xffz"), "a\\x9b1m\\xffz");
    assert_eq!(terminal_bytes("é\x1b".as_bytes()), "é\\x1b");
}

#[test]
fn writer_sanitises_across_write_boundaries() {
    let mut w = SanitizingWriter::new(Vec::new());
    let bytes = "x é \x1b]52;c;AA\x07 \u{9b}2J\n".as_bytes();
    // Write one byte at a time: a split UTF-8 sequence must not be mangled.
    for b in bytes {
        w.write_all(std::slice::from_ref(b)).unwrap();
    }
    w.write_all(b"\xc3").unwrap(); // dangling lead byte at the end
    let out = String::from_utf8(w.into_inner().unwrap()).unwrap();
    assert_eq!(out, "x é \\x1b]52;c;AA\\x07 \\x9b2J\n\\xc3");
}

#[test]
fn forged_markdown_stays_literal() {
    let name = "z\n\n# OK\n<!--";
    let cell = md_cell(name);
    assert!(!cell.contains('\n'), "{cell}");
    assert!(cell.contains("\\<!--"), "{cell}");
    let item = md_list_item(name, 2);
    for line in item.lines().skip(1) {
        assert!(line.is_empty() || line.starts_with("  "), "{item:?}");
        assert!(!line.trim_start().starts_with('#'), "{item:?}");
        assert!(!line.trim_start().starts_with('<'), "{item:?}");
    }
    assert_eq!(
        md_inline("[click](https://evil)"),
        "[click\\](https://evil)"
    );
    assert_eq!(md_inline("![i][r] [kthreadd]"), "![i\\][r] [kthreadd]");
    assert_eq!(
        md_inline("<img src=x onerror=y>"),
        "\\<img src=x onerror=y>"
    );
    assert_eq!(md_inline("a|b `c` # d"), "a\\|b \\`c\\` # d");
    assert_eq!(
        md_list_item("ok\n- fake item\n1. fake", 2),
        "ok\n  \\- fake item\n  1\\. fake"
    );
    assert_eq!(md_inline("6.1.0 ===="), "6.1.0 ====");
    assert_eq!(
        md_list_item("a\n====\n[r]: https://evil", 2),
        "a\n  \\====\n  \\[r]: https://evil"
    );
    assert_eq!(md_inline("\x1b[2J"), "\\\\x1b[2J");
}

#[test]
fn code_spans_cannot_be_closed_early() {
    assert_eq!(md_code("oom_kill"), "`oom_kill`");
    assert_eq!(md_code("a`b"), "``a`b``");
    assert_eq!(md_code("`x"), "`` `x ``");
    assert_eq!(md_code("a\nb"), "`a b`");
    assert_eq!(md_fenced_line("```\n# x"), "` ` `\\x0a# x");
}

#[test]
fn json_output_stays_valid_and_lossless() {
    let v = serde_json::json!({"command": "evil\u{9b}2J\u{1b}]52;c;x\u{7}\u{202e}"});
    let raw = serde_json::to_vec_pretty(&v).unwrap();
    let out = for_output(&raw);
    let text = std::str::from_utf8(&out).unwrap();
    assert!(no_controls(text), "{text}");
    let back: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(back, v);
    let md = for_output(b"# host\x1b]52;c;x\x07\n| a\x9b |\n");
    assert_eq!(&*md, b"# host\\x1b]52;c;x\\x07\n| a\\x9b |\n".as_slice());
}

#[test]
fn ordinary_text_stays_readable() {
    assert_eq!(
        md_cell("oom_kill /usr/bin/java -Xmx2g"),
        "oom_kill /usr/bin/java -Xmx2g"
    );
    assert_eq!(
        md_cell("_init_ a & b &amp; -p***"),
        "_init_ a & b \\&amp; -p***"
    );
}
