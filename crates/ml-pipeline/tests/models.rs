//! Models against scikit-learn fixtures; errors; persistence.

use fast_math::{Mat, MatRef, Par};
use ml_pipeline::models::*;
use ml_pipeline::{
    Ablation, Accumulator, Fit, FitIncremental, PipelineError, Predict, Target, Transform,
};
use simd_kernels::Isa;

/// Predictions for every row, through the model interface.
fn batch(m: &(impl Predict + Sync), x: MatRef<'_, f64>, par: Par) -> Vec<f64> {
    let mut out = vec![0.0; x.nrows()];
    m.predict_into(x, &mut out, par);
    out
}

fn fixture(name: &str) -> (Mat<f64>, Vec<f64>, Vec<f64>) {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let parse = |l: &str| {
        l.split(',')
            .map(|c| c.trim().parse::<f64>().unwrap())
            .collect::<Vec<_>>()
    };
    let data = std::fs::read_to_string(format!("{dir}/{name}_data.csv")).unwrap();
    let header: Vec<&str> = data.lines().next().unwrap().split(',').collect();
    let has_y = header.last() == Some(&"y");
    let rows: Vec<Vec<f64>> = data.lines().skip(1).map(parse).collect();
    let k = header.len() - usize::from(has_y);
    let x = Mat::from_fn(rows.len(), k, |i, j| rows[i][j]);
    let y = if has_y {
        rows.iter().map(|r| r[k]).collect()
    } else {
        vec![]
    };
    let expected = parse(
        std::fs::read_to_string(format!("{dir}/{name}_expected.csv"))
            .unwrap()
            .trim(),
    );
    (x, y, expected)
}

fn assert_rel(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1.0),
        "{what}: {got} vs {want}"
    );
}

#[test]
fn ridge_matches_scikit_learn() {
    let (x, y, want) = fixture("ridge");
    for par in [Par::Seq, Par::Rayon(2)] {
        let m = Ridge {
            alpha: 1.5,
            fit_intercept: true,
        }
        .fit(x.as_ref(), &y, par)
        .unwrap();
        assert!(
            (m.intercept - want[0]).abs() <= 1e-8 * want[0].abs(),
            "intercept {} vs {}",
            m.intercept,
            want[0]
        );
        for (j, (&c, &w)) in m.coef.iter().zip(&want[1..]).enumerate() {
            assert!((c - w).abs() <= 1e-8 * w.abs(), "coef {j}: {c} vs {w}");
        }
    }
}

#[test]
fn ridge_accumulators_merge_to_the_same_model() {
    let (x, y, _) = fixture("ridge");
    let ridge = Ridge {
        alpha: 1.5,
        fit_intercept: true,
    };
    let whole = ridge.fit(x.as_ref(), &y, Par::Seq).unwrap();
    let k = x.ncols();
    let mut parts = Vec::new();
    for (r0, r1) in [(0, 1), (1, 170), (170, 333), (333, 500)] {
        let mut acc = RidgeAccumulator::new(k);
        acc.update(
            x.as_ref().submatrix(r0, 0, r1 - r0, k),
            Target::Values(&y[r0..r1]),
        )
        .unwrap();
        parts.push(acc);
    }
    // Merge in a different order than the rows came in.
    let mut merged = parts[2].clone();
    merged.merge(&parts[0]).unwrap();
    let mut right = parts[3].clone();
    right.merge(&parts[1]).unwrap();
    merged.merge(&right).unwrap();
    assert_eq!(merged.count(), 500);
    let m = ridge.finish(&merged).unwrap();
    for (a, b) in m
        .coef
        .iter()
        .chain([&m.intercept])
        .zip(whole.coef.iter().chain([&whole.intercept]))
    {
        assert_rel(*a, *b, 1e-10, "merged vs whole");
    }
}

#[test]
fn ridge_without_intercept_solves_the_normal_equations() {
    let (x, y, _) = fixture("ridge");
    let m = Ridge {
        alpha: 0.3,
        fit_intercept: false,
    }
    .fit(x.as_ref(), &y, Par::Seq)
    .unwrap();
    assert_eq!(m.intercept, 0.0);
    // Gradient of ||y - Xw||^2 + alpha ||w||^2 vanishes: X^T (Xw - y) + alpha w = 0.
    let k = x.ncols();
    let pred = batch(&m, x.as_ref(), Par::Seq);
    for j in 0..k {
        let g: f64 = (0..x.nrows())
            .map(|i| x[(i, j)] * (pred[i] - y[i]))
            .sum::<f64>()
            + 0.3 * m.coef[j];
        let scale: f64 = (0..x.nrows()).map(|i| (x[(i, j)] * y[i]).abs()).sum();
        assert!(g.abs() <= 1e-9 * scale, "gradient {j}: {g}");
    }
}

#[test]
fn ridge_rank_deficient_without_penalty_is_an_error_and_with_penalty_is_fine() {
    let base = |i: usize, j: usize| (i * (j + 3) % 7) as f64 + (i as f64).sqrt() * j as f64;
    // Column 2 is exactly column 0 + column 1.
    let x = Mat::from_fn(50, 3, |i, j| {
        if j == 2 {
            base(i, 0) + base(i, 1)
        } else {
            base(i, j)
        }
    });
    let y: Vec<f64> = (0..50).map(|i| i as f64 * 0.5 + 1.0).collect();
    let r = Ridge {
        alpha: 0.0,
        fit_intercept: true,
    }
    .fit(x.as_ref(), &y, Par::Seq);
    assert!(matches!(r, Err(PipelineError::Linalg(_))), "{r:?}");
    let m = Ridge {
        alpha: 1e-3,
        fit_intercept: true,
    }
    .fit(x.as_ref(), &y, Par::Seq)
    .unwrap();
    assert!(m.coef.iter().all(|c| c.is_finite()));
}

#[test]
fn logistic_matches_scikit_learn() {
    for (name, c) in [("logistic", 0.7), ("logistic_separable", 1.0)] {
        let (x, y, want) = fixture(name);
        let m = LogisticRegression {
            c,
            ..LogisticRegression::default()
        }
        .fit(x.as_ref(), &y, Par::Seq)
        .unwrap();
        assert!(m.iterations < 100, "{name}: {} iterations", m.iterations);
        assert!(
            (m.linear.intercept - want[0]).abs() <= 1e-5,
            "{name} intercept {} vs {}",
            m.linear.intercept,
            want[0]
        );
        for (j, (&g, &w)) in m.linear.coef.iter().zip(&want[1..]).enumerate() {
            assert!(
                (g - w).abs() <= 1e-5 * w.abs().max(1.0),
                "{name} coef {j}: {g} vs {w}"
            );
        }
        let p = m.predict_proba_one(&(0..x.ncols()).map(|j| x[(0, j)]).collect::<Vec<_>>());
        assert!((0.0..=1.0).contains(&p));
        // Batch (GEMM) and single (dot) sum in different orders: equal to rounding only.
        let batch = batch(&m, x.as_ref(), Par::Seq)[0];
        assert!((batch - p).abs() <= 1e-14, "{batch} vs {p}");
    }
}

#[test]
fn bad_training_data_gives_typed_errors_naming_row_and_column() {
    let mut x = Mat::from_fn(10, 3, |i, j| (i + j) as f64);
    let y = vec![0.0; 10];
    x[(7, 2)] = f64::NAN;
    let r = Ridge::default().fit(x.as_ref(), &y, Par::Seq);
    assert!(
        matches!(r, Err(PipelineError::NonFinite { row: 7, col: 2, .. })),
        "{r:?}"
    );
    let x = Mat::from_fn(10, 3, |i, j| (i + j) as f64);
    let mut yb = y.clone();
    yb[4] = f64::INFINITY;
    let r = Ridge::default().fit(x.as_ref(), &yb, Par::Seq);
    assert!(
        matches!(r, Err(PipelineError::NonFinite { row: 4, col: 3, .. })),
        "{r:?}"
    );
    let r = Ridge::default().fit(x.as_ref(), &y[..9], Par::Seq);
    assert!(
        matches!(
            r,
            Err(PipelineError::ShapeMismatch {
                expected: 10,
                got: 9,
                ..
            })
        ),
        "{r:?}"
    );
    let empty = Mat::<f64>::zeros(0, 3);
    assert!(matches!(
        Ridge::default().fit(empty.as_ref(), &[][..], Par::Seq),
        Err(PipelineError::EmptyData { .. })
    ));
    assert!(matches!(
        Ridge {
            alpha: -1.0,
            fit_intercept: true
        }
        .fit(x.as_ref(), &y, Par::Seq),
        Err(PipelineError::InvalidHyperparameter { .. })
    ));
    let mut labels = vec![0.0; 10];
    labels[3] = 2.0;
    let r = LogisticRegression::default().fit(x.as_ref(), &labels, Par::Seq);
    assert!(
        matches!(r, Err(PipelineError::BadLabel { row: 3, .. })),
        "{r:?}"
    );
    for bad in [
        LogisticRegression {
            c: 0.0,
            ..Default::default()
        },
        LogisticRegression {
            max_iter: 0,
            ..Default::default()
        },
        LogisticRegression {
            tol: f64::NAN,
            ..Default::default()
        },
    ] {
        assert!(matches!(
            bad.fit(x.as_ref(), &y, Par::Seq),
            Err(PipelineError::InvalidHyperparameter { .. })
        ));
    }
}

#[test]
fn predict_one_equals_predict_batch() {
    let (x, y, _) = fixture("ridge");
    let m = Ridge::default().fit(x.as_ref(), &y, Par::Seq).unwrap();
    let batch = batch(&m, x.as_ref(), Par::Rayon(2));
    for i in 0..x.nrows() {
        let row: Vec<f64> = (0..x.ncols()).map(|j| x[(i, j)]).collect();
        let one = m.decision_function(&row);
        assert!(
            (one - batch[i]).abs() <= 1e-12 * one.abs().max(1.0),
            "row {i}"
        );
    }
}

#[test]
fn scaler_uses_population_std_and_unit_scale_for_constants() {
    let x = Mat::from_fn(4, 2, |i, j| if j == 0 { i as f64 } else { 5.0 });
    let s = StandardScaler
        .fit(x.as_ref(), Target::None, Par::Seq)
        .unwrap();
    assert_eq!(s.mean, vec![1.5, 5.0]);
    assert!((s.scale[0] - 1.25f64.sqrt()).abs() < 1e-15);
    assert_eq!(s.scale[1], 1.0);
    let mut row = [0.0; 2];
    s.transform_one_with(Isa::detect(), &[3.0, 5.0], &mut [], &mut row);
    assert!((row[0] - 1.5 / 1.25f64.sqrt()).abs() < 1e-15 && row[1] == 0.0);
}

fn saved_example() -> SavedModel {
    let (x, y, _) = fixture("logistic");
    let scaler = StandardScaler
        .fit(x.as_ref(), Target::None, Par::Seq)
        .unwrap();
    let m = LogisticRegression::default()
        .fit(x.as_ref(), &y, Par::Seq)
        .unwrap();
    let names = (0..x.ncols()).map(|j| format!("x{j}")).collect();
    SavedModel::new(
        names,
        vec![Stage::StandardScaler(scaler)],
        Model::Logistic(m),
    )
}

#[test]
fn models_round_trip_bit_exactly() {
    let saved = saved_example();
    let dir = std::env::temp_dir().join(format!("mlp-models-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.json");
    saved.save(&path).unwrap();
    let back = SavedModel::load(&path).unwrap();
    assert_eq!(back, saved);
    let (a, b) = (back.model.linear().unwrap(), saved.model.linear().unwrap());
    for (x, y) in a.coef.iter().zip(&b.coef) {
        assert_eq!(x.to_bits(), y.to_bits());
    }
    let ridge = SavedModel::new(
        vec!["a".into()],
        vec![],
        Model::Ridge(LinearModel {
            coef: vec![0.1 + 0.2],
            intercept: -1e-300,
        }),
    );
    assert_eq!(SavedModel::from_json(&ridge.to_json()).unwrap(), ridge);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn malformed_model_files_are_typed_errors() {
    let good = saved_example().to_json();
    let truncated = &good[..good.len() / 2];
    assert!(matches!(
        SavedModel::from_json(truncated),
        Err(ref e) if e.is_model_file()
    ));
    let v3 = good.replacen("\"version\": 2", "\"version\": 3", 1);
    assert!(matches!(
        SavedModel::from_json(&v3),
        Err(PipelineError::ModelVersion {
            found: 3,
            supported: 2
        })
    ));
    let other = good.replacen("ml-pipeline-model", "something-else", 1);
    assert!(matches!(
        SavedModel::from_json(&other),
        Err(ref e) if e.is_model_file()
    ));
    let mut wrong_shape = saved_example();
    wrong_shape.feature_names.pop();
    assert!(matches!(
        SavedModel::from_json(&wrong_shape.to_json()),
        Err(ref e) if e.is_model_file()
    ));
    let kind = good.replacen("\"logistic\"", "\"forest\"", 1);
    assert!(matches!(
        SavedModel::from_json(&kind),
        Err(ref e) if e.is_model_file()
    ));
    assert!(matches!(
        SavedModel::load(std::path::Path::new("/nonexistent/m.json")),
        Err(ref e) if e.is_model_file()
    ));
    let _ = MatRef::<f64>::from_col_major(&[], 0, 0);
}

#[test]
fn pca_matches_scikit_learn_up_to_sign() {
    let (x, _, want) = fixture("pca");
    let r = 3;
    let k = x.ncols();
    for fast in [true, false] {
        let engine = Ablation {
            fast_math: fast,
            ..Default::default()
        };
        let m = Pca { n_components: r }
            .fit_ablated(engine, x.as_ref(), Target::None, Par::Seq)
            .unwrap();
        for c in 0..r {
            assert!(
                (m.explained_variance[c] - want[c]).abs() <= 1e-6 * want[c],
                "fast={fast} variance {c}"
            );
            let ours = &m.components[c * k..(c + 1) * k];
            let theirs = &want[r + c * k..r + (c + 1) * k];
            let sign = if ours.iter().zip(theirs).map(|(a, b)| a * b).sum::<f64>() < 0.0 {
                -1.0
            } else {
                1.0
            };
            for (a, b) in ours.iter().zip(theirs) {
                assert!(
                    (sign * a - b).abs() <= 1e-6,
                    "fast={fast} component {c}: {a} vs {b}"
                );
            }
        }
        assert!(m.explained_variance_ratio.iter().sum::<f64>() < 1.0);
        let mut centered = vec![0.0; k];
        let mut out = vec![0.0; r];
        let row: Vec<f64> = (0..k).map(|j| x[(0, j)]).collect();
        m.transform_one_with(Isa::detect(), &row, &mut centered, &mut out);
        assert!(out.iter().all(|v| v.is_finite()));
    }
    assert!(matches!(
        Pca { n_components: 11 }.fit(x.as_ref(), Target::None, Par::Seq),
        Err(PipelineError::InvalidHyperparameter { .. })
    ));
}

#[test]
fn pca_paths_agree_on_wide_data() {
    // 120 x 60 is too wide for the covariance path: randomized SVD against the full SVD.
    let x = Mat::from_fn(120, 60, |i, j| {
        let (a, b) = (((i * 7 + j * 3) % 11) as f64, ((i * j + 5) % 13) as f64);
        3.0 * a * (j as f64 * 0.1).sin() + 0.5 * b + 0.01 * ((i * 31 + j * 17) % 29) as f64
    });
    let fast = Pca { n_components: 3 }
        .fit(x.as_ref(), Target::None, Par::Seq)
        .unwrap();
    let engine = Ablation {
        fast_math: false,
        ..Default::default()
    };
    let full = Pca { n_components: 3 }
        .fit_ablated(engine, x.as_ref(), Target::None, Par::Seq)
        .unwrap();
    for c in 0..3 {
        let (a, b) = (fast.explained_variance[c], full.explained_variance[c]);
        assert!((a - b).abs() <= 1e-8 * b, "component {c}: {a} vs {b}");
    }
}

#[test]
fn version_1_files_load_as_a_chain() {
    // A file as format version 1 wrote it: scaler and PCA as optional fields.
    let v1 = r#"{"format": "ml-pipeline-model", "version": 1, "feature_names": ["a", "b"],
        "scaler": {"mean": [1.0, 2.0], "scale": [2.0, 4.0]},
        "pca": {"mean": [0.0, 0.0], "components": [0.6, 0.8], "explained_variance": [1.0],
                "explained_variance_ratio": [0.9]},
        "model": {"kind": "ridge", "coef": [3.0], "intercept": 0.5}}"#;
    let saved = SavedModel::from_json(v1).unwrap();
    assert_eq!(saved.version, MODEL_VERSION);
    assert!(matches!(
        saved.stages.as_slice(),
        [Stage::StandardScaler(_), Stage::Pca(_)]
    ));
    let mut scratch = vec![0.0; saved.scratch_len()];
    let mut out = [0.0];
    saved.predict_one(&[3.0, 6.0], &mut scratch, &mut out);
    // Scaled (1, 1), projected 0.6 + 0.8 = 1.4, then 3 * 1.4 + 0.5.
    assert!((out[0] - 4.7).abs() < 1e-12, "{}", out[0]);
    // Written back, it is a version 2 file that reads to the same model.
    assert_eq!(SavedModel::from_json(&saved.to_json()).unwrap(), saved);
}
