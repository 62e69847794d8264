//! `triage.prom` for node_exporter's textfile collector: Prometheus text exposition format
//! 0.0.4 (<https://prometheus.io/docs/instrumenting/exposition_formats/>).
//!
//! Not OpenMetrics: the textfile collector rejects `# EOF` and the `info` type, and it
//! refuses samples with timestamps, so there are none (the file's mtime, exported by
//! node_exporter as `node_textfile_mtime_seconds`, says when it was written). Labels carry
//! only bounded values (finding ids, severities, collector names, cgroup identities), never
//! free text, so the number of series stays small.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::snapshot::{collector, Severity, Snapshot};

/// The file name node_exporter reads (any `*.prom`; this is triage's).
pub const FILE_NAME: &str = "triage.prom";

/// A label value escaped as the format requires: `\` → `\\`, `"` → `\"`, newline → `\n`.
pub(crate) fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A sample value: Go's float syntax (`+Inf`, `-Inf`, `NaN` for the special values).
fn value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

/// Writes one metric family at a time: `# HELP` and `# TYPE` once, then its samples.
pub(crate) struct Family<'a, W: Write> {
    out: &'a mut W,
    name: &'a str,
}

impl<'a, W: Write> Family<'a, W> {
    /// Start family `name` of `kind` (`gauge` or `counter`).
    pub fn new(out: &'a mut W, name: &'a str, kind: &str, help: &str) -> io::Result<Self> {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        writeln!(out, "# HELP {name} {help}")?;
        writeln!(out, "# TYPE {name} {kind}")?;
        Ok(Family { out, name })
    }

    /// One sample with `labels` (name, unescaped value).
    pub fn sample(&mut self, labels: &[(&str, &str)], v: f64) -> io::Result<()> {
        write!(self.out, "{}", self.name)?;
        if !labels.is_empty() {
            let inner: Vec<String> = labels
                .iter()
                .map(|(k, val)| format!("{k}=\"{}\"", escape_label(val)))
                .collect();
            write!(self.out, "{{{}}}", inner.join(","))?;
        }
        writeln!(self.out, " {}", value(v))
    }
}

/// Write the textfile for snapshot `s`, whose check status (the exit code of
/// `triage check`) is `status`.
pub fn write(s: &Snapshot, status: u8, out: &mut impl Write) -> io::Result<()> {
    Family::new(
        out,
        "triage_check_status",
        "gauge",
        "Exit code of triage check: 0 ok, 1 warning, 2 critical, 3 unknown (nothing could be read).",
    )?
    .sample(&[], f64::from(status))?;

    let mut f = Family::new(
        out,
        "triage_findings",
        "gauge",
        "Current findings by severity.",
    )?;
    for sev in [Severity::Critical, Severity::Warning, Severity::Info] {
        let n = s.findings.iter().filter(|x| x.severity == sev).count();
        f.sample(&[("severity", sev.as_str())], n as f64)?;
    }

    // One series per (id, severity): an id that fires for two mounts counts 2.
    let mut by_id: BTreeMap<(&str, Severity), u32> = BTreeMap::new();
    for x in &s.findings {
        *by_id.entry((&x.id, x.severity)).or_default() += 1;
    }
    let mut f = Family::new(
        out,
        "triage_finding",
        "gauge",
        "Current findings by id: 1, or the number of culprits when one id fires several times. Absent when the finding is gone.",
    )?;
    for ((id, sev), n) in &by_id {
        f.sample(&[("id", id), ("severity", sev.as_str())], f64::from(*n))?;
    }

    let mut names: Vec<&str> = collector::ALL.to_vec();
    for k in s.timings_ms.keys() {
        if !names.contains(&k.as_str()) {
            names.push(k);
        }
    }
    let mut f = Family::new(
        out,
        "triage_collector_duration_seconds",
        "gauge",
        "Time each collector took in the last run.",
    )?;
    for name in &names {
        if let Some(ms) = s.timings_ms.get(*name) {
            f.sample(&[("collector", name)], *ms as f64 / 1000.0)?;
        }
    }
    let mut f = Family::new(
        out,
        "triage_collector_ok",
        "gauge",
        "1 when the collector did all its work in the last run, 0 when it left a warning (see triage snapshot).",
    )?;
    for name in &names {
        let ok = !s.warnings.iter().any(|w| w.collector == *name);
        f.sample(&[("collector", name)], if ok { 1.0 } else { 0.0 })?;
    }

    cgroups(s, out)?;

    let at = s.collected_at.timestamp_millis() as f64 / 1000.0;
    Family::new(
        out,
        "triage_last_run_timestamp_seconds",
        "gauge",
        "When the last run collected its data, Unix time.",
    )?
    .sample(&[], at)?;
    Ok(())
}

/// The per-cgroup figures node_exporter lacks, labelled by cgroup path, systemd unit and
/// Kubernetes pod/namespace (empty when not known). One series per label set: the
/// snapshot keeps at most 50 cgroups, so cardinality stays bounded.
fn cgroups(s: &Snapshot, out: &mut impl Write) -> io::Result<()> {
    type Labels<'a> = [(&'static str, &'a str); 4];
    let mut throttled: BTreeMap<Labels, f64> = BTreeMap::new();
    let mut limit: BTreeMap<Labels, f64> = BTreeMap::new();
    let mut kills: BTreeMap<Labels, f64> = BTreeMap::new();
    for c in s.cgroups.iter().flatten() {
        let container = c.container.as_ref();
        let labels: Labels = [
            ("cgroup", c.path.as_str()),
            ("unit", c.unit.as_deref().unwrap_or("")),
            (
                "pod",
                container.and_then(|k| k.pod.as_deref()).unwrap_or(""),
            ),
            (
                "namespace",
                container.and_then(|k| k.namespace.as_deref()).unwrap_or(""),
            ),
        ];
        if let Some(p) = c.cpu.throttled_percent {
            throttled.insert(labels, p / 100.0);
        }
        if let (Some(cur), Some(max)) = (c.memory.current_bytes, c.memory.max_bytes) {
            if max > 0 {
                limit.insert(labels, cur as f64 / max as f64);
            }
        }
        if let Some(k) = c.memory.oom_kills {
            kills.insert(labels, k as f64);
        }
    }
    let families: [(&str, &str, &str, &BTreeMap<Labels, f64>); 3] = [
        ("triage_cgroup_cpu_throttled_ratio", "gauge", "Share of CPU periods in which the cgroup was throttled by its quota, over the sampling interval.", &throttled),
        ("triage_cgroup_memory_limit_ratio", "gauge", "Memory in use (page cache included) divided by the cgroup's hard limit.", &limit),
        ("triage_cgroup_oom_kills_total", "counter", "Processes OOM-killed in the cgroup since it was created.", &kills),
    ];
    for (name, kind, help, series) in families {
        let mut f = Family::new(out, name, kind, help)?;
        for (labels, v) in series {
            f.sample(labels, *v)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Finding, Warning};

    #[test]
    fn cgroup_families_with_pod_labels() {
        use crate::snapshot::{Cgroup, ContainerRef};
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-30T08:00:00+00:00").unwrap();
        let mut s = Snapshot::empty(t);
        let mut c: Cgroup = serde_json::from_value(serde_json::json!({
            "path": "/kubepods/pod1/cri-containerd-abc", "unit": null, "container": null,
            "processes": 3, "cpu": {}, "memory": {}, "pressure": null, "pids": {}
        }))
        .unwrap();
        c.container = Some(ContainerRef {
            runtime: "containerd".into(),
            id: "abc".into(),
            name: None,
            pod: Some("web\"1".into()),
            namespace: Some("shop".into()),
        });
        c.cpu.throttled_percent = Some(25.0);
        c.memory.current_bytes = Some(900);
        c.memory.max_bytes = Some(1000);
        c.memory.oom_kills = Some(2);
        s.cgroups = Some(vec![c]);
        let mut out = Vec::new();
        write(&s, 0, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let l =
            r#"{cgroup="/kubepods/pod1/cri-containerd-abc",unit="",pod="web\"1",namespace="shop"}"#;
        for line in [
            format!("triage_cgroup_cpu_throttled_ratio{l} 0.25"),
            format!("triage_cgroup_memory_limit_ratio{l} 0.9"),
            format!("triage_cgroup_oom_kills_total{l} 2"),
        ] {
            assert!(text.lines().any(|x| x == line), "{line} missing in\n{text}");
        }
        assert!(text.contains("# TYPE triage_cgroup_oom_kills_total counter\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape_label("x\ny"), "x\\ny");
        assert_eq!(escape_label("plain-ascii ümlaut"), "plain-ascii ümlaut");
    }

    #[test]
    fn special_values_use_go_syntax() {
        assert_eq!(value(f64::NAN), "NaN");
        assert_eq!(value(f64::INFINITY), "+Inf");
        assert_eq!(value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(value(0.25), "0.25");
        assert_eq!(value(3.0), "3");
    }

    #[test]
    fn families_severities_and_duplicate_ids() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-30T08:00:00.5+00:00").unwrap();
        let mut s = Snapshot::empty(t);
        s.findings = vec![
            Finding::new("disk_almost_full", Severity::Critical, "/ 97%"),
            Finding::new("disk_almost_full", Severity::Critical, "/var 98%"),
            Finding::new("zombie_processes", Severity::Warning, "x"),
        ];
        s.timings_ms.insert("load".into(), 3);
        s.warnings.push(Warning {
            collector: "pressure".into(),
            message: "no PSI".into(),
        });
        let mut out = Vec::new();
        write(&s, 2, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        for line in [
            "triage_check_status 2",
            "triage_findings{severity=\"critical\"} 2",
            "triage_findings{severity=\"warning\"} 1",
            "triage_findings{severity=\"info\"} 0",
            "triage_finding{id=\"disk_almost_full\",severity=\"critical\"} 2",
            "triage_finding{id=\"zombie_processes\",severity=\"warning\"} 1",
            "triage_collector_duration_seconds{collector=\"load\"} 0.003",
            "triage_collector_ok{collector=\"pressure\"} 0",
            "triage_collector_ok{collector=\"load\"} 1",
            "triage_last_run_timestamp_seconds 1796025600.5",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        assert!(!text.contains("# EOF"));
        // HELP and TYPE once per family, before its samples.
        for fam in ["triage_finding", "triage_findings", "triage_collector_ok"] {
            let type_line = format!("# TYPE {fam} gauge");
            assert_eq!(text.lines().filter(|l| *l == type_line).count(), 1, "{fam}");
        }
    }
}
