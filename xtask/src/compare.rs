//! `cargo xtask compare`: ours against numpy, SciPy, scikit-learn, pandas and Polars on the
//! same data, single-threaded, with answers checked; writes docs/COMPARISON.md.
//!
//! Runs the peers in the pinned Python venv of [`venv`] (created once), writes the
//! data from Rust, then alternates our timings and the peers' for several rounds.

use crate::cmd::{self, cargo, root};
use crate::venv;
use std::path::Path;
use std::process::Command;

/// Rounds of each side unless `COMPARE_ROUNDS` says otherwise (a noisy shared machine
/// wants more: the report takes medians).
const ROUNDS: usize = 2;

pub fn run() -> Result<(), String> {
    let root = root();
    let python = venv::python("compare")?;
    step(
        "build",
        cargo().args(["build", "--release", "-p", "benches", "--bin", "compare"]),
    )?;
    let exe = root.join("target/release/compare");
    let data = root.join("target/compare-data");
    step("write data", Command::new(&exe).arg("data").arg(&data))?;
    let rounds = std::env::var("COMPARE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&r| r >= 1)
        .unwrap_or(ROUNDS);
    alternate("compare", rounds, &exe, &python, "compare_peers.py", &data)?;
    step("report", Command::new(&exe).arg("report").arg(&data))
}

/// Rounds of `exe time DATA ROUND` then the peers' `benches/python/SCRIPT DATA ROUND` (on
/// one thread), alternated so a slow spell of a shared machine hits both sides.
pub fn alternate(
    task: &str,
    rounds: usize,
    exe: &Path,
    python: &Path,
    script: &str,
    data: &Path,
) -> Result<(), String> {
    for round in 1..=rounds {
        let r = round.to_string();
        cmd::step(
            task,
            "time ours",
            Command::new(exe).arg("time").arg(data).arg(&r),
        )?;
        cmd::step(
            task,
            "time peers",
            venv::single_threaded(
                Command::new(python)
                    .arg(root().join("benches/python").join(script))
                    .arg(data)
                    .arg(&r),
            ),
        )?;
    }
    Ok(())
}

fn step(name: &str, cmd: &mut Command) -> Result<(), String> {
    cmd::step("compare", name, cmd)
}
