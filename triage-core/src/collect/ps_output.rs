//! Process table from saved `ps aux` output, for trees without pid directories (an
//! unpacked sosreport keeps `sos_commands/process/ps_auxwww`). Columns as in `ps(1)`'s
//! BSD "u" format: USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND. `%CPU` there is
//! the lifetime average; ppid and threads are not in this format.

use crate::snapshot::Process;

/// Where sosreport (and older sosreport versions) save `ps aux`.
pub const PS_AUX_FILES: &[&str] = &[
    "sos_commands/process/ps_auxwww",
    "sos_commands/process/ps_auxwwwm",
    "sos_commands/process/ps_auxww",
    "sos_commands/process/ps_aux",
    "ps",
];

/// Parse `ps aux` output. Lines before the header and lines that do not have the column
/// shape are skipped; the count of skipped lines is returned too.
pub fn parse_ps_aux(text: &str) -> (Vec<Process>, usize) {
    let mut out = Vec::new();
    let mut skipped = 0;
    let mut seen_header = false;
    for line in text.lines() {
        if !seen_header {
            seen_header = line.split_whitespace().take(2).eq(["USER", "PID"]);
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 11 {
            skipped += usize::from(!line.trim().is_empty());
            continue;
        }
        let (Ok(pid), Ok(cpu), Ok(rss_kb)) = (
            fields[1].parse::<i32>(),
            fields[2].parse::<f64>(),
            fields[5].parse::<u64>(),
        ) else {
            skipped += 1;
            continue;
        };
        // COMMAND keeps its inner spacing: take the rest of the line after 10 fields.
        let command = rest_after_fields(line, 10).trim_end().to_string();
        let name = command
            .split_whitespace()
            .next()
            .map(|c| c.trim_start_matches('[').trim_end_matches(']'))
            .and_then(|c| c.rsplit('/').next())
            .unwrap_or_default()
            .trim_end_matches(':')
            .to_string();
        out.push(Process {
            pid,
            ppid: 0,
            user: Some(fields[0].to_string()),
            state: fields[7]
                .chars()
                .next()
                .map(String::from)
                .unwrap_or_default(),
            cpu_percent: cpu,
            rss_bytes: rss_kb * 1024,
            threads: 0,
            started_at: None,
            command,
            name,
            uid: None,
            previous_state: None,
            cgroup: None,
            unit: None,
            container: None,
        });
    }
    (out, skipped)
}

fn rest_after_fields(line: &str, n: usize) -> &str {
    let mut rest = line.trim_start();
    for _ in 0..n {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = rest[end..].trim_start();
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ps_aux() {
        let text = "junk before\nUSER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND\nroot 1 0.0 0.1 171800 13000 ? Ss Nov20 0:12 /usr/lib/systemd/systemd  --system\npostgres 2211 97.5 12.0 4500000 980000 ? Rs 09:14 55:01 postgres: app appdb SELECT\nbroken line\n";
        let (ps, skipped) = parse_ps_aux(text);
        assert_eq!(ps.len(), 2);
        assert_eq!(skipped, 1);
        assert_eq!(ps[0].command, "/usr/lib/systemd/systemd  --system");
        assert_eq!(ps[0].name, "systemd");
        assert_eq!(ps[1].state, "R");
        assert_eq!(ps[1].cpu_percent, 97.5);
        assert_eq!(ps[1].rss_bytes, 980_000 * 1024);
        assert_eq!(ps[1].name, "postgres");
    }

    #[test]
    fn real_insights_core_samples() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/data/insights-core");
        if !dir.is_dir() {
            eprintln!("skipped: {} not present", dir.display());
            return;
        }
        for name in ["ps_aux.txt", "ps_auxww.txt", "ps_auxwww.txt"] {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            let (ps, _) = parse_ps_aux(&text);
            assert!(!ps.is_empty(), "{name}: no processes parsed");
            assert!(
                ps.iter().all(|p| p.pid > 0 && !p.command.is_empty()),
                "{name}"
            );
        }
    }
}
