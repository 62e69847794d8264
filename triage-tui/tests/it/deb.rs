//! The .deb from `scripts/build-deb` installs with `dpkg --root` into a scratch root and
//! holds what an installed tool should: the binary, man pages, completions where the
//! shells look, the recorder unit (not enabled), a conffile under /etc/triage/runbooks and
//! the licences. Skips with a message when not root, without dpkg, or when the package has
//! not been built (`scripts/test-deb` builds it and runs this).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// The newest `triage_*.deb` under target/debian.
fn built_deb() -> Option<PathBuf> {
    let dir = target_dir().join("debian");
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("triage_") && n.ends_with(".deb"))
        })
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {:?}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn deb_installs_into_a_scratch_root_with_everything() {
    const SKIP: &str = "SKIP deb_installs_into_a_scratch_root_with_everything";
    if !nix::unistd::geteuid().is_root() {
        eprintln!("{SKIP}: dpkg --root needs root");
        return;
    }
    if Command::new("dpkg").arg("--version").output().is_err() {
        eprintln!("{SKIP}: dpkg is not installed");
        return;
    }
    let Some(deb) = built_deb() else {
        eprintln!(
            "{SKIP}: no target/debian/triage_*.deb (run scripts/build-deb, or scripts/test-deb)"
        );
        return;
    };
    eprintln!("installing {}", deb.display());

    // A minimal dpkg admin directory is all `dpkg --root` needs.
    let root = tempfile::tempdir().unwrap();
    let admin = root.path().join("var/lib/dpkg");
    for sub in ["info", "updates", "triggers"] {
        std::fs::create_dir_all(admin.join(sub)).unwrap();
    }
    std::fs::write(admin.join("status"), "").unwrap();
    let dpkg = |args: &[&str]| {
        Command::new("dpkg")
            .arg(format!("--root={}", root.path().display()))
            .args(args)
            .output()
            .unwrap()
    };
    ok(
        dpkg(&["--force-script-chrootless", "-i", deb.to_str().unwrap()]),
        "dpkg -i",
    );

    let listed = ok(dpkg(&["-L", "triage"]), "dpkg -L");
    let files: Vec<&str> = listed.lines().collect();
    for path in [
        "/usr/bin/triage",
        "/usr/share/man/man1/triage.1.gz",
        "/usr/share/man/man1/triage-snapshot.1.gz",
        "/usr/share/man/man1/triage-incident-start.1.gz",
        "/usr/share/bash-completion/completions/triage",
        "/usr/share/zsh/vendor-completions/_triage",
        "/usr/share/fish/vendor_completions.d/triage.fish",
        "/lib/systemd/system/triage-record.service",
        "/etc/triage/runbooks/README",
        "/usr/share/doc/triage/LICENSE-MIT",
        "/usr/share/doc/triage/LICENSE-APACHE",
        "/usr/share/doc/triage/copyright",
    ] {
        assert!(
            files.contains(&path),
            "{path} not in the package:\n{listed}"
        );
        assert!(
            root.path().join(&path[1..]).exists(),
            "{path} listed but not installed"
        );
    }

    // /etc/triage/runbooks/README survives upgrades: a conffile.
    let conffiles = ok(
        Command::new("dpkg-query")
            .arg(format!("--admindir={}", admin.display()))
            .args(["-W", "-f", "${Conffiles}", "triage"])
            .output()
            .unwrap(),
        "dpkg-query",
    );
    assert!(
        conffiles.contains("/etc/triage/runbooks/README"),
        "{conffiles}"
    );

    // Installed, not enabled: no maintainer script, no wants/ link.
    let scripts: Vec<String> = std::fs::read_dir(admin.join("info"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with("inst") || n.ends_with("rm"))
        .collect();
    assert!(scripts.is_empty(), "maintainer scripts: {scripts:?}");
    assert!(!root
        .path()
        .join("etc/systemd/system/multi-user.target.wants")
        .exists());
    let unit = root.path().join("lib/systemd/system/triage-record.service");
    let text = std::fs::read_to_string(&unit).unwrap();
    assert!(
        text.contains("\nExecStart=/usr/bin/triage record "),
        "{text}"
    );

    // The binary that was installed runs, and is the static one.
    let version = ok(
        Command::new(root.path().join("usr/bin/triage"))
            .arg("--version")
            .output()
            .unwrap(),
        "installed triage --version",
    );
    assert!(version.starts_with("triage "), "{version}");
    let bash = std::fs::read_to_string(
        root.path()
            .join("usr/share/bash-completion/completions/triage"),
    )
    .unwrap();
    assert!(bash.contains("snapshot"));

    systemd_verify(root.path(), &unit);
}

/// `systemd-analyze verify` on the installed unit, its ExecStart found under `root`.
fn systemd_verify(root: &Path, unit: &Path) {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipping systemd-analyze verify: systemd-analyze is not installed");
        return;
    }
    // --recursive-errors=no: the scratch root has no sysinit.target and friends to
    // check; the unit itself, its keys and its ExecStart under the root still are.
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(format!("--root={}", root.display()))
        .args(["--man=no", "--recursive-errors=no"])
        .arg(unit)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Without a running systemd (a container, a chroot) the verb cannot connect to the
    // manager: say so rather than fail.
    if !out.status.success() && stderr.contains("Failed to") && stderr.contains("bus") {
        eprintln!("skipping systemd-analyze verify: no system manager here: {stderr}");
        return;
    }
    assert!(out.status.success(), "systemd-analyze verify: {stderr}");
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("triage-record"))
        .collect();
    assert!(ours.is_empty(), "systemd-analyze verify: {stderr}");
}
