//! [`Tail`]: the last N records of a stream, already rendered (JSON or text), kept in a
//! ring. The ring holds at most [`Tail::BUDGET`] bytes in memory; past that its oldest
//! records go to an unnamed temporary file (deleted when closed), so `-n 100000000` over
//! a 2 GB log needs disk for the output, not memory.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

/// The last `keep` records pushed, in order.
#[derive(Debug)]
pub struct Tail {
    keep: usize,
    budget: usize,
    ring: VecDeque<Box<[u8]>>,
    ring_bytes: usize,
    spill: Option<BufWriter<File>>,
    /// Records written to the spill file.
    spilled: u64,
    /// Of those, how many (the first ones) fell out of the last `keep`.
    skip: u64,
}

impl Tail {
    /// In-memory bytes before records spill to disk.
    pub const BUDGET: usize = 48 << 20;

    /// Keep the last `keep` records.
    pub fn new(keep: usize) -> Self {
        Self::with_budget(keep, Self::BUDGET)
    }

    /// [`Tail::new`] spilling past `budget` bytes (tests use a small one).
    pub fn with_budget(keep: usize, budget: usize) -> Self {
        Tail {
            keep,
            budget,
            ring: VecDeque::new(),
            ring_bytes: 0,
            spill: None,
            spilled: 0,
            skip: 0,
        }
    }

    /// Records kept now.
    pub fn len(&self) -> usize {
        (self.spilled - self.skip) as usize + self.ring.len()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Add one record; the oldest falls out when `keep` are held.
    pub fn push(&mut self, record: &[u8]) -> std::io::Result<()> {
        if self.keep == 0 {
            return Ok(());
        }
        if self.len() == self.keep {
            if self.spilled > self.skip {
                self.skip += 1;
            } else if let Some(old) = self.ring.pop_front() {
                self.ring_bytes -= old.len();
            }
        }
        self.ring_bytes += record.len();
        self.ring.push_back(record.into());
        while self.ring_bytes > self.budget && self.ring.len() > 1 {
            let Some(old) = self.ring.pop_front() else {
                break;
            };
            self.ring_bytes -= old.len();
            let spill = match &mut self.spill {
                Some(s) => s,
                None => self
                    .spill
                    .insert(BufWriter::with_capacity(1 << 20, tempfile::tempfile()?)),
            };
            let len = u32::try_from(old.len()).map_err(std::io::Error::other)?;
            spill.write_all(&len.to_le_bytes())?;
            spill.write_all(&old)?;
            self.spilled += 1;
        }
        Ok(())
    }

    /// Hand every kept record to `out`, oldest first.
    pub fn drain(self, mut out: impl FnMut(&[u8]) -> std::io::Result<()>) -> std::io::Result<()> {
        if let Some(spill) = self.spill {
            let mut file = spill.into_inner().map_err(|e| e.into_error())?;
            file.seek(SeekFrom::Start(0))?;
            let mut r = BufReader::with_capacity(1 << 20, file);
            let mut buf = Vec::new();
            for i in 0..self.spilled {
                let mut len = [0u8; 4];
                r.read_exact(&mut len)?;
                let len = u32::from_le_bytes(len) as usize;
                if i < self.skip {
                    r.seek_relative(len as i64)?;
                    continue;
                }
                buf.resize(len, 0);
                r.read_exact(&mut buf)?;
                out(&buf)?;
            }
        }
        for rec in &self.ring {
            out(rec)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(t: Tail) -> Vec<String> {
        let mut v = Vec::new();
        t.drain(|r| {
            v.push(String::from_utf8(r.to_vec()).unwrap());
            Ok(())
        })
        .unwrap();
        v
    }

    #[test]
    fn keeps_the_last_n_in_memory_and_through_the_spill_file() {
        for budget in [1 << 20, 10] {
            let mut t = Tail::with_budget(3, budget);
            for i in 0..10 {
                t.push(format!("record {i}").as_bytes()).unwrap();
            }
            assert_eq!(t.len(), 3);
            assert_eq!(collect(t), ["record 7", "record 8", "record 9"], "{budget}");
        }
        let mut t = Tail::with_budget(100, 20);
        for i in 0..50 {
            t.push(format!("r{i}").as_bytes()).unwrap();
        }
        let got = collect(t);
        assert_eq!(got.len(), 50);
        assert_eq!(got[0], "r0");
        assert_eq!(got[49], "r49");
        let mut none = Tail::new(0);
        none.push(b"x").unwrap();
        assert!(none.is_empty());
    }
}
