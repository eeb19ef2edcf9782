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
