use std::io::Write;

use super::*;

fn syslog_lines(dir: &Path, name: &str, from: u32, count: u32) -> PathBuf {
    let p = dir.join(name);
    let mut f = std::io::BufWriter::new(File::create(&p).unwrap());
    for i in from..from + count {
        writeln!(
            f,
            "Nov 23 {:02}:{:02}:{:02} h app[1]: line {i}",
            i / 3600,
            (i / 60) % 60,
            i % 60
        )
        .unwrap();
    }
    f.flush().unwrap();
    p
}

fn messages(mut s: FileStream) -> (Vec<String>, Vec<String>) {
    let mut out = Vec::new();
    while let Some(e) = s.next_entry() {
        out.push(e.message);
    }
    (out, s.warnings)
}

fn at(secs: u32, path: &Path) -> Time {
    let meta = std::fs::metadata(path).unwrap();
    let ctx = ctx_for(path, &meta, None);
    let line = format!(
        "Nov 23 {:02}:{:02}:{:02} h app[1]: x",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    );
    match parse_line(&line, &ctx) {
        Parsed::Entry(e) => e.time.unwrap(),
        _ => unreachable!(),
    }
}

#[test]
fn since_enters_a_big_file_by_binary_search() {
    let dir = tempfile::tempdir().unwrap();
    let p = syslog_lines(dir.path(), "syslog", 0, 40_000);
    let since = at(30_000, &p);
    let file = File::open(&p).unwrap();
    let len = file.metadata().unwrap().len();
    let ctx = ctx_for(&p, &file.metadata().unwrap(), None);
    let start = window_start(&file, len, since, &ctx);
    // A line start, a little before line 30000: within one search span (64 KiB, under
    // 2,000 of these lines).
    let text = std::fs::read(&p).unwrap();
    assert!(start == 0 || text[start as usize - 1] == b'\n');
    let at_line = text[..start as usize]
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    assert!(
        (28_000..=30_000).contains(&at_line),
        "started at line {at_line}"
    );
    let mut s = FileStream::new(&p, 0, Some(since), None, true);
    let first = s.next_entry().unwrap();
    assert!(s.lines_read < 2_100, "read {} lines", s.lines_read);
    assert!(first.time.unwrap() <= since);
}

#[test]
fn generations_oldest_first_and_only_those_the_window_needs() {
    let dir = tempfile::tempdir().unwrap();
    // syslog.2.gz: 0..100, syslog.1: 100..200, syslog: 200..300.
    let old = syslog_lines(dir.path(), "old", 0, 100);
    let gz = dir.path().join("syslog.2.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&std::fs::read(&old).unwrap()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    std::fs::remove_file(&old).unwrap();
    syslog_lines(dir.path(), "syslog.1", 100, 100);
    let p = syslog_lines(dir.path(), "syslog", 200, 100);

    let (all, w) = messages(FileStream::new(&p, 250, None, None, true));
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(all.len(), 300, "250 wanted: all three generations");
    assert_eq!(all[0], "line 0");
    assert_eq!(all[299], "line 299");
    let (recent, _) = messages(FileStream::new(&p, 80, None, None, true));
    assert_eq!(recent.len(), 100, "the newest alone has enough, read whole");
    let (tail, _) = messages(FileStream::new(&p, 80, None, None, false));
    assert_eq!(tail.len(), 80, "or only its last 80 lines");
    assert_eq!(tail[0], "line 220");
    let (tail, _) = messages(FileStream::new(&p, 150, None, None, false));
    assert_eq!(tail.len(), 150, "the last 50 of syslog.1, then syslog");
    assert_eq!(tail[0], "line 150");

    // Since line 150: syslog.1 starts before it, syslog.2.gz is not opened.
    let (win, _) = messages(FileStream::new(&p, 0, Some(at(150, &p)), None, true));
    assert_eq!(win.first().map(String::as_str), Some("line 100"));
    assert_eq!(win.len(), 200);
}

#[test]
fn missing_file_is_a_warning() {
    let (got, w) = messages(FileStream::new(
        Path::new("/nonexistent/triage.log"),
        10,
        None,
        None,
        true,
    ));
    assert!(got.is_empty());
    assert!(
        w.iter().any(|w| w.contains("/nonexistent/triage.log")),
        "{w:?}"
    );
}

#[test]
fn lines_from_end_counts_back() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f");
    std::fs::write(&p, "a\nbb\nccc\n").unwrap();
    let f = File::open(&p).unwrap();
    assert_eq!(lines_from_end(&f, 9, 1), (5, 1));
    assert_eq!(lines_from_end(&f, 9, 2), (2, 2));
    assert_eq!(lines_from_end(&f, 9, 3), (0, 3));
    assert_eq!(lines_from_end(&f, 9, 10), (0, 3));
    std::fs::write(&p, "a\nbb").unwrap();
    let f = File::open(&p).unwrap();
    assert_eq!(
        lines_from_end(&f, 4, 1),
        (2, 1),
        "a last line without newline"
    );
    assert_eq!(lines_from_end(&f, 4, 5), (0, 2));
}
