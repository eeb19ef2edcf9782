//! Multinomial logistic regression against scikit-learn's `LogisticRegression(C=1)` on its
//! bundled iris, wine and digits datasets (fixtures from make_softmax_fixtures.py).

use fast_math::{Mat, Par};
use ml_pipeline::{Fit, Output, PipelineError, Predict, SoftmaxRegression};

fn read(file: &str) -> Vec<Vec<f64>> {
    let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect()
}

#[test]
fn matches_scikit_learn_on_iris_wine_and_digits() {
    for name in ["iris", "wine", "digits"] {
        let data = read(&format!("softmax_{name}_data.csv"));
        let want = read(&format!("softmax_{name}_expected.csv"));
        let p = data[0].len() - 1;
        let x = Mat::from_fn(data.len(), p, |i, j| data[i][j]);
        let y: Vec<f64> = data.iter().map(|r| r[p]).collect();
        let model = SoftmaxRegression::default()
            .fit(x.as_ref(), &y, Par::Seq)
            .unwrap();
        assert_eq!(model.classes.len(), want.len(), "{name}");
        assert_eq!(model.output(), Output::Probabilities(want.len()));
        let scale = want
            .iter()
            .flat_map(|r| r[1..].iter())
            .fold(0.0f64, |m, v| m.max(v.abs()));
        let mut worst = 0.0f64;
        for (k, row) in want.iter().enumerate() {
            assert_eq!(model.classes[k], row[0], "{name}: class labels");
            let got = std::iter::once(model.intercept[k]).chain(model.coef_row(k).iter().copied());
            for (g, w) in got.zip(&row[1..]) {
                worst = worst.max((g - w).abs() / scale);
            }
        }
        eprintln!("{name}: worst coefficient difference {worst:e} of the largest");
        // The issue asks 1e-5; both sides converge to the optimum (gradient ~1e-12), so the
        // fits agree far closer than that.
        assert!(
            worst <= 1e-9,
            "{name}: largest coefficient difference {worst:e} of the largest coefficient"
        );
        // Probabilities: rows sum to one, every row is a distribution.
        let mut out = vec![0.0; want.len()];
        for row in &data {
            model.predict_one(&row[..p], &mut [], &mut out);
            let total: f64 = out.iter().sum();
            assert!((total - 1.0).abs() < 1e-12 && out.iter().all(|v| (0.0..=1.0).contains(v)));
        }
    }
}

#[test]
fn fewer_than_two_classes_is_an_error() {
    let x = Mat::from_fn(5, 2, |i, j| (i + j) as f64);
    let err = SoftmaxRegression::default()
        .fit(x.as_ref(), &[3.0; 5], Par::Seq)
        .unwrap_err();
    assert!(
        matches!(err, PipelineError::InvalidSetting { name: "labels", .. }),
        "{err}"
    );
}

#[test]
fn bad_hyperparameters_are_rejected() {
    let x = Mat::from_fn(4, 1, |i, _| i as f64);
    let y = [0.0, 1.0, 2.0, 1.0];
    for bad in [
        SoftmaxRegression {
            c: 0.0,
            ..Default::default()
        },
        SoftmaxRegression {
            max_iter: 0,
            ..Default::default()
        },
        SoftmaxRegression {
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
fn softmax_model_files_round_trip_and_reject_bad_shapes() {
    use ml_pipeline::{Model, SavedModel};
    let data = read("softmax_iris_data.csv");
    let x = Mat::from_fn(data.len(), 4, |i, j| data[i][j]);
    let y: Vec<f64> = data.iter().map(|r| r[4]).collect();
    let fitted = SoftmaxRegression::default()
        .fit(x.as_ref(), &y, Par::Seq)
        .unwrap();
    let names: Vec<String> = (0..4).map(|j| format!("x{j}")).collect();
    let saved = SavedModel::new(names, vec![], Model::Softmax(fitted.clone()));
    let text = saved.to_json();
    let back = SavedModel::from_json(&text).unwrap();
    assert_eq!(back, saved);
    assert_eq!(back.output(), Output::Probabilities(3));
    // One coefficient short: a content error naming the model, not a panic at predict time.
    let mut broken = fitted;
    broken.coef.pop();
    let bad = SavedModel {
        model: Model::Softmax(broken),
        ..saved
    };
    let err = SavedModel::from_json(&bad.to_json()).unwrap_err();
    assert!(err.is_model_file(), "{err}");
}
