//! Dense factorizations in `f64`: Cholesky (blocked, on the packed GEMM) and Householder QR.

use crate::gemm::gemm_kernel;
use crate::wy::{BlockReflector, QR_BLOCK};
use crate::{Mat, MatMut, MatRef, Par};
use simd_kernels::gemm::{KernelShape, MicroKernel};
use simd_kernels::Isa;

/// Data-dependent failures of the factorizations and solvers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LinalgError {
    /// The matrix has no elements.
    #[error("matrix is empty ({nrows}x{ncols})")]
    Empty {
        /// Rows of the input.
        nrows: usize,
        /// Columns of the input.
        ncols: usize,
    },
    /// A square matrix was required.
    #[error("matrix is not square ({nrows}x{ncols})")]
    NotSquare {
        /// Rows of the input.
        nrows: usize,
        /// Columns of the input.
        ncols: usize,
    },
    /// An element is infinite or NaN.
    #[error("non-finite value at ({row}, {col})")]
    NonFinite {
        /// Row of the first non-finite element found (column by column).
        row: usize,
        /// Its column.
        col: usize,
    },
    /// Cholesky met a pivot that is not positive (the matrix is not positive definite, or is
    /// too ill-conditioned to tell).
    #[error("matrix is not positive definite (pivot {pivot} is not positive)")]
    NotPositiveDefinite {
        /// Index (0-based) of the failing diagonal pivot.
        pivot: usize,
    },
    /// A least-squares problem whose matrix has (numerically) dependent columns.
    #[error("matrix is rank deficient (column {col} is numerically dependent on earlier ones)")]
    RankDeficient {
        /// Index of the first column whose `R` diagonal is negligible.
        col: usize,
    },
    /// Least squares needs at least as many rows as columns.
    #[error("least squares needs nrows >= ncols, got {nrows}x{ncols}")]
    Underdetermined {
        /// Rows of the matrix.
        nrows: usize,
        /// Columns of the matrix.
        ncols: usize,
    },
    /// A requested rank (randomized SVD) outside `1..=min(nrows, ncols)`.
    #[error("requested rank {rank} is not in 1..={max_rank}")]
    InvalidRank {
        /// The rank asked for.
        rank: usize,
        /// `min(nrows, ncols)` of the matrix.
        max_rank: usize,
    },
}

fn check_input(a: &MatRef<'_, f64>) -> Result<(), LinalgError> {
    let (nrows, ncols) = (a.nrows(), a.ncols());
    if nrows == 0 || ncols == 0 {
        return Err(LinalgError::Empty { nrows, ncols });
    }
    match a.first_non_finite() {
        Some((row, col)) => Err(LinalgError::NonFinite { row, col }),
        None => Ok(()),
    }
}

/// Block size of the blocked Cholesky.
const CHOL_BLOCK: usize = 128;

/// The Cholesky factorization `A = L L^T` of a symmetric positive definite matrix.
#[derive(Clone, Debug)]
pub struct Cholesky {
    l: Mat<f64>,
}

/// Factors a symmetric positive definite `a` as `L L^T` (on the detected ISA, one thread).
///
/// Only the lower triangle of `a` is read. Left-looking blocked algorithm: panel updates
/// are packed GEMMs, the diagonal blocks are factored column by column.
///
/// # Errors
/// [`LinalgError::Empty`], [`LinalgError::NotSquare`], [`LinalgError::NonFinite`] (for
/// any element, not just the lower triangle), or
/// [`LinalgError::NotPositiveDefinite`] with the first pivot that is not positive; no NaN
/// ever reaches a result.
///
/// ```
/// use fast_math::{cholesky, Mat};
/// let a = Mat::from_row_major(2, 2, &[4.0, 2.0, 2.0, 5.0]);
/// let ch = cholesky(a.as_ref()).unwrap();
/// let x = ch.solve(Mat::from_col_major(2, 1, &[6.0, 7.0]).as_ref());
/// assert!((x[(0, 0)] - 1.0).abs() < 1e-12 && (x[(1, 0)] - 1.0).abs() < 1e-12);
/// ```
pub fn cholesky(a: MatRef<'_, f64>) -> Result<Cholesky, LinalgError> {
    cholesky_with(Isa::detect(), a, Par::Seq)
}

/// [`cholesky`] on one given ISA with explicit parallelism (for the panel updates).
///
/// # Errors
/// As [`cholesky`].
///
/// # Panics
/// If the CPU does not support `isa`.
pub fn cholesky_with(isa: Isa, a: MatRef<'_, f64>, par: Par) -> Result<Cholesky, LinalgError> {
    check_input(&a)?;
    let n = a.nrows();
    if a.ncols() != n {
        return Err(LinalgError::NotSquare {
            nrows: n,
            ncols: a.ncols(),
        });
    }
    let kern = MicroKernel::<f64>::new(isa, KernelShape::Wide);
    let mut l = Mat::from_fn(n, n, |i, j| if i >= j { a.get(i, j) } else { 0.0 });
    let mut k0 = 0;
    while k0 < n {
        let k1 = (k0 + CHOL_BLOCK).min(n);
        if k0 > 0 {
            // L[k0.., k0..k1] -= L[k0.., ..k0] * L[k0..k1, ..k0]^T
            let (left, right) = l.as_mut().split_at_col(k0);
            let left = left.into_ref();
            let panel = right.submatrix_mut(k0, 0, n - k0, k1 - k0);
            gemm_kernel(
                kern,
                -1.0,
                left.submatrix(k0, 0, n - k0, k0),
                left.submatrix(k0, 0, k1 - k0, k0).t(),
                1.0,
                panel,
                par,
            );
        }
        factor_panel(isa, l.as_mut_slice(), n, k0, k1)?;
        k0 = k1;
    }
    Ok(Cholesky { l })
}

/// Unblocked left-looking factorization of columns `k0..k1` (already updated for columns
/// before `k0`), over all rows below the diagonal.
fn factor_panel(
    isa: Isa,
    l: &mut [f64],
    n: usize,
    k0: usize,
    k1: usize,
) -> Result<(), LinalgError> {
    for j in k0..k1 {
        let (before, rest) = l.split_at_mut(j * n);
        let cj = &mut rest[..n];
        for p in k0..j {
            let cp = &before[p * n..(p + 1) * n];
            let ljp = cp[j];
            if ljp != 0.0 {
                simd_kernels::axpy_with(isa, -ljp, &cp[j..], &mut cj[j..]);
            }
        }
        // The panel GEMM also updated the block's upper triangle: L is zero there.
        cj[k0..j].fill(0.0);
        let d = cj[j];
        if !(d > 0.0 && d.is_finite()) {
            return Err(LinalgError::NotPositiveDefinite { pivot: j });
        }
        let s = d.sqrt();
        cj[j] = s;
        let inv = 1.0 / s;
        for x in &mut cj[j + 1..] {
            *x *= inv;
        }
    }
    Ok(())
}

impl Cholesky {
    /// The lower-triangular factor `L` (upper triangle zero).
    pub fn l(&self) -> MatRef<'_, f64> {
        self.l.as_ref()
    }

    /// Order of the factored matrix.
    pub fn dim(&self) -> usize {
        self.l.nrows()
    }

    /// Solves `A X = B` in place (`b` becomes `X`).
    ///
    /// # Panics
    /// If `b.nrows()` differs from the order of `A`; the message names both.
    #[track_caller]
    pub fn solve_in_place(&self, mut b: MatMut<'_, f64>) {
        let n = self.dim();
        assert_eq!(
            b.nrows(),
            n,
            "Cholesky::solve: right-hand side has {} rows, A is {n}x{n}",
            b.nrows()
        );
        let l = self.l.as_slice();
        let mut x = vec![0.0; n];
        for c in 0..b.ncols() {
            for (i, xi) in x.iter_mut().enumerate() {
                *xi = b.get(i, c);
            }
            // L y = b (column oriented), then L^T x = y (row of L^T = column of L).
            for j in 0..n {
                let col = &l[j * n..(j + 1) * n];
                x[j] /= col[j];
                let xj = x[j];
                if xj != 0.0 {
                    simd_kernels::axpy(-xj, &col[j + 1..], &mut x[j + 1..]);
                }
            }
            for j in (0..n).rev() {
                let col = &l[j * n..(j + 1) * n];
                let s = simd_kernels::dot(&col[j + 1..], &x[j + 1..]);
                x[j] = (x[j] - s) / col[j];
            }
            for (i, &xi) in x.iter().enumerate() {
                b.set(i, c, xi);
            }
        }
    }

    /// Solves `A X = B`.
    ///
    /// # Panics
    /// If `b.nrows()` differs from the order of `A`.
    #[track_caller]
    pub fn solve(&self, b: MatRef<'_, f64>) -> Mat<f64> {
        let mut x = b.to_owned();
        self.solve_in_place(x.as_mut());
        x
    }

    /// `A^{-1}` (symmetric).
    pub fn inverse(&self) -> Mat<f64> {
        let mut inv = Mat::identity(self.dim());
        self.solve_in_place(inv.as_mut());
        // Symmetrize away the rounding differences between the two triangles.
        let n = self.dim();
        for j in 0..n {
            for i in 0..j {
                let v = 0.5 * (inv[(i, j)] + inv[(j, i)]);
                inv[(i, j)] = v;
                inv[(j, i)] = v;
            }
        }
        inv
    }

    /// `ln det A = 2 sum ln L_ii`.
    pub fn log_det(&self) -> f64 {
        (0..self.dim()).map(|i| self.l[(i, i)].ln()).sum::<f64>() * 2.0
    }
}

/// Householder QR factorization `A = Q R` in compact form.
#[derive(Clone, Debug)]
pub struct Qr {
    /// `R` on and above the diagonal, the Householder vectors (unit leading entry implied)
    /// below it.
    qr: Mat<f64>,
    tau: Vec<f64>,
}

/// Factors `a` (`m x n`, any shape) as `Q R` by Householder reflections (LAPACK `geqr2`
/// conventions: `H_j = I - tau_j v_j v_j^T`, `R` with possibly negative diagonal).
///
/// Error: backward stable, `||A - Q R|| <= c m n eps ||A||`.
///
/// # Errors
/// [`LinalgError::Empty`] or [`LinalgError::NonFinite`].
///
/// ```
/// use fast_math::{qr, Mat};
/// let a = Mat::from_row_major(3, 2, &[1.0, 0.0, 1.0, 1.0, 1.0, 2.0]);
/// let b = Mat::from_col_major(3, 1, &[1.0, 2.0, 3.0]);
/// let x = qr(a.as_ref()).unwrap().solve_least_squares(b.as_ref()).unwrap();
/// assert!((x[(0, 0)] - 1.0).abs() < 1e-12 && (x[(1, 0)] - 1.0).abs() < 1e-12);
/// ```
pub fn qr(a: MatRef<'_, f64>) -> Result<Qr, LinalgError> {
    qr_with(Isa::detect(), a)
}

/// [`qr`] on one given ISA.
///
/// # Errors
/// As [`qr`].
///
/// # Panics
/// If the CPU does not support `isa`.
pub fn qr_with(isa: Isa, a: MatRef<'_, f64>) -> Result<Qr, LinalgError> {
    assert!(
        isa.is_supported(),
        "qr: this CPU does not support ISA {isa}"
    );
    check_input(&a)?;
    let (m, n) = (a.nrows(), a.ncols());
    let mut qr = a.to_owned();
    let kmax = m.min(n);
    let mut tau = vec![0.0; kmax];
    // Blocks of QR_BLOCK columns: each factored one reflector at a time, then applied to
    // the columns right of it at once (`BlockReflector`). A factor of at most QR_BLOCK
    // columns is one block with nothing right of it: the plain loop, unchanged.
    let mut j0 = 0;
    while j0 < kmax {
        let j1 = (j0 + QR_BLOCK).min(kmax);
        // The last block takes every remaining column (those past min(m, n) of a wide A).
        let end = if j1 == kmax { n } else { j1 };
        factor_columns(isa, &mut qr, &mut tau, j0..j1, end);
        if j1 < kmax {
            let (left, right) = qr.as_mut().split_at_col(j1);
            let block = BlockReflector::new(isa, left.into_ref(), &tau, j0, j1);
            block.apply_transpose(right.submatrix_mut(j0, 0, m - j0, n - j1));
        }
        j0 = j1;
    }
    Ok(Qr { qr, tau })
}

/// Householder reflectors for columns `cols` of the column-major `qr` (its earlier columns
/// already factored, the rest updated), each applied to the columns after it up to `end`.
fn factor_columns(
    isa: Isa,
    qr: &mut Mat<f64>,
    tau: &mut [f64],
    cols: std::ops::Range<usize>,
    end: usize,
) {
    let m = qr.nrows();
    let data = &mut qr.as_mut_slice()[..end * m];
    for j in cols {
        let (before, rest) = data.split_at_mut((j + 1) * m);
        let cj = &mut before[j * m..];
        let (alpha, x) = cj[j..].split_first_mut().expect("j < m");
        let xnorm = norm2(isa, x);
        if xnorm == 0.0 {
            tau[j] = 0.0;
            continue;
        }
        let beta = -alpha.signum() * alpha.hypot(xnorm);
        tau[j] = (beta - *alpha) / beta;
        simd_kernels::scale_with(isa, 1.0 / (*alpha - beta), x);
        *alpha = beta;
        // Apply H_j to the trailing columns.
        let v: &[f64] = &cj[j + 1..];
        for c in rest.chunks_exact_mut(m) {
            let w = c[j] + simd_kernels::dot_with(isa, v, &c[j + 1..]);
            let tw = tau[j] * w;
            c[j] -= tw;
            simd_kernels::axpy_with(isa, -tw, v, &mut c[j + 1..]);
        }
    }
}

/// Euclidean norm without overflow or harmful underflow: the plain sum of squares (one
/// SIMD pass) where it is safe, else a pass for the largest magnitude and one for the sum
/// of the scaled squares. The plain sum is safe when it is finite and at least
/// `MIN_POSITIVE / EPSILON`: squares that underflowed then carry an absolute error of at
/// most `2^-1075` each, below the sum's own rounding by far.
fn norm2(isa: Isa, x: &[f64]) -> f64 {
    let ss = simd_kernels::dot_with(isa, x, x);
    if ss.is_finite() && ss >= f64::MIN_POSITIVE / f64::EPSILON {
        return ss.sqrt();
    }
    let scale = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if scale == 0.0 {
        return 0.0;
    }
    let inv = 1.0 / scale;
    scale * x.iter().map(|v| (v * inv) * (v * inv)).sum::<f64>().sqrt()
}

impl Qr {
    /// Rows of `A`.
    pub fn nrows(&self) -> usize {
        self.qr.nrows()
    }

    /// Columns of `A`.
    pub fn ncols(&self) -> usize {
        self.qr.ncols()
    }

    /// The `min(m, n) x n` upper-triangular (trapezoidal) factor `R`.
    pub fn r(&self) -> Mat<f64> {
        let k = self.tau.len();
        Mat::from_fn(
            k,
            self.ncols(),
            |i, j| if i <= j { self.qr[(i, j)] } else { 0.0 },
        )
    }

    /// The thin `m x min(m, n)` factor `Q` with orthonormal columns.
    pub fn q(&self) -> Mat<f64> {
        let (m, k) = (self.nrows(), self.tau.len());
        let mut q = Mat::zeros(m, k);
        for j in 0..k {
            q[(j, j)] = 1.0;
        }
        if k <= QR_BLOCK {
            self.apply_q(q.as_mut());
            return q;
        }
        // Q = (block 0)(block 1)... I: the blocks from the last, each reaching only the
        // rows and columns from its first reflector on (the identity's earlier columns are
        // zero there and stay so).
        for j0 in (0..k).step_by(QR_BLOCK).rev() {
            let j1 = (j0 + QR_BLOCK).min(k);
            let block = BlockReflector::new(Isa::detect(), self.qr.as_ref(), &self.tau, j0, j1);
            block.apply(q.as_mut().submatrix_mut(j0, j0, m - j0, k - j0));
        }
        q
    }

    /// `B <- Q B` for an `m x p` matrix `B` (Q as the full `m x m` product of reflectors).
    ///
    /// # Panics
    /// If `b.nrows() != m`.
    #[track_caller]
    pub fn apply_q(&self, b: MatMut<'_, f64>) {
        self.apply(b, true)
    }

    /// `B <- Q^T B` for an `m x p` matrix `B`.
    ///
    /// # Panics
    /// If `b.nrows() != m`.
    #[track_caller]
    pub fn apply_qt(&self, b: MatMut<'_, f64>) {
        self.apply(b, false)
    }

    #[track_caller]
    fn apply(&self, mut b: MatMut<'_, f64>, forward: bool) {
        let m = self.nrows();
        assert_eq!(
            b.nrows(),
            m,
            "Qr: right-hand side has {} rows, A has {m}",
            b.nrows()
        );
        let qr = self.qr.as_slice();
        let k = self.tau.len();
        let mut col = vec![0.0; m];
        for c in 0..b.ncols() {
            for (i, x) in col.iter_mut().enumerate() {
                *x = b.get(i, c);
            }
            let mut step = |j: usize| {
                let v = &qr[j * m + j + 1..(j + 1) * m];
                let w = col[j] + simd_kernels::dot(v, &col[j + 1..]);
                let tw = self.tau[j] * w;
                col[j] -= tw;
                simd_kernels::axpy(-tw, v, &mut col[j + 1..]);
            };
            if forward {
                (0..k).rev().for_each(&mut step);
            } else {
                (0..k).for_each(&mut step);
            }
            for (i, &x) in col.iter().enumerate() {
                b.set(i, c, x);
            }
        }
    }

    /// The least-squares solution `X = argmin ||A X - B||_F` (`n x p`) for `m >= n` and
    /// full column rank.
    ///
    /// # Errors
    /// [`LinalgError::Underdetermined`] when `m < n`; [`LinalgError::RankDeficient`] when
    /// some `|R_jj| <= max(m, n) * eps * max_i |R_ii|`; [`LinalgError::NonFinite`] when `B`
    /// holds a non-finite value.
    ///
    /// # Panics
    /// If `b.nrows() != m`.
    #[track_caller]
    pub fn solve_least_squares(&self, b: MatRef<'_, f64>) -> Result<Mat<f64>, LinalgError> {
        let (m, n) = (self.nrows(), self.ncols());
        assert_eq!(
            b.nrows(),
            m,
            "Qr::solve_least_squares: right-hand side has {} rows, A has {m}",
            b.nrows()
        );
        if m < n {
            return Err(LinalgError::Underdetermined { nrows: m, ncols: n });
        }
        for col in 0..b.ncols() {
            for row in 0..m {
                if !b.get(row, col).is_finite() {
                    return Err(LinalgError::NonFinite { row, col });
                }
            }
        }
        let rmax = (0..n).fold(0.0f64, |acc, i| acc.max(self.qr[(i, i)].abs()));
        let tol = m.max(n) as f64 * f64::EPSILON * rmax;
        if let Some(col) = (0..n).find(|&i| self.qr[(i, i)].abs() <= tol) {
            return Err(LinalgError::RankDeficient { col });
        }
        let mut y = b.to_owned();
        self.apply_qt(y.as_mut());
        let mut x = Mat::zeros(n, b.ncols());
        for c in 0..b.ncols() {
            for i in (0..n).rev() {
                let mut s = y[(i, c)];
                for j in i + 1..n {
                    s -= self.qr[(i, j)] * x[(j, c)];
                }
                x[(i, c)] = s / self.qr[(i, i)];
            }
        }
        Ok(x)
    }
}
