//! Helpers shared by the integration tests: fixture roots and scratch copies of them
//! (from `triage-testkit`, which the binary's tests and the examples use too).

pub use triage_testkit::{copy_tree, fixture, scratch};
