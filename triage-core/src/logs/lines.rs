//! [`Lines`]: the lines of any reader, first to last, through one reused 1 MiB buffer.
//! A line is handed out as a slice of that buffer (no copy, no allocation); a line longer
//! than [`MAX_LINE`] is cut to its first `MAX_LINE` bytes and the rest skipped without
//! being held, so a 2 GB file without a newline costs one buffer of memory.

use std::io::Read;

use super::MAX_LINE;

/// Bytes read per `read(2)`; also the most a line can occupy before it is cut.
const BUFFER: usize = 1 << 20;

/// The lines of a reader, read forward.
#[derive(Debug)]
pub struct Lines<R> {
    inner: R,
    buf: Vec<u8>,
    /// `buf[start..end]` is read but not handed out yet.
    start: usize,
    end: usize,
    eof: bool,
    /// Bytes consumed so far (the offset of the next line from where reading began).
    pub offset: u64,
}

/// One line as handed out by [`Lines::next_line`].
#[derive(Debug)]
pub struct Line<'a> {
    /// The line without its newline, at most [`MAX_LINE`] bytes.
    pub bytes: &'a [u8],
    /// Its full length when it was cut.
    pub cut: Option<u64>,
}

impl<R: Read> Lines<R> {
    /// Lines of `inner` from its current position.
    pub fn new(inner: R) -> Self {
        Lines {
            inner,
            buf: vec![0; BUFFER.max(MAX_LINE + 1)],
            start: 0,
            end: 0,
            eof: false,
            offset: 0,
        }
    }

    /// The reader back (what was read ahead and not handed out is lost).
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Read more after `end`, moving the unconsumed part to the front first when needed.
    /// `Ok(false)` at end of input.
    fn fill(&mut self) -> std::io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.end == self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The next line without its `\n` (a final line without one included), or `None` at
    /// the end.
    pub fn next_line(&mut self) -> Option<std::io::Result<Line<'_>>> {
        // Bytes after `start` already searched for a newline.
        let mut searched = 0;
        loop {
            let from = self.start + searched;
            if let Some(i) = memchr::memchr(b'\n', &self.buf[from..self.end]) {
                let (s, nl) = (self.start, from + i);
                self.start = nl + 1;
                self.offset += (nl - s) as u64 + 1;
                return Some(Ok(Line {
                    bytes: &self.buf[s..nl],
                    cut: None,
                }));
            }
            searched = self.end - self.start;
            if searched > MAX_LINE {
                return Some(self.skip_long_line());
            }
            match self.fill() {
                Ok(true) => {}
                Ok(false) => {
                    if self.start == self.end {
                        return None;
                    }
                    let (s, e) = (self.start, self.end);
                    self.offset += (e - s) as u64;
                    self.start = e;
                    return Some(Ok(Line {
                        bytes: &self.buf[s..e],
                        cut: None,
                    }));
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// The current line (`buf[start..end]`, no newline in it) is longer than `MAX_LINE`:
    /// keep its first `MAX_LINE` bytes at the front of the buffer, read and drop the rest
    /// up to and including its newline.
    fn skip_long_line(&mut self) -> std::io::Result<Line<'_>> {
        self.buf.copy_within(self.start..self.start + MAX_LINE, 0);
        let mut total = (self.end - self.start) as u64;
        loop {
            let n = loop {
                match self.inner.read(&mut self.buf[MAX_LINE..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.start = MAX_LINE;
                        self.end = MAX_LINE;
                        return Err(e);
                    }
                }
            };
            if n == 0 {
                self.eof = true;
                self.start = MAX_LINE;
                self.end = MAX_LINE;
                self.offset += total;
                return Ok(Line {
                    bytes: &self.buf[..MAX_LINE],
                    cut: Some(total),
                });
            }
            let chunk = MAX_LINE..MAX_LINE + n;
            if let Some(i) = memchr::memchr(b'\n', &self.buf[chunk.clone()]) {
                total += i as u64;
                self.start = MAX_LINE + i + 1;
                self.end = chunk.end;
                self.offset += total + 1;
                return Ok(Line {
                    bytes: &self.buf[..MAX_LINE],
                    cut: Some(total),
                });
            }
            total += n as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8]) -> Vec<(Vec<u8>, Option<u64>)> {
        let mut l = Lines::new(input);
        let mut out = Vec::new();
        while let Some(r) = l.next_line() {
            let line = r.unwrap();
            out.push((line.bytes.to_vec(), line.cut));
        }
        assert_eq!(l.offset, input.len() as u64, "every byte accounted for");
        out
    }

    #[test]
    fn splits_lines_and_keeps_a_last_line_without_newline() {
        let got = all(b"a\n\nbc\nd");
        let lines: Vec<_> = got.iter().map(|g| g.0.as_slice()).collect();
        assert_eq!(lines, [&b"a"[..], b"", b"bc", b"d"]);
        assert!(all(b"").is_empty());
    }

    #[test]
    fn cuts_long_lines_and_goes_on() {
        let mut input = vec![b'x'; 3 * BUFFER + 17];
        input.push(b'\n');
        input.extend_from_slice(b"next\n");
        input.extend(std::iter::repeat_n(b'y', MAX_LINE + 1));
        let got = all(&input);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].0.len(), MAX_LINE);
        assert_eq!(got[0].1, Some(3 * BUFFER as u64 + 17));
        assert_eq!(got[1], (b"next".to_vec(), None));
        assert_eq!(got[2].0, vec![b'y'; MAX_LINE]);
        assert_eq!(got[2].1, Some(MAX_LINE as u64 + 1));
    }

    #[test]
    fn lines_across_buffer_refills() {
        let line = "z".repeat(1000);
        let input: String = (0..3000).map(|_| format!("{line}\n")).collect();
        let got = all(input.as_bytes());
        assert_eq!(got.len(), 3000);
        assert!(got.iter().all(|g| g.0.len() == 1000 && g.1.is_none()));
    }
}
