//! [`Tail`]: the last N records of a stream, already rendered (JSON or text), kept in a
//! ring. The ring holds at most [`Tail::BUDGET`] bytes in memory; past that its oldest
//! records go to an unnamed temporary file (deleted when closed), so `-n 100000000` over
//! a 2 GB log needs disk for the output, not memory.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};

use super::LogEntry;

/// Bytes per in-memory block of records.
const CHUNK: usize = 1 << 20;

/// Records laid end to end, each as a little-endian `u32` length then its bytes: the
/// same layout in memory and in the spill file, so a block spills with one `write(2)`.
#[derive(Debug)]
struct Chunk {
    data: Vec<u8>,
    /// Offset of the oldest record still kept.
    start: usize,
    /// Records from `start` on.
    records: u64,
}

impl Chunk {
    fn new(capacity: usize) -> Self {
        Chunk {
            data: Vec::with_capacity(capacity),
            start: 0,
            records: 0,
        }
    }

    /// Bytes held from `start` on.
    fn held(&self) -> usize {
        self.data.len() - self.start
    }

    /// The record at `at` and where the next one starts.
    fn record_at(&self, at: usize) -> (&[u8], usize) {
        let mut len = [0u8; 4];
        len.copy_from_slice(&self.data[at..at + 4]);
        let end = at + 4 + u32::from_le_bytes(len) as usize;
        (&self.data[at + 4..end], end)
    }
}

/// The last `keep` records pushed, in order.
#[derive(Debug)]
pub struct Tail {
    keep: usize,
    budget: usize,
    /// Bytes per block: [`CHUNK`], smaller for a small budget.
    chunk: usize,
    ring: VecDeque<Chunk>,
    ring_bytes: usize,
    ring_records: u64,
    spill: Option<File>,
    /// A block already spilled, kept to be filled again: a fresh 1 MiB block costs 256
    /// page faults.
    spare: Option<Chunk>,
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
            chunk: (budget / 4).clamp(16, CHUNK),
            ring: VecDeque::new(),
            ring_bytes: 0,
            ring_records: 0,
            spill: None,
            spare: None,
            spilled: 0,
            skip: 0,
        }
    }

    /// Records kept now.
    pub fn len(&self) -> usize {
        (self.spilled - self.skip + self.ring_records) as usize
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
        let len = u32::try_from(record.len()).map_err(std::io::Error::other)?;
        if self.len() == self.keep {
            self.drop_oldest();
        }
        let need = 4 + record.len();
        let fits = self
            .ring
            .back()
            .is_some_and(|c| c.data.len() + need <= c.data.capacity());
        if !fits {
            let chunk = match self.spare.take() {
                Some(mut c) if c.data.capacity() >= need => {
                    c.data.clear();
                    c.start = 0;
                    c.records = 0;
                    c
                }
                _ => Chunk::new(need.max(self.chunk)),
            };
            self.ring.push_back(chunk);
        }
        if let Some(c) = self.ring.back_mut() {
            c.data.extend_from_slice(&len.to_le_bytes());
            c.data.extend_from_slice(record);
            c.records += 1;
        }
        self.ring_bytes += need;
        self.ring_records += 1;
        while self.ring_bytes > self.budget && self.ring.len() > 1 {
            let Some(old) = self.ring.pop_front() else {
                break;
            };
            self.ring_bytes -= old.held();
            self.ring_records -= old.records;
            let spill = match &mut self.spill {
                Some(s) => s,
                None => self.spill.insert(tempfile::tempfile()?),
            };
            spill.write_all(&old.data[old.start..])?;
            self.spilled += old.records;
            self.spare = Some(old);
        }
        Ok(())
    }

    /// The oldest record falls out: counted as skipped when it is in the spill file.
    pub fn drop_oldest(&mut self) {
        if self.spilled > self.skip {
            self.skip += 1;
            return;
        }
        let Some(front) = self.ring.front_mut() else {
            return;
        };
        let (_, next) = front.record_at(front.start);
        self.ring_bytes -= next - front.start;
        self.ring_records -= 1;
        front.start = next;
        front.records -= 1;
        if front.records == 0 {
            self.ring.pop_front();
        }
    }

    /// Hand every kept record to `out`, oldest first.
    pub fn drain(self, mut out: impl FnMut(&[u8]) -> std::io::Result<()>) -> std::io::Result<()> {
        if let Some(mut file) = self.spill {
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
        for c in &self.ring {
            let mut at = c.start;
            while at < c.data.len() {
                let (rec, next) = c.record_at(at);
                out(rec)?;
                at = next;
            }
        }
        Ok(())
    }
}

/// The last `keep` entries of a stream, rendered only when they must be: the newest are
/// held as entries (up to [`Recent::BUDGET`] bytes) and rendered at the end, older ones are
/// rendered into a [`Tail`] as they leave that budget. With the default `-n 1000` over a
/// 5 million line window, 1,000 lines are redacted and rendered, not 5 million.
#[derive(Debug)]
pub struct Recent {
    keep: usize,
    ring: VecDeque<LogEntry>,
    ring_bytes: usize,
    budget: usize,
    tail: Tail,
}

impl Recent {
    /// Bytes of entries held before they are rendered.
    pub const BUDGET: usize = 16 << 20;

    /// Keep the last `keep` entries.
    pub fn new(keep: usize) -> Self {
        Self::with_budgets(keep, Self::BUDGET, Tail::BUDGET)
    }

    /// [`Recent::new`] with other byte budgets (tests).
    pub fn with_budgets(keep: usize, budget: usize, tail_budget: usize) -> Self {
        Recent {
            keep,
            ring: VecDeque::new(),
            ring_bytes: 0,
            budget,
            tail: Tail::with_budget(keep, tail_budget),
        }
    }

    /// Add the next entry; `render` writes one entry's record (called at most once per
    /// entry, oldest first).
    pub fn push(
        &mut self,
        e: LogEntry,
        render: &mut impl FnMut(LogEntry, &mut Vec<u8>) -> std::io::Result<()>,
        buf: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        if self.keep == 0 {
            return Ok(());
        }
        if self.tail.len() + self.ring.len() == self.keep {
            if self.tail.is_empty() {
                if let Some(old) = self.ring.pop_front() {
                    self.ring_bytes -= weight(&old);
                }
            } else {
                self.tail.drop_oldest();
            }
        }
        self.ring_bytes += weight(&e);
        self.ring.push_back(e);
        while self.ring_bytes > self.budget && self.ring.len() > 1 {
            let Some(old) = self.ring.pop_front() else {
                break;
            };
            self.ring_bytes -= weight(&old);
            buf.clear();
            render(old, buf)?;
            self.tail.push(buf)?;
        }
        Ok(())
    }

    /// Every kept record, oldest first, rendered, to `out`.
    pub fn drain(
        self,
        render: &mut impl FnMut(LogEntry, &mut Vec<u8>) -> std::io::Result<()>,
        mut out: impl FnMut(&[u8]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.tail.drain(&mut out)?;
        let mut buf = Vec::new();
        for e in self.ring {
            buf.clear();
            render(e, &mut buf)?;
            out(&buf)?;
        }
        Ok(())
    }
}

/// Memory an entry holds, roughly: its strings and the struct.
fn weight(e: &LogEntry) -> usize {
    std::mem::size_of::<LogEntry>()
        + e.message.capacity()
        + e.source.capacity()
        + e.program.as_ref().map_or(0, String::capacity)
        + e.host.as_ref().map_or(0, String::capacity)
        + e.level.as_ref().map_or(0, String::capacity)
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
            assert_eq!(t.spilled > 0, budget == 10, "{budget}");
            assert_eq!(collect(t), ["record 7", "record 8", "record 9"], "{budget}");
        }
        let mut t = Tail::with_budget(100, 20);
        for i in 0..50 {
            t.push(format!("r{i}").as_bytes()).unwrap();
        }
        assert!(t.spilled > 40 && t.skip == 0, "{t:?}");
        let got = collect(t);
        assert_eq!(got.len(), 50);
        assert_eq!(got[0], "r0");
        assert_eq!(got[49], "r49");
        let mut none = Tail::new(0);
        none.push(b"x").unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn recent_renders_only_what_it_keeps_in_order() {
        for (ring, tail) in [(1 << 20, 1 << 20), (1_000, 1 << 20), (1_000, 40), (0, 0)] {
            let mut rendered = 0;
            let mut render = |e: LogEntry, out: &mut Vec<u8>| {
                rendered += 1;
                out.extend_from_slice(e.message.as_bytes());
                Ok(())
            };
            let mut r = Recent::with_budgets(5, ring, tail);
            let mut buf = Vec::new();
            for i in 0..100 {
                let e = LogEntry::new("f", &format!("m{i}"));
                r.push(e, &mut render, &mut buf).unwrap();
            }
            let mut got = Vec::new();
            r.drain(&mut render, |rec| {
                got.push(String::from_utf8(rec.to_vec()).unwrap());
                Ok(())
            })
            .unwrap();
            assert_eq!(got, ["m95", "m96", "m97", "m98", "m99"], "{ring} {tail}");
            if ring == 1 << 20 {
                assert_eq!(rendered, 5, "only the kept entries are rendered");
            }
        }
        let mut all = Recent::with_budgets(1000, 300, 64);
        let mut render = |e: LogEntry, out: &mut Vec<u8>| {
            out.extend_from_slice(e.message.as_bytes());
            Ok(())
        };
        let mut buf = Vec::new();
        for i in 0..50 {
            all.push(LogEntry::new("f", &format!("m{i}")), &mut render, &mut buf)
                .unwrap();
        }
        let mut n = 0;
        all.drain(&mut render, |rec| {
            assert_eq!(rec, format!("m{n}").as_bytes());
            n += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 50);
        let mut none = Recent::new(0);
        none.push(LogEntry::new("f", "x"), &mut render, &mut buf)
            .unwrap();
        assert!(none.ring.is_empty());
    }
}
