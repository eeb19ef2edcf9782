//! Full linear convolution (`numpy.convolve(mode="full")`): direct on the SIMD kernels for
//! short kernels, FFT overlap-add (rustfft) for long ones.
//!
//! - [`convolve`] picks the faster method from a cost model whose constants were measured
//!   on the project machine (see [`use_fft`]).
//! - [`fft_convolve`] always uses overlap-add.
//! - [`ConvPlan`] plans once for a kernel and then convolves into caller buffers without
//!   allocating.
//!
//! Empty input: `numpy.convolve` raises on an empty array; here an empty signal or kernel
//! gives an empty output (the full-mode length `n + k - 1` has no meaning for them).
//!
//! ```
//! use fast_math::conv::convolve;
//! assert_eq!(convolve(&[1.0, 2.0, 3.0], &[0.0, 1.0, 0.5]), vec![0.0, 1.0, 2.5, 4.0, 1.5]);
//! assert!(convolve(&[], &[1.0]).is_empty());
//! ```

mod direct;
mod overlap_add;

pub use overlap_add::ConvPlan;
pub use rustfft::num_complex::Complex;

use overlap_add::full_len;
use simd_kernels::Isa;

/// Measured nanoseconds per multiply-add of the direct path (blocked `axpy`, AVX-512) on
/// the project machine, for kernels of 16 to 1024 taps (0.07 to 0.11 measured).
const DIRECT_NS_PER_MAC: f64 = 0.09;
/// Shorter inputs up to this length always use the direct path (measured: it won at every
/// signal length from 10^3 to 10^6 for 2 to 16 taps, and up to 32 taps below 10^4 samples).
const DIRECT_ALWAYS_TAPS: usize = 24;
/// Measured fixed cost of a direct call (output allocation, dispatch).
const DIRECT_NS_FIXED: f64 = 200.0;
/// Measured cost per tap and 2048-output block (`axpy` dispatch and bounds).
const DIRECT_NS_PER_TAP_BLOCK: f64 = 4.0;
/// Measured nanoseconds per unit of [`fft_cost_units`] (rustfft, AVX; 0.23 to 0.4 while the
/// data fit in L2, higher once the signal streams from memory, where direct slows alike).
const FFT_NS_PER_UNIT: f64 = 0.30;
/// Measured fixed cost of an FFT convolution call (planning from the warm thread-local
/// planner, the kernel spectrum, allocation).
const FFT_NS_FIXED: f64 = 700.0;

/// Modelled time in nanoseconds of the direct method for lengths `n` and `k`.
fn direct_cost_ns(n: usize, k: usize) -> f64 {
    let short = n.min(k) as f64;
    let blocks = full_len(n, k).div_ceil(2048) as f64;
    DIRECT_NS_FIXED
        + DIRECT_NS_PER_MAC * n as f64 * k as f64
        + DIRECT_NS_PER_TAP_BLOCK * blocks * short
}

/// Modelled time in nanoseconds of the overlap-add method for lengths `n` and `k`.
fn fft_cost_ns(n: usize, k: usize) -> f64 {
    FFT_NS_FIXED + FFT_NS_PER_UNIT * fft_cost_units(n, k)
}

/// Work units of overlap-add for lengths `n` and `k` at the FFT length [`fft_convolve`]
/// picks (`pairs * N * (2 log2 N + 3)`); the `algos` bench divides measured times by this to
/// calibrate [`use_fft`].
#[doc(hidden)]
pub fn fft_cost_units(n: usize, k: usize) -> f64 {
    let (long, short) = (n.max(k), n.min(k));
    let n_fft = overlap_add::choose_fft_len(short, long);
    overlap_add::overlap_add_cost(long, short, n_fft)
}

/// Whether [`convolve`] uses the FFT for a signal of `n` and a kernel of `k` samples.
///
/// The choice compares two cost models (as SciPy's `choose_conv_method` does), with
/// constants measured by the `algos` bench (`conv-grid`) on the project machine (Xeon,
/// Sapphire Rapids class, AVX-512): the direct path costs about 0.09 ns per multiply-add,
/// overlap-add about 0.3 ns per unit of `pairs * N * (2 log2 N + 3)` plus 0.7 us per call.
/// The crossover is a shorter input of about 48 to 64 samples for signals of 10^4 to 10^6
/// samples (SciPy's model puts it near 330 for its own direct code).
pub fn use_fft(n: usize, k: usize) -> bool {
    // Up to 24 taps the direct path won at every measured length (10^3 to 10^6), and tiny
    // problems cannot repay the FFT path's fixed cost: skip the model (it costs a few
    // hundred ns, noticeable next to a microsecond-sized direct convolution).
    if n.min(k) <= DIRECT_ALWAYS_TAPS {
        return false;
    }
    let direct = direct_cost_ns(n, k);
    direct >= FFT_NS_FIXED && fft_cost_ns(n, k) < direct
}

/// Full convolution `y[i] = sum_j signal[j] * kernel[i - j]`, length `n + k - 1` (as
/// `numpy.convolve(signal, kernel)`), by the faster of the direct and FFT methods
/// ([`use_fft`]). Empty inputs give an empty output.
///
/// Error: direct, each output within `min(n, k) * eps * sum_j |signal[j] kernel[i - j]|`;
/// FFT, the normwise bound of [`ConvPlan`].
pub fn convolve(signal: &[f64], kernel: &[f64]) -> Vec<f64> {
    if use_fft(signal.len(), kernel.len()) {
        fft_convolve(signal, kernel)
    } else {
        direct_convolve(signal, kernel)
    }
}

/// [`convolve`] by the direct method only (one SIMD `axpy` per tap and cache-sized output
/// block).
pub fn direct_convolve(signal: &[f64], kernel: &[f64]) -> Vec<f64> {
    direct_convolve_with(Isa::detect(), signal, kernel)
}

/// [`direct_convolve`] on one given ISA.
///
/// # Panics
/// If the CPU does not support `isa`.
#[track_caller]
pub fn direct_convolve_with(isa: Isa, signal: &[f64], kernel: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; full_len(signal.len(), kernel.len())];
    if !out.is_empty() {
        direct::convolve_direct_into(isa, signal, kernel, &mut out);
    }
    out
}

/// [`convolve`] by FFT overlap-add only, with the shorter input as the kernel and an FFT
/// length chosen for the longer one. Empty inputs give an empty output.
///
/// Error: the normwise bound of [`ConvPlan`].
pub fn fft_convolve(signal: &[f64], kernel: &[f64]) -> Vec<f64> {
    let (long, short) = if signal.len() >= kernel.len() {
        (signal, kernel)
    } else {
        (kernel, signal)
    };
    ConvPlan::for_signal_len(short, long.len()).convolve(long)
}
