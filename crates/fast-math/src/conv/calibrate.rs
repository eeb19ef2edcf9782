//! The two rates of the convolution cost model, measured once per process on the machine
//! the code runs on: how long the direct path takes per multiply-add and overlap-add per
//! unit of its modelled work. Their ratio decides where [`convolve`](super::convolve)
//! crosses from the direct method to the FFT, and it differs between machines (the direct
//! path rides the widest FMA the CPU has; rustfft's speed depends on its own SIMD and on
//! the caches), so no rate measured on one machine stands for all of them.

use super::direct::convolve_direct_into;
use super::overlap_add::{choose_fft_len, overlap_add_cost, ConvPlan};
use simd_kernels::Isa;
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Instant;

/// Nanoseconds per multiply-add of the direct path and per unit of overlap-add's modelled
/// work (`pairs * N * (2 log2 N + 3)`, see `overlap_add_cost`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Rates {
    pub(super) direct_ns_per_mac: f64,
    pub(super) fft_ns_per_unit: f64,
}

/// Signal and kernel lengths of the measurement: past the crossover on every machine
/// measured (so both methods run in the regime the choice is made in), their data in L1/L2
/// like the blocks both methods work on, and about 0.1 ms per run, so the whole
/// measurement costs about a millisecond once per process.
const SIGNAL: usize = 8192;
const TAPS: usize = 128;
/// Runs per method; the fastest counts (a preempted run only ever makes one slower).
const RUNS: usize = 7;

/// The rates of this machine, measured on first use (only a convolution long enough to
/// need the cost model pays for it).
pub(super) fn rates() -> Rates {
    static RATES: OnceLock<Rates> = OnceLock::new();
    *RATES.get_or_init(measure)
}

fn measure() -> Rates {
    let isa = Isa::detect();
    // Any values do: both methods' times do not depend on them.
    let x: Vec<f64> = (0..SIGNAL)
        .map(|i| ((i * 7919) % 1000) as f64 * 1e-3 - 0.5)
        .collect();
    let h = &x[..TAPS];
    let mut out = vec![0.0; SIGNAL + TAPS - 1];
    let direct = fastest(|| convolve_direct_into(isa, &x, h, &mut out));
    let plan = ConvPlan::for_signal_len(h, SIGNAL);
    let fft = fastest(|| {
        black_box(plan.convolve(&x));
    });
    let units = overlap_add_cost(SIGNAL, TAPS, choose_fft_len(TAPS, SIGNAL));
    Rates {
        direct_ns_per_mac: plausible(direct * 1e9 / (SIGNAL * TAPS) as f64, 0.09),
        fft_ns_per_unit: plausible(fft * 1e9 / units, 0.30),
    }
}

/// The fastest of [`RUNS`] timed runs of `f` after one untimed warm-up, in seconds.
fn fastest(mut f: impl FnMut()) -> f64 {
    f();
    (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// `rate`, unless a clock that does not advance or a machine stalled for the whole
/// measurement made it meaningless: then `fallback` (the rate measured on the AVX-512
/// Xeon the model was first fitted on).
fn plausible(rate: f64, fallback: f64) -> f64 {
    if rate.is_finite() && (1e-3..=1e3).contains(&rate) {
        rate
    } else {
        fallback
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machine_has_plausible_rates() {
        let r = rates();
        // Wide bounds: tests may run unoptimized or under valgrind, tens of times slower.
        assert!((1e-3..=1e3).contains(&r.direct_ns_per_mac), "{r:?}");
        assert!((1e-3..=1e3).contains(&r.fft_ns_per_unit), "{r:?}");
        // Measured once: later calls see the same rates.
        assert_eq!(rates(), r);
    }

    #[test]
    fn implausible_rates_fall_back() {
        assert_eq!(plausible(0.0, 0.3), 0.3);
        assert_eq!(plausible(f64::INFINITY, 0.3), 0.3);
        assert_eq!(plausible(f64::NAN, 0.3), 0.3);
        assert_eq!(plausible(0.12, 0.3), 0.12);
    }
}
