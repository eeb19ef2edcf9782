//! Which types cross threads, and predictions from every core against one shared model.

use fast_math::sparse::CsrMatrix;
use fast_math::{Mat, Par};
use ml_pipeline::{
    extract_features, Ablation, FeatureConfig, FeatureMatrix, Fit, IntegratedMlPipeline,
    LinearModel, LogisticModel, LogisticRegression, Model, Pca, PcaModel, PipelineError, Predict,
    Ridge, RidgeAccumulator, RollingFeatures, SavedModel, ScalerModel, Stage, StandardScaler,
};
use seeded_rng::Rng;
use std::sync::Arc;
use zero_copy_pool::{AlignedVec, Arena, MemoryPoolManager, ObjectPool};

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}

#[test]
fn models_data_and_pools_are_send_and_sync() {
    // Models and their trainers: shared read-only between threads.
    assert_send_sync::<LinearModel>();
    assert_send_sync::<LogisticModel>();
    assert_send_sync::<PcaModel>();
    assert_send_sync::<ScalerModel>();
    assert_send_sync::<Stage>();
    assert_send_sync::<Model>();
    assert_send_sync::<SavedModel>();
    assert_send_sync::<Ridge>();
    assert_send_sync::<LogisticRegression>();
    assert_send_sync::<Pca>();
    assert_send_sync::<StandardScaler>();
    assert_send_sync::<Ablation>();
    assert_send_sync::<RidgeAccumulator>();
    assert_send_sync::<PipelineError>();
    // Features and the streaming state.
    assert_send_sync::<FeatureConfig>();
    assert_send_sync::<FeatureMatrix>();
    assert_send_sync::<RollingFeatures>();
    assert_send_sync::<IntegratedMlPipeline>();
    // Lower layers.
    assert_send_sync::<Mat<f64>>();
    assert_send_sync::<Mat<f32>>();
    assert_send_sync::<CsrMatrix<f64>>();
    assert_send_sync::<AlignedVec<f64>>();
    assert_send_sync::<ObjectPool<AlignedVec<f64>>>();
    assert_send_sync::<MemoryPoolManager>();
    assert_send_sync::<simd_kernels::Isa>();
    // An arena hands out `&mut` slices from `&self`: it moves between threads, one at a time.
    assert_send::<Arena>();
}

fn calls() -> usize {
    std::env::var("ML_PIPELINE_STRESS_CALLS")
        .ok()
        .map(|v| {
            v.parse()
                .expect("ML_PIPELINE_STRESS_CALLS must be an integer")
        })
        .unwrap_or(10_000_000)
}

fn walk(n: usize) -> Vec<f64> {
    let mut rng = Rng::new(2);
    let mut p = 100.0f64;
    (0..n)
        .map(|_| {
            p *= 1.0 + rng.range(-0.005, 0.005);
            p
        })
        .collect()
}

/// A ridge model behind a scaler and a PCA, and a logistic model behind a scaler, trained on
/// the features of one series; plus feature rows to predict (some with NaN).
fn models_and_rows() -> (Vec<Arc<SavedModel>>, Vec<Vec<f64>>) {
    let prices = walk(6_000);
    let mut models = Vec::new();
    for logistic in [false, true] {
        let b = IntegratedMlPipeline::builder().window(32);
        let b = if logistic {
            b.logistic(1.0)
        } else {
            b.pca(4).ridge(0.5)
        };
        let mut pipe = b.build().expect("build");
        pipe.fit(&prices).expect("fit");
        models.push(Arc::new(pipe.model().expect("trained").clone()));
    }
    let fm = extract_features(&prices, &FeatureConfig::with_window(32), Par::Seq).expect("fm");
    // Include warm-up rows, whose features are NaN: NaN results must agree bit for bit too.
    let rows = (0..fm.nrows())
        .step_by(3)
        .map(|t| fm.row(t).to_vec())
        .collect();
    (models, rows)
}

/// One model's prediction for one row, through the model interface.
fn predict(model: &SavedModel, row: &[f64], scratch: &mut [f64]) -> f64 {
    let mut out = [0.0];
    model.predict_one(row, scratch, &mut out);
    out[0]
}

#[test]
fn shared_model_predicts_bit_identically_from_every_core() {
    let (models, rows) = models_and_rows();
    let scratch_len = models.iter().map(|m| m.scratch_len()).max().unwrap();
    let mut scratch = vec![0.0; scratch_len];
    let expected: Vec<Vec<u64>> = models
        .iter()
        .map(|m| {
            rows.iter()
                .map(|r| predict(m, r, &mut scratch).to_bits())
                .collect()
        })
        .collect();
    assert!(expected
        .iter()
        .flatten()
        .any(|&b| f64::from_bits(b).is_nan()));
    assert!(expected
        .iter()
        .flatten()
        .any(|&b| f64::from_bits(b).is_finite()));
    let rows = Arc::new(rows);
    let expected = Arc::new(expected);
    let pool = Arc::new(ObjectPool::new(
        4,
        move || AlignedVec::<f64>::zeroed(scratch_len),
        |_| {},
    ));
    pool.prewarm(2);

    let total = calls();
    let threads = 2;
    let handles: Vec<_> = (0..threads)
        .map(|id| {
            let models = models.clone();
            let rows = Arc::clone(&rows);
            let expected = Arc::clone(&expected);
            let pool = Arc::clone(&pool);
            std::thread::spawn(move || {
                // Thread 0 owns its scratch; the others take scratch from the shared pool,
                // dirty from the previous caller.
                let mut own = vec![f64::NAN; scratch_len];
                let mut mismatches = 0usize;
                let mut first = None;
                let n = total / threads + usize::from(id < total % threads);
                for i in 0..n {
                    // Different strides per thread, so both threads hit both models and
                    // every row in different orders.
                    let k = i.wrapping_mul(2 * id + 1).wrapping_add(id * 7919);
                    let m = k % models.len();
                    let r = (k / models.len()) % rows.len();
                    let got = if id == 0 {
                        predict(&models[m], &rows[r], &mut own)
                    } else {
                        let mut buf = pool.get();
                        predict(&models[m], &rows[r], &mut buf)
                    };
                    if got.to_bits() != expected[m][r] {
                        mismatches += 1;
                        first.get_or_insert((m, r, got));
                    }
                }
                (n, mismatches, first)
            })
        })
        .collect();
    let mut done = 0;
    for h in handles {
        let (n, mismatches, first) = h.join().expect("worker panicked");
        assert_eq!(
            mismatches, 0,
            "first mismatch (model, row, value): {first:?}"
        );
        done += n;
    }
    assert_eq!(done, total);
    assert_eq!(Arc::strong_count(&pool), 1);
}

#[test]
fn models_trained_on_other_threads_equal_the_same_training_here() {
    let x = Mat::from_fn(500, 4, |i, j| ((i * 31 + j * 17) % 97) as f64 / 97.0 - 0.5);
    let y: Vec<f64> = (0..500).map(|i| (i % 7) as f64 * 0.1).collect();
    let here = Ridge::default().fit(x.as_ref(), &y, Par::Seq).unwrap();
    let x = Arc::new(x);
    let y = Arc::new(y);
    let there: Vec<LinearModel> = (0..2)
        .map(|_| {
            let (x, y) = (Arc::clone(&x), Arc::clone(&y));
            std::thread::spawn(move || {
                Ridge::default().fit(x.as_ref().as_ref(), y.as_slice(), Par::Seq)
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().expect("worker panicked").expect("fit"))
        .collect();
    for m in there {
        assert_eq!(m, here);
    }
}
