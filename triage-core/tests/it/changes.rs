//! Recent changes from a fixture root built around "now": package logs, apt history, an
//! auth log, a wtmp written record by record, modified /etc files and a crontab.

use std::path::Path;
use std::time::SystemTime;

use chrono::{DateTime, Duration, Local};
use triage_core::collect::changes;
use triage_core::collect::{Ctx, Options};
use triage_core::HostRoot;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn set_mtime(root: &Path, rel: &str, t: DateTime<Local>) {
    let f = std::fs::File::options()
        .write(true)
        .open(root.join(rel))
        .unwrap();
    f.set_modified(SystemTime::from(t)).unwrap();
}

/// One wtmp record, as glibc writes it (`struct utmpx`, x86-64 layout).
#[cfg(all(target_arch = "x86_64", target_env = "gnu"))]
fn utmp_record(ty: i16, user: &str, line: &str, host: &str, t: DateTime<Local>) -> Vec<u8> {
    fn copy(dst: &mut [libc::c_char], s: &str) {
        for (d, b) in dst.iter_mut().zip(s.bytes()) {
            *d = b as libc::c_char;
        }
    }
    // SAFETY: utmpx is plain old data; all-zero is a valid value.
    let mut u: libc::utmpx = unsafe { std::mem::zeroed() };
    u.ut_type = ty;
    u.ut_pid = 1234;
    copy(&mut u.ut_line, line);
    copy(&mut u.ut_user, user);
    copy(&mut u.ut_host, host);
    u.ut_tv.tv_sec = t.timestamp() as i32;
    // SAFETY: reading the bytes of a POD struct we own.
    unsafe {
        std::slice::from_raw_parts(
            &u as *const libc::utmpx as *const u8,
            std::mem::size_of::<libc::utmpx>(),
        )
    }
    .to_vec()
}

#[test]
#[cfg(all(target_arch = "x86_64", target_env = "gnu"))]
fn changes_from_a_fixture_root() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    let now = Local::now();
    let ts = |d: Duration| (now - d).format("%Y-%m-%d %H:%M:%S").to_string();
    let rfc = |d: Duration| (now - d).to_rfc3339();

    // apt run 3 h ago (two packages, also in dpkg.log); a manual dpkg -i 1 h ago; an old
    // upgrade 4 days ago, outside the window.
    write(
        r,
        "var/log/apt/history.log",
        &format!(
            "\nStart-Date: {}\nCommandline: apt-get upgrade -y\nRequested-By: alice (1000)\nUpgrade: nginx:amd64 (1.18.0-6, 1.18.0-7), nginx-common:amd64 (1.18.0-6, 1.18.0-7)\nEnd-Date: {}\n",
            ts(Duration::hours(3)),
            ts(Duration::hours(3) - Duration::seconds(5))
        ),
    );
    write(
        r,
        "var/log/dpkg.log",
        &format!(
            "{} upgrade openssl:amd64 3.0.11-1 3.0.13-1\n{} upgrade nginx:amd64 1.18.0-6 1.18.0-7\n{} status installed nginx:amd64 1.18.0-7\n{} install curl:amd64 <none> 7.88.1-10\n",
            ts(Duration::days(4)),
            ts(Duration::hours(3) - Duration::seconds(2)),
            ts(Duration::hours(3) - Duration::seconds(2)),
            ts(Duration::hours(1)),
        ),
    );
    // sshd: bob 2 h ago; alice at her wtmp login time (listed once); an old login.
    write(
        r,
        "var/log/auth.log",
        &format!(
            "{} web1 sshd[10]: Accepted publickey for bob from 10.0.0.9 port 52311 ssh2: ED25519 SHA256:x\n{} web1 sshd[11]: Accepted password for alice from 10.0.0.5 port 40000 ssh2\n{} web1 sshd[12]: Accepted password for mallory from 6.6.6.6 port 1 ssh2\n{} web1 sshd[13]: Failed password for root from 6.6.6.6 port 2 ssh2\n",
            rfc(Duration::hours(2)),
            rfc(Duration::hours(9)),
            rfc(Duration::days(3)),
            rfc(Duration::minutes(10)),
        ),
    );
    // wtmp: a boot 5 days ago on the old kernel, one 10 h ago on a new one, a login.
    let mut wtmp = Vec::new();
    wtmp.extend(utmp_record(
        libc::BOOT_TIME,
        "reboot",
        "~",
        "6.1.0-25-amd64",
        now - Duration::days(5),
    ));
    wtmp.extend(utmp_record(
        libc::BOOT_TIME,
        "reboot",
        "~",
        "6.1.0-26-amd64",
        now - Duration::hours(10),
    ));
    wtmp.extend(utmp_record(
        libc::USER_PROCESS,
        "alice",
        "pts/0",
        "10.0.0.5",
        now - Duration::hours(9),
    ));
    std::fs::create_dir_all(r.join("var/log")).unwrap();
    std::fs::write(r.join("var/log/wtmp"), wtmp).unwrap();
    // Config files: one edited 30 min ago, one 10 days ago.
    write(r, "etc/nginx/nginx.conf", "worker_processes auto;\n");
    set_mtime(r, "etc/nginx/nginx.conf", now - Duration::minutes(30));
    write(r, "etc/old.conf", "x\n");
    set_mtime(r, "etc/old.conf", now - Duration::days(10));
    write(
        r,
        "etc/crontab",
        "SHELL=/bin/sh\n*/5 * * * * root /usr/local/bin/backup --quick\n",
    );
    set_mtime(r, "etc/crontab", now - Duration::days(30));

    let ctx = Ctx::new(HostRoot::new(r).unwrap(), Options::default());
    let list = changes::collect(&ctx).unwrap();
    let lines: Vec<String> = list
        .iter()
        .map(|c| format!("{} {}: {}", c.time.format("%H:%M"), c.kind, c.summary))
        .collect();
    let has = |kind: &str, text: &str| {
        list.iter()
            .any(|c| c.kind == kind && c.summary.contains(text))
    };

    assert!(
        has(
            "package",
            "apt-get upgrade -y by alice (1000) — upgrade 2: nginx, nginx-common"
        ),
        "{lines:#?}"
    );
    assert!(has("package", "installed curl 7.88.1-10"), "{lines:#?}");
    assert!(
        !has("package", "upgraded nginx"),
        "dpkg lines of the apt run are folded: {lines:#?}"
    );
    assert!(!has("package", "openssl"), "outside the window: {lines:#?}");
    assert!(
        has("reboot", "host booted (kernel 6.1.0-26-amd64)"),
        "{lines:#?}"
    );
    assert!(
        has("kernel", "6.1.0-25-amd64 → 6.1.0-26-amd64"),
        "{lines:#?}"
    );
    assert!(
        has("login", "bob logged in from 10.0.0.9 (ssh publickey)"),
        "{lines:#?}"
    );
    assert_eq!(
        list.iter()
            .filter(|c| c.summary.starts_with("alice logged in"))
            .count(),
        1,
        "{lines:#?}"
    );
    assert!(!has("login", "mallory"), "{lines:#?}");
    assert!(
        has("config", "modified /etc/nginx/nginx.conf"),
        "{lines:#?}"
    );
    assert!(
        !list.iter().any(|c| c.summary.contains("/etc/old.conf")),
        "{lines:#?}"
    );
    assert!(
        !list
            .iter()
            .any(|c| c.summary.contains("modified /etc/crontab")),
        "{lines:#?}"
    );
    assert!(has("cron", "/usr/local/bin/backup --quick"), "{lines:#?}");
    let cron = list.iter().find(|c| c.kind == "cron").unwrap();
    assert!(cron.source.ends_with("etc/crontab:2"), "{}", cron.source);
    assert!(
        list.windows(2).all(|w| w[0].time >= w[1].time),
        "newest first: {lines:#?}"
    );
    assert!(ctx.take_warnings().is_empty());
}

#[test]
fn the_list_is_capped_newest_first() {
    let now = triage_core::snapshot::now();
    let many: Vec<_> = (0..250)
        .map(|i| triage_core::snapshot::Change {
            time: now - Duration::minutes(i),
            kind: "config".into(),
            summary: format!("modified /etc/f{i}"),
            source: "stat".into(),
        })
        .collect();
    let (list, dropped) = changes::finish(many);
    assert_eq!(list.len(), changes::MAX_CHANGES);
    assert_eq!(dropped, 50);
    assert_eq!(list[0].summary, "modified /etc/f0");
}
