//! Make a fleet of snapshot files for measuring `triage fleet`: one real snapshot of this
//! host, copied N times with a host name, load, memory, findings and recent changes of
//! its own, and padded to P processes (a busy server has a few hundred).
//!
//! ```text
//! cargo run --release -p triage-core --example fleet_gen -- DIR [N=5000] [P=300]
//! /usr/bin/time -v target/release/triage fleet DIR --json >/dev/null
//! ```

use std::path::PathBuf;

use triage_core::collect::{self, Options};
use triage_core::snapshot::{Change, Finding, Severity, Time};
use triage_core::HostRoot;

/// A small deterministic generator (xorshift), so two runs make the same fleet.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn change(at: Time, kind: &str, summary: String) -> Change {
    Change {
        time: at,
        kind: kind.into(),
        summary,
        source: "/var/log/dpkg.log".into(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: fleet_gen DIR [N] [PROCESSES]")?);
    let n: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(5000);
    let procs: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(300);
    std::fs::create_dir_all(&dir)?;
    let base = collect::snapshot(&HostRoot::live(), &Options::default());
    let mut rng = Rng(0x5eed_f1ee7);
    let ids = [
        ("oom_kill", Severity::Critical),
        ("disk_almost_full", Severity::Critical),
        ("load_high", Severity::Warning),
        ("memory_pressure", Severity::Warning),
        ("zombie_processes", Severity::Warning),
        ("service_failed", Severity::Warning),
        ("clock_unsynced", Severity::Info),
    ];
    let mut bytes = 0u64;
    for i in 0..n {
        let mut s = base.clone();
        let name = format!("host-{i:05}");
        if let Some(h) = s.host.as_mut() {
            h.hostname = name.clone();
        }
        if let Some(l) = s.load.as_mut() {
            l.one = rng.below(1600) as f64 / 100.0;
        }
        if let Some(m) = s.memory.as_mut() {
            m.used_bytes = m.total_bytes / 100 * (20 + rng.below(80));
        }
        let mut list = s.processes.take().unwrap_or_default();
        let template = list.first().cloned();
        while let Some(p) = template.clone().filter(|_| list.len() < procs) {
            let mut p = p;
            p.pid = 10_000 + list.len() as i32;
            p.cpu_percent = rng.below(2000) as f64 / 10.0;
            p.command = format!("/usr/bin/worker --id {} --queue jobs-{}", p.pid, i % 17);
            list.push(p);
        }
        s.processes = Some(list);
        s.findings = (0..rng.below(4))
            .map(|_| {
                let (id, sev) = ids[rng.below(ids.len() as u64) as usize];
                Finding::new(id, sev, format!("{id} on {name}")).evidence("generated")
            })
            .collect();
        s.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let at = s.collected_at;
        let mut changes = s.recent_changes.take().unwrap_or_default();
        if i % 10 == 0 {
            changes.push(change(
                at - chrono::Duration::hours(2),
                "package",
                "upgraded nginx 1.22.1-9 → 1.22.1-9+deb12u1".into(),
            ));
        }
        changes.push(change(
            at - chrono::Duration::hours(1 + rng.below(40) as i64),
            "package",
            format!(
                "upgraded libfoo{} 1.{} → 1.{}",
                rng.below(50),
                i % 7,
                i % 7 + 1
            ),
        ));
        s.recent_changes = Some(changes);
        let mut out = Vec::with_capacity(256 * 1024);
        triage_core::render::json::write(&s, &mut out)?;
        bytes += out.len() as u64;
        std::fs::write(dir.join(format!("{name}.json")), out)?;
    }
    println!(
        "{n} snapshots, {procs} processes each, {} MB in {}",
        bytes / 1_000_000,
        dir.display()
    );
    Ok(())
}
