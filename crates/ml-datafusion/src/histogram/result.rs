//! The result of `gbdt_histogram` as a split finder reads it: [`GbdtHistograms`], written as
//! the JSON text of the result cell and parsed back from it.

use datafusion::common::{exec_err, DataFusionError, Result};
use serde::{Deserialize, Serialize};

/// The function's name, for errors.
pub(crate) const NAME: &str = "gbdt_histogram";

/// Entries of one feature's histogram: one per `u8` bin code, as the trainer's bins are.
pub const BINS: usize = 256;

/// The histograms of one group's rows, one per feature: for each bin code `0..BINS`, the sum
/// of the gradients, the sum of the hessians and the number of rows in that bin.
///
/// `gbdt_histogram` returns it as JSON text, one line:
///
/// ```text
/// {"features":2,"bins":256,"names":["b1","b2"],
///  "grad":[[g(b1=0),..,g(b1=255)],[g(b2=0),..]],"hess":[[..],[..]],"count":[[..],[..]]}
/// ```
///
/// `features` is the number of bin-code arguments (`k`) and `names` their column names
/// (`x<i>` for one that is not a plain column or repeats one, as the fits name features);
/// `grad`, `hess` and `count` hold `k` arrays of `bins` (256) numbers each, feature by
/// feature in argument order. Every number is written so that it parses back to the same
/// `f64` (the shortest round-trip form), so [`GbdtHistograms::from_json`] recovers the sums
/// bit for bit.
///
/// A split finder reads a feature's entries as the trainer's histogram of that feature:
/// `(grad[j][b], hess[j][b])` is the trainer's entry for bin `b`, and `count[j][b]` the rows
/// behind it (LightGBM's `min_data_in_leaf`). Every row counted in one feature is counted in
/// every feature, so [`GbdtHistograms::rows`] is the group's number of rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GbdtHistograms {
    /// Features: the bin-code arguments.
    pub features: usize,
    /// Entries per feature: [`BINS`].
    pub bins: usize,
    /// The bin-code arguments' names.
    pub names: Vec<String>,
    /// `grad[j][b]`: the sum of the gradients (each rounded to float32 first) of the rows whose
    /// feature `j` is in bin `b`.
    pub grad: Vec<Vec<f64>>,
    /// `hess[j][b]`: the same sum of the hessians.
    pub hess: Vec<Vec<f64>>,
    /// `count[j][b]`: the rows whose feature `j` is in bin `b`.
    pub count: Vec<Vec<u64>>,
}

impl GbdtHistograms {
    /// The histograms in the text `gbdt_histogram` returns.
    ///
    /// # Errors
    /// Text that is not such JSON, or whose arrays do not all have `features` rows of `bins`
    /// entries.
    pub fn from_json(text: &str) -> Result<Self> {
        let h: GbdtHistograms = serde_json::from_str(text)
            .map_err(|e| DataFusionError::Execution(format!("{NAME}: not a histogram: {e}")))?;
        if h.names.len() != h.features
            || !shaped(&h.grad, h.features, h.bins)
            || !shaped(&h.hess, h.features, h.bins)
            || !shaped(&h.count, h.features, h.bins)
        {
            return exec_err!(
                "{NAME}: not a histogram: names, grad, hess and count must hold {} features of \
                 {} bins each",
                h.features,
                h.bins
            );
        }
        Ok(h)
    }

    /// The JSON text of the histograms, on one line.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("finite sums and counts always serialize")
    }

    /// Rows behind the histograms (those of the first feature; every feature counts each
    /// row once).
    pub fn rows(&self) -> u64 {
        self.count.first().map_or(0, |c| c.iter().sum())
    }

    /// Feature `j`'s `(gradient, hessian)` entries, laid out as the trainer's histograms
    /// (and `simd_kernels::histogram_gh`'s output) are.
    ///
    /// # Panics
    /// If `j` is not below [`features`](Self::features).
    pub fn pairs(&self, j: usize) -> Vec<[f64; 2]> {
        self.grad[j]
            .iter()
            .zip(&self.hess[j])
            .map(|(&g, &h)| [g, h])
            .collect()
    }
}

/// Whether `rows` holds `features` rows of `bins` entries.
fn shaped<T>(rows: &[Vec<T>], features: usize, bins: usize) -> bool {
    rows.len() == features && rows.iter().all(|r| r.len() == bins)
}
