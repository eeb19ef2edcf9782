//! The typed errors of this crate.
//!
//! Each variant carries what a caller needs to act on it (the row and column of a bad value,
//! the model and hyperparameter out of range, the file and field of a bad model file) as
//! fields, not only as text; `Display` turns them into one line for a person.

use fast_math::LinalgError;
use std::path::PathBuf;
use thiserror::Error;

/// Everything in the pipeline that depends on data, configuration or files and can fail.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// A model's hyperparameter is out of its allowed range (checked in one place per model:
    /// its [`Fit::check`](crate::Fit::check)).
    #[error("{model}: {name} must be {expected} (got {value})")]
    InvalidHyperparameter {
        /// The model or transform (`"ridge"`, `"logistic regression"`, `"PCA"`, ...).
        model: &'static str,
        /// The hyperparameter's field name.
        name: &'static str,
        /// The value given, as text.
        value: String,
        /// The allowed range, in words.
        expected: String,
    },
    /// A feature or pipeline setting is out of its allowed range.
    #[error("{name} must be {expected} (got {value})")]
    InvalidSetting {
        /// The setting's field name (`"window"`, `"horizon"`, ...).
        name: &'static str,
        /// The value given, as text.
        value: String,
        /// The allowed range, in words.
        expected: String,
    },
    /// Training data has no rows (or no columns).
    #[error("no training data ({rows} rows x {cols} columns)")]
    EmptyData {
        /// Rows given.
        rows: usize,
        /// Columns given.
        cols: usize,
    },
    /// Two inputs that must agree in size do not.
    #[error("shape mismatch: {what}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// What was being compared.
        what: &'static str,
        /// The size required.
        expected: usize,
        /// The size given.
        got: usize,
    },
    /// A value is NaN or infinite where finite data is required.
    #[error("non-finite value {value} at row {row}, column {col}")]
    NonFinite {
        /// Row (0-based) of the first offending value.
        row: usize,
        /// Column (0-based); for targets, the number of feature columns.
        col: usize,
        /// The value.
        value: f64,
    },
    /// A bar whose values the bar features cannot use (a non-positive price under a
    /// logarithm, a negative volume, a high below its low).
    #[error("bar at row {row}: {problem}")]
    InvalidBar {
        /// Row (0-based) of the first bad bar.
        row: usize,
        /// What is wrong with it, with the values.
        problem: String,
    },
    /// A label is not 0 or 1.
    #[error("label {value} at row {row} is not 0 or 1")]
    BadLabel {
        /// Row of the label.
        row: usize,
        /// The label.
        value: f64,
    },
    /// A supervised model was fitted without a target.
    #[error("{model} needs a target column to fit")]
    MissingTarget {
        /// The model.
        model: &'static str,
    },
    /// The linear algebra underneath failed (singular or rank-deficient system).
    #[error(transparent)]
    Linalg(#[from] LinalgError),
    /// An iterative factorization did not converge.
    #[error("{what} did not converge")]
    NoConvergence {
        /// The computation.
        what: &'static str,
    },
    /// A model file could not be read or written.
    #[error("cannot {action} model file {}: {message}", path.display())]
    ModelFileIo {
        /// The file.
        path: PathBuf,
        /// `"read"` or `"write"`.
        action: &'static str,
        /// The operating system's message.
        message: String,
    },
    /// A model file is not valid JSON.
    #[error("model file is not valid JSON: {message} (line {line}, column {column})")]
    ModelFileSyntax {
        /// Line (1-based) where parsing stopped.
        line: usize,
        /// Column (1-based) where parsing stopped.
        column: usize,
        /// What the parser found.
        message: String,
    },
    /// A model file parses but a field is missing, of the wrong type, or inconsistent.
    #[error("model file: {field}: {message}")]
    ModelFileContent {
        /// The field (a dotted path such as `stages[0].scale`).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A tree ensemble written by another library (XGBoost, LightGBM) is malformed, truncated
    /// or uses something this build does not support.
    #[error("{format} model: {at}: {message}")]
    ModelImport {
        /// The format read (`"XGBoost JSON"`, `"XGBoost UBJSON"`, `"LightGBM text"`).
        format: &'static str,
        /// Where: a field path (`learner.gradient_booster.model.trees[3].split_indices[5]`),
        /// a byte offset or a line, as precise as the format allows.
        at: String,
        /// What is wrong there.
        message: String,
    },
    /// A model reads a feature (by name) that its input does not provide.
    #[error("the model reads feature {feature:?}, which the input does not have (it has: {})", available.join(", "))]
    MissingFeature {
        /// The model's feature.
        feature: String,
        /// The input's column names.
        available: Vec<String>,
    },
    /// A model file was written by another format version.
    #[error("model file has format version {found}; this build reads versions 1 to {supported}")]
    ModelVersion {
        /// The version in the file.
        found: u32,
        /// The newest version this build reads (and the one it writes).
        supported: u32,
    },
    /// A class label is not one of the classes a classifier was asked for.
    #[error("label {value} at row {row} is not a class: expected {expected}")]
    BadClassLabel {
        /// Row of the label.
        row: usize,
        /// The label.
        value: f64,
        /// The labels allowed, in words (`"an integer in 0..3"`).
        expected: String,
    },
    /// A sample weight is negative or not finite, or all weights are zero.
    #[error("sample weight {value} at row {row} must be finite and >= 0 (and not all 0)")]
    BadWeight {
        /// Row of the weight (the first row when all are zero).
        row: usize,
        /// The weight.
        value: f64,
    },
    /// An accumulator's encoded state (`to_state`) cannot be decoded: another format
    /// version or kind, another number of features, a wrong length, or values no encoder
    /// writes.
    #[error("{what} accumulator state: {message}")]
    AccumulatorState {
        /// The accumulator (`"ridge"`, `"PCA"`).
        what: &'static str,
        /// What is wrong, with the values involved.
        message: String,
    },
}

impl PipelineError {
    /// Whether the error is about a model file (I/O, syntax, content or version).
    pub fn is_model_file(&self) -> bool {
        matches!(
            self,
            PipelineError::ModelFileIo { .. }
                | PipelineError::ModelFileSyntax { .. }
                | PipelineError::ModelFileContent { .. }
                | PipelineError::ModelVersion { .. }
                | PipelineError::ModelImport { .. }
        )
    }

    /// A [`PipelineError::ModelFileContent`] for `field`.
    pub(crate) fn content(field: impl Into<String>, message: impl Into<String>) -> Self {
        PipelineError::ModelFileContent {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = PipelineError> = std::result::Result<T, E>;
