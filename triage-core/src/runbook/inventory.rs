//! The server inventory (`runbooks/inventory.toml`): host name patterns → project, role,
//! owner, contacts, dependencies, and whether the host is redundant.
//!
//! Which file: `$TRIAGE_INVENTORY` when set, else the first of `./runbooks/inventory.toml`,
//! `STATE_DIR/runbooks/inventory.toml`, `/etc/triage/runbooks/inventory.toml`, else the
//! example embedded in the binary (its patterns match no real host). A file that cannot
//! be read or parsed is a warning naming FILE:LINE, and triage runs without an inventory.
//!
//! Reachability ([`check_reachability`]) opens one TCP connection to each listed
//! `host:port` and to nothing else; name resolution counts against the same timeout.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use toml::de::DeValue;
use toml::Spanned;

use crate::runbook::load::read_text;
use crate::runbook::validate::{Diagnostic, Sink};

/// One inventory entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HostEntry {
    /// Glob matched against the host name (`web-*`).
    pub pattern: String,
    /// Project.
    #[serde(default)]
    pub project: String,
    /// Role (`web`, `db`…).
    #[serde(default)]
    pub role: String,
    /// Owning team or person.
    #[serde(default)]
    pub owner: String,
    /// Who to call.
    #[serde(default)]
    pub contacts: Vec<String>,
    /// Who the status message says is on it for this host (an on-call alias), unless
    /// `$TRIAGE_RESPONDER` names someone; empty: the login name.
    #[serde(default)]
    pub responder: String,
    /// May be detached from service.
    #[serde(default)]
    pub redundant: bool,
    /// `host:port` the host depends on (reachability is tested).
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// Application log paths to include in the Logs step.
    #[serde(default)]
    pub logs: Vec<String>,
    /// A directory of this host's fleet's snapshots (one JSON file per host, as
    /// `contrib/ansible/triage-snapshot.yml` leaves them): the TUI's Scope step shows their
    /// ranking and what the sick hosts share, as `triage fleet DIR` does. Empty: none.
    #[serde(default)]
    pub fleet_dir: String,
}

/// Result of one reachability test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reach {
    /// `host:port` as listed.
    pub target: String,
    /// Connected within the timeout.
    pub ok: bool,
    /// Time to connect or fail.
    pub latency_ms: u64,
    /// Why it failed.
    pub error: Option<String>,
}

/// A loaded inventory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    /// Entries in file order; the first match wins.
    pub hosts: Vec<HostEntry>,
    /// Where it came from (a path, or `builtin:inventory.toml`).
    pub origin: String,
}

const HOST_KEYS: &[&str] = &[
    "pattern",
    "project",
    "role",
    "owner",
    "contacts",
    "responder",
    "redundant",
    "dependencies",
    "logs",
    "fleet_dir",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    host: Vec<RawHost>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHost {
    pattern: Spanned<String>,
    #[serde(default)]
    project: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    contacts: Vec<String>,
    #[serde(default)]
    responder: String,
    #[serde(default)]
    redundant: bool,
    #[serde(default)]
    dependencies: Vec<Spanned<String>>,
    #[serde(default)]
    logs: Vec<String>,
    #[serde(default)]
    fleet_dir: String,
}

fn match_options() -> glob::MatchOptions {
    glob::MatchOptions {
        case_sensitive: false,
        require_literal_separator: false,
        require_literal_leading_dot: false,
    }
}

/// Split `host:port` (`[v6]:port` too); `None` when it is not that shape.
pub(crate) fn split_target(target: &str) -> Option<(&str, u16)> {
    let (host, port) = target.rsplit_once(':')?;
    let port: u16 = port.parse().ok().filter(|p| *p != 0)?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    (!host.is_empty() && !host.contains(char::is_whitespace)).then_some((host, port))
}

/// Parse and validate an inventory; `file` names it in diagnostics.
pub(crate) fn parse(text: &str, file: &str) -> Result<Inventory, Vec<Diagnostic>> {
    let mut sink = Sink::new(file, text);
    let Some(doc) = sink.parse_toml() else {
        return Err(sink.out);
    };
    sink.unknown_keys(doc.get_ref(), &["host"], "");
    for (key, value) in doc.get_ref().iter() {
        if let ("host", DeValue::Array(hosts)) = (key.get_ref().as_ref(), value.get_ref()) {
            for h in hosts.iter() {
                if let DeValue::Table(t) = h.get_ref() {
                    sink.unknown_keys(t, HOST_KEYS, " in [[host]]");
                }
            }
        }
    }
    if !sink.out.is_empty() {
        return Err(sink.out);
    }
    let raw: RawFile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            sink.toml_error(&e, false);
            return Err(sink.out);
        }
    };
    let mut hosts = Vec::new();
    for h in raw.host {
        let pat = h.pattern.get_ref();
        if pat.trim().is_empty() {
            sink.at(h.pattern.span().start, "pattern is empty");
        } else if let Err(e) = glob::Pattern::new(pat) {
            sink.at(h.pattern.span().start, format!("pattern {pat:?}: {e}"));
        }
        for d in &h.dependencies {
            if split_target(d.get_ref()).is_none() {
                sink.at(
                    d.span().start,
                    format!("dependency {:?} is not host:port", d.get_ref()),
                );
            }
        }
        hosts.push(HostEntry {
            pattern: pat.clone(),
            project: h.project,
            role: h.role,
            owner: h.owner,
            contacts: h.contacts,
            responder: h.responder,
            redundant: h.redundant,
            dependencies: h.dependencies.into_iter().map(|d| d.into_inner()).collect(),
            logs: h.logs,
            fleet_dir: h.fleet_dir,
        });
    }
    if sink.out.is_empty() {
        Ok(Inventory {
            hosts,
            origin: file.to_string(),
        })
    } else {
        Err(sink.out)
    }
}

/// The problems in an inventory file (empty when it is valid).
pub(crate) fn check_text(text: &str, file: &str) -> Vec<Diagnostic> {
    parse(text, file).err().unwrap_or_default()
}

impl Inventory {
    /// The first entry whose pattern matches `hostname` or its short form (before the
    /// first dot), ignoring case.
    pub fn lookup(&self, hostname: &str) -> Option<&HostEntry> {
        let full = hostname.trim();
        let short = full.split('.').next().unwrap_or(full);
        let opts = match_options();
        self.hosts.iter().find(|h| {
            glob::Pattern::new(&h.pattern)
                .is_ok_and(|p| p.matches_with(full, opts) || p.matches_with(short, opts))
        })
    }
}

/// Which inventory file [`load`] reads: `$TRIAGE_INVENTORY`, else the first existing
/// candidate; `None` means the embedded example.
pub(crate) fn inventory_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TRIAGE_INVENTORY").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let state = crate::state::state_dir().ok();
    [
        crate::runbook::load::explicit_dir().map(|d| d.join("inventory.toml")),
        state.map(|d| d.join("runbooks/inventory.toml")),
        Some(PathBuf::from("/etc/triage/runbooks/inventory.toml")),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.exists())
}

/// Load the inventory (see the module doc for which file). Problems come back as
/// warnings (`FILE:LINE: message`) and no inventory.
pub fn load() -> (Option<Inventory>, Vec<String>) {
    match inventory_path() {
        Some(p) => load_path(&p),
        None => match crate::runbook::load::builtin_inventory() {
            Some(text) => from_result(parse(text, "builtin:inventory.toml")),
            None => (None, Vec::new()),
        },
    }
}

/// Load the inventory at `path`.
pub(crate) fn load_path(path: &Path) -> (Option<Inventory>, Vec<String>) {
    let name = path.display().to_string();
    match read_text(path) {
        Ok(text) => from_result(parse(&text, &name)),
        Err(e) => (
            None,
            vec![format!("{name}: {e}; running without an inventory")],
        ),
    }
}

fn from_result(r: Result<Inventory, Vec<Diagnostic>>) -> (Option<Inventory>, Vec<String>) {
    match r {
        Ok(inv) => (Some(inv), Vec::new()),
        Err(diags) => {
            let mut w: Vec<String> = diags.iter().map(ToString::to_string).collect();
            w.push("inventory not used: fix the lines above".to_string());
            (None, w)
        }
    }
}

fn probe(target: &str, deadline: Instant) -> Result<(), String> {
    let Some((host, port)) = split_target(target) else {
        return Err("not host:port".to_string());
    };
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("{host} has no address"));
    }
    let mut last = String::new();
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err("timed out".to_string());
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                last = format!("{addr}: timed out")
            }
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(last)
}

/// Open one TCP connection to each of `targets` (`host:port`), in parallel, each within
/// `timeout` including name resolution. Results are in `targets` order; a target whose
/// resolution is still stuck at the deadline is reported as timed out (its thread is left
/// to finish on its own).
pub fn check_reachability(targets: &[String], timeout: Duration) -> Vec<Reach> {
    let start = Instant::now();
    let deadline = crate::deadline::add_saturating(start, timeout);
    let (tx, rx) = mpsc::channel::<(usize, Result<(), String>, Duration)>();
    for (i, t) in targets.iter().enumerate() {
        let thread_tx = tx.clone();
        let t = t.clone();
        let spawned = std::thread::Builder::new()
            .name("triage-reach".into())
            .spawn(move || {
                let began = Instant::now();
                let r = probe(&t, deadline);
                let _ = thread_tx.send((i, r, began.elapsed()));
            });
        if let Err(e) = spawned {
            let _ = tx.send((
                i,
                Err(format!("could not start a thread: {e}")),
                Duration::ZERO,
            ));
        }
    }
    drop(tx);
    let mut results: Vec<Option<(Result<(), String>, Duration)>> = vec![None; targets.len()];
    let grace = Duration::from_millis(50);
    while results.iter().any(Option::is_none) {
        let left = (deadline + grace).saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((i, r, took)) => {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some((r, took));
                }
            }
            Err(_) => break,
        }
    }
    targets
        .iter()
        .zip(results)
        .map(|(t, r)| {
            let (r, took) = r.unwrap_or_else(|| {
                (
                    Err(format!(
                        "no answer within {} ms (name resolution stuck?)",
                        timeout.as_millis()
                    )),
                    start.elapsed(),
                )
            });
            Reach {
                target: t.clone(),
                ok: r.is_ok(),
                latency_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
                error: r.err(),
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "inventory_tests.rs"]
mod tests;
