//! The typed errors of this crate.

use thiserror::Error;

/// Everything in the pipeline that depends on data or configuration and can fail.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PipelineError {
    /// A configuration value is out of its allowed range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = PipelineError> = std::result::Result<T, E>;
