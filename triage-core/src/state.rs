//! Where triage keeps its state (incidents, history): `$TRIAGE_HOME` if set, else
//! `/var/lib/triage` when running as root, else `$XDG_STATE_HOME/triage`
//! (`~/.local/state/triage`). Never a shared place such as `/tmp`: with none of these
//! known it is an error, and a state directory another user can write into is refused.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The state directory (not created); an error when no variable names one.
pub fn state_dir() -> Result<PathBuf> {
    resolve(
        std::env::var_os("TRIAGE_HOME").map(PathBuf::from),
        nix::unistd::geteuid().is_root(),
        std::env::var_os("XDG_STATE_HOME").map(PathBuf::from),
        std::env::var_os("HOME").map(PathBuf::from),
    )
    .ok_or_else(|| {
        Error::Invalid(
            "no state directory: HOME is not set; set TRIAGE_HOME (or XDG_STATE_HOME) \
             to a directory only you can write"
                .into(),
        )
    })
}

/// The pure rule behind [`state_dir`].
pub fn resolve(
    triage_home: Option<PathBuf>,
    is_root: bool,
    xdg_state: Option<PathBuf>,
    home: Option<PathBuf>,
) -> Option<PathBuf> {
    if let Some(h) = triage_home.filter(|p| !p.as_os_str().is_empty()) {
        return Some(h);
    }
    if is_root {
        return Some(PathBuf::from("/var/lib/triage"));
    }
    if let Some(x) = xdg_state.filter(|p| p.is_absolute()) {
        return Some(x.join("triage"));
    }
    home.filter(|h| h.is_absolute())
        .map(|h| h.join(".local/state/triage"))
}

/// Refuse a state directory (or a directory in it) that is not ours or that group or
/// others may write: another user could plant a symlink or a fake incident in it and
/// redirect what root writes. A missing directory is fine (it is created 0700).
pub fn check_private_dir(dir: &Path) -> Result<()> {
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let me = nix::unistd::geteuid().as_raw();
    let problem = if !meta.is_dir() {
        Some("is not a directory".to_string())
    } else if meta.uid() != me {
        Some(format!(
            "is owned by uid {}, not by you (uid {me})",
            meta.uid()
        ))
    } else if meta.mode() & 0o022 != 0 {
        Some(format!(
            "is writable by group or others (mode {:04o}); run `chmod go-w {}`",
            meta.mode() & 0o7777,
            dir.display()
        ))
    } else {
        None
    };
    match problem {
        Some(p) => Err(Error::Invalid(format!(
            "{} {p}; refusing to keep incidents there (another user could redirect them)",
            dir.display()
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence() {
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(resolve(p("/t"), true, p("/x"), p("/h")), p("/t"));
        assert_eq!(resolve(None, true, p("/x"), p("/h")), p("/var/lib/triage"));
        assert_eq!(resolve(None, false, p("/x"), p("/h")), p("/x/triage"));
        assert_eq!(
            resolve(None, false, None, p("/h")),
            p("/h/.local/state/triage")
        );
        assert_eq!(
            resolve(p(""), false, p("rel"), p("/h")),
            p("/h/.local/state/triage")
        );
    }

    #[test]
    fn no_home_is_no_state_dir_not_tmp() {
        assert_eq!(resolve(None, false, None, None), None);
        assert_eq!(
            resolve(None, false, Some("rel".into()), Some("".into())),
            None
        );
    }

    #[test]
    fn shared_or_foreign_dirs_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        check_private_dir(tmp.path()).unwrap();
        check_private_dir(&tmp.path().join("missing")).unwrap();
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = check_private_dir(tmp.path()).unwrap_err().to_string();
        assert!(
            e.contains("writable by group or others") && e.contains("chmod go-w"),
            "{e}"
        );
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        if nix::unistd::geteuid().is_root() {
            // Owned by another user (nobody): refused even with a strict mode.
            let other = tmp.path().join("other");
            std::fs::create_dir(&other).unwrap();
            nix::unistd::chown(&other, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
            let e = check_private_dir(&other).unwrap_err().to_string();
            assert!(e.contains("owned by uid 65534"), "{e}");
        }
    }
}
