//! One pass over `/proc`: every process's `stat` (parsed by `procfs-core`, see
//! `proc_pid_stat(5)`), its owner and, when asked, its cgroups. [`super::processes`] takes
//! two of these an interval apart; the recorder takes one per tick.

use std::os::unix::fs::MetadataExt;

use procfs_core::FromRead;

use crate::error::{Error, Result};
use crate::host_root::HostRoot;

/// The raw counters of one process from one sample.
#[derive(Debug, Clone, PartialEq)]
pub struct RawProc {
    /// Process id.
    pub pid: i32,
    /// Parent pid.
    pub ppid: i32,
    /// `comm`.
    pub comm: String,
    /// Kernel state letter.
    pub state: char,
    /// utime + stime, clock ticks.
    pub cpu_ticks: u64,
    /// Start time, clock ticks after boot.
    pub start_ticks: u64,
    /// Resident pages.
    pub rss_pages: u64,
    /// Threads.
    pub threads: u64,
    /// Owner uid.
    pub uid: Option<u32>,
    /// Its cgroups (`/proc/PID/cgroup`), when the pass read them.
    pub cgroups: Option<super::cgroups::ProcCgroups>,
}

/// Parse one `/proc/PID/stat` line.
pub(crate) fn parse_stat(text: &str) -> std::result::Result<RawProc, String> {
    // procfs-core slices around `(comm)` by byte offsets without checking them: make sure
    // the line is `PID (COMM) REST` (the characters sliced at are ASCII) before handing
    // it over.
    let line = text.trim().as_bytes();
    let (Some(open), Some(close)) = (
        line.iter().position(|&b| b == b'('),
        line.iter().rposition(|&b| b == b')'),
    ) else {
        return Err("not a valid stat line (no `(comm)`)".into());
    };
    if open == 0 || line[open - 1] != b' ' || close < open || line.get(close + 1) != Some(&b' ') {
        return Err("not a valid stat line (not `PID (COMM) …`)".into());
    }
    let s = procfs_core::process::Stat::from_read(text.as_bytes()).map_err(|e| {
        // procfs-core's internal errors span several lines with its source paths: keep the
        // last line, which says what was wrong with the value.
        let msg = e.to_string();
        let last = msg.lines().last().unwrap_or_default().trim().to_string();
        format!("not a valid stat line ({last})")
    })?;
    Ok(RawProc {
        pid: s.pid,
        ppid: s.ppid,
        comm: s.comm,
        state: s.state,
        // Saturating: a crafted stat's utime near u64::MAX overflowed the sum
        // (`proc_files` fuzz finding); every consumer takes deltas with saturating_sub.
        cpu_ticks: s.utime.saturating_add(s.stime),
        start_ticks: s.starttime,
        rss_pages: s.rss,
        threads: s.num_threads.max(0) as u64,
        uid: None,
        cgroups: None,
    })
}

/// One pass over `/proc`: every pid directory's stat. Processes that vanish between the
/// listing and the read are skipped; garbled files are counted.
pub fn sample(root: &HostRoot) -> Result<(Vec<RawProc>, Vec<String>)> {
    sample_with(root, false)
}

/// [`sample`], reading each process's `/proc/PID/cgroup` too when `cgroups` is set.
pub(crate) fn sample_with(root: &HostRoot, cgroups: bool) -> Result<(Vec<RawProc>, Vec<String>)> {
    let dir = root.proc_dir();
    let entries = HostRoot::read_dir(&dir)?;
    let mut procs = Vec::with_capacity(512);
    let mut problems = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let pdir = entry.path();
        let stat_path = pdir.join("stat");
        let text = match HostRoot::read_path_string(&stat_path) {
            Ok(t) => t,
            Err(e) if e.is_not_found() => continue,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        match parse_stat(&text) {
            Ok(mut p) => {
                if p.pid != pid {
                    problems.push(format!(
                        "{}: pid {} does not match its directory",
                        stat_path.display(),
                        p.pid
                    ));
                    continue;
                }
                p.uid = if root.is_live() {
                    HostRoot::metadata(&pdir).ok().map(|m| m.uid())
                } else {
                    // A copied tree (fixture, sosreport) does not keep file owners.
                    HostRoot::read_path_string(&pdir.join("status"))
                        .ok()
                        .and_then(|t| parse_status_uid(&t))
                };
                if cgroups {
                    p.cgroups = read_cgroups(&pdir);
                }
                procs.push(p);
            }
            Err(m) => problems.push(Error::parse(&stat_path, Some(1), m).to_string()),
        }
    }
    if procs.is_empty() {
        return Err(Error::Unavailable(format!(
            "no process directories under {} (not a live /proc, or a sosreport without pid dirs)",
            dir.display()
        )));
    }
    procs.sort_unstable_by_key(|p| p.pid);
    Ok((procs, problems))
}

/// A process's cgroups; `None` when the file is gone or unreadable (the process exited,
/// a kernel without cgroups, a capture without the file).
pub(super) fn read_cgroups(pdir: &std::path::Path) -> Option<super::cgroups::ProcCgroups> {
    let text = HostRoot::read_path_string(&pdir.join("cgroup")).ok()?;
    super::cgroups::proc_cgroup(&text).ok()
}

/// The real uid from a `/proc/PID/status` text (`Uid:\treal\teffective\t…`).
pub(crate) fn parse_status_uid(text: &str) -> Option<u32> {
    text.lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fuzz finding (`proc_files`): utime + stime overflowed ("attempt to add with
    /// overflow" in a debug build).
    #[test]
    fn cpu_times_near_the_maximum_saturate() {
        let line = "1401 (nginx) S 900 1401 1400 1 -1 4194560 0 0 1 0 200 18446744073709551615 0 0 20 0 1 0 2401 100000000 8000 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
        let p = parse_stat(line).unwrap();
        assert_eq!(p.cpu_ticks, u64::MAX);
        assert_eq!(p.pid, 1401);
    }

    #[test]
    fn parses_stat_with_spaces_and_parens_in_comm() {
        let line = "4242 (my (weird) app) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 123456 1000000 2560 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        let p = parse_stat(line).unwrap();
        assert_eq!(p.pid, 4242);
        assert_eq!(p.comm, "my (weird) app");
        assert_eq!(p.state, 'S');
        assert_eq!(p.cpu_ticks, 300);
        assert_eq!(p.threads, 7);
        assert_eq!(p.rss_pages, 2560);
        assert_eq!(p.start_ticks, 123456);
    }

    #[test]
    fn truncated_stat_is_an_error() {
        assert!(parse_stat("4242 (app) S 1 4242").is_err());
        assert!(parse_stat("").is_err());
    }

    #[test]
    fn garbled_comm_parens_are_an_error_not_a_panic() {
        // `)` before `(`, `(` first, a multi-byte char before `(` or after `)`.
        for bad in [
            "1 ) x (app S",
            "(app) S 1",
            "1\u{e9}(app) S 1",
            "1 (app)\u{e9}S 1",
            "1 (app)",
        ] {
            assert!(parse_stat(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn status_uid() {
        assert_eq!(
            parse_status_uid("Name:\tnginx\nUid:\t33\t33\t33\t33\nGid:\t33\n"),
            Some(33)
        );
        assert_eq!(parse_status_uid("Name:\tx\n"), None);
        assert_eq!(parse_status_uid("Uid:\tabc\n"), None);
    }
}
