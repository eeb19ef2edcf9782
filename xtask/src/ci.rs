//! `cargo xtask ci`: every check, bottom up, then a summary table. Steps: fmt, tidy (in
//! this process), clippy, the tests of each layer, then of the DataFusion adapter
//! (`ml-datafusion` with its `ballista` feature, in the `engine` profile: its DataFusion tests
//! and a test on a Ballista cluster on loopback), simd-kernels' tests under each ISA,
//! valgrind memcheck of zero-copy-pool, docs.

use crate::cmd::{cargo, on_path, root, run_timed};
use simd_kernels::Isa;
use std::process::Command;

/// The library crates, bottom layer first, then the program.
const LAYERS: [&str; 6] = [
    "seeded-rng",
    "simd-kernels",
    "zero-copy-pool",
    "fast-math",
    "ml-pipeline",
    "mlp",
];

/// The adapter's Ballista feature (scheduler, executor, `mlp-sql --cluster`, the cluster test).
const BALLISTA: &str = "ml-datafusion/ballista";

/// Pool stress iterations under valgrind, which runs code about 50x slower.
const VALGRIND_STRESS_ITERS: &str = "2000";

struct Step {
    name: String,
    outcome: Outcome,
    seconds: f64,
}

enum Outcome {
    Pass,
    Fail,
    Skipped(String),
}

pub fn run() -> Result<(), String> {
    let mut steps = Vec::new();

    steps.push(timed(
        "fmt".into(),
        cargo().args(["fmt", "--all", "--", "--check"]),
    ));
    steps.push(tidy());
    // With the adapter's Ballista feature, so its cluster code is linted too; the feature
    // only changes the DataFusion this check builds (with its default features), not how many.
    steps.push(timed(
        "clippy".into(),
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--features",
            BALLISTA,
            "--",
            "-D",
            "warnings",
        ]),
    ));
    for krate in LAYERS {
        steps.push(timed(
            format!("test {krate}"),
            cargo().args(["test", "-p", krate]),
        ));
    }
    // The DataFusion adapter after the core: its own profile, which builds the engine at
    // opt-level 0 (see `[profile.engine]` in the workspace manifest). One build with the
    // Ballista feature runs its DataFusion tests and the test on a Ballista cluster
    // (`tests/ballista.rs`: a scheduler and two executors on loopback).
    steps.push(timed(
        "test ml-datafusion --features ballista".into(),
        cargo().args([
            "test",
            "-p",
            "ml-datafusion",
            "--profile",
            "engine",
            "--features",
            BALLISTA,
        ]),
    ));
    for isa in [Isa::Scalar, Isa::Avx2Fma, Isa::Avx512] {
        let name = format!("test simd-kernels SIMD_KERNELS_ISA={}", isa.name());
        if isa.is_supported() {
            let mut cmd = cargo();
            cmd.args(["test", "-p", "simd-kernels"])
                .env(simd_kernels::ISA_ENV_VAR, isa.name());
            steps.push(timed(name, &mut cmd));
        } else {
            steps.push(Step {
                name,
                outcome: Outcome::Skipped("CPU lacks it".into()),
                seconds: 0.0,
            });
        }
    }
    steps.push(valgrind_pool());
    steps.push(timed(
        "doc".into(),
        cargo()
            .args(["doc", "--workspace", "--no-deps"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    ));

    print_summary(&steps);
    let failed: Vec<&str> = steps
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Fail))
        .map(|s| s.name.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} step(s) failed: {}",
            failed.len(),
            failed.join(", ")
        ))
    }
}

fn timed(name: String, cmd: &mut Command) -> Step {
    let (ok, seconds) = run_timed(cmd);
    let outcome = if ok { Outcome::Pass } else { Outcome::Fail };
    Step {
        name,
        outcome,
        seconds,
    }
}

/// `cargo xtask tidy`, in this process.
fn tidy() -> Step {
    eprintln!("\n$ cargo xtask tidy");
    let start = std::time::Instant::now();
    let outcome = match crate::tidy::run() {
        Ok(()) => Outcome::Pass,
        Err(e) => {
            eprintln!("{e}");
            Outcome::Fail
        }
    };
    Step {
        name: "tidy".into(),
        outcome,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// Runs every `zero-copy-pool` test binary under valgrind memcheck.
fn valgrind_pool() -> Step {
    let name = "valgrind zero-copy-pool".to_string();
    if !on_path("valgrind") {
        eprintln!("\nvalgrind is not installed: skipping the memcheck step");
        return Step {
            name,
            outcome: Outcome::Skipped("valgrind absent".into()),
            seconds: 0.0,
        };
    }
    let start = std::time::Instant::now();
    let exes = match test_executables("zero-copy-pool") {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return Step {
                name,
                outcome: Outcome::Fail,
                seconds: start.elapsed().as_secs_f64(),
            };
        }
    };
    let mut ok = !exes.is_empty();
    for exe in exes {
        let mut cmd = Command::new("valgrind");
        cmd.current_dir(root().join("crates/zero-copy-pool"))
            .args(["--error-exitcode=1", "--leak-check=no", "--quiet"])
            .arg(&exe)
            .args(["--test-threads=2"])
            .env("ZERO_COPY_POOL_STRESS_ITERS", VALGRIND_STRESS_ITERS);
        ok &= run_timed(&mut cmd).0;
    }
    let outcome = if ok { Outcome::Pass } else { Outcome::Fail };
    Step {
        name,
        outcome,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// Builds a crate's test binaries (lib, integration tests) and returns their paths.
pub(crate) fn test_executables(krate: &str) -> Result<Vec<String>, String> {
    let out = cargo()
        .args(["test", "-p", krate, "--no-run", "--message-format=json"])
        .output()
        .map_err(|e| format!("cargo test --no-run: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "building {krate} tests failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    // Each compiler-artifact line carries "executable":"<path>" (or null); no JSON parser needed.
    let text = String::from_utf8_lossy(&out.stdout);
    let key = "\"executable\":\"";
    Ok(text
        .lines()
        .filter(|l| l.contains("\"test\":true"))
        .filter_map(|l| {
            let start = l.find(key)? + key.len();
            let end = start + l[start..].find('"')?;
            Some(l[start..end].to_string())
        })
        // Test harnesses live in target/<profile>/deps; the bins that integration tests
        // launch are reported too and are not harnesses.
        .filter(|exe| exe.contains("/deps/"))
        .collect())
}

fn print_summary(steps: &[Step]) {
    let width = steps.iter().map(|s| s.name.len()).max().unwrap_or(4).max(4);
    println!("\n{:<width$}  {:<8}  {:>8}", "step", "result", "seconds");
    println!("{}", "-".repeat(width + 20));
    for s in steps {
        let result = match &s.outcome {
            Outcome::Pass => "ok".to_string(),
            Outcome::Fail => "FAILED".to_string(),
            Outcome::Skipped(why) => format!("skipped ({why})"),
        };
        println!("{:<width$}  {:<8}  {:>8.1}", s.name, result, s.seconds);
    }
    let total: f64 = steps.iter().map(|s| s.seconds).sum();
    println!("{}", "-".repeat(width + 20));
    println!("{:<width$}  {:<8}  {:>8.1}", "total", "", total);
}
