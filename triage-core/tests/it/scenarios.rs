//! Real conditions on the live host, created safely and undone: a zombie, busy CPUs, a
//! nearly full tmpfs (root only). Each test takes a real snapshot and looks for the
//! finding naming the culprit.

use std::process::{Child, Command};
use std::time::Duration;

use triage_core::collect::{self, Options};
use triage_core::snapshot::{Finding, Severity, Snapshot};
use triage_core::HostRoot;

/// Kills and reaps the child when dropped, whatever the test did.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn snapshot() -> Snapshot {
    let opts = Options {
        sample_interval: Duration::from_millis(500),
        ..Options::default()
    };
    collect::snapshot(&HostRoot::live(), &opts)
}

fn with_id<'a>(s: &'a Snapshot, id: &str) -> Vec<&'a Finding> {
    s.findings.iter().filter(|f| f.id == id).collect()
}

#[test]
fn a_parent_that_does_not_reap_is_named() {
    // `sleep 0` exits at once; its parent exec'd `sleep 5`, which never calls wait().
    let child = Reaped(
        Command::new("sh")
            .args(["-c", "sleep 0 & exec sleep 5"])
            .spawn()
            .unwrap(),
    );
    let pid = child.0.id() as i32;
    std::thread::sleep(Duration::from_millis(300));
    let s = snapshot();
    let z = with_id(&s, "zombie_processes");
    assert_eq!(z.len(), 1, "{:#?}", s.findings);
    assert!(z[0].severity >= Severity::Warning);
    let parent = format!("sleep (pid {pid})");
    assert!(
        z[0].title.contains(&parent) || z[0].evidence.iter().any(|e| e.contains(&parent)),
        "{:#?}",
        z[0]
    );
    // Clean up without leaving the zombie behind for other tests: when its parent dies it
    // goes to init, which reaps it shortly; wait for that.
    let zombies: Vec<i32> = s
        .processes
        .iter()
        .flatten()
        .filter(|p| p.ppid == pid && p.state == "Z")
        .map(|p| p.pid)
        .collect();
    drop(child);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while zombies
        .iter()
        .any(|z| HostRoot::live().proc(z.to_string()).exists())
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn busy_cpus_are_reported_with_a_process() {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Bounded by its own count (a few seconds) even if the guard never runs; the guard
    // kills the loop itself, so nothing is orphaned.
    let _loops: Vec<Reaped> = (0..cpus)
        .map(|_| {
            Reaped(
                Command::new("sh")
                    .args(["-c", "i=0; while [ $i -lt 30000000 ]; do i=$((i+1)); done"])
                    .spawn()
                    .unwrap(),
            )
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let pids: Vec<i32> = _loops.iter().map(|l| l.0.id() as i32).collect();
    let before = cpu_ticks(&pids);
    let t0 = std::time::Instant::now();
    let s = snapshot();
    let elapsed = t0.elapsed().as_secs_f64();
    let after = cpu_ticks(&pids);
    let cpu = s.cpu.as_ref().unwrap();
    let c = with_id(&s, "cpu_saturated");
    assert_eq!(
        c.len(),
        1,
        "CPU {:.0}% busy: {:#?}",
        cpu.usage_percent,
        s.findings
    );
    // The title names the busiest process of the table.
    let top = s
        .processes
        .as_ref()
        .unwrap()
        .iter()
        .max_by(|a, b| a.cpu_percent.total_cmp(&b.cpu_percent))
        .unwrap();
    assert!(
        c[0].title.contains(&format!("(pid {})", top.pid)),
        "{:#?}",
        c[0]
    );
    // Our loops show up busy: as busy as the kernel says they were while the snapshot
    // ran (on a machine loaded by others they get less than a core; the table must still
    // see what they got, not 0, not another process's figure).
    let tps = procfs::ticks_per_second() as f64;
    let procs = s.processes.as_ref().unwrap();
    let shown: Vec<(f64, f64)> = pids
        .iter()
        .zip(before.iter().zip(&after))
        .filter_map(|(pid, (b, a))| {
            let p = procs.iter().find(|p| p.pid == *pid && p.name == "sh")?;
            Some((
                p.cpu_percent,
                a.saturating_sub(*b) as f64 / tps / elapsed * 100.0,
            ))
        })
        .collect();
    assert!(
        shown
            .iter()
            .any(|(table, real)| *table > 0.0 && *table >= real / 3.0),
        "no busy sh in the table: (table %, measured %) {shown:?}"
    );
}

/// User + system clock ticks of each of `pids` (0 when gone).
fn cpu_ticks(pids: &[i32]) -> Vec<u64> {
    pids.iter()
        .map(|pid| {
            procfs::process::Process::new(*pid)
                .and_then(|p| p.stat())
                .map_or(0, |st| st.utime + st.stime)
        })
        .collect()
}

/// Unmounts (lazily) when dropped.
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_nearly_full_tmpfs_is_critical_and_named() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP a_nearly_full_tmpfs_is_critical_and_named: needs root to mount a tmpfs");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1M", "tmpfs"])
        .arg(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIP a_nearly_full_tmpfs_is_critical_and_named: mount -t tmpfs refused here");
        return;
    }
    let mount = Mounted(dir.path().to_path_buf());
    // 1000 KB of 1024 KB: 98%.
    std::fs::write(mount.0.join("fill"), vec![0u8; 1_000_000]).unwrap();
    let s = snapshot();
    let name = mount.0.display().to_string();
    let d: Vec<&Finding> = with_id(&s, "disk_almost_full")
        .into_iter()
        .filter(|f| f.title.starts_with(&format!("{name} ")))
        .collect();
    assert_eq!(d.len(), 1, "{:#?}", s.findings);
    assert_eq!(d[0].severity, Severity::Critical);
    assert_eq!(d[0].vars.get("mount"), Some(&name));
    assert!(d[0].evidence[0].contains("tmpfs"), "{:?}", d[0].evidence);
}
