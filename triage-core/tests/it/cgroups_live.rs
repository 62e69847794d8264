//! Live cgroup tests (root only): a cgroup with a 0.1 CPU quota and a busy loop inside
//! must show throttling and `cgroup_cpu_throttled`; a 64 MiB memory cgroup with a process
//! allocating 256 MiB must show `oom_kills` ≥ 1 and `cgroup_oom_kill` naming it.
//!
//! Each test makes its own uniquely named cgroups *under the test's own cgroup* in each
//! hierarchy (so whatever limits the test already runs under still apply), and a guard
//! kills their processes and removes them even when an assertion fails. Skipped with a
//! message when not root or when the controller is not there.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use triage_core::collect::{snapshot, Options};
use triage_core::snapshot::Cgroup;
use triage_core::{HostRoot, Snapshot};

const BASE: &str = "/sys/fs/cgroup";

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Which cgroup version this host gives us for `controller`.
enum Mode {
    /// The unified hierarchy with `controller` available at its root.
    V2,
    /// A v1 hierarchy directory for `controller`.
    V1(PathBuf),
}

fn mode(controller: &str, probe: &str) -> Option<Mode> {
    if let Ok(c) = std::fs::read_to_string(format!("{BASE}/cgroup.controllers")) {
        return c
            .split_whitespace()
            .any(|w| w == controller)
            .then_some(Mode::V2);
    }
    let dir = PathBuf::from(format!("{BASE}/{controller}"));
    dir.join(probe).exists().then_some(Mode::V1(dir))
}

/// The calling process's path in the hierarchy of `controller` (v1) or the unified one.
fn own_path(controller: Option<&str>) -> String {
    let text = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    text.lines()
        .find_map(|l| {
            let mut it = l.splitn(3, ':');
            let (_, ctls, path) = (it.next()?, it.next()?, it.next()?);
            let hit = match controller {
                Some(c) => ctls.split(',').any(|x| x == c),
                None => ctls.is_empty(),
            };
            hit.then(|| path.to_string())
        })
        .unwrap_or_else(|| "/".into())
}

/// Cgroups made for one test: killed and removed on drop, whatever happened.
struct Guard {
    dirs: Vec<PathBuf>,
    children: Vec<Child>,
}

impl Guard {
    fn new() -> Guard {
        Guard {
            dirs: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Make `parent/name`; remembered for removal.
    fn mkdir(&mut self, parent: &Path, name: &str) -> PathBuf {
        let dir = parent.join(name);
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
        self.dirs.push(dir.clone());
        dir
    }

    fn put(&self, dir: &Path, pid: u32) {
        std::fs::write(dir.join("cgroup.procs"), pid.to_string())
            .unwrap_or_else(|e| panic!("{}: {e}", dir.join("cgroup.procs").display()));
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for dir in self.dirs.iter().rev() {
            triage_testkit::remove_cgroup(dir);
        }
    }
}

fn unique(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("triage-test-{what}-{}-{nanos}", std::process::id())
}

fn take() -> Snapshot {
    let opts = Options {
        sample_interval: Duration::from_millis(500),
        ..Options::default()
    };
    snapshot(&HostRoot::live(), &opts)
}

fn find<'a>(s: &'a Snapshot, name: &str) -> Option<&'a Cgroup> {
    s.cgroups.as_ref()?.iter().find(|c| c.path.ends_with(name))
}

/// A busy loop in a new cgroup with a 0.1 CPU quota (removed when the guard drops);
/// `None`, with a message, when there is no cpu controller.
pub fn throttled_busy_loop() -> Option<Throttled> {
    let Some(mode) = mode("cpu", "cpu.cfs_quota_us") else {
        eprintln!("skipped: no cpu controller (cgroup v1 cpu or v2 cpu) on this host");
        return None;
    };
    let name = unique("cpu");
    let mut g = Guard::new();
    let busy = Command::new("sh")
        .args(["-c", "while :; do :; done"])
        .spawn()
        .unwrap();
    let pid = busy.id();
    g.children.push(busy);
    match mode {
        Mode::V2 => {
            let dir = g.mkdir(Path::new(BASE), &name);
            std::fs::write(dir.join("cpu.max"), "10000 100000").unwrap();
            g.put(&dir, pid);
        }
        Mode::V1(cpu) => {
            let parent = cpu.join(own_path(Some("cpu")).trim_start_matches('/'));
            let dir = g.mkdir(&parent, &name);
            std::fs::write(dir.join("cpu.cfs_period_us"), "100000").unwrap();
            std::fs::write(dir.join("cpu.cfs_quota_us"), "10000").unwrap();
            g.put(&dir, pid);
            // cpuacct mounted apart: usage is counted there.
            let acct = PathBuf::from(format!("{BASE}/cpuacct"));
            if acct.join("cpuacct.usage").exists() && !acct.join("cpu.stat").exists() {
                let parent = acct.join(own_path(Some("cpuacct")).trim_start_matches('/'));
                let d = g.mkdir(&parent, &name);
                g.put(&d, pid);
            }
        }
    }
    Some(Throttled { name, _guard: g })
}

/// A throttled cgroup made by [`throttled_busy_loop`].
pub struct Throttled {
    /// The cgroup's directory name (the last component of its path).
    pub name: String,
    _guard: Guard,
}

#[test]
fn cpu_quota_throttles_a_busy_loop() {
    if !is_root() {
        eprintln!("skipped: needs root to create cgroups");
        return;
    }
    let Some(t) = throttled_busy_loop() else {
        return;
    };
    let name = &t.name;
    std::thread::sleep(Duration::from_millis(300));
    let s = take();
    let cg = find(&s, name).unwrap_or_else(|| {
        panic!(
            "cgroup {name} not listed: {:?}",
            s.cgroups
                .as_ref()
                .map(|c| c.iter().map(|c| &c.path).collect::<Vec<_>>())
        )
    });
    assert_eq!(cg.cpu.quota_cores, Some(0.1));
    assert_eq!(cg.processes, 1);
    let tp = cg.cpu.throttled_percent.unwrap();
    assert!(tp >= 50.0, "throttled {tp}% of periods: {:?}", cg.cpu);
    let usage = cg.cpu.usage_percent.expect("usage over the interval");
    assert!(
        (3.0..=20.0).contains(&usage),
        "a 0.1 CPU quota caps the loop near 10%: {usage}"
    );
    assert!(cg.cpu.throttled_periods.unwrap() >= 1);
    let f = s
        .findings
        .iter()
        .find(|f| f.id == "cgroup_cpu_throttled" && f.title.contains(name.as_str()))
        .unwrap_or_else(|| panic!("no finding naming {name}: {:#?}", s.findings));
    assert!(f.title.contains("quota 0.1 CPU"), "{}", f.title);
    assert_eq!(f.vars.get("cgroup"), Some(&cg.path));
}

#[test]
fn memory_limit_oom_kills_inside_the_cgroup() {
    if !is_root() {
        eprintln!("skipped: needs root to create cgroups");
        return;
    }
    let Some(mode) = mode("memory", "memory.limit_in_bytes") else {
        eprintln!("skipped: no memory controller (cgroup v1 memory or v2 memory) on this host");
        return;
    };
    if Command::new("python3")
        .arg("-c")
        .arg("1")
        .status()
        .map(|s| !s.success())
        .unwrap_or(true)
    {
        eprintln!("skipped: no python3 to allocate memory with");
        return;
    }
    let name = unique("mem");
    let mut g = Guard::new();
    // Waits for a line on stdin so that it is inside the cgroup before it allocates.
    let mut hog = Command::new("sh")
        .args([
            "-c",
            "read go; exec python3 -c 'b = b\"x\" * (256 << 20); import time; time.sleep(30)'",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut go = hog.stdin.take().unwrap();
    let hog_pid = hog.id();
    g.children.push(hog);
    let limit = (64u64 << 20).to_string();
    let dir = match mode {
        Mode::V2 => {
            let dir = g.mkdir(Path::new(BASE), &name);
            std::fs::write(dir.join("memory.max"), &limit).unwrap();
            let _ = std::fs::write(dir.join("memory.swap.max"), "0");
            dir
        }
        Mode::V1(mem) => {
            let parent = mem.join(own_path(Some("memory")).trim_start_matches('/'));
            let dir = g.mkdir(&parent, &name);
            std::fs::write(dir.join("memory.limit_in_bytes"), &limit).unwrap();
            // With swap accounting, no swap either (absent without swapaccount=1).
            let _ = std::fs::write(dir.join("memory.memsw.limit_in_bytes"), &limit);
            dir
        }
    };
    g.put(&dir, hog_pid);
    go.write_all(b"go\n").unwrap();
    let status = g.children[0].wait().unwrap();
    assert!(!status.success(), "the hog must be killed, got {status:?}");
    let s = take();
    let cg = find(&s, &name).unwrap_or_else(|| panic!("cgroup {name} not listed"));
    assert!(cg.memory.oom_kills.unwrap_or(0) >= 1, "{:?}", cg.memory);
    assert_eq!(cg.memory.max_bytes, Some(64 << 20));
    let f = s
        .findings
        .iter()
        .find(|f| f.id == "cgroup_oom_kill" && f.title.contains(&name))
        .unwrap_or_else(|| panic!("no cgroup_oom_kill naming {name}: {:#?}", s.findings));
    assert!(f.title.contains("OOM-killed"), "{}", f.title);
    assert!(
        f.title.contains("64.0M") || f.title.contains("64M"),
        "{}",
        f.title
    );
}
