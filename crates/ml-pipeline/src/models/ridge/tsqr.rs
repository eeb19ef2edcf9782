//! The accurate, mergeable path: the QR factor of the centered `[X y]`, chunk by chunk and
//! merged by a QR of the stacked factors (TSQR).

use super::super::checks::check_xy;
use super::super::linear::LinearModel;
use super::solve::{dot2, inv_norm1_estimate, RidgeReport, SolveMethod};
use crate::error::{PipelineError, Result};
use crate::traits::{Accumulator, Target};
use fast_math::{qr_with, LinalgError, Mat, MatRef};
use simd_kernels::Isa;

/// Rows per QR step of [`RidgeAccumulator`]: the stacked `(k + 1 + rows + 1) x (k + 1)`
/// block of one Householder QR stays in L2 for k up to ~100.
const QR_CHUNK_ROWS: usize = 512;

/// Mergeable statistics of a ridge fit that keep its accuracy: the count, the means of the
/// `k` features and of `y`, and the upper-triangular `(k + 1) x (k + 1)` factor `R` of a QR
/// factorization of the centered, augmented data `[X - mx, y - my]` (so
/// `R^T R = sum (z - m)(z - m)^T` for the rows `z = [x, y]`). Memory is O(k^2), whatever the
/// number of rows.
///
/// Rows are added in chunks: each chunk is centered on its own means and stacked under `R`
/// with one correction row, and the stack is reduced by Householder QR. Merging works the
/// same way (TSQR): for accumulators `a` and `b` with counts `na`, `nb` and means `ma`, `mb`,
/// the stack `[Ra; Rb; sqrt(na nb / n) (ma - mb)]` has the Gram matrix
/// `Ca + Cb + (na nb / n)(ma - mb)(ma - mb)^T`, which is the co-moment matrix of the union
/// about its mean (Chan et al.'s identity), so its QR factor is the union's `R`, up to
/// rounding, in any merge order. Without an intercept [`Ridge::finish`](crate::FitIncremental::finish)
/// stacks the row `sqrt(n) m`, which turns the centered Gram into the raw one
/// (`sum z z^T = C + n m m^T`).
///
/// The solve never forms `R^T R`: the coefficients come from `R11 w = r12` by back
/// substitution (with the rows `sqrt(alpha) I` stacked first when `alpha > 0`), so the error
/// grows as `cond(X)`, not `cond(X)^2` as through the normal equations. Rank: a column whose
/// diagonal entry of `R` is at most `10 (k + 1) eps` times its column norm (the part of it
/// outside the span of the earlier columns is lost in rounding) makes the solve fail with
/// [`LinalgError::RankDeficient`] naming it.
#[derive(Clone, Debug, PartialEq)]
pub struct RidgeAccumulator {
    pub(super) n: u64,
    /// Means of the features, then of `y`.
    pub(super) mean: Vec<f64>,
    /// `(k + 1) x (k + 1)`, upper triangular.
    pub(super) r: Mat<f64>,
}

impl RidgeAccumulator {
    /// An empty accumulator for `k` features.
    pub fn new(k: usize) -> Self {
        RidgeAccumulator {
            n: 0,
            mean: vec![0.0; k + 1],
            r: Mat::zeros(k + 1, k + 1),
        }
    }

    /// Adds rows whose shapes and values have been checked.
    pub(super) fn update_unchecked(&mut self, isa: Isa, x: MatRef<'_, f64>, y: &[f64]) {
        let k = x.ncols();
        for r0 in (0..x.nrows()).step_by(QR_CHUNK_ROWS) {
            let m = QR_CHUNK_ROWS.min(x.nrows() - r0);
            let mut block =
                Mat::from_fn(
                    m,
                    k + 1,
                    |i, j| {
                        if j < k {
                            x.get(r0 + i, j)
                        } else {
                            y[r0 + i]
                        }
                    },
                );
            let mut mean = vec![0.0; k + 1];
            for (j, col) in block.as_mut_slice().chunks_exact_mut(m).enumerate() {
                mean[j] = simd_kernels::sum_compensated_with(isa, col) / m as f64;
                col.iter_mut().for_each(|v| *v -= mean[j]);
            }
            self.absorb(isa, block.as_ref(), m as u64, &mean);
        }
    }

    /// Folds in `nb` rows whose centered co-moments are `block^T block` (a chunk of centered
    /// rows, or another accumulator's `R`) and whose means are `mean_b`: the QR factor of
    /// `[R; block; sqrt(na nb / n) (mean - mean_b)]`.
    pub(super) fn absorb(&mut self, isa: Isa, block: MatRef<'_, f64>, nb: u64, mean_b: &[f64]) {
        if nb == 0 {
            return;
        }
        let k1 = self.mean.len();
        let na = self.n;
        let top = if na == 0 { 0 } else { k1 };
        let rows = top + block.nrows() + usize::from(na > 0);
        let n = na + nb;
        let f = ((na as f64) * (nb as f64) / n as f64).sqrt();
        let stack = Mat::from_fn(rows, k1, |i, j| {
            if i < top {
                self.r[(i, j)]
            } else if i < top + block.nrows() {
                block.get(i - top, j)
            } else {
                f * (self.mean[j] - mean_b[j])
            }
        });
        self.r = upper_factor(isa, &stack, k1);
        if na == 0 {
            self.mean.copy_from_slice(mean_b);
        } else {
            let w = nb as f64 / n as f64;
            for (m, &b) in self.mean.iter_mut().zip(mean_b) {
                *m += (b - *m) * w;
            }
        }
        self.n = n;
    }

    /// The model and its report: least squares on `[R; sqrt(n) m (no intercept);
    /// sqrt(alpha) [I 0]]`; also the upper factor of that stack (its leading `k x k` block
    /// is the `R` of the system the model solves, for refinement).
    pub(super) fn solve(
        &self,
        isa: Isa,
        alpha: f64,
        fit_intercept: bool,
    ) -> Result<(LinearModel, RidgeReport, Mat<f64>)> {
        let k1 = self.mean.len();
        let k = k1 - 1;
        let raw = !fit_intercept;
        let ridge = alpha > 0.0;
        let extra = usize::from(raw) + if ridge { k } else { 0 };
        let r = if extra == 0 {
            self.r.clone()
        } else {
            let (sn, sa) = ((self.n as f64).sqrt(), alpha.sqrt());
            let stack = Mat::from_fn(k1 + extra, k1, |i, j| {
                if i < k1 {
                    self.r[(i, j)]
                } else if raw && i == k1 {
                    sn * self.mean[j]
                } else {
                    let d = i - k1 - usize::from(raw);
                    if d == j {
                        sa
                    } else {
                        0.0
                    }
                }
            });
            upper_factor(isa, &stack, k1)
        };
        if let Some((row, col)) = (0..k1)
            .flat_map(|j| (0..k1).map(move |i| (i, j)))
            .find(|&(i, j)| !r[(i, j)].is_finite())
        {
            return Err(PipelineError::Linalg(LinalgError::NonFinite { row, col }));
        }
        // Column norms of R11 (those of the centered, possibly augmented, design).
        let norms: Vec<f64> = (0..k)
            .map(|j| (0..=j).map(|i| r[(i, j)] * r[(i, j)]).sum::<f64>().sqrt())
            .collect();
        let tol = 10.0 * k1 as f64 * f64::EPSILON;
        if let Some(col) = (0..k).find(|&j| r[(j, j)].abs() <= tol * norms[j]) {
            return Err(PipelineError::Linalg(LinalgError::RankDeficient { col }));
        }
        let mut coef = vec![0.0; k];
        for i in (0..k).rev() {
            let s: f64 = (i + 1..k).map(|j| r[(i, j)] * coef[j]).sum();
            coef[i] = (r[(i, k)] - s) / r[(i, i)];
        }
        // cond_1 of R11 with unit columns, by triangular solves; squared for the Gram.
        let rs = Mat::from_fn(k, k, |i, j| r[(i, j)] / norms[j]);
        let norm = (0..k)
            .map(|j| (0..=j).map(|i| rs[(i, j)].abs()).sum::<f64>())
            .fold(0.0f64, f64::max);
        let upper = |v: &mut [f64]| {
            for i in (0..k).rev() {
                let s: f64 = (i + 1..k).map(|j| rs[(i, j)] * v[j]).sum();
                v[i] = (v[i] - s) / rs[(i, i)];
            }
        };
        let upper_t = |v: &mut [f64]| {
            for i in 0..k {
                let s: f64 = (0..i).map(|j| rs[(j, i)] * v[j]).sum();
                v[i] = (v[i] - s) / rs[(i, i)];
            }
        };
        let cond = if k == 0 {
            1.0
        } else {
            norm * inv_norm1_estimate(k, upper, upper_t)
        };
        let intercept = if fit_intercept {
            self.mean[k] - dot2(&self.mean[..k], &coef)
        } else {
            0.0
        };
        let report = RidgeReport {
            method: SolveMethod::Qr,
            condition_estimate: cond * cond,
            refinement_steps: 0,
        };
        Ok((LinearModel { coef, intercept }, report, r))
    }
}

/// The `k1 x k1` upper-triangular factor of a Householder QR of `stack` (rows below its row
/// count zero; all NaN when the stack holds a non-finite value, which a solve reports).
fn upper_factor(isa: Isa, stack: &Mat<f64>, k1: usize) -> Mat<f64> {
    match qr_with(isa, stack.as_ref()) {
        Ok(q) => {
            let r = q.r();
            Mat::from_fn(k1, k1, |i, j| if i < r.nrows() { r[(i, j)] } else { 0.0 })
        }
        Err(_) => Mat::from_fn(k1, k1, |_, _| f64::NAN),
    }
}

impl Accumulator for RidgeAccumulator {
    fn n_features(&self) -> usize {
        self.mean.len() - 1
    }

    fn count(&self) -> u64 {
        self.n
    }

    fn update(&mut self, x: MatRef<'_, f64>, y: Target<'_>) -> Result<()> {
        let y = y.values("ridge")?;
        if x.ncols() != self.n_features() {
            return Err(PipelineError::ShapeMismatch {
                what: "feature columns",
                expected: self.n_features(),
                got: x.ncols(),
            });
        }
        if x.nrows() == 0 && y.is_empty() {
            return Ok(());
        }
        check_xy(x, Some(y))?;
        self.update_unchecked(Isa::detect(), x, y);
        Ok(())
    }

    fn merge(&mut self, other: &Self) -> Result<()> {
        if other.mean.len() != self.mean.len() {
            return Err(PipelineError::ShapeMismatch {
                what: "accumulator widths",
                expected: self.n_features(),
                got: other.n_features(),
            });
        }
        self.absorb(Isa::detect(), other.r.as_ref(), other.n, &other.mean);
        Ok(())
    }
}
