//! What the Fix step offers: the steps of the runbooks matched to the current findings
//! (and the host's role), else read-only checks suggested per finding id, else a general
//! set (`dmesg`, `df`, `ss`, `uptime`).

use std::time::Duration;

use crate::tui::ctx::Ctx;

/// One runnable item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Runbook id, or `suggested`.
    pub runbook: String,
    /// What it is for.
    pub title: String,
    /// The command.
    pub command: String,
    /// Changes the system (needs typed confirmation).
    pub fix: bool,
    /// Its timeout.
    pub timeout: Duration,
    /// Why it cannot run (a variable with no value); `None` when runnable.
    pub blocked: Option<String>,
}

/// Read-only checks per finding id, while no runbook matches.
fn suggested(finding: &str) -> &'static [&'static str] {
    match finding {
        "oom_kill" | "memory_pressure" => &[
            "dmesg -T | grep -i -B2 -A8 'out of memory' | tail -40",
            "free -m",
            "ps -eo pid,rss,comm --sort=-rss | head -15",
        ],
        "disk_almost_full" | "inodes_almost_full" => &["df -h", "df -i"],
        "load_high" | "cpu_saturated" => &[
            "uptime",
            "ps -eo pid,stat,pcpu,rss,comm --sort=-pcpu | head -15",
        ],
        "hung_task" | "io_error" | "fs_error" | "soft_lockup" => &["dmesg -T | tail -50"],
        "listener_gone" | "syn_flood" | "conntrack_full" => &["ss -tlnp", "ss -s"],
        "service_failed" => &["systemctl --failed --no-pager"],
        _ => &[],
    }
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
            for c in suggested(&f.id) {
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
