//! `cargo xtask validate`: runs the `validate` binary of `benches/` in release mode. It
//! measures every layer against its baseline in one process and writes target/validate.json,
//! docs/BENCHMARKS.md and docs/benchmarks.svg; it fails when a ratio is below its floor.

use crate::cmd::{cargo, run_timed};
use crate::flags::ValidateArgs;

pub fn run(args: &ValidateArgs) -> Result<(), String> {
    let mut cmd = cargo();
    cmd.args(["run", "--release", "-p", "benches", "--bin", "validate"]);
    if let Some(page) = &args.page {
        cmd.args(["--", page]);
    }
    let (ok, secs) = run_timed(&mut cmd);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "validate failed after {secs:.0} s (a ratio below its floor, or an error above)"
        ))
    }
}
