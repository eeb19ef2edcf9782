//! Whole-series feature extraction: the same values as the streaming path, one row per price.

use super::bar_batch;
use super::bars::Bars;
use super::config::FeatureConfig;
use super::streaming::RollingFeatures;
use crate::error::Result;
use fast_math::Par;

/// Row-major feature values with their column names; row `t` belongs to input price `t`.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureMatrix {
    names: Vec<String>,
    rows: usize,
    data: Vec<f64>,
}

impl FeatureMatrix {
    /// A matrix of `rows` rows of `names.len()` values each, row-major in `data`.
    pub(super) fn from_parts(names: Vec<String>, rows: usize, data: Vec<f64>) -> Self {
        debug_assert_eq!(data.len(), rows * names.len(), "{rows} x {}", names.len());
        FeatureMatrix { names, rows, data }
    }
    /// Column names.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// Number of rows (input prices).
    pub fn nrows(&self) -> usize {
        self.rows
    }
    /// Number of feature columns.
    pub fn ncols(&self) -> usize {
        self.names.len()
    }
    /// Row `t`.
    ///
    /// # Panics
    /// If `t >= nrows()`.
    pub fn row(&self, t: usize) -> &[f64] {
        let c = self.ncols();
        &self.data[t * c..(t + 1) * c]
    }
    /// Value at row `t`, column `j`.
    ///
    /// # Panics
    /// If either index is out of range.
    pub fn get(&self, t: usize, j: usize) -> f64 {
        assert!(
            j < self.ncols(),
            "column {j} out of range ({} columns)",
            self.ncols()
        );
        self.data[t * self.ncols() + j]
    }
    /// Index of the column called `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
    /// The column called `name`, copied out.
    pub fn column(&self, name: &str) -> Option<Vec<f64>> {
        let j = self.column_index(name)?;
        Some((0..self.rows).map(|t| self.get(t, j)).collect())
    }
    /// All values, row-major.
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }
}

/// Rows per parallel chunk below which splitting costs more than it saves.
const MIN_CHUNK: usize = 1 << 15;

/// Features of a whole price series: row `t` equals what [`RollingFeatures`] yields after
/// price `t` (NaN where a feature is not yet defined).
///
/// With `Par::Rayon(k)` the series is cut into `k` chunks, each started from
/// [`RollingFeatures::primed`] on the prices before it, so results equal the sequential
/// ones (rolling statistics bit for bit, EMAs to 1e-17).
///
/// # Errors
/// [`PipelineError::InvalidSetting`](crate::PipelineError::InvalidSetting) for a bad
/// configuration, or one whose bar features read more than the close (use
/// [`extract_bar_features`]).
pub fn extract_features(prices: &[f64], cfg: &FeatureConfig, par: Par) -> Result<FeatureMatrix> {
    extract_bar_features(&Bars::close(prices), cfg, par)
}

/// Features of a whole bar series: row `t` equals what [`RollingFeatures::update_bar`]
/// yields after bar `t` (NaN where a feature is not yet defined), bit for bit.
///
/// The price features are computed as by [`extract_features`] on the closes; the bar
/// features column by column (each rolling mean one pass over its column, the passes spread
/// over `par`'s threads, everything else elementwise). The bars are not checked
/// ([`Bars::check`]): a bad value gives NaN or a meaningless value where it is used.
///
/// # Errors
/// [`PipelineError::InvalidSetting`](crate::PipelineError::InvalidSetting) for a bad
/// configuration or a column it reads missing from `bars`;
/// [`PipelineError::ShapeMismatch`](crate::PipelineError::ShapeMismatch) for columns of
/// different lengths.
pub fn extract_bar_features(
    bars: &Bars<'_>,
    cfg: &FeatureConfig,
    par: Par,
) -> Result<FeatureMatrix> {
    cfg.validate()?;
    bars.check_shape(cfg.bars)?;
    let prices = bars.close;
    let cols = cfg.n_features();
    let n_price = cfg.n_price_features();
    let price_cfg = cfg.price_only();
    let mut data = vec![f64::NAN; prices.len() * cols];
    let threads = par.threads().min(prices.len() / MIN_CHUNK).max(1);
    let chunk_rows = prices.len().div_ceil(threads).max(1);
    let run_chunk = |start: usize, out: &mut [f64]| {
        let mut f =
            RollingFeatures::primed(price_cfg.clone(), &prices[..start]).expect("validated above");
        for (row, &p) in out.chunks_exact_mut(cols).zip(&prices[start..]) {
            row[..n_price].copy_from_slice(f.push(p));
        }
    };
    if threads == 1 {
        run_chunk(0, &mut data);
    } else {
        std::thread::scope(|s| {
            let workers: Vec<_> = data
                .chunks_mut(chunk_rows * cols)
                .enumerate()
                .map(|(i, out)| {
                    let run_chunk = &run_chunk;
                    s.spawn(move || run_chunk(i * chunk_rows, out))
                })
                .collect();
            crate::workers::join_in_order(workers);
        });
    }
    if cols > n_price {
        bar_batch::fill(bars, cfg, par, &mut data, n_price, cols);
    }
    Ok(FeatureMatrix {
        names: cfg.names(),
        rows: prices.len(),
        data,
    })
}
