//! Supporting information: key figures (load, CPU, memory, swap, the fullest disk) from
//! the first and last snapshots saved during the incident (`snapshots/*.json`), and the
//! list of those files.

use super::model::Facts;
use super::sections::time;
use super::text::fill;
use super::Lang;
use crate::render::markdown::cell;
use crate::render::{human_bytes, percent};
use crate::snapshot::Snapshot;

fn figures(s: &Snapshot, disk_mount: Option<&str>) -> [String; 5] {
    let na = || "?".to_string();
    let load = s.load.as_ref().map_or_else(na, |l| {
        format!("{:.2} / {:.2} / {:.2}", l.one, l.five, l.fifteen)
    });
    let cpu = s.cpu.as_ref().map_or_else(na, |c| {
        format!("{:.0}% / {:.0}%", c.usage_percent, c.iowait_percent)
    });
    let mem = s.memory.as_ref().map_or_else(na, |m| {
        format!(
            "{} / {} ({:.0}%)",
            human_bytes(m.used_bytes),
            human_bytes(m.total_bytes),
            percent(m.used_bytes, m.total_bytes)
        )
    });
    let swap = s.memory.as_ref().map_or_else(na, |m| {
        let used = m.swap_total_bytes.saturating_sub(m.swap_free_bytes);
        format!(
            "{} / {}",
            human_bytes(used),
            human_bytes(m.swap_total_bytes)
        )
    });
    let disk = disk_mount
        .and_then(|mount| {
            s.filesystems
                .iter()
                .flatten()
                .find(|fs| fs.mount_point == mount)
        })
        .map_or_else(na, |fs| {
            format!(
                "{} {:.0}% ({} / {})",
                fs.mount_point,
                percent(fs.used_bytes, fs.size_bytes),
                human_bytes(fs.used_bytes),
                human_bytes(fs.size_bytes)
            )
        });
    [load, cpu, mem, swap, disk]
}

/// Key figures at detection and at close, and the saved snapshot files.
pub fn supporting(f: &Facts, lang: Lang) -> String {
    let t = lang.text();
    let mut out = Vec::new();
    match (&f.first_snapshot, &f.last_snapshot) {
        (Some(first), Some(last)) => {
            let fullest = first
                .filesystems
                .iter()
                .flatten()
                .max_by(|a, b| {
                    percent(a.used_bytes, a.size_bytes)
                        .total_cmp(&percent(b.used_bytes, b.size_bytes))
                })
                .map(|fs| fs.mount_point.as_str());
            let single = f.single_snapshot();
            let last_time = if single {
                "—".to_string()
            } else {
                time(&last.collected_at)
            };
            out.push(fill(
                t.figures_head,
                &[("first", &time(&first.collected_at)), ("last", &last_time)],
            ));
            let a = figures(first, fullest);
            let b = figures(last, fullest);
            let names = [t.load, t.cpu, t.memory, t.swap, t.disk];
            for (i, name) in names.iter().enumerate() {
                let later = if single { t.no_later } else { b[i].as_str() };
                out.push(format!("| {name} | {} | {} |", cell(&a[i]), cell(later)));
            }
        }
        _ => out.push(t.no_snapshot.to_string()),
    }
    if !f.snapshot_files.is_empty() {
        out.push(String::new());
        out.push(fill(t.snapshots, &[("id", &f.id)]));
        out.push(String::new());
        for file in &f.snapshot_files {
            out.push(format!("- [{file}]({file})"));
        }
    }
    out.join("\n")
}
