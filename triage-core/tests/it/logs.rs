//! The logs module end to end: the snapshot sections over a fixture root, rotated
//! generations, templates, and bad input (binary garbage, a 10 MB line, a truncated .gz,
//! an unreadable file, a file rotated while being read).

use crate::common;
use common::fixture;

use std::io::Write;
use std::path::Path;

use triage_core::collect::{self, Options};
use triage_core::logs::{self, files, Query, MAX_LINE, TRUNCATED_MARK};
use triage_core::HostRoot;

#[test]
fn snapshot_sections_and_findings_from_a_fixture_root() {
    let root = HostRoot::new(fixture("logs_oom")).unwrap();
    let snap = collect::snapshot(&root, &Options::default());
    let kernel = snap.kernel_log.as_ref().expect("kernel_log section");
    assert_eq!(kernel.len(), 5);
    assert!(kernel.last().unwrap().message.contains("jbd2/sda1-8"));
    let tail = snap.log_tail.as_ref().expect("log_tail section");
    assert_eq!(tail.len(), 50);
    assert!(tail
        .last()
        .unwrap()
        .message
        .starts_with("Accepted publickey"));
    assert!(
        tail.windows(2).all(|w| w[0].time <= w[1].time),
        "merged by time"
    );

    let ids: Vec<&str> = snap.findings.iter().map(|f| f.id.as_str()).collect();
    // A memory-cgroup OOM kill is said once, by cgroup_oom_kill (naming the cgroup);
    // oom_kill is for host-wide kills.
    assert_eq!(
        ids.iter().filter(|i| **i == "oom_kill").count(),
        0,
        "a memcg OOM is not also an oom_kill: {:#?}",
        snap.findings
    );
    assert_eq!(
        ids.iter().filter(|i| **i == "cgroup_oom_kill").count(),
        1,
        "the OOM kill is in kern.log and syslog but counted once: {:#?}",
        snap.findings
    );
    let oom = snap
        .findings
        .iter()
        .find(|f| f.id == "cgroup_oom_kill")
        .unwrap();
    assert!(
        oom.title.contains("java") && oom.title.contains("4242"),
        "{}",
        oom.title
    );
    assert!(oom.title.contains("app.service"), "{}", oom.title);
    assert!(
        oom.evidence
            .iter()
            .any(|l| l.contains("oom_memcg=/system.slice/app.service")),
        "{:?}",
        oom.evidence
    );
    let svc = snap
        .findings
        .iter()
        .find(|f| f.id == "service_failed")
        .unwrap();
    assert!(
        svc.title.contains("app.service") && svc.title.contains("oom-kill"),
        "{}",
        svc.title
    );
    assert!(ids.contains(&"hung_task"));
    assert_eq!(
        snap.findings[0].severity,
        triage_core::snapshot::Severity::Critical
    );
}

#[test]
fn extra_logs_join_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.log");
    std::fs::write(
        &app,
        "2026-11-23T10:30:00+00:00 web1 app[1]: payment gateway timeout\n",
    )
    .unwrap();
    let root = HostRoot::new(fixture("logs_oom")).unwrap();
    let opts = Options {
        extra_logs: vec![app.clone()],
        ..Options::default()
    };
    let snap = collect::snapshot(&root, &opts);
    let tail = snap.log_tail.unwrap();
    assert!(tail.iter().any(|e| e.message == "payment gateway timeout"));
}

#[test]
fn generations_are_read_newest_first_until_enough() {
    let syslog = fixture("logs_oom").join("var/log/syslog");
    let gens = files::generations(&syslog);
    let names: Vec<_> = gens
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["syslog", "syslog.1", "syslog.2.gz"]);
    let r = files::read_generations(&syslog, 70, None, None);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.entries.len(), 70);
    // 55 from syslog, 12 from syslog.1, the last 3 of syslog.2.gz; oldest first.
    assert!(r.entries[0].source.ends_with("syslog.2.gz"));
    assert!(r.entries[3].source.ends_with("syslog.1"));
    assert!(r.entries.windows(2).all(|w| w[0].time <= w[1].time));
    // Only the newest file is opened when it has enough.
    let r = files::read_generations(&syslog, 10, None, None);
    assert!(r.entries.iter().all(|e| e.source.ends_with("syslog")));
}

#[test]
fn logs_query_with_templates_grep_and_since() {
    let q = Query {
        files: vec![fixture("logs_oom").join("var/log/syslog")],
        templates: true,
        ..Query::default()
    };
    let r = logs::read(&HostRoot::live(), &q);
    let ssh = r
        .templates
        .iter()
        .find(|t| t.template.starts_with("Accepted publickey for deploy from"))
        .expect("ssh template");
    assert_eq!(ssh.count, 10);
    assert!(ssh.first < ssh.last);
    assert!(r.entries.iter().all(|e| e.template_id.is_some()));
    assert!(r.findings.iter().any(|f| f.id == "oom_kill"));

    let since = r
        .entries
        .iter()
        .find(|e| e.message.contains("Failed with"))
        .unwrap()
        .time;
    let q = Query {
        files: q.files.clone(),
        grep: Some(regex::Regex::new("publickey").unwrap()),
        since,
        lines: 3,
        ..Query::default()
    };
    let r = logs::read(&HostRoot::live(), &q);
    assert_eq!(r.entries.len(), 3);
    assert!(r.entries.iter().all(|e| e.message.contains("publickey")));
    assert!(r.templates.is_empty() && r.entries[0].template_id.is_none());
    // Findings cover every record read since `since`, not only the grep matches.
    assert!(r.findings.iter().any(|f| f.id == "service_failed"));
}

fn read_one(path: &Path) -> logs::Read {
    files::read_file(path, 1000, None, None)
}

#[test]
fn binary_garbage_is_a_warning_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("garbage.log");
    let mut bytes: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    bytes.extend_from_slice(b"\nNov 23 10:00:00 h app: still here\n");
    std::fs::write(&p, &bytes).unwrap();
    let r = read_one(&p);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("garbage.log") && w.contains("not text")),
        "{:?}",
        r.warnings
    );
    assert_eq!(r.entries.last().unwrap().message, "still here");
}

#[test]
fn a_10mb_line_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.log");
    let mut f = std::fs::File::create(&p).unwrap();
    writeln!(f, "Nov 23 10:00:00 h app: before").unwrap();
    f.write_all(&vec![b'x'; 10 * 1024 * 1024]).unwrap();
    writeln!(f, "\nNov 23 10:00:02 h app: after").unwrap();
    drop(f);
    let r = read_one(&p);
    let msgs: Vec<_> = r.entries.iter().map(|e| e.message.len()).collect();
    assert_eq!(r.entries.len(), 3, "{msgs:?}");
    let cut = &r.entries[1].message;
    assert!(cut.ends_with(TRUNCATED_MARK) && cut.len() <= MAX_LINE + TRUNCATED_MARK.len());
    assert_eq!(r.entries[0].message, "before");
    assert_eq!(r.entries[2].message, "after");
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("huge.log") && w.contains("10485760")),
        "{:?}",
        r.warnings
    );

    // The same inside a .gz: one entry for the long line, cut.
    let gz = dir.path().join("huge.log.1.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&std::fs::read(&p).unwrap()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let r = read_one(&gz);
    assert_eq!(r.entries.len(), 3);
    assert!(r.entries[1].message.ends_with(TRUNCATED_MARK));
    assert_eq!(r.entries[2].message, "after");
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("huge.log.1.gz") && w.contains("10485760")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn a_truncated_gz_keeps_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("syslog.3.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for i in 0..5000 {
        writeln!(
            enc,
            "Nov 23 10:00:00 h app[{i}]: line {i} with some text to compress"
        )
        .unwrap();
    }
    let full = enc.finish().unwrap();
    std::fs::write(&p, &full[..full.len() / 2]).unwrap();
    let r = read_one(&p);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("syslog.3.gz") && w.contains("ends early")),
        "{:?}",
        r.warnings
    );
    assert!(!r.entries.is_empty());
}

#[test]
fn an_unreadable_file_is_a_warning_and_the_rest_still_works() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("secure");
    std::fs::write(&locked, "Nov 23 10:00:00 h sshd[1]: hidden\n").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let ok = dir.path().join("ok.log");
    std::fs::write(&ok, "Nov 23 10:00:01 h app[1]: visible\n").unwrap();
    let q = Query {
        files: vec![locked.clone(), ok, dir.path().join("missing.log")],
        ..Query::default()
    };
    let r = logs::read(&HostRoot::live(), &q);
    assert!(r.entries.iter().any(|e| e.message == "visible"));
    assert!(r.warnings.iter().any(|w| w.message.contains("missing.log")));
    if nix::unistd::geteuid().is_root() {
        eprintln!(
            "running as root, which can read a mode-000 file: permission warning not checked"
        );
    } else {
        assert!(
            r.warnings
                .iter()
                .any(|w| w.message.contains("secure") && w.message.contains("ermission")),
            "{:?}",
            r.warnings
        );
    }
}

#[test]
fn a_file_rotated_while_being_read_gives_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("syslog");
    std::fs::write(
        &p,
        "Nov 23 10:00:00 h app[1]: one\nNov 23 10:00:01 h app[1]: two\n",
    )
    .unwrap();
    let file = std::fs::File::open(&p).unwrap();
    // logrotate: rename and recreate between our open and our read.
    std::fs::rename(&p, dir.path().join("syslog.1")).unwrap();
    std::fs::write(&p, "Nov 23 10:00:02 h app[1]: three\n").unwrap();
    let (r, _) = files::read_open_file(file, &p, 100, None, None);
    assert_eq!(r.entries.len(), 2, "the opened file is still read whole");
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("syslog") && w.contains("rotated")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn kernel_lines_seen_in_the_ring_and_syslog_appear_once() {
    let root = HostRoot::new(fixture("logs_oom")).unwrap();
    let r = logs::read(&root, &Query::default());
    let killed = r
        .entries
        .iter()
        .filter(|e| e.message.contains("Killed process 4242"))
        .count();
    assert_eq!(killed, 1, "kern.log and syslog both hold it");
    assert_eq!(r.findings.iter().filter(|f| f.id == "oom_kill").count(), 1);
    assert!(
        r.findings
            .iter()
            .find(|f| f.id == "oom_kill")
            .unwrap()
            .title
            .ends_with(')'),
        "counted once, no 'times'"
    );
    // Kernel first, then syslog generations, merged by time.
    assert!(r.entries.windows(2).all(|w| w[0].time <= w[1].time));
    let k = logs::read(
        &root,
        &Query {
            kernel_only: true,
            ..Query::default()
        },
    );
    assert_eq!(k.entries.len(), 5);
    assert!(k.entries.iter().all(|e| e.kernel));
}

#[test]
fn crlf_lines_are_text() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dos.log");
    std::fs::write(
        &p,
        "Nov 23 10:00:00 h app: one\r\n\r\nNov 23 10:00:01 h app: two\r\n",
    )
    .unwrap();
    let r = read_one(&p);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.entries.len(), 2);
    assert_eq!(r.entries[1].message, "two");
}

#[test]
fn year_turnover_inside_a_file_uses_its_mtime() {
    use chrono::{Datelike, TimeZone};
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("messages");
    std::fs::write(
        &p,
        "Dec 31 23:59:58 h app[1]: last of the old year\nJan  1 00:00:01 h app[1]: first of the new year\n",
    )
    .unwrap();
    let mtime = chrono::Local.with_ymd_and_hms(2027, 1, 1, 0, 5, 0).unwrap();
    let f = std::fs::File::options().write(true).open(&p).unwrap();
    f.set_modified(std::time::SystemTime::from(mtime)).unwrap();
    drop(f);
    let r = read_one(&p);
    let years: Vec<i32> = r.entries.iter().map(|e| e.time.unwrap().year()).collect();
    assert_eq!(years, [2026, 2027]);
    assert!(r.entries[0].time < r.entries[1].time);
}

/// `triage logs --root` on a sosreport: its year-less syslog lines are dated in the
/// capture's year (2022, from `sos_commands/date/date`), not in the year of the copied
/// files' mtime; the journal export is read when the tree has no syslog file.
#[test]
fn logs_under_root_are_dated_by_the_capture() {
    for tree in ["hotsos-openstack", "journal-export"] {
        let root = HostRoot::new(fixture(tree)).unwrap();
        let r = logs::read(&root, &Query::default());
        let last = r
            .entries
            .last()
            .unwrap_or_else(|| panic!("{tree}: no entry"));
        assert_eq!(
            last.time.map(|t| t.to_rfc3339()).as_deref(),
            Some("2022-02-10T16:19:19+00:00"),
            "{tree}: {last:?}"
        );
    }
}
