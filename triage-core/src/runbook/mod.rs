//! Runbooks (`runbooks/*.toml`): checks and guarded fixes matched to findings.
//!
//! Where they come from ([`load`]): the repository's `runbooks/*.toml`, embedded in the
//! binary, then `/etc/triage/runbooks/`, `$TRIAGE_HOME/runbooks/` and `./runbooks/`, each
//! overriding the earlier ones by `id`. [`validate`] checks a file and reports
//! `FILE:LINE: message`; [`vars`] substitutes a finding's values, shell-quoted; [`exec`]
//! runs a command with a timeout and records it in the incident journal; [`inventory`]
//! looks the host up in `runbooks/inventory.toml` and tests its dependencies.

pub mod exec;
pub mod inventory;
pub mod load;
pub mod validate;
pub mod vars;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use exec::{record, run, CommandResult};
pub use load::{load_dir, load_library};
pub use validate::{check_all, check_dir, Diagnostic, KNOWN_FINDING_IDS, KNOWN_VARIABLES};
pub use vars::{render_command, render_step};

use crate::snapshot::Finding;

/// One runbook.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Runbook {
    /// Stable id.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// Finding ids that select it.
    #[serde(default)]
    pub triggers: Vec<String>,
    /// Inventory roles it applies to (empty: all).
    #[serde(default)]
    pub applies_to: Vec<String>,
    /// Variables the runbook declares, with their default values (`[vars]`); a finding's
    /// values and `--var` override them. An empty default must be given at run time.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// The steps, in order.
    #[serde(default, rename = "step")]
    pub steps: Vec<Step>,
    /// Where it was loaded from (`builtin:oom.toml`, `/etc/triage/runbooks/x.toml`).
    #[serde(skip)]
    pub origin: String,
}

/// One runbook step: a read-only check or a fix.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Step {
    /// What it does.
    pub title: String,
    /// Why, and how to read the output.
    #[serde(default)]
    pub explain: String,
    /// A read-only command: may run without asking.
    #[serde(default)]
    pub check: Option<String>,
    /// A command that changes the system: shown in full, needs typed confirmation.
    #[serde(default)]
    pub fix: Option<String>,
    /// How to undo the fix.
    #[serde(default)]
    pub rollback: Option<String>,
    /// What healthy check output looks like.
    #[serde(default)]
    pub expect: Option<String>,
    /// Seconds before the command is killed.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
}

impl Step {
    /// True for a fix step (changes the system).
    pub fn is_fix(&self) -> bool {
        self.fix.is_some()
    }

    /// The command template, check or fix.
    pub fn command(&self) -> Option<&str> {
        self.check.as_deref().or(self.fix.as_deref())
    }

    /// `"check"` or `"fix"`, as recorded in the journal.
    pub fn mode(&self) -> &'static str {
        if self.is_fix() {
            "fix"
        } else {
            "check"
        }
    }

    /// The timeout to run it with: `timeout_seconds`, else [`DEFAULT_CHECK_TIMEOUT`] for a
    /// check and [`DEFAULT_FIX_TIMEOUT`] for a fix.
    pub fn timeout(&self) -> std::time::Duration {
        match self.timeout_seconds {
            Some(s) => std::time::Duration::from_secs(s),
            None if self.is_fix() => DEFAULT_FIX_TIMEOUT,
            None => DEFAULT_CHECK_TIMEOUT,
        }
    }
}

/// Timeout of a check step that does not set `timeout_seconds`.
pub(crate) const DEFAULT_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// Timeout of a fix step that does not set `timeout_seconds`.
pub(crate) const DEFAULT_FIX_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Every runbook from every source, plus what could not be loaded.
#[derive(Debug, Clone, Default)]
pub struct Library {
    /// Runbooks by id, later sources overriding earlier ones.
    pub runbooks: Vec<Runbook>,
    /// `FILE:LINE: message` for each file that could not be loaded.
    pub errors: Vec<String>,
}

impl Library {
    /// A runbook by id.
    pub fn get(&self, id: &str) -> Option<&Runbook> {
        self.runbooks.iter().find(|r| r.id == id)
    }

    /// Runbooks triggered by `findings` (and applying to `role` when given), each with the
    /// finding that triggered it, in findings order.
    pub fn matching<'a>(
        &'a self,
        findings: &'a [Finding],
        role: Option<&str>,
    ) -> Vec<(&'a Runbook, &'a Finding)> {
        let mut out: Vec<(&Runbook, &Finding)> = Vec::new();
        for f in findings {
            for rb in &self.runbooks {
                let role_ok = rb.applies_to.is_empty()
                    || role.is_some_and(|r| rb.applies_to.iter().any(|a| a == r));
                if role_ok && rb.triggers.contains(&f.id) && !out.iter().any(|(r, _)| r.id == rb.id)
                {
                    out.push((rb, f));
                }
            }
        }
        out
    }
}
