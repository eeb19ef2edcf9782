//! The document tree both XGBoost readers (JSON text and UBJSON) produce, and checked access
//! to it that names the field path of anything missing or mistyped.
//!
//! Numbers keep the form they were stored in: binary floats and integers as read, JSON
//! decimals as their text. A float32 field (XGBoost's thresholds and leaf values) is then
//! parsed from the text straight to `f32`, rounding once; going through `f64` first could
//! round twice and land on the other neighbour.

use crate::error::PipelineError;
use std::borrow::Cow;
use std::fmt;

/// One node of a parsed document.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    F32(f32),
    F64(f64),
    /// A JSON number, as written (already checked against the JSON grammar).
    Num(&'a str),
    Str(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

impl Value<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::F32(_) | Value::F64(_) | Value::Num(_) => "a number",
            Value::Str(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

/// Where a value sits in the document: a chain of keys and indices, printed only when an
/// error needs it (so walking a large model allocates no path strings).
#[derive(Clone, Copy)]
pub(super) struct At<'p> {
    pub format: &'static str,
    parent: Option<&'p At<'p>>,
    key: Option<&'p str>,
    index: usize,
}

impl<'p> At<'p> {
    /// The document's root.
    pub fn root(format: &'static str) -> Self {
        At {
            format,
            parent: None,
            key: None,
            index: 0,
        }
    }

    /// The member `key` of this object.
    pub fn key(&'p self, key: &'p str) -> At<'p> {
        At {
            format: self.format,
            parent: Some(self),
            key: Some(key),
            index: 0,
        }
    }

    /// Element `index` of this array.
    pub fn index(&'p self, index: usize) -> At<'p> {
        At {
            format: self.format,
            parent: Some(self),
            key: None,
            index,
        }
    }

    /// A [`PipelineError::ModelImport`] at this place.
    pub fn error(&self, message: impl Into<String>) -> PipelineError {
        PipelineError::ModelImport {
            format: self.format,
            at: self.to_string(),
            message: message.into(),
        }
    }

    fn expected(&self, what: &str, v: &Value<'_>) -> PipelineError {
        self.error(format!("expected {what}, found {}", v.kind()))
    }
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(parent) = self.parent else {
            return f.write_str("(document root)");
        };
        if parent.parent.is_some() {
            parent.fmt(f)?;
        }
        match self.key {
            Some(k) if parent.parent.is_some() => write!(f, ".{k}"),
            Some(k) => f.write_str(k),
            None => write!(f, "[{}]", self.index),
        }
    }
}

/// The members of an object.
pub(super) fn members<'v, 'a>(
    v: &'v Value<'a>,
    at: &At<'_>,
) -> Result<&'v [(Cow<'a, str>, Value<'a>)], PipelineError> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(at.expected("an object", other)),
    }
}

/// Member `key` of an object, if present.
pub(super) fn opt<'v, 'a>(
    v: &'v Value<'a>,
    at: &At<'_>,
    key: &str,
) -> Result<Option<&'v Value<'a>>, PipelineError> {
    Ok(members(v, at)?
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v))
}

/// Member `key` of an object; an error naming it when absent.
pub(super) fn field<'v, 'a>(
    v: &'v Value<'a>,
    at: &At<'_>,
    key: &str,
) -> Result<&'v Value<'a>, PipelineError> {
    opt(v, at, key)?.ok_or_else(|| at.key(key).error("missing"))
}

/// The elements of an array.
pub(super) fn array<'v, 'a>(
    v: &'v Value<'a>,
    at: &At<'_>,
) -> Result<&'v [Value<'a>], PipelineError> {
    match v {
        Value::Array(a) => Ok(a),
        other => Err(at.expected("an array", other)),
    }
}

/// A string.
pub(super) fn string<'v>(v: &'v Value<'_>, at: &At<'_>) -> Result<&'v str, PipelineError> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(at.expected("a string", other)),
    }
}

/// An integer: a number, or a string holding one (XGBoost writes its parameters as strings).
pub(super) fn int(v: &Value<'_>, at: &At<'_>) -> Result<i64, PipelineError> {
    let bad = || at.error(format!("expected an integer, found {}", show(v)));
    match v {
        Value::Int(i) => Ok(*i),
        Value::Num(s) => s.parse().map_err(|_| bad()),
        Value::Str(s) => s.trim().parse().map_err(|_| bad()),
        Value::Bool(b) => Ok(i64::from(*b)),
        _ => Err(bad()),
    }
}

/// A non-negative integer that fits in `usize` and is at most `max`.
pub(super) fn count(v: &Value<'_>, at: &At<'_>, max: usize) -> Result<usize, PipelineError> {
    let i = int(v, at)?;
    usize::try_from(i)
        .ok()
        .filter(|&n| n <= max)
        .ok_or_else(|| at.error(format!("{i} is not in 0..={max}")))
}

/// A float32 value, rounded once from whatever form it was stored in.
pub(super) fn f32_value(v: &Value<'_>, at: &At<'_>) -> Result<f32, PipelineError> {
    match v {
        Value::F32(x) => Ok(*x),
        #[allow(clippy::cast_possible_truncation)] // float32 fields stored wider round here
        Value::F64(x) => Ok(*x as f32),
        #[allow(clippy::cast_precision_loss)] // as XGBoost reads an integer into a float
        Value::Int(i) => Ok(*i as f32),
        Value::Num(s) => s
            .parse()
            .map_err(|_| at.error(format!("expected a number, found {s}"))),
        Value::Str(s) => s
            .trim()
            .parse()
            .map_err(|_| at.error(format!("expected a number, found {s:?}"))),
        other => Err(at.expected("a number", other)),
    }
}

/// A short description of a value for messages.
fn show(v: &Value<'_>) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::F32(x) => x.to_string(),
        Value::F64(x) => x.to_string(),
        Value::Num(s) => (*s).to_string(),
        Value::Str(s) => format!("{:?}", s.chars().take(40).collect::<String>()),
        other => other.kind().to_string(),
    }
}
