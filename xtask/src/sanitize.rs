//! `cargo xtask sanitize [--asan] [--tsan] [--valgrind]`: the test suites of
//! `zero-copy-pool`, `fast-math`, `ml-pipeline` and `mlp` under AddressSanitizer and
//! ThreadSanitizer (nightly) and valgrind memcheck; no flag runs all three. Not part of
//! `cargo xtask ci` (the nightly builds and memcheck take long).
//!
//! ThreadSanitizer runs without rebuilding std (`-Zbuild-std` needs the nightly `rust-src`
//! component, which this machine cannot install), so std's own synchronization (Arc's
//! fence, Once, Mutex/Condvar under rayon, libtest's channel) is invisible to it; those
//! families of false reports are suppressed by `xtask/tsan-suppressions.txt`, each
//! explained there. None names our crates, and a planted race in user code is still
//! reported with them (see docs/RELIABILITY.md).

use crate::cmd::{on_path, root, run_timed};
use crate::flags::SanitizeArgs;
use std::process::Command;

/// The suites checked, bottom layer first.
const CRATES: [&str; 4] = ["zero-copy-pool", "fast-math", "ml-pipeline", "mlp"];
const TARGET: &str = "x86_64-unknown-linux-gnu";

/// `cargo +nightly` with the calling cargo's toolchain variables removed.
fn nightly_cargo() -> Command {
    let mut c = Command::new("cargo");
    c.arg("+nightly")
        .current_dir(root())
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .env_remove("CARGO")
        .env_remove("CARGO_TARGET_DIR");
    c
}

pub fn run(args: &SanitizeArgs) -> Result<(), String> {
    let (mut asan, mut tsan, mut valgrind) = (args.asan, args.tsan, args.valgrind);
    if !asan && !tsan && !valgrind {
        (asan, tsan, valgrind) = (true, true, true);
    }
    let mut failed = Vec::new();
    let mut report = Vec::new();
    if asan {
        for krate in CRATES {
            let mut cmd = nightly_cargo();
            cmd.args(["test", "-p", krate, "--lib", "--tests", "--target", TARGET])
                .env("RUSTFLAGS", "-Zsanitizer=address")
                .env("CARGO_TARGET_DIR", root().join("target/sanitize-asan"))
                .env("ASAN_OPTIONS", "detect_leaks=1")
                .env("ML_PIPELINE_STRESS_CALLS", "200000");
            let (ok, secs) = run_timed(&mut cmd);
            report.push(format!(
                "asan {krate}: {} ({secs:.0} s)",
                if ok { "clean" } else { "FAILED" }
            ));
            if !ok {
                failed.push(format!("asan {krate}"));
            }
        }
    }
    if tsan {
        let suppressions = root().join("xtask/tsan-suppressions.txt");
        for krate in CRATES {
            let mut cmd = nightly_cargo();
            cmd.args(["test", "-p", krate, "--lib", "--tests", "--target", TARGET])
                // One test at a time: concurrent panicking tests meet in std's backtrace
                // lock, another uninstrumented hand-off. Tests spawn their own threads.
                .args(["--", "--test-threads=1"])
                // Without -Zbuild-std the prebuilt std was not compiled for the sanitizer;
                // rustc refuses to mix the two unless told the mismatch is accepted.
                .env(
                    "RUSTFLAGS",
                    "-Zsanitizer=thread -Cunsafe-allow-abi-mismatch=sanitizer",
                )
                .env("CARGO_TARGET_DIR", root().join("target/sanitize-tsan"))
                .env(
                    "TSAN_OPTIONS",
                    format!("suppressions={}", suppressions.display()),
                )
                .env("ZERO_COPY_POOL_STRESS_ITERS", "20000")
                .env("ML_PIPELINE_STRESS_CALLS", "20000");
            let (ok, secs) = run_timed(&mut cmd);
            report.push(format!(
                "tsan {krate}: {} ({secs:.0} s; std uninstrumented, suppressions in {})",
                if ok { "clean" } else { "FAILED" },
                suppressions.display()
            ));
            if !ok {
                failed.push(format!("tsan {krate}"));
            }
        }
    }
    if valgrind {
        if !on_path("valgrind") {
            report.push("valgrind: skipped — not installed".into());
        } else {
            for krate in CRATES {
                let ok = memcheck(krate)?;
                report.push(format!(
                    "valgrind {krate}: {}",
                    if ok { "clean" } else { "FAILED" }
                ));
                if !ok {
                    failed.push(format!("valgrind {krate}"));
                }
            }
        }
    }
    println!("\nsanitize summary:\n  {}", report.join("\n  "));
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("sanitize: {} failed", failed.join(", ")))
    }
}

/// Every test binary of `krate` under memcheck, with stress loops shortened.
fn memcheck(krate: &str) -> Result<bool, String> {
    let exes = crate::ci::test_executables(krate)?;
    let mut ok = !exes.is_empty();
    for exe in exes {
        let mut cmd = Command::new("valgrind");
        cmd.current_dir(root().join("crates").join(krate))
            .args(["--error-exitcode=1", "--leak-check=no", "--quiet"])
            .arg(&exe)
            .args(["--test-threads=2"])
            .env("ZERO_COPY_POOL_STRESS_ITERS", "2000")
            .env("ML_PIPELINE_STRESS_CALLS", "20000")
            // valgrind hides AVX-512, so the test takes the AVX2 path; programs the tests
            // launch (not under valgrind) must take it too, or bit-exact comparisons between
            // the two processes see different rounding.
            .env("SIMD_KERNELS_ISA", "avx2")
            // Tests comparing with a launched program's output allow last-bit differences
            // (valgrind emulates FMA with its own rounding); see mlp's tests/cli.rs.
            .env("ML_PIPELINE_UNDER_VALGRIND", "1");
        ok &= run_timed(&mut cmd).0;
    }
    Ok(ok)
}
