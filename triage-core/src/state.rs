//! Where triage keeps its state (incidents, history): `$TRIAGE_HOME` if set, else
//! `/var/lib/triage` when running as root, else `$XDG_STATE_HOME/triage`
//! (`~/.local/state/triage`).

use std::path::PathBuf;

/// The state directory (not created).
pub fn state_dir() -> PathBuf {
    resolve(
        std::env::var_os("TRIAGE_HOME").map(PathBuf::from),
        nix::unistd::geteuid().is_root(),
        std::env::var_os("XDG_STATE_HOME").map(PathBuf::from),
        std::env::var_os("HOME").map(PathBuf::from),
    )
}

/// The pure rule behind [`state_dir`].
pub fn resolve(
    triage_home: Option<PathBuf>,
    is_root: bool,
    xdg_state: Option<PathBuf>,
    home: Option<PathBuf>,
) -> PathBuf {
    if let Some(h) = triage_home.filter(|p| !p.as_os_str().is_empty()) {
        return h;
    }
    if is_root {
        return PathBuf::from("/var/lib/triage");
    }
    if let Some(x) = xdg_state.filter(|p| p.is_absolute()) {
        return x.join("triage");
    }
    home.unwrap_or_else(|| PathBuf::from("/tmp"))
        .join(".local/state/triage")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence() {
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(
            resolve(p("/t"), true, p("/x"), p("/h")),
            PathBuf::from("/t")
        );
        assert_eq!(
            resolve(None, true, p("/x"), p("/h")),
            PathBuf::from("/var/lib/triage")
        );
        assert_eq!(
            resolve(None, false, p("/x"), p("/h")),
            PathBuf::from("/x/triage")
        );
        assert_eq!(
            resolve(None, false, None, p("/h")),
            PathBuf::from("/h/.local/state/triage")
        );
        assert_eq!(
            resolve(p(""), false, p("rel"), p("/h")),
            PathBuf::from("/h/.local/state/triage")
        );
    }
}
