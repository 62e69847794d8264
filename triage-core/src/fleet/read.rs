//! One snapshot file → the fields the fleet view needs. The structs below name only those
//! fields; serde skips the others while parsing (no allocation for them), and strings
//! without escapes are borrowed from the file's bytes.

use std::borrow::Cow;
use std::path::Path;

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{
    FleetHost, HostChange, HostFinding, ReadHost, TopProcess, MAX_FILE_BYTES, SHARED_KINDS,
};
use crate::error::Error;
use crate::host_root::HostRoot;
use crate::snapshot::{Severity, Time, SCHEMA_VERSION};

#[derive(Deserialize)]
struct Lean<'a> {
    schema_version: Option<u64>,
    /// Written instead of a snapshot by contrib/ansible/triage-snapshot.yml for a host
    /// that failed or could not be reached.
    #[serde(default, borrow)]
    error: Option<Cow<'a, str>>,
    collected_at: Option<Time>,
    #[serde(borrow)]
    host: Option<LeanHost<'a>>,
    load: Option<LeanLoad>,
    cpu: Option<LeanCpu>,
    memory: Option<LeanMemory>,
    #[serde(default, deserialize_with = "busiest")]
    processes: Option<TopProcess>,
    #[serde(default, borrow)]
    recent_changes: Option<Vec<LeanChange<'a>>>,
    #[serde(default, borrow)]
    findings: Vec<LeanFinding<'a>>,
}

#[derive(Deserialize)]
struct LeanHost<'a> {
    #[serde(borrow)]
    hostname: Cow<'a, str>,
}

#[derive(Deserialize)]
struct LeanLoad {
    one: f64,
}

#[derive(Deserialize)]
struct LeanCpu {
    count: u32,
}

#[derive(Deserialize)]
struct LeanMemory {
    total_bytes: u64,
    used_bytes: u64,
}

#[derive(Deserialize)]
struct LeanChange<'a> {
    time: Time,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    summary: Cow<'a, str>,
}

#[derive(Deserialize)]
struct LeanFinding<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    severity: Severity,
    #[serde(borrow)]
    title: Cow<'a, str>,
}

/// One entry of `processes[]`. Deserialized by hand ([`ProcessVisitor`]): keys are
/// compared as bytes and `name`/`command` kept as raw bytes until their process wins, so
/// serde_json checks none of them as UTF-8. With 300 processes of ~15 keys per file, that
/// check was a quarter of the CPU time of a 5,000-file fleet (perf).
struct LeanProcess<'a> {
    pid: i32,
    name: Cow<'a, [u8]>,
    command: Cow<'a, [u8]>,
    cpu_percent: f64,
    rss_bytes: u64,
}

/// The `processes[]` keys the fleet reads; any other is skipped unparsed.
enum ProcessKey {
    Pid,
    Name,
    Command,
    CpuPercent,
    RssBytes,
    Other,
}

impl<'de> Deserialize<'de> for ProcessKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ProcessKey;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a process field name")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<ProcessKey, E> {
                Ok(match v {
                    b"pid" => ProcessKey::Pid,
                    b"name" => ProcessKey::Name,
                    b"command" => ProcessKey::Command,
                    b"cpu_percent" => ProcessKey::CpuPercent,
                    b"rss_bytes" => ProcessKey::RssBytes,
                    _ => ProcessKey::Other,
                })
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ProcessKey, E> {
                self.visit_bytes(v.as_bytes())
            }
        }
        d.deserialize_bytes(V)
    }
}

/// A string value as its raw bytes (borrowed from the file when it has no escapes).
struct RawText<'a>(Cow<'a, [u8]>);

impl<'de> Deserialize<'de> for RawText<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawText<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                Ok(RawText(Cow::Borrowed(v)))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(RawText(Cow::Owned(v.to_vec())))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(RawText(Cow::Borrowed(v.as_bytes())))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawText(Cow::Owned(v.as_bytes().to_vec())))
            }
        }
        d.deserialize_bytes(V)
    }
}

impl<'de> Deserialize<'de> for LeanProcess<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ProcessVisitor)
    }
}

struct ProcessVisitor;

impl<'de> Visitor<'de> for ProcessVisitor {
    type Value = LeanProcess<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a process")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut pid, mut cpu, mut rss) = (None, None, None);
        let (mut name, mut command) = (Cow::Borrowed(&b""[..]), None);
        while let Some(key) = map.next_key::<ProcessKey>()? {
            match key {
                ProcessKey::Pid => pid = Some(map.next_value::<i32>()?),
                ProcessKey::Name => name = map.next_value::<RawText>()?.0,
                ProcessKey::Command => command = Some(map.next_value::<RawText>()?.0),
                ProcessKey::CpuPercent => cpu = Some(map.next_value::<f64>()?),
                ProcessKey::RssBytes => rss = Some(map.next_value::<u64>()?),
                ProcessKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let missing = serde::de::Error::missing_field;
        Ok(LeanProcess {
            pid: pid.ok_or_else(|| missing("pid"))?,
            name,
            command: command.ok_or_else(|| missing("command"))?,
            cpu_percent: cpu.ok_or_else(|| missing("cpu_percent"))?,
            rss_bytes: rss.ok_or_else(|| missing("rss_bytes"))?,
        })
    }
}

/// Only `schema_version`, to explain a file the full parse refused.
#[derive(Deserialize)]
struct VersionOnly {
    schema_version: Option<IgnoredAny>,
}

/// `processes[]` → the one with the most CPU (then the most memory), without keeping the
/// others.
fn busiest<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TopProcess>, D::Error> {
    struct Busiest;
    impl<'de> Visitor<'de> for Busiest {
        type Value = Option<TopProcess>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of processes or null")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_seq(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut best: Option<LeanProcess> = None;
            while let Some(p) = seq.next_element::<LeanProcess>()? {
                let better = best
                    .as_ref()
                    .is_none_or(|b| (p.cpu_percent, p.rss_bytes) > (b.cpu_percent, b.rss_bytes));
                if better {
                    best = Some(p);
                }
            }
            Ok(best.map(|p| TopProcess {
                pid: p.pid,
                name: String::from_utf8_lossy(&p.name).into_owned(),
                command: String::from_utf8_lossy(&p.command).into_owned(),
                cpu_percent: p.cpu_percent,
                rss_bytes: p.rss_bytes,
            }))
        }
    }
    d.deserialize_option(Busiest)
}

/// The host's name: the file's stem.
fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// A host that could not be read, and why.
pub(crate) fn unreadable(path: &Path, why: String) -> ReadHost {
    ReadHost {
        host: FleetHost {
            name: stem(path),
            hostname: None,
            collected_at: None,
            worst: None,
            findings: Vec::new(),
            load_per_cpu: None,
            memory_used_percent: None,
            top_process: None,
            error: Some(format!("{}: {why}", path.display())),
        },
        changes: Vec::new(),
    }
}

/// Why `bytes` is not a snapshot this version can read, in words for the fleet table.
fn why_not(bytes: &[u8], err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("line {}, column {}", err.line(), err.column());
    match err.classify() {
        Category::Eof if bytes.iter().all(u8::is_ascii_whitespace) => "empty file".into(),
        Category::Eof => format!("truncated JSON (ends at {at}): copy it again"),
        Category::Syntax if at_end(bytes, err.line(), err.column()) => {
            format!("truncated JSON (ends at {at}): copy it again")
        }
        Category::Syntax => format!("not JSON ({err})"),
        Category::Io => format!("read error: {err}"),
        Category::Data => match serde_json::from_slice::<VersionOnly>(bytes) {
            Ok(VersionOnly {
                schema_version: Some(_),
            }) => {
                version_error(bytes).unwrap_or_else(|| format!("damaged triage snapshot ({err})"))
            }
            _ => format!("not a triage snapshot (no schema_version; {err})"),
        },
    }
}

/// True when (1-based `line`, `column`) is the last byte of `bytes`: a file cut in the
/// middle of a number or a word (`1.`, `tr`) fails there with a syntax error, not EOF.
fn at_end(bytes: &[u8], line: usize, column: usize) -> bool {
    let line_start = if line <= 1 {
        0
    } else {
        match bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
        {
            Some((i, _)) => i + 1,
            None => return false,
        }
    };
    line_start + column >= bytes.len()
}

/// The schema-version complaint for a file whose `schema_version` is not ours (a number;
/// anything else is left to the caller's "damaged" message).
fn version_error(bytes: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct V {
        schema_version: serde_json::Number,
    }
    let v: V = serde_json::from_slice(bytes).ok()?;
    (v.schema_version.as_u64() != Some(u64::from(SCHEMA_VERSION))).then(|| {
        format!(
            "schema_version {} (this triage reads {SCHEMA_VERSION}): read it with a matching triage",
            v.schema_version
        )
    })
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

/// Read one snapshot file. Changes of the [`SHARED_KINDS`] within `window` before the
/// snapshot are kept for correlation.
pub(crate) fn host(path: &Path, window: chrono::Duration) -> ReadHost {
    let bytes = match HostRoot::read_path_limited(path, MAX_FILE_BYTES) {
        Ok(b) => b,
        Err(Error::Io { source, .. }) => return unreadable(path, source.to_string()),
        Err(e) => return unreadable(path, e.to_string()),
    };
    let lean: Lean = match serde_json::from_slice(&bytes) {
        Ok(l) => l,
        Err(e) => return unreadable(path, why_not(&bytes, &e)),
    };
    match (lean.schema_version, &lean.error) {
        (None, Some(why)) => {
            return unreadable(path, format!("no snapshot: {}", why.trim()));
        }
        (None, None) => {
            return unreadable(path, "not a triage snapshot (no schema_version)".into())
        }
        (Some(v), _) if v != u64::from(SCHEMA_VERSION) => {
            return unreadable(
                path,
                format!("schema_version {v} (this triage reads {SCHEMA_VERSION}): read it with a matching triage"),
            )
        }
        (Some(_), _) => {}
    }
    let mut findings: Vec<HostFinding> = lean
        .findings
        .into_iter()
        .map(|f| HostFinding {
            id: f.id.into_owned(),
            severity: f.severity,
            title: f.title.into_owned(),
        })
        .collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let changes = match (lean.collected_at, lean.recent_changes) {
        (Some(at), Some(list)) => list
            .into_iter()
            .filter(|c| SHARED_KINDS.contains(&c.kind.as_ref()))
            .filter(|c| c.time <= at && c.time >= at - window)
            .map(|c| HostChange {
                kind: c.kind.into_owned(),
                summary: c.summary.split_whitespace().collect::<Vec<_>>().join(" "),
                time: c.time,
            })
            .collect(),
        _ => Vec::new(),
    };
    let load_per_cpu = match (&lean.load, &lean.cpu) {
        (Some(l), Some(c)) if c.count > 0 => Some(round(l.one / f64::from(c.count), 2)),
        _ => None,
    };
    let memory_used_percent = lean
        .memory
        .filter(|m| m.total_bytes > 0)
        .map(|m| round(m.used_bytes as f64 * 100.0 / m.total_bytes as f64, 1));
    ReadHost {
        host: FleetHost {
            name: stem(path),
            hostname: lean.host.map(|h| h.hostname.into_owned()),
            collected_at: lean.collected_at,
            worst: findings.first().map(|f| f.severity),
            findings,
            load_per_cpu,
            memory_used_percent,
            top_process: lean.processes,
            error: None,
        },
        changes,
    }
}
