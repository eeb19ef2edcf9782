//! `cargo xtask compare`: ours against numpy, SciPy, scikit-learn, pandas and Polars on the
//! same data, single-threaded, with answers checked; writes docs/COMPARISON.md.
//!
//! Creates a Python venv under `target/compare-venv` with pinned versions (once), writes the
//! data from Rust, then alternates our timings and the peers' for several rounds.

use crate::cmd::{cargo, root, run_timed};
use std::process::Command;

/// Pinned peer versions (Python 3.11).
const PINS: [&str; 5] = [
    "numpy==2.4.6",
    "scipy==1.17.1",
    "scikit-learn==1.9.1",
    "pandas==3.1.1",
    "polars==2.1.0",
];
const ROUNDS: usize = 2;

pub fn run() -> Result<(), String> {
    let root = root();
    let venv = root.join("target/compare-venv");
    let python = venv.join("bin/python");
    let marker = venv.join("pins.txt");
    let pins = PINS.join("\n");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(pins.as_str()) {
        step(
            "create venv",
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
        )?;
        step(
            "install peers",
            Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet"])
                .args(PINS),
        )?;
        std::fs::write(&marker, &pins).map_err(|e| e.to_string())?;
    }
    step(
        "build",
        cargo().args(["build", "--release", "-p", "benches", "--bin", "compare"]),
    )?;
    let exe = root.join("target/release/compare");
    let data = root.join("target/compare-data");
    step("write data", Command::new(&exe).arg("data").arg(&data))?;
    for round in 1..=ROUNDS {
        let r = round.to_string();
        step(
            "time ours",
            Command::new(&exe).arg("time").arg(&data).arg(&r),
        )?;
        step(
            "time peers",
            Command::new(&python)
                .arg(root.join("benches/python/compare_peers.py"))
                .arg(&data)
                .arg(&r)
                .env("OMP_NUM_THREADS", "1")
                .env("OPENBLAS_NUM_THREADS", "1")
                .env("MKL_NUM_THREADS", "1")
                .env("POLARS_MAX_THREADS", "1"),
        )?;
    }
    step("report", Command::new(&exe).arg("report").arg(&data))
}

fn step(name: &str, cmd: &mut Command) -> Result<(), String> {
    let (ok, secs) = run_timed(cmd);
    if ok {
        Ok(())
    } else {
        Err(format!("compare: step '{name}' failed after {secs:.0} s"))
    }
}
