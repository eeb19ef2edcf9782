//! A fitted linear model: `y = x . coef + intercept`.

use fast_math::{gemm, Mat, MatRef, Par};
use serde::{Deserialize, Serialize};

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
    /// Number of features the model expects.
    pub fn n_features(&self) -> usize {
        self.coef.len()
    }

    /// `x . coef + intercept` for one sample: a SIMD dot product, no allocation.
    ///
    /// # Panics
    /// If `x.len()` differs from the number of features (the message names both lengths).
    #[inline]
    pub fn predict_one(&self, x: &[f64]) -> f64 {
        simd_kernels::dot(x, &self.coef) + self.intercept
    }

    /// [`predict_one`](Self::predict_one) on one given ISA.
    ///
    /// # Panics
    /// As [`predict_one`](Self::predict_one), or if the CPU lacks `isa`.
    #[inline]
    pub fn predict_one_with(&self, isa: simd_kernels::Isa, x: &[f64]) -> f64 {
        simd_kernels::dot_with(isa, x, &self.coef) + self.intercept
    }

    /// Predictions for every row of `x` (`n x k`), as one matrix-vector product.
    ///
    /// # Panics
    /// If `x.ncols()` differs from the number of features.
    pub fn predict_batch(&self, x: MatRef<'_, f64>, par: Par) -> Vec<f64> {
        assert_eq!(
            x.ncols(),
            self.coef.len(),
            "predict_batch: {} feature columns, model has {}",
            x.ncols(),
            self.coef.len()
        );
        let w = MatRef::from_col_major(&self.coef, self.coef.len(), 1);
        let mut out = Mat::filled(x.nrows(), 1, self.intercept);
        gemm(1.0, x, w, 1.0, out.as_mut(), par);
        out.as_slice().to_vec()
    }
}
