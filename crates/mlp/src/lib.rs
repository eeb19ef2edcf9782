//! `mlp`: the command-line program of the workspace, on top of `ml-pipeline`.
//!
//! The `mlp` binary is a thin `main` around [`run_to_exit_code`]; keeping the program in a library
//! lets the tests and fuzz targets drive its argument handling and CSV ingestion
//! ([`csv_io`]) in-process. Everything only the program needs (argument parsing, reading and
//! writing CSV, Parquet and Arrow files ([`input`], [`sink`]), progress bars, plots) lives
//! here, not in the library crates.
//!
//! Subcommands: `demo` (synthetic market, training, out-of-sample evaluation, tick-by-tick
//! replay with latency, allocation and speedup measurements), `features` (of one series, or
//! of each symbol of a long-format file with `--group`), `train` (ridge, logistic, softmax, or
//! gradient-boosted trees with `--model gbdt`),
//! `predict` (a model file of `train`, or a tree ensemble saved by XGBoost or LightGBM) and
//! `info`. Every failure on bad input is one [`CliError`]; [`run_to_exit_code`]
//! prints it as one line, `mlp: <message>`, on standard error and exits with status 2.

/// Prints one line on standard output; a closed pipe (`mlp ... | head`) is not an error.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod args;
mod arrow_cells;
mod columnar_in;
mod columnar_out;
pub mod csv_io;
pub mod csv_out;
mod csv_records;
mod demo;
mod demo_gbdt;
mod error;
mod evaluate;
mod export;
mod features_cmd;
mod features_help;
pub mod formats;
mod info;
pub mod input;
mod order;
mod plot;
mod predict;
mod progress;
pub mod sink;
pub mod sink_open;
pub mod table;
mod train;
mod train_data;
mod train_gbdt;
mod train_stream;

pub use demo::AllocationCounter;
pub use error::{CliError, CliResult};

use clap::Parser;
use std::ffi::OsString;
use std::process::ExitCode;

/// Parses `argv` (program name first) and runs the chosen subcommand.
///
/// `allocations`, when given, is read by `mlp demo` to report allocations per tick; without
/// it that figure is reported as not counted.
///
/// # Errors
/// A [`CliError`] for a usage error (its message is clap's, on one line), a bad
/// `SIMD_KERNELS_ISA`, or any failure of the subcommand. `--help` and `--version` print
/// and return `Ok`.
pub fn run<I, T>(argv: I, allocations: Option<AllocationCounter>) -> CliResult<()>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match args::Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help, --version: not failures.
            say!("{}", e.render().to_string().trim_end());
            return Ok(());
        }
        Err(e) => return Err(CliError::usage(e.render().to_string())),
    };
    // `Isa::detect` panics on a bad SIMD_KERNELS_ISA; report it as a usage error instead.
    simd_kernels::Isa::env_cap().map_err(CliError::new)?;
    match cli.command {
        args::Command::Demo(a) => demo::run(&a, allocations),
        args::Command::Features(a) => features_cmd::run(&a),
        args::Command::Train(a) => train::run(&a),
        args::Command::Predict(a) => predict::run(&a),
        args::Command::Export(a) => export::run(&a),
        args::Command::Info => {
            info::run();
            Ok(())
        }
    }
}

/// [`run`], then the program's exit status: 0 on success (or when standard output was
/// closed by its reader), else the error printed on standard error and status 2.
pub fn run_to_exit_code<I, T>(argv: I, allocations: Option<AllocationCounter>) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    match run(argv, allocations) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.broken_pipe => ExitCode::SUCCESS,
        Err(e) if e.usage => {
            // clap's own message, with its usage line and hint, as clap prints it.
            eprintln!("{}", e.message().trim_end());
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("mlp: {e}");
            ExitCode::from(2)
        }
    }
}
