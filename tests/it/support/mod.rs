//! Shared set-up for the integration tests.

pub mod app;
pub mod browser;
pub mod db;
pub mod s3;

use std::io::Write;

/// Says on the terminal that a test did not run and why. The test harness captures
/// `eprintln!`, so the line is written to the process's stderr directly, where
/// `cargo test` shows it and `.ci/run` counts it.
pub fn say_skipped(why: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "skipped: {why}");
}
