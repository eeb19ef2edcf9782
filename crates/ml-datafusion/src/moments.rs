//! `moments(x)`: count, mean, variance, standard deviation, skewness and excess kurtosis
//! of a column, as one struct, with pandas' definitions (`Series.var()` and `.std()` with
//! ddof 1, `.skew()` G1, `.kurt()` G2), from the library's mergeable [`Moments`].

use crate::args::{check_count, floats, numbers, usable_rows};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, StructArray, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type, UInt64Type};
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use simd_kernels::Moments;
use std::sync::Arc;

/// The aggregate `moments(x)`: a struct `{count, mean, var, std, skew, kurt}`.
///
/// `count` (Int64) is the number of non-null values; the others are Float64, null where
/// pandas gives NaN: `mean` with no value, `var`/`std` with fewer than 2, `skew` with fewer
/// than 3 or zero variance, `kurt` with fewer than 4 or zero variance. Nulls are skipped; a
/// NaN is a value (it makes the statistics NaN, as in pandas with `skipna=False`).
/// Read a field with `moments(x)['std']`.
///
/// Partial states are five columns (`count` as UInt64, `mean`, `m2`, `m3`, `m4`: the
/// central moment sums), merged by Chan, Terriberry and Pébay's formulas.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MomentsUdaf {
    signature: Signature,
}

impl Default for MomentsUdaf {
    fn default() -> Self {
        MomentsUdaf {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The fields of the result struct.
fn result_fields() -> Fields {
    let mut fields = vec![Field::new("count", DataType::Int64, false)];
    fields.extend(
        ["mean", "var", "std", "skew", "kurt"].map(|n| Field::new(n, DataType::Float64, true)),
    );
    fields.into()
}

/// The result struct of each group's moments.
fn results(moments: &[Moments]) -> StructArray {
    let count = Int64Array::from_iter_values(moments.iter().map(|m| m.count as i64));
    let stat = |f: fn(&Moments) -> Option<f64>| -> ArrayRef {
        Arc::new(moments.iter().map(f).collect::<Float64Array>())
    };
    StructArray::new(
        result_fields(),
        vec![
            Arc::new(count),
            stat(Moments::mean),
            stat(Moments::variance),
            stat(Moments::std),
            stat(Moments::skewness),
            stat(Moments::kurtosis),
        ],
        None,
    )
}

/// The partial states of each group: count, mean, m2, m3, m4.
fn states(moments: &[Moments]) -> Vec<ArrayRef> {
    let col = |f: fn(&Moments) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(moments.iter().map(f)))
    };
    vec![
        Arc::new(UInt64Array::from_iter_values(
            moments.iter().map(|m| m.count),
        )),
        col(|m| m.mean),
        col(|m| m.m2),
        col(|m| m.m3),
        col(|m| m.m4),
    ]
}

/// The moments of each row of partial states.
fn read_states(values: &[ArrayRef]) -> Result<impl Iterator<Item = Moments> + '_> {
    let [count, rest @ ..] = values else {
        return exec_err!("moments: expected 5 state columns, got {}", values.len());
    };
    let Some(count) = count.as_primitive_opt::<UInt64Type>() else {
        return exec_err!("moments: the count state is {}", count.data_type());
    };
    let f: Vec<&Float64Array> = rest
        .iter()
        .filter_map(|a| a.as_primitive_opt::<Float64Type>())
        .collect();
    if f.len() != 4 {
        return exec_err!("moments: expected 4 Float64 state columns");
    }
    Ok((0..count.len()).map(move |i| Moments {
        count: if count.is_valid(i) { count.value(i) } else { 0 },
        mean: f[0].value(i),
        m2: f[1].value(i),
        m3: f[2].value(i),
        m4: f[3].value(i),
    }))
}

/// The moments of one value.
fn one(x: f64) -> Moments {
    Moments {
        count: 1,
        mean: x,
        ..Moments::default()
    }
}

impl AggregateUDFImpl for MomentsUdaf {
    fn name(&self) -> &str {
        "moments"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_count(
            "moments",
            arg_types.len(),
            1,
            Some(1),
            "one argument, moments(x)",
        )?;
        numbers("moments", arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(result_fields()))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(MomentsAccumulator::default()))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let name = |s| format_state_name(args.name, s);
        let mut fields = vec![Field::new(name("count"), DataType::UInt64, true)];
        fields.extend(
            ["mean", "m2", "m3", "m4"].map(|s| Field::new(name(s), DataType::Float64, true)),
        );
        Ok(fields.into_iter().map(Arc::new).collect())
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(MomentsGroups::default()))
    }
}

/// `moments` over one group: the library's batch kernel on each batch's values, merged.
#[derive(Debug, Default)]
struct MomentsAccumulator {
    moments: Moments,
}

impl Accumulator for MomentsAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let x = floats("moments", &values[0])?;
        let batch = if x.null_count() == 0 {
            simd_kernels::moments(x.values())
        } else {
            let kept: Vec<f64> = x.iter().flatten().collect();
            simd_kernels::moments(&kept)
        };
        self.moments = self.moments.merge(&batch);
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for m in read_states(states)? {
            self.moments = self.moments.merge(&m);
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        states(&[self.moments])
            .iter()
            .map(|a| ScalarValue::try_from_array(a, 0))
            .collect()
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Struct(Arc::new(results(&[self.moments]))))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

/// `moments` over many groups at once: one [`Moments`] per group, each value merged into
/// its group's.
#[derive(Debug, Default)]
struct MomentsGroups {
    moments: Vec<Moments>,
}

impl GroupsAccumulator for MomentsGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.moments.resize(total_num_groups, Moments::default());
        let x = floats("moments", &values[0])?;
        let rows = usable_rows(&[x], opt_filter);
        for (i, &g) in group_indices.iter().enumerate() {
            if rows.as_ref().is_none_or(|r| r[i]) {
                self.moments[g] = self.moments[g].merge(&one(x.value(i)));
            }
        }
        Ok(())
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.moments.resize(total_num_groups, Moments::default());
        for (m, &g) in read_states(values)?.zip(group_indices) {
            self.moments[g] = self.moments[g].merge(&m);
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        Ok(Arc::new(results(&emit_to.take_needed(&mut self.moments))))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(states(&emit_to.take_needed(&mut self.moments)))
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let x = floats("moments", &values[0])?;
        let rows = usable_rows(&[x], opt_filter);
        let each: Vec<Moments> = (0..x.len())
            .map(|i| {
                if rows.as_ref().is_none_or(|r| r[i]) {
                    one(x.value(i))
                } else {
                    Moments::default()
                }
            })
            .collect();
        Ok(states(&each))
    }

    fn size(&self) -> usize {
        self.moments.capacity() * std::mem::size_of::<Moments>()
    }
}
