//! Speed of the mergeable ridge fit: `RidgeAccumulator::update` over 200,000 rows and 20
//! features, then `finish`, against `Ridge::fit` on the same rows. The accumulator's
//! double-double QR has one build per ISA (the answers are the same bits on each): cap the
//! ISA with `SIMD_KERNELS_ISA=avx2` or `=scalar` to time the others; the printed checksum of
//! the coefficients shows they agree.
//!
//! Run with `cargo run --release -p ml-pipeline --example accumulator_speed`.

use fast_math::{MatRef, Par};
use ml_pipeline::{Accumulator, Fit, FitIncremental, Ridge, RidgeAccumulator, Target};
use simd_kernels::Isa;
use std::time::Instant;

/// Median of `runs` timings of `f`, in seconds.
fn median(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[runs / 2]
}

fn main() -> Result<(), ml_pipeline::PipelineError> {
    let (n, k) = (200_000usize, 20usize);
    let mut rng = seeded_rng::Rng::new(7);
    let x: Vec<f64> = (0..n * k).map(|_| rng.normal()).collect();
    let y: Vec<f64> = (0..n)
        .map(|i| 2.0 * x[i] + x[n + i] + 0.1 * rng.normal())
        .collect();
    let xm = MatRef::from_col_major(&x, n, k);
    let ridge = Ridge::default();
    let per = |t: f64| t / n as f64 / ((k + 1) * (k + 1)) as f64 * 1e9;
    println!("{n} rows x {k} features; median of 5 runs");
    let mut coef = Vec::new();
    let t = median(5, || {
        let mut acc = RidgeAccumulator::new(k);
        acc.update(xm, Target::Values(&y)).expect("update");
        coef = ridge.finish(&acc).expect("finish").coef;
    });
    // The exact bits of the coefficients, folded: equal on every ISA.
    let checksum = coef
        .iter()
        .fold(0u64, |h, c| h.rotate_left(7) ^ c.to_bits());
    println!(
        "  RidgeAccumulator on {:<7} {t:.3} s ({:.1} ns per row per (k+1)^2); coefficient bits {checksum:016x}",
        Isa::detect().name(),
        per(t)
    );
    let t = median(5, || {
        ridge.fit(xm, &y, Par::Seq).expect("fit");
    });
    println!(
        "  Ridge::fit, one thread    {t:.3} s ({:.1} ns per row per (k+1)^2)",
        per(t)
    );
    Ok(())
}
