//! Project tasks, as code: `cargo xtask <task>`. The tasks and their flags are declared
//! once, in [`flags`]; `cargo xtask --help` (and `cargo xtask <task> --help`) prints them.
//! One module per task.

mod bench;
mod ci;
mod cmd;
mod compare;
mod compare_e2e;
mod compare_gbdt;
mod compare_trees;
mod flags;
mod fuzz;
mod nist;
mod sanitize;
mod tidy;
mod train_rss;
mod validate;
mod venv;

use clap::Parser;
use flags::{Task, Xtask};
use std::process::ExitCode;

fn main() -> ExitCode {
    let result = match Xtask::parse().task {
        Task::Ci => ci::run(),
        Task::Tidy => tidy::run(),
        Task::Bench(args) => bench::run(&args),
        Task::Validate(v) => validate::run(&v),
        Task::Compare(args) => compare::run(&args),
        Task::CompareTrees(args) => compare_trees::run(&args),
        Task::CompareGbdt => compare_gbdt::run(),
        Task::Nist => nist::run(),
        Task::TrainRss => train_rss::run(),
        Task::Fuzz(args) => fuzz::run(&args),
        Task::Sanitize(args) => sanitize::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("xtask: {msg}");
            ExitCode::FAILURE
        }
    }
}
