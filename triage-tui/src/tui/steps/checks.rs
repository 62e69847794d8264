//! What the Fix step offers: the steps of the runbooks matched to the current findings
//! (and the host's role), else the read-only checks the findings catalogue suggests per finding id, else a general
//! set (`dmesg`, `df`, `ss`, `uptime`).

use std::time::Duration;

use triage_core::findings::catalogue;

use crate::tui::ctx::Ctx;

/// One runnable item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Runbook id, or `suggested`.
    pub runbook: String,
    /// What it is for.
    pub title: String,
    pub command: String,
    /// Changes the system (needs typed confirmation).
    pub fix: bool,
    pub timeout: Duration,
    /// Why it cannot run (a variable with no value); `None` when runnable.
    pub blocked: Option<String>,
}

/// What to offer: matched runbook steps, else suggested checks, else a general set.
pub fn items(ctx: &Ctx) -> Vec<Item> {
    let findings = ctx
        .snap
        .as_ref()
        .map(|s| s.findings.as_slice())
        .unwrap_or(&[]);
    let role = ctx.inventory.as_ref().map(|e| e.role.as_str());
    let mut out = Vec::new();
    let overrides = std::collections::BTreeMap::new();
    for (rb, finding) in ctx.runbooks.matching(findings, role) {
        for st in &rb.steps {
            if let Some(template) = st.command() {
                // Variables from the finding, shell-quoted: a mount point with `;` in it
                // stays one word. A step with a variable that has no value cannot run.
                let (command, blocked) = match triage_core::runbook::render_step(
                    rb,
                    template,
                    Some(finding),
                    &overrides,
                ) {
                    Ok(c) => (c, None),
                    Err(e) => (template.to_string(), Some(e.to_string())),
                };
                out.push(Item {
                    runbook: rb.id.clone(),
                    title: st.title.clone(),
                    command,
                    fix: st.is_fix(),
                    timeout: st.timeout(),
                    blocked,
                });
            }
        }
    }
    if out.is_empty() {
        let mut cmds: Vec<(&str, String)> = Vec::new();
        for f in findings {
            let suggested = catalogue::get(&f.id).map_or(&[][..], |e| e.checks);
            for c in suggested {
                if !cmds.iter().any(|(x, _)| x == c) {
                    cmds.push((c, f.title.clone()));
                }
            }
        }
        for c in ["dmesg -T | tail -20", "df -h", "ss -tlnp", "uptime"] {
            if !cmds.iter().any(|(x, _)| *x == c) {
                cmds.push((c, "general check".into()));
            }
        }
        out = cmds
            .into_iter()
            .map(|(c, why)| Item {
                runbook: "suggested".into(),
                title: why,
                command: c.into(),
                fix: false,
                timeout: Duration::from_secs(10),
                blocked: None,
            })
            .collect();
    }
    out
}
