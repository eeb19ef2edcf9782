//! Training data binned ahead of training, chunk by chunk: what lets a data set larger than
//! memory in float64 train (10M rows x 20 features are 1.6 GB as float64, 200 MB as bins).
//!
//! The bounds come from the rows [`GbdtParams::binning_sample`] names (the same seeded sample
//! [`GbdtParams::train`] draws), so a dataset built from the same rows trains the same model,
//! bit for bit, as the matrix itself.

use super::binning::{mappers_of, sample_rows_of, Binned};
use super::params::{GbdtParams, MODEL};
use crate::error::{PipelineError, Result};
use crate::models::gbdt::compiled::MAX_FEATURES;
use fast_math::{MatRef, Par};

/// The binning settings a dataset was built with, which training must not contradict.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Binning {
    max_bin: usize,
    sample_cnt: usize,
    seed: u64,
}

impl Binning {
    fn of(p: &GbdtParams) -> Self {
        Self {
            max_bin: p.max_bin,
            sample_cnt: p.bin_construct_sample_cnt,
            seed: p.seed,
        }
    }
}

/// Training rows as bin codes (one byte per value), ready for [`GbdtParams::train_dataset`].
#[derive(Clone, Debug)]
pub struct GbdtDataset {
    pub(super) binned: Binned,
    binning: Binning,
}

impl GbdtDataset {
    /// Rows.
    pub fn rows(&self) -> usize {
        self.binned.rows
    }

    /// Features.
    pub fn features(&self) -> usize {
        self.binned.mappers.len()
    }

    /// Checks that `p` bins as this dataset was binned (same `max_bin`,
    /// `bin_construct_sample_cnt` and `seed`).
    pub(super) fn check_binning(&self, p: &GbdtParams) -> Result<()> {
        let now = Binning::of(p);
        let bad = |name, value: String, was: String| {
            Err(PipelineError::InvalidHyperparameter {
                model: MODEL,
                name,
                value,
                expected: format!("{was}, the value the dataset was binned with"),
            })
        };
        let was = self.binning;
        if now.max_bin != was.max_bin {
            return bad("max_bin", now.max_bin.to_string(), was.max_bin.to_string());
        }
        if now.sample_cnt != was.sample_cnt {
            return bad(
                "bin_construct_sample_cnt",
                now.sample_cnt.to_string(),
                was.sample_cnt.to_string(),
            );
        }
        if now.seed != was.seed {
            return bad("seed", now.seed.to_string(), was.seed.to_string());
        }
        Ok(())
    }
}

/// A [`GbdtDataset`] being filled, chunk by chunk, in row order; see
/// [`GbdtParams::dataset_builder`].
#[derive(Debug)]
pub struct GbdtDatasetBuilder {
    binned: Binned,
    rows: usize,
    binning: Binning,
    par: Par,
}

impl GbdtParams {
    /// The rows, increasing, whose values set the bin bounds of a training set of `rows` rows
    /// (a seeded sample of `bin_construct_sample_cnt` rows, all of them when there are
    /// fewer): the rows to hand [`dataset_builder`](Self::dataset_builder), in this order.
    pub fn binning_sample(&self, rows: usize) -> Vec<usize> {
        sample_rows_of(rows, self.bin_construct_sample_cnt, self.seed)
    }

    /// Starts a dataset of `rows` rows whose bin bounds come from `sample`: the rows
    /// [`binning_sample`](Self::binning_sample)`(rows)` names, in its order (NaN is a
    /// missing value). Then [`GbdtDatasetBuilder::push`] the rows, all of them, in order.
    /// The features are binned by `par`'s threads (the codes do not depend on them).
    ///
    /// # Errors
    /// The hyperparameter errors of [`train`](Self::train);
    /// [`PipelineError::EmptyData`] for no rows or no columns;
    /// [`PipelineError::ShapeMismatch`] when `sample` does not have the sample's row count,
    /// or for more than `2^32 - 1` rows or `2^26` features.
    ///
    /// # Example
    /// Rows that arrive in chunks (from a file, say), read twice: once for the sample, once
    /// to bin every row; only one chunk of float64 values is held at a time.
    /// ```
    /// use fast_math::{MatRef, Par};
    /// use ml_pipeline::models::{GbdtParams, TrainExtras};
    ///
    /// // Stands in for a reader: row i of 10 000, two features, in chunks of 1 000 rows.
    /// let value = |i: usize, j: usize| ((i * (j + 3)) % 97) as f64;
    /// let chunk = |first: usize| -> Vec<f64> {
    ///     (first..first + 1000).flat_map(|i| [value(i, 0), value(i, 1)]).collect()
    /// };
    /// let y: Vec<f64> = (0..10_000).map(|i| value(i, 0) * 0.5 - value(i, 1)).collect();
    ///
    /// let params = GbdtParams { n_estimators: 10, ..GbdtParams::default() };
    /// let wanted = params.binning_sample(10_000);
    /// let sample: Vec<f64> = wanted.iter().flat_map(|&i| [value(i, 0), value(i, 1)]).collect();
    /// let sample = MatRef::from_row_major(&sample, wanted.len(), 2);
    /// let mut builder = params.dataset_builder(10_000, sample, Par::Seq)?;
    /// for first in (0..10_000).step_by(1000) {
    ///     let rows = chunk(first);
    ///     builder.push(MatRef::from_row_major(&rows, 1000, 2))?;
    /// }
    /// let data = builder.finish()?;
    /// let trained = params.train_dataset(&data, &y, TrainExtras::default(), Par::Seq)?;
    /// assert_eq!(trained.model.n_iterations(), 10);
    /// # Ok::<(), ml_pipeline::PipelineError>(())
    /// ```
    pub fn dataset_builder(
        &self,
        rows: usize,
        sample: MatRef<'_, f64>,
        par: Par,
    ) -> Result<GbdtDatasetBuilder> {
        self.check_settings()?;
        let k = sample.ncols();
        if rows == 0 || k == 0 {
            return Err(PipelineError::EmptyData { rows, cols: k });
        }
        if u32::try_from(rows).is_err() || k > MAX_FEATURES {
            return Err(PipelineError::ShapeMismatch {
                what: "rows (at most 2^32 - 1) or features (at most 2^26)",
                expected: u32::MAX as usize,
                got: rows,
            });
        }
        let n_sample = rows.min(self.bin_construct_sample_cnt);
        if sample.nrows() != n_sample {
            return Err(PipelineError::ShapeMismatch {
                what: "sample rows vs binning_sample(rows)",
                expected: n_sample,
                got: sample.nrows(),
            });
        }
        let mappers = mappers_of(k, n_sample, |s, j| sample.get(s, j), self.max_bin, par);
        Ok(GbdtDatasetBuilder {
            binned: Binned::empty(mappers, rows),
            rows,
            binning: Binning::of(self),
            par,
        })
    }
}

impl GbdtDatasetBuilder {
    /// Rows pushed so far.
    pub fn pushed(&self) -> usize {
        self.binned.rows
    }

    /// Bins the rows of `chunk`, the next ones of the data set (NaN is a missing value).
    ///
    /// # Errors
    /// [`PipelineError::ShapeMismatch`] when `chunk` has another column count than the
    /// sample, or would take the dataset past its row count; nothing is pushed then.
    pub fn push(&mut self, chunk: MatRef<'_, f64>) -> Result<()> {
        let k = self.binned.mappers.len();
        if chunk.ncols() != k {
            return Err(PipelineError::ShapeMismatch {
                what: "chunk columns vs sample columns",
                expected: k,
                got: chunk.ncols(),
            });
        }
        if self.binned.rows + chunk.nrows() > self.rows {
            return Err(PipelineError::ShapeMismatch {
                what: "rows pushed vs the dataset's rows",
                expected: self.rows,
                got: self.binned.rows + chunk.nrows(),
            });
        }
        self.binned.push(chunk, self.par);
        Ok(())
    }

    /// The dataset.
    ///
    /// # Errors
    /// [`PipelineError::ShapeMismatch`] when fewer rows were pushed than announced.
    pub fn finish(self) -> Result<GbdtDataset> {
        if self.binned.rows != self.rows {
            return Err(PipelineError::ShapeMismatch {
                what: "rows pushed vs the dataset's rows",
                expected: self.rows,
                got: self.binned.rows,
            });
        }
        Ok(GbdtDataset {
            binned: self.binned,
            binning: self.binning,
        })
    }
}
