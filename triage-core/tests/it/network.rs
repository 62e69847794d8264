//! The `network` collector: a fixture `/proc/net` tree, and the live host with sockets this
//! test opens itself (found by pid).

use std::collections::BTreeSet;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::Duration;

use triage_core::collect::network::{self, Network, Source};
use triage_core::collect::{Ctx, Options};
use triage_core::snapshot::{Listener, Warning};
use triage_core::HostRoot;

fn fixture() -> Ctx {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/network");
    Ctx::new(HostRoot::new(dir).unwrap(), Options::default()).for_collector("network")
}

fn live() -> Ctx {
    Ctx::new(HostRoot::live(), Options::default()).for_collector("network")
}

fn row(l: &Listener) -> String {
    format!(
        "{} {}:{} {} {} {}",
        l.protocol,
        l.address,
        l.port,
        l.process.as_deref().unwrap_or("?"),
        l.pid.map(|p| p.to_string()).unwrap_or_else(|| "?".into()),
        l.user.as_deref().unwrap_or("?")
    )
}

#[test]
fn fixture_listeners_owners_and_addresses() {
    let ctx = fixture();
    let net = network::collect(&ctx).unwrap();
    let rows: Vec<String> = net.listeners.iter().map(row).collect();
    assert_eq!(
        rows,
        [
            "tcp 0.0.0.0:22 sshd 100 root",
            "tcp 127.0.0.1:8080 fixture-web 4242 web",
            "tcp6 :::22 sshd 100 root",
            // IPv4-mapped IPv6 is shown as IPv4; the table stays tcp6.
            "tcp6 127.0.0.1:9090 fixture-web 4242 web",
            "udp 127.0.0.53:53 systemd-resolve 600 systemd-resolve",
            "udp 0.0.0.0:68 dhclient 500 root",
            "udp6 :::5353 ? ? root",
            "udp6 fe80::56e1:adff:fe7c:6609:51073 ? ? web",
        ]
    );
    let web = &net.listeners[1];
    assert_eq!(web.recv_q, Some(3), "accept queue from rx_queue");
    assert_eq!(web.send_q, None, "/proc/net/tcp has no backlog");
    let resolver = &net.listeners[4];
    assert_eq!((resolver.recv_q, resolver.send_q), (Some(0x300), Some(0)));
}

#[test]
fn fixture_connection_counts() {
    let net = network::collect(&fixture()).unwrap();
    let c = &net.connections;
    // tcp: 3 ESTABLISHED + TIME_WAIT + CLOSE_WAIT; tcp6: 2 ESTABLISHED. Listeners excluded.
    assert_eq!(c.total, 7);
    assert_eq!(c.by_state["ESTABLISHED"], 5);
    assert_eq!(c.by_state["TIME_WAIT"], 1);
    assert_eq!(c.by_state["CLOSE_WAIT"], 1);
    assert_eq!(c.by_state["LISTEN"], 4);
    assert_eq!(c.by_state["SYN_SENT"], 0);
    let remote: Vec<(String, u64)> = c
        .top_remote
        .iter()
        .map(|r| (r.address.clone(), r.count))
        .collect();
    // 192.168.1.20 three times: twice over IPv4, once IPv4-mapped over IPv6.
    assert_eq!(remote[0], ("192.168.1.20".to_string(), 3));
    assert_eq!(remote[1], ("127.0.0.1".to_string(), 2));
    assert!(remote.contains(&("::1".to_string(), 1)));
    assert!(remote.contains(&("10.0.0.9".to_string(), 1)));
    // 22 and 443 both twice (443 once over IPv4-mapped IPv6): ties go by port.
    let ports: Vec<(u16, u64)> = c
        .top_local_ports
        .iter()
        .map(|p| (p.port, p.count))
        .collect();
    assert_eq!(ports[..2], [(22, 2), (443, 2)]);
    assert_eq!(c.top_processes[0].process, "fixture-web");
    assert_eq!(c.top_processes[0].pid, 4242);
    assert_eq!(c.top_processes[0].count, 4);
}

#[test]
fn fixture_garbled_lines_make_one_warning_per_file() {
    let ctx = fixture();
    network::collect(&ctx).unwrap();
    let warnings: Vec<Warning> = ctx.take_warnings();
    let msgs: Vec<&str> = warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(msgs.iter().all(|m| m.contains("garbled")), "{msgs:?}");
    let tcp = msgs.iter().find(|m| m.contains("proc/net/tcp:")).unwrap();
    assert!(
        tcp.contains("1 garbled line(s)") && tcp.contains("line 9"),
        "{tcp}"
    );
    let tcp6 = msgs.iter().find(|m| m.contains("proc/net/tcp6:")).unwrap();
    assert!(
        tcp6.contains("2 garbled line(s)") && tcp6.contains("line 6"),
        "{tcp6}"
    );
    assert!(warnings.iter().all(|w| w.collector == "network"));
}

#[test]
fn missing_tables_are_an_error_naming_the_root() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("proc")).unwrap();
    let ctx = Ctx::new(HostRoot::new(dir.path()).unwrap(), Options::default());
    let err = network::collect(&ctx).unwrap_err().to_string();
    assert!(err.contains("net/tcp"), "{err}");
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
}

/// Sockets this test process owns: listeners of each kind and `pairs` loopback connections.
struct Sockets {
    tcp4: TcpListener,
    tcp6: Option<TcpListener>,
    udp: UdpSocket,
    _conns: Vec<(TcpStream, TcpStream)>,
}

fn open_sockets(pairs: usize) -> Sockets {
    let tcp4 = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let tcp6 = match TcpListener::bind("[::1]:0") {
        Ok(l) => Some(l),
        Err(e) => {
            eprintln!("skipping the tcp6 listener check: cannot bind [::1]: {e}");
            None
        }
    };
    let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = tcp4.local_addr().unwrap();
    let mut conns = Vec::with_capacity(pairs);
    for _ in 0..pairs {
        let mut client = TcpStream::connect(addr).unwrap();
        let (server, _) = tcp4.accept().unwrap();
        client.write_all(b"x").unwrap();
        conns.push((client, server));
    }
    Sockets {
        tcp4,
        tcp6,
        udp,
        _conns: conns,
    }
}

fn my_comm() -> String {
    HostRoot::live()
        .read_proc("self/comm")
        .unwrap()
        .trim_end()
        .to_string()
}

fn find<'a>(net: &'a Network, proto: &str, addr: SocketAddr) -> Option<&'a Listener> {
    net.listeners.iter().find(|l| {
        l.protocol == proto && l.port == addr.port() && l.address == addr.ip().to_string()
    })
}

#[test]
fn live_host_finds_our_sockets_with_our_pid() {
    let socks = open_sockets(300);
    let ctx = live();
    let net = network::collect(&ctx).unwrap();
    let pid = std::process::id() as i32;
    let comm = my_comm();

    let tcp4 = find(&net, "tcp", socks.tcp4.local_addr().unwrap()).expect("tcp listener");
    assert_eq!(tcp4.pid, Some(pid));
    assert_eq!(tcp4.process.as_deref(), Some(comm.as_str()));
    assert_eq!(tcp4.send_q, Some(128), "std listens with a backlog of 128");
    if let Some(l6) = &socks.tcp6 {
        let l = find(&net, "tcp6", l6.local_addr().unwrap()).expect("tcp6 listener");
        assert_eq!(l.pid, Some(pid));
    }
    let udp = find(&net, "udp", socks.udp.local_addr().unwrap()).expect("udp socket");
    assert_eq!(udp.pid, Some(pid));

    let c = &net.connections;
    assert!(c.by_state["ESTABLISHED"] >= 600, "{:?}", c.by_state);
    assert!(c.total >= 600);
    let port = socks.tcp4.local_addr().unwrap().port();
    let on_port = c.top_local_ports.iter().find(|p| p.port == port);
    assert!(
        on_port.is_some_and(|p| p.count >= 300),
        "{:?}",
        c.top_local_ports
    );
    let me = c.top_processes.iter().find(|p| p.pid == pid);
    assert!(me.is_some_and(|p| p.count >= 600), "{:?}", c.top_processes);
    let lo = c.top_remote.iter().find(|r| r.address == "127.0.0.1");
    assert!(lo.is_some_and(|r| r.count >= 600), "{:?}", c.top_remote);
}

type Key = (String, String, u16, Option<i32>);

fn keys(net: &Network) -> BTreeSet<Key> {
    net.listeners
        .iter()
        .map(|l| (l.protocol.clone(), l.address.clone(), l.port, l.pid))
        .collect()
}

#[test]
fn proc_fallback_lists_the_same_listeners_as_netlink() {
    let socks = open_sockets(5);
    let ctx = live();
    let before = match network::collect_with(&ctx, Source::Netlink) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("skipping: netlink sock_diag unavailable here: {e}");
            return;
        }
    };
    // Other programs (and the other tests in this binary) may open or close listeners
    // meanwhile: compare against the listeners stable across two netlink reads, allow
    // only what either saw, and retry a few times so only a transient socket is
    // tolerated, never a listener the /proc parser invents every time.
    let mut before = keys(&before);
    let mut problems = Vec::new();
    let mut proc_keys = BTreeSet::new();
    let mut proc = network::collect_with(&ctx, Source::ProcNet).unwrap();
    for attempt in 0..5 {
        if attempt > 0 {
            proc = network::collect_with(&ctx, Source::ProcNet).unwrap();
        }
        let after = keys(&network::collect_with(&ctx, Source::Netlink).unwrap());
        proc_keys = keys(&proc);
        let stable: BTreeSet<&Key> = before.intersection(&after).collect();
        let seen: BTreeSet<&Key> = before.union(&after).collect();
        problems = stable
            .iter()
            .filter(|k| !proc_keys.contains(**k))
            .map(|k| format!("/proc/net misses {k:?}"))
            .chain(
                proc_keys
                    .iter()
                    .filter(|k| !seen.contains(k))
                    .map(|k| format!("/proc/net has {k:?} that netlink never saw")),
            )
            .collect();
        if problems.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        before = after;
    }
    assert!(problems.is_empty(), "{problems:#?}");
    let mine = socks.tcp4.local_addr().unwrap().port();
    assert!(proc_keys.iter().any(|k| k.2 == mine && k.0 == "tcp"));
    assert_eq!(
        proc.connections.by_state.keys().collect::<Vec<_>>(),
        keys_of_states()
    );
}

fn keys_of_states() -> Vec<&'static String> {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    NAMES
        .get_or_init(|| {
            let mut v: Vec<String> = [
                "ESTABLISHED",
                "SYN_SENT",
                "SYN_RECV",
                "FIN_WAIT1",
                "FIN_WAIT2",
                "TIME_WAIT",
                "CLOSE",
                "CLOSE_WAIT",
                "LAST_ACK",
                "LISTEN",
                "CLOSING",
            ]
            .map(String::from)
            .to_vec();
            v.sort();
            v
        })
        .iter()
        .collect()
}

#[test]
fn full_accept_queue_is_a_finding() {
    use nix::sys::socket::{
        bind, listen, socket, AddressFamily, Backlog, SockFlag, SockType, SockaddrIn,
    };
    let fd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .unwrap();
    bind(
        std::os::fd::AsRawFd::as_raw_fd(&fd),
        &SockaddrIn::new(127, 0, 0, 1, 0),
    )
    .unwrap();
    listen(&fd, Backlog::new(1).unwrap()).unwrap();
    let listener = TcpListener::from(fd);
    let addr = listener.local_addr().unwrap();
    // Never accepted: the queue fills (the kernel holds backlog + 1), then SYNs are dropped.
    let _clients: Vec<TcpStream> = (0..3)
        .filter_map(|_| TcpStream::connect_timeout(&addr, Duration::from_millis(300)).ok())
        .collect();
    let ctx = live();
    let net = network::collect(&ctx).unwrap();
    let l = find(&net, "tcp", addr).expect("our listener");
    assert_eq!(l.send_q, Some(1));
    assert!(l.recv_q >= Some(1), "{l:?}");
    // The collector reports the queue; the findings engine decides, once.
    let mut snap = triage_core::Snapshot::empty(triage_core::snapshot::now());
    snap.listeners = Some(vec![l.clone()]);
    let context = triage_core::findings::Context::for_snapshot(&snap);
    let findings = triage_core::findings::evaluate(&snap, &context);
    let f = findings
        .iter()
        .find(|f| f.id == "listen_queue_overflow" && f.title.contains(&addr.port().to_string()))
        .unwrap_or_else(|| panic!("no finding for port {}: {findings:?}", addr.port()));
    assert!(f.title.contains(&my_comm()), "{}", f.title);
    assert!(f.evidence[0].contains("backlog 1"), "{:?}", f.evidence);
    // An idle listener is not a finding.
    let mut idle = l.clone();
    idle.recv_q = Some(0);
    snap.listeners = Some(vec![idle]);
    assert!(triage_core::findings::evaluate(&snap, &context).is_empty());
}

#[test]
fn markdown_shows_listeners_queues_and_connection_tops() {
    let net = network::collect(&fixture()).unwrap();
    let mut snap = triage_core::Snapshot::empty(triage_core::snapshot::now());
    let mut listeners = net.listeners;
    listeners[0].recv_q = Some(129);
    listeners[0].send_q = Some(128);
    snap.listeners = Some(listeners);
    snap.connections = Some(net.connections);
    let mut out = Vec::new();
    triage_core::render::markdown::write(&snap, &mut out).unwrap();
    let md = String::from_utf8(out).unwrap();
    assert!(
        md.contains("| proto | address:port | process | pid | user | Recv-Q | Send-Q |"),
        "{md}"
    );
    assert!(md.contains("| tcp | 0.0.0.0:22 | sshd | 100 | root | 129 (full) | 128 |"));
    assert!(md.contains("| tcp6 | [::]:22 | sshd | 100 | root | 0 | - |"));
    assert!(
        md.contains("- TCP connections: 7 (ESTABLISHED 5, CLOSE_WAIT 1, TIME_WAIT 1); 4 listening")
    );
    assert!(md.contains("- top peers: 192.168.1.20 (3), 127.0.0.1 (2)"));
    assert!(md.contains("- top local ports: 22 (2), 443 (2)"));
    assert!(md.contains("- top processes: fixture-web pid 4242 (4), "));
}
