//! The segment store: append-only daily files `YYYY-MM-DD.tseg` (UTC dates) in one
//! directory.
//!
//! A segment starts with an 8-byte header: the magic `TSEG`, a little-endian `u16`
//! format version ([`VERSION`]) and two reserved bytes. Records follow, each
//!
//! ```text
//! SYNC (4 bytes)  length (u32 LE)  crc32 (u32 LE, over length bytes + payload)  payload
//! ```
//!
//! A record is written with one `write(2)` on an `O_APPEND` file and `fdatasync`ed, so a
//! `kill -9` or a power cut loses at most the record being written. On read, anything that
//! does not check out (a torn tail, a flipped byte, a damaged length field) is skipped with
//! one warning per file, and reading resynchronises by scanning for the next [`SYNC`]
//! marker whose record passes its CRC.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::host_root::HostRoot;

/// File magic at offset 0.
pub(crate) const MAGIC: [u8; 4] = *b"TSEG";
/// The segment format version this build writes (2: samples have `listeners`; 3: and
/// `cgroups`).
pub const VERSION: u16 = 3;
/// The oldest format version this build still reads (its records are decoded by
/// `history::decode`).
pub const OLDEST_READABLE: u16 = 2;
/// Header length in bytes.
pub(crate) const HEADER_LEN: usize = 8;
/// Marker in front of every record (chosen to be rare in postcard payloads).
pub(crate) const SYNC: [u8; 4] = [0xE7, 0x1A, 0x5C, 0xB3];
/// Bytes before the payload: sync, length, crc.
pub(crate) const RECORD_OVERHEAD: usize = 12;
/// Largest payload accepted; a longer length field is treated as damage.
pub(crate) const MAX_PAYLOAD: usize = 1 << 20;
/// Largest segment file read whole.
const MAX_SEGMENT_BYTES: u64 = 512 << 20;
/// A torn tail on a segment modified more recently than this is a write in progress.
const IN_FLIGHT_GRACE: std::time::Duration = std::time::Duration::from_secs(5);
/// File name extension of segments.
pub(crate) const EXTENSION: &str = "tseg";

/// The header of a new segment.
pub fn header() -> [u8; HEADER_LEN] {
    let v = VERSION.to_le_bytes();
    [MAGIC[0], MAGIC[1], MAGIC[2], MAGIC[3], v[0], v[1], 0, 0]
}

/// One framed record around `payload`, ready for a single `write(2)`.
pub fn encode_record(payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() as u32).to_le_bytes();
    let mut crc = crc32fast::Hasher::new();
    crc.update(&len);
    crc.update(payload);
    let mut out = Vec::with_capacity(RECORD_OVERHEAD + payload.len());
    out.extend_from_slice(&SYNC);
    out.extend_from_slice(&len);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// What reading one segment found.
#[derive(Debug, Default)]
pub(crate) struct Scan<'a> {
    /// The file's format version.
    pub version: u16,
    /// Payloads of the records that passed their CRC, in file order.
    pub records: Vec<&'a [u8]>,
    /// Regions skipped as torn or corrupt: (offset, length).
    pub skipped: Vec<(usize, usize)>,
}

/// Split the bytes of one segment into record payloads. `Err` when the file is not a
/// segment this build can read (bad magic, other version); an empty file is empty.
pub(crate) fn scan(bytes: &[u8]) -> std::result::Result<Scan<'_>, String> {
    let mut out = Scan::default();
    if bytes.is_empty() {
        return Ok(out);
    }
    if bytes.len() < HEADER_LEN || bytes[..4] != MAGIC {
        return Err("not a triage history segment (bad header)".into());
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if !(OLDEST_READABLE..=VERSION).contains(&version) {
        return Err(format!(
            "segment format version {version}; this triage reads versions {OLDEST_READABLE} to {VERSION}"
        ));
    }
    out.version = version;
    let mut pos = HEADER_LEN;
    let mut bad_from: Option<usize> = None;
    while pos < bytes.len() {
        let Some(p) = find_sync(bytes, pos) else {
            bad_from.get_or_insert(pos);
            break;
        };
        if p > pos {
            bad_from.get_or_insert(pos);
        }
        match record_at(bytes, p) {
            Some(payload) => {
                if let Some(start) = bad_from.take() {
                    out.skipped.push((start, p - start));
                }
                out.records.push(payload);
                pos = p + RECORD_OVERHEAD + payload.len();
            }
            None => {
                bad_from.get_or_insert(p);
                pos = p + 1;
            }
        }
    }
    if let Some(start) = bad_from {
        out.skipped.push((start, bytes.len() - start));
    }
    Ok(out)
}

/// The payload of a valid record starting at `p`, if it is one.
fn record_at(bytes: &[u8], p: usize) -> Option<&[u8]> {
    let head = bytes.get(p..p + RECORD_OVERHEAD)?;
    let len_bytes = [head[4], head[5], head[6], head[7]];
    let len = u32::from_le_bytes(len_bytes) as usize;
    if len > MAX_PAYLOAD {
        return None;
    }
    let want = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
    let payload = bytes.get(p + RECORD_OVERHEAD..p + RECORD_OVERHEAD + len)?;
    let mut crc = crc32fast::Hasher::new();
    crc.update(&len_bytes);
    crc.update(payload);
    (crc.finalize() == want).then_some(payload)
}

fn find_sync(bytes: &[u8], from: usize) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(SYNC.len())
        .position(|w| w == SYNC)
        .map(|i| from + i)
}

/// What [`read_segment`] found in one file.
#[derive(Debug, Default)]
pub(crate) struct Segment {
    /// The file's format version (0 when it could not be read).
    pub version: u16,
    /// Payloads of the records that passed their CRC, in file order.
    pub records: Vec<Vec<u8>>,
    /// One warning naming the file when something was skipped or the file could not be
    /// used.
    pub warning: Option<String>,
}

/// Read one segment file.
pub(crate) fn read_segment(path: &Path) -> Segment {
    let failed = |warning: String| Segment {
        warning: Some(warning),
        ..Segment::default()
    };
    let bytes = match HostRoot::read_path_limited(path, MAX_SEGMENT_BYTES) {
        Ok(b) => b,
        Err(e) => return failed(e.to_string()),
    };
    match scan(&bytes) {
        Err(m) => failed(format!("{}: {m}; skipped", path.display())),
        Ok(mut s) => {
            // The recorder may be writing the last record right now: a tail that ends the
            // file of a segment modified in the last seconds is in flight, not torn.
            let in_flight = std::fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age < IN_FLIGHT_GRACE);
            if in_flight && s.skipped.last().is_some_and(|(o, l)| o + l == bytes.len()) {
                s.skipped.pop();
            }
            let warning = (!s.skipped.is_empty()).then(|| {
                let total: usize = s.skipped.iter().map(|r| r.1).sum();
                format!(
                    "{}: {} torn or corrupt region(s) skipped ({total} bytes, first at offset {}); reading resumed at the next valid record",
                    path.display(),
                    s.skipped.len(),
                    s.skipped[0].0
                )
            });
            Segment {
                version: s.version,
                records: s.records.into_iter().map(<[u8]>::to_vec).collect(),
                warning,
            }
        }
    }
}

/// The segment files in `dir` with their dates, oldest first: `DATE.tseg`, and the
/// `DATE.tseg.vN` files of older readable versions that the writer moved aside when it
/// started that day's file in this version. A missing directory has none.
pub fn segments(dir: &Path) -> Result<Vec<(NaiveDate, PathBuf)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut out: Vec<(NaiveDate, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            let name = path.file_name()?.to_str()?;
            let date = name.strip_suffix(".tseg").or_else(|| {
                let (date, v) = name.split_once(".tseg.v")?;
                let v: u16 = v.parse().ok()?;
                (OLDEST_READABLE..VERSION).contains(&v).then_some(date)
            })?;
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
            Some((date, path))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Delete segments dated before `keep_from`; returns what was deleted.
pub(crate) fn prune(dir: &Path, keep_from: NaiveDate) -> Result<Vec<PathBuf>> {
    let mut gone = Vec::new();
    for (date, path) in segments(dir)? {
        if date < keep_from {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            gone.push(path);
        }
    }
    Ok(gone)
}

/// Appends records to the day's segment, opening a new file when the date changes.
#[derive(Debug)]
pub struct SegmentWriter {
    dir: PathBuf,
    current: Option<(NaiveDate, File)>,
}

impl SegmentWriter {
    /// A writer into `dir` (which must exist).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        SegmentWriter {
            dir: dir.into(),
            current: None,
        }
    }

    /// The path of the segment for `date`.
    pub fn path_for(&self, date: NaiveDate) -> PathBuf {
        self.dir
            .join(format!("{}.{EXTENSION}", date.format("%Y-%m-%d")))
    }

    /// Append `payload` as one record to the segment of `date`, durably (one `write(2)`,
    /// then `fdatasync`). Returns the bytes written.
    pub fn append(&mut self, date: NaiveDate, payload: &[u8]) -> Result<usize> {
        if payload.len() > MAX_PAYLOAD {
            return Err(Error::Invalid(format!(
                "history record of {} bytes is over the {MAX_PAYLOAD}-byte limit",
                payload.len()
            )));
        }
        if self.current.as_ref().map(|c| c.0) != Some(date) {
            self.current = None;
            let file = self.open(date)?;
            self.current = Some((date, file));
        }
        let path = self.path_for(date);
        let record = encode_record(payload);
        let Some((_, file)) = self.current.as_mut() else {
            return Err(Error::Invalid("no open segment".into()));
        };
        let result = file.write_all(&record).and_then(|()| file.sync_data());
        if let Err(e) = result {
            self.current = None;
            return Err(Error::io(&path, e));
        }
        Ok(record.len())
    }

    /// Open (or create) the segment of `date` for appending. A file shorter than a header
    /// (a crash right after creating it) is restarted; a file of another format version is
    /// moved aside to `NAME.tseg.vN` so it is neither appended to nor lost.
    fn open(&self, date: NaiveDate) -> Result<File> {
        let path = self.path_for(date);
        let open = || {
            OpenOptions::new()
                .append(true)
                .create(true)
                .mode(0o640)
                .custom_flags(libc::O_CLOEXEC)
                .open(&path)
                .map_err(|e| Error::io(&path, e))
        };
        let mut file = open()?;
        let len = file.metadata().map_err(|e| Error::io(&path, e))?.len();
        if len >= HEADER_LEN as u64 {
            let mut head = [0u8; HEADER_LEN];
            HostRoot::open_regular(&path)?
                .read_exact(&mut head)
                .map_err(|e| Error::io(&path, e))?;
            if head == header() {
                return Ok(file);
            }
            let version = u16::from_le_bytes([head[4], head[5]]);
            let aside = path.with_extension(format!("tseg.v{version}"));
            std::fs::rename(&path, &aside).map_err(|e| Error::io(&path, e))?;
            file = open()?;
        } else if len > 0 {
            file.set_len(0).map_err(|e| Error::io(&path, e))?;
        }
        file.write_all(&header())
            .and_then(|()| file.sync_data())
            .map_err(|e| Error::io(&path, e))?;
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(payloads: &[&[u8]]) -> Vec<u8> {
        let mut bytes = header().to_vec();
        for p in payloads {
            bytes.extend(encode_record(p));
        }
        bytes
    }

    const P: [&[u8]; 3] = [b"first record", b"second, a bit longer record", b"third"];

    #[test]
    fn round_trip() {
        let bytes = segment(&P);
        let s = scan(&bytes).unwrap();
        assert_eq!(s.records, P.to_vec());
        assert!(s.skipped.is_empty());
    }

    #[test]
    fn torn_tail_loses_only_the_last_record() {
        let bytes = segment(&P);
        for cut in 1..(RECORD_OVERHEAD + P[2].len()) {
            let torn = &bytes[..bytes.len() - cut];
            let s = scan(torn).unwrap();
            assert_eq!(s.records, P[..2].to_vec(), "cut {cut}");
            assert_eq!(s.skipped.len(), 1);
        }
    }

    #[test]
    fn flipped_byte_skips_one_record_and_resyncs() {
        let clean = segment(&P);
        let second = HEADER_LEN + RECORD_OVERHEAD + P[0].len();
        // Every byte of the second record, header included.
        for i in second..second + RECORD_OVERHEAD + P[1].len() {
            let mut bytes = clean.clone();
            bytes[i] ^= 0x40;
            let s = scan(&bytes).unwrap();
            assert_eq!(s.records, vec![P[0], P[2]], "flip at {i}");
            assert_eq!(s.skipped, vec![(second, RECORD_OVERHEAD + P[1].len())]);
        }
    }

    #[test]
    fn damaged_length_field_resyncs() {
        let mut bytes = segment(&P);
        let second = HEADER_LEN + RECORD_OVERHEAD + P[0].len();
        for len in [0u32, 3, 200, u32::MAX] {
            bytes[second + 4..second + 8].copy_from_slice(&len.to_le_bytes());
            let s = scan(&bytes).unwrap();
            assert_eq!(s.records, vec![P[0], P[2]], "length {len}");
        }
    }

    #[test]
    fn garbage_between_records_is_skipped() {
        let mut bytes = segment(&P[..1]);
        bytes.extend_from_slice(b"\0\0garbage\xE7\x1A");
        bytes.extend(encode_record(P[1]));
        let s = scan(&bytes).unwrap();
        assert_eq!(s.records, P[..2].to_vec());
        assert_eq!(s.skipped.len(), 1);
    }

    #[test]
    fn empty_file_and_bare_header_are_empty() {
        assert!(scan(b"").unwrap().records.is_empty());
        let h = header();
        let s = scan(&h).unwrap();
        assert!(s.records.is_empty() && s.skipped.is_empty());
    }

    #[test]
    fn wrong_version_and_bad_magic_are_errors() {
        let mut bytes = segment(&P);
        bytes[4] = 9;
        let err = scan(&bytes).unwrap_err();
        assert!(err.contains("version 9"), "{err}");
        assert!(scan(b"NOPE\x01\0\0\0").is_err());
        assert!(scan(b"TSE").is_err());
    }

    #[test]
    fn writer_appends_and_restarts_torn_headers() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = SegmentWriter::new(dir.path());
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        w.append(day, b"one").unwrap();
        drop(w);
        let mut w = SegmentWriter::new(dir.path());
        w.append(day, b"two").unwrap();
        let seg = read_segment(&w.path_for(day));
        assert_eq!(seg.records, vec![b"one".to_vec(), b"two".to_vec()]);
        assert!(seg.warning.is_none());
        assert_eq!(seg.version, VERSION);
        // A crash left 3 bytes of header on the next day: restarted, not appended to.
        let next = day.succ_opt().unwrap();
        std::fs::write(w.path_for(next), b"TSE").unwrap();
        w.append(next, b"three").unwrap();
        assert_eq!(
            read_segment(&w.path_for(next)).records,
            vec![b"three".to_vec()]
        );
        // Another version is moved aside, not appended to.
        let third = next.succ_opt().unwrap();
        std::fs::write(w.path_for(third), b"TSEG\x09\0\0\0rest").unwrap();
        w.append(third, b"four").unwrap();
        assert_eq!(
            read_segment(&w.path_for(third)).records,
            vec![b"four".to_vec()]
        );
        assert!(dir.path().join("2026-11-25.tseg.v9").exists());
        assert_eq!(segments(dir.path()).unwrap().len(), 3);
        let gone = prune(dir.path(), next).unwrap();
        assert_eq!(gone, vec![w.path_for(day)]);
    }

    #[test]
    fn an_older_readable_version_moved_aside_is_still_listed_and_read() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = SegmentWriter::new(dir.path());
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let mut v2 = segment(&P);
        v2[4] = 2;
        std::fs::write(w.path_for(day), &v2).unwrap();
        w.append(day, b"new").unwrap();
        let aside = dir.path().join("2026-11-23.tseg.v2");
        assert_eq!(std::fs::read(&aside).unwrap(), v2);
        let listed = segments(dir.path()).unwrap();
        assert_eq!(listed.len(), 2, "{listed:?}");
        assert!(listed.iter().all(|(d, _)| *d == day));
        let old = read_segment(&aside);
        assert_eq!((old.version, old.records.len()), (2, 3));
        assert_eq!(read_segment(&w.path_for(day)).version, VERSION);
        // Version 1 is no longer readable: neither listed nor read.
        v2[4] = 1;
        std::fs::write(dir.path().join("2026-11-22.tseg.v1"), &v2).unwrap();
        assert_eq!(segments(dir.path()).unwrap().len(), 2);
        let gone = prune(dir.path(), day.succ_opt().unwrap()).unwrap();
        assert_eq!(gone.len(), 2, "the aside file is pruned with its day");
    }
}
