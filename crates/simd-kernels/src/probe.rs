//! Probes of this machine's own limits: FMA throughput and streaming read bandwidth; and
//! the CPU's name, which every report of a measurement prints beside it.
//!
//! Benchmarks divide by these to report "percent of peak" instead of bare times.

use crate::dispatch::dispatch;
use crate::generic::probe::FMA_CHAINS;
use crate::isa::Isa;
use std::time::Instant;

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

/// The CPU's model name from `/proc/cpuinfo` (or a note that it is unknown), followed by its
/// CPUID family and model where known, so that a report names the machine exactly even when
/// the model name is only a brand ("AMD EPYC (family 1Ah model 02h)").
pub fn cpu_model() -> String {
    let name = cpu_model_name();
    match crate::cpu::signature() {
        Some(sig) => format!("{name} (family {:X}h model {:02X}h)", sig.family, sig.model),
        None => name,
    }
}

fn cpu_model_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim() == "model name")
                .map(|(_, v)| v.trim().to_string())
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("unknown ({} CPU)", std::env::consts::ARCH))
}
