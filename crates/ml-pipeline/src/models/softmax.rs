//! Multinomial (softmax) logistic regression with scikit-learn's objective, by Newton's
//! method on the full Hessian.

use super::checks::{check_newton_settings, check_xy};
use crate::ablation::Ablation;
use crate::error::{PipelineError, Result};
use crate::traits::{Fit, Output, Predict, Target};
use fast_math::{cholesky_with, matmul_with, Mat, MatRef, Par};
use serde::{Deserialize, Serialize};
use simd_kernels::Isa;

/// Multinomial logistic regression over `K >= 2` classes: minimizes
/// `C * sum_i -log softmax(W x_i + b)_{y_i} + ||W||_F^2 / 2`, intercepts unpenalized
/// (scikit-learn's `LogisticRegression(C=c)` on multiclass data: the multinomial loss, one
/// coefficient row per class).
///
/// Newton's method with a backtracking line search. The Hessian of the data term is
/// `sum_i (diag(p_i) - p_i p_i^T) (x) x_i x_i^T`, assembled block by block, each block one
/// weighted Gram matrix (a GEMM). The intercepts are identified only up to a common shift
/// (softmax ignores it); the fit takes the solution whose intercepts sum to zero (the one
/// scikit-learn's lbfgs reaches from its zero start), by adding `(sum b)^2 / 2`, zero there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SoftmaxRegression {
    /// Inverse regularization strength (> 0).
    pub c: f64,
    /// Newton iterations allowed.
    pub max_iter: usize,
    /// Stop when the largest gradient entry is below `tol` times `max(1, C * n)`.
    pub tol: f64,
}

impl Default for SoftmaxRegression {
    fn default() -> Self {
        SoftmaxRegression {
            c: 1.0,
            max_iter: 100,
            tol: 1e-10,
        }
    }
}

/// A fitted multinomial model: class probabilities `softmax(W x + b)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SoftmaxModel {
    /// The class labels, ascending; probability `k` is that of `classes[k]`.
    pub classes: Vec<f64>,
    /// `K x p` coefficients, row-major (row `k` is class `k`'s).
    pub coef: Vec<f64>,
    /// One intercept per class (summing to zero).
    pub intercept: Vec<f64>,
    /// Newton iterations used.
    pub iterations: usize,
}

impl SoftmaxModel {
    /// Checks a model read from a file against `k` input features: at least two classes,
    /// ascending and finite; `K x k` finite coefficients; `K` finite intercepts.
    pub(crate) fn validate(&self, field: &'static str, k: usize) -> Result<()> {
        let bad = |message: String| Err(PipelineError::content(field, message));
        let classes = self.classes.len();
        if classes < 2 || !self.classes.windows(2).all(|w| w[0] < w[1]) {
            return bad(format!(
                "softmax classes must be at least two, finite and ascending, got {:?}",
                self.classes
            ));
        }
        if self.coef.len() != classes * k || self.intercept.len() != classes {
            return bad(format!(
                "softmax over {classes} classes and {k} features needs {} coefficients and                  {classes} intercepts, got {} and {}",
                classes * k,
                self.coef.len(),
                self.intercept.len()
            ));
        }
        if !self
            .coef
            .iter()
            .chain(&self.intercept)
            .chain(&self.classes)
            .all(|v| v.is_finite())
        {
            return bad("softmax parameters must be finite".into());
        }
        Ok(())
    }

    /// Class `k`'s coefficients.
    pub fn coef_row(&self, k: usize) -> &[f64] {
        let p = self.coef.len() / self.classes.len();
        &self.coef[k * p..(k + 1) * p]
    }
}

impl Predict for SoftmaxModel {
    fn n_features(&self) -> usize {
        self.coef.len() / self.classes.len()
    }

    fn output(&self) -> Output {
        Output::Probabilities(self.classes.len())
    }

    fn predict_one_with(&self, isa: Isa, x: &[f64], _scratch: &mut [f64], out: &mut [f64]) {
        let k = self.classes.len();
        assert_eq!(x.len(), self.n_features(), "row length vs features");
        assert_eq!(out.len(), k, "output length vs classes");
        for (c, o) in out.iter_mut().enumerate() {
            *o = self.intercept[c] + simd_kernels::dot_with(isa, self.coef_row(c), x);
        }
        softmax_in_place(out);
    }
}

/// `z <- softmax(z)`, shifted by the maximum so no exponential overflows.
fn softmax_in_place(z: &mut [f64]) {
    let m = z.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    let mut total = 0.0;
    for v in z.iter_mut() {
        *v = (*v - m).exp();
        total += *v;
    }
    z.iter_mut().for_each(|v| *v /= total);
}

impl Fit for SoftmaxRegression {
    type Fitted = SoftmaxModel;

    fn check(&self) -> Result<()> {
        check_newton_settings("softmax regression", self.c, self.max_iter, self.tol)
    }

    /// Fits on `x` (`n x p`) and class labels (any finite values; at least two distinct).
    /// `par` splits the GEMMs of each Newton step.
    ///
    /// # Errors
    /// [`PipelineError::EmptyData`], [`PipelineError::ShapeMismatch`],
    /// [`PipelineError::NonFinite`], [`PipelineError::MissingTarget`],
    /// [`PipelineError::InvalidSetting`] when the labels hold fewer than two classes,
    /// [`PipelineError::Linalg`] if a Newton system cannot be factored, and the
    /// hyperparameter errors of `check`.
    fn fit_ablated(
        &self,
        ablation: Ablation,
        x: MatRef<'_, f64>,
        y: Target<'_>,
        par: Par,
    ) -> Result<SoftmaxModel> {
        self.check()?;
        let y = y.values("softmax regression")?;
        check_xy(x, Some(y))?;
        let mut classes = y.to_vec();
        classes.sort_by(f64::total_cmp);
        classes.dedup();
        if classes.len() < 2 {
            return Err(PipelineError::InvalidSetting {
                name: "labels",
                value: format!("{} class", classes.len()),
                expected: "at least 2 classes".into(),
            });
        }
        let label: Vec<usize> = y
            .iter()
            .map(|v| classes.partition_point(|c| c < v))
            .collect();
        let problem = Problem {
            isa: ablation.isa,
            par,
            c: self.c,
            // The design with a trailing column of ones, for the intercepts.
            x1: Mat::from_fn(x.nrows(), x.ncols() + 1, |i, j| {
                if j < x.ncols() {
                    x.get(i, j)
                } else {
                    1.0
                }
            }),
            label,
            k: classes.len(),
        };
        let (theta, iterations) = self.newton(&problem)?;
        let (k, p1) = (problem.k, x.ncols() + 1);
        let row = |c: usize| &theta[c * p1..(c + 1) * p1];
        Ok(SoftmaxModel {
            coef: (0..k).flat_map(|c| row(c)[..p1 - 1].to_vec()).collect(),
            intercept: (0..k).map(|c| row(c)[p1 - 1]).collect(),
            classes,
            iterations,
        })
    }
}

/// The data of one fit. Parameters `theta` are `K` rows of `p + 1` (coefficients, then the
/// intercept), flattened row after row.
struct Problem {
    isa: Isa,
    par: Par,
    c: f64,
    x1: Mat<f64>,
    label: Vec<usize>,
    k: usize,
}

impl Problem {
    fn p1(&self) -> usize {
        self.x1.ncols()
    }

    /// Row-wise class probabilities (`n x K`) and the objective at `theta`.
    fn evaluate(&self, theta: &[f64]) -> (Mat<f64>, f64) {
        let (k, p1) = (self.k, self.p1());
        let t = Mat::from_fn(p1, k, |a, c| theta[c * p1 + a]);
        let z = matmul_with(self.isa, self.x1.as_ref(), t.as_ref(), self.par);
        let n = self.x1.nrows();
        let mut probs = Mat::zeros(n, k);
        let mut loss = 0.0;
        let mut row = vec![0.0; k];
        for i in 0..n {
            for (c, r) in row.iter_mut().enumerate() {
                *r = z[(i, c)];
            }
            let m = row.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            let lse = m + row.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
            loss += lse - row[self.label[i]];
            for (c, r) in row.iter().enumerate() {
                probs[(i, c)] = (r - lse).exp();
            }
        }
        let penalty: f64 = (0..k)
            .flat_map(|c| theta[c * p1..c * p1 + p1 - 1].iter())
            .map(|w| w * w)
            .sum::<f64>();
        let bsum: f64 = (0..k).map(|c| theta[c * p1 + p1 - 1]).sum();
        (probs, self.c * loss + 0.5 * penalty + 0.5 * bsum * bsum)
    }

    /// Gradient and Hessian of the objective at `theta`, given its probabilities.
    fn derivatives(&self, theta: &[f64], probs: &Mat<f64>) -> (Vec<f64>, Mat<f64>) {
        let (k, p1, n) = (self.k, self.p1(), self.x1.nrows());
        let dim = k * p1;
        // Residuals p - onehot(y), scaled by C: the gradient is X1^T R, one GEMM.
        let r = Mat::from_fn(n, k, |i, c| {
            self.c * (probs[(i, c)] - f64::from(u8::from(self.label[i] == c)))
        });
        let g = matmul_with(self.isa, self.x1.as_ref().t(), r.as_ref(), self.par);
        let bsum: f64 = (0..k).map(|c| theta[c * p1 + p1 - 1]).sum();
        let mut grad = vec![0.0; dim];
        for c in 0..k {
            for a in 0..p1 {
                let penalty = if a + 1 < p1 { theta[c * p1 + a] } else { bsum };
                grad[c * p1 + a] = g[(a, c)] + penalty;
            }
        }
        let mut h = Mat::zeros(dim, dim);
        for c in 0..k {
            for d in c..k {
                // Block (c, d): X1^T diag(C p_c (delta_cd - p_d)) X1.
                let scaled = Mat::from_fn(n, p1, |i, a| {
                    let (pc, pd) = (probs[(i, c)], probs[(i, d)]);
                    let w = if c == d { pc * (1.0 - pc) } else { -pc * pd };
                    self.c * w * self.x1[(i, a)]
                });
                let block = matmul_with(self.isa, self.x1.as_ref().t(), scaled.as_ref(), self.par);
                for a in 0..p1 {
                    for b in 0..p1 {
                        h[(c * p1 + a, d * p1 + b)] = block[(a, b)];
                        h[(d * p1 + b, c * p1 + a)] = block[(a, b)];
                    }
                }
            }
        }
        for c in 0..k {
            for a in 0..p1 - 1 {
                h[(c * p1 + a, c * p1 + a)] += 1.0;
            }
            for d in 0..k {
                h[(c * p1 + p1 - 1, d * p1 + p1 - 1)] += 1.0;
            }
        }
        (grad, h)
    }
}

impl SoftmaxRegression {
    /// Newton iterations from zero; returns the parameters and the iterations used.
    fn newton(&self, problem: &Problem) -> Result<(Vec<f64>, usize)> {
        let dim = problem.k * problem.p1();
        let n = problem.x1.nrows();
        let scale = (self.c * n as f64).max(1.0);
        let mut theta = vec![0.0; dim];
        let (mut probs, mut loss) = problem.evaluate(&theta);
        let mut iterations = 0;
        for _ in 0..self.max_iter {
            iterations += 1;
            let (grad, h) = problem.derivatives(&theta, &probs);
            let gmax = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
            if gmax <= self.tol * scale {
                break;
            }
            let step = cholesky_with(problem.isa, h.as_ref(), Par::Seq)?
                .solve(MatRef::from_col_major(&grad, dim, 1));
            let mut t = 1.0;
            let mut accepted = false;
            for _ in 0..60 {
                let cand: Vec<f64> = theta
                    .iter()
                    .zip(step.as_slice())
                    .map(|(a, s)| a - t * s)
                    .collect();
                let (p, l) = problem.evaluate(&cand);
                if l <= loss {
                    (theta, probs, loss, accepted) = (cand, p, l, true);
                    break;
                }
                t *= 0.5;
            }
            // No descent left at machine precision: theta is the optimum to rounding.
            if !accepted {
                break;
            }
        }
        Ok((theta, iterations))
    }
}
