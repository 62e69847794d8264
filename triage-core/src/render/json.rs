//! JSON output: the snapshot (`triage snapshot --json`, field for field the contract in
//! `DESIGN.md`) and every other `--json` document the CLI prints.

use std::io::Write;

use serde::Serialize;

/// Write `value` as pretty JSON followed by a newline. A serialisation error comes back as
/// an `io::Error`, so callers handle one error type for the whole document.
pub fn write<T: Serialize + ?Sized>(value: &T, out: &mut impl Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}
