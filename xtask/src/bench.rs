//! `cargo xtask bench [--layer L] [--quick]`: the criterion benches of `benches/`, one
//! bench target per layer (flags in [`crate::flags::BenchArgs`]).

use crate::cmd::{cargo, run_timed};
use crate::flags::{BenchArgs, BenchLayer};
use clap::ValueEnum;

pub fn run(args: &BenchArgs) -> Result<(), String> {
    let layers: Vec<BenchLayer> = match args.layer {
        Some(l) => vec![l],
        None => BenchLayer::value_variants().to_vec(),
    };
    for layer in layers.iter().map(|l| l.target()) {
        let mut cmd = cargo();
        cmd.args(["bench", "-p", "benches", "--bench", layer]);
        if args.quick {
            cmd.args(["--", "--quick", "--noplot"]);
        }
        let (ok, secs) = run_timed(&mut cmd);
        if !ok {
            return Err(format!("bench {layer} failed after {secs:.0} s"));
        }
    }
    Ok(())
}
