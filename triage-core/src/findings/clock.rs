//! `clock_unsynced` from the clock state the pipeline read with `adjtimex(2)`
//! ([`crate::collect::clock`]). NTP daemons (chronyd, ntpd, systemd-timesyncd) clear
//! `STA_UNSYNC` once they discipline the clock; `timedatectl` shows the same flag as
//! "System clock synchronized".
//!
//! Severity is info: an unsynchronised clock breaks TLS, Kerberos and log correlation only
//! once it has drifted, which the flag alone does not tell, and containers and some VMs
//! never set it.

use super::Context;
use crate::facts::ClockState;
use crate::snapshot::{Finding, Severity, Snapshot};

/// `clock_unsynced`: the kernel says the clock is not disciplined.
pub fn clock_unsynced(s: &Snapshot, _: &Context) -> Option<Finding> {
    unsynced(s.facts.clock?)
}

fn unsynced(state: ClockState) -> Option<Finding> {
    let time_error = state.state == libc::TIME_ERROR;
    let flag = state.status & libc::STA_UNSYNC != 0;
    if !time_error && !flag {
        return None;
    }
    let mut f = Finding::new(
        "clock_unsynced",
        Severity::Info,
        "system clock not synchronised (no NTP discipline)",
    );
    f.evidence = vec![
        format!(
            "adjtimex(2): state {}{}, status {:#x}{}, max error {} ms (timedatectl: System clock synchronized)",
            state.state,
            if time_error { " (TIME_ERROR)" } else { "" },
            state.status,
            if flag { " (STA_UNSYNC)" } else { "" },
            state.max_error_us / 1000
        ),
        "check the time daemon: chronyc tracking; or ntpq -p; or timedatectl timesync-status"
            .into(),
    ];
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsync_flag_or_time_error_fires() {
        let synced = ClockState {
            state: 0,
            status: 0x2001,
            max_error_us: 1000,
        };
        assert!(unsynced(synced).is_none());
        let f = unsynced(ClockState {
            state: libc::TIME_ERROR,
            status: libc::STA_UNSYNC,
            max_error_us: 16_000_000,
        })
        .unwrap();
        assert_eq!(f.id, "clock_unsynced");
        assert!(f.evidence[0].contains("STA_UNSYNC"), "{:?}", f.evidence);
        assert!(
            crate::collect::clock::read().is_some(),
            "adjtimex read works unprivileged"
        );
    }
}
