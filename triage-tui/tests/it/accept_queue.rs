//! A listener whose accept queue is full is one `listen_queue_overflow` finding, in
//! `snapshot --json`, in `check --json` and on the TUI's Detect step (it used to be two:
//! one made by the network collector, one by the rule).

use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Duration;

use crate::tui_tmux::{Exec, Tmux};

/// A listener on 127.0.0.1 with backlog 1 and connections it never accepts (the kernel
/// queues backlog + 1, then drops SYNs), kept open while the value lives.
fn full_listener() -> (TcpListener, Vec<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    // listen(2) again on a listening socket sets its backlog.
    // SAFETY: a valid socket descriptor owned by `listener`.
    assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 1) }, 0);
    let addr = listener.local_addr().unwrap();
    let clients = (0..3)
        .filter_map(|_| TcpStream::connect_timeout(&addr, Duration::from_millis(300)).ok())
        .collect();
    (listener, clients)
}

fn findings_for(json: &[u8], port: u16) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(json).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["id"] == "listen_queue_overflow"
                && f["vars"]["port"].as_str() == Some(port.to_string().as_str())
        })
        .cloned()
        .collect()
}

#[test]
fn a_full_accept_queue_is_one_finding_everywhere() {
    let (listener, _clients) = full_listener();
    let port = listener.local_addr().unwrap().port();
    let home = tempfile::tempdir().unwrap();
    for cmd in ["snapshot", "check"] {
        let out = assert_cmd::Command::new(crate::common::triage_bin())
            .env("TRIAGE_HOME", home.path())
            .args([cmd, "--json"])
            .output()
            .unwrap();
        let found = findings_for(&out.stdout, port);
        assert_eq!(found.len(), 1, "{cmd} --json: {found:#?}");
        assert_eq!(found[0]["severity"], "critical", "{cmd}");
        let title = found[0]["title"].as_str().unwrap();
        assert!(title.contains(&format!("127.0.0.1:{port} ")), "{title}");
    }

    let Some(tmux) = Tmux::triage(home.path(), 250, 80, Exec::No) else {
        return;
    };
    let title = format!("listen queue full on 127.0.0.1:{port} ");
    let screen = tmux
        .wait_for(&title)
        .unwrap_or_else(|s| panic!("no {title:?} on the Detect step:\n{s}"));
    assert_eq!(screen.matches(&title).count(), 1, "{screen}");
    // Detect lists one line per finding: select this one and open its evidence.
    let row = screen
        .lines()
        .filter(|l| l.contains("▸ ") || l.contains("▾ "))
        .position(|l| l.contains(&title))
        .unwrap();
    let mut keys = vec!["send-keys", "-t", "e2e", "Home"];
    keys.extend(std::iter::repeat_n("Down", row));
    keys.push("Right");
    assert!(tmux.cmd(&keys).status.success());
    let screen = tmux
        .wait_for(&format!("▾ CRITICAL {title}"))
        .unwrap_or_else(|s| panic!("{title:?} not expanded:\n{s}"));
    let addr = format!("127.0.0.1:{port}");
    assert_eq!(
        screen.lines().filter(|l| l.contains(&addr)).count(),
        2,
        "one title and its evidence line:\n{screen}"
    );
    tmux.cmd(&["send-keys", "-t", "e2e", "q"]);
}
