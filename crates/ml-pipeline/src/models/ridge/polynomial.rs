//! Polynomial least squares (`y ~ b + w1 x + w2 x^2 + .. + wd x^d`) with the design's powers
//! carried in double-double, so that the answer is not limited by rounding `x^k` to float64.
//!
//! A float64 design cannot hold a high-degree polynomial exactly: each power is rounded once
//! (at best), and on an ill-conditioned design that rounding alone moves the exact
//! least-squares answer. On NIST Filip (degree 10) the coefficients move by 2.5e-8 relative
//! when the last bit of the powers changes, so no solver given the float64 design can certify
//! more than ~7.6 digits. Here the powers are formed as double-double values `hi + lo`
//! (relative error ~1e-32): [`Ridge::fit_polynomial`] factors the float64 part `hi` (QR of
//! the centered data) and then refines the solution against `hi + lo` with compensated
//! residuals and gradients, so it converges to the least-squares answer of the exact powers
//! of the float64 `x` (while `eps * cond(X) < 1`). [`RidgeAccumulator::update_polynomial`]
//! feeds both parts into its double-double factor.

use super::super::checks::check_xy;
use super::super::linear::LinearModel;
use super::dd::Dd;
use super::refine::Refinement;
use super::tsqr::QrState;
use super::{Ridge, RidgeAccumulator, RidgeReport};
use crate::ablation::Ablation;
use crate::error::{PipelineError, Result};
use crate::traits::{Accumulator, Fit};
use crate::workers::map_row_ranges;
use fast_math::{Mat, MatRef, Par};
use simd_kernels::Isa;

/// The powers `x, x^2, .., x^degree` of a column of values, each the unevaluated sum of two
/// f64: [`rounded`](Self::rounded) (the power rounded to float64, what `np.vander` holds)
/// and the rounding error it leaves.
///
/// ```
/// use fast_math::Par;
/// use ml_pipeline::{Ablation, Predict, PolynomialDesign, Ridge};
///
/// let x: Vec<f64> = (0..50).map(|i| 1.0 + i as f64 / 10.0).collect();
/// let y: Vec<f64> = x.iter().map(|v| 2.0 - 3.0 * v + 0.5 * v * v * v).collect();
/// let design = PolynomialDesign::new(&x, 3)?;
/// let ridge = Ridge { alpha: 0.0, fit_intercept: true };
/// let (model, report) = ridge.fit_polynomial(Ablation::default(), &design, &y, Par::Seq)?;
/// assert!((model.intercept - 2.0).abs() < 1e-12 && (model.coef[2] - 0.5).abs() < 1e-12);
/// assert!(report.condition_estimate > 1.0);
/// // The model predicts from the rounded powers of new points.
/// let new = PolynomialDesign::new(&[2.0], 3)?;
/// let mut p = [0.0];
/// model.predict_into(new.rounded(), &mut p, Par::Seq);
/// assert!((p[0] - (2.0 - 6.0 + 4.0)).abs() < 1e-12);
/// # Ok::<(), ml_pipeline::PipelineError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PolynomialDesign {
    hi: Mat<f64>,
    lo: Mat<f64>,
}

impl PolynomialDesign {
    /// The design of degree `degree` over `x`.
    ///
    /// # Errors
    /// [`PipelineError::EmptyData`] for an empty `x`;
    /// [`PipelineError::InvalidHyperparameter`] for degree 0;
    /// [`PipelineError::NonFinite`] naming the row of a NaN or infinite `x` (column 0), or the
    /// row and column (`power - 1`) of a power that overflows float64.
    pub fn new(x: &[f64], degree: usize) -> Result<Self> {
        if degree == 0 {
            return Err(PipelineError::InvalidHyperparameter {
                model: "polynomial design",
                name: "degree",
                value: "0".into(),
                expected: ">= 1".into(),
            });
        }
        if x.is_empty() {
            return Err(PipelineError::EmptyData {
                rows: 0,
                cols: degree,
            });
        }
        let n = x.len();
        let (mut hi, mut lo) = (Mat::zeros(n, degree), Mat::zeros(n, degree));
        for (i, &v) in x.iter().enumerate() {
            let mut p = Dd::from_f64(v);
            for j in 0..degree {
                if j > 0 {
                    p = p.mul_f64(v);
                }
                if !p.is_finite() {
                    return Err(PipelineError::NonFinite {
                        row: i,
                        col: j,
                        value: if j == 0 { v } else { p.hi },
                    });
                }
                hi[(i, j)] = p.hi;
                lo[(i, j)] = p.lo;
            }
        }
        Ok(PolynomialDesign { hi, lo })
    }

    /// The powers rounded to float64 (`n x degree`): the features a [`LinearModel`] fitted
    /// on this design predicts from.
    pub fn rounded(&self) -> MatRef<'_, f64> {
        self.hi.as_ref()
    }

    /// What rounding the powers to float64 left out (`n x degree`).
    pub fn rounding_errors(&self) -> MatRef<'_, f64> {
        self.lo.as_ref()
    }

    /// The degree (the number of feature columns).
    pub fn degree(&self) -> usize {
        self.hi.ncols()
    }

    /// The number of rows.
    pub fn nrows(&self) -> usize {
        self.hi.nrows()
    }
}

impl Ridge {
    /// Fits the polynomial `design` to `y`, always by QR of the centered data refined against
    /// the double-double powers (see the module documentation); the coefficients are those of
    /// `x, x^2, ..`, in order. With `Par::Rayon(t)` the QR and the refinement passes split the
    /// rows among `t` threads.
    ///
    /// # Errors
    /// As [`Fit::fit_ablated`]: a mismatched or non-finite `y`, a bad alpha, a rank-deficient
    /// design (too few distinct `x` for the degree, with alpha = 0).
    pub fn fit_polynomial(
        &self,
        ablation: Ablation,
        design: &PolynomialDesign,
        y: &[f64],
        par: Par,
    ) -> Result<(LinearModel, RidgeReport)> {
        self.check()?;
        let x = design.rounded();
        check_xy(x, Some(y))?;
        let threads = par.threads().min(x.nrows()).max(1);
        self.qr_refined(ablation, x, Some(design.lo.as_ref()), y, threads)
    }

    /// The QR path of [`Fit::fit_ablated`]: the factor of the centered `[X y]` by row ranges
    /// merged in row order, then refinement against `x + lo` (`lo` the rounding errors of a
    /// double-double design, where there is one).
    pub(super) fn qr_refined(
        &self,
        ablation: Ablation,
        x: MatRef<'_, f64>,
        lo: Option<MatRef<'_, f64>>,
        y: &[f64],
        threads: usize,
    ) -> Result<(LinearModel, RidgeReport)> {
        let (n, k) = (x.nrows(), x.ncols());
        let acc = map_row_ranges(n, threads, |rows| {
            let mut acc = QrState::<f64>::new(k);
            let rows_x = x.submatrix(rows.start, 0, rows.len(), k);
            acc.update_unchecked(ablation.isa, rows_x, &y[rows]);
            acc
        })
        .iter()
        .fold(QrState::new(k), |mut a, b| {
            a.merge(ablation.isa, b);
            a
        });
        let (mut model, mut report, r) = acc.solve(ablation.isa, self.alpha, self.fit_intercept)?;
        report.refinement_steps = Refinement {
            r: &r,
            mean_x: &acc.mean[..k],
            alpha: self.alpha,
            fit_intercept: self.fit_intercept,
        }
        .run(x, lo, y, &mut model, threads);
        Ok((model, report))
    }
}

impl RidgeAccumulator {
    /// Adds the rows of a polynomial design (its double-double powers, not their float64
    /// roundings) and their targets; the accumulator must have `design.degree()` features.
    ///
    /// # Errors
    /// [`PipelineError::ShapeMismatch`] for a degree other than the accumulator's feature
    /// count or a `y` of another length; [`PipelineError::NonFinite`] for a bad `y`.
    pub fn update_polynomial(&mut self, design: &PolynomialDesign, y: &[f64]) -> Result<()> {
        if design.degree() != self.n_features() {
            return Err(PipelineError::ShapeMismatch {
                what: "polynomial degree vs accumulator features",
                expected: self.n_features(),
                got: design.degree(),
            });
        }
        check_xy(design.rounded(), Some(y))?;
        let (hi, lo, k) = (&design.hi, &design.lo, design.degree());
        self.state
            .update_columns(Isa::detect(), y.len(), |j, rows, col: &mut Vec<Dd>| {
                if j < k {
                    col.extend(rows.map(|i| Dd::from_parts(hi[(i, j)], lo[(i, j)])));
                } else {
                    col.extend(y[rows].iter().map(|&v| Dd::from_f64(v)));
                }
            });
        Ok(())
    }
}
