//! `gbdt_histogram(grad, hess, b1, .., bk)`: the gradient/hessian histograms of histogram
//! gradient boosting, per feature and bin code, as a mergeable aggregate; `GROUP BY leaf`
//! gives one level of a tree's histograms, the part of training that reads the rows.

mod batch;
mod result;
mod sums;

pub use result::{GbdtHistograms, BINS};

use crate::args::{check_count, feature_names, numbers};
use crate::state::{each_state, group_states, state_field, state_scalar};
use batch::Batch;
use datafusion::arrow::array::{ArrayRef, BooleanArray, StringArray};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{plan_err, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use result::NAME;
use std::sync::Arc;
use sums::Sums;

/// The aggregate `gbdt_histogram(grad, hess, b1, .., bk)`: per bin-code column (feature) and
/// per bin code, the sums of the gradient and the hessian and the number of rows, as the
/// JSON text of [`GbdtHistograms`] (read it back with [`GbdtHistograms::from_json`]).
///
/// `grad` and `hess` are numbers (Float64, Float32 or any numeric type, cast to Float64);
/// `b1, .., bk` (k >= 1) are integer columns of bin codes from 0 to 255, the trainer's `u8`
/// bins. The function bins nothing: the codes come binned. The trainer's convention for a
/// missing value is a bin of its own, the code after the feature's value bins (`v` for a
/// feature with value bins `0..v`); give missing values that code (`COALESCE(b, v)`),
/// because a null bin code, like a null gradient or hessian, skips the row, as every
/// aggregate of this crate skips rows with a null in any argument. A code outside 0..=255
/// (a non-integer type is a planning error) and a gradient or hessian that is NaN or
/// infinite once rounded to float32 are execution errors naming the argument and the value.
///
/// Sums are the trainer's: each `(gradient, hessian)` pair is rounded to float32 and added in
/// float64 by `simd_kernels::histogram_gh` (the rows of each batch in one call per feature
/// and group). On values whose sums are all representable (dyadic values of moderate size)
/// the result is exact whatever the batches, partitions or merge order; otherwise it may
/// differ from a one-pass sum by rounding, about `n eps sum |g|` per bin for `n` rows.
/// A group with no usable row gives null.
///
/// `GROUP BY leaf_id` gives one histogram per tree leaf: with the rows' current leaf
/// assignment and gradients as columns, one query builds a tree level's histograms, each
/// partition summing its own rows. The partial state of a group is one `List<Float64>` of
/// `3 k 256` values (the sums, then the counts as Float64) merged by adding; when DataFusion
/// skips pre-aggregation because groups hardly repeat, each row travels as a state of
/// `k + 2` values instead (its codes and pair).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct GbdtHistogramUdaf {
    signature: Signature,
}

impl Default for GbdtHistogramUdaf {
    fn default() -> Self {
        GbdtHistogramUdaf {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The features' names: the bin-code arguments' columns.
fn names(args: &AccumulatorArgs) -> Vec<String> {
    feature_names(&args.exprs[2..])
}

impl AggregateUDFImpl for GbdtHistogramUdaf {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let takes = "the gradient, the hessian and at least one bin-code column, \
                     gbdt_histogram(grad, hess, b1, .., bk)";
        check_count(NAME, arg_types.len(), 3, None, takes)?;
        let mut out = numbers(NAME, &arg_types[..2])?;
        for (i, t) in arg_types.iter().enumerate().skip(2) {
            out.push(match t {
                t if t.is_integer() => t.clone(),
                DataType::Null => DataType::UInt8,
                t => {
                    return plan_err!(
                        "{NAME}: argument {} (the bin codes of feature {}) is of type {t}, \
                         expected integers (bin codes 0..=255)",
                        i + 1,
                        i - 1
                    )
                }
            });
        }
        Ok(out)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let names = names(&args);
        Ok(Box::new(HistogramAccumulator {
            sums: Sums::new(names.len(), 1),
            batch: Batch::default(),
            names,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![state_field(format_state_name(args.name, "sums"))])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        let names = names(&args);
        Ok(Box::new(HistogramGroups {
            sums: Sums::new(names.len(), 0),
            batch: Batch::default(),
            names,
        }))
    }
}

/// `gbdt_histogram` over one group.
#[derive(Debug)]
struct HistogramAccumulator {
    sums: Sums,
    batch: Batch,
    names: Vec<String>,
}

impl Accumulator for HistogramAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.batch.read(values, None, None)?;
        self.sums.add(&self.batch, None);
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for state in each_state(NAME, &states[0])?.flatten() {
            self.sums.merge(0, state)?;
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![state_scalar(&self.sums.state(0))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Utf8(
            self.sums.results(&self.names).pop().flatten(),
        ))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.sums.bytes()
    }
}

/// `gbdt_histogram` over many groups: `3 k 256` numbers per group, each batch's rows
/// ordered by group and added group by group.
#[derive(Debug)]
struct HistogramGroups {
    sums: Sums,
    batch: Batch,
    names: Vec<String>,
}

impl GroupsAccumulator for HistogramGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.sums.resize(total_num_groups);
        self.batch.read(values, opt_filter, Some(group_indices))?;
        self.sums.add(&self.batch, Some(group_indices));
        Ok(())
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.sums.resize(total_num_groups);
        for (g, state) in group_states(NAME, &values[0], group_indices)? {
            self.sums.merge(g, state)?;
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let taken = self.sums.take(emit_to);
        Ok(Arc::new(StringArray::from(taken.results(&self.names))))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(vec![self.sums.take(emit_to).states()])
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let mut batch = Batch::default();
        batch.read(values, opt_filter, None)?;
        Ok(vec![Sums::row_states(&batch, values[0].len())])
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.sums.bytes()
    }
}
