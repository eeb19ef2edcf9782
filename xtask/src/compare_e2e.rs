//! The end-to-end rows of `cargo xtask compare` (issue 15): `mlp features` on OHLCV bars,
//! Parquet in and Parquet (or CSV) out, one whole process, against Polars and pandas doing
//! the same from the same file, answers checked before anything is timed.
//!
//! Steps, in `target/compare-data/e2e`: the bars (`$E2E_ROWS` rows of 20 symbols,
//! benches/python/e2e_data.py, written once per size); our outputs (`compare e2e-ours DIR
//! MLP check`) and the peers' (benches/python/features_peers.py `check`), compared column by
//! column, the step failing on the first difference; then rounds that alternate ours and
//! the peers at each thread count of `$E2E_THREADS`. At one thread both sides are pinned to
//! one CPU (`taskset`): `mlp` sizes its pool from the CPUs it may run on, so the pin is what
//! makes it single-threaded, and the peers get the same core and their pools set to one
//! thread. Above one thread neither side is pinned.

use crate::cmd::{self, on_path, root};
use crate::venv;
use std::path::Path;
use std::process::Command;

/// Rows of the bars unless `E2E_ROWS` says otherwise: the 5M.
const ROWS: u64 = 5_000_000;

/// The CPU of the one-thread runs.
const CPU: &str = "0";

/// What the environment asks of the rows, read before anything runs.
pub struct Plan {
    rows: u64,
    threads: Vec<usize>,
}

/// The plan of `$E2E_ROWS` and `$E2E_THREADS`; an error for a bad value or a missing
/// `taskset`.
pub fn plan() -> Result<Plan, String> {
    let plan = Plan {
        rows: rows()?,
        threads: threads()?,
    };
    if plan.threads.contains(&1) && !on_path("taskset") {
        let why = "the one-thread rows pin both sides to one CPU with it";
        return Err(format!(
            "compare: e2e: taskset not found (util-linux): {why}"
        ));
    }
    Ok(plan)
}

/// Writes the bars, checks the answers of `mlp` (built by the caller) against the peers',
/// then times `rounds` rounds.
pub fn run(
    plan: &Plan,
    compare: &Path,
    python: &Path,
    dir: &Path,
    rounds: usize,
) -> Result<(), String> {
    let Plan { rows, threads } = plan;
    let mlp = cmd::target_dir().join("release/mlp");
    let scripts = root().join("benches/python");
    step(
        "data",
        Command::new(python)
            .arg(scripts.join("e2e_data.py"))
            .arg(dir.join("bars.parquet"))
            .arg(rows.to_string()),
    )?;
    let _ = std::fs::remove_file(dir.join("check.json"));
    step(
        "answers (ours)",
        Command::new(compare)
            .arg("e2e-ours")
            .arg(dir)
            .arg(&mlp)
            .arg("check"),
    )?;
    step(
        "answers (peers, checked against ours)",
        venv::single_threaded(
            Command::new(python)
                .arg(scripts.join("features_peers.py"))
                .arg("check")
                .arg(dir),
        ),
    )?;
    for round in 1..=rounds {
        let r = round.to_string();
        for &t in threads {
            let n = t.to_string();
            step(
                &format!("ours, {t} thread(s)"),
                venv::threads(
                    on_threads(t, compare)
                        .arg("e2e-ours")
                        .arg(dir)
                        .arg(&mlp)
                        .args([&r, &n]),
                    t,
                ),
            )?;
            step(
                &format!("peers, {t} thread(s)"),
                venv::threads(
                    on_threads(t, python)
                        .arg(scripts.join("features_peers.py"))
                        .arg("time")
                        .arg(dir)
                        .args([&r, &n]),
                    t,
                ),
            )?;
        }
    }
    Ok(())
}

/// `program`, pinned to [`CPU`] when `threads` is 1 (its children inherit the pin).
fn on_threads(threads: usize, program: &Path) -> Command {
    if threads == 1 {
        let mut c = Command::new("taskset");
        c.args(["-c", CPU]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// `$E2E_ROWS`, at least one row per symbol.
fn rows() -> Result<u64, String> {
    match std::env::var("E2E_ROWS") {
        Err(_) => Ok(ROWS),
        Ok(v) => v
            .trim()
            .parse()
            .ok()
            .filter(|&n: &u64| n >= 20)
            .ok_or(format!(
                "E2E_ROWS: {v:?} is not a whole number of at least 20"
            )),
    }
}

/// `$E2E_THREADS`: comma-separated thread counts, default 1,2.
fn threads() -> Result<Vec<usize>, String> {
    let spec = std::env::var("E2E_THREADS").unwrap_or_else(|_| "1,2".into());
    spec.split(',')
        .map(|s| {
            s.trim()
                .parse()
                .ok()
                .filter(|&n: &usize| n >= 1)
                .ok_or(format!("E2E_THREADS: {s:?} is not a positive integer"))
        })
        .collect()
}

fn step(name: &str, cmd: &mut Command) -> Result<(), String> {
    cmd::step("compare", &format!("e2e {name}"), cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_threads_parse_and_refuse_bad_values() {
        // One test body: the variables are process-wide.
        std::env::remove_var("E2E_ROWS");
        std::env::remove_var("E2E_THREADS");
        assert_eq!(rows().unwrap(), ROWS);
        assert_eq!(threads().unwrap(), vec![1, 2]);
        std::env::set_var("E2E_ROWS", "20000");
        std::env::set_var("E2E_THREADS", "2");
        assert_eq!((rows().unwrap(), threads().unwrap()), (20_000, vec![2]));
        for bad in ["0", "19", "5M", ""] {
            std::env::set_var("E2E_ROWS", bad);
            assert!(rows().is_err(), "{bad}");
        }
        for bad in ["0", "1,x", ""] {
            std::env::set_var("E2E_THREADS", bad);
            assert!(threads().is_err(), "{bad}");
        }
        std::env::remove_var("E2E_ROWS");
        std::env::remove_var("E2E_THREADS");
    }
}
