//! `mlp`: the command-line program of `ml-pipeline`.
//!
//! Subcommands: `demo` (synthetic market, training, out-of-sample evaluation, tick-by-tick
//! replay with latency, allocation and speedup measurements), `features`, `train`,
//! `predict` and `info`. Every failure on bad input prints one line, `mlp: <message>`, on
//! standard error and exits with status 2.

/// Prints one line on standard output; a closed pipe (`mlp ... | head`) is not an error.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod cli;
mod csv_io;
mod demo;
mod error;
mod features_cmd;
mod info;
mod plot;
mod predict;
mod train;

use clap::Parser;
use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

/// The system allocator, counting every allocation (any thread) so the demo can measure
/// allocations per tick.
struct CountingAlloc;

/// Allocations (including reallocations) since the process started.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// Number of heap allocations made so far by the whole process.
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the extra work is a relaxed atomic increment, which neither
// allocates nor unwinds.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which we pass on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (every allocation goes
        // through this type), as the caller guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` with `layout`, and the caller upholds
        // `GlobalAlloc::realloc`'s contract for `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Runs the chosen subcommand.
fn run(cli: cli::Cli) -> error::CliResult<()> {
    // `Isa::detect` panics on a bad SIMD_KERNELS_ISA; report it as a usage error instead.
    simd_kernels::Isa::env_cap().map_err(error::CliError::new)?;
    match cli.command {
        cli::Command::Demo(args) => demo::run(&args),
        cli::Command::Features(args) => features_cmd::run(&args),
        cli::Command::Train(args) => train::run(&args),
        cli::Command::Predict(args) => predict::run(&args),
        cli::Command::Info => {
            info::run();
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.broken_pipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mlp: {e}");
            ExitCode::from(2)
        }
    }
}
