//! L2-regularized logistic regression with scikit-learn's objective, solved by Newton's method.

use super::checks::{check_newton_settings, check_xy};
use super::linear::LinearModel;
use crate::ablation::Ablation;
use crate::error::{PipelineError, Result};
use crate::traits::{Fit, Output, Predict, Target};
use fast_math::{cholesky, Mat, MatRef, Par};
use serde::{Deserialize, Serialize};
use simd_kernels::Isa;
use std::ops::Range;

/// Logistic regression: minimizes `C * sum logloss(y_i, x_i . w + b) + ||w||^2 / 2` with
/// labels 0/1 and the intercept `b` unpenalized (scikit-learn's
/// `LogisticRegression(C=c, penalty="l2")`).
///
/// Newton's method (IRLS) with a backtracking line search: the Hessian
/// `X^T S X + I / C` is a weighted Gram matrix, factored by Cholesky. The L2 term keeps it
/// positive definite, so separable data converges to a finite answer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogisticRegression {
    /// Inverse regularization strength (> 0).
    pub c: f64,
    /// Newton iterations allowed.
    pub max_iter: usize,
    /// Stop when the largest gradient entry is below `tol` times `max(1, C * n)`.
    pub tol: f64,
}

impl Default for LogisticRegression {
    fn default() -> Self {
        LogisticRegression {
            c: 1.0,
            max_iter: 100,
            tol: 1e-10,
        }
    }
}

/// Stop when the Newton decrement falls below this share of the objective.
const NEWTON_DECREMENT_TOL: f64 = 1e-14;

/// A fitted logistic model: probabilities from a [`LinearModel`] on the log-odds scale.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    /// Log-odds `x . coef + intercept`.
    pub linear: LinearModel,
    /// Newton iterations used.
    pub iterations: usize,
}

impl LogisticModel {
    /// Probability of class 1 for one sample (no allocation).
    ///
    /// # Panics
    /// If `x.len()` differs from the number of features.
    #[inline]
    pub fn predict_proba_one(&self, x: &[f64]) -> f64 {
        sigmoid(self.linear.decision_function(x))
    }
}

impl Predict for LogisticModel {
    fn n_features(&self) -> usize {
        self.linear.coef.len()
    }

    fn output(&self) -> Output {
        Output::Probability
    }

    #[inline]
    fn predict_one_with(&self, isa: Isa, x: &[f64], _scratch: &mut [f64], out: &mut [f64]) {
        out[0] = sigmoid(self.linear.decision_function_with(isa, x));
    }

    /// The log-odds of every row as one matrix-vector product, then the sigmoid.
    fn predict_into(&self, x: MatRef<'_, f64>, out: &mut [f64], par: Par) {
        self.linear.decision_into(Isa::detect(), x, out, par);
        out.iter_mut().for_each(|v| *v = sigmoid(*v));
    }
}

#[inline]
pub(crate) fn sigmoid(z: f64) -> f64 {
    sigmoid_from_exp(z, (-z.abs()).exp())
}

/// `sigmoid(z)` given `e = exp(-|z|)`, without overflow.
#[inline]
fn sigmoid_from_exp(z: f64, e: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    }
}

/// `log(1 + exp(z))` without overflow, given `log1p = ln_1p(exp(-|z|))`.
#[inline]
fn softplus_from_log1p(z: f64, log1p: f64) -> f64 {
    if z > 0.0 {
        z + log1p
    } else {
        log1p
    }
}

impl Fit for LogisticRegression {
    type Fitted = LogisticModel;

    fn check(&self) -> Result<()> {
        check_newton_settings("logistic regression", self.c, self.max_iter, self.tol)
    }

    /// Fits on `x` (`n x k`) and labels (0 or 1). With `Par::Rayon(t)`, each pass over the
    /// rows is split among `t` threads whose sums are merged.
    ///
    /// # Errors
    /// [`PipelineError::EmptyData`], [`PipelineError::ShapeMismatch`],
    /// [`PipelineError::NonFinite`], [`PipelineError::BadLabel`] for a label other than 0 or
    /// 1, [`PipelineError::MissingTarget`], and the hyperparameter errors of `check`.
    fn fit_ablated(
        &self,
        ablation: Ablation,
        x: MatRef<'_, f64>,
        y: Target<'_>,
        par: Par,
    ) -> Result<LogisticModel> {
        self.check()?;
        let y = y.values("logistic regression")?;
        check_xy(x, Some(y))?;
        if let Some((row, &value)) = y.iter().enumerate().find(|(_, &v)| v != 0.0 && v != 1.0) {
            return Err(PipelineError::BadLabel { row, value });
        }
        let (n, k) = (x.nrows(), x.ncols());
        // The passes read X by column slices; any other layout is copied once.
        let owned;
        let x = if x.col_slice(0).is_some() {
            x
        } else {
            owned = x.to_owned();
            owned.as_ref()
        };
        let mut pass = RowPass::new(ablation, self.c, x, y, par);
        let mut theta = vec![0.0; k + 1];
        let mut sums = pass.run(&theta, true);
        let mut loss = self.objective(ablation, &sums, &theta);
        let scale = (self.c * n as f64).max(1.0);
        let mut iterations = 0;
        for _ in 0..self.max_iter {
            iterations += 1;
            // Gradient and Hessian of the objective at theta: the data term plus the penalty.
            let mut grad = sums.grad.clone();
            for j in 0..k {
                grad[j] += theta[j];
            }
            let gmax = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
            if gmax <= self.tol * scale {
                break;
            }
            let mut h = sums.hess.clone();
            for j in 0..k {
                h[(j, j)] += 1.0;
            }
            // A tiny ridge on the intercept only when every probability has saturated.
            if h[(k, k)] <= 0.0 {
                h[(k, k)] = f64::MIN_POSITIVE.sqrt();
            }
            let step = cholesky(h.as_ref())?.solve(MatRef::from_col_major(&grad, k + 1, 1));
            // Newton decrement g^T H^-1 g ~ 2 (f - f*): computed from the gradient, it stays
            // meaningful where loss differences are lost in the rounding of a large sum (on
            // big data the line search would otherwise accept noise and run to max_iter).
            let decrement = simd_kernels::dot_with(ablation.isa, &grad, step.as_slice());
            if decrement <= NEWTON_DECREMENT_TOL * loss.abs().max(1.0) {
                break;
            }
            match self.line_search(ablation, &mut pass, &theta, step.as_slice(), loss) {
                Some((cand, next, l)) => {
                    theta = cand;
                    sums = next;
                    loss = l;
                }
                // No descent left at machine precision: theta is the optimum to rounding.
                None => break,
            }
        }
        Ok(LogisticModel {
            linear: LinearModel {
                coef: theta[..k].to_vec(),
                intercept: theta[k],
            },
            iterations,
        })
    }
}

impl LogisticRegression {
    /// Backtracks from the full Newton step `theta - step` until the objective does not
    /// increase; returns the accepted point, its row sums (with derivatives) and objective.
    fn line_search(
        &self,
        ablation: Ablation,
        pass: &mut RowPass<'_>,
        theta: &[f64],
        step: &[f64],
        loss: f64,
    ) -> Option<(Vec<f64>, RowSums, f64)> {
        let mut t = 1.0;
        for attempt in 0..40 {
            let cand: Vec<f64> = theta.iter().zip(step).map(|(a, d)| a - t * d).collect();
            // The full step is almost always taken: compute the next iteration's derivatives
            // in the same pass over X. After a rejection, probe with the loss alone.
            let speculate = attempt == 0;
            let sums = pass.run(&cand, speculate);
            let l = self.objective(ablation, &sums, &cand);
            if l <= loss {
                let sums = if speculate {
                    sums
                } else {
                    pass.run(&cand, true)
                };
                return Some((cand, sums, l));
            }
            t *= 0.5;
        }
        None
    }

    /// The objective at `theta` from its row sums.
    fn objective(&self, ablation: Ablation, sums: &RowSums, theta: &[f64]) -> f64 {
        let coef = &theta[..theta.len() - 1];
        self.c * sums.loss + 0.5 * simd_kernels::dot_with(ablation.isa, coef, coef)
    }
}

/// Rows per block of a pass: the block's slice of X, its weighted copy and the Gram
/// kernel's slab of it (each `BLOCK_ROWS x k` values) stay in L2 for moderate `k`, so X
/// is read from memory once per pass and nothing of size `n x k` is written.
const BLOCK_ROWS: usize = 512;

/// Fewest rows worth a thread of their own (spawning costs about as much as a few blocks).
const MIN_ROWS_PER_THREAD: usize = 8 * BLOCK_ROWS;

/// The data term of the objective at one theta, summed over rows: `sum logloss` and, if
/// asked for, its gradient `C X1^T (p - y)` and Hessian `C X1^T S X1`, where `X1` is X with
/// a column of ones (the intercept, index `k`) and `S = diag(p (1 - p))`.
struct RowSums {
    loss: f64,
    grad: Vec<f64>,
    hess: Mat<f64>,
}

impl RowSums {
    fn zeros(k1: usize) -> Self {
        RowSums {
            loss: 0.0,
            grad: vec![0.0; k1],
            hess: Mat::zeros(k1, k1),
        }
    }

    fn add(&mut self, other: &RowSums) {
        self.loss += other.loss;
        for (a, b) in self.grad.iter_mut().zip(&other.grad) {
            *a += b;
        }
        for (a, b) in self
            .hess
            .as_mut_slice()
            .iter_mut()
            .zip(other.hess.as_slice())
        {
            *a += b;
        }
    }
}

/// Per-row values of one block, and its weighted copy for the Gram kernel.
struct BlockScratch {
    /// `X theta + b`.
    z: Vec<f64>,
    /// `exp(-|z|)`.
    exp: Vec<f64>,
    /// `ln_1p(exp(-|z|))`.
    log1p: Vec<f64>,
    /// `C (p - y)`.
    resid: Vec<f64>,
    /// `C p (1 - p)`.
    w: Vec<f64>,
    /// `sqrt(w)`.
    sw: Vec<f64>,
    /// `sqrt(w) * X` for the block, column-major with the block's row count as stride.
    weighted: Vec<f64>,
}

impl BlockScratch {
    fn new(rows: usize, k: usize) -> Self {
        BlockScratch {
            z: vec![0.0; rows],
            exp: vec![0.0; rows],
            log1p: vec![0.0; rows],
            resid: vec![0.0; rows],
            w: vec![0.0; rows],
            sw: vec![0.0; rows],
            weighted: vec![0.0; fast_math::padded_col_stride::<f64>(rows) * k],
        }
    }
}

/// Fused passes over the rows of one training set: per block of rows, `z = X theta + b`,
/// the loss and, when asked, the gradient and Hessian, while the block is in cache. The
/// buffers are allocated once per fit.
struct RowPass<'a> {
    rows: Rows<'a>,
    /// One scratch per thread; each thread takes a contiguous range of rows.
    scratch: Vec<BlockScratch>,
}

/// The training data and the constants of a pass (shared by its threads).
struct Rows<'a> {
    ablation: Ablation,
    c: f64,
    /// The columns of X (unit stride).
    cols: Vec<&'a [f64]>,
    y: &'a [f64],
}

impl<'a> RowPass<'a> {
    /// `x` must have unit row stride.
    fn new(ablation: Ablation, c: f64, x: MatRef<'a, f64>, y: &'a [f64], par: Par) -> Self {
        let (n, k) = (x.nrows(), x.ncols());
        let cols = (0..k)
            .map(|j| x.col_slice(j).expect("unit row stride"))
            .collect();
        let threads = par.threads().min(n / MIN_ROWS_PER_THREAD).max(1);
        let block = BLOCK_ROWS.min(n.div_ceil(threads));
        RowPass {
            rows: Rows {
                ablation,
                c,
                cols,
                y,
            },
            scratch: (0..threads).map(|_| BlockScratch::new(block, k)).collect(),
        }
    }

    /// The row sums at `theta` (`k` coefficients, then the intercept); without
    /// `derivatives` only the loss is computed.
    fn run(&mut self, theta: &[f64], derivatives: bool) -> RowSums {
        let RowPass { rows, scratch } = self;
        let n = rows.y.len();
        let mut sums = RowSums::zeros(theta.len());
        if let [only] = scratch.as_mut_slice() {
            rows.add_rows(0..n, theta, derivatives, only, &mut sums);
        } else {
            let per = n.div_ceil(scratch.len());
            let rows = &*rows;
            std::thread::scope(|s| {
                let handles: Vec<_> = scratch
                    .iter_mut()
                    .enumerate()
                    .map(|(t, sc)| {
                        let range = (t * per).min(n)..((t + 1) * per).min(n);
                        s.spawn(move || {
                            let mut part = RowSums::zeros(theta.len());
                            rows.add_rows(range, theta, derivatives, sc, &mut part);
                            part
                        })
                    })
                    .collect();
                // Joined in row order, so the sums do not depend on thread timing.
                for part in crate::workers::join_in_order(handles) {
                    sums.add(&part);
                }
            });
        }
        // Only the upper half of the intercept row and column was accumulated.
        let k = theta.len() - 1;
        for j in 0..k {
            sums.hess[(k, j)] = sums.hess[(j, k)];
        }
        sums
    }
}

impl Rows<'_> {
    /// Adds the sums of rows `range`, one block of at most the scratch's size at a time.
    fn add_rows(
        &self,
        range: Range<usize>,
        theta: &[f64],
        derivatives: bool,
        sc: &mut BlockScratch,
        sums: &mut RowSums,
    ) {
        let block = sc.z.len();
        for r0 in range.clone().step_by(block) {
            let rows = r0..(r0 + block).min(range.end);
            self.add_block(rows, theta, derivatives, sc, sums);
        }
    }

    /// Adds the loss of `rows` and, with `derivatives`, their gradient and Hessian.
    fn add_block(
        &self,
        rows: Range<usize>,
        theta: &[f64],
        derivatives: bool,
        sc: &mut BlockScratch,
        sums: &mut RowSums,
    ) {
        let m = rows.len();
        let y = &self.y[rows.clone()];
        let z = &mut sc.z[..m];
        self.linear_predictor(rows.clone(), theta, z);
        let (exp, log1p) = (&mut sc.exp[..m], &mut sc.log1p[..m]);
        if self.ablation.fast_math {
            // Vectorized polynomials, the same bits on every ISA (`logistic_exp`).
            super::logistic_exp::exp_log1p(self.ablation.isa, z, exp, log1p);
        } else {
            // The C library's, one call per row, in loops of their own (a call clobbers
            // every vector register).
            for (e, &z) in exp.iter_mut().zip(&*z) {
                *e = (-z.abs()).exp();
            }
            for (l, &e) in log1p.iter_mut().zip(&*exp) {
                *l = e.ln_1p();
            }
        }
        if !derivatives {
            for i in 0..m {
                // logloss = softplus(z) - y z
                sums.loss += softplus_from_log1p(z[i], log1p[i]) - y[i] * z[i];
            }
            return;
        }
        let c = self.c;
        let (resid, w, sw) = (&mut sc.resid[..m], &mut sc.w[..m], &mut sc.sw[..m]);
        for i in 0..m {
            sums.loss += softplus_from_log1p(z[i], log1p[i]) - y[i] * z[i];
            let p = sigmoid_from_exp(z[i], exp[i]);
            resid[i] = c * (p - y[i]);
            w[i] = c * p * (1.0 - p);
            sw[i] = w[i].sqrt();
        }
        self.add_derivatives(rows, sc, sums);
    }

    /// `z = X theta + b` for `rows`: the `axpy` of each column in turn, eight columns per
    /// pass over `z` (`simd_kernels::axpy_columns`, the same bits; one `axpy` per column
    /// spent more time loading and storing `z` than reading `X`).
    fn linear_predictor(&self, rows: Range<usize>, theta: &[f64], z: &mut [f64]) {
        let k = self.cols.len();
        z.fill(theta[k]);
        let mut group: [&[f64]; 8] = [&[]; 8];
        for (cols, coefs) in self.cols.chunks(8).zip(theta[..k].chunks(8)) {
            for (g, col) in group.iter_mut().zip(cols) {
                *g = &col[rows.clone()];
            }
            let group = &group[..cols.len()];
            simd_kernels::axpy_columns_with(self.ablation.isa, coefs, group, z);
        }
    }

    /// Adds the gradient and Hessian of `rows`, from the residuals and weights in `sc`.
    fn add_derivatives(&self, rows: Range<usize>, sc: &mut BlockScratch, sums: &mut RowSums) {
        let isa = self.ablation.isa;
        let (m, k) = (rows.len(), self.cols.len());
        let (resid, w, sw) = (&sc.resid[..m], &sc.w[..m], &sc.sw[..m]);
        // The intercept's entries are plain sums: X1^T v for the ones column.
        sums.grad[k] += simd_kernels::sum_with(isa, resid);
        sums.hess[(k, k)] += simd_kernels::sum_with(isa, w);
        // The rest of the Hessian, X^T S X, is the Gram matrix of sqrt(S) X.
        let ld = fast_math::padded_col_stride::<f64>(m);
        let weighted = &mut sc.weighted[..ld * k];
        for (j, (col, wcol)) in self
            .cols
            .iter()
            .zip(weighted.chunks_exact_mut(ld).map(|c| &mut c[..m]))
            .enumerate()
        {
            let xj = &col[rows.clone()];
            sums.grad[j] += simd_kernels::dot_with(isa, xj, resid);
            sums.hess[(j, k)] += simd_kernels::dot_with(isa, xj, w);
            for ((d, &x), &s) in wcol.iter_mut().zip(xj).zip(sw) {
                *d = x * s;
            }
        }
        let g = self
            .ablation
            .gram(MatRef::from_slice(weighted, m, k, 1, ld), Par::Seq);
        for j in 0..k {
            for i in 0..k {
                sums.hess[(i, j)] += g[(i, j)];
            }
        }
    }
}
