//! `ml-pipeline` (layer 4): rolling feature extraction, model training (ridge, logistic
//! regression, PCA) and zero-allocation prediction, built on the three lower layers.
//!
//! Features follow pandas' definitions (`rolling(w).mean()`, `.std()` with ddof 1, `.skew()`
//! G1, `.kurt()` G2), computed in O(1) per tick with bounded drift.

mod engine;
mod error;
pub mod features;
mod io;
mod latency;
pub mod models;
mod pipeline;
mod workers;

pub use engine::Engine;
pub use error::{PipelineError, Result};
pub use features::{extract_features, FeatureConfig, FeatureMatrix, RollingFeatures};
pub use models::{
    LinearModel, LogisticModel, LogisticRegression, Model, Pca, PcaModel, Ridge, RidgeAccumulator,
    SavedModel, StandardScaler,
};
pub use pipeline::{
    FitReport, IntegratedMlPipeline, ModelSpec, PipelineBuilder, PipelineConfig, PipelineMetrics,
    Prediction,
};
