//! What triage's integration tests and examples (benchmarks) of both crates share, so each
//! is written once: the fixture trees under `triage-core/tests/fixtures`, scratch copies
//! of them to mutate, and the teardown of live cgroups a test or benchmark created. A
//! dev-dependency only: nothing here is in the shipped binary, and it may panic.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `triage-core/tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../triage-core/tests/fixtures")
        .join(name)
}

/// Copy the tree `from` into `to` (regular files and directories; links are copied as
/// the files they lead to).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// A temporary copy of fixture `name` to mutate.
pub fn scratch(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(name), dir.path());
    dir
}

/// Append `text` to the file `p`, creating it: a log growing under a follower.
pub fn append(p: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(p)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// Remove the cgroup directory `dir` a test created: kill whatever is still in it (a
/// grandchild the test did not know of), then retry `rmdir` for up to 5 s while the
/// kernel finishes tearing the tasks down. Gone already is fine; a failure is printed,
/// never a panic (this runs in `Drop`, maybe while a test is failing).
pub fn remove_cgroup(dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(procs) = std::fs::read_to_string(dir.join("cgroup.procs")) {
            for pid in procs.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
                // SAFETY: kill has no memory-safety preconditions.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
        match std::fs::remove_dir(dir) {
            Ok(()) => return,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) if Instant::now() > deadline => {
                eprintln!("could not remove {}: {e}", dir.display());
                return;
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_copies_a_fixture_tree() {
        let dir = scratch("healthy");
        let copied = std::fs::read(dir.path().join("proc/loadavg")).unwrap();
        assert_eq!(
            copied,
            std::fs::read(fixture("healthy/proc/loadavg")).unwrap()
        );
    }

    #[test]
    fn removing_a_cgroup_that_is_gone_or_a_plain_dir_returns() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("cg");
        std::fs::create_dir(&d).unwrap();
        remove_cgroup(&d);
        assert!(!d.exists());
        remove_cgroup(&d);
    }
}
