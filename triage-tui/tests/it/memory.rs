//! Memory stays bounded whatever the input (issue 16 item 7): `snapshot` and `check` on
//! a `--root` tree whose syslog and messages hold 60 KB lines used 435–501 MB before
//! the tails were capped by bytes. The child's peak RSS comes from `wait4`.

use std::path::Path;
use std::process::Command;

/// Peak RSS (MiB) of running `cmd` to its end, from the kernel's accounting of that child.
fn peak_rss_mib(cmd: &mut Command) -> (i32, u64) {
    let child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not yet waited for; the pointers are valid.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid, "wait4: {}", std::io::Error::last_os_error());
    std::mem::forget(child);
    (libc::WEXITSTATUS(status), usage.ru_maxrss as u64 / 1024)
}

/// A copy of the healthy fixture whose syslog (and messages, a hard link) is `lines`
/// lines of 60 KB.
fn huge_lines_tree(dir: &Path, lines: usize) {
    crate::common::copy_tree(&crate::common::fixture("healthy"), dir);
    let pad: String = (0..60_000)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let mut log = String::with_capacity(lines * 60_100);
    for i in 0..lines {
        log.push_str(&format!(
            "Nov 30 10:{:02}:{:02} web1 app[77]: request {i} payload {pad}\n",
            i / 60 % 60,
            i % 60
        ));
    }
    std::fs::create_dir_all(dir.join("var/log")).unwrap();
    std::fs::write(dir.join("var/log/syslog"), log).unwrap();
    std::fs::hard_link(dir.join("var/log/syslog"), dir.join("var/log/messages")).unwrap();
}

/// The bound asserted (MiB): the tails' byte cap (8 MiB per file) and their copies,
/// plus the debug binary's own ~30 MiB.
const BOUND_MIB: u64 = 128;

#[test]
fn snapshot_and_check_stay_bounded_on_60_kb_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    huge_lines_tree(&root, 1500);
    for args in [["snapshot", "--json"], ["check", "--json"]] {
        let mut cmd = Command::new(crate::common::triage_bin());
        cmd.env("TRIAGE_HOME", tmp.path())
            .args(args)
            .arg("--root")
            .arg(&root);
        let (code, mib) = peak_rss_mib(&mut cmd);
        println!("{args:?} on 2 × 1500 lines of 60 KB: peak RSS {mib} MiB (exit {code})");
        assert!(code <= 2, "{args:?} exit {code}");
        assert!(
            mib < BOUND_MIB,
            "{args:?}: peak RSS {mib} MiB ≥ {BOUND_MIB} MiB"
        );
    }
}
