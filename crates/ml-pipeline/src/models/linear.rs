//! A fitted linear model: `y = x . coef + intercept`.

use crate::error::{PipelineError, Result};
use crate::traits::{check_batch, Output, Predict};
use fast_math::{gemm_with, MatMut, MatRef, Par};
use serde::{Deserialize, Serialize};
use simd_kernels::Isa;

/// Coefficients and intercept of a linear model, as fitted by [`Ridge`](super::Ridge) or
/// inside a [`LogisticModel`](super::LogisticModel).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    /// One weight per feature.
    pub coef: Vec<f64>,
    /// The constant term.
    pub intercept: f64,
}

impl LinearModel {
    /// `x . coef + intercept` for one sample: a SIMD dot product, no allocation.
    ///
    /// # Panics
    /// If `x.len()` differs from the number of features (the message names both lengths).
    #[inline]
    pub fn decision_function(&self, x: &[f64]) -> f64 {
        self.decision_function_with(Isa::detect(), x)
    }

    /// [`decision_function`](Self::decision_function) on one given ISA.
    ///
    /// # Panics
    /// As [`decision_function`](Self::decision_function), or if the CPU lacks `isa`.
    #[inline]
    pub fn decision_function_with(&self, isa: Isa, x: &[f64]) -> f64 {
        simd_kernels::dot_with(isa, x, &self.coef) + self.intercept
    }

    /// `X coef + intercept` for every row of `x` into `out`, as one matrix-vector product.
    pub(crate) fn decision_into(&self, isa: Isa, x: MatRef<'_, f64>, out: &mut [f64], par: Par) {
        check_batch(self.coef.len(), 1, x, out);
        out.fill(self.intercept);
        let w = MatRef::from_col_major(&self.coef, self.coef.len(), 1);
        let n = out.len();
        gemm_with(isa, 1.0, x, w, 1.0, MatMut::from_col_major(out, n, 1), par);
    }

    /// Checks a model read from a file: finite values, `k` coefficients.
    pub(crate) fn validate(&self, field: &str, k: usize) -> Result<()> {
        if self.coef.len() != k {
            return Err(PipelineError::content(
                format!("{field}.coef"),
                format!("{} coefficients for {k} inputs", self.coef.len()),
            ));
        }
        if self
            .coef
            .iter()
            .chain([&self.intercept])
            .any(|v| !v.is_finite())
        {
            return Err(PipelineError::content(field, "coefficients must be finite"));
        }
        Ok(())
    }
}

impl Predict for LinearModel {
    fn n_features(&self) -> usize {
        self.coef.len()
    }

    fn output(&self) -> Output {
        Output::Value
    }

    #[inline]
    fn predict_one_with(&self, isa: Isa, x: &[f64], _scratch: &mut [f64], out: &mut [f64]) {
        out[0] = self.decision_function_with(isa, x);
    }

    fn predict_into(&self, x: MatRef<'_, f64>, out: &mut [f64], par: Par) {
        self.decision_into(Isa::detect(), x, out, par);
    }
}
