//! Stamps the binary with what `triage --version` and `snapshot --json` report: the crate
//! version, the short git commit and the build date.
//!
//! The commit comes from `$TRIAGE_COMMIT` when a packager sets it (a source tarball has no
//! `.git`), else from `git rev-parse`; without either the version stands alone. The date is
//! `$SOURCE_DATE_EPOCH` when set (reproducible builds), else today (UTC).

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=TRIAGE_COMMIT");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");

    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let commit = std::env::var("TRIAGE_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .map(|c| c.trim().to_string())
        .or_else(git_commit);
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    let date = civil_date(epoch);

    let (short, long) = match &commit {
        Some(c) => (
            format!("{version} ({c})"),
            format!("{version} ({c}, built {date})"),
        ),
        None => (version.clone(), format!("{version} (built {date})")),
    };
    println!("cargo:rustc-env=TRIAGE_VERSION={short}");
    println!("cargo:rustc-env=TRIAGE_LONG_VERSION={long}");
    println!("cargo:rustc-env=TRIAGE_BUILD_DATE={date}");
}

/// The short commit of HEAD; also asks cargo to run this script again when HEAD moves
/// (a commit, a checkout), and only then, so the date is that of the build of this commit.
fn git_commit() -> Option<String> {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").args(args).output().ok()?;
        let text = String::from_utf8(out.stdout).ok()?;
        (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
    };
    let commit = git(&["rev-parse", "--short", "HEAD"])?;
    let mut watch = vec![git(&["rev-parse", "--git-path", "HEAD"])];
    if let Some(head_ref) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch.push(git(&["rev-parse", "--git-path", &head_ref]));
    }
    watch.push(git(&["rev-parse", "--git-path", "packed-refs"]));
    // A path that does not exist would make cargo run this script on every build.
    for path in watch.into_iter().flatten() {
        if Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    Some(commit)
}

/// `YYYY-MM-DD` (UTC) of a Unix time: Howard Hinnant's days-to-civil algorithm, so the
/// build script needs no date crate.
fn civil_date(epoch: i64) -> String {
    let z = epoch.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
