//! The tree model of `mlp demo`: gradient-boosted trees trained by `ml-pipeline`'s histogram
//! GBDT trainer on the demo's training features, then served by an `IntegratedMlPipeline`
//! (`set_model`) over the test ticks, like the ridge and logistic models.
//!
//! The trees learn the logistic model's target, whether the next return is positive (binary
//! objective), so their probabilities are scored by the same hit rate and log-loss. The
//! last tenth of the training rows (the most recent) is the validation set of early
//! stopping: no test tick takes part in training or in choosing the number of trees.

use crate::error::{CliError, CliResult};
use fast_math::{Mat, Par};
use ml_pipeline::models::{GbdtParams, Objective, TrainExtras, Validation};
use ml_pipeline::{FeatureMatrix, IntegratedMlPipeline, PipelineMetrics, SavedModel};
use std::time::Instant;

/// The trees' hyperparameters: few and shallow so the demo stays quick; large leaves and an
/// L2 penalty because the planted signal is weak against the noise.
fn params() -> GbdtParams {
    GbdtParams {
        objective: Objective::Binary,
        n_estimators: 60,
        learning_rate: 0.1,
        num_leaves: 15,
        max_depth: Some(4),
        min_data_in_leaf: 500,
        lambda_l2: 1.0,
        max_bin: 63,
        early_stopping_rounds: Some(10),
        ..GbdtParams::default()
    }
}

/// Share of the training rows (the last ones) held out for early stopping.
const VALID_SHARE: f64 = 0.1;

/// What training and the replay of the test ticks gave.
pub(crate) struct TreeRun {
    /// The streaming predictions (probability of an up move), one per test tick.
    pub prob: Vec<f64>,
    /// Latency of the pipeline's `update` over the replay.
    pub metrics: PipelineMetrics,
    /// Heap allocations during the replay.
    pub allocations: u64,
    /// The model the pipeline served (to check its streamed predictions against the batch
    /// features).
    pub model: SavedModel,
    /// Trees of the model served.
    pub n_trees: usize,
    /// One line on training: rows, trees, best iteration, metrics, time.
    pub summary: String,
}

/// Trains the trees on the feature rows `0..n_train - 1` (the last training tick has no next
/// return inside the training part) and replays the test ticks through a pipeline of rolling
/// `window` serving them; `allocations` is read around the replay.
///
/// # Errors
/// Training and pipeline errors.
pub(crate) fn train_and_replay(
    fm: &FeatureMatrix,
    prices: &[f64],
    n_train: usize,
    window: usize,
    par: Par,
    allocations: fn() -> u64,
) -> CliResult<TreeRun> {
    let start = Instant::now();
    // Rows whose window is warm (every feature defined), as the pipeline's own `fit` takes.
    let rows: Vec<usize> = (0..n_train - 1)
        .filter(|&t| fm.row(t).iter().all(|v| v.is_finite()))
        .collect();
    let k = fm.ncols();
    let x = Mat::from_fn(rows.len(), k, |i, j| fm.get(rows[i], j));
    let y: Vec<f64> = rows
        .iter()
        .map(|&t| f64::from(u8::from(prices[t + 1] > prices[t])))
        .collect();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let n_valid = (rows.len() as f64 * VALID_SHARE) as usize;
    let n_fit = rows.len() - n_valid;
    let extras = TrainExtras {
        weights: None,
        valid: Some(Validation {
            x: x.as_ref().submatrix(n_fit, 0, n_valid, k),
            y: &y[n_fit..],
            weights: None,
        }),
        feature_names: Some(fm.names()),
    };
    let p = params();
    let trained = p
        .train(
            x.as_ref().submatrix(0, 0, n_fit, k),
            &y[..n_fit],
            extras,
            par,
        )
        .map_err(|e| CliError::pipeline("gbdt training", e))?;
    let train_time = start.elapsed();
    let saved = trained
        .to_saved()
        .map_err(|e| CliError::pipeline("the trained trees", e))?;
    let best = trained.best_iteration.map_or(0, |b| b + 1);
    let valid_loss = trained.valid_metric.get(best.saturating_sub(1));
    let summary = format!(
        "gbdt (binary, up to {} trees, num_leaves {}, max_depth {}, learning_rate {}, early stopping on the last {:.0}% of training rows): {} rows, {} trees kept, validation log-loss {:.5}; {:.2} s",
        p.n_estimators,
        p.num_leaves,
        p.max_depth.unwrap_or(0),
        p.learning_rate,
        100.0 * VALID_SHARE,
        rows.len(),
        trained.model.n_trees(),
        valid_loss.copied().unwrap_or(f64::NAN),
        train_time.as_secs_f64()
    );
    let model = SavedModel::gbdt(saved);
    let (prob, metrics, allocations) = replay(
        &prices[..n_train],
        &prices[n_train..],
        window,
        par,
        allocations,
        &model,
    )?;
    Ok(TreeRun {
        n_trees: trained.model.n_trees(),
        prob,
        metrics,
        allocations,
        model,
        summary,
    })
}

/// Serves `model` in a pipeline primed with the training prices and feeds it every test
/// price, counting allocations around the loop.
fn replay(
    train: &[f64],
    test: &[f64],
    window: usize,
    par: Par,
    allocations: fn() -> u64,
    model: &SavedModel,
) -> CliResult<(Vec<f64>, PipelineMetrics, u64)> {
    let err = |e| CliError::pipeline("gbdt pipeline", e);
    let mut pipe = IntegratedMlPipeline::builder()
        .window(window)
        .par(par)
        .build()
        .map_err(err)?;
    pipe.set_model(model.clone()).map_err(err)?;
    pipe.prime(train).map_err(err)?;
    let mut prob = Vec::with_capacity(test.len());
    let a0 = allocations();
    for &p in test {
        prob.push(pipe.update(p).map_or(f64::NAN, |q| q.value));
    }
    let allocs = allocations() - a0;
    Ok((prob, pipe.metrics(), allocs))
}
