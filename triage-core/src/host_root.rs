//! [`HostRoot`]: where every collector reads from.
//!
//! `/` on a live host; any directory with `--root DIR` (a fixture tree, an unpacked
//! sosreport). This is the only module that knows where `/proc`, `/sys` and `/etc` are.
//!
//! Reads never block on special files: every file is opened with `O_NONBLOCK` and checked
//! with `fstat` to be a regular file before a byte is read, so a FIFO planted where a
//! `/proc` file should be costs one `open(2)`, not a hang. Reads that block inside the
//! kernel (a D-state process's `cmdline`, a stale NFS mount) are bounded one level up, by
//! the collector deadlines in [`crate::deadline`].

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Default cap on a single whole-file read. `/proc/net/tcp` with 100k sockets is ~15 MB;
/// anything bigger is read in a streaming way by its collector.
pub(crate) const DEFAULT_READ_LIMIT: u64 = 64 * 1024 * 1024;

/// The root of the file tree a snapshot is taken from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRoot {
    root: PathBuf,
    live: bool,
}

impl Default for HostRoot {
    fn default() -> Self {
        Self::live()
    }
}

impl HostRoot {
    /// The running host, rooted at `/`.
    pub fn live() -> Self {
        HostRoot {
            root: PathBuf::from("/"),
            live: true,
        }
    }

    /// A tree rooted at `dir` (a fixture, an unpacked sosreport). Fails when `dir` does not
    /// exist or is not a directory. A `dir` that resolves to `/` is the live host.
    pub fn new(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let meta = std::fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
        if !meta.is_dir() {
            return Err(Error::Invalid(format!(
                "{}: --root must be a directory",
                dir.display()
            )));
        }
        let root = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
        let live = root == Path::new("/");
        if !live {
            crate::contain::register(&root);
        }
        Ok(HostRoot { root, live })
    }

    /// True when this is the running host (`/`): live-only sources such as netlink,
    /// `statvfs` and `/dev/kmsg` may be used.
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// The root directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of `rel` (e.g. `"etc/os-release"` or `"/etc/os-release"`) under the root.
    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        let rel = rel.as_ref();
        let rel = rel.strip_prefix("/").unwrap_or(rel);
        self.root.join(rel)
    }

    /// The path of `rel` under the root's `proc/`.
    pub fn proc(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path(Path::new("proc").join(rel))
    }

    /// The path of `rel` under the root's `sys/`.
    pub fn sys(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path(Path::new("sys").join(rel))
    }

    /// The root's `proc/` directory.
    pub fn proc_dir(&self) -> PathBuf {
        self.path("proc")
    }

    /// True when `rel` exists under the root (follows symlinks inside the tree only; never
    /// opens the file).
    pub fn exists(&self, rel: impl AsRef<Path>) -> bool {
        Self::contained(&self.path(rel)).is_ok_and(|p| p.exists())
    }

    /// `path` (under this or any `--root` tree) with its symlinks resolved inside the tree,
    /// or [`Error::OutsideRoot`] naming the link that leads out. Use it before handing a
    /// path to anything that follows links by itself: `read_dir`, `metadata`, a
    /// subprocess. On the live host it is `path` unchanged.
    pub fn contained(path: &Path) -> Result<PathBuf> {
        crate::contain::contained(path)
    }

    /// `std::fs::read_dir` of `path` after [`HostRoot::contained`]: listing a `--root` tree's
    /// directory never lists one of the live host's.
    pub fn read_dir(path: &Path) -> Result<std::fs::ReadDir> {
        let dir = Self::contained(path)?;
        std::fs::read_dir(&dir).map_err(|e| Error::io(path, e))
    }

    /// True when `path` (under this or any `--root` tree) exists once its symlinks are
    /// resolved inside the tree, or is a link leading out of it: the read that follows
    /// refuses it with a warning naming the link. Never looks at the analyst's files.
    pub fn path_exists(path: &Path) -> bool {
        match Self::contained(path) {
            Ok(p) => p.exists(),
            Err(Error::OutsideRoot { .. }) => true,
            Err(_) => false,
        }
    }

    /// True when `path` is a directory inside the tree (see [`HostRoot::path_exists`]).
    pub fn is_dir(path: &Path) -> bool {
        Self::contained(path).is_ok_and(|p| p.is_dir())
    }

    /// True when `path` is a regular file inside the tree (see [`HostRoot::path_exists`]).
    pub fn is_file(path: &Path) -> bool {
        Self::contained(path).is_ok_and(|p| p.is_file())
    }

    /// The target of the symlink `path`, its parent directories resolved inside the tree
    /// first (a `etc → /etc` link in the tree must not make us read the host's links).
    pub fn read_link(path: &Path) -> Result<PathBuf> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return std::fs::read_link(path).map_err(|e| Error::io(path, e));
        };
        let dir = Self::contained(parent)?;
        std::fs::read_link(dir.join(name)).map_err(|e| Error::io(path, e))
    }

    /// `lstat(2)` of `path`, its parent directories resolved inside the tree: the link
    /// itself when `path` is one, never what an `app → /srv` link in the tree leads to.
    /// The parent is opened (`O_PATH`, through [`crate::contain::open`], so
    /// `openat2(RESOLVE_IN_ROOT)` under `--root`) and `path` looked up relative to that
    /// descriptor: a directory swapped for a link to the host's files between a walk's
    /// listing and this call cannot make it stat a file outside the tree.
    pub fn symlink_metadata(path: &Path) -> Result<std::fs::Metadata> {
        use nix::fcntl::{openat, OFlag};
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return std::fs::symlink_metadata(path).map_err(|e| Error::io(path, e));
        };
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        let dir = crate::contain::open(parent, libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC)?;
        let flags = OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let fd = openat(&dir, name, flags, nix::sys::stat::Mode::empty())
            .map_err(|e| Error::io(path, std::io::Error::from(e)))?;
        File::from(fd).metadata().map_err(|e| Error::io(path, e))
    }

    /// `std::fs::metadata` of `path` after [`HostRoot::contained`].
    pub fn metadata(path: &Path) -> Result<std::fs::Metadata> {
        let p = Self::contained(path)?;
        std::fs::metadata(&p).map_err(|e| Error::io(path, e))
    }

    /// Open an absolute `path` (already under this root) for reading without ever blocking
    /// in `open(2)`, and refuse anything but a regular file. Under a `--root` tree the open
    /// never leaves the tree (see [`crate::contain`]).
    pub fn open_regular(path: &Path) -> Result<File> {
        let file = crate::contain::open(path, libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY)?;
        let ft = file.metadata().map_err(|e| Error::io(path, e))?.file_type();
        if !ft.is_file() {
            let kind = if ft.is_fifo() {
                "FIFO"
            } else if ft.is_socket() {
                "socket"
            } else if ft.is_char_device() {
                "character device"
            } else if ft.is_block_device() {
                "block device"
            } else if ft.is_dir() {
                "directory"
            } else {
                "special file"
            };
            return Err(Error::NotRegular {
                path: path.to_path_buf(),
                kind,
            });
        }
        Ok(file)
    }

    /// Read `path` (absolute, under this root) whole, up to `limit` bytes.
    pub fn read_path_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
        let file = Self::open_regular(path)?;
        let mut buf = Vec::with_capacity(4096);
        file.take(limit + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(path, e))?;
        if buf.len() as u64 > limit {
            return Err(Error::TooLarge {
                path: path.to_path_buf(),
                limit,
            });
        }
        Ok(buf)
    }

    /// Read `path` (absolute, under this root) as text; invalid UTF-8 is replaced, never an
    /// error.
    pub fn read_path_string(path: &Path) -> Result<String> {
        let bytes = Self::read_path_limited(path, DEFAULT_READ_LIMIT)?;
        Ok(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// Read `rel` under the root as text (see [`HostRoot::read_path_string`]).
    pub fn read_string(&self, rel: impl AsRef<Path>) -> Result<String> {
        Self::read_path_string(&self.path(rel))
    }

    /// Read `rel` under the root's `proc/` as text.
    pub fn read_proc(&self, rel: impl AsRef<Path>) -> Result<String> {
        Self::read_path_string(&self.proc(rel))
    }

    /// Read `rel` under the root as bytes, up to `limit`.
    pub fn read_bytes(&self, rel: impl AsRef<Path>, limit: u64) -> Result<Vec<u8>> {
        Self::read_path_limited(&self.path(rel), limit)
    }

    /// Open `rel` under the root as a regular file for streaming reads.
    pub fn open(&self, rel: impl AsRef<Path>) -> Result<File> {
        Self::open_regular(&self.path(rel))
    }

    /// The first of `candidates` (relative paths) that exists under the root.
    pub fn first_existing(&self, candidates: &[&str]) -> Option<PathBuf> {
        candidates
            .iter()
            .map(|c| self.path(c))
            .find(|p| Self::contained(p).is_ok_and(|p| p.exists()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("proc/loadavg");
        std::fs::create_dir_all(fifo.parent().unwrap()).unwrap();
        nix::unistd::mkfifo(
            &fifo,
            nix::sys::stat::Mode::S_IRUSR | nix::sys::stat::Mode::S_IWUSR,
        )
        .unwrap();
        let root = HostRoot::new(dir.path()).unwrap();
        let err = root.read_proc("loadavg").unwrap_err();
        assert!(
            matches!(err, Error::NotRegular { kind: "FIFO", .. }),
            "{err}"
        );
        assert!(err.to_string().contains("proc/loadavg"), "{err}");
    }

    /// lstat of a path whose parent is linked out of the tree: refused naming the link;
    /// a link itself (even one leading out) is described, not followed.
    #[test]
    fn symlink_metadata_stays_in_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret"), "SECRET").unwrap();
        let r = dir.path().join("root");
        std::fs::create_dir_all(&r).unwrap();
        std::os::unix::fs::symlink("../outside", r.join("app")).unwrap();
        let root = HostRoot::new(&r).unwrap();
        let err = HostRoot::symlink_metadata(&root.path("app/secret")).unwrap_err();
        assert!(matches!(err, Error::OutsideRoot { .. }), "{err}");
        assert!(err.to_string().contains("app"), "{err}");
        let link = HostRoot::symlink_metadata(&root.path("app")).unwrap();
        assert!(link.file_type().is_symlink());
        assert!(!HostRoot::is_dir(&root.path("app")));
        assert!(HostRoot::metadata(&root.path("app/secret")).is_err());
    }

    #[test]
    fn missing_root_is_an_error_naming_it() {
        let err = HostRoot::new("/nonexistent/triage-root").unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/triage-root"),
            "{err}"
        );
    }

    #[test]
    fn paths_stay_under_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = HostRoot::new(dir.path()).unwrap();
        assert!(!root.is_live());
        let p = root.path("/etc/os-release");
        assert!(p.starts_with(root.root()), "{}", p.display());
        assert!(HostRoot::new("/").unwrap().is_live());
    }

    #[test]
    fn oversized_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big"), vec![b'x'; 100]).unwrap();
        let root = HostRoot::new(dir.path()).unwrap();
        assert!(matches!(
            root.read_bytes("big", 10),
            Err(Error::TooLarge { .. })
        ));
        assert_eq!(root.read_bytes("big", 100).unwrap().len(), 100);
    }
}
