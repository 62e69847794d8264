//! The redaction corpus (`triage-core/tests/fixtures/redaction/corpus.toml`, ≥ 60
//! secrets, ≥ 20 harmless lines) through every output channel of the real binary: a real
//! process's argv in `snapshot --json`, the log tail of `snapshot --json` and `--md`,
//! `logs --json` and text, notes in `incident status` and `postmortem`, incident titles
//! in `incident list`, and a runbook check's output in `runbook run`.
//!
//! Per channel: leaks (a secret, or any 8 characters of it, visible with redaction on)
//! must be 0; false positives (a `***` in the output of the harmless lines) at most 1;
//! and the same input with `--no-redact` must show the secrets, so the channel really
//! carried them. The counts are printed (`-- --nocapture`) and quoted in the README.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde::Deserialize;

#[derive(Deserialize)]
struct Corpus {
    secret: Vec<Secret>,
    harmless: Vec<Harmless>,
}

#[derive(Deserialize)]
struct Secret {
    line: String,
    secrets: Vec<String>,
}

#[derive(Deserialize)]
struct Harmless {
    line: String,
}

fn corpus() -> Corpus {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../triage-core/tests/fixtures/redaction/corpus.toml");
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn triage(home: &Path, redact: bool) -> Command {
    let mut cmd = Command::new(crate::common::triage_bin());
    cmd.env("TRIAGE_HOME", home).env("NO_COLOR", "1");
    if !redact {
        cmd.arg("--no-redact");
    }
    cmd
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 2),
        "{:?}: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Any 8-character window of `secret` in `text` (Markdown escapes removed).
fn leaked(text: &str, secret: &str) -> bool {
    let chars: Vec<char> = secret.chars().collect();
    chars.windows(8.min(chars.len())).any(|w| {
        let w: String = w.iter().collect();
        text.contains(&w)
    })
}

/// What one channel shows for some corpus lines, with or without redaction.
type Show<'a> = dyn Fn(&[&str], bool) -> String + 'a;

struct Measured {
    leaks: Vec<String>,
    carried: usize,
    /// Lines whose secret does not reach the channel even with `--no-redact`.
    missing: Vec<String>,
    false_positives: Vec<String>,
}

fn measure(c: &Corpus, show: &Show<'_>, single_line_only: bool) -> Measured {
    let secrets: Vec<&Secret> = c
        .secret
        .iter()
        .filter(|s| !single_line_only || !s.line.contains('\n'))
        .collect();
    let lines: Vec<&str> = secrets.iter().map(|s| s.line.as_str()).collect();
    let clean = |t: String| t.replace('\\', "");
    let masked = clean(show(&lines, true));
    let raw = clean(show(&lines, false));
    let leaks = secrets
        .iter()
        .filter(|s| s.secrets.iter().any(|x| leaked(&masked, x)))
        .map(|s| s.line.clone())
        .collect();
    let missing: Vec<String> = secrets
        .iter()
        .filter(|s| !s.secrets.iter().all(|x| leaked(&raw, x)))
        .map(|s| s.line.clone())
        .collect();
    let carried = secrets.len() - missing.len();
    let harmless: Vec<&str> = c.harmless.iter().map(|h| h.line.as_str()).collect();
    let out = show(&harmless, true);
    let false_positives = out
        .lines()
        .filter(|l| l.contains("***"))
        .map(str::to_string)
        .collect();
    Measured {
        leaks,
        carried,
        missing,
        false_positives,
    }
}

/// Measure one channel and print its counts; the failed requirements, if any, come back
/// so a test can print every channel before it fails (the old redactor is measured with
/// `TRIAGE_BIN=` its binary: README, Security).
fn check(
    name: &str,
    c: &Corpus,
    show: &Show<'_>,
    single_line_only: bool,
    min_carried: usize,
) -> Vec<String> {
    let m = measure(c, show, single_line_only);
    let total = c
        .secret
        .iter()
        .filter(|s| !single_line_only || !s.line.contains('\n'))
        .count();
    println!(
        "channel {name}: {} leaked of {total} secrets ({} shown with --no-redact); {} false positives of {} harmless lines",
        m.leaks.len(),
        m.carried,
        m.false_positives.len(),
        c.harmless.len()
    );
    let mut failed = Vec::new();
    if !m.leaks.is_empty() {
        failed.push(format!("{name}: leaked:\n{}", m.leaks.join("\n")));
    }
    if m.false_positives.len() > 1 {
        let fp = m.false_positives.join("\n");
        failed.push(format!("{name}: over-masked:\n{fp}"));
    }
    if m.carried < min_carried {
        failed.push(format!(
            "{name}: only {} of {total} secrets reach this channel at all; missing:\n{}",
            m.carried,
            m.missing.join("\n")
        ));
    }
    failed
}

/// Fails with every channel's failed requirements (none: zero leaks, at most one false
/// positive, the secrets carried with `--no-redact`).
fn assert_all_hold(failed: Vec<String>) {
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

/// Real processes whose argv is a corpus line, killed on drop.
struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
fn process_list_masks_the_corpus() {
    let c = corpus();
    let home = tempfile::tempdir().unwrap();
    let show = |lines: &[&str], redact: bool| {
        let procs = Procs(
            lines
                .iter()
                .map(|l| {
                    Command::new("sh")
                        .args(["-c", "sleep 600; :"])
                        .args(l.split_whitespace())
                        .stdin(Stdio::null())
                        .spawn()
                        .unwrap()
                })
                .collect(),
        );
        let pids: Vec<u32> = procs.0.iter().map(Child::id).collect();
        // A loaded machine (six engineers' builds) can push the process collector past
        // its default 2 s deadline: give it more.
        let json =
            stdout(triage(home.path(), redact).args(["snapshot", "--json", "--timeout", "30s"]));
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let procs = v["processes"].as_array();
        let procs = procs.unwrap_or_else(|| panic!("no process list: {}", v["warnings"]));
        let mut out = String::new();
        for p in procs {
            if pids.iter().any(|pid| p["pid"] == *pid) {
                out.push_str(p["command"].as_str().unwrap_or_default());
                out.push('\n');
            }
        }
        out
    };
    let n = c.secret.iter().filter(|s| !s.line.contains('\n')).count();
    assert_all_hold(check("process list (snapshot --json)", &c, &show, true, n));
}

/// A copy of the healthy fixture whose syslog holds `lines`.
fn tree_with_syslog(dir: &Path, lines: &[&str]) {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../triage-core/tests/fixtures/healthy");
    crate::common::copy_tree(&fixture, dir);
    let mut log = String::new();
    for (i, entry) in lines.iter().enumerate() {
        for l in entry.lines() {
            if l.starts_with("Nov ") {
                log.push_str(l);
            } else {
                log.push_str(&format!(
                    "Nov 30 10:{:02}:{:02} web1 app[77]: {l}",
                    i / 60,
                    i % 60
                ));
            }
            log.push('\n');
        }
    }
    std::fs::create_dir_all(dir.join("var/log")).unwrap();
    std::fs::write(dir.join("var/log/syslog"), log).unwrap();
}

/// `show` over chunks of corpus entries of at most `lines` lines in all (a snapshot
/// keeps the last lines only).
fn chunked(entries: &[&str], lines: usize, show: impl Fn(&[&str]) -> String) -> String {
    let mut out = String::new();
    let mut start = 0;
    while start < entries.len() {
        let mut end = start;
        let mut n = 0;
        while end < entries.len() && (end == start || n + entries[end].lines().count() <= lines) {
            n += entries[end].lines().count();
            end += 1;
        }
        out.push_str(&show(&entries[start..end]));
        out.push('\n');
        start = end;
    }
    out
}

#[test]
fn snapshot_log_tail_masks_the_corpus() {
    let c = corpus();
    let tmp = tempfile::tempdir().unwrap();
    let run = |lines: &[&str], redact: bool, md: bool| {
        let root = tempfile::tempdir_in(tmp.path()).unwrap();
        tree_with_syslog(root.path(), lines);
        let format = if md { "--md" } else { "--json" };
        let out = stdout(
            triage(tmp.path(), redact)
                .args(["snapshot", format, "--root"])
                .arg(root.path()),
        );
        if md {
            let start = out.find("## Log tail").unwrap_or(0);
            return out[start..].to_string();
        }
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let tail = v["log_tail"].as_array().cloned().unwrap_or_default();
        tail.iter()
            .map(|e| e["message"].as_str().unwrap_or_default().to_string() + "\n")
            .collect()
    };
    let n = c.secret.len();
    let json = |l: &[&str], r: bool| chunked(l, 45, |ch| run(ch, r, false));
    let mut failed = check("log tail (snapshot --json)", &c, &json, false, n);
    let md = |l: &[&str], r: bool| chunked(l, 14, |ch| run(ch, r, true));
    failed.extend(check("log tail (snapshot --md)", &c, &md, false, n));
    assert_all_hold(failed);
}

#[test]
fn logs_masks_the_corpus() {
    let c = corpus();
    let tmp = tempfile::tempdir().unwrap();
    let run = |lines: &[&str], redact: bool, json: bool| {
        let root = tempfile::tempdir_in(tmp.path()).unwrap();
        tree_with_syslog(root.path(), lines);
        let mut cmd = triage(tmp.path(), redact);
        cmd.args(["logs", "--since", "3650d", "-n", "10000", "--root"])
            .arg(root.path());
        if json {
            cmd.arg("--json");
            let v: serde_json::Value = serde_json::from_str(&stdout(&mut cmd)).unwrap();
            let entries = v["entries"].as_array().cloned().unwrap_or_default();
            return entries
                .iter()
                .map(|e| e["message"].as_str().unwrap_or_default().to_string() + "\n")
                .collect();
        }
        stdout(&mut cmd)
    };
    let n = c.secret.len();
    let json = |l: &[&str], r: bool| run(l, r, true);
    let mut failed = check("triage logs --json", &c, &json, false, n);
    let text = |l: &[&str], r: bool| run(l, r, false);
    failed.extend(check("triage logs", &c, &text, false, n));
    assert_all_hold(failed);
}

#[test]
fn incident_status_list_and_postmortem_mask_the_corpus() {
    let c = corpus();
    let tmp = tempfile::tempdir().unwrap();
    // One incident whose notes are the lines; `what` picks the command that shows it.
    let notes = |lines: &[&str], redact: bool, what: &[&str]| {
        let home = tempfile::tempdir_in(tmp.path()).unwrap();
        stdout(triage(home.path(), true).args(["incident", "start", "--title", "disk full"]));
        for l in lines {
            stdout(triage(home.path(), true).args(["note", "--", l]));
        }
        stdout(triage(home.path(), redact).args(what))
    };
    let n = c.secret.len();
    // `incident status` shows the last 8 events: 6 notes per incident.
    let status = |l: &[&str], r: bool| {
        l.chunks(6)
            .map(|ch| notes(ch, r, &["incident", "status"]))
            .collect::<String>()
    };
    let mut failed = check("incident status", &c, &status, false, n);
    let pm = |l: &[&str], r: bool| notes(l, r, &["postmortem"]);
    failed.extend(check("postmortem", &c, &pm, false, n));
    // `incident list`: one incident per line, titled with it (clipped to 30 columns),
    // written through the library (`incident start` would take a snapshot each time).
    let list = |lines: &[&str], redact: bool| {
        let home = tempfile::tempdir_in(tmp.path()).unwrap();
        let store = triage_core::incident::Store::new(home.path());
        for l in lines {
            let (inc, _) = store.start(&l.replace('\n', " "), "web1").unwrap();
            inc.append(triage_core::incident::journal::EventBody::Closed { summary: None })
                .unwrap();
        }
        stdout(triage(home.path(), redact).args(["incident", "list"]))
    };
    failed.extend(check("incident list", &c, &list, false, 20));
    assert_all_hold(failed);
}

#[test]
fn runbook_run_output_masks_the_corpus() {
    let c = corpus();
    let tmp = tempfile::tempdir().unwrap();
    let run = |lines: &[&str], redact: bool| {
        let home = tempfile::tempdir_in(tmp.path()).unwrap();
        let data = home.path().join("lines.txt");
        std::fs::write(&data, lines.join("\n") + "\n").unwrap();
        std::fs::create_dir(home.path().join("runbooks")).unwrap();
        let rb = format!(
            "id = \"leaky\"\ntitle = \"Leaky\"\ntriggers = [\"disk_almost_full\"]\n\n[[step]]\ntitle = \"Look\"\ncheck = \"cat {}\"\n",
            data.display()
        );
        std::fs::write(home.path().join("runbooks/leaky.toml"), rb).unwrap();
        let mut cmd = triage(home.path(), redact);
        cmd.args(["runbook", "run", "leaky"]).stdin(Stdio::null());
        stdout(&mut cmd)
    };
    assert_all_hold(check("runbook run", &c, &run, false, c.secret.len()));
}
