//! `cargo xtask compare-trees`: our tree-ensemble inference against XGBoost, LightGBM,
//! Treelite + TL2cgen, lleaves and ONNX Runtime on the same model files and rows (issue 16);
//! writes docs/COMPARISON_TREES.md (or the page `--page` names).
//!
//! Trains the models once (benches/python/make_tree_bench.py, into target/tree-bench, the
//! files the `gbdt` criterion bench reads too), then alternates our timings and the peers'
//! for several rounds; the report takes medians over rounds.

use crate::cmd::{self, cargo, root};
use crate::flags::CompareTreesArgs;
use crate::venv;
use std::process::Command;

/// Rounds of ours-then-peers (`$TREES_ROUNDS`, default 2): one round of the 1M-row batches
/// takes minutes on a small machine.
fn rounds() -> usize {
    std::env::var("TREES_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2)
}

pub fn run(args: &CompareTreesArgs) -> Result<(), String> {
    let root = root();
    let python = venv::trees_python("compare-trees")?;
    step(
        "build",
        cargo().args([
            "build",
            "--release",
            "-p",
            "benches",
            "--bin",
            "compare_trees",
        ]),
    )?;
    let exe = cmd::target_dir().join("release/compare_trees");
    let data = root.join("target/tree-bench");
    if !data.join("manifest.json").exists() {
        step(
            "train models",
            Command::new(&python)
                .arg(root.join("benches/python/make_tree_bench.py"))
                .arg(&data),
        )?;
    }
    crate::compare::clear_rounds(&data)?;
    crate::compare::alternate(
        "compare-trees",
        rounds(),
        &exe,
        &python,
        "compare_trees_peers.py",
        &data,
    )?;
    let mut report = Command::new(&exe);
    report.arg("report").arg(&data);
    if let Some(page) = &args.page {
        report.arg(page);
    }
    step("report", &mut report)
}

fn step(name: &str, cmd: &mut Command) -> Result<(), String> {
    cmd::step("compare-trees", name, cmd)
}
