//! Errors from path-taking readers name the file (and line).

use std::fmt::Write as _;

use super::*;

#[test]
fn errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut problems = String::new();
    let mut expect = |what: &str, msg: String, needle: &str| {
        if !msg.contains(needle) {
            let _ = writeln!(problems, "{what}: {msg:?} does not contain {needle:?}");
        }
    };

    // HostRoot reads: missing file, directory, FIFO, too large.
    std::fs::create_dir_all(d.join("proc/adir")).unwrap();
    std::fs::write(d.join("proc/big"), vec![b'x'; 4096]).unwrap();
    let fifo = d.join("proc/fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let root = HostRoot::new(d).unwrap();
    for rel in ["missing", "adir", "fifo"] {
        let e = root.read_proc(rel).expect_err(rel).to_string();
        expect("HostRoot::read_proc", e, &format!("proc/{rel}"));
    }
    let e = root.read_bytes("proc/big", 100).unwrap_err().to_string();
    expect("HostRoot::read_bytes", e, "proc/big");
    std::fs::write(d.join("proc/bad"), b"\xff\xfe").unwrap();
    if let Err(e) = root.read_proc("bad") {
        expect("HostRoot::read_proc (non-UTF-8)", e.to_string(), "proc/bad");
    }

    // /proc/net/tcp with a garbled line 3 (the fixture has one more, later): the warning
    // names the file and the first bad line.
    std::fs::create_dir_all(d.join("proc/net")).unwrap();
    let tcp = std::fs::read_to_string(fixtures().join("network/proc/net/tcp")).unwrap();
    let mut lines: Vec<&str> = tcp.lines().collect();
    lines.insert(2, "  9: garbage \u{e9}\u{65e5} not a socket");
    std::fs::write(d.join("proc/net/tcp"), lines.join("\n")).unwrap();
    let ctx = crate::collect::Ctx::new(HostRoot::new(d).unwrap(), Default::default());
    let _ = crate::collect::network::collect(&ctx);
    let w: Vec<String> = ctx.take_warnings().into_iter().map(|w| w.message).collect();
    expect(
        "proc/net/tcp",
        w.join(" | "),
        "proc/net/tcp: 2 garbled line(s) skipped (first at line 3)",
    );

    // Runbook check: a syntax error on line 3.
    let rb = d.join("runbooks");
    std::fs::create_dir(&rb).unwrap();
    std::fs::write(rb.join("bad.toml"), "id = \"x\"\ntitle = \"t\"\n[[step]\n").unwrap();
    let diags = validate::check_dir(&rb);
    let all: Vec<String> = diags.iter().map(ToString::to_string).collect();
    expect("runbook check", all.join(" | "), "bad.toml:3:");
    // A runbook whose bytes are not UTF-8 names the file.
    std::fs::write(rb.join("bad.toml"), b"id = \"\xff\"\n").unwrap();
    let all: Vec<String> = validate::check_dir(&rb)
        .iter()
        .map(ToString::to_string)
        .collect();
    expect("runbook check (non-UTF-8)", all.join(" | "), "bad.toml");

    // Incident journal: a garbage middle line is skipped with FILE:LINE; a directory in
    // place of the journal is an error naming it.
    let jp = d.join("journal.jsonl");
    std::fs::write(&jp, b"{\"garbage\n\xff\n").unwrap();
    let r = incident::journal::Journal::new(&jp).read().unwrap();
    expect("journal read", r.skipped.join(" | "), "journal.jsonl:1:");
    let jd = d.join("jdir");
    std::fs::create_dir(&jd).unwrap();
    match incident::journal::Journal::new(&jd).read() {
        Ok(_) => expect("journal read (directory)", "no error".into(), "jdir"),
        Err(e) => expect("journal read (directory)", e.to_string(), "jdir"),
    }

    // Postmortem template: an unclosed tag on line 2 of an override.
    let td = d.join("templates");
    std::fs::create_dir(&td).unwrap();
    std::fs::write(td.join("en.md"), "# Title\n{{ title\n").unwrap();
    let lang = crate::postmortem::Lang::En;
    let dirs = [td.clone()];
    match crate::postmortem::find_template(None, lang, &dirs) {
        Ok(_) => expect("template load", "no error".into(), "en.md:2"),
        Err(e) => expect("template load", e.to_string(), "en.md:2"),
    }
    std::fs::write(td.join("en.md"), b"# \xff\n").unwrap();
    match crate::postmortem::find_template(None, lang, &dirs) {
        Ok(_) => expect("template load (non-UTF-8)", "no error".into(), "en.md"),
        Err(e) => expect("template load (non-UTF-8)", e.to_string(), "en.md"),
    }

    // sadf JSON: an error names the file and the line.
    let e = sadf::parse("{\n\"sysstat\": [\n", Path::new("/tmp/sa.json")).unwrap_err();
    expect("sadf::parse", e.to_string(), "/tmp/sa.json:");

    // History segment: garbage names the file.
    let seg = d.join("2026-11-23.seg");
    std::fs::write(&seg, b"not a segment at all").unwrap();
    let w = store::read_segment(&seg).warning;
    expect("read_segment", w.unwrap_or_default(), "2026-11-23.seg");

    assert!(problems.is_empty(), "{problems}");
}
