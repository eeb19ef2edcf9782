//! Partial states as arrow values: one `List<Float64>` per group, the encoding of the
//! library's `to_state` (so a state crosses a shuffle or a wire as plain arrow data,
//! which Ballista's executors exchange without a codec of ours).

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, ListArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{exec_err, Result, ScalarValue};
use std::sync::Arc;

/// The type of a state field: a list of non-null Float64.
pub(crate) fn state_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Float64, false)))
}

/// A state field named `name`.
pub(crate) fn state_field(name: String) -> FieldRef {
    Arc::new(Field::new(name, state_type(), true))
}

/// One state per group as a list array (a `None` group is a null entry).
pub(crate) fn states_array<I, S>(states: I) -> ArrayRef
where
    I: IntoIterator<Item = Option<S>>,
    S: AsRef<[f64]>,
{
    let mut values = Vec::new();
    let mut lengths = Vec::new();
    let mut valid = Vec::new();
    for s in states {
        match s {
            Some(s) => {
                values.extend_from_slice(s.as_ref());
                lengths.push(s.as_ref().len());
                valid.push(true);
            }
            None => {
                lengths.push(0);
                valid.push(false);
            }
        }
    }
    let nulls = valid.iter().any(|v| !v).then(|| valid.into());
    Arc::new(ListArray::new(
        Arc::new(Field::new_list_field(DataType::Float64, false)),
        OffsetBuffer::from_lengths(lengths),
        Arc::new(Float64Array::from(values)),
        nulls,
    ))
}

/// One state as a scalar (what `Accumulator::state` returns).
pub(crate) fn state_scalar(state: &[f64]) -> ScalarValue {
    let array = states_array([Some(state)]);
    ScalarValue::List(Arc::new(array.as_list::<i32>().clone()))
}

/// The states of a list array, row by row (`None` for a null entry).
pub(crate) fn each_state<'a>(
    name: &str,
    array: &'a ArrayRef,
) -> Result<impl Iterator<Item = Option<&'a [f64]>> + 'a> {
    let Some(list) = array.as_list_opt::<i32>() else {
        return exec_err!(
            "{name}: a state arrived as {}, not as a list",
            array.data_type()
        );
    };
    let Some(values) = list.values().as_primitive_opt::<Float64Type>() else {
        return exec_err!("{name}: a state's values are not Float64");
    };
    let values = values.values();
    let offsets = list.value_offsets();
    Ok((0..list.len()).map(move |i| {
        list.is_valid(i)
            .then(|| &values[offsets[i] as usize..offsets[i + 1] as usize])
    }))
}

/// The non-null states of a list array, each with the group it merges into (a
/// `GroupsAccumulator::merge_batch`'s `group_indices`).
pub(crate) fn group_states<'a>(
    name: &str,
    array: &'a ArrayRef,
    group_indices: &'a [usize],
) -> Result<impl Iterator<Item = (usize, &'a [f64])> + 'a> {
    Ok(each_state(name, array)?
        .zip(group_indices)
        .filter_map(|(state, &g)| Some((g, state?))))
}
