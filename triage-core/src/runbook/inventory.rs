//! The server inventory (`runbooks/inventory.toml`): host name patterns → project, role,
//! owner, contacts, dependencies, and whether the host is redundant.

use serde::{Deserialize, Serialize};

/// One inventory entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
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
    /// May be detached from service.
    #[serde(default)]
    pub redundant: bool,
    /// `host:port` the host depends on (reachability is tested).
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// Application log paths to include in the Logs step.
    #[serde(default)]
    pub logs: Vec<String>,
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
