//! cgroup v2 read live on a hybrid host (root only). Here the kernel binds `cpu`,
//! `memory` and `pids` to the v1 hierarchies the host mounted at boot, and a controller
//! serves one hierarchy at a time, so the unified hierarchy (`/sys/fs/cgroup/unified`) can
//! enable none of them: no live `cpu.max` throttling, `memory.max` or `memory.events` on
//! v2 (the fixture trees `cgroups_k8s`, `cgroups_docker`, `cgroups_systemd` cover those).
//! What every v2 cgroup has anyway is read live: the core `cpu.stat` (`usage_usec`), the
//! per-cgroup PSI files and `cgroup.procs`. The unified hierarchy is bind-mounted as the
//! `sys/fs/cgroup` of a scratch root, so the collector sees a pure v2 host.
//!
//! On a pure v2 host the cgroups_live tests already run in v2; this one then skips.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use triage_core::collect::cgroups::{self, sample::Sampler};
use triage_core::collect::{Ctx, Options};
use triage_core::HostRoot;

const UNIFIED: &str = "/sys/fs/cgroup/unified";

/// The busy loop, its v2 cgroup and the bind mount: undone on drop, whatever happened.
struct Made {
    child: Option<Child>,
    cgroup: Option<PathBuf>,
    mount: Option<PathBuf>,
}

impl Drop for Made {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(dir) = &self.cgroup {
            let deadline = Instant::now() + Duration::from_secs(5);
            while std::fs::remove_dir(dir).is_err() && dir.exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        if let Some(m) = &self.mount {
            let _ = Command::new("umount").arg(m).status();
        }
    }
}

#[test]
fn v2_usage_psi_and_procs_of_a_live_cgroup() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to create cgroups and bind-mount");
        return;
    }
    if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        eprintln!("skipped: a pure v2 host: cgroups_live:: already runs in v2 here");
        return;
    }
    if !Path::new(UNIFIED).join("cgroup.controllers").exists() {
        eprintln!("skipped: no unified hierarchy at {UNIFIED}");
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let name = format!("triage-test-v2-{}", std::process::id());
    let mut made = Made {
        child: None,
        cgroup: None,
        mount: None,
    };
    let dir = Path::new(UNIFIED).join(&name);
    std::fs::create_dir(&dir).unwrap();
    made.cgroup = Some(dir.clone());
    let busy = Command::new("sh")
        .args(["-c", "while :; do :; done"])
        .spawn()
        .unwrap();
    let pid = busy.id();
    made.child = Some(busy);
    std::fs::write(dir.join("cgroup.procs"), pid.to_string()).unwrap();
    let target = scratch.path().join("sys/fs/cgroup");
    std::fs::create_dir_all(&target).unwrap();
    let ok = Command::new("mount")
        .args(["--bind", UNIFIED])
        .arg(&target)
        .status()
        .unwrap();
    assert!(ok.success(), "mount --bind {UNIFIED} {}", target.display());
    made.mount = Some(target);
    let root = HostRoot::new(scratch.path()).unwrap();

    // The history sampler: rates from two readings of the core cpu.stat.
    let mut sampler = Sampler::default();
    sampler.take(&root, &mut Vec::new());
    std::thread::sleep(Duration::from_millis(700));
    let mut problems = Vec::new();
    let kept = sampler.take(&root, &mut problems);
    let ours = kept
        .iter()
        .find(|c| c.path == format!("/{name}"))
        .unwrap_or_else(|| panic!("/{name} not kept: {kept:#?} {problems:?}"));
    let cpu = ours.cpu_percent.expect("usage_usec read twice");
    assert!(cpu > 1.0 && cpu <= 105.0, "a busy loop: {cpu}% {ours:?}");
    assert_eq!(ours.quota_cores, None, "no cpu controller in v2 here");

    // The snapshot's section: version 2, one process, its own PSI.
    let ctx = Ctx::new(root.clone(), Options::default());
    let list = cgroups::collect(&ctx).unwrap();
    let cg = list
        .iter()
        .find(|c| c.path == format!("/{name}"))
        .unwrap_or_else(|| panic!("/{name} not listed: {list:#?}"));
    assert_eq!(cg.version, 2);
    assert_eq!(cg.processes, 1);
    assert_eq!(cg.dirs, vec![format!("/sys/fs/cgroup/{name}")]);
    let psi = cg.pressure.as_ref().expect("per-cgroup PSI (psi=1 here)");
    assert!(psi.cpu.is_some() && psi.io.is_some(), "{psi:?}");
    assert_eq!(
        cg.memory.current_bytes, None,
        "no memory controller in v2 here"
    );
}
