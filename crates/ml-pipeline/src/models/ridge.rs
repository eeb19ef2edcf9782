//! Ridge regression with scikit-learn's objective, from mergeable sufficient statistics.

use super::checks::{check_finite, check_shapes, check_xy};
use super::linear::LinearModel;
use crate::ablation::Ablation;
use crate::error::{PipelineError, Result};
use crate::traits::{Accumulator, Fit, FitIncremental, Target};
use crate::workers::map_row_ranges;
use fast_math::{cholesky, qr, Mat, MatRef, Par};

/// Ridge regression: minimizes `||y - X w - b||^2 + alpha ||w||^2`, the intercept `b`
/// unpenalized (scikit-learn's `Ridge(alpha, fit_intercept=True)`).
///
/// Solved from the centered Gram matrix with Cholesky; when that fails or the system is
/// ill-conditioned, from a QR factorization of the augmented least-squares problem.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ridge {
    /// L2 penalty (>= 0).
    pub alpha: f64,
    /// Whether to fit an intercept (centering X and y first).
    pub fit_intercept: bool,
}

impl Default for Ridge {
    fn default() -> Self {
        Ridge {
            alpha: 1.0,
            fit_intercept: true,
        }
    }
}

/// Rows per accumulation chunk: a centered copy of this many rows stays in L2.
const CHUNK_ROWS: usize = 4096;

/// Condition estimate (from the Cholesky diagonal) above which the QR path is taken.
const MAX_CHOL_CONDITION: f64 = 1e10;

impl Fit for Ridge {
    type Fitted = LinearModel;

    fn check(&self) -> Result<()> {
        if !(self.alpha >= 0.0 && self.alpha.is_finite()) {
            return Err(PipelineError::InvalidHyperparameter {
                model: "ridge",
                name: "alpha",
                value: self.alpha.to_string(),
                expected: "finite and >= 0".into(),
            });
        }
        Ok(())
    }

    /// Fits on `x` (`n x k`) and the target (`n`). With `Par::Rayon(t)`, rows are split
    /// among `t` threads whose statistics are merged.
    ///
    /// # Errors
    /// [`PipelineError::EmptyData`], [`PipelineError::ShapeMismatch`],
    /// [`PipelineError::NonFinite`] (naming row and column), [`PipelineError::MissingTarget`],
    /// [`PipelineError::InvalidHyperparameter`] for a negative or non-finite alpha, and
    /// [`PipelineError::Linalg`] when even the QR path finds the system rank-deficient
    /// (alpha = 0 with collinear features).
    fn fit_ablated(
        &self,
        ablation: Ablation,
        x: MatRef<'_, f64>,
        y: Target<'_>,
        par: Par,
    ) -> Result<LinearModel> {
        self.check()?;
        let y = y.values("ridge")?;
        // The values are checked after the pass below rather than in one of their own: a NaN
        // or infinity always makes the accumulated means non-finite, and only then is the
        // data scanned for the first bad value (a scan costs as much as the fit's own read
        // of X: a fifth of the fit at 1M x 64).
        check_shapes(x, Some(y))?;
        let n = x.nrows();
        let threads = par.threads().min(n.div_ceil(CHUNK_ROWS)).max(1);
        let acc = map_row_ranges(n, threads, |rows| {
            let mut acc = RidgeAccumulator::new(x.ncols());
            let rows_x = x.submatrix(rows.start, 0, rows.len(), x.ncols());
            acc.update_unchecked(ablation, rows_x, &y[rows]);
            acc
        })
        .iter()
        .fold(RidgeAccumulator::new(x.ncols()), |a, b| a.merged(b));
        if !acc.is_finite() {
            // Finite values whose sums overflowed pass, as they always have.
            check_finite(x, Some(y))?;
        }
        match acc.solve_cholesky(self.alpha, self.fit_intercept) {
            Some(model) => Ok(model),
            None => self.fit_qr(x, y, &acc),
        }
    }
}

impl FitIncremental for Ridge {
    type Accumulator = RidgeAccumulator;

    fn accumulator(&self, n_features: usize) -> RidgeAccumulator {
        RidgeAccumulator::new(n_features)
    }

    /// The ridge model of all rows the accumulator has seen.
    ///
    /// # Errors
    /// [`PipelineError::EmptyData`] with no rows; [`PipelineError::InvalidHyperparameter`]
    /// for a bad alpha; [`PipelineError::Linalg`] when the system is singular (alpha = 0
    /// with collinear features).
    fn finish(&self, acc: &RidgeAccumulator) -> Result<LinearModel> {
        self.check()?;
        if acc.n == 0 {
            return Err(PipelineError::EmptyData {
                rows: 0,
                cols: acc.mean_x.len(),
            });
        }
        if let Some(m) = acc.solve_cholesky(self.alpha, self.fit_intercept) {
            return Ok(m);
        }
        // Without the rows, QR of the (symmetric) system matrix is the fallback.
        let (a, b) = acc.system(self.alpha, self.fit_intercept);
        let w = qr(a.as_ref())?.solve_least_squares(b.as_ref())?;
        Ok(acc.model(w.as_slice().to_vec(), self.fit_intercept))
    }
}

impl Ridge {
    /// Least squares on `[Xc; sqrt(alpha) I] w = [yc; 0]` by Householder QR: slower than the
    /// normal equations but without squaring the condition number.
    fn fit_qr(&self, x: MatRef<'_, f64>, y: &[f64], acc: &RidgeAccumulator) -> Result<LinearModel> {
        let (n, k) = (x.nrows(), x.ncols());
        let (mx, my) = if self.fit_intercept {
            (acc.mean_x.clone(), acc.mean_y)
        } else {
            (vec![0.0; k], 0.0)
        };
        let ra = self.alpha.sqrt();
        let a = Mat::from_fn(n + k, k, |i, j| {
            if i < n {
                x.get(i, j) - mx[j]
            } else if i - n == j {
                ra
            } else {
                0.0
            }
        });
        let b = Mat::from_fn(n + k, 1, |i, _| if i < n { y[i] - my } else { 0.0 });
        let w = qr(a.as_ref())?.solve_least_squares(b.as_ref())?;
        let coef = w.as_slice().to_vec();
        let intercept = if self.fit_intercept {
            my - simd_kernels::dot(&mx, &coef)
        } else {
            0.0
        };
        Ok(LinearModel { coef, intercept })
    }
}

/// Sufficient statistics of a ridge fit: count, means of X and y, centered cross-products
/// `Cxx = sum (x - mx)(x - mx)^T` and `cxy = sum (x - mx)(y - my)`.
///
/// Chunks of data (from a file read piece by piece, from threads, from machines) each
/// update their own accumulator; [`merge`](Self::merge) combines them exactly as if one had
/// seen all rows (Chan et al.'s pairwise update), so data larger than memory trains to the
/// same model. Centering per chunk keeps features with large means (prices near 1e4)
/// from cancelling.
#[derive(Clone, Debug, PartialEq)]
pub struct RidgeAccumulator {
    n: u64,
    mean_x: Vec<f64>,
    mean_y: f64,
    cxx: Mat<f64>,
    cxy: Vec<f64>,
}

impl RidgeAccumulator {
    /// Every statistic is finite (false after a NaN or infinity in the data, or sums that
    /// overflowed).
    fn is_finite(&self) -> bool {
        self.mean_y.is_finite()
            && self.mean_x.iter().all(|v| v.is_finite())
            && self.cxy.iter().all(|v| v.is_finite())
            && self.cxx.as_slice().iter().all(|v| v.is_finite())
    }

    /// An empty accumulator for `k` features.
    pub fn new(k: usize) -> Self {
        RidgeAccumulator {
            n: 0,
            mean_x: vec![0.0; k],
            mean_y: 0.0,
            cxx: Mat::zeros(k, k),
            cxy: vec![0.0; k],
        }
    }

    fn update_unchecked(&mut self, ablation: Ablation, x: MatRef<'_, f64>, y: &[f64]) {
        let isa = ablation.isa;
        let k = x.ncols();
        let ld = CHUNK_ROWS.min(x.nrows());
        // One chunk at a time, centered on its own means, column-major for the Gram kernel.
        let mut centered = vec![0.0; ld * k];
        let mut yc = vec![0.0; ld];
        for r0 in (0..x.nrows()).step_by(CHUNK_ROWS) {
            let m = CHUNK_ROWS.min(x.nrows() - r0);
            let mut part = RidgeAccumulator::new(k);
            part.n = m as u64;
            part.mean_y = simd_kernels::sum_with(isa, &y[r0..r0 + m]) / m as f64;
            for j in 0..k {
                let col = &mut centered[j * ld..j * ld + m];
                match x.col_slice(j) {
                    Some(src) => col.copy_from_slice(&src[r0..r0 + m]),
                    None => col
                        .iter_mut()
                        .enumerate()
                        .for_each(|(i, c)| *c = x.get(r0 + i, j)),
                }
                let mean = simd_kernels::sum_with(isa, col) / m as f64;
                col.iter_mut().for_each(|c| *c -= mean);
                part.mean_x[j] = mean;
            }
            for (v, &t) in yc.iter_mut().zip(&y[r0..r0 + m]) {
                *v = t - part.mean_y;
            }
            let chunk = MatRef::from_col_major(&centered, ld, k).submatrix(0, 0, m, k);
            part.cxx = ablation.gram(chunk, Par::Seq);
            for j in 0..k {
                part.cxy[j] = simd_kernels::dot_with(isa, &centered[j * ld..j * ld + m], &yc[..m]);
            }
            *self = self.merged(&part);
        }
    }

    /// The statistics of both accumulators' rows together (Chan et al.'s pairwise update);
    /// the widths are equal.
    fn merged(&self, other: &RidgeAccumulator) -> RidgeAccumulator {
        debug_assert_eq!(self.mean_x.len(), other.mean_x.len());
        if other.n == 0 {
            return self.clone();
        }
        if self.n == 0 {
            return other.clone();
        }
        let k = self.mean_x.len();
        let (na, nb) = (self.n as f64, other.n as f64);
        let n = na + nb;
        let f = na * nb / n;
        let dx: Vec<f64> = (0..k).map(|j| other.mean_x[j] - self.mean_x[j]).collect();
        let dy = other.mean_y - self.mean_y;
        let cxx = Mat::from_fn(k, k, |i, j| {
            self.cxx[(i, j)] + other.cxx[(i, j)] + f * dx[i] * dx[j]
        });
        let cxy = (0..k)
            .map(|j| self.cxy[j] + other.cxy[j] + f * dx[j] * dy)
            .collect();
        let mean_x = (0..k).map(|j| self.mean_x[j] + dx[j] * nb / n).collect();
        RidgeAccumulator {
            n: self.n + other.n,
            mean_x,
            mean_y: self.mean_y + dy * nb / n,
            cxx,
            cxy,
        }
    }

    /// `(Cxx + alpha I, cxy)`, or the raw (uncentered) moments without an intercept.
    fn system(&self, alpha: f64, fit_intercept: bool) -> (Mat<f64>, Mat<f64>) {
        let k = self.mean_x.len();
        let n = self.n as f64;
        let (mx, my) = (&self.mean_x, self.mean_y);
        let a = Mat::from_fn(k, k, |i, j| {
            let raw = if fit_intercept {
                0.0
            } else {
                n * mx[i] * mx[j]
            };
            self.cxx[(i, j)] + raw + if i == j { alpha } else { 0.0 }
        });
        let b = Mat::from_fn(k, 1, |i, _| {
            self.cxy[i] + if fit_intercept { 0.0 } else { n * mx[i] * my }
        });
        (a, b)
    }

    /// Cholesky solve, or `None` when it fails or the system is too ill-conditioned to trust.
    fn solve_cholesky(&self, alpha: f64, fit_intercept: bool) -> Option<LinearModel> {
        let (a, b) = self.system(alpha, fit_intercept);
        let ch = cholesky(a.as_ref()).ok()?;
        let l = ch.l();
        let diag: Vec<f64> = (0..l.nrows()).map(|i| l.get(i, i)).collect();
        let (lo, hi) = diag.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &d| {
            (lo.min(d), hi.max(d))
        });
        if lo.is_nan() || lo <= 0.0 || (hi / lo).powi(2) > MAX_CHOL_CONDITION {
            return None;
        }
        let w = ch.solve(b.as_ref());
        Some(self.model(w.as_slice().to_vec(), fit_intercept))
    }

    fn model(&self, coef: Vec<f64>, fit_intercept: bool) -> LinearModel {
        let intercept = if fit_intercept {
            self.mean_y - simd_kernels::dot(&self.mean_x, &coef)
        } else {
            0.0
        };
        LinearModel { coef, intercept }
    }
}

impl Accumulator for RidgeAccumulator {
    fn n_features(&self) -> usize {
        self.mean_x.len()
    }

    fn count(&self) -> u64 {
        self.n
    }

    fn update(&mut self, x: MatRef<'_, f64>, y: Target<'_>) -> Result<()> {
        let y = y.values("ridge")?;
        if x.ncols() != self.mean_x.len() {
            return Err(PipelineError::ShapeMismatch {
                what: "feature columns",
                expected: self.mean_x.len(),
                got: x.ncols(),
            });
        }
        if x.nrows() == 0 && y.is_empty() {
            return Ok(());
        }
        check_xy(x, Some(y))?;
        self.update_unchecked(Ablation::default(), x, y);
        Ok(())
    }

    fn merge(&mut self, other: &Self) -> Result<()> {
        if other.mean_x.len() != self.mean_x.len() {
            return Err(PipelineError::ShapeMismatch {
                what: "accumulator widths",
                expected: self.mean_x.len(),
                got: other.mean_x.len(),
            });
        }
        *self = self.merged(other);
        Ok(())
    }
}
