//! The one interface every model and transform implements (linfa's shape, with this
//! project's allocation rules).
//!
//! - Hyperparameters are a plain struct that [`Fit`]s into a fitted type: `Ridge` into
//!   `LinearModel`, `LogisticRegression` into `LogisticModel`, `Pca` into `PcaModel`,
//!   `StandardScaler` into `ScalerModel`. [`Fit::check`] is the one place a model's
//!   hyperparameters are checked.
//! - A fitted model [`Predict`]s into a caller's buffer: [`Predict::predict_one`] never
//!   allocates (the hot path of `IntegratedMlPipeline::update`), [`Predict::predict_into`]
//!   fills a caller's output for a whole matrix.
//! - A fitted transform ([`Transform`]) maps a row of `n_features` values to `n_outputs`
//!   values, with the same rules.
//! - A fit that can be computed from pieces of the data ([`FitIncremental`]) exposes its
//!   [`Accumulator`]: updated chunk by chunk, merged across threads or machines, finished
//!   into the same fitted type.
//!
//! Where a computation needs workspace, it says how much (`scratch_len`) and takes it from
//! the caller (faer's and rustfft's convention), so one buffer, pooled or on the stack of
//! the caller, serves every call.

use crate::ablation::Ablation;
use crate::error::{PipelineError, Result};
use crate::workers::{chunk_rows, for_row_chunks_into};
use fast_math::{Mat, MatRef, Par};
use simd_kernels::Isa;

/// What a model learns to predict: a target per row, or nothing (transforms such as PCA).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Target<'a> {
    /// Unsupervised: no target.
    None,
    /// One value per row: a regression target, or class labels coded 0, 1, ...
    Values(&'a [f64]),
}

impl<'a> Target<'a> {
    /// The values, or [`PipelineError::MissingTarget`] naming `model`.
    ///
    /// # Errors
    /// [`PipelineError::MissingTarget`] for [`Target::None`].
    pub fn values(self, model: &'static str) -> Result<&'a [f64]> {
        match self {
            Target::Values(y) => Ok(y),
            Target::None => Err(PipelineError::MissingTarget { model }),
        }
    }
}

impl<'a> From<&'a [f64]> for Target<'a> {
    fn from(y: &'a [f64]) -> Self {
        Target::Values(y)
    }
}

impl<'a> From<&'a Vec<f64>> for Target<'a> {
    fn from(y: &'a Vec<f64>) -> Self {
        Target::Values(y)
    }
}

impl<'a, const N: usize> From<&'a [f64; N]> for Target<'a> {
    fn from(y: &'a [f64; N]) -> Self {
        Target::Values(y)
    }
}

/// Hyperparameters that learn a fitted model from data.
pub trait Fit {
    /// What fitting produces.
    type Fitted;

    /// Checks the hyperparameters alone (before any data is read).
    ///
    /// # Errors
    /// [`PipelineError::InvalidHyperparameter`] naming the model, the field and its range.
    fn check(&self) -> Result<()>;

    /// Fits on the rows of `x` (`n x k`) and the target, with the given optimization layers.
    ///
    /// # Errors
    /// The hyperparameter errors of [`check`](Self::check); data errors
    /// ([`PipelineError::EmptyData`], [`PipelineError::ShapeMismatch`],
    /// [`PipelineError::NonFinite`] naming row and column, ...) and each model's own.
    fn fit_ablated(
        &self,
        ablation: Ablation,
        x: MatRef<'_, f64>,
        y: Target<'_>,
        par: Par,
    ) -> Result<Self::Fitted>;

    /// [`fit_ablated`](Self::fit_ablated) with every layer on. `y` is a [`Target`], or
    /// anything that converts into one (`&[f64]`, `&Vec<f64>`).
    ///
    /// # Errors
    /// As [`fit_ablated`](Self::fit_ablated).
    fn fit<'y>(
        &self,
        x: MatRef<'_, f64>,
        y: impl Into<Target<'y>>,
        par: Par,
    ) -> Result<Self::Fitted> {
        self.fit_ablated(Ablation::default(), x, y.into(), par)
    }
}

/// The index of the largest of `values` (the first of equals; NaN never wins, unless all
/// are NaN: then 0): the class a row of class scores predicts.
pub fn likeliest(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate().skip(1) {
        if v > values[best] || values[best].is_nan() {
            best = i;
        }
    }
    best
}

/// What a prediction row holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// One real value (regression).
    Value,
    /// One probability: that of class 1 (binary classification).
    Probability,
    /// One probability per class, summing to 1 (multiclass classification); the width is
    /// the number of classes.
    Probabilities(usize),
    /// Raw margins before the link function (log-odds, softmax inputs, or the regression
    /// value itself), one per output group; the width is the number of groups.
    Margins(usize),
    /// The index of the most probable class (0, 1, ...), as one value.
    ClassIndex,
}

impl Output {
    /// Values per row.
    pub fn width(self) -> usize {
        match self {
            Output::Value | Output::Probability | Output::ClassIndex => 1,
            Output::Probabilities(k) | Output::Margins(k) => k,
        }
    }
}

/// A fitted model: rows in, predictions out, into the caller's buffers.
pub trait Predict {
    /// Values each input row must have.
    fn n_features(&self) -> usize;

    /// What each prediction row holds.
    fn output(&self) -> Output;

    /// Length of the scratch slice [`predict_one`](Self::predict_one) needs (0 unless the
    /// model chains stages).
    fn scratch_len(&self) -> usize {
        0
    }

    /// Prediction of one row on the given ISA into `out` (`output().width()` values). Never
    /// allocates.
    ///
    /// # Panics
    /// If `x` does not have [`n_features`](Self::n_features) values, `out` the output's width,
    /// or `scratch` at least [`scratch_len`](Self::scratch_len) values (messages name the
    /// lengths); if the CPU lacks `isa`.
    fn predict_one_with(&self, isa: Isa, x: &[f64], scratch: &mut [f64], out: &mut [f64]);

    /// [`predict_one_with`](Self::predict_one_with) on the detected ISA.
    ///
    /// # Panics
    /// As [`predict_one_with`](Self::predict_one_with).
    #[inline]
    fn predict_one(&self, x: &[f64], scratch: &mut [f64], out: &mut [f64]) {
        self.predict_one_with(Isa::detect(), x, scratch, out);
    }

    /// Predictions for every row of `x` into `out` (`x.nrows() * output().width()` values,
    /// row after row). With `Par::Rayon(t)`, rows are split among `t` threads. Allocates
    /// nothing that grows with the number of rows (each thread takes one scratch slice).
    ///
    /// # Panics
    /// If `x.ncols()` differs from [`n_features`](Self::n_features) or `out` has another
    /// length than stated.
    fn predict_into(&self, x: MatRef<'_, f64>, out: &mut [f64], par: Par)
    where
        Self: Sync,
    {
        predict_rows(self, x, out, par);
    }
}

/// The row-by-row [`Predict::predict_into`]: each thread claims chunks of rows, with one
/// scratch slice per chunk, and writes their parts of `out`.
pub(crate) fn predict_rows<P: Predict + Sync + ?Sized>(
    model: &P,
    x: MatRef<'_, f64>,
    out: &mut [f64],
    par: Par,
) {
    let width = model.output().width();
    check_batch(model.n_features(), width, x, out);
    let isa = Isa::detect();
    let n = x.nrows();
    // Chunks of at least ROWS_PER_THREAD rows; a batch of fewer chunks than threads
    // leaves the extra threads out.
    let threads = par.threads();
    let chunk = chunk_rows(n, threads, ROWS_PER_THREAD);
    for_row_chunks_into(n, threads, width, chunk, out, |rows, part| {
        let mut scratch = vec![0.0; model.scratch_len()];
        let mut row = vec![0.0; x.ncols()];
        for (i, o) in rows.zip(part.chunks_exact_mut(width)) {
            for (j, v) in row.iter_mut().enumerate() {
                *v = x.get(i, j);
            }
            model.predict_one_with(isa, &row, &mut scratch, o);
        }
    });
}

/// Fewest rows of a chunk a thread takes in a batch prediction, so a batch of at most this
/// many rows stays on one thread.
const ROWS_PER_THREAD: usize = 4096;

/// The checks of [`Predict::predict_into`] and [`Transform::transform_into`].
pub(crate) fn check_batch(k: usize, width: usize, x: MatRef<'_, f64>, out: &[f64]) {
    assert_eq!(
        x.ncols(),
        k,
        "predict_into: {} feature columns, model has {k}",
        x.ncols()
    );
    assert_eq!(
        out.len(),
        x.nrows() * width,
        "predict_into: output of {} values for {} rows x {width}",
        out.len(),
        x.nrows()
    );
}

/// A fitted transform: a row of `n_features` values to `n_outputs` values.
pub trait Transform {
    /// Values each input row must have.
    fn n_features(&self) -> usize;

    /// Values each output row has.
    fn n_outputs(&self) -> usize;

    /// Length of the scratch slice [`transform_one_with`](Self::transform_one_with) needs.
    fn scratch_len(&self) -> usize {
        0
    }

    /// Transforms one row on the given ISA into `out` (`n_outputs` values). Never allocates.
    ///
    /// # Panics
    /// If `x`, `out` or `scratch` have other lengths than stated (messages name them); if
    /// the CPU lacks `isa`.
    fn transform_one_with(&self, isa: Isa, x: &[f64], scratch: &mut [f64], out: &mut [f64]);

    /// Transforms every row of `x` into `out` (`x.nrows() * n_outputs` values, row after
    /// row).
    ///
    /// # Panics
    /// If `x.ncols()` differs from [`n_features`](Self::n_features) or `out` has another
    /// length than stated.
    fn transform_into(&self, isa: Isa, x: MatRef<'_, f64>, out: &mut [f64]) {
        let width = self.n_outputs();
        check_batch(self.n_features(), width, x, out);
        let mut scratch = vec![0.0; self.scratch_len()];
        let mut row = vec![0.0; x.ncols()];
        for (i, o) in out.chunks_exact_mut(width.max(1)).enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = x.get(i, j);
            }
            self.transform_one_with(isa, &row, &mut scratch, o);
        }
    }

    /// [`transform_into`](Self::transform_into) a new `x.nrows() x n_outputs` matrix.
    ///
    /// # Panics
    /// If `x.ncols()` differs from [`n_features`](Self::n_features).
    fn transform(&self, isa: Isa, x: MatRef<'_, f64>) -> Mat<f64> {
        let mut out = vec![0.0; x.nrows() * self.n_outputs()];
        self.transform_into(isa, x, &mut out);
        Mat::from_row_major(x.nrows(), self.n_outputs(), &out)
    }
}

/// What a [`RowChunks`] pass calls with each chunk: its features and its target.
pub type ChunkVisitor<'a> = dyn FnMut(MatRef<'_, f64>, &[f64]) -> Result<()> + 'a;

/// Training rows read in chunks, from the first row each time a pass is asked for: a file
/// read again, a table held elsewhere. Fits that take one
/// ([`Ridge::fit_chunks`](crate::Ridge::fit_chunks),
/// [`StandardScaler::fit_chunks`](crate::StandardScaler::fit_chunks)) hold one chunk at a
/// time, whatever the number of rows, and read the data as many times as they need.
pub trait RowChunks {
    /// The source's own errors (a read that failed), which also carry the fit's.
    type Error: From<PipelineError>;

    /// Feature columns of every chunk.
    fn n_features(&self) -> usize;

    /// Calls `visit` with every chunk in row order, from the first row: its features
    /// (`rows x n_features`) and its target (one value per row; empty when there is none).
    /// The first error, of the source or of `visit` (converted), ends the pass.
    ///
    /// # Errors
    /// The source's read errors, or `visit`'s.
    fn pass(&mut self, visit: &mut ChunkVisitor<'_>) -> std::result::Result<(), Self::Error>;
}

/// Statistics of a fit that can be gathered piece by piece and combined: chunks of a file,
/// row ranges on threads, partitions on machines.
pub trait Accumulator: Clone + Send {
    /// Feature columns the accumulator was made for.
    fn n_features(&self) -> usize;

    /// Rows seen so far.
    fn count(&self) -> u64;

    /// Adds the rows of `x` with their target.
    ///
    /// # Errors
    /// [`PipelineError::ShapeMismatch`] for another number of columns than the accumulator
    /// has, or a target of another length than `x` has rows; [`PipelineError::NonFinite`];
    /// [`PipelineError::MissingTarget`] when the fit needs a target.
    fn update(&mut self, x: MatRef<'_, f64>, y: Target<'_>) -> Result<()>;

    /// Folds in the rows `other` has seen: afterwards `self` holds the statistics of both,
    /// as if one accumulator had seen every row (up to rounding, in any order).
    ///
    /// # Errors
    /// [`PipelineError::ShapeMismatch`] when the two were made for different widths.
    fn merge(&mut self, other: &Self) -> Result<()>;
}

/// A fit computed from an [`Accumulator`]: for data larger than memory or spread over
/// threads and machines.
pub trait FitIncremental: Fit {
    /// The statistics it is computed from.
    type Accumulator: Accumulator;

    /// An empty accumulator for `n_features` columns.
    fn accumulator(&self, n_features: usize) -> Self::Accumulator;

    /// The fitted model of every row the accumulator has seen.
    ///
    /// # Errors
    /// [`PipelineError::EmptyData`] when it has seen no row; the hyperparameter errors of
    /// [`Fit::check`]; the model's own solve errors.
    fn finish(&self, acc: &Self::Accumulator) -> Result<Self::Fitted>;
}
