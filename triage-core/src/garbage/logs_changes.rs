//! Log line parsers, the reverse log reader, the change sources (cron, packages,
//! systemd, logins, utmp).

use super::*;

fn log_samples() -> Vec<(String, Vec<u8>)> {
    let mut s = vec![inline(
        "dev/kmsg records",
        "6,1,0,-;Linux version 6.1.0 (gcc 12)\n3,812,35000123,-;Out of memory: Killed process 812 (java)\n SUBSYSTEM=memory\n4,813,35000200,c;x\\x0ay\n",
    )];
    s.extend(samples(
        &["logs_oom/var/log/kern.log", "logs_oom/var/log/syslog"],
        &[
            "syslog/standards/RFC-3164.log",
            "syslog/standards/RFC-5424-6dot-0700.log",
            "syslog/standards/RFC-5424-Z.log",
            "syslog/Ubuntu22/dmesg",
            "syslog/Ubuntu22/auth.log",
            "insights-core/dmesg_timestamps.txt",
            "gpud/kmsg.1.log",
        ],
    ));
    s
}

#[test]
fn log_parsers_never_panic() {
    let c = corpus(&log_samples());
    let mut f = Vec::new();
    let ctx = ParseCtx {
        source: "/var/log/syslog".into(),
        reference: reference(),
        boot_time: Some(reference() - chrono::Duration::days(3)),
    };
    f.extend(run_text("formats::parse_line", &c, |t| {
        t.lines().for_each(|l| eat(formats::parse_line(l, &ctx)))
    }));
    f.extend(run_text("formats::parse_rfc3339", &c, |t| {
        t.lines().for_each(|l| eat(formats::parse_rfc3339(l)));
        t.split_whitespace()
            .take(3)
            .for_each(|w| eat(formats::parse_rfc3339(w)));
    }));
    f.extend(run_text("kmsg::parse_text", &c, |t| {
        eat(kmsg::parse_text(t, "kernel", Some(reference())));
        eat(kmsg::parse_text(t, "kernel", None));
    }));
    f.extend(run_text("changes::parse_syslog_time", &c, |t| {
        t.lines()
            .for_each(|l| eat(changes::parse_syslog_time(l, reference())))
    }));
    f.extend(run_text("logins::parse_auth_line", &c, |t| {
        t.lines()
            .for_each(|l| eat(changes::logins::parse_auth_line(l, reference())))
    }));
    f.extend(run_text("redact::redact", &c, |t| eat(redact::redact(t))));
    f.extend(run_text("drain::add", &c, |t| {
        let mut d = Drain::new(4, 0.5, 100);
        t.lines().for_each(|l| eat(d.add(l, None)));
        eat(d.templates());
    }));
    // Whole files through the reverse line reader, plain and as a `.gz` name (garbage
    // that is no gzip stream must be a warning naming the file).
    let dir = tempfile::tempdir().unwrap();
    let some: Vec<Input> = c
        .iter()
        .step_by(11)
        .map(|i| Input {
            label: i.label.clone(),
            bytes: i.bytes.clone(),
        })
        .collect();
    let unnamed = RefCell::new(Vec::new());
    f.extend(run("logs::files::read_file", &some, |b| {
        for name in ["syslog", "syslog.2.gz"] {
            let p = dir.path().join(name);
            std::fs::write(&p, b).unwrap();
            let r = crate::logs::files::read_file(&p, 50, None, Some(reference()));
            if let Some(w) = r.warnings.iter().find(|w| !w.contains(name)) {
                unnamed.borrow_mut().push(format!(
                    "logs::files::read_file: warning without the file name: {w}"
                ));
            }
        }
    }));
    let mut unnamed = unnamed.into_inner();
    unnamed.truncate(3);
    f.extend(unnamed);
    let j = corpus(&[inline(
        "journal json",
        r#"{"__REALTIME_TIMESTAMP":"1763899200000000","PRIORITY":"3","MESSAGE":"Out of memory: Killed process 812 (java)","_HOSTNAME":"web1","SYSLOG_IDENTIFIER":"kernel","_PID":"0","_TRANSPORT":"kernel"}
{"__REALTIME_TIMESTAMP":"1763899201000000","PRIORITY":"6","MESSAGE":[104,105,255],"_COMM":"sshd","SYSLOG_PID":"99"}"#,
    )]);
    f.extend(run_text("journal::parse_json", &j, |t| {
        t.lines()
            .for_each(|l| eat(journal::parse_json(l, "journal")))
    }));
    report(f);
}

#[test]
fn change_parsers_never_panic() {
    let mut f = Vec::new();
    let c = corpus(&[
        inline("crontab", "SHELL=/bin/sh\n# m h dom mon dow user command\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n*/5 1-3 * jan,feb mon-fri root /usr/bin/true\n@reboot root /bin/echo hi\n"),
    ]);
    f.extend(run_text("cron::parse_crontab", &c, |t| {
        for j in changes::cron::parse_crontab(t, true, "root") {
            eat(changes::cron::due_in_last_hour(&j.schedule, reference()));
        }
        eat(changes::cron::parse_crontab(t, false, "alice"));
    }));
    let c = corpus(&[inline("dpkg.log", "2026-11-23 10:00:01 startup archives unpack\n2026-11-23 10:00:02 upgrade openssl:amd64 3.0.2-0ubuntu1.10 3.0.2-0ubuntu1.12\n2026-11-23 10:00:03 status installed openssl:amd64 3.0.2-0ubuntu1.12\n")]);
    f.extend(run_text("packages::parse_dpkg", &c, |t| {
        eat(changes::packages::parse_dpkg(t))
    }));
    let c = corpus(&[inline("apt history", "\nStart-Date: 2026-11-23  10:00:00\nCommandline: apt-get -y upgrade\nRequested-By: alice (1000)\nUpgrade: openssl:amd64 (3.0.2-0ubuntu1.10, 3.0.2-0ubuntu1.12), libssl3:amd64 (3.0.2-0ubuntu1.10, 3.0.2-0ubuntu1.12)\nEnd-Date: 2026-11-23  10:00:05\n")]);
    f.extend(run_text("packages::parse_apt_history", &c, |t| {
        eat(changes::packages::parse_apt_history(t))
    }));
    let c = corpus(&[inline("yum.log", "Nov 23 10:00:01 Updated: openssl-libs-1:3.0.7-25.el9_3.x86_64\nNov 23 10:00:02 Installed: htop-3.2.1-1.el9.x86_64\nNov 23 10:00:03 Erased: telnet\n")]);
    f.extend(run_text("packages::parse_rpm_log", &c, |t| {
        eat(changes::packages::parse_rpm_log(
            t,
            reference(),
            Path::new("/var/log/yum.log"),
        ))
    }));
    let c = corpus(&[
        inline("systemctl --failed", "nginx.service loaded failed failed A high performance web server\ncron.service   loaded failed failed Regular background program processing daemon\n"),
        inline("systemctl show", "Id=nginx.service\nActiveEnterTimestamp=Mon 2026-11-23 09:58:01 UTC\n\nId=cron.service\nActiveEnterTimestamp=\n"),
    ]);
    f.extend(run_text(
        "system::parse_failed/show/systemd_time",
        &c,
        |t| {
            eat(changes::system::parse_failed(t));
            eat(changes::system::parse_show(t));
            t.lines()
                .for_each(|l| eat(changes::system::parse_systemd_time(l)));
        },
    ));
    // The hand-made sample is valid: both records parse.
    let (events, bad) = changes::logins::parse_wtmp(&utmp_sample()[..]);
    assert_eq!((events.len(), bad), (2, 0), "{events:?}");
    let c = corpus(&[("utmp records".into(), utmp_sample())]);
    f.extend(run("logins::parse_wtmp", &c, |b| {
        eat(changes::logins::parse_wtmp(b))
    }));
    // utmp is read from a file by the users collector: write each input to run/utmp.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("run")).unwrap();
    let ctx = crate::collect::Ctx::new(HostRoot::new(dir.path()).unwrap(), Default::default());
    let some: Vec<Input> = c.into_iter().step_by(3).collect();
    f.extend(run("users::collect (utmp)", &some, |b| {
        std::fs::write(dir.path().join("run/utmp"), b).unwrap();
        eat(users::collect(&ctx));
        eat(ctx.take_warnings());
    }));
    report(f);
}

/// Two `utmp(5)` records (384 bytes each): a login on pts/0 and a boot record.
fn utmp_sample() -> Vec<u8> {
    let record = |kind: i16, pid: i32, line: &str, user: &str, host: &str, sec: i32| {
        let mut r = vec![0u8; 384];
        r[0..2].copy_from_slice(&kind.to_le_bytes());
        r[4..8].copy_from_slice(&pid.to_le_bytes());
        r[8..8 + line.len()].copy_from_slice(line.as_bytes());
        r[44..44 + user.len()].copy_from_slice(user.as_bytes());
        r[76..76 + host.len()].copy_from_slice(host.as_bytes());
        r[340..344].copy_from_slice(&sec.to_le_bytes());
        r
    };
    let mut v = record(2, 0, "~", "reboot", "6.1.0", 1_763_880_000);
    v.extend(record(7, 4242, "pts/0", "alice", "10.0.0.5", 1_763_890_000));
    v
}
