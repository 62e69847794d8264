//! `triage completions SHELL` and `triage man [--dir DIR]`: generated from the clap
//! definition at run time, so a user of the bare binary and a packager get the same text.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_mangen::Man;

use crate::cli::Cli;

/// The clap command as the generators want it: built (subcommands get their display
/// names, `triage-incident-start`) and without the `help` pseudo-subcommand.
fn command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Run `triage completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> Result<ExitCode> {
    let mut cmd = command();
    crate::output::emit(None, |w| {
        clap_complete::generate(shell, &mut cmd, "triage", w);
        Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Run `triage man [--dir DIR]`.
pub fn man(dir: Option<&Path>) -> Result<ExitCode> {
    let cmd = command();
    let Some(dir) = dir else {
        crate::output::emit(None, |w| full_page(&cmd, w))?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("triage.1");
    crate::output::emit(Some(&path), |w| full_page(&cmd, w))?;
    for sub in leaves(&cmd) {
        let page = man_for(sub);
        let path = dir.join(page.get_filename());
        page.generate_to(dir)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn man_for(cmd: &clap::Command) -> Man {
    Man::new(cmd.clone())
        .date(env!("TRIAGE_BUILD_DATE"))
        .source(concat!("triage ", env!("TRIAGE_VERSION")))
}

/// Subcommands that do something (not the groups `incident` and `runbook`), depth first.
fn leaves(cmd: &clap::Command) -> Vec<&clap::Command> {
    let mut out = Vec::new();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub.has_subcommands() {
            out.extend(leaves(sub));
        } else {
            out.push(sub);
        }
    }
    out
}

/// triage(1) with, after the list of subcommands, one section per subcommand holding its
/// synopsis and options: `man triage` answers "which flags does snapshot take" alone.
fn full_page(cmd: &clap::Command, w: &mut dyn Write) -> std::io::Result<()> {
    let top = man_for(cmd);
    top.render_title(w)?;
    top.render_name_section(w)?;
    top.render_synopsis_section(w)?;
    top.render_description_section(w)?;
    top.render_options_section(w)?;
    top.render_subcommands_section(w)?;
    for sub in leaves(cmd) {
        let name = sub.get_display_name().unwrap_or_else(|| sub.get_name());
        writeln!(w, ".SH \"{}\"", name.replace('-', " ").to_uppercase())?;
        let page = man_for(sub);
        let mut body = Vec::new();
        page.render_description_section(&mut body)?;
        page.render_synopsis_section(&mut body)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            page.render_options_section(&mut body)?;
        }
        // The subcommand's own sections become subsections of its section here.
        let body = String::from_utf8_lossy(&body).replace("\n.SH ", "\n.SS ");
        let body = body
            .strip_prefix(".SH ")
            .map_or(body.clone(), |rest| format!(".SS {rest}"));
        w.write_all(body.as_bytes())?;
    }
    top.render_version_section(w)
}
