//! `pressure`: pressure stall information from `/proc/pressure/{cpu,memory,io}`
//! (Linux 4.20+, `CONFIG_PSI`; see the kernel's `Documentation/accounting/psi.rst`).
//! Lines are parsed by `procfs-core`. The CPU file has no `full` line before 5.13.

use super::Ctx;
use crate::error::{Error, Result};
use crate::snapshot::{Pressure, PressureLine};

/// Collect the pressure section; an error (section `null`) when the kernel has no PSI.
pub fn collect(ctx: &Ctx) -> Result<Pressure> {
    let has_psi = crate::HostRoot::is_dir(&ctx.root.proc("pressure"));
    if !has_psi && !ctx.root.is_live() {
        return Err(Error::Unavailable(format!(
            "no {} in this tree: its kernel had no PSI (Linux 4.20+ with CONFIG_PSI), or the capture left it out",
            ctx.root.proc("pressure").display()
        )));
    }
    if !has_psi {
        return Err(Error::Unavailable(
            "no /proc/pressure: the kernel has no PSI (needs Linux 4.20+ with CONFIG_PSI; some distributions need psi=1 on the kernel command line)".into(),
        ));
    }
    let read = |name: &str| -> Option<PressureLine> {
        let path = ctx.root.proc(format!("pressure/{name}"));
        match ctx.root.read_proc(format!("pressure/{name}")) {
            Ok(text) => match parse(&text) {
                Ok(line) => Some(line),
                Err(m) => {
                    ctx.warn(Error::parse(&path, None, m).to_string());
                    None
                }
            },
            Err(e) => {
                let msg = match &e {
                    Error::Io { source, .. } if source.raw_os_error() == Some(libc::EOPNOTSUPP) => {
                        format!(
                            "{}: PSI is disabled (boot with psi=1 to enable it)",
                            path.display()
                        )
                    }
                    _ => e.to_string(),
                };
                ctx.warn(msg);
                None
            }
        }
    };
    let p = Pressure {
        cpu: read("cpu"),
        memory: read("memory"),
        io: read("io"),
    };
    if p.cpu.is_none() && p.memory.is_none() && p.io.is_none() {
        return Err(Error::Unavailable("no PSI file could be read".into()));
    }
    Ok(p)
}

/// Parse one PSI file ("some avg10=… avg60=… avg300=… total=…" and optional "full …").
pub(crate) fn parse(text: &str) -> std::result::Result<PressureLine, String> {
    let mut some = None;
    let mut full = None;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        // procfs-core slices past the 5-byte prefix: guard short lines so they are an
        // error here, not a panic there.
        if line.len() <= 5 || !line.is_char_boundary(5) {
            return Err(format!("line {}: not a PSI line: {line:?}", n + 1));
        }
        let rec = procfs_core::parse_pressure_record(line)
            .map_err(|e| format!("line {}: not a PSI line ({e}): {line:?}", n + 1))?;
        if line.starts_with("some") {
            some = Some(rec);
        } else if line.starts_with("full") {
            full = Some(rec);
        }
    }
    let some = some.ok_or("no `some` line")?;
    // procfs-core parses f32; the kernel prints two decimals, so round back to them.
    let r = |v: f32| (v as f64 * 100.0).round() / 100.0;
    Ok(PressureLine {
        some_avg10: r(some.avg10),
        some_avg60: r(some.avg60),
        full_avg10: full.map(|f| r(f.avg10)),
        some_avg300: r(some.avg300),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_some_and_full() {
        let p = parse("some avg10=12.50 avg60=3.00 avg300=1.00 total=123\nfull avg10=4.25 avg60=1.00 avg300=0.50 total=45\n")
            .unwrap();
        assert_eq!(p.some_avg10, 12.5);
        assert_eq!(p.some_avg60, 3.0);
        assert_eq!(p.full_avg10, Some(4.25));
        let p = parse("some avg10=0.10 avg60=2.00 avg300=3.85 total=1\n").unwrap();
        assert_eq!((p.some_avg10, p.some_avg300), (0.1, 3.85));
    }

    /// `proc/pressure` linked out of a `--root` tree is not PSI of that tree: the section
    /// is unavailable, naming the path, and the outside files are not read.
    #[test]
    fn pressure_linked_out_of_the_tree_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        for f in ["cpu", "memory", "io"] {
            std::fs::write(
                outside.join(f),
                "some avg10=77.70 avg60=0 avg300=0 total=1\n",
            )
            .unwrap();
        }
        let r = dir.path().join("root");
        std::fs::create_dir_all(r.join("proc")).unwrap();
        std::os::unix::fs::symlink("../../outside", r.join("proc/pressure")).unwrap();
        let ctx = Ctx::new(crate::HostRoot::new(&r).unwrap(), Default::default());
        let err = collect(&ctx).unwrap_err().to_string();
        assert!(err.contains("proc/pressure"), "{err}");
        assert!(!err.contains("77.7"), "{err}");
    }

    #[test]
    fn cpu_without_full_line() {
        let p = parse("some avg10=0.00 avg60=0.10 avg300=0.00 total=1\n").unwrap();
        assert_eq!(p.full_avg10, None);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse("").is_err());
        assert!(parse("some avg10=abc\n").is_err());
        assert!(parse("some\n").is_err());
        assert!(parse("some é\n").is_err());
    }
}
