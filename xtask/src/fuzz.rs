//! `cargo xtask fuzz [--seconds N] [--target T]`: runs each cargo-fuzz target in `fuzz/`
//! (its own workspace, never built by CI) for N seconds (default 60) on the nightly
//! toolchain, then prints runs per target and writes target/fuzz.json. Crashes land in
//! `fuzz/artifacts/<target>/`; each one becomes a regression test. The targets and flags
//! are declared in [`crate::flags::FuzzArgs`].

use crate::cmd::{describe, root};
use crate::flags::{FuzzArgs, FuzzTarget};
use clap::ValueEnum;
use std::process::Command;
use std::time::Instant;

struct Outcome {
    target: &'static str,
    ok: bool,
    runs: Option<u64>,
    seconds: f64,
}

/// `cargo +nightly ...` with the variables of the calling (stable) cargo removed, so rustup
/// picks the nightly toolchain.
fn nightly_cargo() -> Command {
    let mut c = Command::new("cargo");
    c.arg("+nightly")
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .env_remove("CARGO")
        .env_remove("CARGO_TARGET_DIR");
    c
}

/// The run count libFuzzer reports last (`Done N runs in S second(s)`).
fn runs_in(log: &str) -> Option<u64> {
    log.lines()
        .rev()
        .find_map(|l| l.strip_prefix("Done "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

pub fn run(args: &FuzzArgs) -> Result<(), String> {
    let seconds = args.seconds;
    let has_fuzz = nightly_cargo()
        .args(["fuzz", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !has_fuzz {
        return Err(
            "cargo-fuzz with a nightly toolchain is needed: `rustup toolchain install nightly` \
             and `cargo install cargo-fuzz`"
                .into(),
        );
    }
    let fuzz_dir = root().join("fuzz");
    let mut outcomes = Vec::new();
    for &t in FuzzTarget::value_variants() {
        if args.target.is_some_and(|only| only != t) {
            continue;
        }
        let target = t.name();
        // New inputs go to corpus/<target> (not committed); seeds/<target>, when present,
        // holds committed starting points (valid model files for model_json).
        let corpus = format!("corpus/{target}");
        std::fs::create_dir_all(fuzz_dir.join(&corpus)).map_err(|e| e.to_string())?;
        let seeds = format!("seeds/{target}");
        let mut cmd = nightly_cargo();
        cmd.current_dir(&fuzz_dir)
            .args(["fuzz", "run", target, &corpus]);
        if fuzz_dir.join(&seeds).is_dir() {
            cmd.arg(&seeds);
        }
        cmd.arg("--").arg(format!("-max_total_time={seconds}"));
        eprintln!("\n$ {}", describe(&cmd));
        let start = Instant::now();
        let out = cmd
            .output()
            .map_err(|e| format!("could not start cargo fuzz: {e}"))?;
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        let tail: Vec<&str> = log.lines().rev().take(12).collect();
        for l in tail.iter().rev() {
            eprintln!("{l}");
        }
        let log_path = root().join(format!("target/fuzz-{target}.log"));
        if let Some(dir) = log_path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(&log_path, &log).map_err(|e| e.to_string())?;
        outcomes.push(Outcome {
            target,
            ok: out.status.success(),
            runs: runs_in(&log),
            seconds: start.elapsed().as_secs_f64(),
        });
    }

    println!(
        "\n{:<14} {:>7} {:>14} {:>9}",
        "target", "result", "runs", "seconds"
    );
    let mut json = Vec::new();
    for o in &outcomes {
        let runs = o.runs.map_or("?".to_string(), |r| r.to_string());
        let result = if o.ok { "ok" } else { "CRASH" };
        println!("{:<14} {result:>7} {runs:>14} {:>9.1}", o.target, o.seconds);
        json.push(format!(
            "{{\"target\":\"{}\",\"ok\":{},\"runs\":{},\"seconds\":{:.1}}}",
            o.target,
            o.ok,
            o.runs.map_or("null".to_string(), |r| r.to_string()),
            o.seconds
        ));
    }
    std::fs::write(
        root().join("target/fuzz.json"),
        format!("[{}]\n", json.join(",")),
    )
    .map_err(|e| e.to_string())?;
    let crashed: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.ok)
        .map(|o| o.target)
        .collect();
    if crashed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzz targets failed: {crashed:?}; inputs are in fuzz/artifacts/<target>/, logs in target/fuzz-<target>.log"
        ))
    }
}
