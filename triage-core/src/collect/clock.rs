//! `clock_unsynced`: whether the kernel considers the system clock synchronised, from
//! `adjtimex(2)` (read-only: `modes = 0`). NTP daemons (chronyd, ntpd, systemd-timesyncd)
//! clear `STA_UNSYNC` once they discipline the clock; `timedatectl` shows the same flag as
//! "System clock synchronized". Live host only: a tree has no kernel to ask.
//!
//! Severity is info: an unsynchronised clock breaks TLS, Kerberos and log correlation only
//! once it has drifted, which the flag alone does not tell, and containers and some VMs
//! never set it.

use crate::findings::COLLECTOR_IDS;
use crate::snapshot::{Finding, Severity};

/// What `adjtimex(2)` said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockState {
    /// The return value (`TIME_OK`, …, `TIME_ERROR` = 5).
    pub state: i32,
    /// The status bits (`STA_UNSYNC` = 0x40).
    pub status: i32,
    /// Maximum error, microseconds.
    pub max_error_us: i64,
}

/// Ask the running kernel (never blocks; no privileges needed for a read).
pub fn read() -> Option<ClockState> {
    // SAFETY: a zeroed timex with modes = 0 only reads; the pointer is valid for the call.
    let mut tx: libc::timex = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let rc = unsafe { libc::adjtimex(&mut tx) };
    (rc >= 0).then_some(ClockState {
        state: rc,
        status: tx.status,
        max_error_us: tx.maxerror as i64,
    })
}

/// The finding for `state`, when the clock is not synchronised.
pub fn finding(state: ClockState) -> Option<Finding> {
    let unsynced = state.state == libc::TIME_ERROR || state.status & libc::STA_UNSYNC != 0;
    if !unsynced {
        return None;
    }
    let mut f = Finding::new(
        COLLECTOR_IDS[0],
        Severity::Info,
        "system clock not synchronised (no NTP discipline)",
    );
    f.evidence = vec![
            format!(
                "adjtimex(2): state {}{}, status {:#x}{}, max error {} ms (timedatectl: System clock synchronized)",
                state.state,
                if state.state == libc::TIME_ERROR { " (TIME_ERROR)" } else { "" },
                state.status,
                if state.status & libc::STA_UNSYNC != 0 { " (STA_UNSYNC)" } else { "" },
                state.max_error_us / 1000
            ),
            "check the time daemon: chronyc tracking; or ntpq -p; or timedatectl timesync-status".into(),
        ];
    Some(f)
}

/// The `clock_unsynced` finding on the running host, if any.
pub fn probe() -> Option<Finding> {
    read().and_then(finding)
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
        assert!(finding(synced).is_none());
        let f = finding(ClockState {
            state: libc::TIME_ERROR,
            status: libc::STA_UNSYNC,
            max_error_us: 16_000_000,
        })
        .unwrap();
        assert_eq!(f.id, "clock_unsynced");
        assert!(f.evidence[0].contains("STA_UNSYNC"), "{:?}", f.evidence);
        assert!(read().is_some(), "adjtimex read works unprivileged");
    }
}
