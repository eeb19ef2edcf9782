//! The typed errors of this crate.

use fast_math::LinalgError;
use thiserror::Error;

/// Everything in the pipeline that depends on data, configuration or files and can fail.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PipelineError {
    /// A configuration value or hyperparameter is out of its allowed range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
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
        what: String,
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
    /// A label is not 0 or 1.
    #[error("label {value} at row {row} is not 0 or 1")]
    BadLabel {
        /// Row of the label.
        row: usize,
        /// The label.
        value: f64,
    },
    /// The linear algebra underneath failed (singular or rank-deficient system).
    #[error(transparent)]
    Linalg(#[from] LinalgError),
    /// A model file could not be read, parsed or checked.
    #[error("model file: {0}")]
    ModelFile(String),
    /// A model file was written by another format version.
    #[error("model file has format version {found}; this build reads version {supported}")]
    ModelVersion {
        /// The version in the file.
        found: u32,
        /// The version this build reads and writes.
        supported: u32,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = PipelineError> = std::result::Result<T, E>;
