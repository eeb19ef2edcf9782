//! Standardization of features, as scikit-learn's `StandardScaler`.

use super::data::check_xy;
use crate::error::{PipelineError, Result};
use fast_math::MatRef;
use serde::{Deserialize, Serialize};

/// Per-feature mean and scale: `x' = (x - mean) / scale`, with the population standard
/// deviation (ddof 0) as scale and 1 for constant features (scikit-learn's convention).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StandardScaler {
    /// Mean of each feature.
    pub mean: Vec<f64>,
    /// Scale of each feature (never 0).
    pub scale: Vec<f64>,
}

impl StandardScaler {
    /// Learns means and scales from the rows of `x`.
    ///
    /// # Errors
    /// [`PipelineError::EmptyData`] or [`PipelineError::NonFinite`].
    pub fn fit(x: MatRef<'_, f64>) -> Result<Self> {
        check_xy(x, None)?;
        let n = x.nrows();
        let (mut mean, mut scale) = (Vec::with_capacity(x.ncols()), Vec::with_capacity(x.ncols()));
        let mut col = vec![0.0; n];
        for j in 0..x.ncols() {
            for (i, c) in col.iter_mut().enumerate() {
                *c = x.get(i, j);
            }
            let m = simd_kernels::moments(&col);
            let sd = (m.m2 / n as f64).sqrt();
            mean.push(m.mean);
            scale.push(if sd > 0.0 { sd } else { 1.0 });
        }
        Ok(StandardScaler { mean, scale })
    }

    /// Standardizes one sample in place (no allocation).
    ///
    /// # Panics
    /// If `x.len()` differs from the number of features.
    #[inline]
    pub fn transform_in_place(&self, x: &mut [f64]) {
        assert_eq!(
            x.len(),
            self.mean.len(),
            "scaler: {} values for {} features",
            x.len(),
            self.mean.len()
        );
        for ((v, m), s) in x.iter_mut().zip(&self.mean).zip(&self.scale) {
            *v = (*v - m) / s;
        }
    }

    /// Checks internal consistency (used when loading from a file).
    pub(crate) fn validate(&self) -> Result<()> {
        if self.mean.len() != self.scale.len() {
            return Err(PipelineError::ModelFile(format!(
                "scaler has {} means but {} scales",
                self.mean.len(),
                self.scale.len()
            )));
        }
        if self.mean.iter().chain(&self.scale).any(|v| !v.is_finite())
            || self.scale.iter().any(|&s| s <= 0.0)
        {
            return Err(PipelineError::ModelFile(
                "scaler values must be finite with positive scales".into(),
            ));
        }
        Ok(())
    }
}
