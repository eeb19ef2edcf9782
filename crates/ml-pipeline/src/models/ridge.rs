//! Ridge regression with scikit-learn's objective: the normal equations where a condition
//! estimate says they keep the digits, Householder QR of the centered data otherwise; a
//! mergeable accumulator that keeps the QR factor (TSQR), never the squared system.

use super::checks::{check_finite, check_shapes, check_xy};
use super::linear::LinearModel;
use crate::ablation::Ablation;
use crate::error::{PipelineError, Result};
use crate::traits::{Accumulator, Fit, FitIncremental, Target};
use crate::workers::map_row_ranges;
use fast_math::{cholesky_with, qr_with, LinalgError, Mat, MatMut, MatRef, Par};
use simd_kernels::Isa;

/// Ridge regression: minimizes `||y - X w - b||^2 + alpha ||w||^2`, the intercept `b`
/// unpenalized (scikit-learn's `Ridge(alpha, fit_intercept=True)`).
///
/// [`fit`](Fit::fit) gathers the centered Gram matrix (one packed GEMM pass) and estimates
/// the condition number of the column-equilibrated system `Xc^T Xc + alpha I` (Hager and
/// Higham's 1-norm estimator on its Cholesky factor). The normal equations lose about
/// `log10(cond)` of float64's 16 digits; when the estimate exceeds
/// [`MAX_NORMAL_EQUATIONS_CONDITION`] (or Cholesky fails) the fit makes a second pass and
/// solves by Householder QR of the centered `[X y]` ([`RidgeAccumulator`], which never forms
/// the squared system), so the answer keeps `16 - log10(cond(X))` digits on every ISA.
/// [`fit_report`](Ridge::fit_report) says which path was taken and the estimate.
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

/// Rows per accumulation chunk of the Gram pass: a centered copy of this many rows stays in
/// L2.
const CHUNK_ROWS: usize = 4096;

/// Rows per QR step of [`RidgeAccumulator`]: the stacked `(k + 1 + rows + 1) x (k + 1)`
/// block of one Householder QR stays in L2 for k up to ~100.
const QR_CHUNK_ROWS: usize = 512;

/// Largest estimated condition number of the column-equilibrated `Xc^T Xc + alpha I` that
/// [`Ridge::fit`] solves by the normal equations. Their forward error is about
/// `cond * eps` (Higham, *Accuracy and Stability*, 10.1), so at 1e5 they keep 10-11 correct
/// digits, as QR would on data whose own `cond(X) <~ 300`; beyond it QR, whose error grows
/// only as `cond(X) = sqrt(cond(Gram))`, is taken. Well-scaled features (standardized
/// returns, indicators) sit far below; polynomial and near-collinear designs above.
pub const MAX_NORMAL_EQUATIONS_CONDITION: f64 = 1e5;

/// How a ridge fit was solved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SolveMethod {
    /// Cholesky of the centered, column-equilibrated Gram matrix `Xc^T Xc + alpha I`.
    NormalEquations,
    /// Householder QR of the centered `[X y]` (chunked and merged: TSQR), stacked with
    /// `sqrt(alpha) I`.
    Qr,
}

/// What a ridge fit did: the solver and the condition estimate it was chosen by.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct RidgeReport {
    /// The solver used.
    pub method: SolveMethod,
    /// Estimated 1-norm condition number of the column-equilibrated system matrix
    /// `Xc^T Xc + alpha I` (uncentered without an intercept): from its Cholesky factor on
    /// the normal-equations path, as `cond(R)^2` of the QR factor on the QR path; within a
    /// small factor of the 2-norm value. `digits lost ~ log10(condition_estimate)` by the
    /// normal equations, half that by QR. Infinite when Cholesky failed.
    pub condition_estimate: f64,
}

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
    /// [`PipelineError::Linalg`] when the QR path finds the system rank-deficient
    /// (alpha = 0 with collinear features; see [`RidgeAccumulator`] for the tolerance).
    fn fit_ablated(
        &self,
        ablation: Ablation,
        x: MatRef<'_, f64>,
        y: Target<'_>,
        par: Par,
    ) -> Result<LinearModel> {
        self.fit_report(ablation, x, y, par).map(|(m, _)| m)
    }
}

impl FitIncremental for Ridge {
    type Accumulator = RidgeAccumulator;

    fn accumulator(&self, n_features: usize) -> RidgeAccumulator {
        RidgeAccumulator::new(n_features)
    }

    /// The ridge model of all rows the accumulator has seen, solved from its QR factor.
    ///
    /// # Errors
    /// [`PipelineError::EmptyData`] with no rows; [`PipelineError::InvalidHyperparameter`]
    /// for a bad alpha; [`PipelineError::Linalg`] when the system is rank-deficient
    /// (alpha = 0 with collinear features) or the statistics overflowed.
    fn finish(&self, acc: &RidgeAccumulator) -> Result<LinearModel> {
        self.finish_report(acc).map(|(m, _)| m)
    }
}

impl Ridge {
    /// [`Fit::fit_ablated`], with the report of how the system was solved.
    ///
    /// # Errors
    /// As [`Fit::fit_ablated`].
    pub fn fit_report(
        &self,
        ablation: Ablation,
        x: MatRef<'_, f64>,
        y: Target<'_>,
        par: Par,
    ) -> Result<(LinearModel, RidgeReport)> {
        self.check()?;
        let y = y.values("ridge")?;
        // The values are checked after the pass below rather than in one of their own: a NaN
        // or infinity always makes the accumulated means non-finite, and only then is the
        // data scanned for the first bad value (a scan costs as much as the fit's own read
        // of X: a fifth of the fit at 1M x 64).
        check_shapes(x, Some(y))?;
        let (n, k) = (x.nrows(), x.ncols());
        let threads = par.threads().min(n.div_ceil(CHUNK_ROWS)).max(1);
        let stats = map_row_ranges(n, threads, |rows| {
            let mut acc = GramStats::new(k);
            let rows_x = x.submatrix(rows.start, 0, rows.len(), k);
            acc.update_unchecked(ablation, rows_x, &y[rows]);
            acc
        })
        .iter()
        .fold(GramStats::new(k), |a, b| a.merged(b));
        if !stats.is_finite() {
            // Finite values whose sums overflowed pass, as they always have.
            check_finite(x, Some(y))?;
        }
        let (a, b) = stats.system(self.alpha, self.fit_intercept);
        let condition_estimate = match normal_equations(ablation.isa, &a, &b) {
            Some((coef, cond)) if cond <= MAX_NORMAL_EQUATIONS_CONDITION => {
                let intercept = if self.fit_intercept {
                    stats.mean_y - dot2(&stats.mean_x, &coef)
                } else {
                    0.0
                };
                let report = RidgeReport {
                    method: SolveMethod::NormalEquations,
                    condition_estimate: cond,
                };
                return Ok((LinearModel { coef, intercept }, report));
            }
            Some((_, cond)) => cond,
            None => f64::INFINITY,
        };
        // Second pass: QR of the centered data, by row ranges merged in row order.
        let acc = map_row_ranges(n, threads, |rows| {
            let mut acc = RidgeAccumulator::new(k);
            let rows_x = x.submatrix(rows.start, 0, rows.len(), k);
            acc.update_unchecked(ablation.isa, rows_x, &y[rows]);
            acc
        })
        .iter()
        .fold(RidgeAccumulator::new(k), |mut a, b| {
            a.absorb(ablation.isa, b.r.as_ref(), b.n, &b.mean);
            a
        });
        let (model, mut report) = acc.solve(ablation.isa, self.alpha, self.fit_intercept)?;
        if !report.condition_estimate.is_finite() {
            report.condition_estimate = condition_estimate;
        }
        Ok((model, report))
    }

    /// [`FitIncremental::finish`], with the report of how the system was solved (always
    /// [`SolveMethod::Qr`]).
    ///
    /// # Errors
    /// As [`FitIncremental::finish`].
    pub fn finish_report(&self, acc: &RidgeAccumulator) -> Result<(LinearModel, RidgeReport)> {
        self.check()?;
        if acc.n == 0 {
            return Err(PipelineError::EmptyData {
                rows: 0,
                cols: acc.n_features(),
            });
        }
        acc.solve(Isa::detect(), self.alpha, self.fit_intercept)
    }
}

/// Solves `a w = b` (symmetric, `k x k`) by Cholesky after equilibrating `a` to a near-unit
/// diagonal; returns `w` and the estimated 1-norm condition number of the equilibrated
/// matrix, or `None` when a diagonal entry is not positive or Cholesky fails.
fn normal_equations(isa: Isa, a: &Mat<f64>, b: &Mat<f64>) -> Option<(Vec<f64>, f64)> {
    let k = a.nrows();
    // Powers of two nearest sqrt(a_ii): scaling by them is exact, so the factorization
    // rounds as it would unscaled, and the diagonal lands in [0.5, 2].
    let d: Vec<f64> = (0..k)
        .map(|i| a[(i, i)].sqrt().log2().round().exp2())
        .collect();
    if d.iter().any(|&v| !(v > 0.0 && v.is_finite())) {
        return None;
    }
    let s = Mat::from_fn(k, k, |i, j| a[(i, j)] / d[i] / d[j]);
    let ch = cholesky_with(isa, s.as_ref(), Par::Seq).ok()?;
    let norm = (0..k)
        .map(|j| (0..k).map(|i| s[(i, j)].abs()).sum::<f64>())
        .fold(0.0f64, f64::max);
    let solve = |v: &mut [f64]| ch.solve_in_place(MatMut::from_col_major(v, k, 1));
    let cond = norm * inv_norm1_estimate(k, solve, solve);
    let mut w: Vec<f64> = (0..k).map(|i| b[(i, 0)] / d[i]).collect();
    solve(&mut w);
    w.iter_mut().zip(&d).for_each(|(w, d)| *w /= d);
    (w.iter().all(|v| v.is_finite()) && cond.is_finite()).then_some((w, cond))
}

/// Estimate of `||A^{-1}||_1` for a `k x k` matrix known through solves with `A`
/// (`solve`) and `A^T` (`solve_t`): Hager's method with Higham's refinements (LAPACK
/// `dlacon`): at most five iterations and the alternating-sign test vector. A lower bound,
/// in practice within a factor of 3 of the true value.
fn inv_norm1_estimate(k: usize, solve: impl Fn(&mut [f64]), solve_t: impl Fn(&mut [f64])) -> f64 {
    let l1 = |v: &[f64]| v.iter().map(|x| x.abs()).sum::<f64>();
    let mut x = vec![1.0 / k as f64; k];
    let mut est = 0.0f64;
    for iter in 0..5 {
        let mut y = x.clone();
        solve(&mut y);
        let new = l1(&y);
        if iter > 0 && new <= est {
            break;
        }
        est = est.max(new);
        let mut z: Vec<f64> = y
            .iter()
            .map(|&v| if v >= 0.0 { 1.0 } else { -1.0 })
            .collect();
        solve_t(&mut z);
        let (j, zj) = z.iter().enumerate().fold((0, -1.0), |(bj, bv), (i, &v)| {
            if v.abs() > bv {
                (i, v.abs())
            } else {
                (bj, bv)
            }
        });
        let zx: f64 = z.iter().zip(&x).map(|(a, b)| a * b).sum();
        if iter > 0 && zj <= zx {
            break;
        }
        x = vec![0.0; k];
        x[j] = 1.0;
    }
    let mut alt: Vec<f64> = (0..k)
        .map(|i| {
            let s = if i % 2 == 0 { 1.0 } else { -1.0 };
            s * (1.0 + i as f64 / (k.max(2) - 1) as f64)
        })
        .collect();
    solve(&mut alt);
    est.max(2.0 * l1(&alt) / (3.0 * k as f64))
}

/// Dot product with compensated products and sums (Ogita, Rump and Oishi's `Dot2`): as
/// accurate as if computed in twice the working precision. For the intercept
/// `mean_y - mean_x . w`, whose terms cancel on polynomial designs.
fn dot2(a: &[f64], b: &[f64]) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let p = x * y;
        let pe = x.mul_add(y, -p);
        let t = s + p;
        let bb = t - s;
        let se = (s - (t - bb)) + (p - bb);
        s = t;
        c += pe + se;
    }
    s + c
}

/// The normal equations' statistics, gathered by [`Ridge::fit`]'s fast path: count, means of
/// X and y, centered cross-products `Cxx = sum (x - mx)(x - mx)^T` and
/// `cxy = sum (x - mx)(y - my)` (chunks centered on their own means and merged by Chan et
/// al.'s pairwise update, so features with large means do not cancel).
#[derive(Clone, Debug, PartialEq)]
struct GramStats {
    n: u64,
    mean_x: Vec<f64>,
    mean_y: f64,
    cxx: Mat<f64>,
    cxy: Vec<f64>,
}

impl GramStats {
    /// Every statistic is finite (false after a NaN or infinity in the data, or sums that
    /// overflowed).
    fn is_finite(&self) -> bool {
        self.mean_y.is_finite()
            && self.mean_x.iter().all(|v| v.is_finite())
            && self.cxy.iter().all(|v| v.is_finite())
            && self.cxx.as_slice().iter().all(|v| v.is_finite())
    }

    /// An empty accumulator for `k` features.
    fn new(k: usize) -> Self {
        GramStats {
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
            let mut part = GramStats::new(k);
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
    fn merged(&self, other: &GramStats) -> GramStats {
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
        GramStats {
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
}

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
/// rounding, in any merge order. Without an intercept [`Ridge::finish`](FitIncremental::finish)
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
    n: u64,
    /// Means of the features, then of `y`.
    mean: Vec<f64>,
    /// `(k + 1) x (k + 1)`, upper triangular.
    r: Mat<f64>,
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
    fn update_unchecked(&mut self, isa: Isa, x: MatRef<'_, f64>, y: &[f64]) {
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
    fn absorb(&mut self, isa: Isa, block: MatRef<'_, f64>, nb: u64, mean_b: &[f64]) {
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
    /// sqrt(alpha) [I 0]]`.
    fn solve(
        &self,
        isa: Isa,
        alpha: f64,
        fit_intercept: bool,
    ) -> Result<(LinearModel, RidgeReport)> {
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
        };
        Ok((LinearModel { coef, intercept }, report))
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
