//! Householder QR in double-double, the inner loop of [`RidgeAccumulator`](super::RidgeAccumulator)'s
//! chunk updates and merges.
//!
//! Two things decide its speed, and neither changes a bit of the result between ISAs:
//!
//! - Double-double products need a fused multiply-add. Compiled for the baseline x86-64
//!   target, `f64::mul_add` is a call into the C library, three per product; the same body
//!   compiled with AVX2+FMA or AVX-512 enabled turns each into one instruction, and lets the
//!   compiler vectorize the column updates. A fused multiply-add rounds once whichever way it
//!   is computed, so the three builds return the same bits.
//! - A dot product folded into one double-double is a chain of dependent additions (each a
//!   dozen floating-point operations deep), which caps it at one element per chain latency.
//!   The sums here run in [`PARTIALS`] independent double-doubles, lane `i % PARTIALS`, added
//!   together at the end: a fixed order, the same on every ISA, as accurate (each addition is
//!   within `3 u^2`).

use super::dd::Dd;
use simd_kernels::Isa;

/// Independent partial sums of a double-double dot product: enough to cover the latency of
/// one double-double addition with the throughput of two floating-point units.
const PARTIALS: usize = 8;

/// The `k1 x k1` upper-triangular factor (column-major) of a Householder QR of the
/// column-major `rows x k1` `stack`, in double-double; all NaN when the stack holds a
/// non-finite value. Runs the build for `isa` when this CPU supports it.
pub(super) fn upper_factor(isa: Isa, stack: &[Dd], rows: usize, k1: usize) -> Vec<Dd> {
    if stack.iter().any(|v| !v.is_finite()) {
        return vec![Dd::from_f64(f64::NAN); k1 * k1];
    }
    // The work runs on the high and low parts in separate arrays, so that the column
    // updates and the partial sums are plain element-wise loops the compiler vectorizes.
    let mut hi: Vec<f64> = stack.iter().map(|v| v.hi).collect();
    let mut lo: Vec<f64> = stack.iter().map(|v| v.lo).collect();
    match isa {
        Isa::Avx512 if isa.is_supported() => {
            // SAFETY: is_supported has just confirmed that this CPU runs AVX-512F.
            unsafe { householder_avx512(&mut hi, &mut lo, rows, k1) }
        }
        Isa::Avx2Fma if isa.is_supported() => {
            // SAFETY: is_supported has just confirmed that this CPU runs AVX2 and FMA.
            unsafe { householder_avx2(&mut hi, &mut lo, rows, k1) }
        }
        _ => householder(&mut hi, &mut lo, rows, k1),
    }
    let mut out = vec![Dd::ZERO; k1 * k1];
    for j in 0..k1 {
        for i in 0..=j.min(rows.saturating_sub(1)) {
            out[i + j * k1] = Dd::from_parts(hi[i + j * rows], lo[i + j * rows]);
        }
    }
    out
}

/// `sum col`, in double-double (each f64 exact, then [`sum_of`]'s interleaved partial sums):
/// the chunk means of [`RidgeAccumulator`](super::RidgeAccumulator).
pub(super) fn sum(isa: Isa, col: &[f64]) -> Dd {
    match isa {
        Isa::Avx512 if isa.is_supported() => {
            // SAFETY: is_supported has just confirmed that this CPU runs AVX-512F.
            unsafe { sum_avx512(col) }
        }
        Isa::Avx2Fma if isa.is_supported() => {
            // SAFETY: is_supported has just confirmed that this CPU runs AVX2 and FMA.
            unsafe { sum_avx2(col) }
        }
        _ => sum_exact_terms(col),
    }
}

#[target_feature(enable = "avx512f")]
fn sum_avx512(col: &[f64]) -> Dd {
    sum_exact_terms(col)
}

#[target_feature(enable = "avx2,fma")]
fn sum_avx2(col: &[f64]) -> Dd {
    sum_exact_terms(col)
}

#[inline(always)]
fn sum_exact_terms(col: &[f64]) -> Dd {
    let full = col.len() / PARTIALS * PARTIALS;
    let mut acc = Lanes::default();
    for c in lanes(col, full) {
        for (l, &v) in c.iter().enumerate() {
            acc.add(l, Dd::from_f64(v));
        }
    }
    for (l, &v) in col[full..].iter().enumerate() {
        acc.add(l, Dd::from_f64(v));
    }
    acc.total()
}

#[target_feature(enable = "avx512f")]
fn householder_avx512(hi: &mut [f64], lo: &mut [f64], rows: usize, k1: usize) {
    householder(hi, lo, rows, k1)
}

#[target_feature(enable = "avx2,fma")]
fn householder_avx2(hi: &mut [f64], lo: &mut [f64], rows: usize, k1: usize) {
    householder(hi, lo, rows, k1)
}

/// Reduces the column-major `rows x k1` double-double matrix whose parts are `hi` and `lo`
/// in place: its upper triangle becomes `R`.
#[inline(always)]
fn householder(hi: &mut [f64], lo: &mut [f64], rows: usize, k1: usize) {
    for j in 0..k1.min(rows) {
        let (done_hi, rest_hi) = hi.split_at_mut((j + 1) * rows);
        let (done_lo, rest_lo) = lo.split_at_mut((j + 1) * rows);
        let vh = &mut done_hi[j * rows + j..];
        let vl = &mut done_lo[j * rows + j..];
        // The norm of a column scaled by a power of two near its largest entry (exact), so
        // that squaring neither overflows nor underflows.
        let big = vh.iter().map(|e| e.abs()).fold(0.0f64, f64::max);
        if big == 0.0 {
            continue;
        }
        let sc = 2f64.powi(-(big.log2().floor().clamp(-1000.0, 1000.0) as i32));
        let norm = sum_of(
            vh,
            vl,
            |x, _| {
                let e = x.mul_f64(sc);
                e * e
            },
            vh,
            vl,
        )
        .sqrt()
            / Dd::from_f64(sc);
        // H = I - v v^T / (-alpha v0) maps the column to alpha e1; v0 = x0 - alpha adds
        // magnitudes (alpha takes the sign opposite to x0), so nothing cancels.
        let v0 = Dd::from_parts(vh[0], vl[0]);
        let alpha = if v0.hi >= 0.0 { -norm } else { norm };
        let v0 = v0 - alpha;
        (vh[0], vl[0]) = (v0.hi, v0.lo);
        let denom = alpha * v0;
        let (vh, vl) = (&*vh, &*vl);
        let n = vh.len();
        for (ch, cl) in rest_hi
            .chunks_exact_mut(rows)
            .zip(rest_lo.chunks_exact_mut(rows))
        {
            let (ch, cl) = (&mut ch[j..j + n], &mut cl[j..j + n]);
            let w = sum_of(vh, vl, |x, y| x * y, ch, cl);
            let t = w / denom;
            for i in 0..n {
                let y = Dd::from_parts(ch[i], cl[i]) + t * Dd::from_parts(vh[i], vl[i]);
                (ch[i], cl[i]) = (y.hi, y.lo);
            }
        }
        (done_hi[j * rows + j], done_lo[j * rows + j]) = (alpha.hi, alpha.lo);
    }
}

/// `sum_i term(x_i, y_i)` over two double-double vectors given by their parts (of equal
/// lengths), in [`PARTIALS`] interleaved double-double sums: lane `i % PARTIALS`, the lanes
/// added in order at the end.
#[inline(always)]
fn sum_of(xh: &[f64], xl: &[f64], term: impl Fn(Dd, Dd) -> Dd, yh: &[f64], yl: &[f64]) -> Dd {
    let n = xh.len();
    let (xl, yh, yl) = (&xl[..n], &yh[..n], &yl[..n]);
    let full = n / PARTIALS * PARTIALS;
    let mut acc = Lanes::default();
    for (((xh, xl), yh), yl) in lanes(xh, full)
        .zip(lanes(xl, full))
        .zip(lanes(yh, full))
        .zip(lanes(yl, full))
    {
        for l in 0..PARTIALS {
            acc.add(
                l,
                term(Dd::from_parts(xh[l], xl[l]), Dd::from_parts(yh[l], yl[l])),
            );
        }
    }
    for i in full..n {
        let t = term(Dd::from_parts(xh[i], xl[i]), Dd::from_parts(yh[i], yl[i]));
        acc.add(i - full, t);
    }
    acc.total()
}

/// [`PARTIALS`] double-double sums, their parts in fixed-size arrays: the compiler turns the
/// same operation on every lane into one vector operation.
#[derive(Default)]
struct Lanes {
    hi: [f64; PARTIALS],
    lo: [f64; PARTIALS],
}

impl Lanes {
    #[inline(always)]
    fn add(&mut self, l: usize, t: Dd) {
        let s = Dd::from_parts(self.hi[l], self.lo[l]) + t;
        (self.hi[l], self.lo[l]) = (s.hi, s.lo);
    }

    /// The lanes added in order.
    #[inline(always)]
    fn total(&self) -> Dd {
        (0..PARTIALS).fold(Dd::ZERO, |s, l| s + Dd::from_parts(self.hi[l], self.lo[l]))
    }
}

/// The `PARTIALS`-element chunks of `s[..full]` as arrays (no bounds checks in the lanes).
#[inline(always)]
fn lanes(s: &[f64], full: usize) -> impl Iterator<Item = &[f64; PARTIALS]> {
    s[..full]
        .chunks_exact(PARTIALS)
        .map(|c| c.try_into().expect("a chunk of PARTIALS"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic, ill-scaled stack.
    fn stack(rows: usize, k1: usize) -> Vec<Dd> {
        let mut s: u64 = 0x2545_f491_4f6c_dd1d;
        (0..rows * k1)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let u = (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                Dd::from_f64(u * 2f64.powi((i % 7) as i32 * 9 - 20))
            })
            .collect()
    }

    #[test]
    fn every_isa_build_returns_the_same_bits() {
        for (rows, k1) in [(1, 1), (3, 5), (17, 4), (530, 21), (9, 9)] {
            let s = stack(rows, k1);
            let want = upper_factor(Isa::Scalar, &s, rows, k1);
            for isa in Isa::available() {
                assert_eq!(upper_factor(isa, &s, rows, k1), want, "{isa} {rows}x{k1}");
            }
        }
    }

    #[test]
    fn the_factor_reproduces_the_gram_matrix() {
        let (rows, k1) = (40, 6);
        let s = stack(rows, k1);
        let r = upper_factor(Isa::detect(), &s, rows, k1);
        for i in 0..k1 {
            for j in 0..k1 {
                let g = (0..rows).fold(Dd::ZERO, |acc, t| acc + s[t + i * rows] * s[t + j * rows]);
                let rr = (0..k1).fold(Dd::ZERO, |acc, t| acc + r[t + i * k1] * r[t + j * k1]);
                // Householder QR is normwise backward stable: the error of an entry is a
                // small multiple of rows * u^2 (u^2 ~ 1.2e-32) times the two column norms.
                let norm = |c: usize| {
                    s[c * rows..(c + 1) * rows]
                        .iter()
                        .map(|v| v.hi * v.hi)
                        .sum::<f64>()
                        .sqrt()
                };
                let scale = norm(i) * norm(j);
                assert!(
                    (g - rr).to_f64().abs() <= 1e-28 * scale,
                    "({i},{j}): {g:?} vs {rr:?}"
                );
            }
        }
    }

    #[test]
    fn a_non_finite_entry_gives_a_nan_factor() {
        let mut s = stack(5, 3);
        s[7] = Dd::from_f64(f64::INFINITY);
        assert!(upper_factor(Isa::detect(), &s, 5, 3)
            .iter()
            .all(|v| v.hi.is_nan()));
    }
}
