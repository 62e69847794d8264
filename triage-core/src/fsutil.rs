//! File writing that never loses what the user wrote: atomic replace, and durable appends.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Write `bytes` to `path` atomically: a temporary file in the same directory is written,
/// fsynced and renamed over `path`, then the directory is fsynced. Readers see the old
/// file or the new one, never half of one, and once this returns the new file survives a
/// power loss. `mode` applies to the new file (`0o600` for reports: they hold command
/// lines and log lines).
///
/// The temporary file is nameless while it is written (`O_TMPFILE`), so a write killed
/// half-way leaves nothing behind; it gets a random name (`O_EXCL|O_NOFOLLOW`, never a
/// planted symlink) only for the instant between `linkat` and `rename`. File systems
/// without `O_TMPFILE` get the random name from the start, created with `mode`.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    replace(path, bytes, mode, true)
}

/// Like [`write_atomic`] without the two fsyncs: for a file that is rewritten every
/// interval from fresh readings (node_exporter's `triage.prom`), where readers only must
/// never see half a file. The rename alone gives that: a reader opens either the old inode
/// or the new, whole one. What the fsyncs add is durability across a power loss or kernel
/// crash, and that buys nothing for a cache of figures the next run writes again: after
/// such a crash the file may come back old, empty or (on some file systems) zero-filled,
/// node_exporter then reports no triage metrics or `node_textfile_scrape_error 1`, and the
/// next `check`/`record` interval replaces it. The fsyncs cost two journal commits, ~18 ms
/// here and seconds on a disk that is busy — the moment triage is run.
pub fn replace_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    replace(path, bytes, mode, false)
}

fn replace(path: &Path, bytes: &[u8], mode: u32, durable: bool) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::Invalid(format!("{}: not a file path", path.display())))?;
    let (mut f, mut tmp) = match open_nameless(dir, mode) {
        Ok(f) => (f, None),
        Err(_) => {
            let (f, tmp) = create_named(dir, &name.to_string_lossy(), mode, path)?;
            (f, Some(tmp))
        }
    };
    let result = (|| -> std::io::Result<()> {
        f.write_all(bytes)?;
        if durable {
            f.sync_all()?;
        }
        if tmp.is_none() {
            tmp = Some(link_nameless(&f, dir, &name.to_string_lossy())?);
        }
        if let Some(t) = &tmp {
            std::fs::rename(t, path)?;
        }
        if durable {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        if let Some(t) = &tmp {
            let _ = std::fs::remove_file(t);
        }
        return Err(Error::io(path, e));
    }
    Ok(())
}

/// An unnamed file in `dir` (`O_TMPFILE`): it vanishes if the process dies.
fn open_nameless(dir: &Path, mode: u32) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .mode(mode)
        .custom_flags(libc::O_TMPFILE | libc::O_CLOEXEC)
        .open(dir)
}

/// `.NAME.tmp.RANDOM` in `dir`.
fn random_name(dir: &Path, name: &str) -> PathBuf {
    let mut rnd = [0u8; 8];
    let _ =
        File::open("/dev/urandom").and_then(|mut u| std::io::Read::read_exact(&mut u, &mut rnd));
    let suffix: String = rnd.iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!(".{name}.tmp.{suffix}"))
}

/// Give the unnamed file `f` a fresh random name in `dir` (retried if taken).
fn link_nameless(f: &File, dir: &Path, name: &str) -> std::io::Result<PathBuf> {
    use std::os::fd::AsRawFd;
    let fd_path = std::ffi::CString::new(format!("/proc/self/fd/{}", f.as_raw_fd()))?;
    for _ in 0..16 {
        let tmp = random_name(dir, name);
        let c_tmp = std::ffi::CString::new(tmp.as_os_str().as_encoded_bytes())?;
        // SAFETY: both paths are valid NUL-terminated strings for the call's duration.
        let rc = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                fd_path.as_ptr(),
                libc::AT_FDCWD,
                c_tmp.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        if rc == 0 {
            return Ok(tmp);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::AlreadyExists {
            return Err(e);
        }
    }
    Err(std::io::Error::other("no free temporary name"))
}

/// A random name created with `O_EXCL|O_NOFOLLOW`: a symlink planted at a predictable
/// `.NAME.tmp.PID` cannot redirect the write onto a victim file.
fn create_named(dir: &Path, name: &str, mode: u32, path: &Path) -> Result<(File, PathBuf)> {
    for _ in 0..16 {
        let tmp = random_name(dir, name);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp)
        {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Err(Error::Invalid(format!(
        "{}: no free temporary name",
        path.display()
    )))
}

/// Create `dir` and its parents with `mode` for the new directories.
pub fn create_dir_all(dir: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(dir)
        .map_err(|e| Error::io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn atomic_write_replaces_and_sets_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.md");
        write_atomic(&p, b"one", 0o600).unwrap();
        write_atomic(&p, b"two", 0o600).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn replace_without_fsync_is_still_atomic_and_keeps_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("triage.prom");
        replace_atomic(&p, b"a 1\n", 0o644).unwrap();
        // A reader holding the old file keeps reading the whole old content.
        let mut old = File::open(&p).unwrap();
        replace_atomic(&p, b"a 2\n", 0o644).unwrap();
        let mut was = String::new();
        std::io::Read::read_to_string(&mut old, &mut was).unwrap();
        assert_eq!(was, "a 1\n");
        assert_eq!(std::fs::read(&p).unwrap(), b"a 2\n");
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o644
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_planted_symlink_at_the_old_temp_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep me").unwrap();
        let p = dir.path().join("out.md");
        // The name the old code used, planted by another user of a shared directory.
        let planted = dir
            .path()
            .join(format!(".out.md.tmp.{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        write_atomic(&p, b"report", 0o600).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
        assert_eq!(std::fs::read(&p).unwrap(), b"report");
    }

    #[test]
    fn a_write_in_progress_leaves_no_file_another_user_could_read() {
        // What a kill half-way through leaves: the temporary file as it is while written.
        let dir = tempfile::tempdir().unwrap();
        let f = open_nameless(dir.path(), 0o600).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert!(names.is_empty(), "a named temporary file: {names:?}");
        drop(f);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        // Without O_TMPFILE the named fallback is created 0600, never 0644.
        let (_f, tmp) = create_named(dir.path(), "out.md", 0o600, Path::new("out.md")).unwrap();
        let mode = std::fs::metadata(&tmp).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn atomic_write_into_missing_dir_names_the_path() {
        let err = write_atomic(Path::new("/nonexistent-dir/x.md"), b"x", 0o644).unwrap_err();
        assert!(err.to_string().contains("/nonexistent-dir/x.md"), "{err}");
    }
}
