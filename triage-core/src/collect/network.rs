//! `network`: listening sockets and connections with their owning processes.
//!
//! Placeholder until the network collector lands: the section is registered so the
//! snapshot shape does not change when it does.

use super::Ctx;
use crate::error::{Error, Result};
use crate::snapshot::{Connections, Listener};

/// The network section: listeners and connection counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Network {
    /// Listening sockets.
    pub listeners: Vec<Listener>,
    /// Connection counts.
    pub connections: Connections,
}

/// Collect listeners and connections.
pub fn collect(_ctx: &Ctx) -> Result<Network> {
    Err(Error::Unavailable(
        "listeners and connections are not collected by this build yet".into(),
    ))
}
