//! The trainer's public types: hyperparameters ([`GbdtParams`], checked here), the data
//! besides `x` and `y` ([`TrainExtras`], [`Validation`]) and the result ([`TrainedGbdt`]).

use super::grow::Tree;
use super::objective::Objective;
use super::split::Rules;
use crate::error::{PipelineError, Result};
use crate::models::gbdt::model::GbdtModel;
use fast_math::MatRef;

pub use super::grow::Growth;

/// Hyperparameters of the histogram GBDT trainer, named and defaulted as LightGBM's.
///
/// ```
/// use ml_pipeline::models::{GbdtParams, Objective};
/// use ml_pipeline::{Fit, Predict};
/// use fast_math::{Mat, Par};
///
/// let x = Mat::from_fn(200, 1, |i, _| i as f64);
/// let y: Vec<f64> = (0..200).map(|i| if i < 100 { 1.0 } else { 5.0 }).collect();
/// let params = GbdtParams { n_estimators: 20, learning_rate: 0.5, ..GbdtParams::default() };
/// let model = params.fit(x.as_ref(), &y, Par::Seq)?;
/// let (mut out, mut scratch) = ([0.0], vec![0.0; model.scratch_len()]);
/// model.predict_one(&[150.0], &mut scratch, &mut out);
/// assert!((out[0] - 5.0).abs() < 1e-3);
/// # Ok::<(), ml_pipeline::PipelineError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GbdtParams {
    /// The loss (LightGBM's `objective`).
    pub objective: Objective,
    /// Boosting iterations (LightGBM's `num_iterations`, default 100).
    pub n_estimators: usize,
    /// Shrinkage of every leaf (default 0.1; > 0).
    pub learning_rate: f64,
    /// Leaves per tree at most (default 31; >= 2).
    pub num_leaves: usize,
    /// Levels per tree at most (`None`: unlimited, LightGBM's `-1`).
    pub max_depth: Option<usize>,
    /// Leaf-wise (default) or depth-wise.
    pub growth: Growth,
    /// Rows a leaf needs at least (default 20).
    pub min_data_in_leaf: usize,
    /// Hessian a leaf needs at least (default 1e-3).
    pub min_sum_hessian_in_leaf: f64,
    /// L1 penalty on leaf values (default 0).
    pub lambda_l1: f64,
    /// L2 penalty on leaf values (default 0).
    pub lambda_l2: f64,
    /// Gain a split needs beyond 0 (default 0).
    pub min_gain_to_split: f64,
    /// Value bins per feature at most, besides the missing bin (default 255; 2..=255).
    pub max_bin: usize,
    /// Rows sampled to find bin bounds (LightGBM's `bin_construct_sample_cnt`, 200 000).
    pub bin_construct_sample_cnt: usize,
    /// Share of rows each bagging round keeps (default 1: no bagging).
    pub bagging_fraction: f64,
    /// Draw a new bag every this many iterations (default 0: off). As in LightGBM,
    /// `bagging_fraction < 1` needs it >= 1; here that is an error rather than ignored.
    pub bagging_freq: usize,
    /// Share of features each tree may split on (default 1).
    pub feature_fraction: f64,
    /// Seed of the binning sample, the bags and the feature samples.
    pub seed: u64,
    /// Stop when the validation metric has not improved for this many iterations (needs a
    /// validation set; `None`: never).
    pub early_stopping_rounds: Option<usize>,
}

impl Default for GbdtParams {
    fn default() -> Self {
        GbdtParams {
            objective: Objective::Regression,
            n_estimators: 100,
            learning_rate: 0.1,
            num_leaves: 31,
            max_depth: None,
            growth: Growth::LeafWise,
            min_data_in_leaf: 20,
            min_sum_hessian_in_leaf: 1e-3,
            lambda_l1: 0.0,
            lambda_l2: 0.0,
            min_gain_to_split: 0.0,
            max_bin: 255,
            bin_construct_sample_cnt: 200_000,
            bagging_fraction: 1.0,
            bagging_freq: 0,
            feature_fraction: 1.0,
            seed: 0,
            early_stopping_rounds: None,
        }
    }
}

/// Training data beyond `x` and `y`: sample weights, a validation set, feature names.
#[derive(Clone, Copy, Debug, Default)]
pub struct TrainExtras<'a> {
    /// One weight per row (finite, >= 0, not all 0); `None`: all 1.
    pub weights: Option<&'a [f64]>,
    /// Rows to measure after each iteration (for early stopping): features, labels, weights.
    /// For time series, the rows after the training rows (time-ordered split).
    pub valid: Option<Validation<'a>>,
    /// Names of the features (`f0`, `f1`, ... when `None`).
    pub feature_names: Option<&'a [String]>,
}

/// A validation set.
#[derive(Clone, Copy, Debug)]
pub struct Validation<'a> {
    /// Features, as many columns as the training set.
    pub x: MatRef<'a, f64>,
    /// Labels.
    pub y: &'a [f64],
    /// Weights (`None`: all 1).
    pub weights: Option<&'a [f64]>,
}

/// A trained ensemble: the model, what training measured, and the trees as grown (for the
/// XGBoost export).
#[derive(Clone, Debug)]
pub struct TrainedGbdt {
    /// The model; it predicts exactly what XGBoost predicts from [`Self::to_xgboost_json`].
    pub model: GbdtModel,
    /// Splits on each feature.
    pub split_count: Vec<usize>,
    /// Total gain of the splits on each feature.
    pub total_gain: Vec<f64>,
    /// The validation metric after each iteration (empty without a validation set).
    pub valid_metric: Vec<f64>,
    /// The same metric on the training rows after each iteration kept.
    pub train_metric: Vec<f64>,
    /// The metric's name (LightGBM's: `l2`, `binary_logloss`, `multi_logloss`, `quantile`).
    pub metric_name: &'static str,
    /// The iteration (0-based) with the best validation metric when early stopping ran;
    /// the model keeps the iterations up to it.
    pub best_iteration: Option<usize>,
    /// Where the training time went.
    pub phases: TrainPhases,
    pub(super) params: GbdtParams,
    pub(super) trees: Vec<Tree>,
    /// XGBoost's `base_score` values (a probability for binary).
    pub(super) base_score: Vec<f32>,
}

/// Wall-clock seconds of each phase of a training run (a clock read around each phase of
/// each tree: a few tens of nanoseconds per node, nothing next to a histogram). With
/// several threads, the histogram phase is the one that runs in parallel.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TrainPhases {
    /// Quantile bins of every feature, and the u8 columns (validation rows included).
    pub binning: f64,
    /// Gradients and hessians of the loss, every iteration.
    pub gradients: f64,
    /// Histograms of gradient and hessian per feature and bin (the smaller child built, the
    /// larger derived by subtraction).
    pub histograms: f64,
    /// The best split of each new leaf over the features' histograms.
    pub split_finding: f64,
    /// Moving each split leaf's row indices to its children (and gathering their pairs).
    pub partitioning: f64,
    /// Leaf values, the scores of the training (and validation) rows, and the metrics.
    pub updates: f64,
    /// The whole run.
    pub total: f64,
}

/// The model name in hyperparameter errors.
pub(super) const MODEL: &str = "gbdt";

impl GbdtParams {
    pub(super) fn bad(name: &'static str, value: impl ToString, expected: &str) -> PipelineError {
        PipelineError::InvalidHyperparameter {
            model: MODEL,
            name,
            value: value.to_string(),
            expected: expected.into(),
        }
    }

    /// Every hyperparameter in its range ([`Fit::check`](crate::Fit::check)).
    pub(super) fn check_settings(&self) -> Result<()> {
        let unit = |name, v: f64| {
            if v > 0.0 && v <= 1.0 {
                Ok(())
            } else {
                Err(Self::bad(name, v, "in (0, 1]"))
            }
        };
        let non_negative = |name, v: f64| {
            if v >= 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(Self::bad(name, v, "finite and >= 0"))
            }
        };
        match self.objective {
            Objective::Multiclass { n_classes } if !(2..=1 << 16).contains(&n_classes) => {
                return Err(Self::bad("n_classes", n_classes, "in 2..=65536"));
            }
            Objective::Quantile { alpha } if !(alpha > 0.0 && alpha < 1.0) => {
                return Err(Self::bad("alpha", alpha, "in (0, 1)"));
            }
            _ => {}
        }
        if self.n_estimators == 0 {
            return Err(Self::bad("n_estimators", 0, "at least 1"));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(Self::bad(
                "learning_rate",
                self.learning_rate,
                "finite and > 0",
            ));
        }
        if !(2..=1 << 17).contains(&self.num_leaves) {
            return Err(Self::bad("num_leaves", self.num_leaves, "in 2..=131072"));
        }
        if self.max_depth == Some(0) {
            return Err(Self::bad("max_depth", 0, "at least 1 (or unlimited)"));
        }
        non_negative("min_sum_hessian_in_leaf", self.min_sum_hessian_in_leaf)?;
        non_negative("lambda_l1", self.lambda_l1)?;
        non_negative("lambda_l2", self.lambda_l2)?;
        non_negative("min_gain_to_split", self.min_gain_to_split)?;
        if !(2..=255).contains(&self.max_bin) {
            return Err(Self::bad("max_bin", self.max_bin, "in 2..=255"));
        }
        if self.bin_construct_sample_cnt == 0 {
            return Err(Self::bad("bin_construct_sample_cnt", 0, "at least 1"));
        }
        unit("bagging_fraction", self.bagging_fraction)?;
        unit("feature_fraction", self.feature_fraction)?;
        if self.bagging_fraction < 1.0 && self.bagging_freq == 0 {
            return Err(Self::bad(
                "bagging_freq",
                0,
                "at least 1 when bagging_fraction < 1 (LightGBM would ignore the fraction)",
            ));
        }
        if self.early_stopping_rounds == Some(0) {
            return Err(Self::bad("early_stopping_rounds", 0, "at least 1"));
        }
        Ok(())
    }

    /// The split rules of these hyperparameters.
    pub(super) fn rules(&self) -> Rules {
        let p = self;
        Rules {
            lambda_l1: p.lambda_l1,
            lambda_l2: p.lambda_l2,
            min_data_in_leaf: p.min_data_in_leaf,
            min_sum_hessian_in_leaf: p.min_sum_hessian_in_leaf,
            min_gain_to_split: p.min_gain_to_split,
        }
    }
}
