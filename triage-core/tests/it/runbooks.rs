//! The runbook validator on good and broken files (exact `FILE:LINE: message` output), the
//! loader, and the repository's own runbooks.

use std::path::{Path, PathBuf};

use triage_core::runbook::{self, check_dir, load_dir};

fn fixtures(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/runbooks")
        .join(name)
}

#[test]
fn broken_files_give_exact_file_line_messages() {
    let dir = fixtures("broken");
    let got: Vec<String> = check_dir(&dir).iter().map(ToString::to_string).collect();
    let d = dir.display();
    let expected = vec![
        format!("{d}/a_syntax.toml:5: TOML syntax: missing comma between array elements, expected `,`"),
        format!("{d}/b_unknown_keys.toml:2: unknown key \"tittle\" (expected one of: id, title, triggers, applies_to, vars, step)"),
        format!("{d}/b_unknown_keys.toml:7: unknown key \"comand\" in [[step]] (expected one of: title, explain, check, fix, rollback, expect, timeout_seconds)"),
        format!("{d}/c_semantics.toml:3: unknown finding id \"disk_full\" in triggers"),
        format!("{d}/c_semantics.toml:6: variable name \"Bad\" in [vars] may hold only lowercase letters, digits and \"_\""),
        format!("{d}/c_semantics.toml:11: step 1 (\"Both\"): has both check and fix; a step is exactly one of them"),
        format!("{d}/c_semantics.toml:13: step 2 (\"Neither\"): has neither check nor fix; a step needs exactly one"),
        format!("{d}/c_semantics.toml:19: step 3 (\"Unknown variable\"): unknown variable {{mnt}} in check (known: pid, process, user, mount, device, port, unit, path, host, cgroup, cgroup_dir, runtime, container, container_id, pod, namespace, Bad; declare others in [vars], or write {{{{mnt}}}} for a literal)"),
        format!("{d}/c_semantics.toml:23: step 4 (\"Quoted variable\"): {{mount}} in check stands inside quotes; triage quotes values itself, remove the quotes around it"),
        format!("{d}/c_semantics.toml:28: step 5 (\"Rollback on a check\"): rollback on a check step; only a fix has a rollback"),
        format!("{d}/c_semantics.toml:29: step 5 (\"Rollback on a check\"): timeout_seconds must be 1 to 3600"),
        format!("{d}/d_types.toml:3: invalid type: string \"oom_kill\", expected a sequence"),
        format!("{d}/e_empty.toml:1: id is empty"),
        format!("{d}/e_empty.toml:1: no [[step]]: a runbook needs at least one step"),
        format!("{d}/e_empty.toml:2: title is empty"),
        format!("{d}/g_dup_two.toml:1: duplicate id \"dup\" (also in {d}/f_dup_one.toml)"),
        format!("{d}/inventory.toml:3: dependency \"db.example\" is not host:port"),
    ];
    assert_eq!(got, expected);
}

#[test]
fn good_files_load_with_every_field() {
    let dir = fixtures("good");
    assert!(check_dir(&dir).is_empty());
    let lib = load_dir(&dir);
    assert!(lib.errors.is_empty(), "{:?}", lib.errors);
    assert_eq!(lib.runbooks.len(), 1, "inventory.toml is not a runbook");
    let rb = &lib.runbooks[0];
    assert_eq!(rb.id, "disk_custom");
    assert_eq!(rb.applies_to, vec!["web".to_string()]);
    assert_eq!(rb.vars.get("keep").map(String::as_str), Some("1G"));
    assert_eq!(rb.origin, dir.join("disk.toml").display().to_string());
    assert_eq!(rb.steps.len(), 2);
    assert!(!rb.steps[0].is_fix());
    assert_eq!(rb.steps[0].expect.as_deref(), Some("below 90%"));
    assert!(rb.steps[1].is_fix());
    assert_eq!(rb.steps[1].rollback.as_deref(), Some("none"));
    assert_eq!(rb.steps[1].timeout_seconds, Some(60));
}

#[test]
fn a_broken_dir_loads_what_is_valid() {
    let lib = load_dir(&fixtures("broken"));
    let ids: Vec<&str> = lib.runbooks.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, vec!["dup"]);
    assert_eq!(lib.runbooks[0].title, "First");
    // Inventory problems are not runbook load errors.
    assert_eq!(lib.errors.len(), 16, "{:#?}", lib.errors);
}

#[test]
fn the_repository_runbooks_are_valid_and_embedded() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runbooks");
    let diags = check_dir(&repo);
    assert!(diags.is_empty(), "{diags:#?}");
    let from_disk = load_dir(&repo);
    let embedded = runbook::load::load_from(true, &[]);
    let ids = |l: &runbook::Library| -> Vec<String> {
        let mut v: Vec<String> = l.runbooks.iter().map(|r| r.id.clone()).collect();
        v.sort();
        v
    };
    assert_eq!(ids(&from_disk), ids(&embedded));
    assert!(from_disk.runbooks.len() >= 8);
    for rb in &embedded.runbooks {
        assert!(
            rb.steps.iter().any(|s| !s.is_fix()),
            "{} has no check",
            rb.id
        );
        for t in &rb.triggers {
            assert!(runbook::KNOWN_FINDING_IDS.contains(&t.as_str()));
        }
    }
    // Every finding id of DESIGN.md's list has a runbook, except those with no useful
    // generic checks.
    let covered: Vec<&str> = embedded
        .runbooks
        .iter()
        .flat_map(|r| r.triggers.iter().map(String::as_str))
        .collect();
    for id in [
        "oom_kill",
        "disk_almost_full",
        "load_high",
        "memory_pressure",
        "zombie_processes",
        "hung_task",
        "io_error",
        "fs_error",
        "conntrack_full",
        "syn_flood",
        "service_failed",
        "listener_gone",
    ] {
        assert!(covered.contains(&id), "no runbook for {id}");
    }
}

#[test]
fn matching_uses_triggers_and_role() {
    use triage_core::snapshot::{Finding, Severity};
    let lib = load_dir(&fixtures("good"));
    let f = vec![Finding::new("disk_almost_full", Severity::Warning, "/ 95%").var("mount", "/")];
    assert_eq!(lib.matching(&f, Some("web")).len(), 1);
    assert!(lib.matching(&f, Some("db")).is_empty());
    assert!(lib.matching(&f, None).is_empty());
    let rb = lib.matching(&f, Some("web"))[0].0;
    let cmd = runbook::render_command(
        rb.steps[0].check.as_deref().unwrap(),
        &f[0],
        &Default::default(),
    );
    assert_eq!(cmd.unwrap(), "df -h / | awk '{print $5}'");
}

#[test]
fn odd_files_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("a_empty.toml"), "").unwrap();
    std::fs::write(
        p.join("b_table.toml"),
        "id = \"s\"\ntitle = \"t\"\n[step]\ntitle = \"s\"\ncheck = \"true\"\n",
    )
    .unwrap();
    std::fs::write(p.join("c_bad_utf8.toml"), b"id = \"\xff\"\n").unwrap();
    std::fs::write(p.join("notes.md"), "not a runbook").unwrap();
    nix::unistd::mkfifo(&p.join("d_fifo.toml"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    let got: Vec<String> = check_dir(p).iter().map(ToString::to_string).collect();
    let d = p.display();
    assert_eq!(
        got,
        vec![
            format!("{d}/a_empty.toml:1: missing field `id`"),
            format!(
                "{d}/b_table.toml:3: write each step as [[step]] (double brackets), not [step]"
            ),
            format!("{d}/c_bad_utf8.toml:1: missing field `title`"),
        ]
    );
}
