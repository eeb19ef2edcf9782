//! Bad input at every public entry point of the crate: each gets a typed error, a documented
//! panic, or NaN propagation, never a silent wrong answer. See docs/RELIABILITY.md.

use fast_math::{Mat, Par};
use ml_pipeline::models::*;
use ml_pipeline::{
    extract_features, Accumulator, FeatureConfig, Fit, FitIncremental, IntegratedMlPipeline,
    PipelineBuilder, PipelineError, Predict, RollingFeatures, Target, Transform,
};
use seeded_rng::Rng;
use simd_kernels::Isa;

fn data(n: usize, k: usize) -> (Mat<f64>, Vec<f64>) {
    let x = Mat::from_fn(n, k, |i, j| ((i * 37 + j * 11) % 23) as f64 / 23.0 - 0.5);
    let y = (0..n)
        .map(|i| (0..k).map(|j| x[(i, j)] * (j + 1) as f64).sum::<f64>() + 0.25)
        .collect();
    (x, y)
}

fn labels(y: &[f64]) -> Vec<f64> {
    y.iter().map(|&v| f64::from(u8::from(v > 0.25))).collect()
}

fn walk(n: usize) -> Vec<f64> {
    let mut rng = Rng::new(1);
    let mut p = 100.0f64;
    (0..n)
        .map(|_| {
            p *= 1.0 + rng.range(-0.005, 0.005);
            p
        })
        .collect()
}

// ---------------------------------------------------------------- hyperparameters

#[test]
fn ridge_huge_alpha_shrinks_to_the_mean_and_bad_alpha_is_rejected() {
    let (x, y) = data(200, 3);
    let m = Ridge {
        alpha: 1e300,
        fit_intercept: true,
    }
    .fit(x.as_ref(), &y, Par::Seq)
    .expect("huge alpha is valid");
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    assert!(
        m.coef.iter().all(|c| c.is_finite() && c.abs() < 1e-290),
        "{m:?}"
    );
    assert!((m.intercept - mean).abs() <= 1e-12 * mean.abs(), "{m:?}");
    for alpha in [f64::NAN, f64::INFINITY, -1e-300, f64::NEG_INFINITY] {
        let r = Ridge {
            alpha,
            fit_intercept: true,
        }
        .fit(x.as_ref(), &y, Par::Seq);
        assert!(
            matches!(
                r,
                Err(PipelineError::InvalidHyperparameter {
                    model: "ridge",
                    name: "alpha",
                    ..
                })
            ),
            "alpha {alpha}: {r:?}"
        );
        assert!(
            r.as_ref().unwrap_err().to_string().contains("alpha"),
            "alpha {alpha}: {r:?}"
        );
    }
}

#[test]
fn logistic_extreme_c_gives_finite_models_and_bad_c_is_rejected() {
    let (x, y) = data(300, 3);
    let yl = labels(&y);
    for c in [1e-300, 1e300] {
        let m = LogisticRegression {
            c,
            ..Default::default()
        }
        .fit(x.as_ref(), &yl, Par::Seq);
        match m {
            Ok(m) => {
                let lin = &m.linear;
                assert!(
                    lin.coef
                        .iter()
                        .chain([&lin.intercept])
                        .all(|v| v.is_finite()),
                    "c {c}: {m:?}"
                );
                let p = m.predict_proba_one(&[x[(0, 0)], x[(0, 1)], x[(0, 2)]]);
                assert!((0.0..=1.0).contains(&p), "c {c}: p {p}");
                if c < 1.0 {
                    // Penalty dominates: every weight is (almost) zero.
                    assert!(lin.coef.iter().all(|w| w.abs() < 1e-6), "c {c}: {m:?}");
                }
            }
            Err(e) => assert!(matches!(e, PipelineError::Linalg(_)), "c {c}: {e:?}"),
        }
    }
    for c in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let r = LogisticRegression {
            c,
            ..Default::default()
        }
        .fit(x.as_ref(), &yl, Par::Seq);
        assert!(
            matches!(
                r,
                Err(PipelineError::InvalidHyperparameter {
                    model: "logistic regression",
                    name: "c",
                    ..
                })
            ),
            "c {c}: {r:?}"
        );
    }
}

#[test]
fn logistic_with_a_single_class_stays_finite() {
    let (x, _) = data(100, 2);
    for class in [0.0, 1.0] {
        let m = LogisticRegression::default()
            .fit(x.as_ref(), &vec![class; 100], Par::Seq)
            .expect("one class is still data");
        let lin = &m.linear;
        assert!(lin
            .coef
            .iter()
            .chain([&lin.intercept])
            .all(|v| v.is_finite()));
        let p = m.predict_proba_one(&[0.0, 0.0]);
        assert_eq!(p > 0.5, class == 1.0, "class {class}: p {p}");
    }
}

#[test]
fn pca_rank_out_of_range_is_an_invalid_hyperparameter() {
    let (x, _) = data(10, 4);
    for r in [0, 5, usize::MAX] {
        let e = Pca { n_components: r }
            .fit(x.as_ref(), Target::None, Par::Seq)
            .unwrap_err();
        assert!(
            matches!(
                e,
                PipelineError::InvalidHyperparameter {
                    model: "PCA",
                    name: "n_components",
                    ..
                }
            ),
            "{r}: {e:?}"
        );
        assert!(e.to_string().contains("n_components"), "{r}: {e}");
    }
    // More components than rows, on wide data.
    let (wide, _) = data(3, 8);
    assert!(matches!(
        Pca { n_components: 4 }.fit(wide.as_ref(), Target::None, Par::Seq),
        Err(PipelineError::InvalidHyperparameter {
            name: "n_components",
            ..
        })
    ));
}

#[test]
fn pca_of_constant_data_is_finite() {
    let x = Mat::filled(50, 4, 3.5);
    let m = Pca { n_components: 2 }
        .fit(x.as_ref(), Target::None, Par::Seq)
        .expect("constant data");
    assert!(m.components.iter().all(|v| v.is_finite()), "{m:?}");
    assert!(m.explained_variance.iter().all(|&v| v == 0.0), "{m:?}");
    assert!(m.explained_variance_ratio.iter().all(|v| !v.is_infinite()));
}

// ---------------------------------------------------------------- data

#[test]
fn empty_and_zero_width_data_are_empty_data_errors() {
    let no_rows = Mat::<f64>::zeros(0, 3);
    let no_cols = Mat::<f64>::zeros(5, 0);
    let y5 = [0.0; 5];
    for (x, y) in [(&no_rows, &[][..]), (&no_cols, &y5[..])] {
        let (rows, cols) = (x.nrows(), x.ncols());
        let is_empty = |r: &PipelineError| matches!(r, PipelineError::EmptyData { rows: r0, cols: c0 } if *r0 == rows && *c0 == cols);
        let e = Ridge::default().fit(x.as_ref(), y, Par::Seq).unwrap_err();
        assert!(is_empty(&e), "{e:?}");
        let e = LogisticRegression::default()
            .fit(x.as_ref(), y, Par::Seq)
            .unwrap_err();
        assert!(is_empty(&e), "{e:?}");
        let e = StandardScaler
            .fit(x.as_ref(), Target::None, Par::Seq)
            .unwrap_err();
        assert!(is_empty(&e), "{e:?}");
        let e = Pca { n_components: 1 }
            .fit(x.as_ref(), Target::None, Par::Seq)
            .unwrap_err();
        assert!(is_empty(&e), "{e:?}");
    }
    let acc = RidgeAccumulator::new(3);
    assert!(matches!(
        Ridge::default().finish(&acc),
        Err(PipelineError::EmptyData { .. })
    ));
}

#[test]
fn supervised_fits_without_a_target_are_missing_target_errors() {
    let (x, _) = data(20, 3);
    let r = Ridge::default().fit(x.as_ref(), Target::None, Par::Seq);
    assert!(
        matches!(r, Err(PipelineError::MissingTarget { model: "ridge" })),
        "{r:?}"
    );
    let r = LogisticRegression::default().fit(x.as_ref(), Target::None, Par::Seq);
    assert!(
        matches!(
            r,
            Err(PipelineError::MissingTarget {
                model: "logistic regression"
            })
        ),
        "{r:?}"
    );
    let mut acc = RidgeAccumulator::new(3);
    let r = acc.update(x.as_ref(), Target::None);
    assert!(
        matches!(r, Err(PipelineError::MissingTarget { model: "ridge" })),
        "{r:?}"
    );
    assert_eq!(acc.count(), 0);
}

#[test]
fn non_finite_training_values_name_row_and_column_everywhere() {
    let (x, y) = data(40, 3);
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut xb = x.clone();
        xb[(17, 1)] = bad;
        let want = |e: &PipelineError| matches!(e, PipelineError::NonFinite { row: 17, col: 1, value } if value.to_bits() == bad.to_bits());
        let e = StandardScaler
            .fit(xb.as_ref(), Target::None, Par::Seq)
            .unwrap_err();
        assert!(want(&e), "{e:?}");
        let e = Pca { n_components: 1 }
            .fit(xb.as_ref(), Target::None, Par::Seq)
            .unwrap_err();
        assert!(want(&e), "{e:?}");
        let e = LogisticRegression::default()
            .fit(xb.as_ref(), &labels(&y), Par::Seq)
            .unwrap_err();
        assert!(want(&e), "{e:?}");
        let mut acc = RidgeAccumulator::new(3);
        let e = acc.update(xb.as_ref(), Target::Values(&y)).unwrap_err();
        assert!(want(&e), "{e:?}");
        assert_eq!(acc.count(), 0, "a rejected batch must not be half-added");
    }
    let mut yb = labels(&y);
    yb[9] = f64::NAN;
    let e = LogisticRegression::default()
        .fit(x.as_ref(), &yb, Par::Seq)
        .unwrap_err();
    assert!(
        matches!(
            e,
            PipelineError::NonFinite { row: 9, col: 3, .. }
                | PipelineError::BadLabel { row: 9, .. }
        ),
        "{e:?}"
    );
}

#[test]
fn mismatched_shapes_are_shape_mismatch_errors() {
    let (x, y) = data(20, 3);
    let e = LogisticRegression::default()
        .fit(x.as_ref(), &labels(&y)[..19], Par::Seq)
        .unwrap_err();
    assert!(
        matches!(
            e,
            PipelineError::ShapeMismatch {
                expected: 20,
                got: 19,
                ..
            }
        ),
        "{e:?}"
    );
    let mut acc = RidgeAccumulator::new(4);
    let e = acc.update(x.as_ref(), Target::Values(&y)).unwrap_err();
    assert!(
        matches!(
            e,
            PipelineError::ShapeMismatch {
                expected: 4,
                got: 3,
                ..
            }
        ),
        "{e:?}"
    );
    let mut acc = RidgeAccumulator::new(3);
    let e = acc.update(x.as_ref(), Target::Values(&y[..5])).unwrap_err();
    assert!(matches!(e, PipelineError::ShapeMismatch { .. }), "{e:?}");
}

#[test]
fn singular_systems_fail_typed_without_penalty_and_solve_with_it() {
    // One row: every centered column is zero.
    let (x, y) = data(1, 2);
    let r = Ridge {
        alpha: 0.0,
        fit_intercept: true,
    }
    .fit(x.as_ref(), &y, Par::Seq);
    assert!(matches!(r, Err(PipelineError::Linalg(_))), "{r:?}");
    let m = Ridge {
        alpha: 1.0,
        fit_intercept: true,
    }
    .fit(x.as_ref(), &y, Par::Seq)
    .expect("penalized");
    assert_eq!(m.coef, vec![0.0, 0.0]);
    assert_eq!(m.intercept, y[0]);
    // A constant column without intercept and a zero column.
    let x = Mat::from_fn(30, 2, |i, j| if j == 0 { i as f64 } else { 0.0 });
    let y: Vec<f64> = (0..30).map(|i| i as f64).collect();
    let r = Ridge {
        alpha: 0.0,
        fit_intercept: false,
    }
    .fit(x.as_ref(), &y, Par::Seq);
    assert!(matches!(r, Err(PipelineError::Linalg(_))), "{r:?}");
}

// ---------------------------------------------------------------- prediction

#[test]
fn nan_inputs_propagate_to_nan_predictions() {
    let (x, y) = data(100, 3);
    let ridge = Ridge::default().fit(x.as_ref(), &y, Par::Seq).unwrap();
    let logistic = LogisticRegression::default()
        .fit(x.as_ref(), &labels(&y), Par::Seq)
        .unwrap();
    let scaler = StandardScaler
        .fit(x.as_ref(), Target::None, Par::Seq)
        .unwrap();
    let pca = Pca { n_components: 2 }
        .fit(x.as_ref(), Target::None, Par::Seq)
        .unwrap();
    let row = [0.1, f64::NAN, -0.2];
    assert!(ridge.decision_function(&row).is_nan());
    assert!(logistic.predict_proba_one(&row).is_nan());
    let mut scaled = [0.0; 3];
    scaler.transform_one_with(Isa::detect(), &row, &mut [], &mut scaled);
    assert!(scaled[1].is_nan() && scaled[0].is_finite() && scaled[2].is_finite());
    let (mut centered, mut out) = ([0.0; 3], [0.0; 2]);
    pca.transform_one_with(Isa::detect(), &row, &mut centered, &mut out);
    assert!(out.iter().all(|v| v.is_nan()));
    let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    for saved in [
        SavedModel::new(
            names.clone(),
            vec![Stage::StandardScaler(scaler.clone())],
            Model::Ridge(ridge),
        ),
        SavedModel::new(
            names.clone(),
            vec![Stage::StandardScaler(scaler.clone())],
            Model::Logistic(logistic),
        ),
        SavedModel::new(
            names,
            vec![Stage::StandardScaler(scaler), Stage::Pca(pca)],
            Model::Logistic(LogisticModel {
                linear: LinearModel {
                    coef: vec![0.5, -0.25],
                    intercept: 0.1,
                },
                iterations: 1,
            }),
        ),
    ] {
        let mut scratch = vec![0.0; saved.scratch_len()];
        let mut out = [0.0];
        saved.predict_one(&row, &mut scratch, &mut out);
        assert!(out[0].is_nan());
        saved.predict_one(&[0.1, 0.2, 0.3], &mut scratch, &mut out);
        assert!(out[0].is_finite());
    }
}

fn trained() -> (LinearModel, ScalerModel, SavedModel) {
    let (x, y) = data(50, 3);
    let ridge = Ridge::default().fit(x.as_ref(), &y, Par::Seq).unwrap();
    let scaler = StandardScaler
        .fit(x.as_ref(), Target::None, Par::Seq)
        .unwrap();
    let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let saved = SavedModel::new(
        names,
        vec![Stage::StandardScaler(scaler.clone())],
        Model::Ridge(ridge.clone()),
    );
    (ridge, scaler, saved)
}

#[test]
#[should_panic(expected = "slice lengths differ (2 vs 3)")]
fn linear_predict_one_with_wrong_width_panics_naming_both() {
    trained().0.decision_function(&[1.0, 2.0]);
}

#[test]
#[should_panic(expected = "predict_into: 2 feature columns, model has 3")]
fn linear_predict_batch_with_wrong_width_panics_naming_both() {
    let mut out = vec![0.0; 4];
    trained()
        .0
        .predict_into(Mat::zeros(4, 2).as_ref(), &mut out, Par::Seq);
}

#[test]
#[should_panic(expected = "scaler: 4 values for 3 features")]
fn scaler_transform_with_wrong_width_panics_naming_both() {
    trained()
        .1
        .transform_one_with(Isa::detect(), &[0.0; 4], &mut [], &mut [0.0; 4]);
}

#[test]
#[should_panic(expected = "model: 4 values for 3 features")]
fn saved_predict_one_with_wrong_width_panics() {
    let saved = trained().2;
    let mut scratch = vec![0.0; 8];
    saved.predict_one(&[0.0; 4], &mut scratch, &mut [0.0]);
}

#[test]
#[should_panic]
fn saved_predict_one_with_short_scratch_panics() {
    let saved = trained().2;
    let mut scratch = vec![0.0; saved.scratch_len() - 1];
    saved.predict_one(&[0.0; 3], &mut scratch, &mut [0.0]);
}

// ---------------------------------------------------------------- features

#[test]
fn window_longer_than_the_data_gives_all_nan_rows() {
    let prices = walk(50);
    for par in [Par::Seq, Par::Rayon(2)] {
        let fm = extract_features(&prices, &FeatureConfig::with_window(64), par).unwrap();
        assert_eq!(fm.nrows(), 50);
        let std = fm.column("roll_std").unwrap();
        assert!(std.iter().all(|v| v.is_nan()));
    }
    let mut f = RollingFeatures::new(FeatureConfig::with_window(64)).unwrap();
    assert!(prices.iter().all(|&p| f.update(p).is_none()));
    let fm = extract_features(&[], &FeatureConfig::default(), Par::Seq).unwrap();
    assert_eq!((fm.nrows(), fm.as_slice().len()), (0, 0));
}

#[test]
fn bad_feature_configs_are_invalid_settings_naming_the_field() {
    // The configuration, the setting's field name, and text its message must hold.
    let cases: Vec<(FeatureConfig, &str, &str)> = vec![
        (FeatureConfig::with_window(0), "window", "window"),
        (FeatureConfig::with_window(3), "window", "window"),
        (
            FeatureConfig {
                ema_spans: vec![4, 0],
                ..Default::default()
            },
            "ema_spans",
            "ema_spans",
        ),
        (
            FeatureConfig {
                spectral_len: 8,
                spectral_bins: 5,
                ..Default::default()
            },
            "spectral_bins",
            "spectral_bins",
        ),
        (
            FeatureConfig {
                recompute_every: 0,
                ..Default::default()
            },
            "recompute_every",
            "recompute_every",
        ),
        // Regression: these used to abort on a failed allocation (or overflow) instead.
        (
            FeatureConfig::with_window(FeatureConfig::MAX_WINDOW + 1),
            "window",
            "window must be at most",
        ),
        (
            FeatureConfig::with_window(usize::MAX),
            "window",
            "window must be at most",
        ),
        (
            FeatureConfig {
                spectral_len: usize::MAX,
                ..Default::default()
            },
            "spectral_len",
            "spectral_len must be at most",
        ),
    ];
    for (cfg, field, text) in cases {
        for r in [
            extract_features(&walk(10), &cfg, Par::Seq).map(|_| ()),
            RollingFeatures::new(cfg.clone()).map(|_| ()),
            RollingFeatures::primed(cfg.clone(), &walk(10)).map(|_| ()),
            IntegratedMlPipeline::builder()
                .features(cfg.clone())
                .build()
                .map(|_| ()),
        ] {
            assert!(
                matches!(
                    &r,
                    Err(e @ PipelineError::InvalidSetting { name, .. })
                        if *name == field && e.to_string().contains(text)
                ),
                "{field}: {r:?}"
            );
        }
    }
}

#[test]
fn huge_recompute_interval_and_ema_span_are_valid() {
    // Regression: priming summed these and overflowed.
    let cfg = FeatureConfig {
        recompute_every: usize::MAX,
        ema_spans: vec![usize::MAX, 3],
        ..FeatureConfig::with_window(8)
    };
    let prices = walk(3_000);
    let seq = extract_features(&prices, &cfg, Par::Seq).unwrap();
    let par = extract_features(&prices, &cfg, Par::Rayon(2)).unwrap();
    assert_eq!(seq.as_slice().len(), par.as_slice().len());
    for (a, b) in seq.as_slice().iter().zip(par.as_slice()) {
        assert!(
            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            "{a} vs {b}"
        );
    }
    let primed = RollingFeatures::primed(cfg, &prices).unwrap();
    assert_eq!(primed.ticks(), prices.len());
    assert!(seq.row(2_999).iter().all(|v| v.is_finite()));
}

#[test]
fn non_positive_and_non_finite_prices_are_gaps_that_heal() {
    let w = 8;
    let cfg = FeatureConfig {
        spectral_len: 0,
        spectral_bins: 0,
        ..FeatureConfig::with_window(w)
    };
    let clean = walk(200);
    for bad in [0.0, -5.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut prices = clean.clone();
        prices[100] = bad;
        let fm = extract_features(&prices, &cfg, Par::Seq).unwrap();
        let reference = extract_features(&clean, &cfg, Par::Seq).unwrap();
        let std = fm.column_index("roll_std").unwrap();
        // The windows that hold the bad return are NaN...
        assert!(fm.get(100, std).is_nan(), "{bad}");
        assert!(fm.get(100 + w - 1, std).is_nan(), "{bad}");
        // ...and once every window (the widest one spans window + 1 prices) has moved past
        // it, the rolling statistics agree with the clean series again.
        for t in 100 + w + 2..200 {
            let (a, b) = (fm.get(t, std), reference.get(t, std));
            assert!((a - b).abs() <= 1e-9 * b.abs(), "{bad}: t {t}: {a} vs {b}");
        }
    }
}

// ---------------------------------------------------------------- pipeline

#[test]
fn pipeline_fit_on_too_little_or_constant_data_is_empty_data() {
    let mut pipe = IntegratedMlPipeline::builder().window(16).build().unwrap();
    assert!(
        pipe.update(100.0).is_none(),
        "untrained pipeline predicts nothing"
    );
    for prices in [vec![], walk(10), vec![100.0; 500], vec![f64::NAN; 500]] {
        let e = pipe.fit(&prices).unwrap_err();
        assert!(
            matches!(e, PipelineError::EmptyData { rows: 0, .. }),
            "{e:?}"
        );
    }
    assert!(pipe.model().is_none());
}

#[test]
fn pipeline_hyperparameters_are_checked_at_fit_or_build() {
    let prices = walk(2_000);
    // The builder, the model of a bad hyperparameter (`None`: a pipeline setting), the field.
    let cases: [(PipelineBuilder, Option<&str>, &str); 7] = [
        (
            IntegratedMlPipeline::builder().ridge(f64::NAN),
            Some("ridge"),
            "alpha",
        ),
        (
            IntegratedMlPipeline::builder().ridge(-1.0),
            Some("ridge"),
            "alpha",
        ),
        (
            IntegratedMlPipeline::builder().logistic(0.0),
            Some("logistic regression"),
            "c",
        ),
        (
            IntegratedMlPipeline::builder().logistic(f64::INFINITY),
            Some("logistic regression"),
            "c",
        ),
        (
            IntegratedMlPipeline::builder().pca(0),
            Some("PCA"),
            "n_components",
        ),
        (
            IntegratedMlPipeline::builder().pca(1_000),
            Some("PCA"),
            "n_components",
        ),
        (IntegratedMlPipeline::builder().horizon(0), None, "horizon"),
    ];
    for (pipe, model, field) in cases {
        let r = pipe.build().and_then(|mut p| p.fit(&prices).map(|_| ()));
        let typed = match (&r, model) {
            (Err(PipelineError::InvalidHyperparameter { model: m, name, .. }), Some(want)) => {
                *m == want && *name == field
            }
            (Err(PipelineError::InvalidSetting { name, .. }), None) => *name == field,
            _ => false,
        };
        assert!(typed, "{model:?} {field}: {r:?}");
    }
}

// ---------------------------------------------------------------- model files

#[test]
fn every_truncation_of_a_model_file_is_a_typed_error() {
    let (_, _, saved) = trained();
    let good = saved.to_json();
    assert_eq!(SavedModel::from_json(&good).unwrap(), saved);
    for end in 0..good.len() {
        if !good.is_char_boundary(end) {
            continue;
        }
        let r = SavedModel::from_json(&good[..end]);
        assert!(
            matches!(r, Err(PipelineError::ModelFileSyntax { .. })),
            "{end}: {r:?}"
        );
    }
}

/// One corruption of a model file's JSON.
type Edit = Box<dyn Fn(&mut serde_json::Value)>;

#[test]
fn corrupted_model_files_are_typed_errors() {
    let (_, _, saved) = trained();
    let good = saved.to_json();
    let value: serde_json::Value = serde_json::from_str(&good).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = value.clone();
        f(&mut v);
        SavedModel::from_json(&v.to_string())
    };
    // Each corruption, and the field the error names where the checks (rather than the
    // JSON decoder) find it.
    let cases: Vec<(&str, Edit, Option<&str>)> = vec![
        (
            "coef null",
            Box::new(|v| v["model"]["coef"][0] = serde_json::Value::Null),
            None,
        ),
        (
            "coef text",
            Box::new(|v| v["model"]["coef"][1] = "x".into()),
            None,
        ),
        (
            "coef missing",
            Box::new(|v| {
                v["model"].as_object_mut().unwrap().remove("coef");
            }),
            None,
        ),
        (
            "short coef",
            Box::new(|v| {
                v["model"]["coef"].as_array_mut().unwrap().pop();
            }),
            Some("model.coef"),
        ),
        (
            "scaler width",
            Box::new(|v| {
                v["stages"][0]["mean"]
                    .as_array_mut()
                    .unwrap()
                    .push(1.0.into());
            }),
            Some("stages[0]"),
        ),
        (
            "scaler zero",
            Box::new(|v| v["stages"][0]["scale"][0] = 0.0.into()),
            Some("stages[0]"),
        ),
        (
            "scaler negative",
            Box::new(|v| v["stages"][0]["scale"][0] = (-1.0).into()),
            Some("stages[0]"),
        ),
        (
            "version text",
            Box::new(|v| v["version"] = "2".into()),
            Some("version"),
        ),
        (
            "version negative",
            Box::new(|v| v["version"] = (-1).into()),
            Some("version"),
        ),
        (
            "format missing",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("format");
            }),
            Some("format"),
        ),
        (
            "names not strings",
            Box::new(|v| v["feature_names"][0] = 5.into()),
            None,
        ),
        (
            "pca wrong shape",
            Box::new(|v| {
                v["stages"].as_array_mut().unwrap().push(serde_json::json!({
                    "kind": "pca",
                    "mean": [0.0, 0.0, 0.0],
                    "components": [1.0, 0.0],
                    "explained_variance": [1.0],
                    "explained_variance_ratio": [1.0]
                }));
            }),
            Some("stages[1]"),
        ),
        (
            "not an object",
            Box::new(|v| *v = serde_json::json!([1, 2, 3])),
            Some("format"),
        ),
    ];
    for (what, f, field) in cases {
        let r = edit(&*f);
        assert!(
            matches!(&r, Err(PipelineError::ModelFileContent { field: got, .. })
                if field.is_none_or(|want| got == want)),
            "{what}: {r:?}"
        );
    }
    // Not JSON at all, or JSON that is not a model file.
    for (text, syntax) in [
        ("", true),
        ("null", false),
        ("{}", false),
        ("\u{feff}{}", true),
        ("\0\0\0", true),
        ("1e400", true),
    ] {
        let r = SavedModel::from_json(text);
        let typed = if syntax {
            matches!(r, Err(PipelineError::ModelFileSyntax { .. }))
        } else {
            matches!(r, Err(PipelineError::ModelFileContent { .. }))
        };
        assert!(typed, "{text:?}: {r:?}");
    }
    // A number too large for f64 in the file is a parse error, not an infinite coefficient.
    let huge = good.replacen(
        &format!("{}", saved.model.linear().unwrap().intercept),
        "1e400",
        1,
    );
    assert_ne!(huge, good);
    let r = SavedModel::from_json(&huge);
    assert!(
        matches!(r, Err(PipelineError::ModelFileSyntax { .. })),
        "{r:?}"
    );
    // Another version, far away, reported as such (saturated to u32).
    let r = edit(&|v| v["version"] = u64::MAX.into());
    assert!(
        matches!(
            r,
            Err(PipelineError::ModelVersion {
                found: u32::MAX,
                supported: 2
            })
        ),
        "{r:?}"
    );
}

#[test]
fn model_files_on_disk_fail_typed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    std::fs::write(&path, [0xff, 0xfe, 0x00, 0x7b]).unwrap();
    let r = SavedModel::load(&path);
    assert!(
        matches!(&r, Err(PipelineError::ModelFileIo { path: p, action: "read", .. }) if *p == path),
        "{r:?}"
    );
    // A directory where a file is expected, for reading and for writing.
    let r = SavedModel::load(dir.path());
    assert!(
        matches!(&r, Err(PipelineError::ModelFileIo { path: p, action: "read", .. }) if p == dir.path()),
        "{r:?}"
    );
    let (_, _, saved) = trained();
    let target = dir.path().join("no/such/dir/m.json");
    let r = saved.save(&target);
    assert!(
        matches!(&r, Err(PipelineError::ModelFileIo { path: p, action: "write", .. }) if *p == target),
        "{r:?}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn merging_ridge_accumulators_of_different_widths_is_a_shape_mismatch() {
    let (x, y) = data(10, 3);
    let mut acc = RidgeAccumulator::new(3);
    acc.update(x.as_ref(), Target::Values(&y)).expect("update");
    let before = acc.clone();
    let r = acc.merge(&RidgeAccumulator::new(4));
    assert!(
        matches!(
            r,
            Err(PipelineError::ShapeMismatch {
                what: "accumulator widths",
                expected: 3,
                got: 4
            })
        ),
        "{r:?}"
    );
    assert_eq!(
        acc, before,
        "a rejected merge must leave the accumulator as it was"
    );
    let r = RidgeAccumulator::new(4).merge(&acc);
    assert!(
        matches!(
            r,
            Err(PipelineError::ShapeMismatch {
                expected: 4,
                got: 3,
                ..
            })
        ),
        "{r:?}"
    );
}

#[test]
fn merging_with_an_empty_accumulator_keeps_the_statistics() {
    let x = Mat::from_fn(50, 3, |i, j| ((i * 7 + j * 3) % 11) as f64 - 5.0);
    let y: Vec<f64> = (0..50).map(|i| (i % 5) as f64).collect();
    let mut acc = RidgeAccumulator::new(3);
    acc.update(x.as_ref(), Target::Values(&y)).expect("update");
    let ridge = Ridge {
        alpha: 1.0,
        fit_intercept: true,
    };
    let want = ridge.finish(&acc).expect("fit");
    let mut with_empty = acc.clone();
    with_empty.merge(&RidgeAccumulator::new(3)).expect("merge");
    let mut into_empty = RidgeAccumulator::new(3);
    into_empty.merge(&acc).expect("merge");
    for merged in [with_empty, into_empty] {
        assert_eq!(merged.count(), 50);
        assert_eq!(ridge.finish(&merged).expect("fit"), want);
    }
}
