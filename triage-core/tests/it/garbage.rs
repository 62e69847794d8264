//! Bad input gets a clear error naming the file (and line), never a panic.
//!
//! Every pure parser of `triage-core` is fed a deterministic corpus of bad inputs: empty,
//! blanks, NUL, invalid UTF-8 (lossily for `&str` APIs, raw for byte APIs), a valid sample
//! truncated at every byte offset, multi-byte characters at every column of a valid line,
//! huge and non-numbers in place of every token, 1 MB of one character and xorshift byte
//! soup. Each call runs under `catch_unwind`; one run lists every offender with its input.
//! Samples are the fixtures under `tests/fixtures/` and, when present, the real files
//! under `../shared/data` (skipped with a message when absent).

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

use chrono::TimeZone;
use triage_core::collect::counters;
use triage_core::collect::network::{parse_proc_net_line, Table};
use triage_core::collect::{
    changes, cpu, filesystems, host, load, memory, pressure, processes, ps_output, users,
};
use triage_core::history::{sadf, store};
use triage_core::logs::formats::{self, ParseCtx};
use triage_core::logs::{drain::Drain, journal, kmsg};
use triage_core::postmortem::template::Template;
use triage_core::runbook::{inventory, validate, vars};
use triage_core::snapshot::Time;
use triage_core::{incident, redact, timespec, HostRoot, Snapshot};

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

// ---------------------------------------------------------------------------------------
// /proc, /etc and command output parsers

#[test]
fn procfs_parsers_never_panic() {
    let mut f = Vec::new();
    let c = corpus(&samples(
        &["healthy/proc/meminfo", "sosreport/proc/meminfo"],
        &["procfs/proc/meminfo", "insights-core/proc_meminfo.txt"],
    ));
    f.extend(run_text("memory::parse", &c, |t| eat(memory::parse(t))));
    let c = corpus(&samples(
        &["healthy/proc/loadavg"],
        &["procfs/proc/loadavg"],
    ));
    f.extend(run_text("load::parse", &c, |t| eat(load::parse(t))));
    let c = corpus(&samples(
        &["healthy/proc/pressure/cpu", "healthy/proc/pressure/io"],
        &["procfs/proc/pressure/memory"],
    ));
    f.extend(run_text("pressure::parse", &c, |t| eat(pressure::parse(t))));
    let c = corpus(&samples(
        &["healthy/proc/stat", "sosreport/proc/stat"],
        &["procfs/proc/stat", "insights-core/proc_stat.txt"],
    ));
    f.extend(run_text("cpu::parse_stat", &c, |t| eat(cpu::parse_stat(t))));
    let c = corpus(&samples(
        &["healthy/proc/812/stat", "healthy/proc/2/stat"],
        &["procfs/proc/27079/stat", "procfs/proc/26232/stat"],
    ));
    f.extend(run_text("processes::parse_stat", &c, |t| {
        eat(processes::parse_stat(t))
    }));
    let c = corpus(&samples(
        &["healthy/proc/812/status"],
        &["procfs/proc/26235/status"],
    ));
    f.extend(run_text("processes::parse_status_uid", &c, |t| {
        eat(processes::parse_status_uid(t))
    }));
    let c = corpus(&samples(
        &["healthy/proc/812/cmdline", "healthy/proc/1/cmdline"],
        &["procfs/proc/26232/cmdline", "procfs/proc/cmdline"],
    ));
    f.extend(run("processes::cmdline_from_bytes", &c, |b| {
        eat(processes::cmdline_from_bytes(b))
    }));
    let c = corpus(&samples(&["healthy/etc/os-release"], &[]));
    f.extend(run_text("host::parse_os_release", &c, |t| {
        eat(host::parse_os_release(t))
    }));
    let c = corpus(&samples(
        &["healthy/proc/uptime"],
        &["insights-core/uptime.txt"],
    ));
    f.extend(run_text("host::parse_uptime", &c, |t| {
        eat(host::parse_uptime(t))
    }));
    let c = corpus(&samples(&["healthy/etc/passwd", "network/etc/passwd"], &[]));
    f.extend(run_text("users::parse_passwd", &c, |t| {
        eat(users::parse_passwd(t))
    }));
    report(f);
}

#[test]
fn mounts_df_ps_parsers_never_panic() {
    let mut f = Vec::new();
    let c = corpus(&samples(
        &["healthy/proc/self/mountinfo"],
        &["gpud/mountinfo"],
    ));
    f.extend(run_text("filesystems::parse_mountinfo", &c, |t| {
        eat(filesystems::parse_mountinfo(t))
    }));
    let c = corpus(&samples(&["sosreport/proc/mounts"], &[]));
    f.extend(run_text("filesystems::parse_mounts", &c, |t| {
        eat(filesystems::parse_mounts(t))
    }));
    let c = corpus(&samples(
        &[
            "sosreport/sos_commands/filesys/df_-al_-x_autofs",
            "healthy/sos_commands/filesys/df_-ali_-x_autofs",
        ],
        &["insights-core/df_-al.txt", "insights-core/df_-li.txt"],
    ));
    f.extend(run_text("filesystems::parse_df", &c, |t| {
        eat(filesystems::parse_df(t))
    }));
    let c = corpus(&samples(
        &["sosreport/sos_commands/process/ps_auxwww"],
        &[
            "insights-core/ps_aux.txt",
            "insights-core/ps_auxww_late_header.txt",
            "insights-core/ps_auxwwwm.txt",
        ],
    ));
    f.extend(run_text("ps_output::parse_ps_aux", &c, |t| {
        eat(ps_output::parse_ps_aux(t))
    }));
    report(f);
}

#[test]
fn network_and_history_probes_never_panic() {
    let mut f = Vec::new();
    for (table, fixture, shared_rel) in [
        (Table::Tcp4, "network/proc/net/tcp", "procfs/proc/net/tcp"),
        (Table::Tcp6, "network/proc/net/tcp6", "procfs/proc/net/tcp6"),
        (
            Table::Udp4,
            "network/proc/net/udp",
            "procfs/proc/net/udp_broken",
        ),
        (Table::Udp6, "network/proc/net/udp6", "procfs/proc/net/udp6"),
    ] {
        let c = corpus(&samples(&[fixture], &[shared_rel]));
        f.extend(run_text(
            &format!("network::parse_proc_net_line({})", table.name()),
            &c,
            |t| {
                t.lines()
                    .skip(1)
                    .for_each(|l| eat(parse_proc_net_line(table, l)))
            },
        ));
    }
    let c = corpus(&samples(&[], &["procfs/proc/diskstats"]));
    f.extend(run_text("counters::parse_diskstats", &c, |t| {
        eat(counters::parse_diskstats(t, |_| true))
    }));
    let c = corpus(&samples(&[], &["procfs/proc/net/dev"]));
    f.extend(run_text("counters::parse_net_dev", &c, |t| {
        eat(counters::parse_net_dev(t))
    }));
    let mut s = samples(
        &[],
        &[
            "procfs/proc/net/sockstat",
            "insights-core/proc_net_sockstat.txt",
        ],
    );
    s.push(inline(
        "snmp",
        "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\nTcp: 1 200 120000 -1 100 50 2 3 10 1000 900 7 0 5 0\n",
    ));
    let c = corpus(&s);
    f.extend(run_text("counters::parse_tcp", &c, |t| {
        eat(counters::parse_tcp(t, t, t));
    }));
    report(f);
}

// ---------------------------------------------------------------------------------------
// Logs

fn log_samples() -> Vec<(String, Vec<u8>)> {
    let mut s = vec![inline(
        "dev/kmsg records",
        "6,1,0,-;Linux version 6.1.0 (gcc 12)\n3,812,35000123,-;Out of memory: Killed process 812 (java)\n SUBSYSTEM=memory\n4,813,35000200,c;x\\x0ay\n",
    )];
    s.extend(samples(
        &["logs_oom/var/log/kern.log", "logs_oom/var/log/syslog"],
        &[
            "syslog/standards/RFC-3164.log",
            "syslog/standards/RFC-5424-6dot-0700.log",
            "syslog/standards/RFC-5424-Z.log",
            "syslog/Ubuntu22/dmesg",
            "syslog/Ubuntu22/auth.log",
            "insights-core/dmesg_timestamps.txt",
            "gpud/kmsg.1.log",
        ],
    ));
    s
}

#[test]
fn log_parsers_never_panic() {
    let c = corpus(&log_samples());
    let mut f = Vec::new();
    let ctx = ParseCtx {
        source: "/var/log/syslog".into(),
        reference: reference(),
        boot_time: Some(reference() - chrono::Duration::days(3)),
    };
    f.extend(run_text("formats::parse_line", &c, |t| {
        t.lines().for_each(|l| eat(formats::parse_line(l, &ctx)))
    }));
    f.extend(run_text("formats::parse_rfc3339", &c, |t| {
        t.lines().for_each(|l| eat(formats::parse_rfc3339(l)));
        t.split_whitespace()
            .take(3)
            .for_each(|w| eat(formats::parse_rfc3339(w)));
    }));
    f.extend(run_text("kmsg::parse_text", &c, |t| {
        eat(kmsg::parse_text(t, "kernel", Some(reference())));
        eat(kmsg::parse_text(t, "kernel", None));
    }));
    f.extend(run_text("changes::parse_syslog_time", &c, |t| {
        t.lines()
            .for_each(|l| eat(changes::parse_syslog_time(l, reference())))
    }));
    f.extend(run_text("logins::parse_auth_line", &c, |t| {
        t.lines()
            .for_each(|l| eat(changes::logins::parse_auth_line(l, reference())))
    }));
    f.extend(run_text("redact::redact", &c, |t| eat(redact::redact(t))));
    f.extend(run_text("drain::add", &c, |t| {
        let mut d = Drain::new(4, 0.5, 100);
        t.lines().for_each(|l| eat(d.add(l, None)));
        eat(d.templates());
    }));
    // Whole files through the reverse line reader, plain and as a `.gz` name (garbage
    // that is no gzip stream must be a warning naming the file).
    let dir = tempfile::tempdir().unwrap();
    let some: Vec<Input> = c
        .iter()
        .step_by(11)
        .map(|i| Input {
            label: i.label.clone(),
            bytes: i.bytes.clone(),
        })
        .collect();
    let unnamed = RefCell::new(Vec::new());
    f.extend(run("logs::files::read_file", &some, |b| {
        for name in ["syslog", "syslog.2.gz"] {
            let p = dir.path().join(name);
            std::fs::write(&p, b).unwrap();
            let r = triage_core::logs::files::read_file(&p, 50, None, Some(reference()));
            if let Some(w) = r.warnings.iter().find(|w| !w.contains(name)) {
                unnamed.borrow_mut().push(format!(
                    "logs::files::read_file: warning without the file name: {w}"
                ));
            }
        }
    }));
    let mut unnamed = unnamed.into_inner();
    unnamed.truncate(3);
    f.extend(unnamed);
    let j = corpus(&[inline(
        "journal json",
        r#"{"__REALTIME_TIMESTAMP":"1763899200000000","PRIORITY":"3","MESSAGE":"Out of memory: Killed process 812 (java)","_HOSTNAME":"web1","SYSLOG_IDENTIFIER":"kernel","_PID":"0","_TRANSPORT":"kernel"}
{"__REALTIME_TIMESTAMP":"1763899201000000","PRIORITY":"6","MESSAGE":[104,105,255],"_COMM":"sshd","SYSLOG_PID":"99"}"#,
    )]);
    f.extend(run_text("journal::parse_json", &j, |t| {
        t.lines()
            .for_each(|l| eat(journal::parse_json(l, "journal")))
    }));
    report(f);
}

#[test]
fn change_parsers_never_panic() {
    let mut f = Vec::new();
    let c = corpus(&[
        inline("crontab", "SHELL=/bin/sh\n# m h dom mon dow user command\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n*/5 1-3 * jan,feb mon-fri root /usr/bin/true\n@reboot root /bin/echo hi\n"),
    ]);
    f.extend(run_text("cron::parse_crontab", &c, |t| {
        for j in changes::cron::parse_crontab(t, true, "root") {
            eat(changes::cron::due_in_last_hour(&j.schedule, reference()));
        }
        eat(changes::cron::parse_crontab(t, false, "alice"));
    }));
    let c = corpus(&[inline("dpkg.log", "2026-11-23 10:00:01 startup archives unpack\n2026-11-23 10:00:02 upgrade openssl:amd64 3.0.2-0ubuntu1.10 3.0.2-0ubuntu1.12\n2026-11-23 10:00:03 status installed openssl:amd64 3.0.2-0ubuntu1.12\n")]);
    f.extend(run_text("packages::parse_dpkg", &c, |t| {
        eat(changes::packages::parse_dpkg(t))
    }));
    let c = corpus(&[inline("apt history", "\nStart-Date: 2026-11-23  10:00:00\nCommandline: apt-get -y upgrade\nRequested-By: alice (1000)\nUpgrade: openssl:amd64 (3.0.2-0ubuntu1.10, 3.0.2-0ubuntu1.12), libssl3:amd64 (3.0.2-0ubuntu1.10, 3.0.2-0ubuntu1.12)\nEnd-Date: 2026-11-23  10:00:05\n")]);
    f.extend(run_text("packages::parse_apt_history", &c, |t| {
        eat(changes::packages::parse_apt_history(t))
    }));
    let c = corpus(&[inline("yum.log", "Nov 23 10:00:01 Updated: openssl-libs-1:3.0.7-25.el9_3.x86_64\nNov 23 10:00:02 Installed: htop-3.2.1-1.el9.x86_64\nNov 23 10:00:03 Erased: telnet\n")]);
    f.extend(run_text("packages::parse_rpm_log", &c, |t| {
        eat(changes::packages::parse_rpm_log(
            t,
            reference(),
            Path::new("/var/log/yum.log"),
        ))
    }));
    let c = corpus(&[
        inline("systemctl --failed", "nginx.service loaded failed failed A high performance web server\ncron.service   loaded failed failed Regular background program processing daemon\n"),
        inline("systemctl show", "Id=nginx.service\nActiveEnterTimestamp=Mon 2026-11-23 09:58:01 UTC\n\nId=cron.service\nActiveEnterTimestamp=\n"),
    ]);
    f.extend(run_text(
        "system::parse_failed/show/systemd_time",
        &c,
        |t| {
            eat(changes::system::parse_failed(t));
            eat(changes::system::parse_show(t));
            t.lines()
                .for_each(|l| eat(changes::system::parse_systemd_time(l)));
        },
    ));
    // The hand-made sample is valid: both records parse.
    let (events, bad) = changes::logins::parse_wtmp(&utmp_sample()[..]);
    assert_eq!((events.len(), bad), (2, 0), "{events:?}");
    let c = corpus(&[("utmp records".into(), utmp_sample())]);
    f.extend(run("logins::parse_wtmp", &c, |b| {
        eat(changes::logins::parse_wtmp(b))
    }));
    // utmp is read from a file by the users collector: write each input to run/utmp.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("run")).unwrap();
    let ctx =
        triage_core::collect::Ctx::new(HostRoot::new(dir.path()).unwrap(), Default::default());
    let some: Vec<Input> = c.into_iter().step_by(3).collect();
    f.extend(run("users::collect (utmp)", &some, |b| {
        std::fs::write(dir.path().join("run/utmp"), b).unwrap();
        eat(users::collect(&ctx));
        eat(ctx.take_warnings());
    }));
    report(f);
}

/// Two `utmp(5)` records (384 bytes each): a login on pts/0 and a boot record.
fn utmp_sample() -> Vec<u8> {
    let record = |kind: i16, pid: i32, line: &str, user: &str, host: &str, sec: i32| {
        let mut r = vec![0u8; 384];
        r[0..2].copy_from_slice(&kind.to_le_bytes());
        r[4..8].copy_from_slice(&pid.to_le_bytes());
        r[8..8 + line.len()].copy_from_slice(line.as_bytes());
        r[44..44 + user.len()].copy_from_slice(user.as_bytes());
        r[76..76 + host.len()].copy_from_slice(host.as_bytes());
        r[340..344].copy_from_slice(&sec.to_le_bytes());
        r
    };
    let mut v = record(2, 0, "~", "reboot", "6.1.0", 1_763_880_000);
    v.extend(record(7, 4242, "pts/0", "alice", "10.0.0.5", 1_763_890_000));
    v
}

// ---------------------------------------------------------------------------------------
// Our own files: runbooks, inventory, templates, incident journal, history, snapshots

#[test]
fn runbook_inventory_template_parsers_never_panic() {
    let repo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let read = |rel: &str| {
        (
            rel.to_string(),
            std::fs::read(repo.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}")),
        )
    };
    let mut f = Vec::new();
    let c = corpus(&[
        read("runbooks/oom_kill.toml"),
        read("runbooks/disk_almost_full.toml"),
        read("triage-core/tests/fixtures/runbooks/broken/c_semantics.toml"),
    ]);
    f.extend(run_text("validate::check_text", &c, |t| {
        eat(validate::check_text(t, "x.toml"))
    }));
    f.extend(run_text("vars::parse", &c, |t| eat(vars::parse(t))));
    f.extend(run_text("validate::line_of", &c, |t| {
        for off in [0, t.len() / 2, t.len(), t.len() + 7, usize::MAX] {
            eat(validate::line_of(t, off));
        }
    }));
    let c = corpus(&[
        read("runbooks/inventory.toml"),
        read("triage-core/tests/fixtures/runbooks/good/inventory.toml"),
    ]);
    f.extend(run_text("inventory::parse", &c, |t| {
        if let Ok(inv) = inventory::parse(t, "inventory.toml") {
            eat(inv.lookup("web-01"));
        }
        eat(inventory::check_text(t, "inventory.toml"));
        t.lines().for_each(|l| eat(inventory::split_target(l)));
    }));
    let c = corpus(&[
        read("runbooks/postmortem/en.md"),
        read("runbooks/postmortem/ja.md"),
        read("runbooks/postmortem/sre.md"),
        read("runbooks/postmortem/shogai.md"),
    ]);
    f.extend(run_text("Template::parse", &c, |t| {
        if let Ok(tpl) = Template::parse(t, Path::new("t.md")) {
            eat(tpl.render(&Default::default()));
        }
        eat(triage_core::postmortem::collect_todos(t));
    }));
    report(f);
}

#[test]
fn incident_history_snapshot_timespec_never_panic() {
    let mut f = Vec::new();
    let c = corpus(&samples(&["incidents/20261123-100000/journal.jsonl"], &[]));
    f.extend(run_text("incident::journal::parse", &c, |t| {
        let r = incident::journal::parse(t, Path::new("journal.jsonl"));
        eat(incident::State::from_events(r));
    }));
    let c = corpus(&samples(&["sadf/sadf.json"], &[]));
    f.extend(run_text("sadf::parse", &c, |t| {
        eat(sadf::parse(t, Path::new("sadf.json")))
    }));
    let c = corpus(&samples(&["diff/a.json", "diff/b.json"], &[]));
    let base: Snapshot =
        serde_json::from_slice(&std::fs::read(fixtures().join("diff/a.json")).unwrap())
            .expect("fixture snapshot parses");
    f.extend(run_text("Snapshot JSON + diff", &c, |t| {
        if let Ok(s) = serde_json::from_str::<Snapshot>(t) {
            let d = triage_core::diff::diff(&base, &s);
            eat(triage_core::diff::write_text(&d, &mut Vec::new()));
            let d = triage_core::diff::diff(&s, &base);
            eat(triage_core::diff::write_text(&d, &mut Vec::new()));
        }
    }));
    let mut spans: Vec<(String, Vec<u8>)> = [
        "10m",
        "1h30m",
        "2d",
        "5s",
        "90",
        "2026-11-23 10:00",
        "2026-11-23T10:00:00Z",
        "10:00",
        "yesterday",
        "now",
        "-5m",
        "1 hour ago",
    ]
    .iter()
    .map(|s| inline(s, s))
    .collect();
    spans.push(inline("huge", "99999999999999999999d"));
    let c = corpus(&spans);
    f.extend(run_text("timespec::parse_*", &c, |t| {
        eat(timespec::parse_duration(t));
        eat(timespec::parse_time_or_ago(t, reference()));
        eat(timespec::parse_time(t, reference()));
    }));
    // History segments: raw bytes through the scanner, and CRC-valid records whose
    // payloads are garbage through the decoder.
    let mut valid = store::header().to_vec();
    let sample = triage_core::history::sample::Sample::default();
    let payload = triage_core::history::encode(&sample).unwrap();
    valid.extend(store::encode_record(&payload));
    valid.extend(store::encode_record(&payload));
    let c = corpus(&[("segment".into(), valid)]);
    f.extend(run("store::scan", &c, |b| eat(store::scan(b))));
    let dir = tempfile::tempdir().unwrap();
    let seg = dir.path().join("2026-11-23.seg");
    let payloads = corpus(&[("payload".into(), payload)]);
    let some: Vec<Input> = payloads.into_iter().step_by(7).collect();
    f.extend(run("history::read_range (garbage payloads)", &some, |b| {
        let mut bytes = store::header().to_vec();
        bytes.extend(store::encode_record(b));
        std::fs::write(&seg, &bytes).unwrap();
        eat(store::read_segment(&seg));
        eat(triage_core::history::read_range(
            dir.path(),
            reference() - chrono::Duration::days(2),
            reference() + chrono::Duration::days(2),
        ));
    }));
    report(f);
}

// ---------------------------------------------------------------------------------------
// Errors from path-taking readers name the file (and line)

#[test]
fn errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut problems = String::new();
    let mut expect = |what: &str, msg: String, needle: &str| {
        if !msg.contains(needle) {
            let _ = writeln!(problems, "{what}: {msg:?} does not contain {needle:?}");
        }
    };

    // HostRoot reads: missing file, directory, FIFO, too large.
    std::fs::create_dir_all(d.join("proc/adir")).unwrap();
    std::fs::write(d.join("proc/big"), vec![b'x'; 4096]).unwrap();
    let fifo = d.join("proc/fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let root = HostRoot::new(d).unwrap();
    for rel in ["missing", "adir", "fifo"] {
        let e = root.read_proc(rel).expect_err(rel).to_string();
        expect("HostRoot::read_proc", e, &format!("proc/{rel}"));
    }
    let e = root.read_bytes("proc/big", 100).unwrap_err().to_string();
    expect("HostRoot::read_bytes", e, "proc/big");
    std::fs::write(d.join("proc/bad"), b"\xff\xfe").unwrap();
    if let Err(e) = root.read_proc("bad") {
        expect("HostRoot::read_proc (non-UTF-8)", e.to_string(), "proc/bad");
    }

    // /proc/net/tcp with a garbled line 3 (the fixture has one more, later): the warning
    // names the file and the first bad line.
    std::fs::create_dir_all(d.join("proc/net")).unwrap();
    let tcp = std::fs::read_to_string(fixtures().join("network/proc/net/tcp")).unwrap();
    let mut lines: Vec<&str> = tcp.lines().collect();
    lines.insert(2, "  9: garbage \u{e9}\u{65e5} not a socket");
    std::fs::write(d.join("proc/net/tcp"), lines.join("\n")).unwrap();
    let ctx = triage_core::collect::Ctx::new(HostRoot::new(d).unwrap(), Default::default());
    let _ = triage_core::collect::network::collect(&ctx);
    let w: Vec<String> = ctx.take_warnings().into_iter().map(|w| w.message).collect();
    expect(
        "proc/net/tcp",
        w.join(" | "),
        "proc/net/tcp: 2 garbled line(s) skipped (first at line 3)",
    );

    // Runbook check: a syntax error on line 3.
    let rb = d.join("runbooks");
    std::fs::create_dir(&rb).unwrap();
    std::fs::write(rb.join("bad.toml"), "id = \"x\"\ntitle = \"t\"\n[[step]\n").unwrap();
    let diags = validate::check_dir(&rb);
    let all: Vec<String> = diags.iter().map(ToString::to_string).collect();
    expect("runbook check", all.join(" | "), "bad.toml:3:");
    // A runbook whose bytes are not UTF-8 names the file.
    std::fs::write(rb.join("bad.toml"), b"id = \"\xff\"\n").unwrap();
    let all: Vec<String> = validate::check_dir(&rb)
        .iter()
        .map(ToString::to_string)
        .collect();
    expect("runbook check (non-UTF-8)", all.join(" | "), "bad.toml");

    // Incident journal: a garbage middle line is skipped with FILE:LINE; a directory in
    // place of the journal is an error naming it.
    let jp = d.join("journal.jsonl");
    std::fs::write(&jp, b"{\"garbage\n\xff\n").unwrap();
    let r = incident::journal::Journal::new(&jp).read().unwrap();
    expect("journal read", r.skipped.join(" | "), "journal.jsonl:1:");
    let jd = d.join("jdir");
    std::fs::create_dir(&jd).unwrap();
    match incident::journal::Journal::new(&jd).read() {
        Ok(_) => expect("journal read (directory)", "no error".into(), "jdir"),
        Err(e) => expect("journal read (directory)", e.to_string(), "jdir"),
    }

    // Postmortem template: an unclosed tag on line 2 of an override.
    let td = d.join("templates");
    std::fs::create_dir(&td).unwrap();
    std::fs::write(td.join("en.md"), "# Title\n{{ title\n").unwrap();
    let lang = triage_core::postmortem::Lang::En;
    let dirs = [td.clone()];
    match triage_core::postmortem::find_template(None, lang, &dirs) {
        Ok(_) => expect("template load", "no error".into(), "en.md:2"),
        Err(e) => expect("template load", e.to_string(), "en.md:2"),
    }
    std::fs::write(td.join("en.md"), b"# \xff\n").unwrap();
    match triage_core::postmortem::find_template(None, lang, &dirs) {
        Ok(_) => expect("template load (non-UTF-8)", "no error".into(), "en.md"),
        Err(e) => expect("template load (non-UTF-8)", e.to_string(), "en.md"),
    }

    // sadf JSON: an error names the file and the line.
    let e = sadf::parse("{\n\"sysstat\": [\n", Path::new("/tmp/sa.json")).unwrap_err();
    expect("sadf::parse", e.to_string(), "/tmp/sa.json:");

    // History segment: garbage names the file.
    let seg = d.join("2026-11-23.seg");
    std::fs::write(&seg, b"not a segment at all").unwrap();
    let w = store::read_segment(&seg).warning;
    expect("read_segment", w.unwrap_or_default(), "2026-11-23.seg");

    assert!(problems.is_empty(), "{problems}");
}

/// Consume a parser's result so the call is not optimised away.
fn eat<T>(t: T) {
    std::hint::black_box(t);
}
