//! Streaming: rolling features and a fitted model, updated tick by tick.
//!
//! Fits ridge regression of the next tick's log return on the rolling features of a price
//! history, then feeds new prices one at a time: each tick updates the features in O(1)
//! and predicts with no heap allocation.
//!
//! Run with `cargo run --release -p ml-pipeline --example streaming`.

use fast_math::{Mat, Par};
use ml_pipeline::{
    extract_features, FeatureConfig, Fit, Predict, Ridge, RollingFeatures, SavedModel, Stage,
    StandardScaler, Target, Transform,
};

/// A deterministic price path: a slow wave plus a faster one, so the example needs no
/// random generator and prints the same numbers everywhere.
fn prices(n: usize) -> Vec<f64> {
    (0..n)
        .map(|t| {
            let t = t as f64;
            100.0 * (1.0 + 0.05 * (t / 500.0).sin() + 0.002 * (t / 7.0).sin())
        })
        .collect()
}

fn main() -> Result<(), ml_pipeline::PipelineError> {
    let history = prices(5_000);
    let cfg = FeatureConfig::with_window(32);

    // Batch features of the history; the target is the next tick's log return.
    let fm = extract_features(&history, &cfg, Par::Seq)?;
    let rows: Vec<usize> = (0..history.len() - 1)
        .filter(|&t| fm.row(t).iter().all(|v| v.is_finite()))
        .collect();
    let x = Mat::from_fn(rows.len(), fm.ncols(), |i, j| fm.get(rows[i], j));
    let y: Vec<f64> = rows
        .iter()
        .map(|&t| (history[t + 1] / history[t]).ln())
        .collect();

    // Standardize, then fit ridge on the standardized features.
    let scaler = StandardScaler.fit(x.as_ref(), Target::None, Par::Seq)?;
    let scaled = scaler.transform(simd_kernels::Isa::detect(), x.as_ref());
    let ridge = Ridge {
        alpha: 1.0,
        fit_intercept: true,
    }
    .fit(scaled.as_ref(), &y, Par::Seq)?;
    let model = SavedModel::new(
        fm.names().to_vec(),
        vec![Stage::StandardScaler(scaler)],
        ml_pipeline::Model::Ridge(ridge),
    );
    println!(
        "fitted on {} rows x {} features",
        x.nrows(),
        model.n_features()
    );

    // The streaming state continues from the end of the history.
    let mut features = RollingFeatures::primed(cfg, &history)?;
    // Buffers are allocated once, here; the loop below allocates nothing.
    let mut scratch = vec![0.0; model.scratch_len()];
    let mut prediction = [0.0];
    let live = prices(5_010);
    for (t, &price) in live.iter().enumerate().skip(history.len()) {
        if let Some(row) = features.update(price) {
            model.predict_one(row, &mut scratch, &mut prediction);
            println!(
                "tick {t}: price {price:.4}, predicted next log return {:+.3e}",
                prediction[0]
            );
        }
    }
    Ok(())
}
