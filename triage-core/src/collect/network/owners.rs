//! Socket owners: which process holds each socket, found the way `ss -p`, `netstat -p` and
//! `lsof` find it, by one pass over `/proc/PID/fd/*` (see `proc_pid_fd(5)`): a descriptor
//! that is a socket links to `socket:[INODE]`, and the inode is the one the socket tables
//! report. Each link is read with `readlinkat(2)` relative to its `fd/` directory (one path
//! step per descriptor, not five), split over a few threads when there are thousands of
//! descriptors. The process name is `/proc/PID/comm`, read only for
//! processes that hold a socket.
//!
//! Processes that exit during the pass are skipped. Without root, other users' `fd/`
//! directories are unreadable: they are counted so the caller can say so once. A socket
//! shared by several processes (a pre-forked server) is attributed to the lowest pid,
//! normally the parent that opened it.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use crate::error::Result;
use crate::host_root::HostRoot;

/// A process that holds sockets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// Process id.
    pub pid: i32,
    /// Short name (`comm`).
    pub name: String,
}

/// Socket inode → owning process, from one pass over `/proc/*/fd`.
#[derive(Debug, Default)]
pub struct Owners {
    by_inode: HashMap<u64, u32>,
    owners: Vec<Owner>,
    /// Processes whose descriptors could not be read (permission denied).
    pub denied: usize,
}

impl Owners {
    /// The owner of socket `inode`, as an index for [`Owners::owner`].
    pub fn index_of(&self, inode: u64) -> Option<u32> {
        if inode == 0 {
            return None;
        }
        self.by_inode.get(&inode).copied()
    }

    /// The owner at `index` (from [`Owners::index_of`]).
    pub fn owner(&self, index: u32) -> Option<&Owner> {
        self.owners.get(index as usize)
    }

    /// The owner of socket `inode`.
    pub fn of(&self, inode: u64) -> Option<&Owner> {
        self.index_of(inode).and_then(|i| self.owner(i))
    }

    /// Number of sockets with a known owner.
    pub fn len(&self) -> usize {
        self.by_inode.len()
    }

    /// True when no owner is known.
    pub fn is_empty(&self) -> bool {
        self.by_inode.is_empty()
    }

    /// Owners as a saved `netstat -p`/`ss -p` printed them: (socket inode, pid, name).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (u64, i32, String)>) -> Owners {
        let mut owners = Owners::default();
        for (inode, pid, name) in pairs {
            let index = match owners.owners.iter().position(|o| o.pid == pid) {
                Some(i) => i,
                None => {
                    owners.owners.push(Owner { pid, name });
                    owners.owners.len() - 1
                }
            };
            owners.by_inode.entry(inode).or_insert(index as u32);
        }
        owners
    }

    /// One pass over `proc/*/fd` under `root`.
    pub fn scan(root: &HostRoot) -> Result<Owners> {
        let proc_dir = root.proc_dir();
        let entries = HostRoot::read_dir(&proc_dir)?;
        let mut owners = Owners::default();
        // Pass 1: every process's descriptor names.
        let mut tables = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            match FdTable::list(pid, entry.path()) {
                Ok(t) if !t.names.is_empty() => tables.push(t),
                Ok(_) => {} // a kernel thread, or a zombie
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => owners.denied += 1,
                Err(_) => {} // exited
            }
        }
        // Pass 2: read the links, split over a few threads when there are many.
        let total: usize = tables.iter().map(|t| t.names.len()).sum();
        let workers = if total < PARALLEL_FROM {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_WORKERS))
        };
        let found: Vec<Vec<(u32, u64)>> = if workers == 1 {
            vec![read_links(&tables, 0, total)]
        } else {
            std::thread::scope(|s| {
                let tables = &tables;
                let parts: Vec<_> = (0..workers)
                    .map(|w| {
                        let (from, to) = (total * w / workers, total * (w + 1) / workers);
                        let thread = std::thread::Builder::new()
                            .name("triage-network-fd".into())
                            .spawn_scoped(s, move || read_links(tables, from, to));
                        (thread, from, to)
                    })
                    .collect();
                parts
                    .into_iter()
                    .map(|(thread, from, to)| match thread {
                        Ok(h) => h.join().unwrap_or_default(),
                        // No thread to be had (RLIMIT_NPROC): do this part here.
                        Err(_) => read_links(tables, from, to),
                    })
                    .collect()
            })
        };
        // Pass 3: name the processes that hold sockets; lowest pid wins a shared socket.
        let mut index_of_table: HashMap<u32, Option<u32>> = HashMap::new();
        for (table, inode) in found.into_iter().flatten() {
            let index = *index_of_table.entry(table).or_insert_with(|| {
                let t = tables.get(table as usize)?;
                // A process that exited during the pass has no comm: skip its sockets.
                let comm = HostRoot::read_path_string(&t.dir.join("comm")).ok()?;
                owners.owners.push(Owner {
                    pid: t.pid,
                    name: comm.trim_end_matches('\n').to_string(),
                });
                Some(owners.owners.len() as u32 - 1)
            });
            let Some(index) = index else { continue };
            let Some(pid) = owners.owner(index).map(|o| o.pid) else {
                continue;
            };
            let slot = owners.by_inode.entry(inode).or_insert(index);
            if owners
                .owners
                .get(*slot as usize)
                .is_some_and(|o| pid < o.pid)
            {
                *slot = index;
            }
        }
        Ok(owners)
    }
}

/// Below this many descriptors in all, one thread reads them all.
const PARALLEL_FROM: usize = 4096;
/// At most this many threads read links.
const MAX_WORKERS: usize = 4;

/// One process's descriptor directory, opened, and the names in it.
struct FdTable {
    pid: i32,
    dir: PathBuf,
    fd_dir: File,
    names: Vec<OsString>,
}

impl FdTable {
    fn list(pid: i32, dir: PathBuf) -> std::io::Result<FdTable> {
        let fd_path = dir.join("fd");
        // Opened the contained way (`openat2(RESOLVE_IN_ROOT)` under --root): the links
        // read through this descriptor are the tree's, even if `fd` is swapped for a link
        // to the live host's `/proc/1/fd` after it was listed.
        let fd_dir = crate::contain::open(&fd_path, libc::O_DIRECTORY | libc::O_CLOEXEC)
            .map_err(io_error)?;
        let names = HostRoot::read_dir(&fd_path)
            .map_err(io_error)?
            .flatten()
            .map(|e| e.file_name())
            .collect();
        Ok(FdTable {
            pid,
            dir,
            fd_dir,
            names,
        })
    }
}

/// The I/O error inside `e` (its kind tells "permission denied" from "exited"), or `e`.
fn io_error(e: crate::Error) -> std::io::Error {
    match e {
        crate::Error::Io { source, .. } => source,
        other => std::io::Error::other(other),
    }
}

/// (table index, socket inode) for every socket among descriptors `from..to`, counted
/// across all tables in order.
fn read_links(tables: &[FdTable], from: usize, to: usize) -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    let mut start = 0usize;
    for (i, t) in tables.iter().enumerate() {
        let end = start + t.names.len();
        if end > from && start < to {
            let (a, b) = (from.max(start) - start, to.min(end) - start);
            for name in t.names.get(a..b).unwrap_or_default() {
                // A descriptor closed meanwhile fails: skip it.
                if let Ok(target) = nix::fcntl::readlinkat(&t.fd_dir, name.as_os_str()) {
                    if let Some(inode) = socket_inode(&target) {
                        out.push((i as u32, inode));
                    }
                }
            }
        }
        start = end;
        if start >= to {
            break;
        }
    }
    out
}

/// The inode in a `socket:[INODE]` link target.
pub(crate) fn socket_inode(target: &OsStr) -> Option<u64> {
    let digits = target
        .as_bytes()
        .strip_prefix(b"socket:[")?
        .strip_suffix(b"]")?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn socket_link_targets() {
        assert_eq!(socket_inode(OsStr::new("socket:[12345]")), Some(12345));
        assert_eq!(socket_inode(OsStr::new("pipe:[12345]")), None);
        assert_eq!(socket_inode(OsStr::new("socket:[12x]")), None);
        assert_eq!(socket_inode(OsStr::new("/dev/null")), None);
    }

    #[test]
    fn fake_proc_tree_lowest_pid_wins() {
        let dir = tempfile::tempdir().unwrap();
        for (pid, comm, links) in [
            (
                200,
                "worker",
                &[("3", "socket:[77]"), ("4", "socket:[88]")][..],
            ),
            (
                100,
                "master",
                &[("5", "socket:[77]"), ("0", "/dev/null")][..],
            ),
            (300, "gone", &[("3", "socket:[99]")][..]), // no comm: exited
        ] {
            let fd = dir.path().join(format!("proc/{pid}/fd"));
            std::fs::create_dir_all(&fd).unwrap();
            for (n, target) in links {
                symlink(target, fd.join(n)).unwrap();
            }
            if comm != "gone" {
                std::fs::write(
                    dir.path().join(format!("proc/{pid}/comm")),
                    format!("{comm}\n"),
                )
                .unwrap();
            }
        }
        let root = HostRoot::new(dir.path()).unwrap();
        let owners = Owners::scan(&root).unwrap();
        assert_eq!(owners.of(77).unwrap().pid, 100);
        assert_eq!(owners.of(77).unwrap().name, "master");
        assert_eq!(owners.of(88).unwrap().name, "worker");
        assert!(owners.of(99).is_none());
        assert!(owners.of(0).is_none());
        assert_eq!(owners.len(), 2);
    }

    /// `proc/4242/fd` swapped, over and over, with a link to a directory outside the tree
    /// whose `3` names socket 999: only the tree's socket 111 may ever be owned. Opening
    /// the checked path again (`File::open`) read the outside links within a second.
    #[test]
    fn an_fd_directory_swapped_for_a_link_out_of_the_tree_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("root");
        let outside = dir.path().join("outside_fd");
        let pid = d.join("proc/4242");
        std::fs::create_dir_all(pid.join("fd")).unwrap();
        std::fs::write(pid.join("comm"), "app\n").unwrap();
        symlink("socket:[111]", pid.join("fd/3")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        symlink("socket:[999]", outside.join("3")).unwrap();
        // Inside the tree the absolute link leads to root/<outside>: the tree's socket.
        let mirror = d.join(outside.strip_prefix("/").unwrap());
        std::fs::create_dir_all(&mirror).unwrap();
        symlink("socket:[111]", mirror.join("3")).unwrap();
        symlink(&outside, pid.join(".swap")).unwrap();
        let root = HostRoot::new(&d).unwrap();
        let leaked = crate::contain::while_swapping(&pid.join("fd"), &pid.join(".swap"), || {
            Owners::scan(&root).ok().filter(|o| o.of(999).is_some())
        });
        assert!(leaked.is_none(), "read a descriptor link outside the tree");
    }

    #[test]
    fn split_reads_cover_every_descriptor_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut tables = Vec::new();
        for (pid, n) in [(1, 5usize), (2, 0), (3, 7), (4, 1)] {
            let fd = dir.path().join(format!("proc/{pid}/fd"));
            std::fs::create_dir_all(&fd).unwrap();
            for i in 0..n {
                symlink(
                    format!("socket:[{}]", pid * 100 + i),
                    fd.join(i.to_string()),
                )
                .unwrap();
            }
            tables.push(FdTable::list(pid as i32, dir.path().join(format!("proc/{pid}"))).unwrap());
        }
        let mut whole = read_links(&tables, 0, 13);
        whole.sort();
        assert_eq!(whole.len(), 13);
        for workers in 2..=5 {
            let mut parts: Vec<(u32, u64)> = (0..workers)
                .flat_map(|w| read_links(&tables, 13 * w / workers, 13 * (w + 1) / workers))
                .collect();
            parts.sort();
            assert_eq!(parts, whole, "{workers} workers");
        }
    }
}
