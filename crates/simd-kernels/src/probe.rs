//! Probes of this machine's own limits: FMA throughput and streaming read bandwidth.
//!
//! Benchmarks divide by these to report "percent of peak" instead of bare times.

use crate::float::dispatch;
use crate::vector::Vector;
use crate::{Float, Isa};
use std::time::Instant;

/// Independent FMA chains: more than latency (4) x ports (2), and within 16 registers.
pub(crate) const FMA_CHAINS: usize = 12;

#[inline(always)]
pub(crate) fn fma_loop<T: Float, V: Vector<T>>(iterations: u64) -> T {
    // acc <- acc * m + c converges to c / (1 - m) = 1: values stay normal, never overflow.
    // The chains start away from that fixed point and the constants are opaque, or the
    // compiler proves the loop invariant and deletes it.
    let m = V::splat(std::hint::black_box(T::from_f64(0.999_999)));
    let c = V::splat(std::hint::black_box(T::from_f64(1e-6)));
    let mut acc = [V::splat(T::ZERO); FMA_CHAINS];
    for (k, a) in acc.iter_mut().enumerate() {
        *a = V::splat(T::from_f64(0.5 + k as f64 / 64.0));
    }
    for _ in 0..iterations {
        for a in &mut acc {
            *a = a.mul_add(m, c);
        }
    }
    let mut out = [T::ZERO; 16];
    let mut total = T::ZERO;
    for a in acc {
        a.to_array(&mut out);
        total += out[0];
    }
    total
}

#[inline(always)]
pub(crate) fn read_probe<T: Float, V: Vector<T>>(x: &[T]) -> T {
    // A max-reduction: one cheap op per loaded vector, nothing but the loads to limit it.
    const K: usize = 8;
    let step = V::LANES * K;
    let main = x.len() - x.len() % step;
    let mut acc = [V::splat(T::ZERO); K];
    for c in x[..main].chunks_exact(step) {
        for k in 0..K {
            acc[k] = acc[k].max(V::load(&c[k * V::LANES..]));
        }
    }
    let mut buf = [T::ZERO; 16];
    let mut best = T::ZERO;
    for a in acc {
        a.to_array(&mut buf);
        for &v in &buf[..V::LANES] {
            best = best.max(v);
        }
    }
    x[main..].iter().fold(best, |m, &v| m.max(v))
}

/// Runs `iterations` rounds of independent vector FMA chains on `isa` and returns a value
/// that depends on all of them. It performs [`fma_loop_flops`] floating-point operations.
///
/// # Panics
/// If the CPU does not support `isa`.
pub fn fma_loop_f64(isa: Isa, iterations: u64) -> f64 {
    dispatch!(isa, f64::fma_loop(iterations))
}

/// [`fma_loop_f64`] in single precision.
///
/// # Panics
/// If the CPU does not support `isa`.
pub fn fma_loop_f32(isa: Isa, iterations: u64) -> f32 {
    dispatch!(isa, f32::fma_loop(iterations))
}

/// Floating-point operations (2 per lane per FMA) done by one call of the FMA loop.
pub fn fma_loop_flops(isa: Isa, iterations: u64, elem_bytes: usize) -> u64 {
    let lanes = (isa.f64_lanes() * 8 / elem_bytes).max(1) as u64;
    iterations * FMA_CHAINS as u64 * lanes * 2
}

/// Streams through `x` once with the cheapest possible work per element (a max) and
/// returns the maximum (with a floor of 0). Time it to get the read bandwidth.
///
/// # Panics
/// If the CPU does not support `isa`.
pub fn read_probe_f64(isa: Isa, x: &[f64]) -> f64 {
    dispatch!(isa, f64::read_probe(x))
}

/// [`read_probe_f64`] in single precision.
///
/// # Panics
/// If the CPU does not support `isa`.
pub fn read_probe_f32(isa: Isa, x: &[f32]) -> f32 {
    dispatch!(isa, f32::read_probe(x))
}

/// Best of `repeats` timings of the f64 FMA loop on `isa`, in GFLOP/s.
///
/// # Panics
/// If the CPU does not support `isa`.
pub fn measure_fma_peak_gflops(isa: Isa, elem_bytes: usize, repeats: usize) -> f64 {
    let iterations = 2_000_000;
    let mut best = f64::INFINITY;
    let mut sink = 0.0;
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        sink += if elem_bytes == 4 {
            f64::from(fma_loop_f32(isa, iterations))
        } else {
            fma_loop_f64(isa, iterations)
        };
        best = best.min(t.elapsed().as_secs_f64());
    }
    std::hint::black_box(sink);
    fma_loop_flops(isa, iterations, elem_bytes) as f64 / best / 1e9
}

/// Best of `repeats` timings of [`read_probe_f64`] over `len` doubles, in GB/s.
///
/// # Panics
/// If the CPU does not support `isa`.
pub fn measure_read_bandwidth_gbs(isa: Isa, len: usize, repeats: usize) -> f64 {
    let x: Vec<f64> = (0..len).map(|i| (i % 1024) as f64).collect();
    let mut best = f64::INFINITY;
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        std::hint::black_box(read_probe_f64(isa, std::hint::black_box(&x)));
        best = best.min(t.elapsed().as_secs_f64());
    }
    (len * 8) as f64 / best / 1e9
}
