//! [`RevLines`]: the lines of a file from the last to the first, read in 64 KiB blocks
//! from the end with `pread(2)`, so the tail of a 1 GB log costs a few blocks. A line
//! longer than [`MAX_LINE`] is cut (its first bytes kept, re-read from its start) and
//! its full length recorded, without ever holding more than `MAX_LINE` bytes of it.

use std::fs::File;
use std::os::unix::fs::FileExt;

use super::{MAX_LINE, TRUNCATED_MARK};

const BLOCK: usize = 64 * 1024;

/// The lines of a file, last first, read in blocks from the end.
#[derive(Debug)]
pub struct RevLines {
    file: File,
    /// Bytes `[0, pos)` are not read yet.
    pos: u64,
    block: Vec<u8>,
    /// `block[..idx]` is not consumed yet.
    idx: usize,
    /// The end of the current line, as read so far (at most `MAX_LINE` bytes kept).
    tail: Vec<u8>,
    /// Its full length.
    tail_len: u64,
    done: bool,
    /// Lines cut at `MAX_LINE`, with their full length.
    pub cut: Vec<u64>,
}

impl RevLines {
    /// Read `file` backwards from byte `end` (its size when opened).
    pub fn new(file: File, end: u64) -> Self {
        RevLines {
            file,
            pos: end,
            block: vec![0; BLOCK],
            idx: 0,
            tail: Vec::new(),
            tail_len: 0,
            done: false,
            cut: Vec::new(),
        }
    }

    /// The previous line (without its newline), or `None` at the start of the file.
    pub fn next_line(&mut self) -> Option<std::io::Result<Vec<u8>>> {
        loop {
            if self.idx == 0 {
                if self.pos == 0 {
                    if self.done {
                        return None;
                    }
                    self.done = true;
                    if self.tail_len == 0 {
                        return None;
                    }
                    return Some(self.finish(Vec::new(), 0));
                }
                let n = (self.pos as usize).min(BLOCK);
                self.pos -= n as u64;
                if let Err(e) = self.file.read_exact_at(&mut self.block[..n], self.pos) {
                    self.done = true;
                    self.pos = 0;
                    return Some(Err(e));
                }
                self.idx = n;
            }
            let hay = &self.block[..self.idx];
            match hay.iter().rposition(|b| *b == b'\n') {
                Some(j) => {
                    let seg = hay[j + 1..].to_vec();
                    let start = self.pos + j as u64 + 1;
                    self.idx = j;
                    if seg.is_empty() && self.tail_len == 0 {
                        continue;
                    }
                    return Some(self.finish(seg, start));
                }
                None => {
                    let n = self.idx;
                    self.tail_len += n as u64;
                    if self.tail.len() + n <= MAX_LINE {
                        let mut t = self.block[..n].to_vec();
                        t.extend_from_slice(&self.tail);
                        self.tail = t;
                    }
                    self.idx = 0;
                }
            }
        }
    }

    fn finish(&mut self, mut seg: Vec<u8>, start: u64) -> std::io::Result<Vec<u8>> {
        let total = seg.len() as u64 + self.tail_len;
        let tail = std::mem::take(&mut self.tail);
        self.tail_len = 0;
        if total as usize > MAX_LINE {
            self.cut.push(total);
            let mut head = vec![0; MAX_LINE];
            self.file.read_exact_at(&mut head, start)?;
            head.extend_from_slice(TRUNCATED_MARK.as_bytes());
            return Ok(head);
        }
        seg.extend_from_slice(&tail);
        Ok(seg)
    }
}
