//! Naive baselines: one accumulator, one pass per statistic, no SIMD intrinsics. These are
//! what the optimized kernels are measured against.

/// `sum a[i] * b[i]` with one accumulator (the compiler may not reorder it).
pub fn dot<T: Copy + std::ops::Mul<Output = T> + std::iter::Sum>(a: &[T], b: &[T]) -> T {
    a.iter().zip(b).map(|(&x, &y)| x * y).sum()
}

/// `x.iter().sum()`.
pub fn sum(x: &[f64]) -> f64 {
    x.iter().sum()
}

/// Textbook scalar Neumaier summation.
pub fn sum_neumaier(x: &[f64]) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for &v in x {
        let t = s + v;
        if s.abs() >= v.abs() {
            c += (s - t) + v;
        } else {
            c += (v - t) + s;
        }
        s = t;
    }
    s + c
}

/// `y[i] += alpha * x[i]` as a plain loop.
pub fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// `x[i] *= alpha` as a plain loop.
pub fn scale(alpha: f64, x: &mut [f64]) {
    for v in x {
        *v *= alpha;
    }
}

/// Minimum and maximum by folding `f64::min` / `f64::max`.
pub fn min_max(x: &[f64]) -> Option<(f64, f64)> {
    let first = *x.first()?;
    Some(
        x.iter()
            .fold((first, first), |(lo, hi), &v| (lo.min(v), hi.max(v))),
    )
}

/// Two-pass mean and central sums (count, mean, M2, M3, M4): the textbook stable method.
pub fn moments_two_pass(x: &[f64]) -> (usize, f64, f64, f64, f64) {
    let n = x.len();
    let mean = x.iter().sum::<f64>() / n as f64;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for &v in x {
        let d = v - mean;
        let d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
    }
    (n, mean, m2, m3, m4)
}

/// `X^T X` by the textbook triple loop.
pub fn gram(x: fast_math::MatRef<'_, f64>) -> fast_math::Mat<f64> {
    let k = x.ncols();
    let mut g = fast_math::Mat::zeros(k, k);
    for i in 0..k {
        for j in 0..k {
            let mut s = 0.0;
            for r in 0..x.nrows() {
                s += x.get(r, i) * x.get(r, j);
            }
            g[(i, j)] = s;
        }
    }
    g
}

/// The textbook histogram of one binned column: each row's (gradient, hessian) pair added
/// into its bin, rows in order (`rows: None`: every row of the column).
pub fn histogram(bins: &[u8], rows: Option<&[u32]>, gh: &[[f32; 2]], hist: &mut [[f64; 2]]) {
    for (k, p) in gh.iter().enumerate() {
        let r = rows.map_or(k, |rows| rows[k] as usize);
        let e = &mut hist[usize::from(bins[r])];
        e[0] += f64::from(p[0]);
        e[1] += f64::from(p[1]);
    }
}

/// The textbook split scan of one feature's histogram (value bins, then the missing bin):
/// bin by bin, missing right then missing left, the soft-thresholded gains of both children,
/// strictly greater gains only; `(bin, missing_left, children_gain)`.
pub fn best_split_bin(
    hist: &[[f64; 2]],
    s: &simd_kernels::SplitLimits,
    mut bar: f64,
) -> Option<(usize, bool, f64)> {
    let value_bins = hist.len().checked_sub(1)?;
    let missing = hist[value_bins];
    let mut best = None;
    for missing_left in [false, true] {
        if missing_left && missing == [0.0, 0.0] {
            break;
        }
        let [mut lg, mut lh] = if missing_left { missing } else { [0.0, 0.0] };
        for (bin, e) in hist[..value_bins.saturating_sub(1)].iter().enumerate() {
            lg += e[0];
            lh += e[1];
            let (rg, rh) = (s.sum_gradient - lg, s.sum_hessian - lh);
            let y = lh * s.rows_per_hessian + 0.5;
            let allowed = y >= s.min_row_estimate
                && y < s.end_row_estimate
                && lh >= s.min_child_hessian
                && rh >= s.min_child_hessian;
            let gain = simd_kernels::node_gain(lg, lh, s.lambda_l1, s.lambda_l2)
                + simd_kernels::node_gain(rg, rh, s.lambda_l1, s.lambda_l2);
            if allowed && gain > bar {
                bar = gain;
                best = Some((bin, missing_left, gain));
            }
        }
    }
    best
}
