//! The kernel ring buffer.
//!
//! On the live host: `/dev/kmsg` (Documentation/ABI/testing/dev-kmsg), opened
//! `O_RDONLY|O_NONBLOCK` so reading stops at `EAGAIN` instead of waiting for new records;
//! each `read(2)` returns one record `prio,seq,usec,flags;text` (continuation
//! ` KEY=value` lines follow in the same read); `EPIPE` means the record we were about to
//! read was overwritten, and the next read continues with the oldest one left. Record
//! times are microseconds since boot, turned into wall time with the boot time
//! `CLOCK_REALTIME − CLOCK_BOOTTIME` (what `dmesg -T` does). When `/dev/kmsg` is refused
//! (`kernel.dmesg_restrict=1` without `CAP_SYSLOG`) `klogctl(SYSLOG_ACTION_READ_ALL)` is
//! tried, then the kernel lines of the syslog files, then `journalctl -k`.
//!
//! Under `--root`: a sosreport's `sos_commands/kernel/dmesg*` (or `var/log/dmesg`) together
//! with `var/log/kern.log*` (or the journal export's kernel lines), deduplicated; else the kernel lines of
//! `var/log/messages`/`syslog`. A sosreport without `proc/stat` gets its boot time from
//! its capture time minus its uptime (see [`crate::collect::capture`]).

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::PathBuf;

use super::formats::{parse_line, ParseCtx, Parsed};
use super::{files, LogEntry, Read};
use crate::host_root::HostRoot;
use crate::snapshot::{now, time_from_unix, Time};

/// Largest record the kernel hands out in one read (`CONSOLE_EXT_LOG_MAX`).
const RECORD_MAX: usize = 8192;

/// Most lines read from a kernel log file when the ring buffer is not available.
const FALLBACK_LINES: usize = 20_000;

/// How long `journalctl -k` may take when it is the last resort.
const JOURNAL_LIMIT: std::time::Duration = std::time::Duration::from_millis(1500);

/// Every kernel record available under `root` since `since`, oldest first.
pub fn read_kernel(root: &HostRoot, since: Option<Time>) -> Read {
    let mut out = if root.is_live() {
        read_live(root)
    } else {
        let boot = boot_time_from_stat(root).or_else(|| crate::collect::capture::boot_time(root));
        let capture = crate::collect::capture::capture_time(root).map(|c| c.at);
        read_files(root, boot, capture)
    };
    if let Some(s) = since {
        out.entries.retain(|e| e.time.is_none_or(|t| t >= s));
    }
    out
}

fn read_live(root: &HostRoot) -> Read {
    let mut r = read_live_at(root, &root.path("dev/kmsg"));
    if !r.warnings.is_empty() {
        return r; // Already fell back to the files.
    }
    // The ring buffer forgets: kern.log keeps what it dropped. Only records older than
    // the oldest one still in the ring are taken from it.
    let oldest = r.entries.iter().find_map(|e| e.time);
    let kern_log = root.path("var/log/kern.log");
    if let (Some(oldest), true) = (oldest, HostRoot::path_exists(&kern_log)) {
        let mut older = files::read_generations(&kern_log, LIVE_KERN_LOG_LINES, None, None);
        older.entries.retain(|e| {
            e.time
                .is_some_and(|t| t < oldest - chrono::Duration::seconds(2))
        });
        for e in &mut older.entries {
            e.kernel = true;
        }
        if !older.entries.is_empty() {
            older.entries.append(&mut r.entries);
            r.entries = older.entries;
        }
    }
    r
}

/// Lines of `kern.log` read on a live host for what the ring buffer no longer has.
const LIVE_KERN_LOG_LINES: usize = 5_000;

/// [`read_live`] with the ring buffer device at `path` (a test points it elsewhere).
fn read_live_at(root: &HostRoot, path: &std::path::Path) -> Read {
    let boot = boot_time_live().or_else(|| boot_time_from_stat(root));
    match read_dev_kmsg(path, boot) {
        Ok(entries) => Read {
            entries,
            warnings: Vec::new(),
        },
        Err(e) => {
            if let Ok(r) = read_klogctl(boot) {
                return r;
            }
            let mut r = read_files(root, boot, None);
            let mut from = "the log files";
            if r.entries.is_empty() {
                // A journald-only host: the journal keeps the kernel messages too, and
                // members of group systemd-journal or adm may read it.
                let j = super::journal::read(root, FALLBACK_LINES, None, true, JOURNAL_LIMIT);
                if !j.entries.is_empty() {
                    r = j;
                    from = "the journal";
                }
            }
            let why = if matches!(e.raw_os_error(), Some(libc::EPERM | libc::EACCES)) {
                "run as root (or sysctl kernel.dmesg_restrict=0) to read the kernel log".to_string()
            } else {
                format!("{e}")
            };
            r.warnings.insert(
                0,
                format!(
                    "{}: {why}; showing kernel lines from {from} instead",
                    path.display()
                ),
            );
            r
        }
    }
}

/// Read every record of `/dev/kmsg` at `path` without blocking.
pub fn read_dev_kmsg(path: &std::path::Path, boot: Option<Time>) -> std::io::Result<Vec<LogEntry>> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY)
        .open(path)?;
    let ctx = ParseCtx {
        source: "kernel".into(),
        reference: now(),
        boot_time: boot,
    };
    let fd = file.as_raw_fd();
    // From the oldest record still in the buffer (SEEK_SET 0), like `dmesg`'s default
    // without `dmesg -c` semantics; a fresh open already starts there on most kernels.
    // SAFETY: plain lseek on a descriptor we own.
    unsafe { libc::lseek(fd, 0, libc::SEEK_SET) };
    let mut buf = vec![0u8; RECORD_MAX + 1];
    let mut entries = Vec::with_capacity(4096);
    loop {
        // SAFETY: `buf` is a valid, writable buffer of `buf.len()` bytes and `fd` stays
        // open for the whole loop (owned by `file`).
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            let err = std::io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EAGAIN) => break,
                Some(libc::EPIPE) | Some(libc::EINTR) => continue,
                // Refused at read time on some kernels (dmesg_restrict checked per read).
                _ if entries.is_empty() => return Err(err),
                _ => break,
            }
        }
        if n == 0 {
            break;
        }
        let rec = buf.get(..n as usize).unwrap_or_default();
        let first = rec.split(|b| *b == b'\n').next().unwrap_or_default();
        if let Parsed::Entry(e) = parse_line(&String::from_utf8_lossy(first), &ctx) {
            entries.push(e);
        }
    }
    Ok(entries)
}

/// `klogctl(SYSLOG_ACTION_READ_ALL)`: the same ring buffer as `<pri>[secs] text` lines.
fn read_klogctl(boot: Option<Time>) -> std::io::Result<Read> {
    const SYSLOG_ACTION_READ_ALL: libc::c_int = 3;
    const SYSLOG_ACTION_SIZE_BUFFER: libc::c_int = 10;
    // SAFETY: SIZE_BUFFER ignores the buffer arguments.
    let size = unsafe { libc::klogctl(SYSLOG_ACTION_SIZE_BUFFER, std::ptr::null_mut(), 0) };
    if size <= 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut buf = vec![0u8; size as usize];
    // SAFETY: `buf` is writable for `size` bytes.
    let n = unsafe { libc::klogctl(SYSLOG_ACTION_READ_ALL, buf.as_mut_ptr().cast(), size) };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    buf.truncate(n as usize);
    let text = String::from_utf8_lossy(&buf);
    Ok(Read {
        entries: parse_text(&text, "kernel", boot),
        warnings: Vec::new(),
    })
}

/// Parse dmesg-like text (any format [`parse_line`] knows) into kernel entries.
pub(crate) fn parse_text(text: &str, source: &str, boot: Option<Time>) -> Vec<LogEntry> {
    let ctx = ParseCtx {
        source: source.to_string(),
        reference: now(),
        boot_time: boot,
    };
    text.lines()
        .filter_map(|l| match parse_line(&super::cap_line(l), &ctx) {
            Parsed::Entry(mut e) => {
                e.kernel = true;
                Some(e)
            }
            _ => None,
        })
        .collect()
}

/// Kernel records from files under `root`: a sosreport's dmesg (the first that has
/// records, `dmesg_-T` first) or `var/log/dmesg`, *and* `var/log/kern.log` with its
/// generations, which reach further back than the ring buffer did; records both have
/// (same message within 2 s) once; without `kern.log`, the `kernel:` lines of the journal
/// export (`sos_commands/logs/journalctl_--no-pager*`) in its place. Without any of them,
/// the `kernel:` lines of `messages`/`syslog`.
fn read_files(root: &HostRoot, boot: Option<Time>, capture: Option<Time>) -> Read {
    let mut ring: Vec<PathBuf> = Vec::new();
    if let Ok(dir) = HostRoot::read_dir(&root.path("sos_commands/kernel")) {
        let mut sos: Vec<PathBuf> = dir
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("dmesg"))
            })
            .collect();
        // `dmesg_-T` before plain `dmesg`: it carries wall times.
        sos.sort_by_key(|p| std::cmp::Reverse(p.to_string_lossy().contains("-T")));
        ring.extend(sos);
    }
    ring.push(root.path("var/log/dmesg"));
    let mut out = Read::default();
    let mut groups = Vec::new();
    let read_kernel_file = |path: &std::path::Path, out: &mut Read| {
        let mut r = files::read_generations(path, FALLBACK_LINES, None, boot);
        for e in &mut r.entries {
            e.kernel = true;
        }
        out.warnings.extend(r.warnings);
        r.entries
    };
    for path in ring.iter().filter(|p| HostRoot::path_exists(p)) {
        let entries = read_kernel_file(path, &mut out);
        if !entries.is_empty() {
            groups.push(entries);
            break;
        }
    }
    // kern.log, else the kernel lines of the journal export: both reach further back
    // than the ring buffer did.
    let kern_log = root.path("var/log/kern.log");
    let older = if HostRoot::path_exists(&kern_log) {
        Some(read_kernel_file(&kern_log, &mut out))
    } else {
        files::journal_export(root).map(|path| {
            let mut r = files::read_generations(&path, FALLBACK_LINES, None, boot);
            r.entries.retain(|e| e.kernel);
            out.warnings.extend(r.warnings);
            r.entries
        })
    };
    if let Some(mut kern) = older {
        if let Some(c) = capture {
            crate::collect::capture::not_after(&mut kern, c);
        }
        if let Some(ring) = groups.first_mut() {
            retime_from(ring, &kern, boot);
        }
        groups.push(kern);
    }
    if groups.iter().any(|g| !g.is_empty()) {
        out.entries = super::merge(super::dedupe(groups));
        return out;
    }
    for rel in ["var/log/messages", "var/log/syslog"] {
        let path = root.path(rel);
        if HostRoot::path_exists(&path) {
            let mut r = files::read_generations(&path, FALLBACK_LINES, None, boot);
            r.entries.retain(|e| e.kernel);
            out.warnings.extend(r.warnings);
            out.entries.extend(r.entries);
            break;
        }
    }
    out
}

/// A boot time known only to the minute (capture time − `uptime` output) puts ring-buffer
/// records up to a minute off, and then they do not pair with the same records in
/// `kern.log`. `kern.log` has both clocks on one line (`Feb 10 16:19:13 host kernel:
/// [63666.498232] …`): its newest record of the same boot gives the boot time to the
/// second, and the ring records are re-timed with it.
fn retime_from(ring: &mut [LogEntry], kern: &[LogEntry], boot: Option<Time>) {
    let ring_up = ring
        .iter()
        .filter_map(|e| e.uptime_seconds)
        .fold(0.0, f64::max);
    let Some((t, up)) = kern
        .iter()
        .rev()
        .find_map(|e| Some((e.time?, e.uptime_seconds?)))
        .filter(|(_, up)| *up <= ring_up + 1.0)
    else {
        return;
    };
    let exact = t - chrono::Duration::milliseconds((up * 1000.0) as i64);
    if boot.is_some_and(|b| (b - exact).num_seconds().abs() > 120) {
        return; // Another boot, or kern.log from elsewhere.
    }
    for e in ring.iter_mut() {
        if let Some(u) = e.uptime_seconds {
            e.time = Some(exact + chrono::Duration::milliseconds((u * 1000.0) as i64));
        }
    }
}

/// Boot time as `dmesg -T` computes it: `CLOCK_REALTIME − CLOCK_BOOTTIME`.
pub fn boot_time_live() -> Option<Time> {
    use nix::time::{clock_gettime, ClockId};
    let real = clock_gettime(ClockId::CLOCK_REALTIME).ok()?;
    let boot = clock_gettime(ClockId::CLOCK_BOOTTIME).ok()?;
    let usec =
        (real.tv_sec() - boot.tv_sec()) * 1_000_000 + (real.tv_nsec() - boot.tv_nsec()) / 1_000;
    use chrono::TimeZone;
    chrono::Local
        .timestamp_micros(usec)
        .single()
        .map(|t| t.fixed_offset())
}

/// Boot time from the `btime` line of the root's `proc/stat`.
pub(crate) fn boot_time_from_stat(root: &HostRoot) -> Option<Time> {
    let stat = root.read_proc("stat").ok()?;
    let secs = stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    time_from_unix(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_ring_buffer_reads_without_blocking() {
        // Whatever else is in the ring buffer (records systemd or a root process wrote,
        // an OOM kill from an hour ago) is the machine's business: assert on a record
        // this test writes, when it may write one.
        let marker = format!(
            "triage-test-marker-{}-{}",
            std::process::id(),
            now().timestamp_nanos_opt().unwrap_or_default()
        );
        let wrote = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/kmsg")
            .and_then(|mut f| {
                use std::io::Write;
                f.write_all(format!("<5>{marker}\n").as_bytes())
            })
            .is_ok();
        let started = std::time::Instant::now();
        let r = read_kernel(&HostRoot::live(), None);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        if r.entries.is_empty() && r.warnings.is_empty() {
            eprintln!(
                "skipping: the kernel ring buffer is empty and there are no kernel log files"
            );
            return;
        }
        if !wrote || !r.warnings.is_empty() {
            eprintln!("skipping the marker check: /dev/kmsg not writable or not readable here");
            return;
        }
        let mine = r
            .entries
            .iter()
            .find(|e| e.message.contains(&marker))
            .unwrap_or_else(|| panic!("{marker} not read back"));
        assert!(
            mine.time.is_some(),
            "live records have wall times: {mine:?}"
        );
        assert_eq!(mine.level.as_deref(), Some("notice"), "{mine:?}");
    }

    #[test]
    fn without_dev_kmsg_klogctl_or_a_warning_takes_over() {
        let missing = std::path::Path::new("/nonexistent/triage/kmsg");
        let r = read_live_at(&HostRoot::live(), missing);
        if r.entries.iter().any(|e| e.source == "kernel") {
            // klogctl allowed (root, CAP_SYSLOG or dmesg_restrict=0): same records.
            assert!(r.warnings.is_empty(), "{:?}", r.warnings);
            assert!(r.entries.iter().all(|e| e.kernel && e.time.is_some()));
        } else {
            assert!(
                r.warnings
                    .first()
                    .is_some_and(|w| w.contains("/nonexistent/triage/kmsg")),
                "{:?}",
                r.warnings
            );
        }
    }

    #[test]
    fn sosreport_dmesg_is_preferred_and_uses_btime() {
        let dir = tempfile::tempdir().unwrap();
        let sos = dir.path().join("sos_commands/kernel");
        std::fs::create_dir_all(&sos).unwrap();
        std::fs::write(sos.join("dmesg"), "[    5.000000] hello\n[   10.5] world\n").unwrap();
        std::fs::create_dir_all(dir.path().join("proc")).unwrap();
        std::fs::write(
            dir.path().join("proc/stat"),
            "cpu 1 2 3\nbtime 1763892000\n",
        )
        .unwrap();
        let root = HostRoot::new(dir.path()).unwrap();
        let r = read_kernel(&root, None);
        assert_eq!(r.entries.len(), 2, "{:?}", r.warnings);
        assert_eq!(r.entries[0].time.unwrap().timestamp(), 1_763_892_005);
        assert_eq!(r.entries[1].message, "world");
    }

    #[test]
    fn kernel_lines_of_messages_when_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("var/log")).unwrap();
        std::fs::write(
            dir.path().join("var/log/messages"),
            "Nov 23 10:00:00 h kernel: Out of memory: Killed process 1 (a)\nNov 23 10:00:01 h sshd[2]: hi\n",
        )
        .unwrap();
        let r = read_kernel(&HostRoot::new(dir.path()).unwrap(), None);
        assert_eq!(r.entries.len(), 1);
        assert!(r.entries[0].message.starts_with("Out of memory"));
    }

    #[test]
    fn kern_log_linked_out_of_the_tree_is_refused_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("root");
        std::fs::create_dir_all(d.join("var/log")).unwrap();
        let outside = dir.path().join("kern.log");
        std::fs::write(&outside, "Nov 23 10:00:00 h kernel: OUTSIDE-MARKER-77\n").unwrap();
        std::os::unix::fs::symlink("../../../kern.log", d.join("var/log/kern.log")).unwrap();
        std::os::unix::fs::symlink("../../../kern.log", d.join("var/log/messages")).unwrap();
        let r = read_kernel(&HostRoot::new(&d).unwrap(), None);
        assert!(
            r.entries
                .iter()
                .all(|e| !e.message.contains("OUTSIDE-MARKER")),
            "{:?}",
            r.entries
        );
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("var/log/") && w.contains("outside the --root tree")),
            "{:?}",
            r.warnings
        );
    }
}
