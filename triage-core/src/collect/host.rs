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
    // In this order: the warnings come out in it.
    let (hostname, kernel, os) = (hostname(ctx), kernel_release(ctx), os_name(ctx));
    let (uptime_seconds, boot_time) = uptime_and_boot(ctx);
    Ok(Host {
        hostname,
        kernel,
        os,
        uptime_seconds,
        boot_time,
        cpus: (!root.is_live() && !root.exists("proc/stat"))
            .then(|| cpu_count(root))
            .flatten(),
    })
}

/// The kernel's hostname, else a sosreport's saved one, else `unknown` (with a warning).
fn hostname(ctx: &Ctx) -> String {
    let root = &ctx.root;
    first_usable(
        ctx,
        "hostname",
        &[
            root.proc("sys/kernel/hostname"),
            root.path("sos_commands/host/hostname"),
            root.path("etc/hostname"),
        ],
        |s| one_word(s, false),
    )
    .or_else(|| {
        let text = root.read_string("sos_commands/host/hostnamectl_status").ok()?;
        labelled(&text, "Static hostname:").and_then(|v| one_word(&v, false))
    })
    .unwrap_or_else(|| {
        ctx.warn(
            "hostname unknown: neither proc/sys/kernel/hostname, sos_commands/host/hostname nor etc/hostname could be read",
        );
        "unknown".to_string()
    })
}

fn kernel_release(ctx: &Ctx) -> String {
    let root = &ctx.root;
    first_usable(
        ctx,
        "kernel release",
        &[root.proc("sys/kernel/osrelease")],
        |s| one_word(s, true),
    )
    .or_else(|| {
        // Only sosreports have these files: their absence is no news.
        ["sos_commands/kernel/uname_-a", "uname"]
            .iter()
            .find_map(|rel| {
                root.read_string(rel)
                    .ok()
                    .and_then(|s| parse_uname_release(&s))
            })
    })
    .unwrap_or_default()
}

/// The OS name from os-release, else (sosreports) lsb-release, lsb_release, hostnamectl or
/// redhat-release. A dangling `etc/os-release` link (a sosreport that did not keep
/// `usr/lib/os-release`) is worth a warning only when no other source named the OS.
fn os_name(ctx: &Ctx) -> String {
    let root = &ctx.root;
    let sources = [
        in_tree(root, "etc/os-release"),
        root.path("usr/lib/os-release"),
    ];
    let (found, mut bad) = try_sources(&sources, parse_os_release);
    let found = found.or_else(|| os_from_sos(root));
    if found.is_some() {
        bad.retain(|b| !b.dangling);
    }
    if !bad.is_empty() {
        ctx.warn(format!("OS name: {}", reasons(&bad)));
    }
    found.unwrap_or_default()
}

/// Uptime and boot time from whichever of `uptime` and `btime` is there; on a tree the
/// boot is capture time − uptime, and with neither nor a known capture time, unknown.
fn uptime_and_boot(ctx: &Ctx) -> (u64, Option<crate::snapshot::Time>) {
    let root = &ctx.root;
    let uptime = uptime_seconds(root);
    let btime = super::cpu::read_stat(root).ok().map(|s| s.btime);
    match (uptime, btime) {
        (Ok(up), Some(bt)) if root.is_live() || !ctx.now_known => (up, time_from_unix(bt as i64)),
        // A tree: boot = capture − uptime, the same instant `btime` names.
        (Ok(up), _) => (up, time_from_unix(ctx.now.timestamp() - up as i64)),
        (Err(e), Some(bt)) if ctx.now_known => {
            if root.is_live() {
                ctx.warn(format!("uptime from boot time instead: {e}"));
            }
            (
                (ctx.now.timestamp() - bt as i64).max(0) as u64,
                time_from_unix(bt as i64),
            )
        }
        (Err(e), bt) => {
            // A saved tree captured at an unknown time: "now − boot" would be wrong.
            ctx.warn(format!("uptime unknown: {e}"));
            (0, bt.and_then(|b| time_from_unix(b as i64)))
        }
    }
}

/// `rel` with a symlink at its end resolved inside the tree: `etc/os-release` is usually
/// `../usr/lib/os-release`, and an absolute target (`/usr/lib/os-release`) names the
/// captured host's file, never the analyst's.
fn in_tree(root: &HostRoot, rel: &str) -> PathBuf {
    let path = root.path(rel);
    if root.is_live() {
        return path;
    }
    match HostRoot::read_link(&path) {
        Ok(target) if target.is_absolute() => root.path(target),
        _ => path,
    }
}

/// The OS name from what a sosreport keeps when os-release is not there.
fn os_from_sos(root: &HostRoot) -> Option<String> {
    let read = |rel: &str| root.read_string(rel).ok();
    read("etc/lsb-release")
        .and_then(|t| parse_os_release(&t.replace("DISTRIB_DESCRIPTION", "PRETTY_NAME")))
        .filter(|v| !v.is_empty())
        .or_else(|| {
            [
                "sos_commands/release/lsb_release_-a",
                "sos_commands/release/lsb_release",
                "lsb-release",
            ]
            .iter()
            .find_map(|rel| read(rel).and_then(|t| labelled(&t, "Description:")))
        })
        .or_else(|| {
            read("sos_commands/host/hostnamectl_status")
                .and_then(|t| labelled(&t, "Operating System:"))
        })
        .or_else(|| read("etc/redhat-release").and_then(|s| one_word(&s, false)))
        .and_then(|v| one_word(&v, false))
}

/// CPUs of a saved tree: `processor` lines of `proc/cpuinfo`, else `CPU(s):` of lscpu.
fn cpu_count(root: &HostRoot) -> Option<u32> {
    let from_cpuinfo = root.read_proc("cpuinfo").ok().and_then(|t| {
        let n = t
            .lines()
            .filter(|l| l.split(':').next().is_some_and(|k| k.trim() == "processor"))
            .count() as u32;
        (n > 0).then_some(n)
    });
    from_cpuinfo.or_else(|| {
        let t = root.read_string("sos_commands/processor/lscpu").ok()?;
        labelled(&t, "CPU(s):")?.parse().ok().filter(|n| *n > 0)
    })
}

/// The value after `label` on the first line that has it (`hostnamectl`, `lsb_release`).
fn labelled(text: &str, label: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Seconds up: `proc/uptime`, else the `uptime` command output a sosreport keeps.
fn uptime_seconds(root: &HostRoot) -> Result<u64> {
    let path = root.proc("uptime");
    let first = match root.read_proc("uptime") {
        Ok(s) => {
            return parse_uptime(&s).map(|v| v as u64).ok_or_else(|| {
                Error::parse(
                    &path,
                    Some(1),
                    "expected two numbers (seconds up, seconds idle)",
                )
            })
        }
        Err(e) => e,
    };
    for rel in UPTIME_OUTPUTS {
        if let Some(up) = root
            .read_string(rel)
            .ok()
            .and_then(|t| super::capture::parse_uptime_output(&t))
        {
            return Ok(up);
        }
    }
    Err(first)
}

/// Where a sosreport keeps the `uptime` command's output.
pub(crate) const UPTIME_OUTPUTS: &[&str] = &["sos_commands/host/uptime", "uptime"];

/// The value of the first of `sources` that reads and `parse`s to something non-empty. A
/// source that exists (even as a dangling symlink) but cannot be used is named in one
/// warning about `what`; a missing one is silently skipped.
fn first_usable(
    ctx: &Ctx,
    what: &str,
    sources: &[PathBuf],
    parse: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let (found, bad) = try_sources(sources, parse);
    if !bad.is_empty() {
        let then = if found.is_some() {
            "; the next source was used"
        } else {
            ""
        };
        ctx.warn(format!("{what}: {}{then}", reasons(&bad)));
    }
    found
}

/// Why one source could not be used.
struct Unusable {
    reason: String,
    /// A link whose target is not in the tree: the usual state of a sosreport that kept
    /// `etc/os-release` but not the `usr/lib/os-release` it points to.
    dangling: bool,
}

fn reasons(bad: &[Unusable]) -> String {
    let all: Vec<&str> = bad.iter().map(|b| b.reason.as_str()).collect();
    all.join("; ")
}

/// The first of `sources` that reads and parses to a non-empty value, and why each one
/// before it was not usable (a file that is simply absent is not a reason: only a
/// dangling link, an unreadable file or text that does not parse is).
fn try_sources(
    sources: &[PathBuf],
    parse: impl Fn(&str) -> Option<String>,
) -> (Option<String>, Vec<Unusable>) {
    let mut bad = Vec::new();
    let mut found = None;
    for path in sources {
        match HostRoot::read_path_string(path) {
            Ok(text) => match parse(&text).filter(|v| !v.is_empty()) {
                Some(v) => {
                    found = Some(v);
                    break;
                }
                None => bad.push(Unusable {
                    reason: format!("{}: empty or not understood", path.display()),
                    dangling: false,
                }),
            },
            Err(e) if e.is_not_found() => {
                let link = HostRoot::symlink_metadata(path).is_ok_and(|m| m.is_symlink());
                if link {
                    bad.push(Unusable {
                        reason: e.to_string(),
                        dangling: true,
                    });
                }
            }
            Err(e) => bad.push(Unusable {
                reason: e.to_string(),
                dangling: false,
            }),
        }
    }
    (found, bad)
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
pub(crate) fn parse_os_release(text: &str) -> Option<String> {
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
pub(crate) fn parse_uptime(text: &str) -> Option<f64> {
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
    fn os_release_symlink_resolves_inside_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("etc")).unwrap();
        std::fs::create_dir_all(d.join("usr/lib")).unwrap();
        std::fs::write(
            d.join("usr/lib/os-release"),
            "PRETTY_NAME=\"Captured OS 1\"\n",
        )
        .unwrap();
        // Absolute, as some distributions ship it: must not read the analyst's file.
        std::os::unix::fs::symlink("/usr/lib/os-release", d.join("etc/os-release")).unwrap();
        std::fs::write(
            d.join("usr/lib/os-release"),
            "PRETTY_NAME=\"Captured OS 1\"\n",
        )
        .unwrap();
        let ctx = Ctx::new(HostRoot::new(d).unwrap(), Default::default());
        assert_eq!(collect(&ctx).unwrap().os, "Captured OS 1");
        std::fs::remove_file(d.join("usr/lib/os-release")).unwrap();
        std::fs::write(
            d.join("etc/lsb-release"),
            "DISTRIB_ID=Ubuntu\nDISTRIB_DESCRIPTION=\"Ubuntu 20.04.3 LTS\"\n",
        )
        .unwrap();
        assert_eq!(collect(&ctx).unwrap().os, "Ubuntu 20.04.3 LTS");
    }

    #[test]
    fn a_dangling_os_release_link_is_news_only_when_nothing_else_names_the_os() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("etc")).unwrap();
        std::os::unix::fs::symlink("../usr/lib/os-release", d.join("etc/os-release")).unwrap();
        let os_warnings = |ctx: &Ctx| -> Vec<String> {
            let all = ctx.take_warnings().into_iter().map(|w| w.message);
            all.filter(|m| m.starts_with("OS name")).collect()
        };
        let ctx = Ctx::new(HostRoot::new(d).unwrap(), Default::default());
        assert_eq!(collect(&ctx).unwrap().os, "");
        let w = os_warnings(&ctx);
        assert!(w.len() == 1 && w[0].contains("etc/os-release"), "{w:?}");

        std::fs::write(
            d.join("etc/lsb-release"),
            "DISTRIB_DESCRIPTION=\"Ubuntu 20.04.3 LTS\"\n",
        )
        .unwrap();
        let ctx = Ctx::new(HostRoot::new(d).unwrap(), Default::default());
        assert_eq!(collect(&ctx).unwrap().os, "Ubuntu 20.04.3 LTS");
        assert_eq!(os_warnings(&ctx), Vec::<String>::new());
    }

    #[test]
    fn a_symlinked_etc_is_not_followed_to_read_links_outside_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("root");
        // Outside the tree: an `os-release` link naming a file the attacker put in it.
        let outside = dir.path().join("outside_etc");
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink("/planted/os-release", outside.join("os-release")).unwrap();
        std::fs::create_dir_all(d.join("planted")).unwrap();
        std::fs::write(d.join("planted/os-release"), "PRETTY_NAME=\"Planted\"\n").unwrap();
        std::fs::create_dir_all(d.join("usr/lib")).unwrap();
        std::fs::write(d.join("usr/lib/os-release"), "PRETTY_NAME=\"Captured\"\n").unwrap();
        std::os::unix::fs::symlink("../outside_etc", d.join("etc")).unwrap();
        let ctx = Ctx::new(HostRoot::new(&d).unwrap(), Default::default());
        assert_eq!(collect(&ctx).unwrap().os, "Captured");
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
