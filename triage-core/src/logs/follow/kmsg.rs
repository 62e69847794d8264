//! [`KmsgFollower`]: kernel records written to `/dev/kmsg` after it was opened (the
//! backlog skipped), read without blocking.

use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;

use crate::logs::formats::{parse_line, ParseCtx, Parsed};
use crate::logs::LogEntry;
use crate::snapshot::{now, Time};

/// Kernel records written to `/dev/kmsg` after [`KmsgFollower::open`].
#[derive(Debug)]
pub struct KmsgFollower {
    file: File,
    ctx: ParseCtx,
}

impl KmsgFollower {
    /// Open `path` (`/dev/kmsg`) positioned after the last record.
    pub fn open(path: &Path, boot: Option<Time>) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY)
            .open(path)?;
        // SAFETY: lseek on a descriptor we own; SEEK_END on /dev/kmsg skips the backlog.
        unsafe { libc::lseek(file.as_raw_fd(), 0, libc::SEEK_END) };
        Ok(KmsgFollower {
            file,
            ctx: ParseCtx {
                source: "kernel".into(),
                reference: now(),
                boot_time: boot,
            },
        })
    }

    /// Records written since the last poll.
    pub fn poll(&mut self, out: &mut Vec<LogEntry>) {
        let mut buf = vec![0u8; 8193];
        loop {
            // SAFETY: `buf` is writable for its length and the descriptor is open.
            let n =
                unsafe { libc::read(self.file.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                match std::io::Error::last_os_error().raw_os_error() {
                    Some(libc::EPIPE) | Some(libc::EINTR) => continue,
                    _ => return,
                }
            }
            if n == 0 {
                return;
            }
            let text = String::from_utf8_lossy(&buf[..n as usize]);
            if let Some(first) = text.lines().next() {
                if let Parsed::Entry(e) = parse_line(first, &self.ctx) {
                    out.push(e);
                }
            }
        }
    }
}
