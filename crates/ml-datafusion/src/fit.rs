//! What the fitting aggregates (`ridge_fit`, `ols_fit`, `pca_fit`) share: a [`FitSpec`]
//! says which library accumulator a fit keeps and how it becomes a model file;
//! [`FitAccumulator`] (one group) and [`FitGroups`] (many) run any of them, with the
//! partial state as the library's encoding in one `List<Float64>` column.

use crate::args::{floats, usable_rows};
use crate::state::{each_state, group_states, state_scalar, states_array};
use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, StringArray};
use datafusion::common::{exec_err, DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};
use fast_math::MatRef;
use ml_pipeline::{Accumulator as _, PipelineError, Target};
use std::fmt::Debug;
use std::sync::Arc;

/// Rows a group gathers before they go through its accumulator as one chunk (the library's
/// QR step takes 512 rows at a time; fewer make each step dearer per row).
pub(crate) const CHUNK_ROWS: usize = 512;

/// Values (f64) the pending rows of all groups may hold before every group is flushed:
/// 8 MiB, so many small groups never hold a copy of their input.
const PENDING_VALUES: usize = 1 << 20;

/// One fitting aggregate: its library accumulator, how its state is encoded, and how the
/// finished fit becomes the text of a model file.
pub(crate) trait FitSpec: Debug + Send + Sync + 'static {
    /// The library's accumulator.
    type Acc: ml_pipeline::Accumulator + Debug + Send + Sync;
    /// The function's name, for errors.
    fn name(&self) -> &'static str;
    /// Whether the first argument is the target (`y`); the rest are the features.
    fn has_target(&self) -> bool;
    /// Number of features.
    fn k(&self) -> usize;
    /// An empty accumulator.
    fn empty(&self) -> Self::Acc;
    /// The library's encoding of the accumulator.
    fn encode(&self, acc: &Self::Acc) -> Vec<f64>;
    /// The accumulator of an encoding.
    ///
    /// # Errors
    /// The library's, for a state it did not write.
    fn decode(&self, state: &[f64]) -> ml_pipeline::Result<Self::Acc>;
    /// The model file (JSON text) of the fit of every row the accumulator saw.
    ///
    /// # Errors
    /// The library's (too few rows for the fit, a rank-deficient system, ...).
    fn finish(&self, acc: &Self::Acc) -> ml_pipeline::Result<String>;

    /// Columns read per row: the target (if any) and the features.
    fn width(&self) -> usize {
        self.k() + usize::from(self.has_target())
    }

    /// A library error as a DataFusion error naming the function.
    fn error(&self, e: PipelineError) -> DataFusionError {
        DataFusionError::Execution(format!("{}: {e}", self.name()))
    }

    /// Adds `n` rows held column-major in `cols` (the target first, if any).
    fn update(&self, acc: &mut Self::Acc, cols: &[f64], n: usize) -> Result<()> {
        if n == 0 {
            return Ok(());
        }
        let result = if self.has_target() {
            let x = MatRef::from_col_major(&cols[n..], n, self.k());
            acc.update(x, Target::Values(&cols[..n]))
        } else {
            acc.update(MatRef::from_col_major(cols, n, self.k()), Target::None)
        };
        result.map_err(|e| self.error(e))
    }

    /// Merges an encoded state into `acc`.
    fn merge_state(&self, acc: &mut Self::Acc, state: &[f64]) -> Result<()> {
        let other = self.decode(state).map_err(|e| self.error(e))?;
        acc.merge(&other).map_err(|e| self.error(e))
    }

    /// The result of a group: null when it saw no row, else the model file.
    fn result(&self, acc: &Self::Acc) -> Result<Option<String>> {
        if acc.count() == 0 {
            return Ok(None);
        }
        self.finish(acc).map(Some).map_err(|e| self.error(e))
    }
}

/// The methods of `AggregateUDFImpl` every fitting aggregate shares, for a type with a
/// method `spec(&self, &AccumulatorArgs) -> Result<Arc<impl FitSpec>>`: the result is the
/// text of a model file (Utf8), the state one `List<Float64>` column, and `GROUP BY` runs
/// through [`FitGroups`].
macro_rules! fit_aggregate_methods {
    () => {
        fn return_type(
            &self,
            _arg_types: &[datafusion::arrow::datatypes::DataType],
        ) -> datafusion::common::Result<datafusion::arrow::datatypes::DataType> {
            Ok(datafusion::arrow::datatypes::DataType::Utf8)
        }

        fn accumulator(
            &self,
            args: datafusion::logical_expr::function::AccumulatorArgs,
        ) -> datafusion::common::Result<Box<dyn datafusion::logical_expr::Accumulator>> {
            Ok(Box::new($crate::fit::FitAccumulator::new(
                self.spec(&args)?,
            )))
        }

        fn state_fields(
            &self,
            args: datafusion::logical_expr::function::StateFieldsArgs,
        ) -> datafusion::common::Result<Vec<datafusion::arrow::datatypes::FieldRef>> {
            let name = datafusion::logical_expr::utils::format_state_name(args.name, "tsqr");
            Ok(vec![$crate::state::state_field(name)])
        }

        fn groups_accumulator_supported(
            &self,
            _args: datafusion::logical_expr::function::AccumulatorArgs,
        ) -> bool {
            true
        }

        fn create_groups_accumulator(
            &self,
            args: datafusion::logical_expr::function::AccumulatorArgs,
        ) -> datafusion::common::Result<Box<dyn datafusion::logical_expr::GroupsAccumulator>> {
            Ok(Box::new($crate::fit::FitGroups::new(self.spec(&args)?)))
        }
    };
}
pub(crate) use fit_aggregate_methods;

/// The argument columns of a batch as Float64 arrays, checked against the spec's width.
fn columns<'a, S: FitSpec>(spec: &S, values: &'a [ArrayRef]) -> Result<Vec<&'a Float64Array>> {
    let cols: Vec<&Float64Array> = values[..spec.width().min(values.len())]
        .iter()
        .map(|a| floats(spec.name(), a))
        .collect::<Result<_>>()?;
    if cols.len() != spec.width() {
        return exec_err!(
            "{}: {} argument columns, expected {}",
            spec.name(),
            cols.len(),
            spec.width()
        );
    }
    Ok(cols)
}

/// The usable rows of `cols` (all, or those `keep` marks), column-major.
fn gather(cols: &[&Float64Array], keep: Option<&[bool]>) -> (Vec<f64>, usize) {
    match keep {
        None => {
            let n = cols.first().map_or(0, |c| c.len());
            let mut out = Vec::with_capacity(n * cols.len());
            cols.iter().for_each(|c| out.extend_from_slice(c.values()));
            (out, n)
        }
        Some(keep) => {
            let n = keep.iter().filter(|&&k| k).count();
            let mut out = Vec::with_capacity(n * cols.len());
            for c in cols {
                let v = c.values();
                out.extend(
                    keep.iter()
                        .zip(v.iter())
                        .filter(|(k, _)| **k)
                        .map(|(_, x)| *x),
                );
            }
            (out, n)
        }
    }
}

/// A fit over one group.
#[derive(Debug)]
pub(crate) struct FitAccumulator<S: FitSpec> {
    spec: Arc<S>,
    acc: S::Acc,
}

impl<S: FitSpec> FitAccumulator<S> {
    /// An empty fit.
    pub(crate) fn new(spec: Arc<S>) -> Self {
        FitAccumulator {
            acc: spec.empty(),
            spec,
        }
    }
}

impl<S: FitSpec> Accumulator for FitAccumulator<S> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let cols = columns(&*self.spec, values)?;
        let keep = usable_rows(&cols, None);
        let (data, n) = gather(&cols, keep.as_deref());
        self.spec.update(&mut self.acc, &data, n)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for state in each_state(self.spec.name(), &states[0])?.flatten() {
            self.spec.merge_state(&mut self.acc, state)?;
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![state_scalar(&self.spec.encode(&self.acc))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Utf8(self.spec.result(&self.acc)?))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + 16 * self.spec.width() * self.spec.width()
    }
}

/// A fit per group: each group's accumulator, and its rows not yet added (row-major, the
/// target first), added [`CHUNK_ROWS`] at a time so that groups spread thinly over many
/// batches still get full chunks.
#[derive(Debug)]
pub(crate) struct FitGroups<S: FitSpec> {
    spec: Arc<S>,
    accs: Vec<S::Acc>,
    pending: Vec<Vec<f64>>,
    pending_values: usize,
}

impl<S: FitSpec> FitGroups<S> {
    /// No groups yet.
    pub(crate) fn new(spec: Arc<S>) -> Self {
        FitGroups {
            spec,
            accs: Vec::new(),
            pending: Vec::new(),
            pending_values: 0,
        }
    }

    fn resize(&mut self, groups: usize) {
        while self.accs.len() < groups {
            self.accs.push(self.spec.empty());
            self.pending.push(Vec::new());
        }
    }

    /// Adds group `g`'s pending rows to its accumulator.
    fn flush(&mut self, g: usize) -> Result<()> {
        let w = self.spec.width();
        let rows = std::mem::take(&mut self.pending[g]);
        let n = rows.len() / w;
        self.pending_values -= rows.len();
        let mut cols = vec![0.0; rows.len()];
        for (i, row) in rows.chunks_exact(w).enumerate() {
            for (j, &v) in row.iter().enumerate() {
                cols[j * n + i] = v;
            }
        }
        self.spec.update(&mut self.accs[g], &cols, n)?;
        // Keep the buffer's allocation for the group's next rows.
        let mut rows = rows;
        rows.clear();
        self.pending[g] = rows;
        Ok(())
    }

    /// Adds every group's pending rows.
    fn flush_all(&mut self) -> Result<()> {
        for g in 0..self.pending.len() {
            if !self.pending[g].is_empty() {
                self.flush(g)?;
            }
        }
        Ok(())
    }

    /// Flushes, then takes the groups `emit_to` asks for.
    fn take(&mut self, emit_to: EmitTo) -> Result<Vec<S::Acc>> {
        self.flush_all()?;
        let accs = emit_to.take_needed(&mut self.accs);
        emit_to.take_needed(&mut self.pending);
        Ok(accs)
    }
}

impl<S: FitSpec> GroupsAccumulator for FitGroups<S> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        let cols = columns(&*self.spec, values)?;
        let keep = usable_rows(&cols, opt_filter);
        let w = self.spec.width();
        for (i, &g) in group_indices.iter().enumerate() {
            if keep.as_ref().is_some_and(|k| !k[i]) {
                continue;
            }
            let p = &mut self.pending[g];
            p.extend(cols.iter().map(|c| c.value(i)));
            self.pending_values += w;
            if p.len() >= CHUNK_ROWS * w {
                self.flush(g)?;
            }
        }
        if self.pending_values > PENDING_VALUES {
            self.flush_all()?;
        }
        Ok(())
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        for (g, state) in group_states(self.spec.name(), &values[0], group_indices)? {
            self.spec.merge_state(&mut self.accs[g], state)?;
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let accs = self.take(emit_to)?;
        let models: Vec<Option<String>> = accs
            .iter()
            .map(|a| self.spec.result(a))
            .collect::<Result<_>>()?;
        Ok(Arc::new(StringArray::from(models)))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let accs = self.take(emit_to)?;
        Ok(vec![states_array(
            accs.iter().map(|a| Some(self.spec.encode(a))),
        )])
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let cols = columns(&*self.spec, values)?;
        let keep = usable_rows(&cols, opt_filter);
        let n = cols.first().map_or(0, |c| c.len());
        let mut states = Vec::with_capacity(n);
        let mut row = vec![0.0; cols.len()];
        for i in 0..n {
            let mut acc = self.spec.empty();
            if keep.as_ref().is_none_or(|k| k[i]) {
                row.iter_mut().zip(&cols).for_each(|(r, c)| *r = c.value(i));
                self.spec.update(&mut acc, &row, 1)?;
            }
            states.push(Some(self.spec.encode(&acc)));
        }
        Ok(vec![states_array(states)])
    }

    fn size(&self) -> usize {
        let w = self.spec.width();
        self.accs.len() * (std::mem::size_of::<S::Acc>() + 16 * w * w) + self.pending_values * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit_linear::LinearSpec;
    use datafusion::arrow::array::AsArray;
    use ml_pipeline::{FitIncremental, Ridge, RidgeAccumulator};

    fn spec() -> Arc<LinearSpec> {
        Arc::new(LinearSpec::new(
            "ridge_fit",
            Ridge {
                alpha: 0.3,
                fit_intercept: true,
            },
            vec!["a".into(), "b".into()],
        ))
    }

    /// Columns y, a, b of `n` rows from `seed`, with a null in row 3.
    fn batch(n: usize, seed: u64) -> Vec<ArrayRef> {
        let mut rng = seeded_rng::Rng::new(seed);
        let mut cols: Vec<Vec<Option<f64>>> = vec![vec![]; 3];
        for i in 0..n {
            let (a, b) = (rng.normal(), rng.normal());
            let y = 1.0 + 2.0 * a - b + 0.1 * rng.normal();
            cols[0].push(Some(y));
            cols[1].push(Some(a));
            cols[2].push((i != 3).then_some(b));
        }
        cols.into_iter()
            .map(|c| Arc::new(Float64Array::from(c)) as ArrayRef)
            .collect()
    }

    /// The rows of `batches` without nulls, through the library's accumulator.
    fn library(batches: &[Vec<ArrayRef>]) -> RidgeAccumulator {
        let mut acc = RidgeAccumulator::new(2);
        for b in batches {
            let cols: Vec<&Float64Array> = b.iter().map(|a| a.as_primitive()).collect();
            let keep = usable_rows(&cols, None);
            let (data, n) = gather(&cols, keep.as_deref());
            spec().update(&mut acc, &data, n).unwrap();
        }
        acc
    }

    #[test]
    fn states_cross_as_arrow_lists_and_merge_to_the_one_pass_fit() {
        let batches = [batch(700, 1), batch(300, 2), batch(1000, 3)];
        // Three partitions, each its own accumulator; their states go through arrow lists
        // (scalar and array forms) and merge in another order.
        let mut parts: Vec<FitAccumulator<LinearSpec>> =
            (0..3).map(|_| FitAccumulator::new(spec())).collect();
        for (p, b) in parts.iter_mut().zip(&batches) {
            p.update_batch(b).unwrap();
        }
        let states: Vec<ScalarValue> = parts
            .iter_mut()
            .map(|p| p.state().unwrap().remove(0))
            .collect();
        let array =
            ScalarValue::iter_to_array([states[2].clone(), states[0].clone(), states[1].clone()])
                .unwrap();
        let mut merged = FitAccumulator::new(spec());
        merged.merge_batch(std::slice::from_ref(&array)).unwrap();
        let want = library(&batches);
        assert_eq!(merged.acc.count(), want.count());
        let ridge = Ridge {
            alpha: 0.3,
            fit_intercept: true,
        };
        let (got, want) = (
            ridge.finish(&merged.acc).unwrap(),
            ridge.finish(&want).unwrap(),
        );
        for (a, b) in got
            .coef
            .iter()
            .chain([&got.intercept])
            .zip(want.coef.iter().chain([&want.intercept]))
        {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
        }
        // Each state decodes to the accumulator it encodes, bit for bit.
        for (state, p) in each_state("t", &array)
            .unwrap()
            .zip([&parts[2], &parts[0], &parts[1]])
        {
            let decoded = RidgeAccumulator::from_state(2, state.unwrap()).unwrap();
            assert_eq!(decoded, p.acc);
        }
        let text = merged.evaluate().unwrap();
        let ScalarValue::Utf8(Some(json)) = text else {
            panic!("{text:?}")
        };
        assert!(ml_pipeline::SavedModel::from_json(&json).is_ok());
    }

    #[test]
    fn groups_flush_pending_rows_and_emit_in_group_order() {
        let b = batch(3000, 4);
        let groups: Vec<usize> = (0..3000).map(|i| (i * 7) % 5).collect();
        let mut g = FitGroups::new(spec());
        g.update_batch(&b, &groups, None, 5).unwrap();
        // Emit the first two groups' states, then the rest; merge both into fresh groups.
        let first = g.state(EmitTo::First(2)).unwrap();
        let rest = g.state(EmitTo::All).unwrap();
        let mut m = FitGroups::new(spec());
        m.merge_batch(&first, &[0, 1], 2).unwrap();
        m.merge_batch(&rest, &[2, 3, 4], 5).unwrap();
        let models = m.evaluate(EmitTo::All).unwrap();
        let models = models.as_string::<i32>();
        for k in 0..5 {
            let rows: Vec<ArrayRef> = b
                .iter()
                .map(|c| {
                    let idx: Vec<u32> = (0..3000)
                        .filter(|&i| groups[i] == k)
                        .map(|i| i as u32)
                        .collect();
                    datafusion::arrow::compute::take(
                        c,
                        &datafusion::arrow::array::UInt32Array::from(idx),
                        None,
                    )
                    .unwrap()
                })
                .collect();
            let want = spec().finish(&library(&[rows])).unwrap();
            let (a, b) = (
                ml_pipeline::SavedModel::from_json(models.value(k)).unwrap(),
                ml_pipeline::SavedModel::from_json(&want).unwrap(),
            );
            let (a, b) = (a.model.linear().unwrap(), b.model.linear().unwrap());
            for (x, y) in a.coef.iter().zip(&b.coef) {
                assert!(
                    (x - y).abs() <= 1e-12 * y.abs().max(1.0),
                    "group {k}: {x} vs {y}"
                );
            }
        }
    }
}
