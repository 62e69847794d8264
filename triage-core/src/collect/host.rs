//! `host`: name, kernel, OS, uptime and boot time.
//!
//! Reads `/proc/sys/kernel/hostname` and `osrelease` (see `proc(5)`), `/etc/os-release`
//! (`os-release(5)`), `/proc/uptime` and the `btime` line of `/proc/stat`. On an unpacked
//! sosreport, where `/proc/sys` is often missing, falls back to `etc/hostname` and the
//! `uname` file sos writes.

use std::path::PathBuf;

use super::Ctx;
use crate::error::{Error, Result};
use crate::host_root::HostRoot;
use crate::snapshot::{time_from_unix, Host};

/// Collect the host section.
pub fn collect(ctx: &Ctx) -> Result<Host> {
    let root = &ctx.root;
    let hostname = first_usable(
        ctx,
        "hostname",
        &[root.proc("sys/kernel/hostname"), root.path("etc/hostname")],
        |s| one_word(s, false),
    )
    .unwrap_or_else(|| {
        ctx.warn(
            "hostname unknown: neither proc/sys/kernel/hostname nor etc/hostname could be read",
        );
        "unknown".to_string()
    });
    let kernel = first_usable(
        ctx,
        "kernel release",
        &[root.proc("sys/kernel/osrelease")],
        |s| one_word(s, true),
    )
    .or_else(|| {
        // Only sosreports have this file: its absence is no news.
        root.read_string("uname")
            .ok()
            .and_then(|s| parse_uname_release(&s))
    })
    .unwrap_or_default();
    let os = first_usable(
        ctx,
        "OS name",
        &[root.path("etc/os-release"), root.path("usr/lib/os-release")],
        parse_os_release,
    )
    .or_else(|| {
        root.read_string("etc/redhat-release")
            .ok()
            .and_then(|s| one_word(&s, false))
    })
    .unwrap_or_default();
    let uptime_path = root.proc("uptime");
    let uptime = root.read_proc("uptime").and_then(|s| {
        parse_uptime(&s).ok_or_else(|| {
            Error::parse(
                &uptime_path,
                Some(1),
                "expected two numbers (seconds up, seconds idle)",
            )
        })
    });
    let btime = super::cpu::read_stat(root).ok().map(|s| s.btime);
    let (uptime_seconds, boot_time) = match (uptime, btime) {
        (Ok(up), Some(bt)) => (up as u64, time_from_unix(bt as i64)),
        (Ok(up), None) => (up as u64, time_from_unix(ctx.now.timestamp() - up as i64)),
        (Err(e), Some(bt)) if ctx.root.is_live() => {
            ctx.warn(format!("uptime from boot time instead: {e}"));
            (
                (ctx.now.timestamp() - bt as i64).max(0) as u64,
                time_from_unix(bt as i64),
            )
        }
        (Err(e), bt) => {
            // A saved tree was captured at an unknown time: "now − boot" would be wrong.
            ctx.warn(format!("uptime unknown: {e}"));
            (0, bt.and_then(|b| time_from_unix(b as i64)))
        }
    };
    Ok(Host {
        hostname,
        kernel,
        os,
        uptime_seconds,
        boot_time,
    })
}

/// The value of the first of `sources` that reads and `parse`s to something non-empty. A
/// source that exists (even as a dangling symlink) but cannot be used is named in one
/// warning about `what`; a missing one is silently skipped.
fn first_usable(
    ctx: &Ctx,
    what: &str,
    sources: &[PathBuf],
    parse: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let mut bad = Vec::new();
    let mut found = None;
    for path in sources {
        match HostRoot::read_path_string(path) {
            Ok(text) => match parse(&text).filter(|v| !v.is_empty()) {
                Some(v) => {
                    found = Some(v);
                    break;
                }
                None => bad.push(format!("{}: empty or not understood", path.display())),
            },
            Err(e) if e.is_not_found() && !path.is_symlink() => {}
            Err(e) => bad.push(e.to_string()),
        }
    }
    if !bad.is_empty() {
        let then = if found.is_some() {
            "; the next source was used"
        } else {
            ""
        };
        ctx.warn(format!("{what}: {}{then}", bad.join("; ")));
    }
    found
}

/// A one-line value (host name, kernel release): trimmed, at most 256 bytes, no control
/// characters, and no blanks when `word`. `None` for anything else (garbage).
fn one_word(text: &str, word: bool) -> Option<String> {
    let t = text.trim();
    let ok = !t.is_empty()
        && t.len() <= 256
        && !t
            .chars()
            .any(|c| c.is_control() || (word && c.is_whitespace()));
    ok.then(|| t.to_string())
}

/// `PRETTY_NAME` from os-release text, else `NAME VERSION`.
pub fn parse_os_release(text: &str) -> Option<String> {
    let mut name = None;
    let mut version = None;
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value
            .trim()
            .trim_matches('"')
            .trim_matches('\'')
            .to_string();
        match key.trim() {
            "PRETTY_NAME" if !value.is_empty() => return Some(value),
            "NAME" => name = Some(value),
            "VERSION" => version = Some(value),
            _ => {}
        }
    }
    match (name, version) {
        (Some(n), Some(v)) => Some(format!("{n} {v}")),
        (Some(n), None) => Some(n),
        _ => None,
    }
}

/// Seconds since boot from `/proc/uptime` ("12345.67 54321.00").
pub fn parse_uptime(text: &str) -> Option<f64> {
    text.split_whitespace()
        .next()?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

/// The kernel release from `uname -a` output (third field).
fn parse_uname_release(text: &str) -> Option<String> {
    text.split_whitespace().nth(2).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_prefers_pretty_name() {
        let text = "NAME=\"Debian GNU/Linux\"\nVERSION=\"12 (bookworm)\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(
            parse_os_release(text).unwrap(),
            "Debian GNU/Linux 12 (bookworm)"
        );
        assert_eq!(
            parse_os_release("NAME=CentOS\nVERSION=7\n").unwrap(),
            "CentOS 7"
        );
        assert_eq!(parse_os_release("garbage\n"), None);
    }

    #[test]
    fn uptime_parses_and_rejects_garbage() {
        assert_eq!(parse_uptime("350735.47 234388.90\n"), Some(350735.47));
        assert_eq!(parse_uptime("abc"), None);
        assert_eq!(parse_uptime(""), None);
        assert_eq!(parse_uptime("-5 1"), None);
    }

    #[test]
    fn uname_release() {
        assert_eq!(
            parse_uname_release("Linux web-3 5.14.0-362.el9.x86_64 #1 SMP x86_64 GNU/Linux")
                .unwrap(),
            "5.14.0-362.el9.x86_64"
        );
    }

    #[test]
    fn damaged_name_files_are_named_in_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("proc/sys/kernel")).unwrap();
        std::fs::create_dir_all(d.join("etc")).unwrap();
        std::fs::write(d.join("proc/sys/kernel/hostname"), "").unwrap();
        std::fs::write(d.join("etc/hostname"), "web-1\n").unwrap();
        std::fs::write(d.join("proc/sys/kernel/osrelease"), b"\x01\xff\n\x02").unwrap();
        std::fs::create_dir(d.join("etc/os-release")).unwrap();
        let ctx = Ctx::new(HostRoot::new(d).unwrap(), Default::default());
        let host = collect(&ctx).unwrap();
        assert_eq!(host.hostname, "web-1");
        assert_eq!(host.kernel, "");
        let warnings: Vec<String> = ctx.take_warnings().into_iter().map(|w| w.message).collect();
        let all = warnings.join(" | ");
        for named in ["proc/sys/kernel/hostname", "osrelease", "etc/os-release"] {
            assert!(all.contains(named), "{named} not in {all}");
        }
        assert!(one_word("5.15.0-91-generic\n", true).is_some());
        assert!(one_word("5.15 x", true).is_none());
    }
}
