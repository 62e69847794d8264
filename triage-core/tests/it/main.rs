//! All of this crate's integration tests in one binary: one link instead of one per file.

mod cgroups;
mod cgroups_live;
mod cgroups_v2_live;
mod changes;
mod common;
mod diff;
mod drain_ga;
mod field;
mod findings;
mod fleet;
mod history;
mod history_cgroups;
mod incident_search;
mod listener_gone;
mod logs;
mod network;
mod postmortem;
mod postmortem_charts;
mod postmortem_timeline;
mod redaction;
mod runbooks;
mod scenarios;
mod snapshot_fixtures;
