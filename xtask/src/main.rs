//! Project tasks, as code: `cargo xtask <task>`.
//!
//! - `ci`: every check CI runs, with a summary table; exits non-zero if any step failed.
//! - `bench [--layer simd|pool|math|algos|pipeline] [--quick]`: the criterion benches.
//! - `validate`: every layer against its baseline, interleaved; writes docs/BENCHMARKS.md.
//! - `compare`: ours against the Python libraries users would pick; writes docs/COMPARISON.md.
//! - `fuzz [--seconds N] [--target T]`: the cargo-fuzz targets in fuzz/ (nightly), N seconds each.

mod bench;
mod ci;
mod cmd;
mod compare;
mod fuzz;
mod sanitize;
mod validate;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  ci                                   format, lints, tests (per layer and per ISA), valgrind, docs
  bench [--layer L] [--quick]          criterion benches; L is simd, pool, math, algos or pipeline
  validate                             every layer vs its baseline, interleaved, in one process;
                                       writes docs/BENCHMARKS.md; fails below benches/floors.toml
  sanitize [--asan] [--tsan] [--valgrind]
                                       pool, fast-math and ml-pipeline tests under Address- and
                                       ThreadSanitizer (nightly) and valgrind memcheck; not in ci
  compare                              ours vs numpy/SciPy/scikit-learn/pandas/Polars, same data,
                                       one thread, answers checked; writes docs/COMPARISON.md
  fuzz [--seconds N] [--target T]      the cargo-fuzz targets in fuzz/ on nightly, N seconds
                                       each (default 60); writes target/fuzz.json";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("validate") => validate::run(&args[1..]),
        Some("compare") => compare::run(&args[1..]),
        Some("sanitize") => sanitize::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown task {other:?}\n\n{USAGE}")),
        None => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("xtask: {msg}");
            ExitCode::FAILURE
        }
    }
}
