//! Process table from saved `ps aux` output, for trees without pid directories (an
//! unpacked sosreport keeps `sos_commands/process/ps_auxwww`). Columns as in `ps(1)`'s
//! BSD "u" format: USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND. `%CPU` there is
//! the lifetime average; ppid and threads are not in this format.

use std::collections::HashMap;

use crate::snapshot::Process;

/// Where sosreport (and older sosreport versions) save `ps aux`.
pub(crate) const PS_AUX_FILES: &[&str] = &[
    "sos_commands/process/ps_auxwww",
    "sos_commands/process/ps_auxwwwm",
    "sos_commands/process/ps_auxww",
    "sos_commands/process/ps_aux",
    "ps",
];

/// Parse `ps aux` output. Lines before the header and lines that do not have the column
/// shape are skipped; the count of skipped lines is returned too.
///
/// `ps auxm` (sos's default `ps_auxwwwm`) prints each process with `-` as its state and
/// one row per thread after it (`-` as PID, the thread's state in STAT): the threads are
/// counted, and the process takes its main thread's state, or `D` when any thread waits
/// in `D` (one thread stuck in I/O is what the D-state rules look for).
pub(crate) fn parse_ps_aux(text: &str) -> (Vec<Process>, usize) {
    let mut out: Vec<Process> = Vec::new();
    let mut skipped = 0;
    let mut seen_header = false;
    for line in text.lines() {
        if !seen_header {
            seen_header = line.split_whitespace().take(2).eq(["USER", "PID"]);
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() >= 8 && fields[1] == "-" {
            // A thread row of `ps auxm`.
            if let Some(p) = out.last_mut() {
                let state = fields[7]
                    .chars()
                    .next()
                    .map(String::from)
                    .unwrap_or_default();
                if p.threads == 0 || (state == "D" && p.state != "D") {
                    p.state = state;
                }
                p.threads += 1;
                continue;
            }
        }
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
        let state = match fields[7] {
            "-" => String::new(),
            s => s.chars().next().map(String::from).unwrap_or_default(),
        };
        out.push(Process {
            pid,
            ppid: 0,
            user: Some(fields[0].to_string()),
            state,
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

/// The `cgroup` column of `ps -o cgroup`: the lines of `/proc/PID/cgroup` joined by
/// commas (`10:devices:/init.scope,3:cpu,cpuacct:/init.scope,0::/init.scope`; a comma
/// also separates controllers, so a new entry starts only where `N:` follows).
pub(crate) fn cgroup_column(text: &str) -> Option<super::cgroups::ProcCgroups> {
    if text == "-" || text.is_empty() {
        return None;
    }
    let mut lines: Vec<String> = Vec::new();
    for piece in text.split(',') {
        let starts_entry = piece
            .split_once(':')
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        match lines.last_mut() {
            Some(last) if !starts_entry => {
                last.push(',');
                last.push_str(piece);
            }
            _ => lines.push(piece.to_string()),
        }
    }
    super::cgroups::proc_cgroup(&lines.join("\n")).ok()
}

/// Richer `ps -o`/`ps l` captures sosreport keeps next to `ps aux` (file name prefixes
/// under `sos_commands/process/`), by what they add: state, ppid and the full start time
/// (`lstart`, with the year); ppid and thread counts (`nlwp`); state and ppid.
pub(crate) const PS_O_PREFIXES: &[&str] = &[
    "ps_axo_flags_state_",
    "ps_axo_pid_ppid_user_group_lwp_nlwp_",
    "ps_alxwww",
];

/// One row of a `ps -o`/`ps l` table by header name. `STARTED` (`lstart`) spans five
/// words; the last column takes the rest of the line.
pub(crate) fn parse_table(text: &str) -> Vec<HashMap<String, String>> {
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let names: Vec<&str> = header.split_whitespace().collect();
    let mut rows = Vec::new();
    for line in lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        let mut row = HashMap::new();
        let mut i = 0;
        for (k, name) in names.iter().enumerate() {
            if k + 1 == names.len() {
                row.insert(
                    name.to_string(),
                    rest_after_fields(line, i).trim_end().to_string(),
                );
                break;
            }
            let n = if *name == "STARTED" { 5 } else { 1 };
            let Some(v) = words.get(i..i + n) else {
                break;
            };
            row.insert(name.to_string(), v.join(" "));
            i += n;
        }
        if row.len() == names.len() {
            rows.push(row);
        }
    }
    rows
}

/// Add to `procs` what a `ps -o` table knows: parent pid, state where `ps aux` left it
/// blank, threads where it did not count them, start time (`lstart`, read in `offset`).
/// Returns how many processes it matched.
pub(crate) fn enrich(procs: &mut [Process], text: &str, offset: chrono::FixedOffset) -> usize {
    use chrono::TimeZone;
    let rows = parse_table(text);
    let by_pid: HashMap<i32, &HashMap<String, String>> = rows
        .iter()
        .filter_map(|r| Some((r.get("PID")?.parse().ok()?, r)))
        .collect();
    let mut matched = 0;
    for p in procs.iter_mut() {
        let Some(row) = by_pid.get(&p.pid) else {
            continue;
        };
        matched += 1;
        if let Some(ppid) = row.get("PPID").and_then(|v| v.parse().ok()) {
            p.ppid = ppid;
        }
        let state = row.get("S").or_else(|| row.get("STAT"));
        if let Some(s) = state
            .and_then(|s| s.chars().next())
            .filter(|c| c.is_ascii_alphabetic())
        {
            if p.state.is_empty() {
                p.state = s.to_string();
            }
        }
        if let Some(n) = row.get("NLWP").and_then(|v| v.parse::<u64>().ok()) {
            if p.threads == 0 {
                p.threads = n;
            }
        }
        if let Some(c) = row.get("CGROUP").and_then(|v| cgroup_column(v)) {
            if p.cgroup.is_none() {
                p.cgroup = c.key().map(str::to_string);
            }
        }
        if let Some(t) = row
            .get("STARTED")
            .and_then(|v| chrono::NaiveDateTime::parse_from_str(v, "%a %b %e %H:%M:%S %Y").ok())
        {
            p.started_at = offset.from_local_datetime(&t).single();
        }
    }
    matched
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
    fn ps_auxm_thread_rows_count_and_a_d_thread_wins() {
        let text = "USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND\nroot 10 0.0 0.1 1000 900 ? - Feb09 0:01 /usr/bin/app -x\nroot - 0.0 - - - - Ssl Feb09 0:01 -\nroot - 0.0 - - - - D Feb09 0:00 -\nroot - 0.0 - - - - S Feb09 0:00 -\nroot 11 0.0 0.0 0 0 ? - Feb09 0:00 [kworker/0:1]\nroot - 0.0 - - - - I< Feb09 0:00 -\n";
        let (ps, skipped) = parse_ps_aux(text);
        assert_eq!(skipped, 0);
        assert_eq!(ps.len(), 2);
        assert_eq!((ps[0].threads, ps[0].state.as_str()), (3, "D"));
        assert_eq!((ps[1].threads, ps[1].state.as_str()), (1, "I"));
    }

    #[test]
    fn cgroup_column_of_ps_o() {
        // hotsos openstack ps_axo_pid_ppid_user_group_lwp_nlwp_start_time_comm_cgroup, pid 1.
        let v1 = "10:devices:/init.scope,6:memory:/init.scope,5:pids:/init.scope,4:blkio:/init.scope,3:cpu,cpuacct:/init.scope,1:name=systemd:/init.scope,0::/init.scope";
        assert_eq!(cgroup_column(v1).unwrap().key(), Some("/init.scope"));
        let v2 = "0::/system.slice/multipathd.service";
        assert_eq!(
            cgroup_column(v2).unwrap().key(),
            Some("/system.slice/multipathd.service")
        );
        assert!(cgroup_column("-").is_none());
    }

    #[test]
    fn ps_o_table_with_lstart() {
        let text = "F S   UID     PID    PPID CLS WCHAN                                 STARTED TT           TIME CMD\n4 S     0     420       1  RR futex_wait_queue     Wed May 14 04:21:56 2025 ?        00:00:03 /sbin/multipathd -d -s\nshort\n";
        let rows = parse_table(text);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["STARTED"], "Wed May 14 04:21:56 2025");
        assert_eq!(rows[0]["CMD"], "/sbin/multipathd -d -s");
        assert_eq!(rows[0]["PPID"], "1");
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
