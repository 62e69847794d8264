//! The snapshot as JSON (`triage snapshot --json`), field for field the contract in
//! `DESIGN.md`.

use std::io::Write;

use crate::snapshot::Snapshot;

/// Write `snapshot` as pretty JSON followed by a newline.
pub fn write(snapshot: &Snapshot, out: &mut impl Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, snapshot).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}
