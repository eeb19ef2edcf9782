//! Training: a histogram gradient-boosted tree trainer whose hyperparameters mean what
//! LightGBM's do and whose output is a [`GbdtModel`] with XGBoost's semantics (float32
//! thresholds tested as `(float)x < t`, float32 leaves summed in float32 from XGBoost's base
//! score), so it predicts through part 1's compiled trees and exports to XGBoost JSON exactly.
//!
//! | module | holds |
//! |---|---|
//! | `binning` | quantile bins per feature (float32 bounds), the u8 columns |
//! | `dataset` | [`GbdtDataset`]: data binned ahead, chunk by chunk (less memory than float64) |
//! | `objective` | [`Objective`]: gradients, starting margins, validation metrics |
//! | `split` | the best split of a leaf on one feature's histogram; leaf values and gains |
//! | `histograms` | a leaf's histograms (kernels layer, parallel over features), subtraction |
//! | `partition` | the rows of each leaf, as ranges of one index array |
//! | `grow` | one tree, leaf-wise or depth-wise |
//! | `boost` | the boosting loop: bagging, feature sampling, scores, early stopping |
//! | `params` | [`GbdtParams`] and its checks, [`TrainExtras`], [`TrainedGbdt`] |
//! | `export` | XGBoost JSON |
//!
//! Determinism: every sum runs in an order fixed by the data (rows in partition order,
//! features in index order, each feature's histogram by one thread), so a model is the same
//! bit for bit whatever `Par` says.

mod binning;
mod boost;
mod dataset;
mod export;
mod grow;
mod histograms;
mod objective;
mod params;
mod partition;
mod split;

pub use dataset::{GbdtDataset, GbdtDatasetBuilder};
pub use objective::Objective;
pub use params::{GbdtParams, Growth, TrainExtras, TrainPhases, TrainedGbdt, Validation};

use super::model::GbdtModel;
use crate::ablation::Ablation;
use crate::error::Result;
use crate::traits::{Fit, Target};
use binning::Binned;
use fast_math::{MatRef, Par};
use params::MODEL;
use std::time::Instant;

impl GbdtParams {
    /// Trains on `x` and `y` with weights, a validation set and names.
    ///
    /// # Errors
    /// The hyperparameter errors of [`Fit::check`]; [`PipelineError::EmptyData`](crate::PipelineError::EmptyData),
    /// [`PipelineError::ShapeMismatch`](crate::PipelineError::ShapeMismatch) (labels, weights, validation columns);
    /// [`PipelineError::NonFinite`](crate::PipelineError::NonFinite) for a label that is not finite (NaN features are missing
    /// values); [`PipelineError::BadLabel`](crate::PipelineError::BadLabel) (binary), [`PipelineError::BadClassLabel`](crate::PipelineError::BadClassLabel)
    /// (multiclass); [`PipelineError::BadWeight`](crate::PipelineError::BadWeight).
    pub fn train(
        &self,
        x: MatRef<'_, f64>,
        y: &[f64],
        extras: TrainExtras<'_>,
        par: Par,
    ) -> Result<TrainedGbdt> {
        self.train_ablated(Ablation::default(), x, y, extras, par)
    }

    /// [`train`](Self::train) with the given optimization layers (the ISA of the histogram
    /// kernel).
    ///
    /// # Errors
    /// As [`train`](Self::train).
    pub fn train_ablated(
        &self,
        ablation: Ablation,
        x: MatRef<'_, f64>,
        y: &[f64],
        extras: TrainExtras<'_>,
        par: Par,
    ) -> Result<TrainedGbdt> {
        self.check()?;
        boost::check_data(self, x, y, &extras)?;
        let start = Instant::now();
        let binned = Binned::fit(
            x,
            self.max_bin,
            self.bin_construct_sample_cnt,
            self.seed,
            par,
        );
        let binning = start.elapsed().as_secs_f64();
        Ok(self.train_binned(ablation, &binned, binning, y, &extras, par))
    }

    /// Trains on a dataset binned ahead ([`GbdtParams::dataset_builder`]), with labels `y`
    /// (one per row), weights, a validation set and names: the model
    /// [`train`](Self::train) gives on the same rows. The parameters must bin as the
    /// dataset's did (`max_bin`, `bin_construct_sample_cnt`, `seed`).
    ///
    /// # Errors
    /// As [`train`](Self::train), and [`PipelineError::InvalidHyperparameter`](crate::PipelineError::InvalidHyperparameter)
    /// when a binning setting differs from the dataset's.
    pub fn train_dataset(
        &self,
        data: &GbdtDataset,
        y: &[f64],
        extras: TrainExtras<'_>,
        par: Par,
    ) -> Result<TrainedGbdt> {
        self.check()?;
        data.check_binning(self)?;
        boost::check_sizes(self, data.rows(), data.features(), y, &extras)?;
        Ok(self.train_binned(Ablation::default(), &data.binned, 0.0, y, &extras, par))
    }

    fn train_binned(
        &self,
        ablation: Ablation,
        binned: &Binned,
        binning_secs: f64,
        y: &[f64],
        extras: &TrainExtras<'_>,
        par: Par,
    ) -> TrainedGbdt {
        // The whole run inside the pool: the parallel steps of each leaf (thousands per
        // model) then start from one of the pool's own threads, which hands work to the others
        // without a sleeping caller to wake up at the end of each.
        fast_math::install(par, |_| {
            boost::train(self, ablation, binned, binning_secs, y, extras, par)
        })
    }
}

impl Fit for GbdtParams {
    type Fitted = GbdtModel;

    fn check(&self) -> Result<()> {
        self.check_settings()
    }

    /// Trains without weights or validation set; see [`GbdtParams::train`].
    fn fit_ablated(
        &self,
        ablation: Ablation,
        x: MatRef<'_, f64>,
        y: Target<'_>,
        par: Par,
    ) -> Result<GbdtModel> {
        let y = y.values(MODEL)?;
        Ok(self
            .train_ablated(ablation, x, y, TrainExtras::default(), par)?
            .model)
    }
}

impl TrainedGbdt {
    /// The model as an XGBoost JSON document (`Booster.save_model` format of XGBoost 3.x),
    /// which `xgboost.Booster(model_file=...)` loads and predicts as [`Self::model`] does,
    /// bit for bit.
    pub fn to_xgboost_json(&self) -> String {
        export::xgboost_json(self)
    }

    /// The model as a [`SavedGbdt`](crate::SavedGbdt) holding its XGBoost JSON, ready for a
    /// model file (`SavedModel::gbdt`) or `IntegratedMlPipeline::set_model`; it predicts as
    /// [`Self::model`] does.
    ///
    /// # Errors
    /// None in practice: the document is read back by the XGBoost importer, whose errors
    /// would mean an export bug.
    pub fn to_saved(&self) -> Result<crate::SavedGbdt> {
        crate::SavedGbdt::import(
            crate::GbdtFormat::XgboostJson,
            self.to_xgboost_json().into_bytes(),
        )
    }
}
