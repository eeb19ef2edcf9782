//! `cargo xtask compare`: ours against numpy, SciPy, scikit-learn, pandas and Polars on the
//! same data, single-threaded, with answers checked; writes docs/COMPARISON.md.
//!
//! Runs the peers in the pinned Python venv of [`venv`] (created once). The `ops` rows:
//! writes the data from Rust, then alternates our timings and the peers' for several
//! rounds. The `e2e` rows are [`compare_e2e`]'s. `--only GROUP` runs one group; the report
//! reads what each group's last run left.

use crate::cmd::{self, cargo, root};
use crate::compare_e2e;
use crate::flags::{CompareArgs, CompareGroup};
use crate::venv;
use std::path::Path;
use std::process::Command;

/// Rounds of each side unless `COMPARE_ROUNDS` says otherwise (a noisy shared machine
/// wants more: the report takes medians).
const ROUNDS: usize = 2;

pub fn run(args: &CompareArgs) -> Result<(), String> {
    // A bad E2E_ROWS fails here, not after the ops rows' minutes.
    let e2e = args
        .runs(CompareGroup::E2e)
        .then(compare_e2e::plan)
        .transpose()?;
    let python = venv::python("compare")?;
    let mut build = cargo();
    build.args(["build", "--release", "-p", "benches", "--bin", "compare"]);
    if e2e.is_some() {
        build.args(["-p", "mlp", "--bin", "mlp"]);
    }
    step("build", &mut build)?;
    let exe = cmd::target_dir().join("release/compare");
    let data = root().join("target/compare-data");
    let rounds = std::env::var("COMPARE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&r| r >= 1)
        .unwrap_or(ROUNDS);
    if args.runs(CompareGroup::Ops) {
        step("write data", Command::new(&exe).arg("data").arg(&data))?;
        clear_rounds(&data)?;
        alternate("compare", rounds, &exe, &python, "compare_peers.py", &data)?;
    }
    if let Some(plan) = &e2e {
        let dir = data.join("e2e");
        clear_rounds(&dir)?;
        compare_e2e::run(plan, &exe, &python, &dir, rounds)?;
    }
    let mut report = Command::new(&exe);
    report.arg("report").arg(&data);
    if let Some(page) = &args.page {
        report.arg(page);
    }
    step("report", &mut report)
}

/// Removes the `ours_*.json` and `peers_*.json` rounds an earlier run left in `dir`, so
/// only this run's rounds go into the report.
pub fn clear_rounds(dir: &Path) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if (name.starts_with("ours_") || name.starts_with("peers_")) && name.ends_with(".json") {
            std::fs::remove_file(entry.path()).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
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
            venv::single_threaded(venv::cap_like_ours(
                Command::new(python)
                    .arg(root().join("benches/python").join(script))
                    .arg(data)
                    .arg(&r),
            )),
        )?;
    }
    Ok(())
}

fn step(name: &str, cmd: &mut Command) -> Result<(), String> {
    cmd::step("compare", name, cmd)
}
