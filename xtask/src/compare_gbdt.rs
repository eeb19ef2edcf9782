//! `cargo xtask compare-gbdt`: our histogram GBDT trainer against LightGBM and XGBoost
//! `hist` on the same data and hyperparameters, one and two threads (issue 17); writes
//! docs/COMPARISON_GBDT.md.
//!
//! For each size of `$GBDT_SIZES` (`ROWSxFEATURES`, comma-separated; default the issue's
//! `100000x50,1000000x50`), benches/python/train_gbdt_peers.py writes the data once into
//! target/gbdt-bench/ROWSxFEATURESxLEAVES and times the peers, then `train_gbdt time` times
//! ours, for `$GBDT_ROUNDS` rounds (default 2) that alternate the two, each round's results
//! kept (`peers_R.json`, `ours_R.json`), each the best of `$GBDT_RUNS` runs (default 3, and 1
//! above a million rows, where a run takes minutes). Then, once per size: `train_gbdt stream`
//! trains from the file read in chunks (the memory figure), and, up to a million rows unless
//! `$GBDT_QUALITY` is 0, the quality runs (binary, multiclass, quantile against LightGBM).
//! `train_gbdt report` takes each contender's best over the rounds and writes the document.
//! Run it on an otherwise idle machine.

use crate::cmd::{self, cargo, root};
use crate::venv;
use std::process::Command;

/// Leaves per tree: the 63.
const NUM_LEAVES: &str = "63";
/// Sizes above this many rows get one run per round and no quality runs by default.
const LARGE_ROWS: u64 = 1_000_000;

/// `(rows, features)` of each size.
fn sizes() -> Result<Vec<(String, String)>, String> {
    let spec = std::env::var("GBDT_SIZES").unwrap_or_else(|_| "100000x50,1000000x50".into());
    spec.split(',')
        .map(|s| {
            let (r, f) = s
                .trim()
                .split_once('x')
                .ok_or(format!("GBDT_SIZES: {s:?} is not ROWSxFEATURES"))?;
            for v in [r, f] {
                if v.parse::<u64>().map_or(true, |v| v == 0) {
                    return Err(format!(
                        "GBDT_SIZES: {s:?}: {v:?} is not a positive integer"
                    ));
                }
            }
            if f.parse::<u64>().unwrap_or(0) < 10 {
                return Err(format!(
                    "GBDT_SIZES: {s:?}: the data needs at least 10 features"
                ));
            }
            Ok((r.to_string(), f.to_string()))
        })
        .collect()
}

pub fn run() -> Result<(), String> {
    let root = root();
    let sizes = sizes()?;
    let python = venv::trees_python("compare-gbdt")?;
    step(
        "build",
        cargo().args(["build", "--release", "-p", "benches", "--bin", "train_gbdt"]),
    )?;
    let exe = cmd::target_dir().join("release/train_gbdt");
    let mut dirs = Vec::new();
    for (rows, features) in &sizes {
        let dir = root.join(format!("target/gbdt-bench/{rows}x{features}x{NUM_LEAVES}"));
        let large = rows.parse::<u64>().unwrap_or(0) > LARGE_ROWS;
        let runs = env_count("GBDT_RUNS").unwrap_or(if large { 1 } else { 3 });
        let runs = runs.to_string();
        for round in 0..rounds() {
            step(
                &format!("peers {rows}x{features}"),
                Command::new(&python)
                    .arg(root.join("benches/python/train_gbdt_peers.py"))
                    .arg(&dir)
                    .args([rows, features, NUM_LEAVES, &runs]),
            )?;
            keep(&dir, "peers", round)?;
            step(
                &format!("ours {rows}x{features}"),
                Command::new(&exe).arg("time").arg(&dir).arg(&runs),
            )?;
            keep(&dir, "ours", round)?;
        }
        step(
            &format!("ours streamed {rows}x{features}"),
            Command::new(&exe).arg("stream").arg(&dir),
        )?;
        let quality = std::env::var("GBDT_QUALITY").map_or(!large, |v| v != "0");
        for who in ["ours_quality.json", "peers_quality.json"] {
            // A report must not mix in an earlier run's quality files.
            let _ = std::fs::remove_file(dir.join(who));
        }
        if quality {
            step(
                &format!("peers quality {rows}x{features}"),
                Command::new(&python)
                    .arg(root.join("benches/python/train_gbdt_peers.py"))
                    .arg("quality")
                    .arg(&dir),
            )?;
            step(
                &format!("ours quality {rows}x{features}"),
                Command::new(&exe).arg("quality").arg(&dir),
            )?;
        }
        dirs.push(dir);
    }
    step(
        "report",
        Command::new(&exe)
            .arg("report")
            .arg(rounds().to_string())
            .arg(root.join("docs/COMPARISON_GBDT.md"))
            .args(&dirs),
    )
}

/// Rounds of peers-then-ours (`$GBDT_ROUNDS`, default 2).
fn rounds() -> usize {
    env_count("GBDT_ROUNDS").unwrap_or(2)
}

/// A positive count from the environment variable `name`, if it holds one.
fn env_count(name: &str) -> Option<usize> {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&r| r > 0)
}

/// Renames `dir/WHO.json` to `dir/WHO_ROUND.json` (rounds of an earlier run are replaced as
/// this run reaches them; the report reads the rounds of this run only).
fn keep(dir: &std::path::Path, who: &str, round: usize) -> Result<(), String> {
    let from = dir.join(format!("{who}.json"));
    let to = dir.join(format!("{who}_{round}.json"));
    std::fs::rename(&from, &to).map_err(|e| format!("{}: {e}", from.display()))
}

fn step(name: &str, cmd: &mut Command) -> Result<(), String> {
    cmd::step("compare-gbdt", name, cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_refuse_bad_specs() {
        // One test body: the variable is process-wide.
        std::env::set_var("GBDT_SIZES", "1000x20, 50x12");
        assert_eq!(
            sizes().unwrap(),
            vec![("1000".into(), "20".into()), ("50".into(), "12".into())]
        );
        for bad in ["1000", "0x20", "10x5", "ax20"] {
            std::env::set_var("GBDT_SIZES", bad);
            assert!(sizes().is_err(), "{bad}");
        }
        std::env::remove_var("GBDT_SIZES");
        assert_eq!(sizes().unwrap().len(), 2);
    }
}
