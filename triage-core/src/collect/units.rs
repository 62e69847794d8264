//! `units`: the state of systemd units when the snapshot was taken, so a unit the logs
//! say failed can be told apart from one still failed: a sosreport's
//! `sos_commands/systemd/systemctl_list-units` (every loaded unit) and
//! `systemctl_list-units_--failed`; on a live host `systemctl list-units --all`.
//! Facts only ([`crate::facts::Units`]).

use std::time::Duration;

use super::changes::system::run_with_timeout;
use super::Ctx;
use crate::error::Result;
use crate::facts::{UnitState, Units};

/// Where a sosreport keeps the unit lists; a later list's row wins.
const OUTPUTS: &[&str] = &[
    "sos_commands/systemd/systemctl_list-units",
    "sos_commands/systemd/systemctl_list-units_--all",
    "sos_commands/systemd/systemctl_list-units_--failed",
];
const SYSTEMCTL_TIMEOUT: Duration = Duration::from_secs(1);

/// Collect unit states: none (quietly) without systemd or its saved output, which most
/// trees do not have.
pub fn collect(ctx: &Ctx) -> Result<Units> {
    if ctx.root.is_live() {
        if !ctx.root.exists("run/systemd/system") {
            return Ok(Units::default());
        }
        let text = run_with_timeout(
            "systemctl",
            &[
                "list-units",
                "--all",
                "--no-legend",
                "--plain",
                "--no-pager",
            ],
            SYSTEMCTL_TIMEOUT,
        )?;
        let source = "systemctl list-units --all";
        let mut states = parse_list_units(&text);
        for u in &mut states {
            u.source = source.into();
        }
        return Ok(Units {
            states,
            source: source.into(),
        });
    }
    let mut units = Units::default();
    let mut sources = Vec::new();
    for rel in OUTPUTS {
        let Ok(text) = ctx.root.read_string(rel) else {
            continue;
        };
        sources.push(*rel);
        for mut s in parse_list_units(&text) {
            s.source = rel.to_string();
            match units.states.iter_mut().find(|u| u.unit == s.unit) {
                Some(u) => *u = s,
                None => units.states.push(s),
            }
        }
    }
    units.source = sources.join(", ");
    Ok(units)
}

/// `systemctl list-units` rows (`UNIT LOAD ACTIVE SUB DESCRIPTION`, a `●`/`*` bullet on
/// failed ones); the header and the legend after the first blank line are skipped.
pub(crate) fn parse_list_units(text: &str) -> Vec<UnitState> {
    let mut out = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line
            .split_whitespace()
            .skip_while(|w| *w == "●" || *w == "*")
            .collect();
        if words.is_empty() {
            continue;
        }
        if words[0] == "UNIT" {
            continue;
        }
        // The legend ("LOAD   = Reflects…", "300 loaded units listed.") has no unit name.
        let [unit, load, active, sub, ..] = words[..] else {
            continue;
        };
        if !unit.contains('.')
            || !matches!(
                load,
                "loaded" | "not-found" | "masked" | "error" | "bad-setting"
            )
        {
            continue;
        }
        out.push(UnitState {
            unit: unit.to_string(),
            active: active.to_string(),
            sub: sub.to_string(),
            description: words.get(4..).map(|d| d.join(" ")).unwrap_or_default(),
            source: String::new(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// hotsos's vault sosreport (`tests/unit/fake_data_root/vault/sos_commands/systemd/
    /// systemctl_list-units_--failed`, Apache-2.0) and a row of its openstack one.
    #[test]
    fn failed_and_active_rows() {
        let failed =
            "  UNIT                       LOAD   ACTIVE SUB    DESCRIPTION                         
* openipmi.service           loaded failed failed LSB: OpenIPMI Driver init script    
* systemd-remount-fs.service loaded failed failed Remount Root and Kernel File Systems
* multipathd.socket          loaded failed failed multipathd control socket           

LOAD   = Reflects whether the unit definition was properly loaded.
ACTIVE = The high-level unit activation state, i.e. generalization of SUB.
SUB    = The low-level unit activation state, values depend on unit type.

3 loaded units listed.
";
        let u = parse_list_units(failed);
        assert_eq!(u.len(), 3);
        assert_eq!(u[0].unit, "openipmi.service");
        assert_eq!(u[0].active, "failed");
        assert_eq!(u[0].description, "LSB: OpenIPMI Driver init script");
        let u = parse_list_units("  ceph-osd@0.service                                                          loaded active running   Ceph object storage daemon osd.0                                              \n");
        assert_eq!(
            (u[0].active.as_str(), u[0].sub.as_str()),
            ("active", "running")
        );
        assert!(parse_list_units("0 loaded units listed.\n").is_empty());
    }
}
