//! Where output goes: stdout (quiet on a closed pipe) or a file written atomically.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};

/// True when `err` is, somewhere in its chain, a broken pipe (`triage … | head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// True when stdout is a terminal.
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// Render with `render` into `path` atomically (mode 0600: a report holds command lines
/// and log lines), or to stdout. What is written
/// goes through [`triage_core::sanitize::for_output`] first: no control sequence from a
/// process name or log line reaches the terminal or the ticket, whatever the format.
pub fn emit(
    path: Option<&Path>,
    render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
) -> Result<()> {
    let mut buf = Vec::with_capacity(64 * 1024);
    render(&mut buf).context("rendering output")?;
    let buf = triage_core::sanitize::for_output(&buf);
    match path {
        Some(p) => triage_core::fsutil::write_atomic(p, &buf, 0o600)
            .with_context(|| format!("writing {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&buf)?;
            out.flush()?;
            Ok(())
        }
    }
}
