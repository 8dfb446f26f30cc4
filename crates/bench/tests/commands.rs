//! The bench binary's commands: every `bench-*` subcommand is still there under its
//! name (scripts and BENCHMARKS.md call them so), and the cost fixture, which seeds
//! through the library (bulk orders, a crowd inside, ticket codes, a staged gate
//! alert), runs a case end to end. Outside valgrind, callgrind's requests do nothing.

#![allow(clippy::unwrap_used)]

use std::process::Command;

fn bench() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_voelgoed-bench"));
    // Failures print their own reason; the server's info lines would bury it.
    command.env("RUST_LOG", "warn");
    command
}

#[test]
fn every_benchmark_keeps_its_subcommand() {
    for name in [
        "bench-orders",
        "bench-scans",
        "bench-dashboard",
        "bench-pages",
        "bench-fanout",
        "bench-bulk",
        "bench-costs",
    ] {
        let output = bench().args([name, "--help"]).output().unwrap();
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn cost_cases_run_on_the_fixture_seeded_through_the_library() {
    for case in ["orders-search", "render-gate-alerts"] {
        let output = bench()
            .args(["bench-costs", "--case", case, "--repeat", "2"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{case}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
