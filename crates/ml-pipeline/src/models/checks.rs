//! Checks on training data, with the row and column of anything wrong.

use crate::error::{PipelineError, Result};
use fast_math::MatRef;

/// Checks `x` (`n x k`) and, if given, `y` (`n`): non-empty, matching lengths, all finite.
pub(crate) fn check_xy(x: MatRef<'_, f64>, y: Option<&[f64]>) -> Result<()> {
    check_shapes(x, y)?;
    check_finite(x, y)
}

/// The shape half of [`check_xy`]: non-empty, matching lengths.
pub(crate) fn check_shapes(x: MatRef<'_, f64>, y: Option<&[f64]>) -> Result<()> {
    let (n, k) = (x.nrows(), x.ncols());
    if n == 0 || k == 0 {
        return Err(PipelineError::EmptyData { rows: n, cols: k });
    }
    if let Some(y) = y {
        if y.len() != n {
            return Err(PipelineError::ShapeMismatch {
                what: "target length vs feature rows",
                expected: n,
                got: y.len(),
            });
        }
    }
    Ok(())
}

/// The value half of [`check_xy`]: every value finite, else the first bad one in reading
/// order (row by row, the target after the row's features).
pub(crate) fn check_finite(x: MatRef<'_, f64>, y: Option<&[f64]>) -> Result<()> {
    let (n, k) = (x.nrows(), x.ncols());
    for i in 0..n {
        for j in 0..k {
            let v = x.get(i, j);
            if !v.is_finite() {
                return Err(PipelineError::NonFinite {
                    row: i,
                    col: j,
                    value: v,
                });
            }
        }
        if let Some(v) = y.map(|y| y[i]).filter(|v| !v.is_finite()) {
            return Err(PipelineError::NonFinite {
                row: i,
                col: k,
                value: v,
            });
        }
    }
    Ok(())
}

/// The hyperparameters of the Newton-solved classifiers (logistic, softmax): `c` finite and
/// positive, at least one iteration, a positive tolerance.
pub(crate) fn check_newton_settings(
    model: &'static str,
    c: f64,
    max_iter: usize,
    tol: f64,
) -> Result<()> {
    let bad = |name, value: String, expected: &str| PipelineError::InvalidHyperparameter {
        model,
        name,
        value,
        expected: expected.into(),
    };
    if !(c > 0.0 && c.is_finite()) {
        return Err(bad("c", c.to_string(), "finite and > 0"));
    }
    if max_iter == 0 {
        return Err(bad("max_iter", "0".into(), "at least 1"));
    }
    if tol.is_nan() || tol <= 0.0 {
        return Err(bad("tol", tol.to_string(), "> 0"));
    }
    Ok(())
}

/// `e` with its row counted from the first row of the data when the rows came in chunks and
/// `seen` rows came before the chunk that failed.
pub(crate) fn shift_row(e: PipelineError, seen: usize) -> PipelineError {
    match e {
        PipelineError::NonFinite { row, col, value } => PipelineError::NonFinite {
            row: row + seen,
            col,
            value,
        },
        other => other,
    }
}
