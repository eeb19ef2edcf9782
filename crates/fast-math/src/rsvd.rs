//! Randomized truncated SVD (Halko, Martinsson and Tropp 2011, algorithms 4.4 and 5.1), with
//! scikit-learn's `randomized_svd` defaults.
//!
//! Steps: a Gaussian sketch `Y = A Omega` (`Omega` is `n x (rank + oversamples)`), power
//! iterations `Y <- A (A^T Y)` with a normalization after every product, an orthonormal
//! basis `Q` of the last `Y` (Householder QR), then `B^T = A^T Q` and the exact SVD of the
//! small `B` (a QR of `B^T`, then nalgebra's SVD of the square `R^T`). Every product with
//! `A` is a packed [`crate::gemm()`].
//!
//! The LU normalizer is a recursive (Toledo) partial-pivoting LU whose trailing updates are
//! GEMMs, returning `P L` as SciPy's `lu(permute_l=True)` does. Every normalizer only
//! changes the basis, never the span, so in exact arithmetic they all give the same result;
//! they guard against the columns collapsing onto the top singular vector in floating
//! point.

use crate::{gemm, qr, LinalgError, Mat, MatRef, Par};

/// Number of power iterations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PowerIters {
    /// scikit-learn's `'auto'`: 7 if `rank < 0.1 * min(m, n)`, else 4.
    Auto,
    /// Exactly this many.
    Fixed(usize),
}

/// Normalization of the sketch between power iterations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Normalizer {
    /// scikit-learn's `'auto'`: [`Normalizer::None`] if at most 2 power iterations, else
    /// [`Normalizer::Lu`].
    Auto,
    /// No normalization (fast; loses accuracy when singular values span a wide range).
    None,
    /// Partial-pivoting LU, keeping `P L` (half the flops of QR).
    Lu,
    /// Householder QR, keeping the thin `Q` (the most stable).
    Qr,
}

/// Options of [`randomized_svd`]; [`RsvdOptions::new`] gives scikit-learn's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RsvdOptions {
    /// Number of singular triplets returned.
    pub rank: usize,
    /// Extra sketch columns beyond `rank` (scikit-learn: 10).
    pub oversamples: usize,
    /// Power iterations (scikit-learn: auto).
    pub power_iters: PowerIters,
    /// Normalization between power iterations (scikit-learn: auto).
    pub normalizer: Normalizer,
    /// Seed of the Gaussian sketch: the same seed, input, ISA and [`Par`] give the same
    /// output bit for bit.
    pub seed: u64,
}

impl RsvdOptions {
    /// scikit-learn's defaults for `rank`: 10 oversamples, automatic power iterations and
    /// normalizer, seed 0.
    pub fn new(rank: usize) -> Self {
        RsvdOptions {
            rank,
            oversamples: 10,
            power_iters: PowerIters::Auto,
            normalizer: Normalizer::Auto,
            seed: 0,
        }
    }

    /// The power iterations used for an `m x n` matrix.
    pub fn iterations(&self, m: usize, n: usize) -> usize {
        match self.power_iters {
            PowerIters::Fixed(q) => q,
            PowerIters::Auto if (self.rank as f64) < 0.1 * m.min(n) as f64 => 7,
            PowerIters::Auto => 4,
        }
    }

    /// The normalizer used with `iters` power iterations (never [`Normalizer::Auto`]).
    pub fn resolved_normalizer(&self, iters: usize) -> Normalizer {
        match self.normalizer {
            Normalizer::Auto if iters <= 2 => Normalizer::None,
            Normalizer::Auto => Normalizer::Lu,
            other => other,
        }
    }
}

/// A truncated SVD `A ~ U diag(s) V^T`.
///
/// Sign convention: in each column of `U` the entry of largest magnitude (the first, on a
/// tie) is positive, and the matching row of `V^T` carries the same sign flip (as
/// scikit-learn's `svd_flip` with `u_based_decision=True`).
#[derive(Clone, Debug)]
pub struct Svd {
    /// `m x rank`, orthonormal columns.
    pub u: Mat<f64>,
    /// The `rank` singular values, descending.
    pub s: Vec<f64>,
    /// `rank x n`, orthonormal rows.
    pub vt: Mat<f64>,
}

/// The rank-`opts.rank` randomized SVD of `a` (`m x n`).
///
/// Accuracy: with `p` oversamples and `q` power iterations the expected spectral error is
/// at most `[1 + 4 sqrt(k + p) / (p - 1) sqrt(min(m, n))]^(1 / (2q + 1)) sigma_{k+1}`
/// (Halko et al. 2011, 10.3); singular values that stand well above `sigma_{k+p+1}` come
/// out to near machine precision. Wide matrices are factored through `A^T`, as
/// scikit-learn does.
///
/// # Errors
/// [`LinalgError::Empty`] if `a` has no elements, [`LinalgError::NonFinite`] (with the
/// position of the first one, column by column) if it holds an infinity or NaN,
/// [`LinalgError::InvalidRank`] unless `1 <= opts.rank <= min(m, n)`.
///
/// ```
/// use fast_math::rsvd::{randomized_svd, RsvdOptions};
/// use fast_math::{Mat, Par};
/// // Rank 2: the outer products of two orthogonal pairs, weights 3 and 1.
/// let a = Mat::from_fn(6, 4, |i, j| {
///     let u1 = if i < 3 { 1.0 } else { 0.0 } / 3f64.sqrt();
///     let u2 = if i >= 3 { 1.0 } else { 0.0 } / 3f64.sqrt();
///     let v1 = if j < 2 { 1.0 } else { 0.0 } / 2f64.sqrt();
///     let v2 = if j >= 2 { 1.0 } else { 0.0 } / 2f64.sqrt();
///     3.0 * u1 * v1 + u2 * v2
/// });
/// let svd = randomized_svd(a.as_ref(), &RsvdOptions::new(2), Par::Seq).unwrap();
/// assert!((svd.s[0] - 3.0).abs() < 1e-12 && (svd.s[1] - 1.0).abs() < 1e-12);
/// ```
pub fn randomized_svd(
    a: MatRef<'_, f64>,
    opts: &RsvdOptions,
    par: Par,
) -> Result<Svd, LinalgError> {
    let (m, n) = (a.nrows(), a.ncols());
    if m == 0 || n == 0 {
        return Err(LinalgError::Empty { nrows: m, ncols: n });
    }
    let max_rank = m.min(n);
    if opts.rank == 0 || opts.rank > max_rank {
        return Err(LinalgError::InvalidRank {
            rank: opts.rank,
            max_rank,
        });
    }
    if m < n {
        // Sketch the longer side: the same algorithm on A^T, with U and V exchanged.
        let t = factor(a.t(), a, opts, par)?;
        return Ok(Svd {
            u: t.vt.transpose(),
            s: t.s,
            vt: t.u.transpose(),
        });
    }
    factor(a, a, opts, par)
}

/// `y = a z`, the sketch's first product, which doubles as the check of `a` (the caller's
/// matrix `input`, of which `a` is a view or the transpose): an infinity or NaN in a row
/// of `a` makes that whole row of `y` non-finite whatever `z` holds (`inf * 0` is NaN, and
/// no sum comes back from an infinity or NaN), so a finite `y` clears `a` without a pass of
/// its own over it (a 10000 x 2000 `a`, 160 MB, cost 1.5% of the factorization). Only
/// otherwise is `input` scanned, to name the element, or to find that the product
/// overflowed, which the algorithm then meets as before.
fn first_sketch(
    a: MatRef<'_, f64>,
    input: MatRef<'_, f64>,
    z: &Mat<f64>,
    y: &mut Mat<f64>,
    par: Par,
) -> Result<(), LinalgError> {
    gemm(1.0, a, z.as_ref(), 0.0, y.as_mut(), par);
    if !y.as_ref().is_all_finite() {
        if let Some((row, col)) = input.first_non_finite() {
            return Err(LinalgError::NonFinite { row, col });
        }
    }
    Ok(())
}

/// The algorithm proper, for `m >= n`; `input` is the caller's matrix (`a` or `a^T`), to
/// name a non-finite element in its coordinates.
fn factor(
    a: MatRef<'_, f64>,
    input: MatRef<'_, f64>,
    opts: &RsvdOptions,
    par: Par,
) -> Result<Svd, LinalgError> {
    let (m, n) = (a.nrows(), a.ncols());
    let k = opts.rank;
    // Saturating: any oversampling beyond n means "sketch every column".
    let l = k.saturating_add(opts.oversamples).min(n);
    let iters = opts.iterations(m, n);
    let normalizer = opts.resolved_normalizer(iters);

    // The sketch depends only on the seed (seeded-rng fixes the generator and its
    // Box-Muller pairing), which is what makes `RsvdOptions::seed` reproducible.
    let mut rng = seeded_rng::Rng::new(opts.seed);
    let mut z = Mat::from_fn(n, l, |_, _| rng.normal());
    let mut y = Mat::zeros(m, l);
    first_sketch(a, input, &z, &mut y, par)?;
    for it in 0..iters {
        if it > 0 {
            gemm(1.0, a, z.as_ref(), 0.0, y.as_mut(), par);
        }
        normalize(&mut y, normalizer, par)?;
        gemm(1.0, a.t(), y.as_ref(), 0.0, z.as_mut(), par);
        normalize(&mut z, normalizer, par)?;
    }
    if iters > 0 {
        gemm(1.0, a, z.as_ref(), 0.0, y.as_mut(), par);
    }
    let q = qr(y.as_ref())?.q();
    // B^T = A^T Q (n x l), computed directly in the orientation the next QR wants.
    gemm(1.0, a.t(), q.as_ref(), 0.0, z.as_mut(), par);
    // B^T = Qb R, so B = R^T Qb^T and svd(R^T) = Ur S Vr^T gives B = Ur S (Qb Vr)^T.
    let qr_b = qr(z.as_ref())?;
    let r = qr_b.r();
    let qb = qr_b.q();
    let rt = nalgebra::DMatrix::from_fn(l, l, |i, j| r[(j, i)]);
    let svd = nalgebra::linalg::SVD::new(rt, true, true);
    let (ur, vrt) = (
        svd.u.expect("SVD computed with U"),
        svd.v_t.expect("SVD computed with V^T"),
    );
    let mut order: Vec<usize> = (0..l).collect();
    order.sort_by(|&i, &j| svd.singular_values[j].total_cmp(&svd.singular_values[i]));
    order.truncate(k);
    let s: Vec<f64> = order.iter().map(|&i| svd.singular_values[i]).collect();
    let ur_k = Mat::from_fn(l, k, |i, c| ur[(i, order[c])]);
    let vr_k = Mat::from_fn(l, k, |i, c| vrt[(order[c], i)]);
    let mut u = Mat::zeros(m, k);
    gemm(1.0, q.as_ref(), ur_k.as_ref(), 0.0, u.as_mut(), par);
    let mut v = Mat::zeros(n, k);
    gemm(1.0, qb.as_ref(), vr_k.as_ref(), 0.0, v.as_mut(), par);
    flip_signs(&mut u, &mut v);
    Ok(Svd {
        u,
        s,
        vt: v.transpose(),
    })
}

/// Makes the largest-magnitude entry of each column of `u` positive, flipping the same
/// column of `v`.
fn flip_signs(u: &mut Mat<f64>, v: &mut Mat<f64>) {
    let (m, n) = (u.nrows(), v.nrows());
    for c in 0..u.ncols() {
        let col = &u.as_slice()[c * m..(c + 1) * m];
        let mut best = 0;
        for (i, x) in col.iter().enumerate() {
            if x.abs() > col[best].abs() {
                best = i;
            }
        }
        if col[best] < 0.0 {
            u.as_mut_slice()[c * m..(c + 1) * m]
                .iter_mut()
                .for_each(|x| *x = -*x);
            v.as_mut_slice()[c * n..(c + 1) * n]
                .iter_mut()
                .for_each(|x| *x = -*x);
        }
    }
}

/// Replaces `y` by a better-conditioned basis of its column span.
fn normalize(y: &mut Mat<f64>, normalizer: Normalizer, par: Par) -> Result<(), LinalgError> {
    match normalizer {
        Normalizer::None | Normalizer::Auto => {}
        Normalizer::Qr => *y = qr(y.as_ref())?.q(),
        Normalizer::Lu => {
            let l = y.ncols();
            let mut pivots = vec![0; l.min(y.nrows())];
            lu_in_place(y, 0, l, &mut pivots, par);
            permuted_l_in_place(y, &pivots);
        }
    }
    Ok(())
}

/// Columns at or below which the recursive LU switches to the unblocked loop.
const LU_BASE: usize = 8;

/// Partial-pivoting LU of columns `j0..j1` of the tall `a` (rows `j0..`), in place: unit
/// lower `L` below the diagonal, `U` on and above. Row swaps are applied to whole rows,
/// and `pivots[j]` records the row swapped with row `j` at step `j` (LAPACK's `ipiv`,
/// 0-based; `j` itself when none was). Trailing updates are GEMMs (Toledo's recursion), so the
/// `m x l` panel is read about `log2(l)` times instead of `l` times.
fn lu_in_place(a: &mut Mat<f64>, j0: usize, j1: usize, pivots: &mut [usize], par: Par) {
    let (m, l) = (a.nrows(), a.ncols());
    if j1 - j0 <= LU_BASE {
        let data = a.as_mut_slice();
        for j in j0..j1.min(m) {
            let p = j + pivot_row(&data[j * m + j..(j + 1) * m]);
            pivots[j] = p;
            let pivot = data[j * m + p];
            if pivot == 0.0 {
                // A zero column: nothing to eliminate (its multipliers stay 0).
                continue;
            }
            if p != j {
                swap_rows(data, m, l, j, p);
            }
            let (left, right) = data.split_at_mut((j + 1) * m);
            let cj = &mut left[j * m + j + 1..];
            simd_kernels::scale(1.0 / pivot, cj);
            let cj: &[f64] = cj;
            for col in right.chunks_exact_mut(m).take(j1 - j - 1) {
                let f = col[j];
                if f != 0.0 {
                    simd_kernels::axpy(-f, cj, &mut col[j + 1..]);
                }
            }
        }
        return;
    }
    let jm = j0 + (j1 - j0) / 2;
    lu_in_place(a, j0, jm, pivots, par);
    {
        let (left, right) = a.as_mut().split_at_col(jm);
        let (top, mut bottom) = right.submatrix_mut(0, 0, m, j1 - jm).split_at_row(jm);
        let mut a12 = top.submatrix_mut(j0, 0, jm - j0, j1 - jm);
        let left = left.into_ref();
        // A12 <- L11^{-1} A12 (unit lower, at most a few dozen rows: plain loops).
        for c in 0..a12.ncols() {
            for i in 0..jm - j0 {
                let xi = a12.get(i, c);
                if xi != 0.0 {
                    for r in i + 1..jm - j0 {
                        let v = a12.get(r, c) - left.get(j0 + r, j0 + i) * xi;
                        a12.set(r, c, v);
                    }
                }
            }
        }
        let a21 = left.submatrix(jm, j0, m - jm, jm - j0);
        gemm(-1.0, a21, a12.as_ref(), 1.0, bottom.as_mut(), par);
    }
    lu_in_place(a, jm, j1, pivots, par);
}

/// The index in `col` of its first element of largest magnitude: the textbook search
/// `if |x_i| > |x_p| { p = i }` (which never moves to a NaN), a block of rows at a time: the
/// largest magnitude of each block from its SIMD minimum and maximum, and the element
/// itself searched for only in the first block that holds it (the whole LU of 10000 x 60
/// 1.1-1.8x, of 2000 x 60 1.2-1.7x, in three alternated runs on the Xeon; the same pivots,
/// so the same bits). Falls back to the textbook search on a NaN.
fn pivot_row(col: &[f64]) -> usize {
    const BLOCK: usize = 256;
    let textbook = || {
        let mut p = 0;
        for (i, v) in col.iter().enumerate() {
            if v.abs() > col[p].abs() {
                p = i;
            }
        }
        p
    };
    let (mut best, mut best_block) = (0.0f64, 0);
    for (b, block) in col.chunks(BLOCK).enumerate() {
        let Some((lo, hi)) = simd_kernels::min_max(block) else {
            break;
        };
        let magnitude = hi.max(-lo);
        if magnitude.is_nan() {
            return textbook();
        }
        if magnitude > best {
            (best, best_block) = (magnitude, b);
        }
    }
    let start = best_block * BLOCK;
    start
        + col[start..]
            .iter()
            .position(|v| v.abs() == best)
            .unwrap_or(0)
}

/// Swaps rows `r1` and `r2` of the column-major `m x l` matrix in `data`.
fn swap_rows(data: &mut [f64], m: usize, l: usize, r1: usize, r2: usize) {
    for c in 0..l {
        data.swap(c * m + r1, c * m + r2);
    }
}

/// Turns the packed LU in `lu` into `P L` (SciPy's `lu(permute_l=True)`) in place: the unit
/// diagonal and zeros over `U`, then the factorization's row swaps undone, last first.
/// Partial pivoting swaps at most one pair of rows per column, so this moves at most
/// `2 l` rows where a scatter of every row into a second matrix moved all `m` (10000 x 60
/// on the Xeon: about 1 ms a normalization, and a second 4.8 MB matrix, saved).
fn permuted_l_in_place(lu: &mut Mat<f64>, pivots: &[usize]) {
    let (m, l) = (lu.nrows(), lu.ncols());
    let data = lu.as_mut_slice();
    for (j, col) in data.chunks_exact_mut(m).enumerate() {
        col[..j.min(m)].fill(0.0);
        if j < m {
            col[j] = 1.0;
        }
    }
    for (j, &p) in pivots.iter().enumerate().rev() {
        if p != j {
            swap_rows(data, m, l, j, p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seeded_rng::Rng;

    /// The textbook form of `P L`: every row of the unit lower-trapezoidal `L` scattered to
    /// the row the swaps sent it from, with the permutation built by replaying the swaps.
    fn scattered_p_l(lu: &Mat<f64>, pivots: &[usize]) -> Mat<f64> {
        let (m, l) = (lu.nrows(), lu.ncols());
        let mut perm: Vec<usize> = (0..m).collect();
        for (j, &p) in pivots.iter().enumerate() {
            perm.swap(j, p);
        }
        let mut out = Mat::zeros(m, l);
        for pos in 0..m {
            for j in 0..l {
                let v = match pos.cmp(&j) {
                    std::cmp::Ordering::Greater => lu[(pos, j)],
                    std::cmp::Ordering::Equal => 1.0,
                    std::cmp::Ordering::Less => 0.0,
                };
                out[(perm[pos], j)] = v;
            }
        }
        out
    }

    /// Matrices that stress the pivoting: Gaussian, ties in magnitude (small integers, one
    /// row repeated), a zero column, a rank-deficient block, and wide ones.
    fn cases() -> Vec<Mat<f64>> {
        let mut rng = Rng::new(3);
        let mut out = Vec::new();
        for (m, l) in [
            (1, 1),
            (5, 3),
            (40, 9),
            (300, 17),
            (1000, 60),
            (3, 7),
            (16, 16),
        ] {
            out.push(Mat::from_fn(m, l, |_, _| rng.normal()));
            out.push(Mat::from_fn(m, l, |_, _| (rng.below(7) as f64) - 3.0));
            let mut z = Mat::from_fn(m, l, |_, _| rng.normal());
            for i in 0..m {
                z[(i, l / 2)] = 0.0;
                z[(i, l - 1)] = 2.0 * z[(i, 0)];
                z[(m - 1, l - 1 - i % l)] = z[(0, l - 1 - i % l)];
            }
            out.push(z);
        }
        out
    }

    #[test]
    fn the_lu_normalizer_gives_p_l_with_p_l_u_equal_to_its_input() {
        for y in cases() {
            let (m, l) = (y.nrows(), y.ncols());
            let mut lu = y.clone();
            let mut pivots = vec![0; l.min(m)];
            lu_in_place(&mut lu, 0, l, &mut pivots, Par::Seq);
            assert!(
                pivots.iter().enumerate().all(|(j, &p)| p >= j && p < m),
                "{m}x{l}: pivots {pivots:?}"
            );
            let want = scattered_p_l(&lu, &pivots);
            let u = Mat::from_fn(l.min(m), l, |i, j| if i <= j { lu[(i, j)] } else { 0.0 });
            let mut got = lu.clone();
            permuted_l_in_place(&mut got, &pivots);
            assert_eq!(got, want, "{m}x{l}: in place against the scatter");
            // Partial pivoting: no multiplier exceeds one in magnitude.
            assert!(got.as_slice().iter().all(|v| v.abs() <= 1.0), "{m}x{l}");
            // P L U reproduces the input to within the LU's backward error.
            let k = l.min(m);
            let mut r = y.clone();
            gemm(
                -1.0,
                got.as_ref().submatrix(0, 0, m, k),
                u.as_ref(),
                1.0,
                r.as_mut(),
                Par::Seq,
            );
            let scale = y.as_ref().norm_frobenius().max(f64::MIN_POSITIVE);
            let err = r.as_ref().norm_frobenius() / scale;
            assert!(
                err <= 1e-13 * (k as f64),
                "{m}x{l}: ||P L U - Y|| / ||Y|| = {err:e}"
            );
        }
    }

    #[test]
    fn the_pivot_is_the_first_largest_magnitude_as_the_textbook_search_finds_it() {
        let textbook = |col: &[f64]| {
            let mut p = 0;
            for i in 1..col.len() {
                if col[i].abs() > col[p].abs() {
                    p = i;
                }
            }
            p
        };
        let mut rng = Rng::new(9);
        for n in [1, 2, 7, 255, 256, 257, 511, 512, 513, 1000, 3000] {
            let base: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
            let mut cases = vec![base.clone(), vec![0.0; n], vec![-0.0; n]];
            // Ties in magnitude, of either sign, on both sides of a block boundary.
            for &(at, tie) in &[(0, n - 1), (255, 256), (n / 2, n / 3), (n - 1, 0)] {
                let (at, tie) = (at.min(n - 1), tie.min(n - 1));
                let mut c = base.clone();
                c[at] = 9.0;
                c[tie] = -9.0;
                cases.push(c);
            }
            for special in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
                for at in [0, n / 2, n - 1] {
                    let mut c = base.clone();
                    c[at] = special;
                    cases.push(c);
                }
            }
            for c in &cases {
                assert_eq!(pivot_row(c), textbook(c), "n = {n}: {:?}", &c[..n.min(8)]);
            }
        }
    }

    #[test]
    fn normalize_by_lu_matches_lu_then_p_l() {
        for y in cases() {
            let mut got = y.clone();
            normalize(&mut got, Normalizer::Lu, Par::Seq).unwrap();
            let mut lu = y.clone();
            let mut pivots = vec![0; y.ncols().min(y.nrows())];
            lu_in_place(&mut lu, 0, y.ncols(), &mut pivots, Par::Seq);
            assert_eq!(got, scattered_p_l(&lu, &pivots));
        }
    }
}
