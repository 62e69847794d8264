//! Bad input gets a clear error naming the file (and line), never a panic. Inline, so
//! the parsers it feeds stay `pub(crate)`.
//!
//! Every pure parser of `triage-core` is fed a deterministic corpus of bad inputs: empty,
//! blanks, NUL, invalid UTF-8 (lossily for `&str` APIs, raw for byte APIs), a valid sample
//! truncated at every byte offset, multi-byte characters at every column of a valid line,
//! huge and non-numbers in place of every token, 1 MB of one character and xorshift byte
//! soup. Each call runs under `catch_unwind`; one run lists every offender with its input.
//! Samples are the fixtures under `tests/fixtures/` and, when present, the real files
//! under `../shared/data` (skipped with a message when absent).

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

use crate::collect::counters;
use crate::collect::network::{parse_proc_net_line, Table};
use crate::collect::{
    changes, cpu, filesystems, host, load, memory, pressure, proc_sample, ps_output, users,
};
use crate::history::{sadf, store};
use crate::logs::formats::{self, ParseCtx};
use crate::logs::{drain::Drain, journal, kmsg};
use crate::postmortem::template::Template;
use crate::runbook::{inventory, validate, vars};
use crate::snapshot::Time;
use crate::{incident, redact, timespec, HostRoot, Snapshot};
use chrono::TimeZone;

mod errors;
mod logs_changes;
mod own_files;
mod system;

// ---------------------------------------------------------------------------------------
// Harness

thread_local! {
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Panics inside [`probe_call`] are recorded, not printed; others go to the default hook.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CAPTURING.with(Cell::get) {
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let msg = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                LAST_PANIC.with(|p| *p.borrow_mut() = format!("{msg} at {at}"));
            } else {
                default(info);
            }
        }));
    });
}

/// One bad input: where it came from and its bytes.
struct Input {
    label: String,
    bytes: Vec<u8>,
}

fn preview(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(100)];
    let more = if bytes.len() > 100 {
        format!("… ({} bytes)", bytes.len())
    } else {
        String::new()
    };
    format!("{:?}{more}", String::from_utf8_lossy(shown))
}

/// CPU a call may burn on one input: the biggest input is 1 MB, which a linear parser
/// eats in milliseconds; a quadratic one takes minutes.
const SLOW_CPU: Duration = Duration::from_secs(2);
/// Wall time a call may take: catches a call that blocks or sleeps (its CPU stays low).
/// Even at a load of 20 on 2 cores a thread gets ~1/10 of a core, so a call working
/// that long has burnt well over [`SLOW_CPU`] already: load alone does not reach it.
const SLOW_WALL: Duration = Duration::from_secs(60);

/// CPU time (user + system) of the calling thread. Unlike wall time it does not grow
/// when other processes load the machine, so "SLOW" means the parser, not the neighbours.
fn thread_cpu() -> Duration {
    use nix::sys::resource::{getrusage, UsageWho};
    let tv = |t: nix::sys::time::TimeVal| {
        Duration::from_secs(t.tv_sec().max(0) as u64)
            + Duration::from_micros(t.tv_usec().max(0) as u64)
    };
    getrusage(UsageWho::RUSAGE_THREAD)
        .map(|u| tv(u.user_time()) + tv(u.system_time()))
        .unwrap_or_default()
}

/// The SLOW check can fire: work shows in [`thread_cpu`], sleeping (or a neighbour's
/// load) does not.
#[test]
fn thread_cpu_counts_work_not_waiting() {
    let t0 = thread_cpu();
    std::thread::sleep(Duration::from_millis(200));
    let slept = thread_cpu().saturating_sub(t0);
    assert!(
        slept < Duration::from_millis(50),
        "{slept:?} while sleeping"
    );
    let t0 = thread_cpu();
    let mut x = 0u64;
    while thread_cpu().saturating_sub(t0) < Duration::from_millis(100) {
        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
    }
    assert!(thread_cpu().saturating_sub(t0) >= Duration::from_millis(100));
}

/// Calls `f` on every input; returns one line per panic (first 3 per entry point and
/// message, then a count) and per call over [`SLOW_CPU`] of CPU or [`SLOW_WALL`].
fn run(entry: &str, inputs: &[Input], f: impl Fn(&[u8])) -> Vec<String> {
    install_hook();
    let mut out = Vec::new();
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    let started = Instant::now();
    for input in inputs {
        CAPTURING.with(|c| c.set(true));
        let (t, cpu) = (Instant::now(), thread_cpu());
        let r = catch_unwind(AssertUnwindSafe(|| f(&input.bytes)));
        let (took, burnt) = (t.elapsed(), thread_cpu().saturating_sub(cpu));
        CAPTURING.with(|c| c.set(false));
        if r.is_err() {
            let msg = LAST_PANIC.with(|p| p.borrow().clone());
            // One offender per panic site, whatever the message says.
            let site = msg.rsplit(" at ").next().unwrap_or_default().to_string();
            let msg: String = msg.chars().take(160).collect();
            let n = seen.entry(site.clone()).or_default();
            *n += 1;
            if *n <= 3 {
                out.push(format!(
                    "{entry}: PANIC {msg}\n    input {}: {}",
                    input.label,
                    preview(&input.bytes)
                ));
            }
        }
        if burnt > SLOW_CPU || took > SLOW_WALL {
            out.push(format!(
                "{entry}: SLOW {} ms CPU, {} ms wall on input {}: {}",
                burnt.as_millis(),
                took.as_millis(),
                input.label,
                preview(&input.bytes)
            ));
        }
    }
    for (site, n) in seen.into_iter().filter(|(_, n)| *n > 3) {
        out.push(format!("{entry}: … panic at {site}: {n} inputs in all"));
    }
    eprintln!(
        "{entry}: {} inputs in {} ms",
        inputs.len(),
        started.elapsed().as_millis()
    );
    out
}

/// `run` for `&str` APIs: invalid UTF-8 is given lossily (U+FFFD is multi-byte too).
fn run_text(entry: &str, inputs: &[Input], f: impl Fn(&str)) -> Vec<String> {
    run(entry, inputs, |b| f(&String::from_utf8_lossy(b)))
}

fn report(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} offender(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// Corpus

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const HUGE: &[&str] = &[
    "18446744073709551616",
    "-1",
    "NaN",
    "1e309",
    "-9223372036854775809",
    "340282366920938463463374607431768211456",
    "",
    "0x",
];
const WIDE: &[&str] = &["é", "日本", "🦀"];
/// Samples are cut here: truncating at every offset is quadratic.
const SAMPLE_CAP: usize = 1500;

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
}

fn shared() -> Option<PathBuf> {
    let p = std::env::var_os("TRIAGE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")));
    p.join("data").is_dir().then(|| p.join("data"))
}

/// Valid samples: `fixtures/REL` and, when ../shared exists, `shared/data/REL`.
fn samples(fixture: &[&str], shared_rel: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for rel in fixture {
        let p = fixtures().join(rel);
        let b = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        out.push((format!("fixtures/{rel}"), b));
    }
    match shared() {
        Some(dir) => {
            for rel in shared_rel {
                if let Ok(b) = std::fs::read(dir.join(rel)) {
                    out.push((format!("shared/{rel}"), b));
                }
            }
        }
        None if !shared_rel.is_empty() => {
            eprintln!("../shared/data absent: skipping {shared_rel:?}");
        }
        None => {}
    }
    out
}

fn inline(label: &str, text: &str) -> (String, Vec<u8>) {
    (label.to_string(), text.as_bytes().to_vec())
}

/// The corpus for one entry point given its valid samples.
fn corpus(samples: &[(String, Vec<u8>)]) -> Vec<Input> {
    let mut v = Vec::new();
    let mut add = |label: String, bytes: Vec<u8>| v.push(Input { label, bytes });
    for (label, b) in [
        ("empty", &b""[..]),
        ("spaces", b"   \t  "),
        ("newlines", b"\n\n\n\n"),
        ("crlf", b"\r\n\r\n"),
        ("nul", b"\0"),
        ("nul line", b"a\0b\n\0\n"),
        ("invalid utf-8", b"\xff\xfe\xc3\x28 \xe2\x82\n\xf0\x9f"),
    ] {
        add(label.into(), b.to_vec());
    }
    for c in [b'a', b'\n', b' ', b'{', b'[', b'9', b'\0'] {
        add(format!("1 MB of {:?}", c as char), vec![c; 1 << 20]);
    }
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for i in 0..48 {
        let len = rng.below(600);
        let bytes = (0..len).map(|_| rng.next() as u8).collect();
        add(format!("byte soup #{i}"), bytes);
    }
    for (name, sample) in samples {
        let sample = &sample[..sample.len().min(SAMPLE_CAP)];
        for cut in 0..=sample.len() {
            add(format!("{name} cut at {cut}"), sample[..cut].to_vec());
        }
        let text = String::from_utf8_lossy(sample);
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        // The first, a middle and the last line: wide chars at every column, each token
        // replaced by huge numbers, and the line alone.
        let picks: Vec<usize> = [0, lines.len() / 2, lines.len().saturating_sub(1)]
            .into_iter()
            .filter(|&i| i < lines.len())
            .collect();
        for &li in &picks {
            let line = lines[li]
                .get(..lines[li].len().min(200))
                .unwrap_or(lines[li]);
            let rebuild = |new: &str| {
                let mut all: Vec<&str> = lines.clone();
                all[li] = new;
                all.join("\n").into_bytes()
            };
            for (col, _) in line.char_indices().chain([(line.len(), ' ')]) {
                for w in WIDE {
                    let new = format!("{}{w}{}", &line[..col], &line[col..]);
                    add(format!("{name} line {li} {w} at {col}"), rebuild(&new));
                }
            }
            let tokens: Vec<&str> = line.split_whitespace().collect();
            for t in 0..tokens.len() {
                for h in HUGE {
                    let mut tk = tokens.clone();
                    tk[t] = h;
                    add(
                        format!("{name} line {li} token {t} = {h:?}"),
                        rebuild(&tk.join(" ")),
                    );
                }
            }
            add(format!("{name} line {li} alone"), line.as_bytes().to_vec());
        }
        for i in 0..24 {
            let mut m = sample.to_vec();
            for _ in 0..1 + rng.below(8) {
                if m.is_empty() {
                    break;
                }
                let at = rng.below(m.len());
                match rng.below(4) {
                    0 => m[at] = rng.next() as u8,
                    1 => m.insert(at, b"0123456789:-. \n\t\0"[rng.below(17)]),
                    2 => {
                        m.remove(at);
                    }
                    _ => m
                        .splice(at..at, b"99999999999999999999".iter().copied())
                        .for_each(drop),
                }
            }
            add(format!("{name} mutant #{i}"), m);
        }
    }
    v
}

fn reference() -> Time {
    chrono::FixedOffset::east_opt(0)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 23, 12, 0, 0)
        .unwrap()
}

/// Consume a parser's result so the call is not optimised away.
fn eat<T>(t: T) {
    std::hint::black_box(t);
}
