//! `cargo xtask sanitize [--asan] [--valgrind]`: the test suites of `zero-copy-pool`,
//! `fast-math` and `ml-pipeline` under AddressSanitizer (nightly) and valgrind memcheck.
//! Not part of `cargo xtask ci` (the nightly build and memcheck take long).
//!
//! ThreadSanitizer needs `-Zbuild-std` (an uninstrumented std reports false races), which
//! needs the nightly `rust-src` component; when it is missing the step is reported as
//! skipped with that reason rather than run with misleading results.

use crate::cmd::{on_path, root, run_timed};
use std::process::Command;

/// The suites checked, bottom layer first.
const CRATES: [&str; 3] = ["zero-copy-pool", "fast-math", "ml-pipeline"];
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

pub fn run(args: &[String]) -> Result<(), String> {
    let mut asan = args.iter().any(|a| a == "--asan");
    let mut valgrind = args.iter().any(|a| a == "--valgrind");
    if let Some(a) = args.iter().find(|a| *a != "--asan" && *a != "--valgrind") {
        return Err(format!(
            "sanitize: unknown argument {a:?} (expected --asan, --valgrind)"
        ));
    }
    if !asan && !valgrind {
        (asan, valgrind) = (true, true);
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
    report.push(
        "tsan: skipped — needs -Zbuild-std (nightly rust-src), not installable on this machine; \
         without it std's atomics are uninstrumented and races would be misreported"
            .into(),
    );
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
            // (valgrind emulates FMA with its own rounding); see ml-pipeline's tests/cli.rs.
            .env("ML_PIPELINE_UNDER_VALGRIND", "1");
        ok &= run_timed(&mut cmd).0;
    }
    Ok(ok)
}
