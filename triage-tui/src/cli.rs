//! Command-line flags (clap). The only module that knows about clap: flags are turned into
//! plain values here and handed to the commands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Incident triage for Linux servers: what is wrong with this box, since when, and what
/// changed.
#[derive(Debug, Parser)]
#[command(
    name = "triage",
    version = env!("TRIAGE_LONG_VERSION"),
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    /// Read from this directory instead of / (a fixture tree, an unpacked sosreport).
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Show secrets (command-line passwords, tokens, keys) instead of masking them as ***.
    #[arg(long, global = true)]
    pub no_redact: bool,
    /// Also read runbooks (and inventory.toml) from this directory, over the built-in,
    /// /etc/triage/runbooks and $TRIAGE_HOME/runbooks ones; refused unless it and its
    /// files are owned by root or you and not writable by group or others.
    #[arg(long, global = true, value_name = "DIR")]
    pub runbooks: Option<PathBuf>,
    /// TUI: show this directory of the fleet's snapshots (one JSON file per host) in the
    /// Scope step: hosts worst first and what the sick ones share, as `triage fleet DIR`.
    #[arg(long, value_name = "DIR")]
    pub fleet: Option<PathBuf>,
    /// What to do; without one, the TUI opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands, as in DESIGN.md's CLI contract.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// A snapshot of the host: Markdown for a ticket or JSON for scripts.
    Snapshot(SnapshotArgs),
    /// Kernel, system and application logs, merged by time.
    Logs(LogsArgs),
    /// Record sar-style history in the background (a daemon; run it under systemd).
    Record(RecordArgs),
    /// Print recorded history as a sar-style table.
    History(HistoryArgs),
    /// Findings only; exit 0 ok, 1 warning, 2 critical (for monitoring).
    Check(CheckArgs),
    /// Open, inspect, close and list incidents.
    #[command(subcommand)]
    Incident(IncidentCommand),
    /// Append a note to the open incident's journal.
    Note(NoteArgs),
    /// Record typed action items (prevent, detect, mitigate, process) in the journal.
    #[command(subcommand)]
    Action(ActionCommand),
    /// Write the postmortem skeleton from an incident's journal.
    Postmortem(PostmortemArgs),
    /// List, show, validate and run runbooks; look the host up in the inventory.
    #[command(subcommand)]
    Runbook(RunbookCommand),
    /// What changed between two JSON snapshots.
    Diff(DiffArgs),
    /// Print a shell completion script (`triage completions bash > /etc/bash_completion.d/triage`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff, every subcommand in one page), or write it and one page
    /// per subcommand into a directory.
    Man {
        /// Write triage.1 and triage-SUBCOMMAND.1 here instead of printing triage.1.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Many hosts' snapshots (one JSON file each): worst first, and what they share.
    Fleet(FleetArgs),
}

/// Output format of `triage snapshot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Markdown.
    Md,
    /// JSON.
    Json,
}

/// `triage snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// JSON output (the default when stdout is not a terminal).
    #[arg(long, conflicts_with = "md")]
    pub json: bool,
    /// Markdown output (the default on a terminal).
    #[arg(long)]
    pub md: bool,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Sampling interval for CPU usage.
    #[arg(long, value_name = "DUR", default_value = "250ms")]
    pub interval: String,
    /// Deadline for each collector.
    #[arg(long, value_name = "DUR", default_value = "2s")]
    pub timeout: String,
}

/// `triage logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Only records since DUR ago (15m, 2h) or since TIME (2026-11-23T10:00).
    #[arg(long, value_name = "DUR|TIME")]
    pub since: Option<String>,
    /// Read these files instead of the host's logs (repeatable).
    #[arg(long = "file", value_name = "PATH")]
    pub files: Vec<PathBuf>,
    /// Kernel messages only.
    #[arg(long)]
    pub kernel: bool,
    /// Only messages matching this regular expression.
    #[arg(long, value_name = "RE")]
    pub grep: Option<String>,
    /// Group repeated lines into templates with counts.
    #[arg(long)]
    pub templates: bool,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
    /// At most this many entries (the most recent).
    #[arg(long, short = 'n', value_name = "N", default_value_t = 1000)]
    pub lines: usize,
    /// Keep reading: print new records as they are written (rotation-aware), and each
    /// finding when its first line arrives; Ctrl-C stops.
    #[arg(long, short = 'f')]
    pub follow: bool,
}

/// `triage record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Time between samples.
    #[arg(long, value_name = "DUR", default_value = "10s")]
    pub interval: String,
    /// Where to keep the history (default: STATE_DIR/history).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Delete history older than this.
    #[arg(long, value_name = "DUR", default_value = "7d")]
    pub retention: String,
    /// Also refresh DIR/triage.prom (node_exporter textfile) every interval.
    #[arg(long, value_name = "DIR")]
    pub textfile: Option<PathBuf>,
}

/// `triage history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Where the history is (default: STATE_DIR/history).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// From DUR ago or TIME.
    #[arg(long, value_name = "DUR|TIME")]
    pub since: Option<String>,
    /// Up to TIME.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Read sysstat's `sadf -j` output from FILE instead.
    #[arg(long, value_name = "FILE")]
    pub sadf: Option<PathBuf>,
    /// Compare now with the same hour on earlier days.
    #[arg(long)]
    pub compare: bool,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// `triage check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// JSON output.
    #[arg(long)]
    pub json: bool,
    /// Also write DIR/triage.prom for node_exporter's textfile collector (atomically).
    #[arg(long, value_name = "DIR")]
    pub textfile: Option<PathBuf>,
    /// Exit-code convention: `nagios` (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN) or `npd`
    /// for a Kubernetes node-problem-detector custom plugin (0 OK, 1 problem, 3 unknown).
    #[arg(long, value_enum, default_value_t = ExitCodes::Nagios)]
    pub exit_codes: ExitCodes,
}

/// Exit-code conventions of `triage check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExitCodes {
    /// Monitoring plugins (Nagios, Icinga, Sensu).
    Nagios,
    /// Kubernetes node-problem-detector custom plugins.
    Npd,
}

/// `triage incident …`.
#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Open an incident.
    Start {
        /// A title (default: from the top finding).
        #[arg(long)]
        title: Option<String>,
    },
    /// Show the open incident.
    Status,
    /// Close the open incident.
    Close {
        /// One paragraph: what happened and how it was fixed.
        #[arg(long)]
        summary: Option<String>,
    },
    /// List incidents, newest first.
    List,
    /// Search past incidents (journals and postmortems), newest first.
    Search {
        /// Text anywhere in a journal event or a postmortem (case-insensitive).
        text: Option<String>,
        /// A finding id recorded during the incident.
        #[arg(long, value_name = "ID")]
        finding: Option<String>,
        /// The host the incident was opened on.
        #[arg(long, value_name = "H")]
        host: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// `triage action …`.
#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// Add an action item to an incident's journal.
    Add(ActionAddArgs),
}

/// `triage action add`.
#[derive(Debug, Args)]
pub struct ActionAddArgs {
    /// What kind of action.
    #[arg(long, value_enum, default_value_t = ActionKind::Prevent)]
    pub kind: ActionKind,
    /// Who will do it.
    #[arg(long, value_name = "WHO")]
    pub owner: Option<String>,
    /// The tracker's ticket, once filed.
    #[arg(long, value_name = "ID")]
    pub ticket: Option<String>,
    /// Which incident (default: the open one, else the last closed one).
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// What to do.
    #[arg(required = true, value_name = "TEXT")]
    pub text: Vec<String>,
}

/// The types of action item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ActionKind {
    /// Stop it from happening again.
    Prevent,
    /// See it sooner.
    Detect,
    /// Make it hurt less when it happens.
    Mitigate,
    /// Change how we work (runbooks, reviews, on-call).
    Process,
}

impl ActionKind {
    /// The journal's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Prevent => "prevent",
            ActionKind::Detect => "detect",
            ActionKind::Mitigate => "mitigate",
            ActionKind::Process => "process",
        }
    }
}

/// Formats of `triage postmortem --action-items`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ItemsFormat {
    /// JSON: title, body, labels (and kind, owner, ticket, priority, source) per item.
    Json,
}

/// `triage note`.
#[derive(Debug, Args)]
pub struct NoteArgs {
    /// The note (several words are joined with spaces).
    #[arg(required = true, value_name = "TEXT")]
    pub text: Vec<String>,
}

/// Postmortem language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// English.
    En,
    /// Japanese.
    Ja,
}

/// `triage postmortem`.
#[derive(Debug, Args)]
pub struct PostmortemArgs {
    /// Which incident (default: the open one, else the last closed one).
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// Language of the skeleton.
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
    /// Template: `default`, `sre` (Google SRE book format), `shogai` (the five Japanese
    /// headings), or a team's own NAME.md in STATE_DIR/postmortem or /etc/triage/postmortem.
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// Print the action items for a tracker instead of the Markdown.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub action_items: Option<ItemsFormat>,
    /// History recorded by `triage record`, for charts and the impact start
    /// (default: STATE_DIR/history).
    #[arg(long, value_name = "DIR")]
    pub history: Option<PathBuf>,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `triage runbook …`.
#[derive(Debug, Subcommand)]
pub enum RunbookCommand {
    /// List runbooks with their triggers and origin.
    List,
    /// Show one runbook.
    Show {
        /// Runbook id.
        id: String,
    },
    /// Validate runbook files; prints FILE:LINE: message for each error.
    Check {
        /// Directory to check (default: every runbook source).
        dir: Option<PathBuf>,
    },
    /// Run a runbook's steps: checks run, fixes ask first.
    Run {
        /// Runbook id.
        id: String,
        /// Do not ask before fixes.
        #[arg(long)]
        yes: bool,
        /// Set a variable the commands use (repeatable): --var mount=/var --var unit=nginx.
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
    },
    /// Look a host up in the inventory and test its dependencies.
    Inventory {
        /// Host name (default: this host).
        host: Option<String>,
        /// Do not test the dependencies (no network at all).
        #[arg(long)]
        no_reach: bool,
        /// Timeout of each dependency's TCP connect, name resolution included.
        #[arg(long, value_name = "DUR", default_value = "2s")]
        timeout: String,
    },
}

/// `triage diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier snapshot (JSON).
    pub a: PathBuf,
    /// The later snapshot (JSON).
    pub b: PathBuf,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// `triage fleet`.
#[derive(Debug, Args)]
pub struct FleetArgs {
    /// Directory of snapshot JSON files, one per host (`NAME.json`, as the Ansible
    /// playbook in contrib/ansible leaves them).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// JSON output (the default when stdout is not a terminal).
    #[arg(long, conflicts_with = "md")]
    pub json: bool,
    /// Markdown output (the default on a terminal).
    #[arg(long)]
    pub md: bool,
    /// A change counts for a sick host when it happened at most this long before the
    /// host's snapshot.
    #[arg(long, value_name = "DUR", default_value = "24h")]
    pub window: String,
}
