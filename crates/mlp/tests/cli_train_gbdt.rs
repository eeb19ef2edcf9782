//! `mlp train --model gbdt`: the model file it writes predicts, through `mlp predict`, exactly
//! what the library's trainer gives for the same data and hyperparameters (every printed value
//! read back bit for bit); the validation tail and early stopping; `--export-xgboost`, read
//! back by our XGBoost importer with the same predictions; flags refused with status 2.

mod common;

use assert_cmd::Command;
use fast_math::{Mat, Par};
use ml_pipeline::models::{GbdtParams, Growth, Objective, TrainExtras, TrainedGbdt, Validation};
use ml_pipeline::{GbdtModel, Model, Predict, SavedModel};
use seeded_rng::Rng;
use std::path::Path;

fn mlp() -> Command {
    Command::cargo_bin("mlp").expect("the mlp binary is built for tests")
}

const NAMES: [&str; 4] = ["a", "b", "c", "d"];

/// Rows of four features (about 5% of `a` missing) and three targets: a noisy nonlinear
/// value, its sign above 0.3 (0/1), and three classes by its range.
struct Data {
    x: Vec<[f64; 4]>,
    value: Vec<f64>,
    up: Vec<f64>,
    class: Vec<f64>,
}

fn data(n: usize, seed: u64) -> Data {
    let mut rng = Rng::new(seed);
    let mut d = Data {
        x: Vec::new(),
        value: Vec::new(),
        up: Vec::new(),
        class: Vec::new(),
    };
    for _ in 0..n {
        let row = [rng.normal(), rng.normal(), rng.uniform(), rng.normal()];
        let v = (2.0 * row[0]).sin() + 0.5 * row[1] * row[1] - row[2] + 0.4 * rng.normal();
        let mut row = row;
        if rng.uniform() < 0.05 {
            row[0] = f64::NAN;
        }
        d.x.push(row);
        d.value.push(v);
        d.up.push(f64::from(u8::from(v > 0.3)));
        d.class.push(if v < 0.0 {
            0.0
        } else if v < 1.0 {
            1.0
        } else {
            2.0
        });
    }
    d
}

/// Writes the data as CSV (`a,b,c,d,value,up,class`; NaN as an empty cell, every number in
/// its shortest round-trip form).
fn write_csv(d: &Data, path: &Path) {
    let mut text = String::from("a,b,c,d,value,up,class\n");
    for (i, row) in d.x.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .map(|v| {
                if v.is_nan() {
                    String::new()
                } else {
                    v.to_string()
                }
            })
            .collect();
        text += &format!(
            "{},{},{},{}\n",
            cells.join(","),
            d.value[i],
            d.up[i],
            d.class[i]
        );
    }
    std::fs::write(path, text).expect("write csv");
}

fn matrix(d: &Data) -> Mat<f64> {
    Mat::from_fn(d.x.len(), 4, |i, j| d.x[i][j])
}

fn names() -> Vec<String> {
    NAMES.iter().map(|s| s.to_string()).collect()
}

/// Runs `mlp train` on `input` with `args` after the common ones; returns stdout.
fn train(input: &Path, out: &Path, target: &str, args: &[&str]) -> String {
    let o = mlp()
        .args([
            "train",
            "--model",
            "gbdt",
            "--features",
            "a,b,c,d",
            "--target",
            target,
        ])
        .arg("--input")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(o).expect("utf-8")
}

/// `mlp predict`'s value columns (all but a class column after probabilities).
fn predict(model: &Path, input: &Path) -> Vec<Vec<f64>> {
    let (header, rows) = common::predict(model, input, &[]);
    let width = if header[0].starts_with("prob") {
        header.len() - 1
    } else {
        header.len()
    };
    rows.iter()
        .map(|r| r[..width].iter().map(|c| c.expect("a value")).collect())
        .collect()
}

/// Every row's prediction by `model` (the library's, in process) equals `got` bit for bit.
fn assert_same(model: &dyn Predict, d: &Data, got: &[Vec<f64>], what: &str) {
    assert_eq!(got.len(), d.x.len(), "{what}: rows");
    let mut scratch = vec![0.0; model.scratch_len()];
    let mut out = vec![0.0; model.output().width()];
    for (i, (row, g)) in d.x.iter().zip(got).enumerate() {
        model.predict_one(row, &mut scratch, &mut out);
        assert_eq!(g.len(), out.len(), "{what}: row {i}");
        for (a, b) in g.iter().zip(&out) {
            assert_eq!(a.to_bits(), b.to_bits(), "{what}: row {i}: {a} vs {b}");
        }
    }
}

fn library(p: &GbdtParams, d: &Data, y: &[f64], valid_from: Option<usize>) -> TrainedGbdt {
    let x = matrix(d);
    let n = d.x.len();
    let names = names();
    let cut = valid_from.unwrap_or(n);
    let extras = TrainExtras {
        weights: None,
        valid: valid_from.map(|v| Validation {
            x: x.as_ref().submatrix(v, 0, n - v, 4),
            y: &y[v..],
            weights: None,
        }),
        feature_names: Some(&names),
    };
    p.train(
        x.as_ref().submatrix(0, 0, cut, 4),
        &y[..cut],
        extras,
        Par::Seq,
    )
    .expect("library training")
}

#[test]
fn trained_model_file_predicts_what_the_library_model_predicts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = data(1500, 7);
    let csv = dir.path().join("d.csv");
    write_csv(&d, &csv);
    let cases: [(&str, &[f64], Vec<&str>, GbdtParams); 4] = [
        (
            "value",
            &d.value,
            vec![
                "--n-estimators",
                "25",
                "--num-leaves",
                "7",
                "--learning-rate",
                "0.2",
            ],
            GbdtParams {
                n_estimators: 25,
                num_leaves: 7,
                learning_rate: 0.2,
                ..GbdtParams::default()
            },
        ),
        (
            "up",
            &d.up,
            vec![
                "--objective",
                "binary",
                "--n-estimators",
                "20",
                "--max-depth",
                "3",
                "--growth",
                "depth",
                "--lambda-l2",
                "2",
                "--min-data-in-leaf",
                "10",
                "--max-bin",
                "31",
            ],
            GbdtParams {
                objective: Objective::Binary,
                n_estimators: 20,
                max_depth: Some(3),
                growth: Growth::DepthWise,
                lambda_l2: 2.0,
                min_data_in_leaf: 10,
                max_bin: 31,
                ..GbdtParams::default()
            },
        ),
        (
            "class",
            &d.class,
            vec![
                "--objective",
                "multiclass",
                "--n-estimators",
                "10",
                "--bagging-fraction",
                "0.7",
                "--bagging-freq",
                "2",
                "--feature-fraction",
                "0.5",
                "--seed",
                "11",
            ],
            GbdtParams {
                objective: Objective::Multiclass { n_classes: 3 },
                n_estimators: 10,
                bagging_fraction: 0.7,
                bagging_freq: 2,
                feature_fraction: 0.5,
                seed: 11,
                ..GbdtParams::default()
            },
        ),
        (
            "value",
            &d.value,
            vec![
                "--objective",
                "quantile",
                "--alpha",
                "0.2",
                "--n-estimators",
                "15",
                "--lambda-l1",
                "0.5",
                "--min-gain-to-split",
                "0.01",
                "--min-sum-hessian-in-leaf",
                "2",
                "--max-depth",
                "-1",
            ],
            GbdtParams {
                objective: Objective::Quantile { alpha: 0.2 },
                n_estimators: 15,
                lambda_l1: 0.5,
                min_gain_to_split: 0.01,
                min_sum_hessian_in_leaf: 2.0,
                ..GbdtParams::default()
            },
        ),
    ];
    for (i, (target, y, args, params)) in cases.into_iter().enumerate() {
        let out = dir.path().join(format!("m{i}.json"));
        let report = train(&csv, &out, target, &args);
        for needle in [
            "model: gbdt (",
            "trees: ",
            "training time: ",
            "feature importance",
        ] {
            assert!(report.contains(needle), "{needle:?} in {report}");
        }
        let want = library(&params, &d, y, None);
        let saved = SavedModel::load(&out).expect("model file");
        assert_eq!(saved.feature_names, names());
        let Model::Gbdt(tree) = &saved.model else {
            panic!("case {i}: not a tree model")
        };
        assert_eq!(tree.model().n_trees(), want.model.n_trees(), "case {i}");
        assert_same(&want.model, &d, &predict(&out, &csv), &format!("case {i}"));
    }
}

#[test]
fn early_stopping_on_the_last_rows_keeps_the_best_iteration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = data(1200, 3);
    let csv = dir.path().join("d.csv");
    write_csv(&d, &csv);
    let out = dir.path().join("m.json");
    let args = [
        "--n-estimators",
        "400",
        "--learning-rate",
        "0.5",
        "--num-leaves",
        "31",
        "--min-data-in-leaf",
        "5",
        "--valid-fraction",
        "0.25",
        "--early-stopping-rounds",
        "8",
    ];
    let report = train(&csv, &out, "value", &args);
    // The last quarter of the rows (in file order) is the validation set.
    let params = GbdtParams {
        n_estimators: 400,
        learning_rate: 0.5,
        min_data_in_leaf: 5,
        early_stopping_rounds: Some(8),
        ..GbdtParams::default()
    };
    let want = library(&params, &d, &d.value, Some(900));
    let best = want.best_iteration.expect("early stopping ran");
    assert!(want.valid_metric.len() < 400, "stopped early");
    assert_eq!(want.model.n_iterations(), best + 1);
    for needle in [
        "rows: 1200 used (900 training, 300 validation: the last rows)".to_string(),
        format!("early stopping kept iterations 1..={}", best + 1),
        "<- best".to_string(),
        format!("valid l2 {:.6}", want.valid_metric[best]),
    ] {
        assert!(report.contains(&needle), "{needle:?} in {report}");
    }
    assert_same(&want.model, &d, &predict(&out, &csv), "early stopping");
}

#[test]
fn exported_xgboost_json_loads_and_predicts_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = data(800, 5);
    let csv = dir.path().join("d.csv");
    write_csv(&d, &csv);
    for (target, objective) in [
        ("up", "binary"),
        ("class", "multiclass"),
        ("value", "regression"),
    ] {
        let (out, xgb) = (dir.path().join("m.json"), dir.path().join("x.json"));
        let report = train(
            &csv,
            &out,
            target,
            &[
                "--objective",
                objective,
                "--n-estimators",
                "12",
                "--export-xgboost",
                xgb.to_str().expect("utf-8 path"),
            ],
        );
        assert!(report.contains("xgboost json: "), "{report}");
        let text = std::fs::read(&xgb).expect("exported");
        let imported = GbdtModel::from_xgboost_json(&text).expect("our importer reads it");
        assert_eq!(imported.feature_names(), names().as_slice());
        let from_file = predict(&out, &csv);
        assert_eq!(predict(&xgb, &csv), from_file, "{objective}");
        assert_same(&imported, &d, &from_file, objective);
        // `mlp export` writes the same file from the model file.
        let exported = dir.path().join("e.json");
        mlp()
            .args(["export", "--format", "xgboost", "--model"])
            .arg(&out)
            .arg("--out")
            .arg(&exported)
            .assert()
            .success();
        assert_eq!(
            std::fs::read(&exported).expect("exported"),
            text,
            "{objective}"
        );
    }
}

#[test]
fn export_refuses_what_an_xgboost_file_cannot_hold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("d.csv");
    write_csv(&data(200, 1), &csv);
    let linear = dir.path().join("ridge.json");
    mlp()
        .args([
            "train",
            "--model",
            "ridge",
            "--target",
            "value",
            "--features",
            "a,b,c,d",
            "--drop-missing",
        ])
        .arg("--input")
        .arg(&csv)
        .arg("--out")
        .arg(&linear)
        .assert()
        .success();
    let out = dir.path().join("x.json");
    let mut cmd = mlp();
    cmd.args(["export", "--model"])
        .arg(&linear)
        .arg("--out")
        .arg(&out);
    common::expect_error(&mut cmd, &["a linear model"]);
    let mut cmd = mlp();
    cmd.args(["export", "--model"])
        .arg(dir.path().join("absent.json"))
        .arg("--out")
        .arg(&out);
    common::expect_error(&mut cmd, &["absent.json"]);
    assert!(!out.exists());
}

/// Runs `mlp train` with `args`; expects status 2 and one line `mlp: ...` with `needle`, and
/// no model file.
fn refused(input: &Path, args: &[&str], needle: &str) {
    let never = input.with_file_name("never.json");
    let mut cmd = mlp();
    cmd.args([
        "train",
        "--target",
        "value",
        "--features",
        "a,b,c,d",
        "--out",
    ])
    .arg(&never)
    .arg("--input")
    .arg(input)
    .args(args);
    common::expect_error(&mut cmd, &[needle]);
    assert!(!never.exists(), "{args:?}");
}

#[test]
fn bad_flag_combinations_exit_2_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("d.csv");
    write_csv(&data(200, 1), &csv);
    for (args, needle) in [
        (
            &["--model", "ridge", "--num-leaves", "7"][..],
            "--num-leaves applies to --model gbdt only",
        ),
        (
            &["--model", "logistic", "--export-xgboost", "x.json"],
            "--export-xgboost applies to --model gbdt only",
        ),
        (
            &["--model", "gbdt", "--c", "1"],
            "--c applies to --model logistic and --model softmax only",
        ),
        (
            &["--model", "gbdt", "--alpha", "0.5"],
            "--alpha applies to --model ridge, and to --model gbdt with --objective quantile",
        ),
        (
            &["--model", "gbdt", "--pca", "2"],
            "--pca applies to the linear models",
        ),
        (
            &["--model", "gbdt", "--early-stopping-rounds", "5"],
            "--early-stopping-rounds needs a validation set",
        ),
        (
            &["--model", "gbdt", "--valid-fraction", "1"],
            "--valid-fraction 1: expected in (0, 1)",
        ),
        (
            &["--model", "gbdt", "--num-leaves", "1"],
            "--num-leaves 1: expected in 2..=131072",
        ),
        (
            &["--model", "gbdt", "--learning-rate", "-0.1"],
            "--learning-rate -0.1: expected finite and > 0",
        ),
        (
            &["--model", "gbdt", "--max-bin", "256"],
            "--max-bin 256: expected in 2..=255",
        ),
        (
            &["--model", "gbdt", "--bagging-fraction", "0.5"],
            "--bagging-freq 0",
        ),
        (
            &["--model", "gbdt", "--objective", "quantile", "--alpha", "1"],
            "--alpha 1: expected in (0, 1)",
        ),
        (&["--model", "gbdt", "--objective", "binary"], "label"),
        (
            &["--model", "gbdt", "--objective", "multiclass"],
            "is not a class 0, 1, 2",
        ),
        (
            &["--model", "gbdt", "--valid-fraction", "0.001"],
            "both need at least one",
        ),
    ] {
        refused(&csv, args, needle);
    }
}
