//! The pinned Python venv the peer tasks (`compare`, `nist`) run their scripts in: one venv,
//! so the peers' versions are the same in every report.

use crate::cmd::{root, step};
use std::path::PathBuf;
use std::process::Command;

/// Pinned peer versions (Python 3.11).
const PINS: [&str; 6] = [
    "numpy==2.4.6",
    "scipy==1.17.1",
    "scikit-learn==1.9.1",
    "pandas==3.1.1",
    "polars==2.1.0",
    "statsmodels==0.15.0",
];

/// The venv's `python`. The venv, `target/compare-venv`, is created and the pins installed
/// unless its `pins.txt` marker lists exactly [`PINS`], so a changed pin rebuilds it once.
pub fn python(task: &str) -> Result<PathBuf, String> {
    let venv = root().join("target/compare-venv");
    let marker = venv.join("pins.txt");
    let pins = PINS.join("\n");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(pins.as_str()) {
        step(
            task,
            "create venv",
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
        )?;
        step(
            task,
            "install peers",
            Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet"])
                .args(PINS),
        )?;
        std::fs::write(&marker, &pins).map_err(|e| e.to_string())?;
    }
    Ok(venv.join("bin/python"))
}

/// Sets the peers' thread pools to one thread, so a comparison with our single-threaded
/// code is even and the two shared cores stay free.
pub fn single_threaded(cmd: &mut Command) -> &mut Command {
    cmd.env("OMP_NUM_THREADS", "1")
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("MKL_NUM_THREADS", "1")
        .env("POLARS_MAX_THREADS", "1")
}
