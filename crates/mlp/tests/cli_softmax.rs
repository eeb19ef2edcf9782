//! `mlp train --model softmax` and `mlp predict` with its model: multiclass labels in,
//! `prob_<label>` columns and the predicted label out, equal to the library's own fit.

mod common;

use assert_cmd::Command;
use common::read_csv;
use fast_math::{Mat, Par};
use ml_pipeline::{Fit, Predict, SoftmaxRegression};
use std::fmt::Write as _;

/// scikit-learn's iris data (ml-pipeline's fixture), with a header and labels shifted to
/// 10, 20, 30 so that labels and class indices differ.
fn iris_csv(dir: &std::path::Path) -> (std::path::PathBuf, Vec<Vec<f64>>) {
    let path = format!(
        "{}/../ml-pipeline/tests/fixtures/softmax_iris_data.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let rows: Vec<Vec<f64>> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .map(|mut r: Vec<f64>| {
            r[4] = 10.0 * (r[4] + 1.0);
            r
        })
        .collect();
    let mut text = String::from("sepal_l,sepal_w,petal_l,petal_w,species\n");
    for r in &rows {
        let cells: Vec<String> = r.iter().map(|v| v.to_string()).collect();
        writeln!(text, "{}", cells.join(",")).unwrap();
    }
    let file = dir.join("iris.csv");
    std::fs::write(&file, text).unwrap();
    (file, rows)
}

#[test]
fn softmax_trains_and_predicts_labels_with_class_probabilities() {
    let dir = tempfile::tempdir().unwrap();
    let (data, rows) = iris_csv(dir.path());
    let model = dir.path().join("m.json");
    let out = dir.path().join("p.csv");
    Command::cargo_bin("mlp")
        .unwrap()
        .args([
            "train", "--model", "softmax", "--target", "species", "--input",
        ])
        .arg(&data)
        .arg("--out")
        .arg(&model)
        .assert()
        .success()
        .stdout(predicates::str::contains("3 classes [10.0, 20.0, 30.0]"));
    Command::cargo_bin("mlp")
        .unwrap()
        .args(["predict", "--model"])
        .arg(&model)
        .arg("--input")
        .arg(&data)
        .arg("--output")
        .arg(&out)
        .assert()
        .success();
    let (header, cells) = read_csv(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(header, ["prob_10", "prob_20", "prob_30", "prediction"]);
    // The library's own fit on the same rows gives the same numbers.
    let x = Mat::from_fn(rows.len(), 4, |i, j| rows[i][j]);
    let y: Vec<f64> = rows.iter().map(|r| r[4]).collect();
    let lib = SoftmaxRegression::default()
        .fit(x.as_ref(), &y, Par::Seq)
        .unwrap();
    let mut p = [0.0; 3];
    let mut correct = 0;
    for (i, row) in cells.iter().enumerate() {
        lib.predict_one(&rows[i][..4], &mut [], &mut p);
        for k in 0..3 {
            assert_eq!(row[k], Some(p[k]), "row {i} class {k}");
        }
        let label = row[3].unwrap();
        assert!([10.0, 20.0, 30.0].contains(&label));
        correct += usize::from(label == y[i]);
    }
    assert!(correct >= 140, "in-sample accuracy {correct}/150");
}

#[test]
fn logistic_on_three_classes_is_the_multinomial_model() {
    let dir = tempfile::tempdir().unwrap();
    let (data, _) = iris_csv(dir.path());
    let train = |model: &str, out: &std::path::Path| {
        Command::cargo_bin("mlp")
            .unwrap()
            .args(["train", "--model", model, "--target", "species", "--input"])
            .arg(&data)
            .arg("--out")
            .arg(out)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    let printed = String::from_utf8(train("logistic", &a)).unwrap();
    assert!(
        printed.contains("model: logistic, multinomial (C 1, 3 classes [10.0, 20.0, 30.0]"),
        "{printed}"
    );
    train("softmax", &b);
    // The same model file, byte for byte.
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn alpha_is_refused_for_softmax() {
    let dir = tempfile::tempdir().unwrap();
    let (data, _) = iris_csv(dir.path());
    Command::cargo_bin("mlp")
        .unwrap()
        .args([
            "train", "--model", "softmax", "--target", "species", "--alpha", "1", "--input",
        ])
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("m.json"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--alpha applies to --model ridge",
        ));
}
