//! Standardization of features, as scikit-learn's `StandardScaler`.

use super::checks::{check_xy, shift_row};
use crate::ablation::Ablation;
use crate::error::{PipelineError, Result};
use crate::traits::{Fit, Target, Transform};
use fast_math::{MatRef, Par};
use serde::{Deserialize, Serialize};
use simd_kernels::Isa;

/// Standardization, `x' = (x - mean) / scale`, with scikit-learn's conventions: the
/// population standard deviation (ddof 0) as scale, and 1 for constant features.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StandardScaler;

/// A fitted [`StandardScaler`]: per-feature mean and scale.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalerModel {
    /// Mean of each feature.
    pub mean: Vec<f64>,
    /// Scale of each feature (never 0).
    pub scale: Vec<f64>,
}

impl Fit for StandardScaler {
    type Fitted = ScalerModel;

    /// No hyperparameters to check.
    fn check(&self) -> Result<()> {
        Ok(())
    }

    /// Learns means and scales from the rows of `x` (the target is ignored).
    ///
    /// # Errors
    /// [`PipelineError::EmptyData`] or [`PipelineError::NonFinite`].
    fn fit_ablated(
        &self,
        ablation: Ablation,
        x: MatRef<'_, f64>,
        _y: Target<'_>,
        _par: Par,
    ) -> Result<ScalerModel> {
        check_xy(x, None)?;
        let n = x.nrows();
        let (mut mean, mut scale) = (Vec::with_capacity(x.ncols()), Vec::with_capacity(x.ncols()));
        let mut col = vec![0.0; n];
        for j in 0..x.ncols() {
            for (i, c) in col.iter_mut().enumerate() {
                *c = x.get(i, j);
            }
            let m = simd_kernels::moments_with(ablation.isa, &col);
            let sd = (m.m2 / n as f64).sqrt();
            mean.push(m.mean);
            scale.push(if sd > 0.0 { sd } else { 1.0 });
        }
        Ok(ScalerModel { mean, scale })
    }
}

impl StandardScaler {
    /// Learns means and scales from every row of `data`, read in one pass chunk by chunk
    /// (the chunks' moments merged by Chan et al.'s update): [`Fit::fit`]'s answer up to
    /// rounding, in memory for one chunk.
    ///
    /// # Errors
    /// `data`'s own errors; [`PipelineError::EmptyData`] for no rows,
    /// [`PipelineError::ShapeMismatch`] for a chunk of another width,
    /// [`PipelineError::NonFinite`] naming the row (from the first of the data) and column.
    pub fn fit_chunks<S: crate::RowChunks>(
        &self,
        data: &mut S,
    ) -> std::result::Result<ScalerModel, S::Error> {
        let k = data.n_features();
        let isa = Isa::detect();
        let mut moments = vec![simd_kernels::Moments::default(); k];
        let mut col = Vec::new();
        let mut seen = 0usize;
        data.pass(&mut |x, _| {
            if x.nrows() == 0 {
                return Ok(());
            }
            if x.ncols() != k {
                return Err(PipelineError::ShapeMismatch {
                    what: "chunk feature columns",
                    expected: k,
                    got: x.ncols(),
                });
            }
            check_xy(x, None).map_err(|e| shift_row(e, seen))?;
            for (j, m) in moments.iter_mut().enumerate() {
                col.clear();
                col.extend((0..x.nrows()).map(|i| x.get(i, j)));
                *m = m.merge(&simd_kernels::moments_with(isa, &col));
            }
            seen += x.nrows();
            Ok(())
        })?;
        if seen == 0 || k == 0 {
            return Err(PipelineError::EmptyData {
                rows: seen,
                cols: k,
            }
            .into());
        }
        let scale = moments
            .iter()
            .map(|m| (m.m2 / seen as f64).sqrt())
            .map(|sd| if sd > 0.0 { sd } else { 1.0 })
            .collect();
        Ok(ScalerModel {
            mean: moments.iter().map(|m| m.mean).collect(),
            scale,
        })
    }
}

impl ScalerModel {
    /// Checks a model read from a file: as many scales as means, finite values, positive
    /// scales, `k` features.
    pub(crate) fn validate(&self, field: &str, k: usize) -> Result<()> {
        if self.mean.len() != self.scale.len() {
            return Err(PipelineError::content(
                field,
                format!(
                    "scaler has {} means but {} scales",
                    self.mean.len(),
                    self.scale.len()
                ),
            ));
        }
        if self.mean.iter().chain(&self.scale).any(|v| !v.is_finite())
            || self.scale.iter().any(|&s| s <= 0.0)
        {
            return Err(PipelineError::content(
                field,
                "scaler values must be finite with positive scales",
            ));
        }
        if self.mean.len() != k {
            return Err(PipelineError::content(
                field,
                format!("scaler has {} features, model {k}", self.mean.len()),
            ));
        }
        Ok(())
    }
}

impl Transform for ScalerModel {
    fn n_features(&self) -> usize {
        self.mean.len()
    }

    fn n_outputs(&self) -> usize {
        self.mean.len()
    }

    #[inline]
    fn transform_one_with(&self, _isa: Isa, x: &[f64], _scratch: &mut [f64], out: &mut [f64]) {
        assert_eq!(
            x.len(),
            self.mean.len(),
            "scaler: {} values for {} features",
            x.len(),
            self.mean.len()
        );
        assert_eq!(
            out.len(),
            x.len(),
            "scaler: {} outputs for {} values",
            out.len(),
            x.len()
        );
        for (((o, v), m), s) in out.iter_mut().zip(x).zip(&self.mean).zip(&self.scale) {
            *o = (v - m) / s;
        }
    }
}
