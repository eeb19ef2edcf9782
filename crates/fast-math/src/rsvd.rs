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

/// The first infinity or NaN of `a`, column by column, if any.
fn first_non_finite(a: MatRef<'_, f64>) -> Option<(usize, usize)> {
    (0..a.ncols()).find_map(|j| {
        (0..a.nrows())
            .find(|&i| !a.get(i, j).is_finite())
            .map(|i| (i, j))
    })
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
        if let Some((row, col)) = first_non_finite(input) {
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
    let mut tmp_y = Mat::zeros(m, l);
    let mut tmp_z = Mat::zeros(n, l);
    first_sketch(a, input, &z, &mut y, par)?;
    for it in 0..iters {
        if it > 0 {
            gemm(1.0, a, z.as_ref(), 0.0, y.as_mut(), par);
        }
        normalize(&mut y, &mut tmp_y, normalizer, par)?;
        gemm(1.0, a.t(), y.as_ref(), 0.0, z.as_mut(), par);
        normalize(&mut z, &mut tmp_z, normalizer, par)?;
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

/// Replaces `y` by a better-conditioned basis of its column span (`tmp` is workspace of
/// the same shape).
fn normalize(
    y: &mut Mat<f64>,
    tmp: &mut Mat<f64>,
    normalizer: Normalizer,
    par: Par,
) -> Result<(), LinalgError> {
    match normalizer {
        Normalizer::None | Normalizer::Auto => {}
        Normalizer::Qr => *y = qr(y.as_ref())?.q(),
        Normalizer::Lu => {
            let mut perm: Vec<usize> = (0..y.nrows()).collect();
            let l = y.ncols();
            lu_in_place(y, 0, l, &mut perm, par);
            permuted_l(y, &perm, tmp);
            std::mem::swap(y, tmp);
        }
    }
    Ok(())
}

/// Columns at or below which the recursive LU switches to the unblocked loop.
const LU_BASE: usize = 8;

/// Partial-pivoting LU of columns `j0..j1` of the tall `a` (rows `j0..`), in place: unit
/// lower `L` below the diagonal, `U` on and above. Row swaps are applied to whole rows
/// and recorded in `perm`. Trailing updates are GEMMs (Toledo's recursion), so the
/// `m x l` panel is read about `log2(l)` times instead of `l` times.
fn lu_in_place(a: &mut Mat<f64>, j0: usize, j1: usize, perm: &mut [usize], par: Par) {
    let (m, l) = (a.nrows(), a.ncols());
    if j1 - j0 <= LU_BASE {
        let data = a.as_mut_slice();
        for j in j0..j1.min(m) {
            let col = &data[j * m..(j + 1) * m];
            let mut p = j;
            for i in j + 1..m {
                if col[i].abs() > col[p].abs() {
                    p = i;
                }
            }
            let pivot = col[p];
            if pivot == 0.0 {
                // A zero column: nothing to eliminate (its multipliers stay 0).
                continue;
            }
            if p != j {
                for c in 0..l {
                    data.swap(c * m + j, c * m + p);
                }
                perm.swap(j, p);
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
    lu_in_place(a, j0, jm, perm, par);
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
    lu_in_place(a, jm, j1, perm, par);
}

/// `out = P L` from the packed LU in `lu`: row `perm[pos]` of the result is row `pos` of
/// the unit lower-trapezoidal `L`.
fn permuted_l(lu: &Mat<f64>, perm: &[usize], out: &mut Mat<f64>) {
    let (m, l) = (lu.nrows(), lu.ncols());
    let src = lu.as_slice();
    let dst = out.as_mut_slice();
    for j in 0..l {
        let (s, d) = (&src[j * m..(j + 1) * m], &mut dst[j * m..(j + 1) * m]);
        // Every row in one branch-free pass, then the unit diagonal and the zeros above it
        // over the packed U, instead of a three-way branch per element (the randomized SVD
        // of 10000 x 2000 on the Xeon: 2-4 ms faster of 725, four alternated runs).
        for (&row, &v) in perm.iter().zip(s) {
            d[row] = v;
        }
        for &row in &perm[..j.min(m)] {
            d[row] = 0.0;
        }
        if j < m {
            d[perm[j]] = 1.0;
        }
    }
}
