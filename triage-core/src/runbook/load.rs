//! Where runbooks come from: the repository's `runbooks/*.toml`, embedded in the binary at
//! build time (so `cargo install` has them), then `/etc/triage/runbooks/`,
//! `$TRIAGE_HOME/runbooks/` (the state directory) and the `--runbooks DIR` given on the
//! command line (never `./runbooks/` of the current directory). A later source overrides
//! an earlier one by `id`; each runbook's `origin` says where it came from.

use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use crate::runbook::validate::{parse_runbook, Diagnostic};
use crate::runbook::{Library, Runbook};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_runbooks.rs"));
}

/// Prefix of the `origin` of an embedded runbook (`builtin:oom_kill.toml`).
pub(crate) const BUILTIN_PREFIX: &str = "builtin:";

/// The embedded runbooks as `(builtin:NAME, text)`, sorted by name.
pub(crate) fn builtin_texts() -> Vec<(String, String)> {
    builtin::BUILTIN_RUNBOOKS
        .iter()
        .map(|(name, text)| (format!("{BUILTIN_PREFIX}{name}"), (*text).to_string()))
        .collect()
}

/// The embedded example inventory (`runbooks/inventory.toml` of the repository).
pub(crate) fn builtin_inventory() -> Option<&'static str> {
    builtin::BUILTIN_INVENTORY
}

/// The runbook directories read after the embedded ones, lowest precedence first:
/// `/etc/triage/runbooks`, `STATE_DIR/runbooks`. Never `./runbooks` of the current
/// directory: root running `triage runbook run` in `/tmp` or a cloned repository would
/// execute whatever check steps were planted there.
pub(crate) fn source_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("/etc/triage/runbooks")];
    dirs.extend(crate::state::state_dir().ok().map(|d| d.join("runbooks")));
    dirs.extend(explicit_dir());
    dirs
}

/// The `--runbooks DIR` of this run, if one was given.
static EXPLICIT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// The directory [`use_dir`] added, read last (it overrides the others by id).
pub(crate) fn explicit_dir() -> Option<PathBuf> {
    EXPLICIT.get().cloned()
}

/// Read runbooks (and `inventory.toml`) from `dir` too, for the rest of the process
/// (`--runbooks DIR`). Refused like any runbook source: `dir` must be a directory owned
/// by root or the current user and not writable by group or others (its files are
/// checked as they are read).
pub fn use_dir(dir: &Path) -> Result<(), crate::Error> {
    let meta = std::fs::metadata(dir).map_err(|e| crate::Error::io(dir, e))?;
    if !meta.is_dir() {
        return Err(crate::Error::Invalid(format!(
            "{}: not a directory",
            dir.display()
        )));
    }
    trusted(dir).map_err(crate::Error::Invalid)?;
    let dir = dir.canonicalize().map_err(|e| crate::Error::io(dir, e))?;
    let _ = EXPLICIT.set(dir);
    Ok(())
}

/// The runbooks of one directory (or one file): valid ones in `runbooks`, every problem
/// as `FILE:LINE: message` in `errors`. `inventory.toml` is not a runbook and is skipped.
pub fn load_dir(dir: &Path) -> Library {
    let (texts, diags) = read_dir_texts(dir);
    let scan = scan_texts(&texts, false);
    Library {
        runbooks: scan.runbooks,
        errors: diags
            .iter()
            .chain(&scan.diagnostics)
            .map(ToString::to_string)
            .collect(),
    }
}

/// Every runbook: embedded, then each of [`source_dirs`] that exists, later ones
/// overriding earlier ones by id; sorted by id.
pub fn load_library() -> Library {
    let dirs: Vec<PathBuf> = source_dirs().into_iter().filter(|d| d.is_dir()).collect();
    load_from(true, &dirs)
}

/// [`load_library`] from explicit sources: the embedded runbooks when `builtin`, then
/// `dirs` in order.
pub fn load_from(builtin: bool, dirs: &[PathBuf]) -> Library {
    let mut lib = Library::default();
    if builtin {
        let scan = scan_texts(&builtin_texts(), false);
        merge(&mut lib, scan.runbooks);
        lib.errors
            .extend(scan.diagnostics.iter().map(ToString::to_string));
    }
    for dir in dirs {
        let l = load_dir(dir);
        merge(&mut lib, l.runbooks);
        lib.errors.extend(l.errors);
    }
    lib.runbooks.sort_by(|a, b| a.id.cmp(&b.id));
    lib
}

fn merge(lib: &mut Library, runbooks: Vec<Runbook>) {
    for rb in runbooks {
        match lib.runbooks.iter_mut().find(|r| r.id == rb.id) {
            Some(slot) => *slot = rb,
            None => lib.runbooks.push(rb),
        }
    }
}

/// What scanning one directory of runbooks found.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// Valid runbooks, with the file they came from, in file-name order.
    pub(crate) runbooks: Vec<Runbook>,
    /// Problems, in file order.
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// Validate named texts as one source: each file on its own, then duplicate ids across
/// them. `inventory.toml` is checked as the inventory when `with_inventory`, else skipped.
pub(crate) fn scan_texts(files: &[(String, String)], with_inventory: bool) -> Scan {
    let mut scan = Scan::default();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (file, text) in files {
        let is_inventory = Path::new(file)
            .file_name()
            .is_some_and(|n| n == "inventory.toml");
        if is_inventory {
            if with_inventory {
                scan.diagnostics
                    .extend(crate::runbook::inventory::check_text(text, file));
            }
            continue;
        }
        let (rb, diags) = parse_runbook(text, file);
        scan.diagnostics.extend(diags);
        let Some((mut rb, id_line)) = rb else {
            continue;
        };
        if let Some(first) = seen.get(&rb.id) {
            scan.diagnostics.push(Diagnostic {
                file: file.clone(),
                line: id_line,
                message: format!("duplicate id {:?} (also in {first})", rb.id),
            });
            continue;
        }
        seen.insert(rb.id.clone(), file.clone());
        rb.origin = file.clone();
        scan.runbooks.push(rb);
    }
    scan
}

/// Read every `*.toml` in `dir` (sorted by name) as `(display name, text)`; unreadable
/// files and directories become diagnostics. A single file is read alone.
pub(crate) fn read_dir_texts(dir: &Path) -> (Vec<(String, String)>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let whole = |message: String| Diagnostic {
        file: dir.display().to_string(),
        line: 0,
        message,
    };
    let paths: Vec<std::path::PathBuf> = if dir.is_file() {
        vec![dir.to_path_buf()]
    } else {
        match std::fs::read_dir(dir) {
            Ok(rd) => {
                let mut p: Vec<_> = rd
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
                    .collect();
                p.sort();
                p
            }
            Err(e) => {
                diags.push(whole(format!("cannot read directory: {e}")));
                return (Vec::new(), diags);
            }
        }
    };
    let mut texts = Vec::new();
    for p in paths {
        let name = p.display().to_string();
        match read_text(&p) {
            Ok(t) => texts.push((name, t)),
            Err(e) => diags.push(Diagnostic {
                file: name,
                line: 0,
                message: e,
            }),
        }
    }
    (texts, diags)
}

/// Read a runbook or inventory file without blocking (FIFOs and devices are refused);
/// the error is a message without the path.
pub(crate) fn read_text(path: &Path) -> Result<String, String> {
    trusted(path)?;
    crate::HostRoot::read_path_string(path).map_err(|e| match e {
        crate::Error::Io { source, .. } => format!("cannot read: {source}"),
        other => format!("cannot read: {other}"),
    })
}

/// Like ssh with `authorized_keys`: a runbook (its steps run commands) or inventory is
/// read only when it and its directory are owned by root or the current user and not
/// writable by group or others; otherwise another user could make root run anything.
pub(crate) fn trusted(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let me = nix::unistd::geteuid().as_raw();
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    for p in std::iter::once(path).chain(dir) {
        let Ok(m) = std::fs::metadata(p) else {
            continue;
        };
        if m.uid() != 0 && m.uid() != me {
            return Err(format!(
                "refused: {} is owned by uid {}, not root or the current user",
                p.display(),
                m.uid()
            ));
        }
        if m.mode() & 0o022 != 0 && !(m.is_dir() && m.mode() & 0o1000 != 0 && p != path) {
            return Err(format!(
                "refused: {} is writable by group or others (mode {:o}); chmod go-w it",
                p.display(),
                m.mode() & 0o7777
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_runbooks_are_embedded_and_valid() {
        let lib = load_from(true, &[]);
        assert!(lib.errors.is_empty(), "{:#?}", lib.errors);
        assert!(lib.runbooks.len() >= 8, "{}", lib.runbooks.len());
        let oom = lib.get("oom_kill").expect("oom_kill runbook");
        assert_eq!(oom.origin, "builtin:oom_kill.toml");
        assert!(oom.triggers.iter().any(|t| t == "oom_kill"));
        assert!(builtin_inventory().is_some());
    }

    #[test]
    fn later_sources_override_by_id_and_errors_are_kept() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let rb = |title: &str| {
            format!(
                "id = \"oom_kill\"\ntitle = \"{title}\"\ntriggers = [\"oom_kill\"]\n\
                 [[step]]\ntitle = \"t\"\ncheck = \"true\"\n"
            )
        };
        std::fs::write(a.path().join("mine.toml"), rb("from a")).unwrap();
        std::fs::write(b.path().join("other.toml"), rb("from b")).unwrap();
        std::fs::write(b.path().join("broken.toml"), "id = \n").unwrap();
        let lib = load_from(true, &[a.path().to_path_buf(), b.path().to_path_buf()]);
        let oom = lib.get("oom_kill").unwrap();
        assert_eq!(oom.title, "from b");
        assert_eq!(
            oom.origin,
            b.path().join("other.toml").display().to_string()
        );
        assert_eq!(
            lib.runbooks.iter().filter(|r| r.id == "oom_kill").count(),
            1
        );
        assert_eq!(lib.errors.len(), 1, "{:?}", lib.errors);
        assert!(
            lib.errors[0].contains("broken.toml:1: TOML syntax"),
            "{:?}",
            lib.errors
        );
        // Builtins not overridden are still there.
        assert!(lib.get("disk_almost_full").is_some());
    }
}
