//! The recorder keeps the top cgroups per sample (#15): "which pod was throttled at
//! 03:10" from the history. A Kubernetes fixture whose counters move between two samples,
//! a real format-2 segment (written by the build before this format) that must still read,
//! and a live v1 cgroup with a 0.1 CPU quota (root only).

use std::path::Path;
use std::time::Duration;

use triage_core::history::sample::Recorder;
use triage_core::history::{self, store, History, Sample};
use triage_core::HostRoot;

use crate::common::{copy_tree, fixture};

const NGINX: &str =
    "cri-containerd-9d3b1f6e2c4a8b0d7e5f3a1c9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d.scope";

/// The budget per sample on disk (README "History"), framing included.
const SAMPLE_BUDGET: usize = 2048;

fn nginx_dir(root: &Path) -> std::path::PathBuf {
    root.join("sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b7632a2_a56e_4278_987a_22de18008dbe.slice")
        .join(NGINX)
}

#[test]
fn a_throttled_pod_is_named_in_the_sample_and_in_history() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    copy_tree(&fixture("cgroups_k8s"), &root);
    let mut rec = Recorder::new(HostRoot::new(&root).unwrap(), true);
    // One second of a 0.5 CPU quota: 10 periods, 7 of them throttled, 0.5 s of CPU; and
    // one more OOM kill.
    std::fs::write(
        nginx_dir(&root).join("cpu.stat"),
        "usage_usec 1727500000\nuser_usec 1209000000\nsystem_usec 518500000\nnr_periods 86410\n\
         nr_throttled 51847\nthrottled_usec 1726400000\nnr_bursts 0\nburst_usec 0\n",
    )
    .unwrap();
    std::fs::write(
        nginx_dir(&root).join("memory.events"),
        "low 0\nhigh 0\nmax 415\noom 3\noom_kill 3\noom_group_kill 0\n",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let (s, _) = rec.take();
    let nginx = s
        .cgroups
        .iter()
        .find(|c| c.path.ends_with(NGINX))
        .unwrap_or_else(|| panic!("nginx not kept: {:#?}", s.cgroups));
    assert_eq!(
        nginx.name.as_deref(),
        Some("pod shop/web-7d9f5c6b8-x2k4p container nginx")
    );
    assert_eq!(nginx.throttled_percent, Some(70.0));
    assert_eq!(nginx.quota_cores, Some(0.5));
    assert_eq!(
        nginx.oom_kills, 1,
        "one kill during the interval, not the 3 so far"
    );
    assert_eq!(nginx.memory_max_bytes, Some(256 << 20));
    assert!(nginx.cpu_percent.is_some_and(|c| c > 0.0), "{nginx:?}");
    assert_eq!(s.cgroups[0].path, nginx.path, "the OOM kill ranks first");
    assert!(s.cgroups.len() <= 6, "{:#?}", s.cgroups);
    assert!(nginx.path.chars().count() <= 96 && nginx.path.starts_with('…'));
    // Within the budget, and back through the store as written.
    let payload = history::encode(&s).unwrap();
    let on_disk = store::encode_record(&payload).len();
    assert!(on_disk <= SAMPLE_BUDGET, "{on_disk} bytes");
    let dir = tmp.path().join("history");
    std::fs::create_dir(&dir).unwrap();
    let mut w = store::SegmentWriter::new(&dir);
    let t = s.time().unwrap();
    w.append(t.naive_utc().date(), &payload).unwrap();
    let (back, warnings) = history::read_range(&dir, t, t);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(back, vec![s.clone()]);
    // The History JSON and the table name the pod and its throttling.
    let json = serde_json::to_value(History::new(&back, vec![])).unwrap();
    let cg = &json["samples"][0]["cgroups"][0];
    assert_eq!(cg["name"], "pod shop/web-7d9f5c6b8-x2k4p container nginx");
    assert_eq!(cg["throttled_percent"], 70.0);
    assert_eq!(cg["oom_kills"], 1);
    let mut table = Vec::new();
    history::render::write_table(&back, &mut table).unwrap();
    let table = String::from_utf8(table).unwrap();
    assert!(
        table.contains(
            "cgroups: pod shop/web-7d9f5c6b8-x2k4p container nginx 1 OOM kill(s), throttled 70% of periods (quota 0.50 CPU)"
        ),
        "{table}"
    );
}

#[test]
fn a_format_2_segment_still_reads_beside_format_3() {
    // Written by `triage record --root triage-core/tests/fixtures/healthy` of the build
    // before format 3 (commit 40ca243): three samples without cgroups.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    copy_tree(&fixture("history_v2"), dir);
    let seg = dir.join("2026-11-30.tseg");
    let header = std::fs::read(&seg).unwrap();
    assert_eq!(&header[..6], b"TSEG\x02\x00", "a format-2 file");
    let day_start = chrono::DateTime::parse_from_rfc3339("2026-11-30T00:00:00+00:00").unwrap();
    let day_end = day_start + chrono::Duration::days(1) - chrono::Duration::seconds(1);
    let (old, warnings) = history::read_range(dir, day_start, day_end);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(old.len(), 3);
    assert!(old.iter().all(|s| s.cgroups.is_empty()));
    assert_eq!(old[0].load.map(|l| l.one), Some(0.42));
    assert_eq!(old[0].memory.map(|m| m.total_bytes), Some(8_192_000_000));
    assert!(old[0].top.iter().any(|p| p.command.starts_with("java")));
    // Recording goes on in format 3 the same day: the old file is moved aside and both
    // are read.
    let new = Sample {
        time: old[2].time + 1,
        cgroups: vec![history::sample::CgroupSample {
            path: "/system.slice/x.service".into(),
            cpu_percent: Some(12.5),
            ..Default::default()
        }],
        ..Sample::default()
    };
    let mut w = store::SegmentWriter::new(dir);
    w.append(
        new.time().unwrap().naive_utc().date(),
        &history::encode(&new).unwrap(),
    )
    .unwrap();
    assert!(dir.join("2026-11-30.tseg.v2").exists());
    let (all, warnings) = history::read_range(dir, day_start, day_end);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(all.len(), 4);
    assert_eq!(all[..3], old[..]);
    assert_eq!(all[3], new);
}

#[test]
fn live_v1_throttled_cgroup_is_in_the_recorded_sample() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to create cgroups");
        return;
    }
    let Some(guard) = crate::cgroups_live::throttled_busy_loop() else {
        return;
    };
    let mut rec = Recorder::new(HostRoot::live(), true);
    std::thread::sleep(Duration::from_millis(1000));
    let (s, _) = rec.take();
    let cg = s
        .cgroups
        .iter()
        .find(|c| c.path.ends_with(&guard.name))
        .unwrap_or_else(|| panic!("{} not kept: {:#?}", guard.name, s.cgroups));
    let t = cg
        .throttled_percent
        .expect("throttled share over the interval");
    assert!(t >= 50.0, "{cg:?}");
    assert_eq!(cg.quota_cores, Some(0.1));
    assert!(
        cg.cpu_percent.is_some_and(|c| (3.0..=20.0).contains(&c)),
        "{cg:?}"
    );
    assert!(store::encode_record(&history::encode(&s).unwrap()).len() <= SAMPLE_BUDGET);
}
