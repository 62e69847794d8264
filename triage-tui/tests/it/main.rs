//! All of this crate's integration tests in one binary: one link instead of one per file.

mod accept_queue;
mod ansible;
mod ansible_ssh;
mod check;
mod common;
mod deb;
mod diff;
mod docs_cli;
mod fleet_cli;
mod garbage_cli;
mod incident_cli;
mod logs_cli;
mod logs_follow;
mod memory;
mod postmortem;
mod record;
mod redaction;
mod runbook_cli;
mod security;
mod snapshot_cli;
mod state_files;
mod static_bin;
mod textfile;
mod tui_tmux;
