//! The `cgroups` collector and the processes' unit/container on fixture trees: a v2
//! Kubernetes node, a Docker host, a systemd service near its MemoryMax, a v1 host.
//! The live tests (root only) are in `cgroups_live.rs`.

use crate::common::{fixture, scratch};

use triage_core::collect::{snapshot, Options};
use triage_core::snapshot::Cgroup;
use triage_core::{HostRoot, Snapshot};

const NGINX: &str = "9d3b1f6e2c4a8b0d7e5f3a1c9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d";

pub fn take(name: &str) -> Snapshot {
    snapshot(&HostRoot::new(fixture(name)).unwrap(), &Options::default())
}

fn cgroup<'a>(s: &'a Snapshot, suffix: &str) -> &'a Cgroup {
    s.cgroups
        .as_ref()
        .expect("cgroups section")
        .iter()
        .find(|c| c.path.ends_with(suffix))
        .unwrap_or_else(|| panic!("no cgroup ending {suffix}"))
}

#[test]
fn kubernetes_node_names_pods_and_containers() {
    let s = take("cgroups_k8s");
    let no_cgroup_warnings: Vec<_> = s
        .warnings
        .iter()
        .filter(|w| w.collector == "cgroups")
        .collect();
    assert!(no_cgroup_warnings.is_empty(), "{no_cgroup_warnings:?}");
    let nginx = cgroup(&s, &format!("cri-containerd-{NGINX}.scope"));
    let c = nginx.container.as_ref().unwrap();
    assert_eq!(c.runtime, "containerd");
    assert_eq!(c.id, NGINX);
    assert_eq!(c.name.as_deref(), Some("nginx"));
    assert_eq!(c.pod.as_deref(), Some("web-7d9f5c6b8-x2k4p"));
    assert_eq!(c.namespace.as_deref(), Some("shop"));
    assert_eq!(c.label(), "pod shop/web-7d9f5c6b8-x2k4p container nginx");
    assert_eq!(nginx.processes, 2);
    // A saved tree: throttling over the cgroup's lifetime (51840 of 86400 periods).
    assert_eq!(nginx.cpu.quota_cores, Some(0.5));
    assert_eq!(nginx.cpu.throttled_percent, Some(60.0));
    assert_eq!(nginx.cpu.throttled_seconds, Some(1726.0));
    assert_eq!(nginx.cpu.usage_percent, None);
    assert_eq!(nginx.memory.max_bytes, Some(268_435_456));
    assert_eq!(nginx.memory.oom_kills, Some(2));
    assert_eq!(nginx.memory.oom_events, Some(2));
    let psi = nginx.pressure.as_ref().unwrap();
    assert_eq!(psi.memory.as_ref().unwrap().some_avg10, 18.5);
    assert_eq!(nginx.version, 2);
    assert!(nginx.dirs[0].starts_with("/sys/fs/cgroup/kubepods.slice/"));

    // The pod-level slice is named by its /var/log/pods directory.
    let pod = cgroup(
        &s,
        "kubepods-burstable-pod0b7632a2_a56e_4278_987a_22de18008dbe.slice",
    );
    assert_eq!(
        pod.container.as_ref().unwrap().label(),
        "pod shop/web-7d9f5c6b8-x2k4p"
    );

    // Worst first: the OOM-killed cgroups lead; the idle redis container is not ahead.
    let all = s.cgroups.as_ref().unwrap();
    assert!(
        all[0].memory.oom_kills.unwrap_or(0) > 0,
        "{:?}",
        all[0].path
    );
    assert!(
        !all.iter().any(|c| c.path == "/"),
        "the root cgroup is the host's figures"
    );

    let procs = s.processes.as_ref().unwrap();
    let worker = procs.iter().find(|p| p.pid == 1402).unwrap();
    assert_eq!(worker.cgroup.as_deref(), Some(nginx.path.as_str()));
    let wc = worker.container.as_ref().unwrap();
    assert_eq!(
        (wc.name.as_deref(), wc.pod.as_deref()),
        (Some("nginx"), Some("web-7d9f5c6b8-x2k4p"))
    );
    let kubelet = procs.iter().find(|p| p.pid == 812).unwrap();
    assert_eq!(kubelet.unit.as_deref(), Some("kubelet.service"));
    assert_eq!(kubelet.container, None);
    let redis = procs.iter().find(|p| p.pid == 1501).unwrap();
    assert_eq!(
        redis.container.as_ref().unwrap().namespace.as_deref(),
        Some("shop")
    );
}

#[test]
fn docker_host_names_containers_from_config() {
    let s = take("cgroups_docker");
    let db = cgroup(
        &s,
        "docker-7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b.scope",
    );
    let c = db.container.as_ref().unwrap();
    assert_eq!(
        (c.runtime.as_str(), c.name.as_deref()),
        ("docker", Some("db"))
    );
    assert_eq!(c.label(), "docker db");
    assert_eq!(db.memory.max_bytes, Some(2_147_483_648));
    assert_eq!(
        db.unit.as_deref(),
        Some("docker-7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b.scope")
    );
    let web = s
        .processes
        .as_ref()
        .unwrap()
        .iter()
        .find(|p| p.pid == 2002)
        .unwrap();
    assert_eq!(web.container.as_ref().unwrap().name.as_deref(), Some("web"));
    // db at 95% of its limit ranks above web at 37%.
    let order: Vec<_> = s
        .cgroups
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| c.label())
        .collect();
    assert_eq!(order[0], "docker db", "{order:?}");
}

#[test]
fn systemd_service_near_memory_max() {
    let s = take("cgroups_systemd");
    let svc = cgroup(&s, "/system.slice/report-gen.service");
    assert_eq!(svc.unit.as_deref(), Some("report-gen.service"));
    assert_eq!(svc.container, None);
    assert_eq!(svc.label(), "unit report-gen.service");
    assert_eq!(svc.memory.current_bytes, Some(2_093_796_556));
    assert_eq!(svc.memory.max_bytes, Some(2_147_483_648));
    assert_eq!(svc.memory.high_bytes, Some(1_932_735_283));
    assert_eq!(svc.pids.max, Some(4915));
    assert_eq!(svc.processes, 2);
    let session = s
        .processes
        .as_ref()
        .unwrap()
        .iter()
        .find(|p| p.pid == 4000)
        .unwrap();
    assert_eq!(session.unit.as_deref(), Some("session-3.scope"));
}

#[test]
fn v1_host_reads_every_hierarchy() {
    let s = take("cgroups_v1");
    let app = cgroup(
        &s,
        "/docker/b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6",
    );
    assert_eq!(app.version, 1);
    assert_eq!(
        app.container.as_ref().unwrap().label(),
        "docker billing-api"
    );
    assert_eq!(app.cpu.quota_cores, Some(2.0));
    assert_eq!(app.cpu.throttled_percent, Some(32.0));
    assert_eq!(app.cpu.throttled_seconds, Some(9500.0));
    assert_eq!(app.memory.max_bytes, Some(1_073_741_824));
    assert_eq!(app.memory.oom_kills, Some(1));
    assert_eq!(app.memory.swap_current_bytes, Some(20_000_000));
    assert_eq!(app.memory.high_bytes, None);
    assert_eq!((app.pids.current, app.pids.max), (Some(61), Some(1024)));
    assert!(app
        .dir_for("memory")
        .unwrap()
        .starts_with("/sys/fs/cgroup/memory/docker/"));
    assert!(app
        .dir_for("cpu")
        .unwrap()
        .starts_with("/sys/fs/cgroup/cpu/docker/"));
    // An unset v1 limit (a page-counter maximum) is no limit.
    let httpd = cgroup(&s, "/system.slice/httpd.service");
    assert_eq!(httpd.memory.max_bytes, None);
    assert_eq!(httpd.unit.as_deref(), Some("httpd.service"));
    let procs = s.processes.as_ref().unwrap();
    let java = procs.iter().find(|p| p.pid == 2500).unwrap();
    assert_eq!(
        java.cgroup.as_deref(),
        Some(app.path.as_str()),
        "v1: the memory hierarchy's path"
    );
    let h = procs.iter().find(|p| p.pid == 1200).unwrap();
    assert_eq!(h.unit.as_deref(), Some("httpd.service"));
}

#[test]
fn malformed_file_is_a_warning_naming_it() {
    let dir = scratch("cgroups_systemd");
    let bad = dir
        .path()
        .join("sys/fs/cgroup/system.slice/report-gen.service/memory.max");
    std::fs::write(&bad, "lots\n").unwrap();
    let s = snapshot(&HostRoot::new(dir.path()).unwrap(), &Options::default());
    let w: Vec<_> = s
        .warnings
        .iter()
        .filter(|w| w.collector == "cgroups")
        .collect();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].message.contains("report-gen.service/memory.max"),
        "{w:?}"
    );
    let svc = cgroup(&s, "/system.slice/report-gen.service");
    assert_eq!(svc.memory.max_bytes, None);
    assert_eq!(
        svc.memory.current_bytes,
        Some(2_093_796_556),
        "the rest is still read"
    );
}

#[test]
fn no_hierarchy_is_null_with_a_warning() {
    let s = take("healthy");
    assert_eq!(s.cgroups, None);
    assert!(s
        .warnings
        .iter()
        .any(|w| w.collector == "cgroups" && w.message.contains("no cgroup hierarchy")));
    // Processes still there, without cgroup attribution.
    assert!(s
        .processes
        .as_ref()
        .unwrap()
        .iter()
        .all(|p| p.cgroup.is_none()));
}

#[test]
fn kubernetes_cgroups_json() {
    let s = take("cgroups_k8s");
    insta::assert_json_snapshot!("k8s_cgroups", s.cgroups);
}

#[test]
fn findings_name_the_pod_then_the_cgroup() {
    let s = take("cgroups_k8s");
    let ids = |id: &str| s.findings.iter().filter(|f| f.id == id).collect::<Vec<_>>();
    // The pod slice and its nginx container hit the same limits: one finding each, the
    // container's.
    let thr = ids("cgroup_cpu_throttled");
    assert_eq!(thr.len(), 1, "{thr:#?}");
    assert!(
        thr[0].title.starts_with(
            "pod shop/web-7d9f5c6b8-x2k4p container nginx (cgroup cri-containerd-9d3b1f6e2c4a…"
        ),
        "{}",
        thr[0].title
    );
    assert!(
        thr[0]
            .title
            .ends_with("throttled 60% of periods (quota 0.5 CPU)"),
        "{}",
        thr[0].title
    );
    assert_eq!(thr[0].severity, triage_core::snapshot::Severity::Critical);
    assert_eq!(
        thr[0].vars.get("pod").map(String::as_str),
        Some("web-7d9f5c6b8-x2k4p")
    );
    assert_eq!(
        thr[0].vars.get("container_id").map(String::as_str),
        Some(NGINX)
    );
    let mem = ids("cgroup_memory_near_limit");
    assert_eq!(mem.len(), 1, "{mem:#?}");
    assert!(
        mem[0].title.contains("at 98% of its 256.0M memory limit")
            || mem[0].title.contains("of its 256"),
        "{}",
        mem[0].title
    );
    assert_eq!(
        mem[0].severity,
        triage_core::snapshot::Severity::Critical,
        "PSI memory 18.5%"
    );
    let oom = ids("cgroup_oom_kill");
    assert_eq!(oom.len(), 1, "{oom:#?}");
    assert!(
        oom[0].title.contains("2 process(es) OOM-killed"),
        "{}",
        oom[0].title
    );
    // No finding for the idle redis pod.
    assert!(
        !s.findings.iter().any(|f| f.title.contains("cart-")),
        "{:#?}",
        s.findings
    );

    let s = take("cgroups_systemd");
    let mem: Vec<_> = s
        .findings
        .iter()
        .filter(|f| f.id == "cgroup_memory_near_limit")
        .collect();
    assert_eq!(mem.len(), 1);
    assert!(
        mem[0].title.starts_with("unit report-gen.service at 97%"),
        "{}",
        mem[0].title
    );
    assert_eq!(
        mem[0].vars.get("unit").map(String::as_str),
        Some("report-gen.service")
    );

    let s = take("cgroups_v1");
    let thr: Vec<_> = s
        .findings
        .iter()
        .filter(|f| f.id == "cgroup_cpu_throttled")
        .collect();
    assert_eq!(thr.len(), 1, "{:#?}", s.findings);
    assert!(
        thr[0].title.starts_with("docker billing-api"),
        "{}",
        thr[0].title
    );
    assert!(
        thr[0].evidence[1].contains("/sys/fs/cgroup/cpu/docker/"),
        "{:?}",
        thr[0].evidence
    );
}

#[test]
fn kernel_memcg_oom_line_names_the_cgroup() {
    use triage_core::snapshot::KernelLogEntry;
    let mut s = take("cgroups_docker");
    let web = "/system.slice/docker-e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2.scope";
    let gone = "/system.slice/docker-0000000000000000000000000000000000000000000000000000000000000abc.scope";
    for memcg in [web, gone] {
        s.kernel_log.get_or_insert_with(Vec::new).push(KernelLogEntry {
            time: None,
            level: "err".into(),
            message: format!("oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg={memcg},task_memcg={memcg},task=nginx,pid=2002,uid=0"),
        });
    }
    let ctx = triage_core::findings::Context::for_snapshot(&s);
    let f = triage_core::findings::evaluate(&s, &ctx);
    let oom: Vec<_> = f.iter().filter(|f| f.id == "cgroup_oom_kill").collect();
    assert_eq!(oom.len(), 2, "{oom:#?}");
    assert!(
        oom.iter().any(|f| f
            .title
            .starts_with("docker web (cgroup docker-e1f2a3b4c5d6…")
            && f.title.contains("nginx (pid 2002) OOM-killed")),
        "{oom:#?}"
    );
    assert!(
        oom.iter()
            .any(|f| f.title.starts_with("docker 000000000000")),
        "{oom:#?}"
    );
    assert!(oom
        .iter()
        .all(|f| f.severity == triage_core::snapshot::Severity::Critical));
}

#[test]
fn kubernetes_markdown_section() {
    let s = take("cgroups_k8s");
    let mut out = Vec::new();
    triage_core::render::markdown::write(&s, &mut out).unwrap();
    let md = String::from_utf8(out).unwrap();
    let start = md.find("## Top processes by CPU").unwrap();
    let end = md.find("## Filesystems").unwrap();
    insta::assert_snapshot!("k8s_md", &md[start..end]);
}

/// A sosreport's `sys/fs/cgroup` can be huge: the walk stops at its caps (2,000 cgroups
/// per hierarchy, 8 levels), shallowest first, and a warning names each cap.
#[test]
fn a_huge_or_deep_tree_is_capped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("sys/fs/cgroup/memory");
    // 2,100 units at depth 2, and one chain 10 levels deep.
    for i in 0..2_100 {
        std::fs::create_dir_all(mem.join(format!("system.slice/u{i}.service"))).unwrap();
    }
    let mut deep = mem.join("machine.slice");
    for i in 0..10 {
        deep = deep.join(format!("l{i}"));
    }
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(mem.join("machine.slice/memory.usage_in_bytes"), "1048576\n").unwrap();
    let s = snapshot(&HostRoot::new(dir.path()).unwrap(), &Options::default());
    let warnings: Vec<&str> = s
        .warnings
        .iter()
        .filter(|w| w.collector == "cgroups")
        .map(|w| w.message.as_str())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("more than 2000 cgroups (the cap)")),
        "{warnings:?}"
    );
    assert!(s.cgroups.is_some(), "the section is produced: {warnings:?}");
    let deep_dir = tempfile::tempdir().unwrap();
    let mut chain = deep_dir.path().join("sys/fs/cgroup/memory");
    for i in 0..10 {
        chain = chain.join(format!("l{i}"));
    }
    std::fs::create_dir_all(&chain).unwrap();
    let s = snapshot(
        &HostRoot::new(deep_dir.path()).unwrap(),
        &Options::default(),
    );
    assert!(
        s.warnings.iter().any(|w| w.collector == "cgroups"
            && w.message
                .contains("1 cgroup(s) deeper than 8 levels (the cap) not read")),
        "{:?}",
        s.warnings
    );
}
