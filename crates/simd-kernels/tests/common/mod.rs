//! Shared test helpers: a seeded generator, adversarial data, and exact references.
#![allow(dead_code)]

use simd_kernels::Float;

/// The workspace's seeded generator: `new`, `uniform`, `normal` and `below` are all the
/// tests need.
pub use seeded_rng::Rng;

/// What a generated slice contains besides ordinary values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Standard normal values.
    Normal,
    /// Normal values sprinkled with +-0, subnormals and huge finite values.
    FiniteSpecials,
    /// As `FiniteSpecials` plus one NaN.
    WithNaN,
    /// As `FiniteSpecials` plus one +-Inf.
    WithInf,
    /// As `FiniteSpecials` plus +Inf and -Inf.
    WithBothInf,
}

pub const KINDS: [Kind; 5] = [
    Kind::Normal,
    Kind::FiniteSpecials,
    Kind::WithNaN,
    Kind::WithInf,
    Kind::WithBothInf,
];

/// A huge value that cannot overflow when up to 1e5 of them are summed.
pub fn huge<T: Float>() -> T {
    T::from_f64(if T::BYTES == 4 { 1e30 } else { 1e300 })
}

pub fn subnormal<T: Float>() -> T {
    T::from_f64(if T::BYTES == 4 { 3e-41 } else { 3e-310 })
}

pub fn gen<T: Float>(n: usize, kind: Kind, rng: &mut Rng) -> Vec<T> {
    let mut v: Vec<T> = (0..n).map(|_| T::from_f64(rng.normal())).collect();
    if kind == Kind::Normal || n == 0 {
        return v;
    }
    let specials = [
        T::ZERO,
        -T::ZERO,
        subnormal(),
        -subnormal::<T>(),
        huge(),
        -huge::<T>(),
    ];
    for _ in 0..(n / 7).max(1) {
        let i = rng.below(n);
        v[i] = specials[rng.below(specials.len())];
    }
    match kind {
        Kind::WithNaN => v[rng.below(n)] = T::NAN,
        Kind::WithInf => {
            v[rng.below(n)] = if rng.below(2) == 0 {
                T::INFINITY
            } else {
                -T::INFINITY
            }
        }
        Kind::WithBothInf if n >= 2 => {
            let i = rng.below(n);
            let j = (i + 1 + rng.below(n - 1)) % n;
            v[i] = T::INFINITY;
            v[j] = -T::INFINITY;
        }
        _ => {}
    }
    v
}

/// Lengths that stress every tail: 0, 1, around each lane count, primes up to 1000, 100_000.
pub fn lengths() -> Vec<usize> {
    let mut v = vec![0, 1, 100_000];
    for lane in [1usize, 4, 8, 16] {
        v.extend([lane.saturating_sub(1), lane, lane + 1, 2 * lane + 3]);
        // and around the unrolled steps (8 accumulators, 4 compensated pairs)
        v.extend([8 * lane - 1, 8 * lane, 8 * lane + 1, 4 * lane + 1]);
    }
    v.extend((2..1000).filter(|&p| (2..p).take_while(|d| d * d <= p).all(|d| p % d != 0)));
    v.sort_unstable();
    v.dedup();
    v
}

/// Correctly-rounded-ish exact sum (Shewchuk's partials, as Python's `math.fsum`), valid for
/// finite inputs whose partial sums do not overflow.
pub fn exact_sum(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut partials: Vec<f64> = Vec::new();
    for mut x in values {
        let mut i = 0;
        for j in 0..partials.len() {
            let mut y = partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                partials[i] = lo;
                i += 1;
            }
            x = hi;
        }
        partials.truncate(i);
        partials.push(x);
    }
    // Sum from the largest partial down; the partials do not overlap, so this is faithful.
    partials.iter().rev().fold(0.0, |acc, p| acc + p)
}

/// Exact dot product of f64 (or f32 widened) inputs: every product split by TwoProduct.
pub fn exact_dot(a: &[f64], b: &[f64]) -> f64 {
    exact_sum(a.iter().zip(b).flat_map(|(&x, &y)| {
        let p = x * y;
        [p, x.mul_add(y, -p)]
    }))
}

pub fn widen<T: Float>(x: &[T]) -> Vec<f64> {
    x.iter().map(|v| v.to_f64()).collect()
}

/// The IEEE answer of a plain sequential sum, used when the input holds NaN or Inf.
pub fn ieee_sum(x: &[f64]) -> f64 {
    x.iter().fold(0.0, |a, b| a + b)
}

/// Checks `got` against the exact value with an absolute bound, with IEEE rules for
/// non-finite references. Returns a description of the failure.
pub fn check_close(got: f64, want: f64, bound: f64) -> Result<(), String> {
    if want.is_nan() {
        return if got.is_nan() {
            Ok(())
        } else {
            Err(format!("want NaN, got {got:e}"))
        };
    }
    if want.is_infinite() {
        return if got == want {
            Ok(())
        } else {
            Err(format!("want {want}, got {got:e}"))
        };
    }
    let err = (got - want).abs();
    if err <= bound {
        Ok(())
    } else {
        Err(format!(
            "got {got:e}, want {want:e}, error {err:e} > bound {bound:e}"
        ))
    }
}

/// Smallest positive normal of T, widened: the absolute slack per term for subnormal effects.
pub fn tiny<T: Float>() -> f64 {
    if T::BYTES == 4 {
        f32::MIN_POSITIVE as f64
    } else {
        f64::MIN_POSITIVE
    }
}

pub fn eps<T: Float>() -> f64 {
    T::EPSILON.to_f64()
}

// ---- per-kernel checks against the references, shared by the harness and proptests ----

use simd_kernels::*;

pub fn has_non_finite(x: &[f64]) -> bool {
    x.iter().any(|v| !v.is_finite())
}

pub fn check_sum<T: Float>(isa: Isa, x: &[T]) -> Result<(), String> {
    let w = widen(x);
    let n = x.len() as f64;
    let abs: f64 = w.iter().map(|v| v.abs()).sum();
    let got = sum_with(isa, x).to_f64();
    if has_non_finite(&w) {
        return check_close(got, ieee_sum(&w), 0.0).map_err(|e| format!("sum: {e}"));
    }
    let bound = (n + 1.0) * eps::<T>() * abs + n * tiny::<T>();
    check_close(got, exact_sum(w.iter().copied()), bound).map_err(|e| format!("sum: {e}"))
}

pub fn check_sum_compensated<T: Float>(isa: Isa, x: &[T]) -> Result<(), String> {
    let w = widen(x);
    let n = x.len() as f64;
    let got = sum_compensated_with(isa, x).to_f64();
    if has_non_finite(&w) {
        return check_close(got, ieee_sum(&w), 0.0).map_err(|e| format!("sum_compensated: {e}"));
    }
    let exact = exact_sum(w.iter().copied());
    let abs: f64 = w.iter().map(|v| v.abs()).sum();
    let e = eps::<T>();
    let bound = 2.0 * e * exact.abs() + 4.0 * n * e * e * abs + n * tiny::<T>();
    check_close(got, exact, bound).map_err(|e| format!("sum_compensated: {e}"))
}

pub fn check_dot<T: Float>(isa: Isa, a: &[T], b: &[T]) -> Result<(), String> {
    let (wa, wb) = (widen(a), widen(b));
    let got = dot_with(isa, a, b).to_f64();
    let prods: Vec<f64> = wa.iter().zip(&wb).map(|(x, y)| x * y).collect();
    if has_non_finite(&prods) {
        return check_close(got, ieee_sum(&prods), 0.0).map_err(|e| format!("dot: {e}"));
    }
    let n = a.len() as f64;
    let abs: f64 = prods.iter().map(|p| p.abs()).sum();
    let bound = (n + 2.0) * eps::<T>() * abs + n * tiny::<T>();
    check_close(got, exact_dot(&wa, &wb), bound).map_err(|e| format!("dot: {e}"))
}

pub fn check_axpy<T: Float>(isa: Isa, alpha: T, x: &[T], y: &[T]) -> Result<(), String> {
    let mut got = y.to_vec();
    axpy_with(isa, alpha, x, &mut got);
    for i in 0..x.len() {
        let (xi, yi, a) = (x[i].to_f64(), y[i].to_f64(), alpha.to_f64());
        let want = yi + a * xi;
        let bound = eps::<T>() * (yi.abs() + (a * xi).abs()) + tiny::<T>();
        check_close(got[i].to_f64(), want, bound).map_err(|e| format!("axpy[{i}]: {e}"))?;
    }
    Ok(())
}

/// `axpy_columns` of the columns `cols` (each `x` rotated by a different amount, with
/// distinct coefficients, up to 19 of them: two full groups of eight and a ragged one)
/// against one `axpy` per column on the same ISA, bit for bit; `axpy` itself is checked
/// against the exact reference by [`check_axpy`].
pub fn check_axpy_columns<T: Float>(isa: Isa, x: &[T], y: &[T]) -> Result<(), String> {
    let n = x.len();
    for count in [0, 1, 2, 7, 8, 9, 16, 19] {
        let cols: Vec<Vec<T>> = (0..count)
            .map(|t| (0..n).map(|i| x[(i + 3 * t) % n.max(1)]).collect())
            .collect();
        let refs: Vec<&[T]> = cols.iter().map(|c| &c[..]).collect();
        let alphas: Vec<T> = (0..count)
            .map(|t| T::from_f64(0.7 - 0.37 * t as f64))
            .collect();
        let mut got = y.to_vec();
        axpy_columns_with(isa, &alphas, &refs, &mut got);
        let mut want = y.to_vec();
        for (&a, c) in alphas.iter().zip(&refs) {
            axpy_with(isa, a, c, &mut want);
        }
        for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
            let same = (g.is_nan() && w.is_nan()) || g.to_f64().to_bits() == w.to_f64().to_bits();
            if !same {
                return Err(format!(
                    "axpy_columns of {count} columns [{i}]: got {g}, one axpy per column {w}"
                ));
            }
        }
    }
    Ok(())
}

pub fn check_scale<T: Float>(isa: Isa, alpha: T, x: &[T]) -> Result<(), String> {
    let mut got = x.to_vec();
    scale_with(isa, alpha, &mut got);
    for (i, (&g, &v)) in got.iter().zip(x).enumerate() {
        let want = v * alpha;
        let same = (g.is_nan() && want.is_nan()) || g.to_f64().to_bits() == want.to_f64().to_bits();
        if !same {
            return Err(format!(
                "scale[{i}]: got {g}, want {want} (must be bit-identical)"
            ));
        }
    }
    Ok(())
}

pub fn check_sub_scalar<T: Float>(isa: Isa, c: T, x: &[T]) -> Result<(), String> {
    let mut got = vec![T::from_f64(7.0); x.len()];
    sub_scalar_into_with(isa, x, c, &mut got);
    for (i, (&g, &v)) in got.iter().zip(x).enumerate() {
        let want = v - c;
        let same = (g.is_nan() && want.is_nan()) || g.to_f64().to_bits() == want.to_f64().to_bits();
        if !same {
            return Err(format!(
                "sub_scalar_into[{i}]: got {g}, want {want} (must be bit-identical)"
            ));
        }
    }
    Ok(())
}

pub fn check_min_max<T: Float>(isa: Isa, x: &[T]) -> Result<(), String> {
    let got = min_max_with(isa, x);
    let want = if x.is_empty() {
        None
    } else if x.iter().any(|v| v.is_nan()) {
        Some((T::NAN, T::NAN))
    } else {
        let mut lo = x[0];
        let mut hi = x[0];
        for &v in x {
            if v < lo {
                lo = v;
            }
            if v > hi {
                hi = v;
            }
        }
        Some((lo, hi))
    };
    let eq = |a: T, b: T| a == b || (a.is_nan() && b.is_nan());
    match (got, want) {
        (None, None) => Ok(()),
        (Some((g0, g1)), Some((w0, w1))) if eq(g0, w0) && eq(g1, w1) => Ok(()),
        _ => Err(format!("min_max: got {got:?}, want {want:?}")),
    }
}

/// Two-pass reference with exact sums: the mean first, then exact sums of the powers of the
/// deviations about it (corrected by their tiny mean, as the corrected two-pass scheme does).
pub fn reference_moments(x: &[f64]) -> Moments {
    let n = x.len() as f64;
    let mean = exact_sum(x.iter().copied()) / n;
    let d: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let corr = exact_sum(d.iter().copied()) / n;
    let d: Vec<f64> = d.iter().map(|v| v - corr).collect();
    Moments {
        count: x.len() as u64,
        mean: mean + corr,
        m2: exact_sum(d.iter().map(|v| v * v)),
        m3: exact_sum(d.iter().map(|v| v * v * v)),
        m4: exact_sum(d.iter().map(|v| v * v * v * v)),
    }
}
