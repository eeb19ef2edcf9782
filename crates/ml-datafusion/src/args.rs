//! Arguments of the functions: type checks and coercion, the rows to use (no null in any
//! argument), literal hyperparameters, and the names of the feature columns.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array};
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::common::{exec_err, plan_err, Result, ScalarValue};
use datafusion::logical_expr::ColumnarValue;
use datafusion::physical_expr::expressions::{Column, Literal};
use datafusion::physical_expr::utils::collect_columns;
use datafusion::physical_expr::PhysicalExpr;
use std::sync::Arc;

/// Whether a value of type `t` can be a number of the functions (cast to Float64).
pub(crate) fn is_number(t: &DataType) -> bool {
    t.is_numeric() || matches!(t, DataType::Null)
}

/// Float64 for every argument, or a planning error naming the function and the first
/// argument that is not a number.
pub(crate) fn numbers(name: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    numbers_from(name, arg_types, 0)
}

/// Float64 for every argument, after checking those from index `first` on.
fn numbers_from(name: &str, arg_types: &[DataType], first: usize) -> Result<Vec<DataType>> {
    for (i, t) in arg_types.iter().enumerate().skip(first) {
        if !is_number(t) {
            return plan_err!(
                "{name}: argument {} is of type {t}, expected a number",
                i + 1
            );
        }
    }
    Ok(vec![DataType::Float64; arg_types.len()])
}

/// Utf8 then Float64 for the rest: the types of a function whose first argument is text
/// (`what` says what text, for the error) and whose others are numbers.
pub(crate) fn text_then_numbers(
    name: &str,
    arg_types: &[DataType],
    what: &str,
) -> Result<Vec<DataType>> {
    match arg_types.first() {
        Some(DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null) => {}
        Some(t) => return plan_err!("{name}: argument 1 is of type {t}, expected {what}"),
        None => return plan_err!("{name}: no arguments; the first is {what}"),
    }
    let mut out = numbers_from(name, arg_types, 1)?;
    out[0] = DataType::Utf8;
    Ok(out)
}

/// A planning error unless `lo <= n` (and `n <= hi` when given), naming the function and
/// what it takes.
pub(crate) fn check_count(
    name: &str,
    n: usize,
    lo: usize,
    hi: Option<usize>,
    takes: &str,
) -> Result<()> {
    if n < lo || hi.is_some_and(|hi| n > hi) {
        return plan_err!("{name} takes {takes}; got {n} argument(s)");
    }
    Ok(())
}

/// The values of an argument coerced to Float64.
pub(crate) fn floats<'a>(name: &str, array: &'a ArrayRef) -> Result<&'a Float64Array> {
    match array.as_primitive_opt::<Float64Type>() {
        Some(a) => Ok(a),
        None => exec_err!(
            "{name}: an argument arrived as {}, not as Float64",
            array.data_type()
        ),
    }
}

/// The rows of a batch an aggregate reads: those where every argument is non-null and the
/// `FILTER` clause (if any) holds. `None` when that is every row.
pub(crate) fn usable_rows<A: Array>(
    columns: &[A],
    filter: Option<&BooleanArray>,
) -> Option<Vec<bool>> {
    let any_null = columns.iter().any(|c| c.null_count() > 0);
    if !any_null && filter.is_none() {
        return None;
    }
    let n = columns.first().map_or(0, |c| c.len());
    Some(
        (0..n)
            .map(|i| {
                columns.iter().all(|c| c.is_valid(i))
                    && filter.is_none_or(|f| f.is_valid(i) && f.value(i))
            })
            .collect(),
    )
}

/// The value of a constant argument (one that reads no column: a literal, or an
/// expression of literals such as `CAST(1 AS DOUBLE)`) as f64; `None` when the argument
/// reads a column or is null or not a number.
pub(crate) fn constant_f64(expr: &Arc<dyn PhysicalExpr>) -> Option<f64> {
    if let Some(lit) = expr.downcast_ref::<Literal>() {
        return scalar_f64(lit.value());
    }
    if !collect_columns(expr).is_empty() {
        return None;
    }
    let options = RecordBatchOptions::new().with_row_count(Some(1));
    let batch =
        RecordBatch::try_new_with_options(Arc::new(Schema::empty()), vec![], &options).ok()?;
    match expr.evaluate(&batch).ok()? {
        ColumnarValue::Scalar(v) => scalar_f64(&v),
        ColumnarValue::Array(a) => scalar_f64(&ScalarValue::try_from_array(&a, 0).ok()?),
    }
}

/// A numeric scalar as f64 (`None` for null and non-numbers).
pub(crate) fn scalar_f64(v: &ScalarValue) -> Option<f64> {
    if v.is_null() {
        return None;
    }
    match v.cast_to(&DataType::Float64).ok()? {
        ScalarValue::Float64(Some(x)) => Some(x),
        _ => None,
    }
}

/// The name a feature argument gives the model: the column's name when the argument is a
/// column, else `x<i>` (1-based).
pub(crate) fn feature_name(expr: &Arc<dyn PhysicalExpr>, i: usize) -> String {
    match expr.downcast_ref::<Column>() {
        Some(c) => c.name().to_string(),
        None => format!("x{}", i + 1),
    }
}

/// The names of the feature arguments: their column names, made unique (`x<i>` for a
/// repeated or computed one), so the model file reads each input by its own name.
pub(crate) fn feature_names(exprs: &[Arc<dyn PhysicalExpr>]) -> Vec<String> {
    let mut names: Vec<String> = exprs
        .iter()
        .enumerate()
        .map(|(i, e)| feature_name(e, i))
        .collect();
    for i in 0..names.len() {
        if names[..i].contains(&names[i]) {
            names[i] = format!("x{}", i + 1);
        }
    }
    names
}
