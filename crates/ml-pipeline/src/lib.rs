//! `ml-pipeline` (layer 4): rolling feature extraction, model training (ridge, logistic
//! regression, PCA), tree ensembles imported from XGBoost and LightGBM
//! ([`models::GbdtModel`], predicting exactly what the libraries predict), and
//! zero-allocation prediction, built on the three lower layers.
//!
//! Features follow pandas' definitions (`rolling(w).mean()`, `.std()` with ddof 1, `.skew()`
//! G1, `.kurt()` G2), computed in O(1) per tick with bounded drift; models follow
//! scikit-learn's.
//!
//! Every model and transform shares one interface ([`Fit`], [`Predict`], [`Transform`],
//! [`Accumulator`] / [`FitIncremental`]): hyperparameters fit into a fitted model, which
//! predicts into the caller's buffer without allocating. A [`SavedModel`] chains fitted
//! stages (scaler, PCA) and a model, is saved as a versioned JSON file, and is what
//! [`IntegratedMlPipeline`] streams ticks through. An imported tree ensemble joins the same
//! way: [`SavedGbdt`] keeps it with the library's file (so a model file can hold it), and
//! [`IntegratedMlPipeline::set_model`] serves it on the pipeline's feature columns of its
//! feature names, allocating nothing per tick; [`ModelFile`] reads any model file, telling
//! ours, XGBoost's and LightGBM's apart by content.
//!
//! Streaming features and a fitted model, tick by tick (`examples/streaming.rs`; also
//! `examples/batch.rs`, `examples/save_load.rs`, and `examples/gbdt_predict.rs` for
//! imported tree ensembles):
//!
//! ```
//! use fast_math::{Mat, Par};
//! use ml_pipeline::{extract_features, FeatureConfig, Fit, Predict, Ridge, RollingFeatures};
//!
//! let history: Vec<f64> = (0..2_000).map(|t| 100.0 + (t as f64 / 50.0).sin()).collect();
//! let cfg = FeatureConfig::with_window(16);
//!
//! // Fit ridge of the next log return on the features of the history.
//! let fm = extract_features(&history, &cfg, Par::Seq)?;
//! let rows: Vec<usize> = (0..history.len() - 1)
//!     .filter(|&t| fm.row(t).iter().all(|v| v.is_finite()))
//!     .collect();
//! let x = Mat::from_fn(rows.len(), fm.ncols(), |i, j| fm.get(rows[i], j));
//! let y: Vec<f64> = rows.iter().map(|&t| (history[t + 1] / history[t]).ln()).collect();
//! let model = Ridge::default().fit(x.as_ref(), &y, Par::Seq)?;
//!
//! // Then stream: O(1) feature updates, predictions into a buffer allocated once.
//! let mut features = RollingFeatures::primed(cfg, &history)?;
//! let mut out = [0.0];
//! for price in [100.2, 100.3, 100.1] {
//!     if let Some(row) = features.update(price) {
//!         model.predict_one(row, &mut [], &mut out);
//!         assert!(out[0].is_finite());
//!     }
//! }
//! # Ok::<(), ml_pipeline::PipelineError>(())
//! ```

mod ablation;
mod error;
pub mod features;
mod io;
mod latency;
pub mod models;
mod pipeline;
mod traits;
mod workers;

pub use ablation::Ablation;
pub use error::{PipelineError, Result};
pub use features::{
    extract_bar_features, extract_bar_features_grouped, extract_features, extract_features_grouped,
    forward_targets, Bar, BarInputs, Bars, FeatureConfig, FeatureMatrix, Groups,
    KeyedRollingFeatures, RollingFeatures,
};
pub use models::{
    ColumnSelect, GbdtFormat, GbdtModel, Library, LinearModel, LogisticModel, LogisticRegression,
    Model, ModelFile, Pca, PcaAccumulator, PcaModel, PolynomialDesign, Ridge, RidgeAccumulator,
    RidgeReport, SavedGbdt, SavedModel, ScalerModel, SoftmaxModel, SoftmaxRegression, SolveMethod,
    Stage, StandardScaler, ACCUMULATOR_STATE_VERSION, MAX_NORMAL_EQUATIONS_CONDITION,
};
pub use pipeline::{
    FitReport, IntegratedMlPipeline, ModelSpec, PipelineBuilder, PipelineConfig, PipelineMetrics,
    Prediction,
};
pub use traits::{
    likeliest, Accumulator, ChunkVisitor, Fit, FitIncremental, Output, Predict, RowChunks, Target,
    Transform,
};
