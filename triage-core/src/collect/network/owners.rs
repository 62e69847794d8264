//! Socket owners: which process holds each socket, found the way `ss -p`, `netstat -p` and
//! `lsof` find it, by one pass over `/proc/PID/fd/*` (see `proc_pid_fd(5)`): a descriptor
//! that is a socket links to `socket:[INODE]`, and the inode is the one the socket tables
//! report. Each link is read with `readlinkat(2)` relative to its `fd/` directory (one path
//! step per descriptor, not five). The process name is `/proc/PID/comm`, read only for
//! processes that hold a socket.
//!
//! Processes that exit during the pass are skipped. Without root, other users' `fd/`
//! directories are unreadable: they are counted so the caller can say so once. A socket
//! shared by several processes (a pre-forked server) is attributed to the lowest pid,
//! normally the parent that opened it.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;

use crate::error::{Error, Result};
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

    /// One pass over `proc/*/fd` under `root`.
    pub fn scan(root: &HostRoot) -> Result<Owners> {
        let proc_dir = root.proc_dir();
        let entries = std::fs::read_dir(&proc_dir).map_err(|e| Error::io(&proc_dir, e))?;
        let mut owners = Owners::default();
        let mut inodes = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            let pid_dir = entry.path();
            inodes.clear();
            match socket_inodes(&pid_dir.join("fd"), &mut inodes) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                    owners.denied += 1;
                    continue;
                }
                Err(_) => continue, // exited, or a kernel thread's empty table
            }
            if inodes.is_empty() {
                continue;
            }
            let Ok(comm) = HostRoot::read_path_string(&pid_dir.join("comm")) else {
                continue; // exited during the pass
            };
            let index = owners.owners.len() as u32;
            owners.owners.push(Owner {
                pid,
                name: comm.trim_end_matches('\n').to_string(),
            });
            for &inode in &inodes {
                let slot = owners.by_inode.entry(inode).or_insert(index);
                let current = owners.owners.get(*slot as usize).map(|o| o.pid);
                if current.is_some_and(|p| pid < p) {
                    *slot = index;
                }
            }
        }
        Ok(owners)
    }
}

/// Push the inode of every socket descriptor in `fd_dir` onto `out`.
fn socket_inodes(fd_dir: &std::path::Path, out: &mut Vec<u64>) -> std::io::Result<()> {
    let dir = File::open(fd_dir)?;
    for entry in std::fs::read_dir(fd_dir)?.flatten() {
        let Ok(target) = nix::fcntl::readlinkat(&dir, entry.file_name().as_os_str()) else {
            continue; // closed meanwhile
        };
        if let Some(inode) = socket_inode(&target) {
            out.push(inode);
        }
    }
    Ok(())
}

/// The inode in a `socket:[INODE]` link target.
pub fn socket_inode(target: &OsStr) -> Option<u64> {
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
}
