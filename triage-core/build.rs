//! Embeds the repository's `runbooks/*.toml` in the library, so `cargo install` has them:
//! writes `$OUT_DIR/builtin_runbooks.rs` with one `(file name, include_str!(…))` pair per
//! runbook and the example inventory. A missing directory embeds nothing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dir = manifest.join("..").join("runbooks");
    println!("cargo:rerun-if-changed={}", dir.display());
    println!("cargo:rerun-if-changed=build.rs");

    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_file())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| n.ends_with(".toml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();

    let include = |name: &str| -> String {
        let path: PathBuf = dir.join(name);
        format!("include_str!({:?})", path.display().to_string())
    };
    let mut out = String::new();
    out.push_str("/// The repository's runbooks: (file name, content), sorted by name.\n");
    out.push_str("pub(crate) static BUILTIN_RUNBOOKS: &[(&str, &str)] = &[\n");
    for name in names.iter().filter(|n| *n != "inventory.toml") {
        let _ = writeln!(out, "    ({name:?}, {}),", include(name));
    }
    out.push_str("];\n");
    out.push_str("/// The repository's example inventory, when there is one.\n");
    let inv = if names.iter().any(|n| n == "inventory.toml") {
        format!("Some({})", include("inventory.toml"))
    } else {
        "None".to_string()
    };
    let _ = writeln!(
        out,
        "pub(crate) static BUILTIN_INVENTORY: Option<&str> = {inv};"
    );

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    write(&out_dir.join("builtin_runbooks.rs"), &out);
}

fn write(path: &Path, text: &str) {
    if let Err(e) = std::fs::write(path, text) {
        println!("cargo:warning=could not write {}: {e}", path.display());
        std::process::exit(1);
    }
}
