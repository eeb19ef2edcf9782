//! The integrated pipeline: training, streaming, the ablation switches, metrics.

mod common;

use fast_math::Par;
use ml_pipeline::features::{extract_features, FeatureConfig};
use ml_pipeline::{
    GbdtFormat, IntegratedMlPipeline, Output, PipelineError, Predict, SavedGbdt, SavedModel,
};
use seeded_rng::Rng;

/// The model's prediction for one row, through the model interface.
fn predict(model: &SavedModel, row: &[f64], scratch: &mut [f64]) -> f64 {
    let mut out = [0.0];
    model.predict_one(row, scratch, &mut out);
    out[0]
}

fn walk(n: usize, seed: u64) -> Vec<f64> {
    let mut p = 100.0;
    let mut rng = Rng::new(seed);
    let mut prev = 0.0;
    (0..n)
        .map(|_| {
            let shock = rng.range(-0.005, 0.005);
            // A little momentum so the model has something to find.
            let r = 0.2 * prev + shock;
            prev = r;
            p *= r.exp();
            p
        })
        .collect()
}

#[test]
fn streaming_predictions_equal_the_model_on_batch_features() {
    let prices = walk(30_000, 3);
    let mut pipe = IntegratedMlPipeline::builder().window(32).build().unwrap();
    let report = pipe.fit(&prices[..20_000]).unwrap();
    assert!(report.rows > 19_000 && report.features == FeatureConfig::with_window(32).n_features());
    assert!(
        report.in_sample_score > 0.0,
        "R^2 {} should find the planted momentum",
        report.in_sample_score
    );
    let model = pipe.model().unwrap().clone();
    let fm = extract_features(&prices, &FeatureConfig::with_window(32), Par::Seq).unwrap();
    let mut scratch = vec![0.0; model.scratch_len()];
    for (t, &p) in prices.iter().enumerate().skip(20_000) {
        let pred = pipe.update(p).expect("warm after fit");
        let want = predict(&model, fm.row(t), &mut scratch);
        assert!(
            (pred.value - want).abs() <= 1e-9 * want.abs().max(1e-6),
            "t={t}: {} vs {want}",
            pred.value
        );
    }
    let m = pipe.metrics();
    assert_eq!((m.ticks, m.predictions), (10_000, 10_000));
    assert!(m.latency_p50_ns > 0 && m.latency_p50_ns <= m.latency_p99_ns);
    assert_eq!(m.pool_hit_rate, 1.0);
}

#[test]
fn every_ablation_gives_the_same_predictions() {
    let prices = walk(12_000, 5);
    let mut results = Vec::new();
    for (simd, pools, fast) in [
        (true, true, true),
        (false, true, true),
        (true, false, true),
        (true, true, false),
        (false, false, false),
    ] {
        let mut pipe = IntegratedMlPipeline::builder()
            .window(16)
            .logistic(0.5)
            .use_simd(simd)
            .use_pools(pools)
            .use_fast_math(fast)
            .build()
            .unwrap();
        pipe.fit(&prices[..8_000]).unwrap();
        let preds: Vec<f64> = prices[8_000..]
            .iter()
            .filter_map(|&p| pipe.update(p))
            .map(|p| p.value)
            .collect();
        assert_eq!(preds.len(), 4_000);
        let hit = pipe.metrics().pool_hit_rate;
        assert_eq!(hit, if pools { 1.0 } else { 0.0 });
        results.push(preds);
    }
    for other in &results[1..] {
        for (a, b) in results[0].iter().zip(other) {
            assert!((a - b).abs() <= 1e-9, "{a} vs {b}");
        }
    }
}

#[test]
fn bad_setups_are_typed_errors() {
    assert!(matches!(
        IntegratedMlPipeline::builder().horizon(0).build(),
        Err(PipelineError::InvalidSetting { .. })
    ));
    assert!(matches!(
        IntegratedMlPipeline::builder().window(2).build(),
        Err(PipelineError::InvalidSetting { .. })
    ));
    let mut pipe = IntegratedMlPipeline::builder().build().unwrap();
    assert!(matches!(
        pipe.fit(&walk(50, 1)),
        Err(PipelineError::EmptyData { .. })
    ));
    assert!(pipe.update(100.0).is_none(), "no model yet");
}

#[test]
fn a_nan_price_predicts_nan_then_recovers() {
    let prices = walk(6_000, 9);
    let mut pipe = IntegratedMlPipeline::builder().window(16).build().unwrap();
    pipe.fit(&prices[..5_000]).unwrap();
    let mut values = Vec::new();
    for (i, &p) in prices[5_000..].iter().enumerate() {
        let p = if i == 100 { f64::NAN } else { p };
        values.push(pipe.update(p).unwrap().value);
    }
    assert!(values[100].is_nan() && values[110].is_nan());
    assert!(values[400..].iter().all(|v| v.is_finite()));
}

#[test]
fn pca_in_the_pipeline_streams_like_the_batch_model_and_round_trips() {
    let prices = walk(20_000, 11);
    let mut pipe = IntegratedMlPipeline::builder()
        .window(32)
        .pca(4)
        .build()
        .unwrap();
    pipe.fit(&prices[..15_000]).unwrap();
    let model = pipe.model().unwrap().clone();
    assert_eq!(model.pca().map(|p| p.n_components()), Some(4));
    assert_eq!(model.model.linear().unwrap().coef.len(), 4);
    let back = ml_pipeline::SavedModel::from_json(&model.to_json()).unwrap();
    assert_eq!(back, model);
    let fm = extract_features(&prices, &FeatureConfig::with_window(32), Par::Seq).unwrap();
    let mut scratch = vec![0.0; model.scratch_len()];
    for (t, &p) in prices.iter().enumerate().skip(15_000) {
        let got = pipe.update(p).unwrap().value;
        let want = predict(&back, fm.row(t), &mut scratch);
        assert!(
            (got - want).abs() <= 1e-9 * want.abs().max(1e-6),
            "t={t}: {got} vs {want}"
        );
    }
}

fn tree(objective: &str) -> SavedGbdt {
    let text = common::lightgbm_text(&common::TREE_FEATURES, objective, &common::TREE_THRESHOLDS);
    SavedGbdt::import(GbdtFormat::LightgbmText, text.into_bytes()).unwrap()
}

#[test]
fn a_tree_model_streams_the_predictions_it_gives_on_its_named_columns() {
    let prices = walk(6_000, 11);
    let cfg = FeatureConfig::with_window(32);
    let fm = extract_features(&prices, &cfg, Par::Seq).unwrap();
    let col = |name: &str| fm.names().iter().position(|n| n == name).unwrap();
    let picked: Vec<usize> = common::TREE_FEATURES.iter().map(|n| col(n)).collect();
    for objective in ["regression", "binary sigmoid:1"] {
        let tree = tree(objective);
        let mut pipe = IntegratedMlPipeline::builder().window(32).build().unwrap();
        pipe.set_model(SavedModel::gbdt(tree.clone())).unwrap();
        // The file the pipeline would save reads the pipeline's columns and reads back equal.
        let saved = pipe.model().unwrap().clone();
        assert_eq!(saved.feature_names, fm.names());
        assert_eq!(SavedModel::from_json(&saved.to_json()).unwrap(), saved);
        pipe.prime(&prices[..3_000]).unwrap();
        let mut out = [0.0];
        let mut scratch = vec![0.0; tree.model().scratch_len()];
        let mut seen = std::collections::BTreeSet::new();
        for (t, &p) in prices.iter().enumerate().skip(3_000) {
            let pred = pipe.update(p).expect("primed");
            let row: Vec<f64> = picked.iter().map(|&j| fm.get(t, j)).collect();
            tree.model().predict_one(&row, &mut scratch, &mut out);
            assert_eq!(
                pred.value.to_bits(),
                out[0].to_bits(),
                "t={t} ({objective})"
            );
            seen.insert(pred.value.to_bits());
        }
        // The thresholds are crossed: more than one leaf path is taken.
        assert!(
            seen.len() > 3,
            "{objective}: {} distinct predictions",
            seen.len()
        );
    }
}

#[test]
fn a_tree_model_must_read_known_columns() {
    let mut pipe = IntegratedMlPipeline::builder().window(32).build().unwrap();
    let text = common::lightgbm_text(&["zscore", "volume"], "regression", &[(0.0, 1.0)]);
    let tree = SavedGbdt::import(GbdtFormat::LightgbmText, text.into_bytes()).unwrap();
    let r = pipe.set_model(SavedModel::gbdt(tree));
    assert!(
        matches!(&r, Err(PipelineError::MissingFeature { feature, available })
            if feature == "volume" && available.iter().any(|a| a == "zscore")),
        "{r:?}"
    );
    assert!(pipe.model().is_none());
}

/// A multiclass model streams its class probabilities (`outputs`), and `value` is the
/// likeliest class, equal to what the model gives on the same columns.
#[test]
fn a_multiclass_tree_model_streams_its_probabilities() {
    let prices = walk(4_000, 12);
    let fm = extract_features(&prices, &FeatureConfig::with_window(32), Par::Seq).unwrap();
    let col = |name: &str| fm.names().iter().position(|n| n == name).unwrap();
    let picked: Vec<usize> = common::TREE_FEATURES.iter().map(|n| col(n)).collect();
    // Three trees: one iteration of three classes.
    let text = common::lightgbm_text(
        &common::TREE_FEATURES,
        "multiclass num_class:3",
        &common::TREE_THRESHOLDS,
    )
    .replace(
        "num_class=1\nnum_tree_per_iteration=1",
        "num_class=3\nnum_tree_per_iteration=3",
    );
    let tree = SavedGbdt::import(GbdtFormat::LightgbmText, text.into_bytes()).unwrap();
    assert_eq!(tree.output(), Output::Probabilities(3));
    let mut pipe = IntegratedMlPipeline::builder().window(32).build().unwrap();
    pipe.set_model(SavedModel::gbdt(tree.clone())).unwrap();
    assert!(pipe.outputs().iter().all(|v| v.is_nan()));
    pipe.prime(&prices[..2_000]).unwrap();
    let (mut out, mut scratch) = ([0.0; 3], vec![0.0; tree.model().scratch_len()]);
    let mut classes = std::collections::BTreeSet::new();
    for (t, &p) in prices.iter().enumerate().skip(2_000) {
        let pred = pipe.update(p).expect("primed");
        let row: Vec<f64> = picked.iter().map(|&j| fm.get(t, j)).collect();
        tree.model().predict_one(&row, &mut scratch, &mut out);
        assert_eq!(pipe.outputs(), &out, "t={t}");
        let best = (0..3).fold(0, |b, i| if out[i] > out[b] { i } else { b });
        assert_eq!(pred.value, best as f64, "t={t}");
        classes.insert(best);
    }
    assert!(classes.len() > 1, "classes predicted: {classes:?}");
}
