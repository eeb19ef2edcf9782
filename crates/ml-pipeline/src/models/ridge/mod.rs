//! Ridge regression with scikit-learn's objective: the normal equations where a condition
//! estimate says they keep the digits, Householder QR of the centered data otherwise; a
//! mergeable accumulator that keeps the QR factor (TSQR), never the squared system.

use super::checks::{check_finite, check_shapes};
use super::linear::LinearModel;
use crate::ablation::Ablation;
use crate::error::{PipelineError, Result};
use crate::traits::{Accumulator, Fit, FitIncremental, Target};
use crate::workers::map_row_ranges;
use fast_math::{MatRef, Par};
use simd_kernels::Isa;

mod dd;
mod dd_qr;
mod gram;
mod polynomial;
mod refine;
mod solve;
mod state;
mod streamed;
mod tsqr;

pub(in crate::models) use dd::Dd;
use gram::{GramStats, CHUNK_ROWS};
pub use polynomial::PolynomialDesign;
use solve::{dot2, normal_equations};
pub use solve::{RidgeReport, SolveMethod};
pub use state::ACCUMULATOR_STATE_VERSION;
pub(in crate::models) use state::{state_len as state_len_of, StateKind};
pub(in crate::models) use tsqr::QrState;
pub use tsqr::RidgeAccumulator;

/// Ridge regression: minimizes `||y - X w - b||^2 + alpha ||w||^2`, the intercept `b`
/// unpenalized (scikit-learn's `Ridge(alpha, fit_intercept=True)`).
///
/// [`fit`](Fit::fit) gathers the centered Gram matrix (one packed GEMM pass) and estimates
/// the condition number of the column-equilibrated system `Xc^T Xc + alpha I` (Hager and
/// Higham's 1-norm estimator on its Cholesky factor). The normal equations lose about
/// `log10(cond)` of float64's 16 digits; when the estimate exceeds
/// [`MAX_NORMAL_EQUATIONS_CONDITION`] (or Cholesky fails) the fit makes a second pass and
/// solves by Householder QR of the centered `[X y]` (the algorithm of [`RidgeAccumulator`],
/// which never forms the squared system, with a float64 factor), then refines that solution against the original rows with
/// residuals in twice the working precision (see `refine.rs`), so the answer keeps nearly
/// every digit the data determines, on every ISA, while `eps * cond(X) < 1`.
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

/// Largest estimated condition number of the column-equilibrated `Xc^T Xc + alpha I` that
/// [`Ridge::fit`] solves by the normal equations. Their forward error is about
/// `cond * eps` (Higham, *Accuracy and Stability*, 10.1), so at 1e5 they keep 10-11 correct
/// digits, as QR would on data whose own `cond(X) <~ 300`; beyond it QR, whose error grows
/// only as `cond(X) = sqrt(cond(Gram))`, is taken. Well-scaled features (standardized
/// returns, indicators) sit far below; polynomial and near-collinear designs above.
pub const MAX_NORMAL_EQUATIONS_CONDITION: f64 = 1e5;

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
        let condition_estimate = match self.normal_equations_fit(ablation, &stats) {
            Ok(fitted) => return Ok(fitted),
            Err(cond) => cond,
        };
        // Second pass: QR of the centered data, refined against the rows.
        let (model, mut report) = self.qr_refined(ablation, x, None, y, threads)?;
        if !report.condition_estimate.is_finite() {
            report.condition_estimate = condition_estimate;
        }
        Ok((model, report))
    }

    /// The fast path of a fit from its Gram statistics: the normal equations, when their
    /// condition estimate is at most [`MAX_NORMAL_EQUATIONS_CONDITION`]; else `Err` with
    /// that estimate (infinite when the solve failed), and the caller takes the QR path.
    fn normal_equations_fit(
        &self,
        ablation: Ablation,
        stats: &GramStats,
    ) -> std::result::Result<(LinearModel, RidgeReport), f64> {
        let (a, b) = stats.system(self.alpha, self.fit_intercept);
        match normal_equations(ablation.isa, &a, &b) {
            Some((coef, cond)) if cond <= MAX_NORMAL_EQUATIONS_CONDITION => {
                let intercept = if self.fit_intercept {
                    stats.mean_y - dot2(&stats.mean_x, &coef)
                } else {
                    0.0
                };
                let report = RidgeReport {
                    method: SolveMethod::NormalEquations,
                    condition_estimate: cond,
                    refinement_steps: 0,
                };
                Ok((LinearModel { coef, intercept }, report))
            }
            Some((_, cond)) => Err(cond),
            None => Err(f64::INFINITY),
        }
    }

    /// [`FitIncremental::finish`], with the report of how the system was solved (always
    /// [`SolveMethod::Qr`]).
    ///
    /// # Errors
    /// As [`FitIncremental::finish`].
    pub fn finish_report(&self, acc: &RidgeAccumulator) -> Result<(LinearModel, RidgeReport)> {
        self.check()?;
        if acc.state.n == 0 {
            return Err(PipelineError::EmptyData {
                rows: 0,
                cols: acc.n_features(),
            });
        }
        acc.state
            .solve(Isa::detect(), self.alpha, self.fit_intercept)
            .map(|(model, report, _)| (model, report))
    }
}
