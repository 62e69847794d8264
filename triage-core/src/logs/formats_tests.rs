//! Parser tests on literal lines of every format.
use super::*;
use chrono::Timelike;

fn ctx() -> ParseCtx {
    ParseCtx {
        source: "test".into(),
        reference: local(
            NaiveDate::from_ymd_opt(2026, 11, 23)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap(),
        )
        .unwrap(),
        boot_time: None,
    }
}

fn entry(line: &str) -> LogEntry {
    match parse_line(line, &ctx()) {
        Parsed::Entry(e) => e,
        other => panic!("{line:?}: {other:?}"),
    }
}

#[test]
fn rfc3164_with_tag_and_kernel_uptime() {
    let e = entry("Nov 23 10:02:03 web1 sshd[1234]: Accepted publickey for root");
    let t = e.time.unwrap();
    assert_eq!((t.year(), t.month(), t.day(), t.hour()), (2026, 11, 23, 10));
    assert_eq!(e.host.as_deref(), Some("web1"));
    assert_eq!(e.program.as_deref(), Some("sshd"));
    assert_eq!(e.pid, Some(1234));
    assert_eq!(e.message, "Accepted publickey for root");
    assert!(!e.kernel);
    let k = entry("Dec 15 00:41:04 flint kernel: [    0.123456] Linux version 4.4.0");
    assert!(k.kernel);
    assert_eq!(k.message, "Linux version 4.4.0");
    assert_eq!(k.uptime_seconds, Some(0.123456));
    let s = entry("Jun 19 04:09:11 combo syslogd 1.4.1: restart.");
    assert_eq!(
        (s.program.as_deref(), s.message.as_str()),
        (Some("syslogd"), "restart.")
    );
    let p = entry("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick");
    assert_eq!(p.level.as_deref(), Some("crit"));
    assert_eq!(p.program.as_deref(), Some("su"));
}

#[test]
fn year_turnover() {
    let jan = local(
        NaiveDate::from_ymd_opt(2027, 1, 2)
            .unwrap()
            .and_hms_opt(1, 0, 0)
            .unwrap(),
    )
    .unwrap();
    let dec = infer_year("Dec", 31, [23, 59, 58], jan).unwrap();
    assert_eq!(dec.year(), 2026);
    let same = infer_year("Jan", 2, [0, 30, 0], jan).unwrap();
    assert_eq!(same.year(), 2027);
    assert!(infer_year("Foo", 1, [0, 0, 0], jan).is_none());
}

#[test]
fn rfc5424_and_rfc3339() {
    let e = entry(
        "<38>1 2023-01-10T18:33:00.055834-08:00 hostname sshguard 32449 - - Exiting on signal.",
    );
    assert_eq!(e.program.as_deref(), Some("sshguard"));
    assert_eq!(e.pid, Some(32449));
    assert_eq!(e.level.as_deref(), Some("info"));
    assert_eq!(e.message, "Exiting on signal.");
    assert_eq!(
        e.time.unwrap().to_rfc3339(),
        "2023-01-10T18:33:00.055834-08:00"
    );
    let e = entry(
        r#"<165>1 2003-10-11T22:14:15.003Z mymachine evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="App"] An application event"#,
    );
    assert_eq!(e.message, "An application event");
    let e = entry("2026-11-23T10:02:03.123456+09:00 db1 postgres[77]: checkpoint starting");
    assert_eq!(e.program.as_deref(), Some("postgres"));
    assert_eq!(e.time.unwrap().offset().local_minus_utc(), 9 * 3600);
    let e = entry("1985-04-12T23:20:50.52Z hello taken from the RFC");
    assert!(e.time.is_some());
    assert_eq!(e.message, "hello taken from the RFC");
}

#[test]
fn dmesg_forms() {
    let e = entry("[Sun Jan  5 20:25:34 2025] INFO: task jfsmount:136986 blocked");
    let t = e.time.expect("space-padded day");
    assert_eq!((t.year(), t.month(), t.day(), t.hour()), (2025, 1, 5, 20));
    let e = entry("[Mon Nov 23 10:02:03 2026] EXT4-fs (sda1): mounted");
    assert_eq!(e.time.unwrap().minute(), 2);
    assert_eq!(e.message, "EXT4-fs (sda1): mounted");
    let mut c = ctx();
    c.boot_time = Some(c.reference);
    let Parsed::Entry(e) = parse_line("[   12.500000] usb 1-1: new device", &c) else {
        panic!()
    };
    assert_eq!(
        e.time.unwrap(),
        c.reference + chrono::Duration::milliseconds(12_500)
    );
    let e = entry("<3>[  100.000001] sd 0:0:0:0: rejecting I/O");
    assert_eq!(e.level.as_deref(), Some("err"));
    let e = entry(
        "kern  :warn  : 2025-01-21T04:41:44,285060+00:00 VFS: file-max limit 1000000 reached",
    );
    assert_eq!(e.level.as_deref(), Some("warning"));
    assert!(e.kernel && e.time.is_some());
    assert_eq!(e.message, "VFS: file-max limit 1000000 reached");
    let e = entry("lo: Dropping TSO features since no CSUM feature.");
    assert!(e.time.is_none());
    assert_eq!(
        e.message,
        "lo: Dropping TSO features since no CSUM feature."
    );
}

#[test]
fn kmsg_records_and_continuations() {
    let mut c = ctx();
    c.boot_time = Some(c.reference);
    let Parsed::Entry(e) = parse_line(
        "3,1234,5000000,-,caller=T1;sd 0:0:0:0: [sda] error\\x0a",
        &c,
    ) else {
        panic!()
    };
    assert_eq!(e.level.as_deref(), Some("err"));
    assert!(e.kernel);
    assert_eq!(e.time.unwrap(), c.reference + chrono::Duration::seconds(5));
    // Control bytes stay as the kernel escaped them (a newline would forge a log line).
    assert_eq!(e.message, "sd 0:0:0:0: [sda] error\\x0a");
    assert_eq!(parse_line(" SUBSYSTEM=scsi", &c), Parsed::Continuation);
    assert_eq!(parse_line("   ", &c), Parsed::Blank);
    // A dmesg line indented with spaces is not a continuation.
    assert!(matches!(
        parse_line("   Intel GenuineIntel", &c),
        Parsed::Entry(_)
    ));
}

#[test]
fn kmsg_keeps_the_kernels_escaping_of_control_bytes() {
    let c = ctx();
    // OSC 52 (write the clipboard) as a process would log it via /dev/kmsg.
    let line = "4,1,1,-;evil\\x1b]52;c;Y3VybA==\\x07 caf\\xc3\\xa9 a\\x5cb\\x09c";
    let Parsed::Entry(e) = parse_line(line, &c) else {
        panic!()
    };
    assert_eq!(e.message, "evil\\x1b]52;c;Y3VybA==\\x07 café a\\b\tc");
    assert!(!e.message.contains('\u{1b}'));
}

#[test]
fn garbage_is_kept_lossy() {
    let e = entry("\u{fffd}\u{fffd}ab\u{0}c");
    assert!(e.time.is_none());
    assert!(e.message.contains("ab"));
}

#[test]
fn huge_uptime_stamps_give_no_time_not_a_panic() {
    let mut c = ctx();
    c.boot_time = Some(c.reference);
    for line in [
        "[99999999999999999999.000000] kernel: x",
        "6,1,9223372036854775807,-;x",
        "6,1,18446744073709551615,-;x",
    ] {
        match parse_line(line, &c) {
            Parsed::Entry(e) => assert_eq!(e.time, None, "{line}"),
            other => panic!("{line}: {other:?}"),
        }
    }
}
