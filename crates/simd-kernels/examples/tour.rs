//! A short tour of `simd-kernels`: what this CPU offers, how close the kernels get to its
//! limits, and what compensated summation and stable moments buy.
//!
//! Run with `cargo run --release -p simd-kernels --example tour`.

use simd_kernels::{self as sk, probe, Isa};
use std::hint::black_box;
use std::time::Instant;

/// Median of `reps` timings of `f`, in seconds.
fn median_secs(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() {
    let isa = Isa::detect();
    let names: Vec<&str> = Isa::available().map(Isa::name).collect();
    println!("ISA in use: {isa} (available: {})", names.join(", "));

    let peak = probe::measure_fma_peak_gflops(isa, 8, 5);
    let bw = probe::measure_read_bandwidth_gbs(isa, 1 << 24, 5);
    println!("machine: f64 FMA peak {peak:.1} GFLOP/s, streaming read {bw:.1} GB/s");

    let n = 4096;
    let a: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 1000) as f64 / 1000.0)
        .collect();
    let b: Vec<f64> = (0..n)
        .map(|i| ((i * 104_729) % 1000) as f64 / 1000.0)
        .collect();
    let naive = median_secs(2001, || {
        black_box(a.iter().zip(&b).map(|(x, y)| x * y).sum::<f64>());
    });
    let fast = median_secs(2001, || {
        black_box(sk::dot(black_box(&a), black_box(&b)));
    });
    println!(
        "dot of {n} f64: naive loop {:.0} ns, {isa} kernel {:.0} ns ({:.1}x, {:.1} GFLOP/s)",
        naive * 1e9,
        fast * 1e9,
        naive / fast,
        2.0 * n as f64 / fast / 1e9
    );

    let hard = [1e16, 1.0, -1e16];
    println!(
        "sum of [1e16, 1, -1e16]: plain {} / compensated {}",
        sk::sum(&hard),
        sk::sum_compensated(&hard)
    );

    let prices: Vec<f64> = (0..100_000)
        .map(|i| 1e9 + ((i * 37) % 101) as f64 / 50.0 - 1.0)
        .collect();
    let m = sk::moments(&prices);
    let n = prices.len() as f64;
    let mean_sq = prices.iter().map(|x| x * x).sum::<f64>() / n;
    let textbook = (mean_sq - (prices.iter().sum::<f64>() / n).powi(2)) * n / (n - 1.0);
    println!(
        "variance of 100k values near 1e9: one-pass moments {:.6}, textbook E[x^2]-E[x]^2 {:.1}",
        m.variance().unwrap_or(f64::NAN),
        textbook
    );
}
