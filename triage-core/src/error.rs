//! The library's error type. Every variant that comes from a file carries its path, and
//! the line where there is one, so a user can go and look.

use std::path::PathBuf;
use std::time::Duration;

/// Result alias used throughout `triage-core`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `triage-core`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error while opening or reading `path`.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file that could not be read or written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The content of `path` could not be understood.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Parse {
        /// The file that held the bad input.
        path: PathBuf,
        /// 1-based line number, where the format has lines.
        line: Option<usize>,
        /// What was wrong, in words a user can act on.
        message: String,
    },
    /// `path` is a FIFO, socket or device where a regular file was expected; reading it
    /// could block forever, so it is refused.
    #[error("{}: is a {kind}, not a regular file; not read", path.display())]
    NotRegular {
        /// The offending path.
        path: PathBuf,
        /// What it is instead ("FIFO", "socket", …).
        kind: &'static str,
    },
    /// Under `--root`, a symlink in the tree leads outside it: not followed, so no file of
    /// the analyst's own machine ends up in the report.
    #[error(
        "{}: symlink to {} leads outside the --root tree; not followed",
        link.display(),
        target.display()
    )]
    OutsideRoot {
        /// The symlink (or path) that was refused.
        link: PathBuf,
        /// Where it points.
        target: PathBuf,
    },
    /// `path` is larger than the limit for a single read.
    #[error("{}: larger than {limit} bytes; not read whole", path.display())]
    TooLarge {
        /// The offending path.
        path: PathBuf,
        /// The limit that was exceeded.
        limit: u64,
    },
    /// A collector or command did not finish within its deadline.
    #[error("{what}: no answer within {} ms (abandoned)", after.as_millis())]
    Timeout {
        /// What timed out.
        what: String,
        /// The deadline that passed.
        after: Duration,
    },
    /// The data is not available on this host (an old kernel, not root, a missing tool).
    #[error("{0}")]
    Unavailable(String),
    /// Invalid input given by the user (a flag value, a runbook field, …).
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A parse error in `path`, at `line` when known.
    pub fn parse(
        path: impl Into<PathBuf>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        Error::Parse {
            path: path.into(),
            line,
            message: message.into(),
        }
    }

    /// True when the underlying cause is a permission error (EACCES/EPERM).
    pub fn is_permission_denied(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied)
    }

    /// True when the underlying cause is a missing file (ENOENT, ESRCH).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Io { source, .. }
            if source.kind() == std::io::ErrorKind::NotFound || source.raw_os_error() == Some(libc::ESRCH))
    }
}
