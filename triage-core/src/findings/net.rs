//! Rules over listeners and connections (saturation and errors of the network side).

use super::thresholds as t;
use super::{finding, Context};
use crate::fmt::percent;
use crate::snapshot::{Finding, Severity, Snapshot};

fn listen_queue_title(address_port: &str, process: Option<&str>) -> String {
    match process {
        Some(p) => format!("listen queue full on {address_port} ({p}) — connections dropped"),
        None => format!("listen queue full on {address_port} — connections dropped"),
    }
}

/// `listen_queue_overflow`: TCP listeners whose accept queue is at its backlog
/// (`recv_q >= send_q > 0`): the application does not `accept()` fast enough and the
/// kernel drops new connections. The one place this is decided: the network collector
/// only reports the queues.
pub fn listen_queue_overflow(s: &Snapshot, _: &Context) -> Vec<Finding> {
    s.listeners
        .iter()
        .flatten()
        .filter(|l| l.protocol.starts_with("tcp"))
        .filter_map(|l| {
            let (q, backlog) = (l.recv_q?, l.send_q?);
            if backlog == 0 || q < backlog {
                return None;
            }
            let who = match (&l.process, l.pid) {
                (Some(p), Some(pid)) => Some(format!("{p} pid {pid}")),
                (Some(p), None) => Some(p.clone()),
                _ => None,
            };
            let f = finding(
                "listen_queue_overflow",
                Severity::Critical,
                listen_queue_title(&l.address_port(), who.as_deref()),
                vec![
                    format!(
                        "{} {}: {q} connection(s) waiting to be accepted, backlog {backlog} (ss -ltn 'sport = :{}': Recv-Q/Send-Q)",
                        l.protocol, l.address_port(), l.port
                    ),
                    "drops so far: nstat -az TcpExtListenOverflows TcpExtListenDrops".into(),
                ],
            );
            let f = f.var("port", l.port);
            Some(match (&l.process, l.pid) {
                (Some(p), Some(pid)) => f.var("process", p).var("pid", pid),
                (Some(p), None) => f.var("process", p),
                _ => f,
            })
        })
        .collect()
}

/// `conn_state_anomaly`: a large share of the connections stuck in CLOSE_WAIT (the
/// application leaks sockets), SYN_RECV (handshakes not completing: a SYN flood or a full
/// accept queue) or TIME_WAIT (ephemeral ports running out).
pub fn conn_state_anomaly(s: &Snapshot, _: &Context) -> Vec<Finding> {
    let Some(c) = &s.connections else {
        return Vec::new();
    };
    let checks: [(&str, f64, u64, &str); 3] = [
        (
            "CLOSE_WAIT",
            t::CLOSE_WAIT_PERCENT_WARNING,
            t::CONN_STATE_MIN,
            "the peer closed but the application never closed its end: a socket leak",
        ),
        (
            "SYN_RECV",
            t::SYN_RECV_PERCENT_WARNING,
            t::CONN_STATE_MIN,
            "handshakes not completing: a SYN flood, or the accept queue is full",
        ),
        (
            "TIME_WAIT",
            t::TIME_WAIT_PERCENT_WARNING,
            t::TIME_WAIT_MIN,
            "many short connections: ephemeral ports may run out (ss -s; sysctl net.ipv4.ip_local_port_range)",
        ),
    ];
    checks
        .iter()
        .filter_map(|(state, pct_warn, min, meaning)| {
            let n = *c.by_state.get(*state)?;
            let pct = percent(n, c.total);
            if n < *min || pct < *pct_warn {
                return None;
            }
            let mut evidence = vec![
                format!(
                    "{n} of {} TCP connections ({pct:.0}%) in {state} (ss -tan state {})",
                    c.total,
                    state.to_lowercase().replace('_', "-")
                ),
                (*meaning).to_string(),
            ];
            let culprit = match *state {
                "CLOSE_WAIT" => c
                    .top_processes
                    .first()
                    .map(|p| format!("{} (pid {})", p.process, p.pid)),
                "SYN_RECV" => c.top_remote.first().map(|r| r.address.clone()),
                _ => c
                    .top_local_ports
                    .first()
                    .map(|p| format!("port {}", p.port)),
            };
            if let Some(p) = c.top_processes.first() {
                evidence.push(format!(
                    "most connections (all states): {} (pid {}) with {} (ss -tanp)",
                    p.process, p.pid, p.count
                ));
            }
            if let Some(r) = c.top_remote.first() {
                evidence.push(format!(
                    "top remote address (all states): {} with {}",
                    r.address, r.count
                ));
            }
            let title = match culprit {
                Some(who) => format!("{n} connections in {state} ({pct:.0}%) — top: {who}"),
                None => format!("{n} connections in {state} ({pct:.0}%)"),
            };
            Some(
                finding("conn_state_anomaly", Severity::Warning, title, evidence)
                    .var("state", state),
            )
        })
        .collect()
}
