//! The histogram GBDT trainer: it recovers what the data says, its model exports to XGBoost
//! JSON and reads back bit for bit, it does not depend on the thread count, it stops early,
//! and it refuses bad settings and data with typed errors.
//!
//! With `GBDT_EXPORT_DIR` set, `exported_models_predict_the_same_after_reading_back` also
//! writes each exported model, its rows and our predictions there, for
//! `tests/fixtures/gbdt_train/check_xgboost_export.py` to compare against XGBoost itself.

use fast_math::{Mat, MatRef, Par};
use ml_pipeline::models::{
    GbdtModel, GbdtParams, Growth, Objective, TrainExtras, TrainedGbdt, Validation,
};
use ml_pipeline::{Fit, PipelineError, Predict};
use seeded_rng::Rng;

/// Rows with a nonlinear signal in features 0 and 1, an interaction, noise features, and
/// `missing` of the values NaN.
fn data(n: usize, k: usize, seed: u64, missing: f64) -> (Mat<f64>, Vec<f64>) {
    let mut rng = Rng::new(seed);
    let x = Mat::from_fn(n, k, |_, _| {
        if rng.uniform() < missing {
            f64::NAN
        } else {
            rng.normal()
        }
    });
    let y = (0..n)
        .map(|i| {
            let (a, b) = (x[(i, 0)], x[(i, 1)]);
            let a = if a.is_nan() { 0.5 } else { a };
            let b = if b.is_nan() { -1.0 } else { b };
            (if a > 0.3 { 2.0 } else { -1.0 }) + b * b * 0.5 + a * b
        })
        .collect();
    (x, y)
}

/// Labels 0, 1, 2 from the regression target's level.
fn three_classes(y: &[f64]) -> Vec<f64> {
    y.iter()
        .map(|&v| f64::from(u8::from(v >= 0.0) + u8::from(v >= 2.0)))
        .collect()
}

fn predict_all(m: &GbdtModel, x: MatRef<'_, f64>) -> Vec<f64> {
    let mut out = vec![0.0; x.nrows() * m.output().width()];
    m.predict_into(x, &mut out, Par::Seq);
    out
}

fn small() -> GbdtParams {
    GbdtParams {
        n_estimators: 20,
        num_leaves: 15,
        min_data_in_leaf: 5,
        ..GbdtParams::default()
    }
}

#[test]
fn a_noiseless_step_function_is_recovered() {
    let n = 400;
    let x = Mat::from_fn(n, 2, |i, j| {
        if j == 0 {
            i as f64 / n as f64
        } else {
            (i * 7 % 13) as f64
        }
    });
    let y: Vec<f64> = (0..n)
        .map(|i| {
            if (i as f64 / n as f64) < 0.25 {
                3.0
            } else {
                -1.0
            }
        })
        .collect();
    let params = GbdtParams {
        n_estimators: 60,
        learning_rate: 0.3,
        ..GbdtParams::default()
    };
    let t = params
        .train(x.as_ref(), &y, TrainExtras::default(), Par::Seq)
        .unwrap();
    let pred = predict_all(&t.model, x.as_ref());
    for (p, y) in pred.iter().zip(&y) {
        assert!((p - y).abs() < 1e-4, "{p} vs {y}");
    }
    // Every split is on the step's feature, at the step.
    assert_eq!(t.split_count[1], 0);
    assert!(t.split_count[0] > 0 && t.total_gain[0] > 0.0);
    let (mut out, mut scratch) = ([0.0], vec![0.0; t.model.scratch_len()]);
    t.model.predict_one(&[0.2, 0.0], &mut scratch, &mut out);
    assert!((out[0] - 3.0).abs() < 1e-4);
    t.model.predict_one(&[0.3, 0.0], &mut scratch, &mut out);
    assert!((out[0] + 1.0).abs() < 1e-4);
}

/// Each objective, with missing values and weights: the JSON export read back by our
/// importer predicts exactly what the trained model predicts.
#[test]
fn exported_models_predict_the_same_after_reading_back() {
    let (x, y) = data(600, 5, 1, 0.1);
    let mut rng = Rng::new(2);
    let weights: Vec<f64> = (0..600).map(|_| 0.5 + rng.uniform()).collect();
    let median = {
        let mut s = y.clone();
        s.sort_by(f64::total_cmp);
        s[300]
    };
    let binary: Vec<f64> = y.iter().map(|&v| f64::from(u8::from(v > median))).collect();
    let classes = three_classes(&y);
    let names: Vec<String> = (0..5).map(|j| format!("col_{j}")).collect();
    let cases: [(&str, Objective, &[f64]); 5] = [
        ("regression", Objective::Regression, &y),
        ("binary", Objective::Binary, &binary),
        (
            "multiclass",
            Objective::Multiclass { n_classes: 3 },
            &classes,
        ),
        ("quantile", Objective::Quantile { alpha: 0.8 }, &y),
        ("depthwise", Objective::Regression, &y),
    ];
    let export_dir = std::env::var_os("GBDT_EXPORT_DIR").map(std::path::PathBuf::from);
    for (name, objective, labels) in cases {
        let params = GbdtParams {
            objective,
            growth: if name == "depthwise" {
                Growth::DepthWise
            } else {
                Growth::LeafWise
            },
            max_depth: if name == "depthwise" { Some(4) } else { None },
            lambda_l2: 0.5,
            ..small()
        };
        let extras = TrainExtras {
            weights: Some(&weights),
            feature_names: Some(&names),
            ..TrainExtras::default()
        };
        let t = params.train(x.as_ref(), labels, extras, Par::Seq).unwrap();
        let json = t.to_xgboost_json();
        let back = GbdtModel::from_xgboost_json(json.as_bytes()).unwrap();
        assert_eq!(back.feature_names(), &names[..]);
        assert_eq!(back.objective(), objective_name(objective));
        for raw in [false, true] {
            let (a, b) = (
                t.model.clone().with_raw_margin(raw),
                back.clone().with_raw_margin(raw),
            );
            let (pa, pb) = (predict_all(&a, x.as_ref()), predict_all(&b, x.as_ref()));
            for (i, (u, v)) in pa.iter().zip(&pb).enumerate() {
                assert_eq!(
                    u.to_bits(),
                    v.to_bits(),
                    "{name} raw={raw} value {i}: {u} vs {v}"
                );
            }
        }
        if let Some(dir) = &export_dir {
            write_for_xgboost(dir, name, &t, x.as_ref());
        }
    }
}

fn objective_name(o: Objective) -> &'static str {
    match o {
        Objective::Regression => "reg:squarederror",
        Objective::Binary => "binary:logistic",
        Objective::Multiclass { .. } => "multi:softprob",
        _ => "reg:quantileerror",
    }
}

/// `<name>.json`, `<name>_rows.csv` (shortest round-trip decimals, empty for NaN) and
/// `<name>_ours.csv` (our predictions, one row per line).
fn write_for_xgboost(dir: &std::path::Path, name: &str, t: &TrainedGbdt, x: MatRef<'_, f64>) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(format!("{name}.json")), t.to_xgboost_json()).unwrap();
    let fmt = |v: f64| {
        if v.is_nan() {
            String::new()
        } else {
            format!("{v:?}")
        }
    };
    let rows: Vec<String> = (0..x.nrows())
        .map(|i| {
            (0..x.ncols())
                .map(|j| fmt(x.get(i, j)))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    std::fs::write(dir.join(format!("{name}_rows.csv")), rows.join("\n") + "\n").unwrap();
    let width = t.model.output().width();
    let pred = predict_all(&t.model, x);
    let lines: Vec<String> = pred
        .chunks(width)
        .map(|r| {
            r.iter()
                .map(|v| format!("{v:?}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    std::fs::write(
        dir.join(format!("{name}_ours.csv")),
        lines.join("\n") + "\n",
    )
    .unwrap();
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    // Enough rows x features that histograms are built on two threads.
    let (x, y) = data(12_000, 12, 3, 0.05);
    let params = GbdtParams {
        n_estimators: 3,
        num_leaves: 8,
        feature_fraction: 0.8,
        bagging_fraction: 0.7,
        bagging_freq: 1,
        ..GbdtParams::default()
    };
    let seq = params
        .train(x.as_ref(), &y, TrainExtras::default(), Par::Seq)
        .unwrap();
    let two = params
        .train(x.as_ref(), &y, TrainExtras::default(), Par::Rayon(2))
        .unwrap();
    assert_eq!(seq.model, two.model);
    // The margins training kept (partition for bagged rows, walks for the others) are the
    // model's own predictions: the training metric is the model's l2.
    let pred = predict_all(&seq.model, x.as_ref());
    let l2 = pred
        .iter()
        .zip(&y)
        .map(|(p, y)| (p - y) * (p - y))
        .sum::<f64>()
        / y.len() as f64;
    assert_eq!(seq.train_metric.len(), 3);
    assert!(
        (l2 - seq.train_metric[2]).abs() <= 1e-12 * l2,
        "{l2} vs {}",
        seq.train_metric[2]
    );
    assert_eq!(seq.to_xgboost_json(), two.to_xgboost_json());
    // A different seed draws other bags and features.
    let other = GbdtParams { seed: 9, ..params }
        .train(x.as_ref(), &y, TrainExtras::default(), Par::Seq)
        .unwrap();
    assert_ne!(seq.model, other.model);
}

#[test]
fn early_stopping_keeps_the_best_iteration() {
    let (x, y) = data(500, 4, 4, 0.0);
    let mut rng = Rng::new(5);
    // Labels so noisy that the validation loss turns up soon.
    let noisy: Vec<f64> = y.iter().map(|v| v + 3.0 * rng.normal()).collect();
    let (vx, vy) = data(300, 4, 6, 0.0);
    let params = GbdtParams {
        n_estimators: 300,
        learning_rate: 0.3,
        min_data_in_leaf: 2,
        early_stopping_rounds: Some(5),
        ..GbdtParams::default()
    };
    let extras = TrainExtras {
        valid: Some(Validation {
            x: vx.as_ref(),
            y: &vy,
            weights: None,
        }),
        ..TrainExtras::default()
    };
    let t = params.train(x.as_ref(), &noisy, extras, Par::Seq).unwrap();
    let best = t.best_iteration.expect("stopped early");
    assert!(
        best + 6 == t.valid_metric.len(),
        "best {best}, {} measured",
        t.valid_metric.len()
    );
    assert!(t.valid_metric.len() < 300);
    assert_eq!(t.model.n_iterations(), best + 1);
    let min = t.valid_metric.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(t.valid_metric[best], min);
    assert_eq!(t.metric_name, "l2");
    // The metric is the model's own l2 on the validation rows.
    let pred = predict_all(&t.model, vx.as_ref());
    let l2 = pred
        .iter()
        .zip(&vy)
        .map(|(p, y)| (p - y) * (p - y))
        .sum::<f64>()
        / vy.len() as f64;
    assert!((l2 - t.valid_metric[best]).abs() < 1e-9 * l2.max(1.0));
}

#[test]
fn classifiers_and_quantiles_learn() {
    let (x, y) = data(2000, 4, 7, 0.1);
    let binary: Vec<f64> = y.iter().map(|&v| f64::from(u8::from(v > 1.0))).collect();
    let m = GbdtParams {
        objective: Objective::Binary,
        ..small()
    }
    .fit(x.as_ref(), &binary, Par::Seq)
    .unwrap();
    let p = predict_all(&m, x.as_ref());
    let acc = p
        .iter()
        .zip(&binary)
        .filter(|(p, y)| (**p > 0.5) == (**y == 1.0))
        .count();
    assert!(acc > 1800, "accuracy {acc} / 2000");

    let classes = three_classes(&y);
    let m = GbdtParams {
        objective: Objective::Multiclass { n_classes: 3 },
        ..small()
    }
    .fit(x.as_ref(), &classes, Par::Seq)
    .unwrap();
    let p = predict_all(&m, x.as_ref());
    let acc = p
        .chunks(3)
        .zip(&classes)
        .filter(|(p, y)| {
            let best = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
            best as f64 == **y
        })
        .count();
    assert!(acc > 1700, "accuracy {acc} / 2000");

    let m = GbdtParams {
        objective: Objective::Quantile { alpha: 0.9 },
        n_estimators: 60,
        ..small()
    }
    .fit(x.as_ref(), &y, Par::Seq)
    .unwrap();
    let p = predict_all(&m, x.as_ref());
    let below = p.iter().zip(&y).filter(|(p, y)| y <= p).count();
    assert!(
        (1650..=1950).contains(&below),
        "{below} of 2000 labels under the 0.9 quantile"
    );
}

#[test]
fn bad_settings_are_refused_naming_the_setting() {
    let bad = |p: GbdtParams, name: &str| match p.check() {
        Err(PipelineError::InvalidHyperparameter {
            model: "gbdt",
            name: n,
            ..
        }) => assert_eq!(n, name),
        other => panic!("{name}: {other:?}"),
    };
    let d = GbdtParams::default;
    bad(
        GbdtParams {
            num_leaves: 1,
            ..d()
        },
        "num_leaves",
    );
    bad(
        GbdtParams {
            learning_rate: 0.0,
            ..d()
        },
        "learning_rate",
    );
    bad(
        GbdtParams {
            learning_rate: f64::NAN,
            ..d()
        },
        "learning_rate",
    );
    bad(
        GbdtParams {
            n_estimators: 0,
            ..d()
        },
        "n_estimators",
    );
    bad(
        GbdtParams {
            max_depth: Some(0),
            ..d()
        },
        "max_depth",
    );
    bad(
        GbdtParams {
            max_bin: 256,
            ..d()
        },
        "max_bin",
    );
    bad(GbdtParams { max_bin: 1, ..d() }, "max_bin");
    bad(
        GbdtParams {
            lambda_l2: -1.0,
            ..d()
        },
        "lambda_l2",
    );
    bad(
        GbdtParams {
            lambda_l1: f64::INFINITY,
            ..d()
        },
        "lambda_l1",
    );
    bad(
        GbdtParams {
            min_gain_to_split: -0.1,
            ..d()
        },
        "min_gain_to_split",
    );
    bad(
        GbdtParams {
            feature_fraction: 0.0,
            ..d()
        },
        "feature_fraction",
    );
    bad(
        GbdtParams {
            bagging_fraction: 1.5,
            ..d()
        },
        "bagging_fraction",
    );
    bad(
        GbdtParams {
            bagging_fraction: 0.5,
            ..d()
        },
        "bagging_freq",
    );
    bad(
        GbdtParams {
            early_stopping_rounds: Some(0),
            ..d()
        },
        "early_stopping_rounds",
    );
    bad(
        GbdtParams {
            objective: Objective::Quantile { alpha: 1.0 },
            ..d()
        },
        "alpha",
    );
    bad(
        GbdtParams {
            objective: Objective::Multiclass { n_classes: 1 },
            ..d()
        },
        "n_classes",
    );
    assert!(d().check().is_ok());
}

#[test]
fn bad_data_is_refused_with_the_row() {
    let x = Mat::from_fn(10, 2, |i, j| (i + j) as f64);
    let fit = |p: GbdtParams, y: &[f64]| p.fit(x.as_ref(), y, Par::Seq).unwrap_err();
    let mut y = vec![0.0; 10];
    y[3] = f64::NAN;
    assert!(matches!(
        fit(GbdtParams::default(), &y),
        PipelineError::NonFinite { row: 3, col: 2, .. }
    ));
    let mut y = vec![0.0; 10];
    y[4] = 2.0;
    assert!(matches!(
        fit(
            GbdtParams {
                objective: Objective::Binary,
                ..GbdtParams::default()
            },
            &y
        ),
        PipelineError::BadLabel { row: 4, .. }
    ));
    y[4] = 3.0;
    let multi = GbdtParams {
        objective: Objective::Multiclass { n_classes: 3 },
        ..GbdtParams::default()
    };
    assert!(matches!(
        fit(multi.clone(), &y),
        PipelineError::BadClassLabel { row: 4, .. }
    ));
    y[4] = 1.5;
    assert!(matches!(
        fit(multi, &y),
        PipelineError::BadClassLabel { row: 4, .. }
    ));
    assert!(matches!(
        fit(GbdtParams::default(), &[0.0; 9]),
        PipelineError::ShapeMismatch { .. }
    ));
    let y = vec![0.0; 10];
    let mut w = vec![1.0; 10];
    w[6] = -1.0;
    let with = |w: &[f64]| {
        GbdtParams::default()
            .train(
                x.as_ref(),
                &y,
                TrainExtras {
                    weights: Some(w),
                    ..TrainExtras::default()
                },
                Par::Seq,
            )
            .unwrap_err()
    };
    assert!(matches!(with(&w), PipelineError::BadWeight { row: 6, .. }));
    assert!(matches!(with(&[0.0; 10]), PipelineError::BadWeight { .. }));
    assert!(matches!(
        with(&[1.0; 3]),
        PipelineError::ShapeMismatch { .. }
    ));
    let e = GbdtParams {
        early_stopping_rounds: Some(3),
        ..GbdtParams::default()
    }
    .fit(x.as_ref(), &y, Par::Seq)
    .unwrap_err();
    assert!(matches!(
        e,
        PipelineError::InvalidHyperparameter {
            name: "early_stopping_rounds",
            ..
        }
    ));
    let empty = Mat::<f64>::zeros(0, 2);
    assert!(matches!(
        GbdtParams::default().fit(empty.as_ref(), &[], Par::Seq),
        Err(PipelineError::EmptyData { .. })
    ));
}

#[test]
fn weights_act_as_repeated_rows() {
    let (x, y) = data(300, 3, 8, 0.0);
    let doubled = Mat::from_fn(600, 3, |i, j| x[(i / 2, j)]);
    let yd: Vec<f64> = (0..600).map(|i| y[i / 2]).collect();
    // Bins come from row counts, not weights (as in LightGBM): at most 63 bins, which both
    // 300 and 600 rows fill whatever the 3-row minimum per bin, keep the two binnings equal.
    let params = GbdtParams {
        min_data_in_leaf: 1,
        n_estimators: 10,
        max_bin: 63,
        ..GbdtParams::default()
    };
    let w = vec![2.0; 300];
    let a = params
        .train(
            x.as_ref(),
            &y,
            TrainExtras {
                weights: Some(&w),
                ..TrainExtras::default()
            },
            Par::Seq,
        )
        .unwrap();
    let b = params.fit(doubled.as_ref(), &yd, Par::Seq).unwrap();
    let (pa, pb) = (
        predict_all(&a.model, x.as_ref()),
        predict_all(&b, x.as_ref()),
    );
    for (u, v) in pa.iter().zip(&pb) {
        assert!((u - v).abs() < 1e-4, "{u} vs {v}");
    }
}

#[test]
fn a_trained_model_is_saved_and_loaded_in_a_model_file() {
    use ml_pipeline::models::SavedModel;
    let (x, y) = data(300, 3, 11, 0.1);
    let t = small()
        .train(x.as_ref(), &y, TrainExtras::default(), Par::Seq)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    SavedModel::gbdt(t.to_saved().unwrap()).save(&path).unwrap();
    let back = SavedModel::load(&path).unwrap();
    let mut a = vec![0.0; 300];
    back.predict_into(x.as_ref(), &mut a, Par::Seq);
    assert_eq!(a, predict_all(&t.model, x.as_ref()));
}

#[test]
fn phases_account_for_the_training_time() {
    let n = 3000;
    let mut rng = seeded_rng::Rng::new(41);
    let x = fast_math::Mat::from_fn(n, 4, |_, _| rng.normal());
    let y: Vec<f64> = (0..n).map(|i| x[(i, 0)] * 2.0 + x[(i, 1)].sin()).collect();
    let train = || {
        ml_pipeline::models::GbdtParams {
            n_estimators: 10,
            ..Default::default()
        }
        .train(
            x.as_ref(),
            &y,
            ml_pipeline::models::TrainExtras::default(),
            fast_math::Par::Seq,
        )
        .expect("train")
        .phases
    };
    let parts_of = |p: &ml_pipeline::models::TrainPhases| {
        [
            p.binning,
            p.gradients,
            p.histograms,
            p.split_finding,
            p.partitioning,
            p.updates,
        ]
    };
    // A run of 8 ms can be preempted by the other test threads between two phases, which
    // the total counts and no phase does: up to three runs, the first that no wait upset.
    let mut runs = Vec::new();
    let p = loop {
        let p = train();
        let sum: f64 = parts_of(&p).iter().sum();
        runs.push(p);
        if sum >= 0.5 * p.total || runs.len() == 3 {
            break p;
        }
    };
    let parts = parts_of(&p);
    assert!(parts.iter().all(|v| v.is_finite() && *v >= 0.0), "{p:?}");
    assert!(p.histograms > 0.0 && p.binning > 0.0, "{p:?}");
    let sum: f64 = parts.iter().sum();
    assert!(sum <= p.total * 1.0001 && sum >= 0.5 * p.total, "{runs:?}");
}
