//! The one error type of the program: a message printed as `mlp: <message>` (exit status 2).

use ml_pipeline::PipelineError;
use std::fmt;

/// An error to report to the user: one line, already phrased for them.
#[derive(Debug)]
pub struct CliError {
    message: String,
    /// Set when stdout was closed by the reader (`mlp features ... | head`): not a failure
    /// worth a message.
    pub broken_pipe: bool,
    /// Set for a command line clap rejected; the message is clap's, with its usage lines.
    pub usage: bool,
    /// The library's error this one reports, if any (its fields name the row, column,
    /// hyperparameter or file).
    source: Option<PipelineError>,
}

impl CliError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            broken_pipe: false,
            usage: false,
            source: None,
        }
    }

    /// A command line that does not parse, with clap's rendered message.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            usage: true,
            ..CliError::new(message)
        }
    }

    /// The message as built, possibly on several lines (usage errors); `Display` gives it on
    /// one line.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// An I/O error, with what was being done when it happened.
    pub fn io(context: impl fmt::Display, err: std::io::Error) -> Self {
        CliError {
            broken_pipe: err.kind() == std::io::ErrorKind::BrokenPipe,
            usage: false,
            message: format!("{context}: {err}"),
            source: None,
        }
    }

    /// A library error, prefixed with what was being done; kept as the error's source.
    pub fn pipeline(context: impl fmt::Display, err: PipelineError) -> Self {
        CliError {
            source: Some(err.clone()),
            ..CliError::new(format!("{context}: {err}"))
        }
    }

    /// The library error this one reports, if it reports one.
    pub fn pipeline_error(&self) -> Option<&PipelineError> {
        self.source.as_ref()
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line, whatever the underlying error printed.
        let one_line = self.message.replace(['\n', '\r'], " ");
        f.write_str(one_line.trim())
    }
}

impl std::error::Error for CliError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Shorthand for results of the program.
pub type CliResult<T> = Result<T, CliError>;
