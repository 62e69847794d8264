//! The snapshot playbook over real SSH (root only): two hosts, each a network namespace
//! made here with its own OpenSSH server on that namespace's loopback, reached by
//! ansible-core through an `ssh` wrapper that enters the namespace (`ip netns exec`) and
//! connects to 127.0.0.1 there. No address outside the namespaces' own loopbacks is used.
//! The hosts share this machine's file systems (so the test's `triage` binary runs there),
//! not its network: a live snapshot taken over SSH sees only its namespace's sshd listening.
//! Skipped with a message when not root, or without sshd, ssh, ip or ansible-playbook
//! (`.ci/run` installs openssh-server and ansible-core when it can).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::fixture;

/// Namespaces and their sshd: stopped and deleted on drop, whatever happened.
struct Hosts {
    names: Vec<String>,
    sshd: Vec<Child>,
}

impl Drop for Hosts {
    fn drop(&mut self) {
        for c in &mut self.sshd {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in &self.names {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

fn have(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {out:?}");
}

/// Keys and an sshd config in `dir`: key-only root login on 127.0.0.1:22.
fn ssh_setup(dir: &Path) -> PathBuf {
    for key in ["hostkey", "clientkey"] {
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(dir.join(key)));
    }
    std::fs::copy(dir.join("clientkey.pub"), dir.join("authorized_keys")).unwrap();
    // sshd's privilege separation directory (Debian's unit makes it at boot).
    std::fs::create_dir_all("/run/sshd").unwrap();
    let cfg = dir.join("sshd_config");
    std::fs::write(
        &cfg,
        format!(
            "ListenAddress 127.0.0.1\nPort 22\nHostKey {d}/hostkey\n\
             AuthorizedKeysFile {d}/authorized_keys\nPermitRootLogin prohibit-password\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
             StrictModes no\nPidFile none\n",
            d = dir.display()
        ),
    )
    .unwrap();
    // The host argument ansible passes is the namespace's name.
    let wrapper = dir.join("ssh-ns");
    std::fs::write(
        &wrapper,
        "#!/bin/sh\nns=\nfor a; do\n  shift\n  case \"$a\" in\n    triage-t-*) ns=$a; set -- \"$@\" 127.0.0.1 ;;\n    *) set -- \"$@\" \"$a\" ;;\n  esac\ndone\nexec ip netns exec \"$ns\" ssh \"$@\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    cfg
}

/// Start one namespace per name with its sshd; waits until each accepts connections.
fn start(names: &[String], cfg: &Path) -> Hosts {
    let mut hosts = Hosts {
        names: Vec::new(),
        sshd: Vec::new(),
    };
    for ns in names {
        run(Command::new("ip").args(["netns", "add", ns]));
        hosts.names.push(ns.clone());
        run(Command::new("ip").args(["netns", "exec", ns, "ip", "link", "set", "lo", "up"]));
        let sshd = Command::new("ip")
            .args(["netns", "exec", ns, "/usr/sbin/sshd", "-D", "-e", "-f"])
            .arg(cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        hosts.sshd.push(sshd);
    }
    for ns in names {
        let deadline = Instant::now() + Duration::from_secs(10);
        // `ss` inside the namespace: its sshd is listening.
        while !String::from_utf8_lossy(
            &Command::new("ip")
                .args(["netns", "exec", ns, "ss", "-tlnH"])
                .output()
                .unwrap()
                .stdout,
        )
        .contains("127.0.0.1:22")
        {
            assert!(Instant::now() < deadline, "sshd in {ns} not listening");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    hosts
}

#[test]
fn snapshot_playbook_over_ssh_into_network_namespaces() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIP: needs root for network namespaces");
        return;
    }
    let missing: Vec<&str> = [
        ("/usr/sbin/sshd", "-V"),
        ("ssh", "-V"),
        ("ip", "-V"),
        ("ansible-playbook", "--version"),
    ]
    .into_iter()
    .filter(|(c, a)| !have(c, a))
    .map(|(c, _)| c)
    .collect();
    if !missing.is_empty() {
        eprintln!(
            "SKIP: not installed: {missing:?} (Debian openssh-server, iproute2; pip ansible-core)"
        );
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let cfg = ssh_setup(dir);
    let tag = std::process::id();
    let names = vec![format!("triage-t-{tag}-a"), format!("triage-t-{tag}-b")];
    let _hosts = start(&names, &cfg);
    let bin = crate::common::triage_bin();
    let inv = dir.join("hosts.ini");
    std::fs::write(
        &inv,
        format!(
            "[fleet]\n\
             db-1 ansible_host={a} triage_args=\"--root {healthy}\"\n\
             live-1 ansible_host={b}\n\
             [fleet:vars]\n\
             ansible_user=root\n\
             ansible_ssh_private_key_file={d}/clientkey\n\
             ansible_ssh_executable={d}/ssh-ns\n\
             ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes'\n\
             ansible_ssh_transfer_method=piped\n\
             ansible_python_interpreter=python3\n\
             triage_bin={bin}\n",
            a = names[0],
            b = names[1],
            healthy = fixture("healthy").display(),
            d = dir.display(),
            bin = bin.display(),
        ),
    )
    .unwrap();
    let fleet = dir.join("fleet");
    let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contrib/ansible/triage-snapshot.yml");
    let out = Command::new("timeout")
        .arg("300")
        .arg("ansible-playbook")
        .arg("-i")
        .arg(&inv)
        .arg(&book)
        .arg("-e")
        .arg(format!("fleet_dir={}", fleet.display()))
        .env("ANSIBLE_HOME", dir.join("ansible"))
        .env("ANSIBLE_LOCAL_TEMP", dir.join("ansible/tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{log}");
    assert!(log.contains("unreachable=0"), "{log}");
    // The live host's snapshot was taken inside its namespace: only its sshd listens.
    let live: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fleet.join("live-1.json")).unwrap()).unwrap();
    let listeners = live["listeners"].as_array().unwrap();
    assert!(
        !listeners.is_empty()
            && listeners
                .iter()
                .all(|l| l["port"] == 22 && l["address"] == "127.0.0.1"),
        "{listeners:?}"
    );
    // And triage fleet reads both (the live host's own findings decide its rank).
    let out = Command::new(&bin)
        .args(["fleet", "--json"])
        .arg(&fleet)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hosts = v["hosts"].as_array().unwrap();
    let mut names: Vec<&str> = hosts.iter().map(|h| h["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["db-1", "live-1"], "{v:#}");
    assert!(hosts.iter().all(|h| h.get("error").is_none()), "{v:#}");
    let db = hosts.iter().find(|h| h["name"] == "db-1").unwrap();
    assert_eq!(
        db["worst"], "warning",
        "the fixture's D-state and zombie: {v:#}"
    );
}
