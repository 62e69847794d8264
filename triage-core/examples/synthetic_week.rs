//! Fill a history directory with a synthetic week (one sample every 10 minutes ending
//! now: load 1.0 ± 0.1, 2 GiB used of 8 GiB, PSI io 0.5), to try `triage history
//! --compare` and the TUI's sparklines without waiting a week.
//!
//! `cargo run -p triage-core --example synthetic_week DIR`

use chrono::Duration;
use triage_core::history::sample::{CpuUse, LoadAvg, MemUse, Psi, TopProcess};
use triage_core::history::{self, store::SegmentWriter, Sample};

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: synthetic_week DIR");
        std::process::exit(2);
    };
    if let Err(e) = triage_core::fsutil::create_dir_all(dir.as_ref(), 0o750) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    let now = triage_core::snapshot::now();
    let mut writer = SegmentWriter::new(&dir);
    let mut t = now - Duration::days(7);
    let mut i = 0u32;
    while t < now - Duration::minutes(5) {
        let wobble = [0.9, 1.0, 1.1][(i % 3) as usize];
        let s = Sample {
            time: t.timestamp(),
            utc_offset: t.offset().local_minus_utc(),
            interval_s: 600.0,
            load: Some(LoadAvg {
                one: wobble,
                five: 1.0,
                fifteen: 1.0,
            }),
            cpu: Some(CpuUse {
                usage_percent: 10.0 * wobble,
                iowait_percent: 0.5,
                steal_percent: 0.0,
            }),
            memory: Some(MemUse {
                total_bytes: 8 << 30,
                available_bytes: 6 << 30,
                swap_total_bytes: 1 << 30,
                swap_used_bytes: 0,
            }),
            pressure: Psi {
                cpu: Some(1.0),
                memory: Some(0.0),
                io: Some(0.5),
                ..Psi::default()
            },
            top: vec![TopProcess {
                pid: 1234,
                command: "/usr/sbin/nginx -g daemon off;".into(),
                cpu_percent: 8.0 * wobble,
                rss_bytes: 200 << 20,
            }],
            ..Sample::default()
        };
        let date = t.naive_utc().date();
        let written = history::encode(&s).and_then(|p| writer.append(date, &p));
        if let Err(e) = written {
            eprintln!("{e}");
            std::process::exit(1);
        }
        t += Duration::minutes(10);
        i += 1;
    }
    println!("{i} samples written to {dir}");
}
