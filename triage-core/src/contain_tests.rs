use super::*;
use std::os::unix::fs::symlink;

/// A tree with in-tree links that must work and escaping links that must not, next to a
/// stand-in secret outside the tree.
fn tree() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("id_rsa");
    std::fs::write(&secret, "SECRET-KEY-MATERIAL").unwrap();
    let root = tmp.path().join("root");
    for d in [
        "etc",
        "usr/lib",
        "sos_commands/host",
        "var/log",
        "proc/1200",
    ] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(root.join("usr/lib/os-release"), "ID=fixture\n").unwrap();
    std::fs::write(root.join("sos_commands/host/uptime"), "up 1 day\n").unwrap();
    std::fs::write(root.join("etc/shadow"), "in-tree shadow\n").unwrap();
    symlink("../usr/lib/os-release", root.join("etc/os-release")).unwrap();
    symlink("sos_commands/host/uptime", root.join("uptime")).unwrap();
    symlink("/usr/lib/os-release", root.join("etc/abs-in-tree")).unwrap();
    symlink(&secret, root.join("proc/1200/cmdline")).unwrap();
    symlink("/etc/shadow", root.join("etc/hostname")).unwrap();
    symlink("../../../../etc/shadow", root.join("var/log/syslog")).unwrap();
    symlink("loop", root.join("loop")).unwrap();
    let root = root.canonicalize().unwrap();
    register(&root);
    (tmp, root, secret)
}

fn read(p: &Path) -> Result<String> {
    let mut s = String::new();
    std::io::Read::read_to_string(&mut open(p, libc::O_NONBLOCK)?, &mut s).unwrap();
    Ok(s)
}

#[test]
fn in_tree_links_keep_working() {
    let (_t, root, _) = tree();
    assert_eq!(read(&root.join("etc/os-release")).unwrap(), "ID=fixture\n");
    assert_eq!(read(&root.join("uptime")).unwrap(), "up 1 day\n");
    assert_eq!(read(&root.join("etc/abs-in-tree")).unwrap(), "ID=fixture\n");
    assert_eq!(
        contained(&root.join("etc/os-release")).unwrap(),
        root.join("usr/lib/os-release")
    );
}

#[test]
fn escaping_links_never_reach_the_secret() {
    let (_t, root, secret) = tree();
    // Absolute targets resolve inside the tree, as RESOLVE_IN_ROOT does.
    let text = read(&root.join("proc/1200/cmdline"))
        .unwrap_err()
        .to_string();
    assert!(text.contains("proc/1200/cmdline"), "{text}");
    assert!(!text.contains("SECRET"), "{text}");
    assert_eq!(
        read(&root.join("etc/hostname")).unwrap(),
        "in-tree shadow\n"
    );
    // A relative climb out of the tree is refused, naming the link and its target.
    let err = read(&root.join("var/log/syslog")).unwrap_err().to_string();
    assert!(
        err.contains("var/log/syslog") && err.contains("outside the --root tree"),
        "{err}"
    );
    assert!(matches!(
        contained(&root.join("var/log/syslog")),
        Err(Error::OutsideRoot { .. })
    ));
    assert!(read(&root.join("loop")).is_err());
    // `..` in the asked path itself cannot leave either.
    assert!(read(&root.join("etc/../../id_rsa")).is_err());
    // The secret is still readable directly: the tree's links were the only way.
    assert_eq!(
        std::fs::read_to_string(secret).unwrap(),
        "SECRET-KEY-MATERIAL"
    );
}

#[test]
fn the_kernel_refuses_a_link_swapped_in_after_resolution() {
    let (_t, root, _) = tree();
    // `openat2` alone (no userspace check) on a path through an escaping link.
    let f = openat2_in_root(&root, Path::new("proc/1200/cmdline"), libc::O_NONBLOCK);
    match f {
        Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
            eprintln!("skipped: openat2 not supported by this kernel")
        }
        Err(e) => assert_eq!(e.raw_os_error(), Some(libc::ENOENT), "{e}"),
        Ok(_) => panic!("openat2 followed a link out of the root"),
    }
}

#[test]
fn paths_outside_any_root_are_untouched() {
    let p = Path::new("/nonexistent/triage/x");
    assert_eq!(contained(p).unwrap(), p);
}
