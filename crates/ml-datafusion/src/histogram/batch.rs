//! One batch of `gbdt_histogram`'s arguments turned into the histogram kernel's inputs: each
//! feature's bin codes as `u8`, and the used rows' `(gradient, hessian)` pairs as float32,
//! ordered by group. The buffers are kept from batch to batch.

use super::result::NAME;
use crate::args::{floats, usable_rows};
use datafusion::arrow::array::{Array, ArrayRef, ArrowPrimitiveType, AsArray, BooleanArray};
use datafusion::arrow::datatypes::{
    ArrowNativeType, DataType, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use datafusion::common::{exec_err, Result};

/// The kernel's inputs for one batch.
#[derive(Debug, Default)]
pub(super) struct Batch {
    /// Per feature, the bin code of every row of the batch (0 for a row not used).
    pub codes: Vec<Vec<u8>>,
    /// The rows used (no null in any argument, the `FILTER` true), grouped: the rows of a
    /// group are consecutive, in batch order.
    pub rows: Vec<u32>,
    /// The `(gradient, hessian)` of each row of `rows`, in that order, rounded to float32.
    pub pairs: Vec<[f32; 2]>,
    /// Whether `rows` is every row of the batch in order, so that a feature's codes line up
    /// with `pairs` as they are.
    pub in_order: bool,
}

impl Batch {
    /// Reads `values` (the gradient, the hessian, then `k` bin-code columns), `groups` giving
    /// each row's group (`None`: one group).
    ///
    /// # Errors
    /// A bin code outside `0..=255`, or a gradient or hessian that is not finite as a
    /// float32, in a used row (each message names the argument and the value); arguments of
    /// types other than those `coerce_types` gives.
    pub fn read(
        &mut self,
        values: &[ArrayRef],
        filter: Option<&BooleanArray>,
        groups: Option<&[usize]>,
    ) -> Result<()> {
        let [grad, hess, bins @ ..] = values else {
            return exec_err!(
                "{NAME}: {} argument columns, expected 3 or more",
                values.len()
            );
        };
        let (grad, hess) = (floats(NAME, grad)?, floats(NAME, hess)?);
        let n = grad.len();
        let Ok(last) = u32::try_from(n) else {
            return exec_err!("{NAME}: a batch of {n} rows, more than 2^32");
        };
        let keep = usable_rows(values, filter);
        self.codes.resize_with(bins.len(), Vec::new);
        for (j, (array, out)) in bins.iter().zip(&mut self.codes).enumerate() {
            codes(array, keep.as_deref(), out, j + 3)?;
        }
        self.rows.clear();
        match &keep {
            None => self.rows.extend(0..last),
            Some(k) => self.rows.extend((0..last).filter(|&i| k[i as usize])),
        }
        if let Some(g) = groups {
            // Stable: a group's rows keep their batch order.
            self.rows.sort_by_key(|&r| g[r as usize]);
        }
        self.in_order =
            self.rows.len() == n && self.rows.iter().enumerate().all(|(i, &r)| r as usize == i);
        self.pairs.clear();
        self.pairs.reserve(self.rows.len());
        let (grad, hess) = (grad.values(), hess.values());
        for &r in &self.rows {
            let (g, h) = (grad[r as usize], hess[r as usize]);
            self.pairs
                .push([float32(g, 1, "gradient")?, float32(h, 2, "hessian")?]);
        }
        Ok(())
    }
}

/// `x` rounded to float32, as the trainer keeps gradients; an error if that is not finite.
#[allow(clippy::cast_possible_truncation)] // the float32 rounding is the point
fn float32(x: f64, arg: usize, what: &str) -> Result<f32> {
    let y = x as f32;
    if y.is_finite() {
        Ok(y)
    } else {
        exec_err!("{NAME}: the {what} (argument {arg}) is {x:e}, which is not finite as a float32")
    }
}

/// The bin codes of `array` (argument `arg`, 1-based) into `out`, one per row: 0 for a row
/// that `keep` leaves out, else the row's code, which must be in `0..=255`.
fn codes(array: &ArrayRef, keep: Option<&[bool]>, out: &mut Vec<u8>, arg: usize) -> Result<()> {
    out.clear();
    out.reserve(array.len());
    match array.data_type() {
        DataType::UInt8 => codes_of::<UInt8Type>(array, keep, out, arg),
        DataType::UInt16 => codes_of::<UInt16Type>(array, keep, out, arg),
        DataType::UInt32 => codes_of::<UInt32Type>(array, keep, out, arg),
        DataType::UInt64 => codes_of::<UInt64Type>(array, keep, out, arg),
        DataType::Int8 => codes_of::<Int8Type>(array, keep, out, arg),
        DataType::Int16 => codes_of::<Int16Type>(array, keep, out, arg),
        DataType::Int32 => codes_of::<Int32Type>(array, keep, out, arg),
        DataType::Int64 => codes_of::<Int64Type>(array, keep, out, arg),
        t => exec_err!("{NAME}: argument {arg} arrived as {t}, not as integer bin codes"),
    }
}

fn codes_of<T: ArrowPrimitiveType>(
    array: &ArrayRef,
    keep: Option<&[bool]>,
    out: &mut Vec<u8>,
    arg: usize,
) -> Result<()> {
    let values = array.as_primitive::<T>().values();
    for (i, v) in values.iter().enumerate() {
        if keep.is_some_and(|k| !k[i]) {
            out.push(0);
            continue;
        }
        match v.to_usize().and_then(|c| u8::try_from(c).ok()) {
            Some(c) => out.push(c),
            None => {
                return exec_err!(
                    "{NAME}: bin code {v:?} in argument {arg} (feature {}) is outside 0..=255",
                    arg - 2
                )
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Float64Array, Int32Array, Int64Array, UInt8Array};
    use std::sync::Arc;

    fn args(bins: Vec<ArrayRef>) -> Vec<ArrayRef> {
        let n = bins[0].len();
        let g: Vec<Option<f64>> = (0..n).map(|i| Some(i as f64 + 0.5)).collect();
        let mut v: Vec<ArrayRef> = vec![
            Arc::new(Float64Array::from(g)),
            Arc::new(Float64Array::from(vec![1.0; n])),
        ];
        v.extend(bins);
        v
    }

    #[test]
    fn rows_with_a_null_are_left_out_and_rows_are_grouped_in_batch_order() {
        let b1: ArrayRef = Arc::new(UInt8Array::from(vec![Some(1), None, Some(255), Some(0)]));
        let b2: ArrayRef = Arc::new(Int64Array::from(vec![7, 300, 0, 2]));
        let mut batch = Batch::default();
        // Row 1 has a null bin code in feature 1: its code 300 in feature 2 is not read.
        batch
            .read(&args(vec![b1, b2]), None, Some(&[1, 0, 1, 0]))
            .unwrap();
        assert_eq!(batch.rows, [3, 0, 2]);
        assert_eq!(batch.codes, [vec![1, 0, 255, 0], vec![7, 0, 0, 2]]);
        assert_eq!(batch.pairs, [[3.5, 1.0], [0.5, 1.0], [2.5, 1.0]]);
        assert!(!batch.in_order);
        let filter = BooleanArray::from(vec![true, true, false, true]);
        let b: ArrayRef = Arc::new(Int32Array::from(vec![1, 2, 3, 4]));
        batch
            .read(&args(vec![b.clone()]), Some(&filter), None)
            .unwrap();
        assert_eq!(batch.rows, [0, 1, 3]);
        batch.read(&args(vec![b]), None, None).unwrap();
        assert!(batch.in_order);
    }

    #[test]
    fn codes_outside_a_byte_and_non_finite_pairs_are_errors_naming_them() {
        let mut batch = Batch::default();
        let b: ArrayRef = Arc::new(Int32Array::from(vec![1, -1]));
        let e = batch.read(&args(vec![b]), None, None).unwrap_err();
        assert!(
            e.to_string()
                .contains("bin code -1 in argument 3 (feature 1)"),
            "{e}"
        );
        let ok: ArrayRef = Arc::new(Int32Array::from(vec![1, 2]));
        let b: ArrayRef = Arc::new(Int64Array::from(vec![256, 2]));
        let e = batch
            .read(&args(vec![ok.clone(), b]), None, None)
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("bin code 256 in argument 4 (feature 2)"),
            "{e}"
        );
        let mut v = args(vec![ok]);
        v[1] = Arc::new(Float64Array::from(vec![1.0, 1e39]));
        let e = batch.read(&v, None, None).unwrap_err();
        assert!(
            e.to_string()
                .contains("the hessian (argument 2) is 1e39, which is not finite as a float32"),
            "{e}"
        );
    }
}
