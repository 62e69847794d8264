//! The kernel's clock state from `adjtimex(2)` (read-only: `modes = 0`), for the
//! `clock_unsynced` finding ([`crate::findings::catalogue`]). Live host only: a tree has
//! no kernel to ask.

pub use crate::facts::ClockState;

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
