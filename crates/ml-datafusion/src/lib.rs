//! `ml-datafusion`: the pipeline's features, fits and predictions as DataFusion functions,
//! and the `mlp-sql` program that runs SQL with them over Parquet and CSV files.
//!
//! [`register`] adds every function to a `SessionContext`:
//!
//! | function | kind | returns |
//! |---|---|---|
//! | `moments(x)` | aggregate | struct `{count, mean, var, std, skew, kurt}` (pandas' definitions) |
//! | `ridge_fit(y, x1, .., xk [, alpha])` | aggregate | the JSON text of a ridge model file |
//! | `ols_fit(y, x1, .., xk)` | aggregate | the JSON text of a least-squares model file |
//! | `pca_fit(x1, .., xk, n_components)` | aggregate | the JSON text of a PCA model file |
//! | `gbdt_histogram(grad, hess, b1, .., bk)` | aggregate | the JSON text of [`GbdtHistograms`]: per bin-code column, 256 sums of the gradient, of the hessian, and counts |
//! | `predict(model, x1, .., xk)` | scalar | Float64: what `mlp predict` writes as `prediction` |
//! | `predict_proba(model, x1, .., xk)` | scalar | Float64: the probability of the predicted class |
//! | `rolling_features(price, window)` | window | struct of `mlp features --column price` |
//! | `bar_features(open, high, low, close, volume, window)` | window | struct of `mlp features` on OHLCV bars |
//!
//! Every aggregate works with `GROUP BY` (a model per symbol) through a
//! `GroupsAccumulator`, skips rows with a null in any argument, and keeps a partial state
//! that merges in any order: the library's own mergeable accumulators
//! ([`simd_kernels::Moments`], [`ml_pipeline::RidgeAccumulator`],
//! [`ml_pipeline::PcaAccumulator`]), as plain arrow columns (the fits' as one
//! `List<Float64>`, their `to_state` encoding), so partial states can cross a shuffle or a
//! wire between machines. Each type's documentation gives its exact semantics.
//!
//! `gbdt_histogram` is the part of histogram gradient boosting that reads the rows: given
//! each row's gradient, hessian and binned features (`u8` codes, the trainer's bins), it sums
//! the pairs per feature and bin as the trainer does (float32 pairs added in float64 by
//! `simd_kernels::histogram_gh`), and `GROUP BY leaf_id` gives every leaf of a tree level at
//! once. Its partial state is the flat sums (`3 k 256` Float64 per group), merged by adding;
//! a multi-pass driver reads the result back with [`GbdtHistograms::from_json`] and finds
//! the splits itself.
//!
//! Logistic regression is not an aggregate here: its fit (Newton steps / IRLS) needs the
//! current coefficients before it can sum anything over the rows, so one pass over the
//! data cannot produce it. [`logistic::fit_logistic`] drives it as repeated aggregate queries
//! (one pass per Newton step, each a mergeable sum of the gradient and the Hessian).
//!
//! ```no_run
//! # async fn run() -> datafusion::common::Result<()> {
//! use datafusion::prelude::*;
//! let ctx = SessionContext::new();
//! ml_datafusion::register(&ctx);
//! ctx.register_parquet("bars", "data/bars/", ParquetReadOptions::default()).await?;
//! let models = ctx
//!     .sql("SELECT symbol, ridge_fit(y, x1, x2, 0.5) AS model FROM bars GROUP BY symbol")
//!     .await?
//!     .collect()
//!     .await?;
//! # let _ = models;
//! # Ok(())
//! # }
//! ```

mod args;
pub mod cli;
#[cfg(feature = "ballista")]
pub mod cluster;
mod fit;
mod fit_linear;
mod fit_pca;
mod histogram;
pub mod logistic;
mod moments;
mod predict;
mod rolling;
mod state;

pub use fit_linear::LinearFitUdaf;
pub use fit_pca::PcaFitUdaf;
pub use histogram::{GbdtHistogramUdaf, GbdtHistograms, BINS};
pub use moments::MomentsUdaf;
pub use predict::PredictUdf;
pub use rolling::RollingUdwf;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};
use datafusion::prelude::SessionContext;

/// The aggregate functions: `moments`, `ridge_fit`, `ols_fit`, `pca_fit`, `gbdt_histogram`,
/// and `logistic_step` (one Newton step's sums, for [`logistic::fit_logistic`]).
pub fn aggregate_functions() -> Vec<AggregateUDF> {
    vec![
        AggregateUDF::from(MomentsUdaf::default()),
        AggregateUDF::from(LinearFitUdaf::ridge()),
        AggregateUDF::from(LinearFitUdaf::ols()),
        AggregateUDF::from(PcaFitUdaf::default()),
        AggregateUDF::from(GbdtHistogramUdaf::default()),
        AggregateUDF::from(logistic::LogisticStepUdaf::default()),
    ]
}

/// The scalar functions: `predict`, `predict_proba`.
pub fn scalar_functions() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::from(PredictUdf::predict()),
        ScalarUDF::from(PredictUdf::predict_proba()),
    ]
}

/// The window functions: `rolling_features`, `bar_features`.
pub fn window_functions() -> Vec<WindowUDF> {
    vec![
        WindowUDF::from(RollingUdwf::price()),
        WindowUDF::from(RollingUdwf::bars()),
    ]
}

/// Registers every function of this crate with `ctx` (under the names of the table above),
/// replacing any function of the same name.
pub fn register(ctx: &SessionContext) {
    for f in aggregate_functions() {
        ctx.register_udaf(f);
    }
    for f in scalar_functions() {
        ctx.register_udf(f);
    }
    for f in window_functions() {
        ctx.register_udwf(f);
    }
}
