//! `filesystems`: mounted filesystems that can fill up, with space and inodes.
//!
//! Mounts come from `/proc/self/mountinfo` (`proc(5)`; falls back to `/proc/mounts`),
//! parsed by `procfs-core`. Space and inodes come from `statvfs(3)` on a live host. A
//! `statvfs` on a network filesystem can hang forever on a dead server, so each of those
//! runs under its own deadline and a stale mount is reported, not waited for. Under
//! `--root` (a sosreport) sizes come from the `df -al` / `df -ali` output sos saves.
//!
//! Pseudo filesystems (proc, sysfs, cgroup…) are skipped; tmpfs and overlay are kept: a full
//! `/run` or `/dev/shm` breaks services just like a full disk. Read-only images (squashfs,
//! iso9660) are skipped: they are always 100% used by design.

use std::collections::HashMap;
use std::time::Duration;

use procfs_core::FromRead;

use super::Ctx;
use crate::deadline;
use crate::error::{Error, Result};
use crate::snapshot::Filesystem;

/// Filesystem types that never fill up or are full by design.
const SKIPPED_TYPES: &[&str] = &[
    "proc",
    "sysfs",
    "cgroup",
    "cgroup2",
    "devpts",
    "debugfs",
    "tracefs",
    "securityfs",
    "pstore",
    "bpf",
    "configfs",
    "fusectl",
    "mqueue",
    "hugetlbfs",
    "autofs",
    "binfmt_misc",
    "rpc_pipefs",
    "nsfs",
    "efivarfs",
    "selinuxfs",
    "devtmpfs",
    "squashfs",
    "iso9660",
    "udf",
    "ramfs",
    "nfsd",
    "sockfs",
    "pipefs",
    "fuse.lxcfs",
    "fuse.gvfsd-fuse",
    "fuse.portal",
    "fuse.snapfuse",
    "overlay.ro",
    "erofs",
    "zonefs",
    "rootfs",
];

/// Filesystem types whose `statvfs` can hang on a remote server.
const NETWORK_TYPES: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "ceph",
    "glusterfs",
    "fuse.sshfs",
    "fuse.glusterfs",
    "9p",
    "afs",
    "lustre",
    "gpfs",
    "fuse.s3fs",
    "fuse.rclone",
    "davfs",
    "fuse.ceph",
];

/// Deadline for one `statvfs` on a network filesystem.
const REMOTE_STATVFS_LIMIT: Duration = Duration::from_millis(800);

/// A mounted filesystem before sizes are known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mount {
    /// Mount point.
    pub mount_point: String,
    /// Mount source.
    pub device: String,
    /// Filesystem type.
    pub fs_type: String,
    /// Mounted read-only.
    pub read_only: bool,
}

/// True when filesystems of type `fs_type` are worth showing.
pub(crate) fn is_interesting(fs_type: &str) -> bool {
    !SKIPPED_TYPES.contains(&fs_type)
}

/// Parse `/proc/self/mountinfo` into the interesting mounts, one per mount point (the
/// last one mounted wins, as in the kernel's view).
pub(crate) fn parse_mountinfo(text: &str) -> std::result::Result<Vec<Mount>, String> {
    let infos =
        procfs_core::process::MountInfos::from_read(text.as_bytes()).map_err(|e| e.to_string())?;
    let mounts = infos
        .0
        .into_iter()
        .filter(|m| is_interesting(&m.fs_type))
        .map(|m| Mount {
            mount_point: m.mount_point.to_string_lossy().into_owned(),
            device: m.mount_source.unwrap_or_else(|| "none".into()),
            read_only: m.mount_options.contains_key("ro"),
            fs_type: m.fs_type,
        });
    Ok(dedup(mounts))
}

/// Parse `/proc/mounts` (fstab format) into the interesting mounts.
pub(crate) fn parse_mounts(text: &str) -> std::result::Result<Vec<Mount>, String> {
    let entries =
        Vec::<procfs_core::MountEntry>::from_read(text.as_bytes()).map_err(|e| e.to_string())?;
    let mounts = entries
        .into_iter()
        .filter(|m| is_interesting(&m.fs_vfstype))
        .map(|m| Mount {
            read_only: m.fs_mntops.contains_key("ro"),
            mount_point: m.fs_file,
            device: m.fs_spec,
            fs_type: m.fs_vfstype,
        });
    Ok(dedup(mounts))
}

fn dedup(mounts: impl Iterator<Item = Mount>) -> Vec<Mount> {
    let mut order: Vec<String> = Vec::new();
    let mut by_point: HashMap<String, Mount> = HashMap::new();
    for m in mounts {
        if by_point.insert(m.mount_point.clone(), m.clone()).is_none() {
            order.push(m.mount_point);
        }
    }
    order
        .into_iter()
        .filter_map(|p| by_point.remove(&p))
        .collect()
}

/// Sizes of one filesystem, from `statvfs` or `df`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Usage {
    /// Total bytes.
    pub size: u64,
    /// Used bytes.
    pub used: u64,
    /// Bytes available to unprivileged users.
    pub available: u64,
    /// Total inodes.
    pub inodes_total: u64,
    /// Used inodes.
    pub inodes_used: u64,
}

fn statvfs_usage(path: &str) -> std::result::Result<Usage, String> {
    let st = nix::sys::statvfs::statvfs(path).map_err(|e| e.to_string())?;
    let frsize = st.fragment_size() as u64;
    let size = st.blocks() as u64 * frsize;
    let free = st.blocks_free() as u64 * frsize;
    let available = st.blocks_available() as u64 * frsize;
    Ok(Usage {
        size,
        used: size.saturating_sub(free),
        available,
        inodes_total: st.files() as u64,
        inodes_used: (st.files() as u64).saturating_sub(st.files_free() as u64),
    })
}

/// Parse `df -al` (1K blocks) or `df -ali` (inodes) output: mount point → (total, used,
/// available). Lines that do not have the df shape are skipped.
pub(crate) fn parse_df(text: &str) -> HashMap<String, (u64, u64, u64)> {
    let mut out = HashMap::new();
    let mut pending: Option<String> = None;
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // df wraps long device names onto their own line.
        let wrapped = pending.take().is_some();
        let fields: Vec<&str> = if wrapped && fields.len() >= 5 && fields[0].parse::<u64>().is_ok()
        {
            fields
        } else if fields.len() == 1 {
            pending = Some(fields[0].to_string());
            continue;
        } else if fields.len() >= 6 {
            fields[1..].to_vec()
        } else {
            continue;
        };
        let num = |s: &str| s.parse::<u64>().ok();
        if let (Some(total), Some(used), Some(avail)) =
            (num(fields[0]), num(fields[1]), num(fields[2]))
        {
            let mount = fields[4..].join(" ");
            out.insert(mount, (total, used, avail));
        }
    }
    out
}

/// Collect the filesystems section.
pub fn collect(ctx: &Ctx) -> Result<Vec<Filesystem>> {
    let mounts = read_mounts(ctx)?;
    Ok(if ctx.root.is_live() {
        live_usage(ctx, mounts)
    } else {
        saved_usage(ctx, mounts)
    })
}

/// The mount table: mountinfo, else mounts, else (on a tree) a saved `mount` output.
fn read_mounts(ctx: &Ctx) -> Result<Vec<Mount>> {
    let root = &ctx.root;
    Ok(match root.read_proc("self/mountinfo") {
        // Every namespace has `/`: an empty mountinfo is damage, not "no filesystems".
        Ok(text) if text.trim().is_empty() => {
            return Err(Error::parse(root.proc("self/mountinfo"), None, "empty"))
        }
        Ok(text) => parse_mountinfo(&text)
            .map_err(|m| Error::parse(root.proc("self/mountinfo"), None, m))?,
        Err(first) => match root.read_proc("mounts") {
            Ok(text) => {
                parse_mounts(&text).map_err(|m| Error::parse(root.proc("mounts"), None, m))?
            }
            Err(_) if !root.is_live() => saved_mounts(ctx).ok_or(first)?,
            Err(_) => return Err(first),
        },
    })
}

/// Sizes from statvfs; a mount it cannot see (EACCES) is left out, other failures warn.
fn live_usage(ctx: &Ctx, mounts: Vec<Mount>) -> Vec<Filesystem> {
    let mut out = Vec::with_capacity(mounts.len());
    for m in mounts {
        let usage = if NETWORK_TYPES.contains(&m.fs_type.as_str()) || m.fs_type.starts_with("fuse")
        {
            match remote_usage(ctx, &m) {
                Some(u) => u,
                None => continue,
            }
        } else {
            statvfs_usage(&m.mount_point)
        };
        match usage {
            Ok(u) => out.push(fs_of(m, u)),
            Err(e) if e.contains("EACCES") || e.contains("Permission") => {}
            Err(e) => ctx.warn(format!(
                "{} ({} {}): statvfs failed: {e}",
                m.mount_point, m.fs_type, m.device
            )),
        }
    }
    out
}

/// statvfs of a network or FUSE mount, which can block forever: with a deadline, and
/// skipped (`None`, with a warning) while an earlier call on it is still stuck.
fn remote_usage(ctx: &Ctx, m: &Mount) -> Option<std::result::Result<Usage, String>> {
    let key = format!("statvfs:{}", m.mount_point);
    if let Some(since) = ctx.in_flight_stuck(&key) {
        ctx.warn(format!(
            "{} ({} {}): statvfs still blocked since {} s ago (stale mount?); skipped",
            m.mount_point,
            m.fs_type,
            m.device,
            since.elapsed().as_secs()
        ));
        return None;
    }
    let point = m.mount_point.clone();
    let task = deadline::spawn(&key, REMOTE_STATVFS_LIMIT, move || statvfs_usage(&point));
    let flag = task.finished_flag();
    Some(match task.wait() {
        Ok((r, _)) => r,
        Err(e) => {
            ctx.abandoned(&key, flag);
            Err(format!("{e} (stale mount?)"))
        }
    })
}

/// A tree, not a live host: sizes from the df output a sosreport keeps.
fn saved_usage(ctx: &Ctx, mounts: Vec<Mount>) -> Vec<Filesystem> {
    let blocks = read_df(
        ctx,
        &[
            "sos_commands/filesys/df_-al_-x_autofs",
            "sos_commands/filesys/df_-al",
            "df",
        ],
        "sizes",
    );
    let inodes = read_df(
        ctx,
        &[
            "sos_commands/filesys/df_-ali_-x_autofs",
            "sos_commands/filesys/df_-ali",
            "df_i",
        ],
        "inode counts",
    );
    if blocks.is_empty() {
        ctx.warn("sizes unknown: statvfs needs the live host and the root has no df output (sos_commands/filesys/df_-al_-x_autofs)");
    }
    let mut out = Vec::with_capacity(mounts.len());
    for m in mounts {
        let Some(&(total_k, used_k, avail_k)) = blocks.get(&m.mount_point) else {
            continue;
        };
        let (it, iu, _) = inodes.get(&m.mount_point).copied().unwrap_or_default();
        // df figures are whatever the file says: saturate rather than overflow.
        let u = Usage {
            size: total_k.saturating_mul(1024),
            used: used_k.saturating_mul(1024),
            available: avail_k.saturating_mul(1024),
            inodes_total: it,
            inodes_used: iu,
        };
        out.push(fs_of(m, u));
    }
    out
}

/// A sosreport without `proc/mounts`: the mounts of its saved `mount` output.
fn saved_mounts(ctx: &Ctx) -> Option<Vec<Mount>> {
    super::saved::MOUNT_OUTPUTS.iter().find_map(|rel| {
        let text = ctx.root.read_string(rel).ok()?;
        let mounts = super::saved::parse_mount_output(&text);
        (!mounts.is_empty()).then(|| {
            ctx.warn(format!(
                "no proc/self/mountinfo or proc/mounts; mounts from {rel}"
            ));
            mounts
        })
    })
}

/// The first of `candidates` (saved `df` outputs) that reads and has df lines. One that is
/// there but unusable (empty, garbled, a directory, a dangling symlink) is named in a
/// warning saying `what` may be unknown.
fn read_df(ctx: &Ctx, candidates: &[&str], what: &str) -> HashMap<String, (u64, u64, u64)> {
    for rel in candidates {
        let path = ctx.root.path(rel);
        if !path.exists() && !path.is_symlink() {
            continue;
        }
        match crate::HostRoot::read_path_string(&path).map(|t| parse_df(&t)) {
            Ok(df) if !df.is_empty() => return df,
            Ok(_) => ctx.warn(format!(
                "{}: no df lines in it; {what} unknown",
                path.display()
            )),
            Err(e) => ctx.warn(format!("{e}; {what} unknown")),
        }
    }
    HashMap::new()
}

fn fs_of(m: Mount, u: Usage) -> Filesystem {
    Filesystem {
        mount_point: m.mount_point,
        device: m.device,
        fs_type: m.fs_type,
        size_bytes: u.size,
        used_bytes: u.used,
        available_bytes: u.available,
        inodes_total: u.inodes_total,
        inodes_used: u.inodes_used,
        read_only: m.read_only,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
22 28 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
28 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
29 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw,size=8123456k
30 28 0:25 / /run rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs rw,size=1630000k
31 28 8:2 / /var/lib/docker rw,relatime shared:6 - xfs /dev/sdb1 rw
32 28 7:0 / /snap/core/123 ro,nodev,relatime shared:7 - squashfs /dev/loop0 ro
33 28 0:40 / /mnt/data ro,relatime shared:8 - nfs4 nas:/export ro,vers=4.2
34 28 0:41 / /sys/fs/cgroup rw shared:9 - cgroup2 cgroup2 rw
";

    #[test]
    fn mountinfo_keeps_what_can_fill() {
        let m = parse_mountinfo(MOUNTINFO).unwrap();
        let points: Vec<&str> = m.iter().map(|m| m.mount_point.as_str()).collect();
        assert_eq!(points, ["/", "/run", "/var/lib/docker", "/mnt/data"]);
        assert!(m[3].read_only);
        assert_eq!(m[0].device, "/dev/sda1");
    }

    #[test]
    fn df_output_is_parsed_including_wrapped_lines() {
        let text = "Filesystem     1K-blocks    Used Available Use% Mounted on\n/dev/sda1       10000000 9500000    500000  95% /\n/dev/mapper/very-long-volume-name\n                 2000000 1000000   1000000  50% /var/lib/my data\ntmpfs              10000      10      9990   1% /run\n";
        let df = parse_df(text);
        assert_eq!(df["/"], (10_000_000, 9_500_000, 500_000));
        assert_eq!(df["/var/lib/my data"], (2_000_000, 1_000_000, 1_000_000));
        assert_eq!(df.len(), 3);
    }

    #[test]
    fn live_statvfs_of_root_works() {
        let u = statvfs_usage("/").unwrap();
        assert!(u.size > 0 && u.used <= u.size);
    }

    #[test]
    fn damaged_saved_tree_warns_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("proc/self")).unwrap();
        std::fs::create_dir_all(d.join("sos_commands/filesys")).unwrap();
        let ctx = || Ctx::new(crate::HostRoot::new(d).unwrap(), Default::default());
        // Empty mountinfo: an error naming it, not an empty section.
        std::fs::write(d.join("proc/self/mountinfo"), "").unwrap();
        let e = collect(&ctx()).unwrap_err().to_string();
        assert!(e.contains("proc/self/mountinfo"), "{e}");
        // Huge df figures saturate; an empty inode df is named.
        std::fs::write(d.join("proc/self/mountinfo"), MOUNTINFO).unwrap();
        std::fs::write(
            d.join("sos_commands/filesys/df_-al_-x_autofs"),
            "Filesystem 1K-blocks Used Available Use% Mounted on\n/dev/sda1 18446744073709551615 1 2 1% /\n",
        )
        .unwrap();
        std::fs::write(d.join("sos_commands/filesys/df_-ali_-x_autofs"), "").unwrap();
        let c = ctx();
        let fs = collect(&c).unwrap();
        assert_eq!(fs[0].size_bytes, u64::MAX);
        let w: Vec<String> = c.take_warnings().into_iter().map(|w| w.message).collect();
        assert!(w.iter().any(|m| m.contains("df_-ali_-x_autofs")), "{w:?}");
    }
}
