//! Overlap-add FFT convolution with a planned kernel spectrum.

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};
use std::cell::RefCell;
use std::sync::Arc;

thread_local! {
    // rustfft's planner caches plans (twiddles, chosen algorithms) per length; sharing one
    // per thread makes repeated `fft_convolve` calls of the same size skip re-planning.
    static PLANNER: RefCell<FftPlanner<f64>> = RefCell::new(FftPlanner::new());
}

/// Full-mode output length: `n + k - 1`, or 0 when either input is empty. It lives with
/// [`ConvPlan::output_len`], which is its public form; the direct path borrows it from here.
pub(super) fn full_len(n: usize, k: usize) -> usize {
    if n == 0 || k == 0 {
        0
    } else {
        n + k - 1
    }
}

/// Largest FFT length the automatic choice considers (1 MiB of complex values would no
/// longer fit in L2, and longer blocks save nothing measurable).
const MAX_AUTO_FFT_LEN: usize = 1 << 16;

/// An overlap-add convolution plan for one kernel: the FFT length, the forward and inverse
/// transforms, and the kernel's spectrum (scaled by `1 / fft_len`), computed once.
///
/// [`ConvPlan::convolve_into`] allocates nothing: the caller provides the output and a
/// scratch buffer of [`ConvPlan::scratch_len`] complex values (pooled, reused, any
/// contents).
///
/// Two consecutive real signal blocks travel in one complex FFT (one as the real part, one
/// as the imaginary part): since the kernel is real, the inverse transform of
/// `FFT(x1 + i x2) * FFT(h)` is `x1 * h + i (x2 * h)`, so both block convolutions come out
/// with no unpacking, at half the transforms of one complex FFT per block.
///
/// Error: each output block satisfies `||y_hat - y||_2 <= c log2(N) eps ||x_b||_2 ||h||_2`
/// (normwise, the usual FFT bound with `N` the FFT length and `x_b` the block pair), so
/// outputs much smaller than the norm of their neighbourhood carry only absolute accuracy.
///
/// ```
/// use fast_math::conv::ConvPlan;
/// let plan = ConvPlan::new(&[1.0, -1.0]);
/// let signal = [1.0, 4.0, 9.0, 16.0];
/// let mut out = vec![0.0; plan.output_len(signal.len())];
/// let mut scratch = vec![Default::default(); plan.scratch_len()];
/// plan.convolve_into(&signal, &mut out, &mut scratch);
/// let expected = [1.0, 3.0, 5.0, 7.0, -16.0];
/// assert!(out.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-12));
/// ```
#[derive(Clone)]
pub struct ConvPlan {
    kernel_len: usize,
    fft_len: usize,
    spectrum: Vec<Complex<f64>>,
    forward: Option<Arc<dyn Fft<f64>>>,
    inverse: Option<Arc<dyn Fft<f64>>>,
    fft_scratch_len: usize,
}

impl std::fmt::Debug for ConvPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConvPlan")
            .field("kernel_len", &self.kernel_len)
            .field("fft_len", &self.fft_len)
            .field("block_len", &self.block_len())
            .finish()
    }
}

/// Modelled cost of overlap-add with FFT length `n_fft` for a signal of `n` samples and a
/// kernel of `k` taps: one forward and one inverse transform per pair of blocks, each
/// `~ N log2 N`, plus the pointwise product and the accumulation.
pub(crate) fn overlap_add_cost(n: usize, k: usize, n_fft: usize) -> f64 {
    let block = n_fft + 1 - k;
    let pairs = n.div_ceil(block).div_ceil(2).max(1);
    let nf = n_fft as f64;
    pairs as f64 * nf * (2.0 * nf.log2() + 3.0)
}

/// Candidate FFT lengths `2^j` and `3 * 2^j` (rustfft's fastest sizes) from `lo` upward.
fn candidates(lo: usize, hi: usize) -> impl Iterator<Item = usize> {
    (1..=usize::BITS - 2)
        .flat_map(|j| [1usize << j, 3usize << (j - 1)])
        .filter(move |&c| c >= lo && c <= hi)
}

/// The FFT length with the least modelled cost for a kernel of `k` taps and a signal of
/// `n` samples (lengths past 2^24 count as 2^24: the choice no longer changes there).
pub(crate) fn choose_fft_len(k: usize, n: usize) -> usize {
    let n = n.min(1 << 24);
    let lo = k.max(2);
    // One block covering everything is the longest FFT worth considering.
    let single = (n + k - 1).max(lo).next_power_of_two();
    let hi = single.min(MAX_AUTO_FFT_LEN.max(lo.next_power_of_two()));
    candidates(lo, hi)
        .min_by(|&a, &b| overlap_add_cost(n, k, a).total_cmp(&overlap_add_cost(n, k, b)))
        .expect("a power of two lies between lo and its next power of two")
}

impl ConvPlan {
    /// A plan for `kernel` with an FFT length chosen for long signals.
    ///
    /// An empty kernel gives a plan whose outputs are empty.
    pub fn new(kernel: &[f64]) -> Self {
        Self::for_signal_len(kernel, usize::MAX)
    }

    /// A plan for `kernel` with the FFT length chosen for signals of about `signal_len`
    /// samples (shorter signals are best served by shorter transforms). Any signal length
    /// still works with the plan.
    pub fn for_signal_len(kernel: &[f64], signal_len: usize) -> Self {
        if kernel.is_empty() {
            return Self::with_fft_len(kernel, 0);
        }
        Self::with_fft_len(kernel, choose_fft_len(kernel.len(), signal_len.max(1)))
    }

    /// A plan with a given FFT length (each block then carries `fft_len - kernel.len() + 1`
    /// signal samples).
    ///
    /// # Panics
    /// If `kernel` is not empty and `fft_len < kernel.len()`.
    #[track_caller]
    pub fn with_fft_len(kernel: &[f64], fft_len: usize) -> Self {
        let k = kernel.len();
        if k == 0 {
            return ConvPlan {
                kernel_len: 0,
                fft_len: 0,
                spectrum: Vec::new(),
                forward: None,
                inverse: None,
                fft_scratch_len: 0,
            };
        }
        assert!(
            fft_len >= k,
            "ConvPlan: FFT length {fft_len} is shorter than the kernel ({k} taps)"
        );
        let (forward, inverse) = PLANNER.with(|p| {
            let mut p = p.borrow_mut();
            (p.plan_fft_forward(fft_len), p.plan_fft_inverse(fft_len))
        });
        let fft_scratch_len = forward
            .get_inplace_scratch_len()
            .max(inverse.get_inplace_scratch_len());
        let scale = 1.0 / fft_len as f64;
        let mut spectrum = vec![Complex::new(0.0, 0.0); fft_len];
        for (s, &h) in spectrum.iter_mut().zip(kernel) {
            s.re = h * scale;
        }
        let mut scratch = vec![Complex::new(0.0, 0.0); fft_scratch_len];
        forward.process_with_scratch(&mut spectrum, &mut scratch);
        ConvPlan {
            kernel_len: k,
            fft_len,
            spectrum,
            forward: Some(forward),
            inverse: Some(inverse),
            fft_scratch_len,
        }
    }

    /// Taps of the planned kernel.
    pub fn kernel_len(&self) -> usize {
        self.kernel_len
    }

    /// Length of the transforms (0 for an empty kernel).
    pub fn fft_len(&self) -> usize {
        self.fft_len
    }

    /// Signal samples per block: `fft_len - kernel_len + 1` (0 for an empty kernel).
    pub fn block_len(&self) -> usize {
        if self.kernel_len == 0 {
            0
        } else {
            self.fft_len + 1 - self.kernel_len
        }
    }

    /// Complex values [`ConvPlan::convolve_into`] needs as scratch.
    pub fn scratch_len(&self) -> usize {
        self.fft_len + self.fft_scratch_len
    }

    /// Output length for a signal of `signal_len` samples: `signal_len + kernel_len - 1`,
    /// or 0 when either is empty.
    pub fn output_len(&self, signal_len: usize) -> usize {
        full_len(signal_len, self.kernel_len)
    }

    /// `out = signal * kernel` (full mode, as `numpy.convolve`), allocating nothing.
    ///
    /// `out`'s old contents are overwritten; `scratch` may hold anything.
    ///
    /// # Panics
    /// If `out.len() != self.output_len(signal.len())` or
    /// `scratch.len() < self.scratch_len()`; the message names both lengths.
    #[track_caller]
    pub fn convolve_into(&self, signal: &[f64], out: &mut [f64], scratch: &mut [Complex<f64>]) {
        let expected = self.output_len(signal.len());
        assert_eq!(
            out.len(),
            expected,
            "ConvPlan::convolve_into: output has {} values, a {}-sample signal and a {}-tap \
             kernel need {expected}",
            out.len(),
            signal.len(),
            self.kernel_len
        );
        assert!(
            scratch.len() >= self.scratch_len(),
            "ConvPlan::convolve_into: scratch has {} values, the plan needs {}",
            scratch.len(),
            self.scratch_len()
        );
        let (Some(forward), Some(inverse)) = (&self.forward, &self.inverse) else {
            return;
        };
        if signal.is_empty() {
            return;
        }
        let (buf, fft_scratch) = scratch.split_at_mut(self.fft_len);
        let fft_scratch = &mut fft_scratch[..self.fft_scratch_len];
        let block = self.block_len();
        let tail = self.kernel_len - 1;
        out.fill(0.0);
        let mut start = 0;
        while start < signal.len() {
            let first = &signal[start..(start + block).min(signal.len())];
            let second_start = (start + block).min(signal.len());
            let second = &signal[second_start..(second_start + block).min(signal.len())];
            buf.fill(Complex::new(0.0, 0.0));
            for (b, &x) in buf.iter_mut().zip(first) {
                b.re = x;
            }
            for (b, &x) in buf.iter_mut().zip(second) {
                b.im = x;
            }
            forward.process_with_scratch(buf, fft_scratch);
            for (b, s) in buf.iter_mut().zip(&self.spectrum) {
                *b *= *s;
            }
            inverse.process_with_scratch(buf, fft_scratch);
            let n1 = first.len() + tail;
            for (o, b) in out[start..start + n1].iter_mut().zip(buf.iter()) {
                *o += b.re;
            }
            if !second.is_empty() {
                let n2 = second.len() + tail;
                let dst = &mut out[second_start..second_start + n2];
                for (o, b) in dst.iter_mut().zip(buf.iter()) {
                    *o += b.im;
                }
            }
            start = second_start + second.len();
        }
    }

    /// `signal * kernel` (full mode) in a new vector.
    pub fn convolve(&self, signal: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.output_len(signal.len())];
        let mut scratch = vec![Complex::new(0.0, 0.0); self.scratch_len()];
        self.convolve_into(signal, &mut out, &mut scratch);
        out
    }
}
