//! Rolling mean, std, skew and kurtosis of a whole column at once: the batch counterpart of
//! [`RollingMoments`](super::RollingMoments), shaped for throughput.
//!
//! The streaming state updates four running sums one value at a time, a serial chain. Over a
//! whole column the same sums come from prefix sums: within a block of outputs, powers of
//! `x - shift` are formed elementwise, prefix-summed, and each window's sums are differences
//! of two prefixes. Everything but the prefix pass is elementwise, so the costly part (the
//! square roots and divisions of the statistics) runs over contiguous arrays the compiler
//! vectorizes. Blocks bound the growth of the prefixes (the shift is the block's mean).
//!
//! A window's sum is the difference of two prefixes and inherits their rounding errors. A
//! prefix of `m` terms errs by at most `lambda sqrt(m) u` times the sum of its (here
//! non-negative) terms, except with probability `2 exp(-lambda^2 / 2)` when rounding errors
//! are independent (Higham and Mary's probabilistic bound, SIAM J. Sci. Comput. 2019; the
//! worst case, `m u`, is never approached by a prefix sum of random data). A window much
//! quieter than the rest of its block (after a volatility burst, or when the price stops
//! moving) is a small difference of large prefixes and loses digits (a fourth power
//! amplifies a 10x volatility change 10^4-fold). So every window whose bound exceeds
//! [`MAX_RELATIVE_ERROR`] of its centered second moment or
//! of its fourth power sum, or whose mean lies more than a standard deviation from the
//! block's shift, is recomputed exactly, two-pass. The block length is chosen from the window
//! so that on ordinary data (windows about as volatile as their block) the bound stays well
//! inside that limit and the exact path stays rare.

use crate::error::{PipelineError, Result};
use fast_math::Par;

use super::window::{MAX_RELATIVE_ERROR as STREAMING_MAX_RELATIVE_ERROR, UNIT_ROUNDOFF};

/// `lambda` of the probabilistic rounding error bound (see the module docs): a bound fails
/// with probability at most `2 exp(-18)`, about 3e-8 (and then by a small factor).
const LAMBDA: f64 = 6.0;

/// Largest relative error bound tolerated on a window's centered second moment and fourth
/// power sum before it is recomputed exactly: the standard deviation then errs by at most
/// half of it. The same budget as the streaming state's, though the bound here is a
/// probabilistic one: prefixes of repeated terms (a price that stops moving) round the same
/// way every time, so their errors add up faster than independent ones would.
const MAX_RELATIVE_ERROR: f64 = STREAMING_MAX_RELATIVE_ERROR;

/// The factor `c` such that a window ending `terms` inputs into its block may have lost
/// [`MAX_RELATIVE_ERROR`] of a sum `s` when `c * prefix > s` (both prefixes' errors, each at
/// most `LAMBDA sqrt(terms) u prefix`).
fn prefix_error_factor(terms: usize) -> f64 {
    2.0 * LAMBDA * (terms as f64).sqrt() * UNIT_ROUNDOFF / MAX_RELATIVE_ERROR
}

/// Outputs per block for windows of `w`: the largest power of two `b` (16 to 1024) for which
/// a window as volatile as its block (prefix about `(b + w) / w` times its sum) keeps its
/// error bound within half of [`MAX_RELATIVE_ERROR`].
fn block_len(w: usize) -> usize {
    let mut b = 1024;
    while b > 16 && prefix_error_factor(b + w) * ((b + w) as f64 / w as f64) > 0.5 {
        b /= 2;
    }
    b
}

/// The four rolling statistics of a column, one value per input (NaN where pandas gives NaN).
#[derive(Clone, Debug, PartialEq)]
pub struct RollingColumns {
    /// `rolling(w).mean()`.
    pub mean: Vec<f64>,
    /// `rolling(w).std()` (ddof 1).
    pub std: Vec<f64>,
    /// `rolling(w).skew()` (G1).
    pub skew: Vec<f64>,
    /// `rolling(w).kurt()` (G2, excess).
    pub kurt: Vec<f64>,
}

/// pandas' `rolling(window)` mean, std, skew and kurt of `x`.
///
/// NaN until the window is full and while it holds a NaN or an infinity; a window of equal
/// values gives std exactly 0 and NaN skew and kurtosis. With `Par::Rayon(k)` blocks are
/// spread over `k` threads (each block is independent, so results do not depend on `k`).
///
/// # Errors
/// [`PipelineError::InvalidSetting`] when `window < 4`.
pub fn rolling_moments(x: &[f64], window: usize, par: Par) -> Result<RollingColumns> {
    if window < 4 {
        return Err(PipelineError::InvalidSetting {
            name: "window",
            value: window.to_string(),
            expected: "at least 4".into(),
        });
    }
    let n = x.len();
    let mut out = RollingColumns {
        mean: vec![f64::NAN; n],
        std: vec![f64::NAN; n],
        skew: vec![f64::NAN; n],
        kurt: vec![f64::NAN; n],
    };
    if n < window {
        return Ok(out);
    }
    let block_outputs = block_len(window);
    let blocks: Vec<usize> = (window - 1..n).step_by(block_outputs).collect();
    let threads = par.threads().min(blocks.len()).max(1);
    let RollingColumns {
        mean,
        std,
        skew,
        kurt,
    } = &mut out;
    let mut work: Vec<BlockJob<'_>> = Vec::new();
    let (mut m, mut s, mut k3, mut k4) = (
        &mut mean[window - 1..],
        &mut std[window - 1..],
        &mut skew[window - 1..],
        &mut kurt[window - 1..],
    );
    for &b0 in &blocks {
        let len = block_outputs.min(n - b0);
        let (a, rest_m) = m.split_at_mut(len);
        let (b, rest_s) = s.split_at_mut(len);
        let (c, rest_k3) = k3.split_at_mut(len);
        let (d, rest_k4) = k4.split_at_mut(len);
        work.push((b0, a, b, c, d));
        (m, s, k3, k4) = (rest_m, rest_s, rest_k3, rest_k4);
    }
    if threads == 1 {
        let mut scratch = Scratch::default();
        for (b0, a, b, c, d) in work {
            block(x, window, b0, [a, b, c, d], &mut scratch);
        }
    } else {
        let per = work.len().div_ceil(threads);
        std::thread::scope(|sc| {
            let mut work = work;
            let mut workers = Vec::with_capacity(threads);
            while !work.is_empty() {
                let chunk: Vec<_> = work.drain(..per.min(work.len())).collect();
                workers.push(sc.spawn(move || {
                    let mut scratch = Scratch::default();
                    for (b0, a, b, c, d) in chunk {
                        block(x, window, b0, [a, b, c, d], &mut scratch);
                    }
                }));
            }
            crate::workers::join_in_order(workers);
        });
    }
    Ok(out)
}

/// One block's first output index and its four output slices (mean, std, skew, kurt).
type BlockJob<'a> = (
    usize,
    &'a mut [f64],
    &'a mut [f64],
    &'a mut [f64],
    &'a mut [f64],
);

/// Per-thread buffers: prefix sums of the four powers, of the non-finite count, and of the
/// count of changes between neighbours (a window without one is constant, the test pandas
/// uses too).
#[derive(Default)]
struct Scratch {
    p: [Vec<f64>; 4],
    bad: Vec<u32>,
    changes: Vec<u32>,
}

/// Outputs `b0 .. b0 + out.len()` (each window ends at its output index).
fn block(x: &[f64], w: usize, b0: usize, out: [&mut [f64]; 4], sc: &mut Scratch) {
    let len = out[0].len();
    let input = &x[b0 + 1 - w..b0 + len];
    let (mut total, mut count) = (0.0, 0usize);
    for &v in input.iter().filter(|v| v.is_finite()) {
        total += v;
        count += 1;
    }
    let shift = if count > 0 { total / count as f64 } else { 0.0 };

    // Prefix sums (entry i = sum of the first i inputs) of the powers of x - shift, and of
    // the count of non-finite inputs, which contribute nothing to the sums.
    let m = input.len() + 1;
    for p in &mut sc.p {
        p.clear();
        p.resize(m, 0.0);
    }
    sc.bad.clear();
    sc.bad.resize(m, 0);
    sc.changes.clear();
    sc.changes.resize(m, 0);
    let (mut a1, mut a2, mut a3, mut a4, mut nb, mut nc) = (0.0, 0.0, 0.0, 0.0, 0u32, 0u32);
    let mut prev = input[0];
    let [q1, q2, q3, q4] = &mut sc.p;
    for (i, &v) in input.iter().enumerate() {
        let ok = v.is_finite();
        let d = if ok { v - shift } else { 0.0 };
        let d2 = d * d;
        a1 += d;
        a2 += d2;
        a3 += d2 * d;
        a4 += d2 * d2;
        nb += u32::from(!ok);
        // changes[k] counts neighbours that differ among inputs 0..k (NaN differs from all).
        nc += u32::from(i > 0 && v != prev);
        prev = v;
        sc.changes[i + 1] = nc;
        q1[i + 1] = a1;
        q2[i + 1] = a2;
        q3[i + 1] = a3;
        q4[i + 1] = a4;
        sc.bad[i + 1] = nb;
    }

    let [mean, std, skew, kurt] = out;
    let p = &sc.p;
    let lo = [&p[0][..len], &p[1][..len], &p[2][..len], &p[3][..len]];
    let hi = [
        &p[0][w..w + len],
        &p[1][w..w + len],
        &p[2][w..w + len],
        &p[3][w..w + len],
    ];
    let outs = [&mut mean[..], &mut std[..], &mut skew[..], &mut kurt[..]];
    // One error factor for the block: the bound grows with the prefix length, so the last
    // window's covers them all.
    let c = prefix_error_factor(len - 1 + w);
    let isa = simd_kernels::Isa::detect();
    if isa == simd_kernels::Isa::Avx512 {
        // SAFETY: Isa::detect returns only ISAs this CPU supports, so AVX-512F is present.
        unsafe { stats_avx512(w, shift, c, lo, hi, outs) };
    } else if isa == simd_kernels::Isa::Avx2Fma {
        // SAFETY: as above, AVX2 and FMA are present.
        unsafe { stats_avx2(w, shift, c, lo, hi, outs) };
    } else {
        stats(w, shift, c, lo, hi, outs);
    }

    // The rare cases, fixed up after the vectorizable loop: non-finite values in the window,
    // constant windows, windows whose sums may have lost digits (marked by `stats`), zero
    // variance.
    for i in 0..len {
        let t = b0 + i;
        if sc.bad[i + w] != sc.bad[i] {
            (mean[i], std[i], skew[i], kurt[i]) = (f64::NAN, f64::NAN, f64::NAN, f64::NAN);
        } else if sc.changes[i + w] == sc.changes[i + 1] {
            (mean[i], std[i], skew[i], kurt[i]) = (x[t], 0.0, f64::NAN, f64::NAN);
        } else if mean[i].is_nan() {
            (mean[i], std[i], skew[i], kurt[i]) = exact_window(&x[t + 1 - w..=t]);
        } else if std[i] == 0.0 {
            (skew[i], kurt[i]) = (f64::NAN, f64::NAN);
        }
    }
}

/// Four prefix-sum slices (powers 1 to 4).
type Sums<'a> = [&'a [f64]; 4];
/// The four output slices (mean, std, skew, kurt).
type Outs<'a> = [&'a mut [f64]; 4];

/// The statistics of every window from its prefix differences: straight-line arithmetic
/// over contiguous slices, which the compiler vectorizes (square roots and divisions too).
#[inline(always)]
fn stats(w: usize, shift: f64, c: f64, lo: Sums<'_>, hi: Sums<'_>, out: Outs<'_>) {
    let nf = w as f64;
    let inv_n = 1.0 / nf;
    let inv_n1 = 1.0 / (nf - 1.0);
    let skew_c = (nf * (nf - 1.0)).sqrt() / (nf - 2.0);
    let denom = (nf - 2.0) * (nf - 3.0);
    let kurt_a = (nf + 1.0) * nf * (nf - 1.0) / denom;
    let kurt_b = 3.0 * (nf - 1.0) * (nf - 1.0) / denom;
    let [mean, std, skew, kurt] = out;
    let len = mean.len();
    let (l1, l2, l3, l4) = (&lo[0][..len], &lo[1][..len], &lo[2][..len], &lo[3][..len]);
    let (h1, h2, h3, h4) = (&hi[0][..len], &hi[1][..len], &hi[2][..len], &hi[3][..len]);
    let (std, skew, kurt) = (&mut std[..len], &mut skew[..len], &mut kurt[..len]);
    for i in 0..len {
        let s1 = h1[i] - l1[i];
        let s2 = h2[i] - l2[i];
        let s3 = h3[i] - l3[i];
        let s4 = h4[i] - l4[i];
        let delta = s1 * inv_n;
        let dd = delta * delta;
        let m2 = (s2 - nf * dd).max(0.0);
        let m3 = s3 - 3.0 * delta * s2 + 2.0 * nf * dd * delta;
        let m4 = s4 - 4.0 * delta * s3 + 6.0 * dd * s2 - 3.0 * nf * dd * dd;
        let a2 = m2 * inv_n;
        // A window whose sums may have lost digits (see the module docs) is marked with a
        // NaN mean, for the exact path; a select, so the loop stays vectorized.
        let suspect = c * h2[i] > m2 || c * h4[i] > s4 || s1 * delta > m2;
        mean[i] = if suspect { f64::NAN } else { shift + delta };
        std[i] = (m2 * inv_n1).sqrt();
        skew[i] = skew_c * (m3 * inv_n) / (a2 * a2.sqrt());
        kurt[i] = kurt_a * m4 / (m2 * m2) - kurt_b;
    }
}

#[target_feature(enable = "avx512f")]
fn stats_avx512(w: usize, shift: f64, c: f64, lo: Sums<'_>, hi: Sums<'_>, out: Outs<'_>) {
    stats(w, shift, c, lo, hi, out)
}

#[target_feature(enable = "avx2,fma")]
fn stats_avx2(w: usize, shift: f64, c: f64, lo: Sums<'_>, hi: Sums<'_>, out: Outs<'_>) {
    stats(w, shift, c, lo, hi, out)
}

/// Mean, std, skew and kurtosis of one (finite, non-constant) window, two-pass.
#[cold]
fn exact_window(x: &[f64]) -> (f64, f64, f64, f64) {
    let m = simd_kernels::moments(x);
    (
        m.mean().unwrap_or(f64::NAN),
        m.std().unwrap_or(f64::NAN),
        m.skewness().unwrap_or(f64::NAN),
        m.kurtosis().unwrap_or(f64::NAN),
    )
}
