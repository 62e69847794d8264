//! `triage`: incident triage for Linux servers. A thin binary: flags are parsed in
//! [`cli`], each subcommand lives in [`commands`], the TUI in [`tui`].

mod cli;
mod commands;
mod output;
mod sources;
mod tui;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    triage_core::snapshot::set_triage_version(env!("TRIAGE_VERSION"));
    let cli = cli::Cli::parse();
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            if output::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("triage: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
