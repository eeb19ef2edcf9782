//! Full linear convolution (`numpy.convolve(mode="full")`): direct on the SIMD kernels for
//! short kernels, FFT overlap-add (rustfft) for long ones.
//!
//! - [`convolve`] picks the faster method from a cost model whose two rates are measured
//!   once per process on the machine it runs on (see [`use_fft`]).
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

mod calibrate;
mod direct;
mod overlap_add;

pub use overlap_add::ConvPlan;
pub use rustfft::num_complex::Complex;

use overlap_add::full_len;
use simd_kernels::Isa;

/// Shorter inputs up to this length always use the direct path, without consulting the
/// model (whose first use measures the machine). At 24 taps the direct path does 24
/// multiply-adds per output and overlap-add at least about 10 units of work per output (its
/// best FFT length there, 128 points, yields 2 * 105 outputs per pair of blocks for
/// 128 * (2 * 7 + 3) = 2176 units), so the shortcut agrees with the model wherever a unit
/// costs at least 2.4 multiply-adds: 3.3 on an AVX-512 Xeon (Sapphire Rapids class), 1.6 to
/// 2.4 on an AVX2 AMD EPYC (Zen 3), where the measured crossover lies between 16 taps
/// (direct faster at every signal length from 10^3 to 10^6) and 32 (FFT faster from 10^4
/// samples), so at 24 taps the two methods are even there (`cargo bench -p benches --bench
/// algos -- conv-grid`).
const DIRECT_ALWAYS_TAPS: usize = 24;
/// Measured fixed cost of a direct call (output allocation, dispatch).
const DIRECT_NS_FIXED: f64 = 200.0;
/// Measured cost per tap and 2048-output block (`axpy` dispatch and bounds).
const DIRECT_NS_PER_TAP_BLOCK: f64 = 4.0;
/// Measured fixed cost of an FFT convolution call (planning from the warm thread-local
/// planner, the kernel spectrum, allocation).
const FFT_NS_FIXED: f64 = 700.0;

/// Modelled time in nanoseconds of the direct method for lengths `n` and `k`.
fn direct_cost_ns(n: usize, k: usize) -> f64 {
    let short = n.min(k) as f64;
    let blocks = full_len(n, k).div_ceil(2048) as f64;
    DIRECT_NS_FIXED
        + calibrate::rates().direct_ns_per_mac * n as f64 * k as f64
        + DIRECT_NS_PER_TAP_BLOCK * blocks * short
}

/// Modelled time in nanoseconds of the overlap-add method for lengths `n` and `k`.
fn fft_cost_ns(n: usize, k: usize) -> f64 {
    FFT_NS_FIXED + calibrate::rates().fft_ns_per_unit * fft_cost_units(n, k)
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
/// The choice compares two cost models (as SciPy's `choose_conv_method` does): the direct
/// path costs a rate per multiply-add, overlap-add a rate per unit of
/// `pairs * N * (2 log2 N + 3)` plus 0.7 us per call. The two rates are measured the first
/// time a choice needs them, once per process, by timing both methods on an 8192-sample
/// signal and a 128-tap kernel (about a millisecond), so the crossover is this machine's.
/// The `algos` bench (`conv-grid`) checks the model against both methods' times over a grid
/// of lengths. Measured rates: 0.09 ns and 0.30 ns on an AVX-512 Xeon (Sapphire Rapids
/// class), where the crossover is a shorter input of about 48 to 64 samples for signals of
/// 10^4 to 10^6 samples (SciPy's model puts it near 330 for its own direct code); 0.14 to
/// 0.25 ns and 0.38 ns on an AVX2 AMD EPYC (Zen 3), where it lies between 16 and 32.
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
