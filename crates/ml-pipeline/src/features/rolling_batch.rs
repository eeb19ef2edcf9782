//! Rolling mean, std, skew and kurtosis of a whole column at once: the batch counterpart of
//! [`RollingMoments`](super::RollingMoments), shaped for throughput.
//!
//! The streaming state updates four running sums one value at a time, a serial chain. Over a
//! whole column the same sums come from prefix sums: within a block of outputs, powers of
//! `x - shift` are formed elementwise, prefix-summed, and each window's sums are differences
//! of two prefixes. Everything but the prefix pass is elementwise, so the costly part (the
//! square roots and divisions of the statistics) runs over contiguous arrays the compiler
//! vectorizes. Blocks bound the growth of the prefixes (the shift is the block's mean). A
//! window much quieter than the rest of its block would still lose digits to the difference
//! (a fourth power amplifies a 10x volatility change 10^4-fold), so any window whose prefix
//! sums exceed its own by more than [`MAX_PREFIX_RATIO`] is recomputed exactly, two-pass.

use crate::error::{PipelineError, Result};
use fast_math::Par;

/// Outputs per block.
const BLOCK: usize = 1024;

/// Largest tolerated ratio of a prefix sum to the window sum taken from it: the window's
/// relative error is about this times `sqrt(BLOCK) * eps`, i.e. below 1e-9.
const MAX_PREFIX_RATIO: f64 = 1e5;

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
/// [`PipelineError::InvalidConfig`] when `window < 4`.
pub fn rolling_moments(x: &[f64], window: usize, par: Par) -> Result<RollingColumns> {
    if window < 4 {
        return Err(PipelineError::InvalidConfig(format!(
            "window must be at least 4 (got {window})"
        )));
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
    // Length of the run of equal values ending at each index: a window is constant when the
    // run covers it (pandas counts the same way).
    let mut run = vec![0u32; n];
    let mut r = 0u32;
    for i in 0..n {
        r = if i > 0 && x[i] == x[i - 1] {
            r.saturating_add(1)
        } else {
            1
        };
        run[i] = r;
    }
    let blocks: Vec<usize> = (window - 1..n).step_by(BLOCK).collect();
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
        let len = BLOCK.min(n - b0);
        let (a, rest_m) = m.split_at_mut(len);
        let (b, rest_s) = s.split_at_mut(len);
        let (c, rest_k3) = k3.split_at_mut(len);
        let (d, rest_k4) = k4.split_at_mut(len);
        work.push((b0, a, b, c, d));
        (m, s, k3, k4) = (rest_m, rest_s, rest_k3, rest_k4);
    }
    let run = &run;
    if threads == 1 {
        let mut scratch = Scratch::default();
        for (b0, a, b, c, d) in work {
            block(x, run, window, b0, [a, b, c, d], &mut scratch);
        }
    } else {
        let per = work.len().div_ceil(threads);
        std::thread::scope(|sc| {
            let mut work = work;
            while !work.is_empty() {
                let chunk: Vec<_> = work.drain(..per.min(work.len())).collect();
                sc.spawn(move || {
                    let mut scratch = Scratch::default();
                    for (b0, a, b, c, d) in chunk {
                        block(x, run, window, b0, [a, b, c, d], &mut scratch);
                    }
                });
            }
        });
    }
    Ok(out)
}

/// One block's first output index and its four output slices (mean, std, skew, kurt).
type BlockJob<'a> = (usize, &'a mut [f64], &'a mut [f64], &'a mut [f64], &'a mut [f64]);

/// Per-thread buffers: prefix sums of the four powers and of the non-finite count.
#[derive(Default)]
struct Scratch {
    p: [Vec<f64>; 4],
    bad: Vec<u32>,
}

/// Outputs `b0 .. b0 + out.len()` (each window ends at its output index).
fn block(x: &[f64], run: &[u32], w: usize, b0: usize, out: [&mut [f64]; 4], sc: &mut Scratch) {
    let len = out[0].len();
    let s0 = b0 + 1 - w;
    let input = &x[s0..b0 + len];
    let (mut total, mut count) = (0.0, 0usize);
    for &v in input.iter().filter(|v| v.is_finite()) {
        total += v;
        count += 1;
    }
    let shift = if count > 0 { total / count as f64 } else { 0.0 };
    for p in &mut sc.p {
        p.clear();
        p.reserve(input.len() + 1);
        p.push(0.0);
    }
    sc.bad.clear();
    sc.bad.push(0);
    let (mut a1, mut a2, mut a3, mut a4, mut nb) = (0.0, 0.0, 0.0, 0.0, 0u32);
    for &v in input {
        let ok = v.is_finite();
        let d = if ok { v - shift } else { 0.0 };
        let d2 = d * d;
        a1 += d;
        a2 += d2;
        a3 += d2 * d;
        a4 += d2 * d2;
        nb += u32::from(!ok);
        sc.p[0].push(a1);
        sc.p[1].push(a2);
        sc.p[2].push(a3);
        sc.p[3].push(a4);
        sc.bad.push(nb);
    }
    let nf = w as f64;
    let inv_n = 1.0 / nf;
    let skew_c = (nf * (nf - 1.0)).sqrt() / (nf - 2.0);
    let denom = (nf - 2.0) * (nf - 3.0);
    let kurt_a = (nf + 1.0) * nf * (nf - 1.0) / denom;
    let kurt_b = 3.0 * (nf - 1.0) * (nf - 1.0) / denom;
    let [mean, std, skew, kurt] = out;
    let [p1, p2, p3, p4] = &sc.p;
    for i in 0..len {
        // Window of output b0 + i: inputs (b0 + i + 1 - w) ..= (b0 + i), local i ..= i + w - 1.
        let (lo, hi) = (i, i + w);
        let s1 = p1[hi] - p1[lo];
        let s2 = p2[hi] - p2[lo];
        let s3 = p3[hi] - p3[lo];
        let s4 = p4[hi] - p4[lo];
        let delta = s1 * inv_n;
        let m2 = (s2 - nf * delta * delta).max(0.0);
        let m3 = s3 - 3.0 * delta * s2 + 2.0 * nf * delta * delta * delta;
        let dd = delta * delta;
        let m4 = s4 - 4.0 * delta * s3 + 6.0 * dd * s2 - 3.0 * nf * dd * dd;
        let a2 = m2 * inv_n;
        mean[i] = shift + delta;
        std[i] = (m2 / (nf - 1.0)).sqrt();
        skew[i] = skew_c * (m3 * inv_n) / (a2 * a2.sqrt());
        kurt[i] = kurt_a * m4 / (m2 * m2) - kurt_b;
    }
    // The rare cases, fixed up after the vectorizable loop: non-finite values in the window,
    // constant windows, and zero variance.
    for i in 0..len {
        let t = b0 + i;
        if sc.bad[i + w] != sc.bad[i] {
            (mean[i], std[i], skew[i], kurt[i]) = (f64::NAN, f64::NAN, f64::NAN, f64::NAN);
        } else if run[t] as usize >= w {
            (mean[i], std[i], skew[i], kurt[i]) = (x[t], 0.0, f64::NAN, f64::NAN);
        } else if p2[i + w] > MAX_PREFIX_RATIO * (p2[i + w] - p2[i])
            || p4[i + w] > MAX_PREFIX_RATIO * (p4[i + w] - p4[i])
        {
            (mean[i], std[i], skew[i], kurt[i]) = exact_window(&x[t + 1 - w..=t]);
        } else if std[i] == 0.0 {
            (skew[i], kurt[i]) = (f64::NAN, f64::NAN);
        }
    }
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
