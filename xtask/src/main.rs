//! Project tasks, as code: `cargo xtask <task>`.
//!
//! - `ci`: every check CI runs, with a summary table; exits non-zero if any step failed.
//! - `bench [--layer simd|pool|math|pipeline] [--quick]`: the criterion benches.

mod bench;
mod ci;
mod cmd;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  ci                                   format, lints, tests (per layer and per ISA), valgrind, docs
  bench [--layer L] [--quick]          criterion benches; L is simd, pool or math";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
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
