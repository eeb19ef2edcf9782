//! `cargo xtask train-rss`: the peak memory of `mlp train --model ridge` reading a Parquet
//! file in chunks, against the same file read into memory from standard input
//! (benches/python/train_rss.py measures both, with getrusage, in the venv of [`venv`]).

use crate::cmd::{self, cargo, root};
use crate::venv;
use std::process::Command;

/// Rows unless `RSS_ROWS` says otherwise: issue 15's 5M.
const ROWS: u64 = 5_000_000;

pub fn run() -> Result<(), String> {
    let rows = match std::env::var("RSS_ROWS") {
        Err(_) => ROWS,
        Ok(v) => v.parse().ok().filter(|&r| r >= 2).ok_or_else(|| {
            format!("train-rss: RSS_ROWS {v:?} is not a whole number of at least 2")
        })?,
    };
    let python = venv::python("train-rss")?;
    cmd::step(
        "train-rss",
        "build",
        cargo().args(["build", "--release", "-p", "mlp", "--bin", "mlp"]),
    )?;
    cmd::step(
        "train-rss",
        "measure",
        Command::new(python)
            .arg(root().join("benches/python/train_rss.py"))
            .arg(cmd::target_dir().join("release/mlp"))
            .arg(root().join("target/train-rss"))
            .arg(rows.to_string()),
    )
}
