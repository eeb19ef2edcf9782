//! Direct (time-domain) full convolution on the SIMD `axpy` kernel.

use simd_kernels::Isa;

/// Outputs computed per pass over the taps: the output block (16 KiB) and the matching
/// input window stay in L1 while every tap is applied, so memory is read once.
const OUT_BLOCK: usize = 2048;

/// `out = x * h` (full mode) by one `axpy` per tap and output block.
///
/// `out` must hold `x.len() + h.len() - 1` values (both inputs non-empty); its old contents
/// are overwritten. The longer input is the one streamed, the shorter one supplies the taps.
pub(crate) fn convolve_direct_into(isa: Isa, x: &[f64], h: &[f64], out: &mut [f64]) {
    let (x, h) = if x.len() >= h.len() { (x, h) } else { (h, x) };
    let n = x.len();
    debug_assert_eq!(out.len(), n + h.len() - 1, "direct: output length");
    out.fill(0.0);
    let total = out.len();
    let mut o0 = 0;
    while o0 < total {
        let o1 = (o0 + OUT_BLOCK).min(total);
        // Taps j with a non-empty overlap: j <= o1 - 1 and j + n > o0.
        let j_lo = o0.saturating_sub(n - 1);
        let j_hi = (o1 - 1).min(h.len() - 1);
        for (j, &hj) in h.iter().enumerate().take(j_hi + 1).skip(j_lo) {
            let lo = o0.max(j);
            let hi = o1.min(j + n);
            simd_kernels::axpy_with(isa, hj, &x[lo - j..hi - j], &mut out[lo..hi]);
        }
        o0 = o1;
    }
}
