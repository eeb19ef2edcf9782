//! L2-regularized logistic regression with scikit-learn's objective, solved by Newton's method.

use super::data::check_xy;
use super::linear::LinearModel;
use crate::engine::Engine;
use crate::error::{PipelineError, Result};
use fast_math::{cholesky, Mat, MatRef, Par};
use serde::{Deserialize, Serialize};

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
        sigmoid(self.linear.predict_one(x))
    }

    /// Probability of class 1 for every row of `x`.
    ///
    /// # Panics
    /// If `x.ncols()` differs from the number of features.
    pub fn predict_proba_batch(&self, x: MatRef<'_, f64>, par: Par) -> Vec<f64> {
        let mut z = self.linear.predict_batch(x, par);
        z.iter_mut().for_each(|v| *v = sigmoid(*v));
        z
    }
}

#[inline]
pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `log(1 + exp(z))` without overflow.
#[inline]
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

impl LogisticRegression {
    /// Fits on `x` (`n x k`) and labels `y` (0 or 1).
    ///
    /// # Errors
    /// [`PipelineError::EmptyData`], [`PipelineError::ShapeMismatch`],
    /// [`PipelineError::NonFinite`], [`PipelineError::BadLabel`] for a label other than 0 or
    /// 1, [`PipelineError::InvalidConfig`] for `c <= 0`, `max_iter == 0` or a bad `tol`.
    pub fn fit(&self, x: MatRef<'_, f64>, y: &[f64], par: Par) -> Result<LogisticModel> {
        self.fit_with(Engine::default(), x, y, par)
    }

    /// [`fit`](Self::fit) with an explicit [`Engine`] (ISA and algorithm family).
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_with(
        &self,
        engine: Engine,
        x: MatRef<'_, f64>,
        y: &[f64],
        par: Par,
    ) -> Result<LogisticModel> {
        let isa = engine.isa;
        if !(self.c > 0.0 && self.c.is_finite())
            || self.max_iter == 0
            || self.tol.is_nan()
            || self.tol <= 0.0
        {
            return Err(PipelineError::InvalidConfig(format!(
                "logistic regression needs c > 0, max_iter >= 1, tol > 0 (got c={}, max_iter={}, tol={})",
                self.c, self.max_iter, self.tol
            )));
        }
        check_xy(x, Some(y))?;
        if let Some((row, &value)) = y.iter().enumerate().find(|(_, &v)| v != 0.0 && v != 1.0) {
            return Err(PipelineError::BadLabel { row, value });
        }
        let (n, k) = (x.nrows(), x.ncols());
        // Design matrix with a column of ones, column-major, so X^T v is k+1 dot products.
        let xa = Mat::from_fn(n, k + 1, |i, j| if j < k { x.get(i, j) } else { 1.0 });
        let mut theta = vec![0.0; k + 1];
        let mut z = vec![0.0; n];
        let mut weighted = Mat::<f64>::zeros(n, k + 1);
        let scale = (self.c * n as f64).max(1.0);
        let mut iterations = 0;
        let mut loss = self.objective(isa, &xa, y, &theta, &mut z);
        for _ in 0..self.max_iter {
            iterations += 1;
            // Gradient and Hessian of the objective at theta (z holds X theta).
            let mut resid = vec![0.0; n];
            let mut sw = vec![0.0; n];
            for i in 0..n {
                let p = sigmoid(z[i]);
                resid[i] = self.c * (p - y[i]);
                sw[i] = (self.c * p * (1.0 - p)).sqrt();
            }
            let mut grad: Vec<f64> = (0..=k)
                .map(|j| simd_kernels::dot_with(isa, col(&xa, j), &resid))
                .collect();
            for j in 0..k {
                grad[j] += theta[j];
            }
            let gmax = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
            if gmax <= self.tol * scale {
                break;
            }
            for j in 0..=k {
                let (src, dst) = (
                    col(&xa, j),
                    &mut weighted.as_mut_slice()[j * n..(j + 1) * n],
                );
                for i in 0..n {
                    dst[i] = src[i] * sw[i];
                }
            }
            let mut h = engine.gram(weighted.as_ref(), par);
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
            let decrement = simd_kernels::dot_with(isa, &grad, step.as_slice());
            if decrement <= NEWTON_DECREMENT_TOL * loss.abs().max(1.0) {
                break;
            }
            let mut t = 1.0;
            let mut improved = false;
            for _ in 0..40 {
                let cand: Vec<f64> = theta
                    .iter()
                    .zip(step.as_slice())
                    .map(|(a, d)| a - t * d)
                    .collect();
                let l = self.objective(isa, &xa, y, &cand, &mut z);
                if l <= loss {
                    theta = cand;
                    loss = l;
                    improved = true;
                    break;
                }
                t *= 0.5;
            }
            if !improved {
                // No descent left at machine precision: theta is the optimum to rounding.
                self.objective(isa, &xa, y, &theta, &mut z);
                break;
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

    /// The objective at `theta`; leaves `X theta` in `z`.
    fn objective(
        &self,
        isa: simd_kernels::Isa,
        xa: &Mat<f64>,
        y: &[f64],
        theta: &[f64],
        z: &mut [f64],
    ) -> f64 {
        let n = xa.nrows();
        let k = theta.len() - 1;
        z.fill(theta[k]);
        for (j, &t) in theta[..k].iter().enumerate() {
            simd_kernels::axpy_with(isa, t, col(xa, j), z);
        }
        let mut loss = 0.0;
        for i in 0..n {
            // logloss = softplus(z) - y z
            loss += softplus(z[i]) - y[i] * z[i];
        }
        self.c * loss + 0.5 * simd_kernels::dot_with(isa, &theta[..k], &theta[..k])
    }
}

fn col(m: &Mat<f64>, j: usize) -> &[f64] {
    let n = m.nrows();
    &m.as_slice()[j * n..(j + 1) * n]
}
