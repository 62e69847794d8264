//! Keeping every read under `--root` inside the tree.
//!
//! A sosreport or fixture tree is untrusted input: `etc/hostname → /etc/shadow`,
//! `var/log/syslog → ../../../../etc/shadow` or `proc → /proc` would make triage (usually
//! root) copy the analyst's own files into a ticket-bound report. So under `--root`:
//! - paths are resolved component by component, the way the kernel's
//!   `openat2(RESOLVE_IN_ROOT)` does: an absolute symlink target starts again at the
//!   tree's root (`etc/localtime → /usr/share/zoneinfo/UTC` stays in the tree), a relative
//!   one from the link's directory (`uptime → sos_commands/host/uptime`); a `..` that would
//!   climb above the root is refused with an error naming the link and its target (the
//!   kernel would silently clamp it; a warning is more useful to the analyst);
//! - files are then opened with `openat2(root_fd, path, RESOLVE_IN_ROOT |
//!   RESOLVE_NO_MAGICLINKS)`, so a symlink swapped in after the check still cannot leave the
//!   tree; kernels before 5.6 fall back to `O_NOFOLLOW` on the resolved path.
//!
//! The roots to contain are registered by [`crate::HostRoot::new`]; a path under none of
//! them (the live host, the state dir) is used as it is.

use std::ffi::OsString;
use std::fs::File;
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};
use std::sync::{LazyLock, RwLock};

use crate::error::{Error, Result};

/// Symlinks followed in one resolution before giving up (the kernel's limit is 40).
const MAX_LINKS: usize = 40;

static ROOTS: LazyLock<RwLock<Vec<PathBuf>>> = LazyLock::new(|| RwLock::new(Vec::new()));

/// Contain every later read under `root` (canonical, not `/`).
pub(crate) fn register(root: &Path) {
    if let Ok(mut roots) = ROOTS.write() {
        if !roots.iter().any(|r| r == root) {
            roots.push(root.to_path_buf());
        }
    }
}

/// The registered root that `path` is under (the deepest one), if any.
fn root_of(path: &Path) -> Option<PathBuf> {
    let roots = ROOTS.read().ok()?;
    roots
        .iter()
        .filter(|r| path.starts_with(r))
        .max_by_key(|r| r.as_os_str().len())
        .cloned()
}

/// `path` with every symlink resolved inside its `--root` tree, or an error naming the
/// link that leads out. A path under no registered root is returned as it is.
pub(crate) fn contained(path: &Path) -> Result<PathBuf> {
    match root_of(path) {
        Some(root) => resolve(&root, path.strip_prefix(&root).unwrap_or(path)),
        None => Ok(path.to_path_buf()),
    }
}

/// Resolve `rel` under `root` (see the module docs). Components that do not exist are
/// kept as they are, so the caller's open reports "not found" on the right path.
pub fn resolve(root: &Path, rel: &Path) -> Result<PathBuf> {
    let mut todo: Vec<OsString> = components(rel);
    todo.reverse();
    let mut done: Vec<OsString> = Vec::new();
    let mut links = 0usize;
    // The last symlink followed, for the error message.
    let mut via: Option<(PathBuf, PathBuf)> = None;
    while let Some(name) = todo.pop() {
        if name == ".." {
            if done.pop().is_none() {
                let (link, target) = via.unwrap_or_else(|| (root.join(rel), PathBuf::from(rel)));
                return Err(Error::OutsideRoot { link, target });
            }
            continue;
        }
        let here: PathBuf = root.join(done.iter().collect::<PathBuf>()).join(&name);
        let is_link = std::fs::symlink_metadata(&here).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            done.push(name);
            continue;
        }
        links += 1;
        let target = std::fs::read_link(&here).map_err(|e| Error::io(&here, e))?;
        if links > MAX_LINKS {
            return Err(Error::io(
                &here,
                std::io::Error::from_raw_os_error(libc::ELOOP),
            ));
        }
        if target.is_absolute() {
            done.clear();
        }
        let mut more = components(&target);
        more.reverse();
        todo.extend(more);
        via = Some((here, target));
    }
    Ok(root.join(done.iter().collect::<PathBuf>()))
}

/// The names in `p`, with `.` and the leading `/` dropped and `..` kept.
fn components(p: &Path) -> Vec<OsString> {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect()
}

/// Open `path` read-only with `flags`; under a registered root, inside it only.
pub fn open(path: &Path, flags: i32) -> Result<File> {
    let Some(root) = root_of(path) else {
        return std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(flags)
            .open(path)
            .map_err(|e| Error::io(path, e));
    };
    let resolved = resolve(&root, path.strip_prefix(&root).unwrap_or(path))?;
    let rel = resolved.strip_prefix(&root).unwrap_or(&resolved);
    match openat2_in_root(&root, rel, flags) {
        Ok(f) => Ok(f),
        Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(flags | libc::O_NOFOLLOW)
            .open(&resolved)
            .map_err(|e| Error::io(path, e)),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// `openat2(2)` with `RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS`: the kernel itself keeps
/// the walk inside `root`.
fn openat2_in_root(root: &Path, rel: &Path, flags: i32) -> std::io::Result<File> {
    use nix::fcntl::{openat2, OFlag, OpenHow, ResolveFlag};
    let dir = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(root)?;
    let rel = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    let how = OpenHow::new()
        .flags(OFlag::from_bits_retain(
            flags | libc::O_RDONLY | libc::O_CLOEXEC,
        ))
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    let fd: OwnedFd = openat2(&dir, rel, how).map_err(std::io::Error::from)?;
    Ok(File::from(fd))
}

/// Test support: calls `probe` over and over for up to 3 s while another thread swaps
/// `a` and `b` (`renameat2(RENAME_EXCHANGE)`, e.g. a directory of a tree and a link out
/// of it) as fast as it can; the first `Some` the probe returns, or `None`. A read that
/// re-resolves a path after checking it loses this race within a few hundred tries.
#[cfg(test)]
pub(crate) fn while_swapping<T: Send>(
    a: &Path,
    b: &Path,
    mut probe: impl FnMut() -> Option<T>,
) -> Option<T> {
    use std::os::unix::ffi::OsStrExt;
    use std::sync::atomic::{AtomicBool, Ordering};
    let cstr = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    let (a, b) = (cstr(a), cstr(b));
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                // SAFETY: two valid NUL-terminated paths; the call only renames them.
                let rc = unsafe {
                    libc::renameat2(
                        libc::AT_FDCWD,
                        a.as_ptr(),
                        libc::AT_FDCWD,
                        b.as_ptr(),
                        libc::RENAME_EXCHANGE,
                    )
                };
                assert_eq!(rc, 0, "{}", std::io::Error::last_os_error());
            }
        });
        let started = std::time::Instant::now();
        let mut found = None;
        while found.is_none() && started.elapsed() < std::time::Duration::from_secs(3) {
            found = probe();
        }
        stop.store(true, Ordering::Relaxed);
        found
    })
}

#[cfg(test)]
#[path = "contain_tests.rs"]
mod tests;
