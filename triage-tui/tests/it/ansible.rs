//! The playbooks in contrib/ansible run by ansible-core against four inventory hosts
//! (`ansible_connection=local`, each with its own `--root` fixture tree in `triage_args`,
//! one with a binary that does not exist), then `triage fleet` ranks what they fetched.
//! Skipped with a message when ansible-playbook is not installed (pip install ansible-core).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{copy_tree, fixture};

fn contrib(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../contrib/ansible")
        .join(rel)
}

fn have_ansible() -> bool {
    Command::new("ansible-playbook")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Run `ansible-playbook` with `args`, its state kept in `home`; at most 5 minutes.
fn playbook(home: &Path, args: &[&str]) -> Output {
    let child = Command::new("ansible-playbook")
        .args(args)
        .env("ANSIBLE_HOME", home)
        .env("ANSIBLE_LOCAL_TEMP", home.join("tmp"))
        .env("ANSIBLE_REMOTE_TEMP", home.join("remote-tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(300)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            panic!("ansible-playbook {args:?} did not finish within 5 minutes");
        }
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `changed=N` of every host in the PLAY RECAP.
fn changed(out: &Output) -> Vec<u32> {
    let re = regex::Regex::new(r"(?m)^\S+\s+: ok=\d+\s+changed=(\d+)").unwrap();
    re.captures_iter(&String::from_utf8_lossy(&out.stdout))
        .map(|c| c[1].parse().unwrap())
        .collect()
}

/// Four hosts: web-1 busy (load 3/CPU) with the fixture's two warnings, web-2 the fixture
/// as it is, web-3 quiet, web-4 whose triage_bin does not exist.
fn inventory(work: &Path) -> PathBuf {
    let roots = work.join("roots");
    let busy = roots.join("busy");
    copy_tree(&fixture("healthy"), &busy);
    std::fs::write(busy.join("proc/loadavg"), "12.00 9.00 5.00 14/400 5000\n").unwrap();
    let quiet = roots.join("quiet");
    copy_tree(&fixture("healthy"), &quiet);
    for pid in ["951", "1300"] {
        std::fs::remove_dir_all(quiet.join("proc").join(pid)).unwrap();
    }
    let bin = crate::common::triage_bin();
    let inv = work.join("hosts.ini");
    std::fs::write(
        &inv,
        format!(
            "[fleet]\n\
             web-1 triage_args=\"--root {busy}\"\n\
             web-2 triage_args=\"--root {healthy}\"\n\
             web-3 triage_args=\"--root {quiet}\"\n\
             web-4 triage_bin=/nonexistent/triage\n\
             [fleet:vars]\n\
             ansible_connection=local\n\
             ansible_python_interpreter={{{{ ansible_playbook_python }}}}\n\
             triage_bin={bin}\n",
            busy = busy.display(),
            healthy = fixture("healthy").display(),
            quiet = quiet.display(),
            bin = bin.display(),
        ),
    )
    .unwrap();
    inv
}

#[test]
fn snapshot_playbook_then_fleet_ranks_the_hosts() {
    if !have_ansible() {
        eprintln!("SKIP: ansible-playbook is not installed (pip install ansible-core)");
        return;
    }
    let t0 = Instant::now();
    let work = tempfile::tempdir().unwrap();
    let home = work.path().join("ansible");
    let inv = inventory(work.path());
    let inv = inv.to_str().unwrap();
    let fleet = work.path().join("fleet");
    let fleet_arg = format!("fleet_dir={}", fleet.display());
    let book = contrib("triage-snapshot.yml");
    let book = book.to_str().unwrap();

    // --check first: it runs (read-only), but leaves no file on the controller.
    let out = playbook(&home, &["-i", inv, book, "-e", &fleet_arg, "--check"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!fleet.exists(), "check mode wrote {}", fleet.display());

    let out = playbook(&home, &["-i", inv, book, "-e", &fleet_arg]);
    assert!(out.status.success(), "{}", text(&out));
    for h in ["web-1", "web-2", "web-3", "web-4"] {
        assert!(
            fleet.join(format!("{h}.json")).exists(),
            "{h}: {}",
            text(&out)
        );
    }

    let out = Command::new(crate::common::triage_bin())
        .args(["fleet", "--json"])
        .arg(&fleet)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web-1", "web-2", "web-3", "web-4"], "{v:#}");
    assert_eq!(v["hosts"][0]["load_per_cpu"], 3.0);
    assert!(v["hosts"][2]["worst"].is_null());
    let why = v["hosts"][3]["error"].as_str().unwrap();
    assert!(
        why.contains("no snapshot") && why.contains("nonexistent"),
        "{why}"
    );
    // The fixture's D-state process and zombie, on web-1 and web-2 (not on quiet web-3).
    let shared = v["shared_findings"].as_array().unwrap();
    let ids: Vec<&str> = shared.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["uninterruptible_processes", "zombie_processes"],
        "{v:#}"
    );
    for s in shared {
        assert_eq!(s["hosts"], serde_json::json!(["web-1", "web-2"]));
    }
    eprintln!("snapshot playbook test took {:?}", t0.elapsed());
}

#[test]
fn check_playbook_prints_one_line_per_host_worst_first() {
    if !have_ansible() {
        eprintln!("SKIP: ansible-playbook is not installed (pip install ansible-core)");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let home = work.path().join("ansible");
    let inv = inventory(work.path());
    // web-4 has no binary: the check fails there, the others still report.
    let out = playbook(
        &home,
        &[
            "-i",
            inv.to_str().unwrap(),
            "--limit",
            "web-1,web-2,web-3",
            contrib("triage-check.yml").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let at = |needle: &str| {
        stdout
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} missing in\n{stdout}"))
    };
    let web1 = at("web-1: TRIAGE WARNING");
    let web3 = at("web-3: TRIAGE OK");
    assert!(web1 < web3, "worst first:\n{stdout}");
    assert_eq!(changed(&out), [0, 0, 0], "{stdout}");
}

#[test]
fn install_role_is_idempotent_and_honours_check_mode() {
    if !have_ansible() {
        eprintln!("SKIP: ansible-playbook is not installed (pip install ansible-core)");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let home = work.path().join("ansible");
    let inv = inventory(work.path());
    let prefix = work.path().join("host");
    let vars = format!(
        "triage_local_bin={bin} triage_install_path={p}/bin/triage triage_unit_dir={p}/units \
         triage_textfile_dir={p}/prom triage_record_service=false",
        bin = crate::common::triage_bin().display(),
        p = prefix.display()
    );
    std::fs::create_dir_all(prefix.join("bin")).unwrap();
    std::fs::create_dir_all(prefix.join("units")).unwrap();
    let book = contrib("triage-install.yml");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "-i",
            inv.to_str().unwrap(),
            "--limit",
            "web-1",
            book.to_str().unwrap(),
            "-e",
            &vars,
        ];
        args.extend_from_slice(extra);
        playbook(&home, &args)
    };
    let out = run(&["--check"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(changed(&out)[0] > 0, "{}", text(&out));
    assert!(
        !prefix.join("bin/triage").exists(),
        "check mode installed the binary"
    );

    let out = run(&[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(changed(&out)[0] >= 4, "{}", text(&out));
    let unit = std::fs::read_to_string(prefix.join("units/triage-record.service")).unwrap();
    assert!(unit.contains("ExecStart="), "{unit}");
    let dropin =
        std::fs::read_to_string(prefix.join("units/triage-record.service.d/textfile.conf"))
            .unwrap();
    assert!(
        dropin.contains(&format!("--textfile {}/prom", prefix.display())),
        "{dropin}"
    );
    let installed = Command::new(prefix.join("bin/triage"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(installed.status.success());

    let out = run(&[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        changed(&out),
        [0],
        "second run must change nothing:\n{}",
        text(&out)
    );
}
