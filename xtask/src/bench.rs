//! `cargo xtask bench [--layer simd|pool|math] [--quick]`: the criterion benches of `benches/`.

use crate::cmd::{cargo, run_timed};

/// Bench targets, one per layer, in layer order.
const LAYERS: [&str; 5] = ["simd", "pool", "math", "algos", "pipeline"];

pub fn run(args: &[String]) -> Result<(), String> {
    let mut layers: Vec<&str> = LAYERS.to_vec();
    let mut quick = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--layer" => {
                let l = it
                    .next()
                    .ok_or("--layer needs a value: simd, pool, math, algos or pipeline")?;
                let l = LAYERS.iter().find(|x| **x == l.as_str()).ok_or_else(|| {
                    format!("unknown layer {l:?}: expected simd, pool, math, algos or pipeline")
                })?;
                layers = vec![l];
            }
            other => return Err(format!("bench: unknown argument {other:?}")),
        }
    }
    for layer in layers {
        let mut cmd = cargo();
        cmd.args(["bench", "-p", "benches", "--bench", layer]);
        if quick {
            cmd.args(["--", "--quick", "--noplot"]);
        }
        let (ok, secs) = run_timed(&mut cmd);
        if !ok {
            return Err(format!("bench {layer} failed after {secs:.0} s"));
        }
    }
    Ok(())
}
