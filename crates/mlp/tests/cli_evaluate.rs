//! `mlp train --test-fraction`, `--walk-forward`, `--group`, `--standardize`: time-ordered
//! out-of-sample evaluation within each series, checked against the library fitting the same
//! rows, and the errors of bad settings.

mod common;

use assert_cmd::Command;
use common::expect_error;
use fast_math::{Mat, Par};
use ml_pipeline::{Fit, Model, Predict, Ridge, SavedModel, StandardScaler, Target, Transform};
use simd_kernels::Isa;
use std::path::{Path, PathBuf};

fn mlp() -> Command {
    Command::cargo_bin("mlp").expect("the mlp binary is built for tests")
}

/// `mlp train --input data --out model --target target --features x1,x2` and `args`.
fn train(data: &Path, model: &Path, target: &str, args: &[&str]) -> Command {
    let mut c = mlp();
    c.args(["train", "--target", target, "--features", "x1,x2"])
        .args(args)
        .arg("--input")
        .arg(data)
        .arg("--out")
        .arg(model);
    c
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).expect("utf-8 output")
}

/// Symbols of the given lengths, interleaved in rotation; per row `symbol,t,x1,x2,y,up` with
/// `y = 0.5 x1 - 0.2 x2 + 3 + noise` (deterministic), `up = y > 3`.
struct Data {
    path: PathBuf,
    symbol: Vec<usize>,
    x: Vec<[f64; 2]>,
    y: Vec<f64>,
}

fn data(dir: &Path, sizes: &[usize]) -> Data {
    let mut left = sizes.to_vec();
    let (mut symbol, mut x, mut y) = (Vec::new(), Vec::new(), Vec::new());
    let mut text = String::from("symbol,t,x1,x2,y,up\n");
    let mut i = 0usize;
    while left.iter().any(|&n| n > 0) {
        let g = (0..sizes.len())
            .map(|k| (i + k) % sizes.len())
            .find(|&g| left[g] > 0)
            .expect("a symbol with rows left");
        let t = sizes[g] - left[g];
        left[g] -= 1;
        i += 1;
        let f = t as f64 + 13.0 * g as f64;
        let (x1, x2) = ((f * 0.71).sin() * 2.0 + g as f64, (f * 0.23).cos() * 5.0);
        let v = 0.5 * x1 - 0.2 * x2 + 3.0 + 0.3 * (f * 1.37).sin();
        text.push_str(&format!("S{g},{t},{x1},{x2},{v},{}\n", u8::from(v > 3.0)));
        symbol.push(g);
        x.push([x1, x2]);
        y.push(v);
    }
    let path = dir.join("d.csv");
    std::fs::write(&path, text).expect("write");
    Data { path, symbol, x, y }
}

/// The number after `name ` in `line`.
fn figure(line: &str, name: &str) -> f64 {
    let at = line
        .find(&format!("{name} "))
        .unwrap_or_else(|| panic!("{name} in {line}"));
    line[at + name.len() + 1..]
        .split([',', ' '])
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{name} value in {line}"))
}

fn ridge_on(d: &Data, rows: &[usize]) -> ml_pipeline::LinearModel {
    let x = Mat::from_fn(rows.len(), 2, |i, j| d.x[rows[i]][j]);
    let y: Vec<f64> = rows.iter().map(|&r| d.y[r]).collect();
    Ridge {
        alpha: 1.0,
        fit_intercept: true,
    }
    .fit(x.as_ref(), &y, Par::Seq)
    .expect("fit")
}

fn r2_rmse_hits(d: &Data, m: &ml_pipeline::LinearModel, rows: &[usize]) -> (f64, f64, f64) {
    let pred: Vec<f64> = rows
        .iter()
        .map(|&r| m.intercept + m.coef[0] * d.x[r][0] + m.coef[1] * d.x[r][1])
        .collect();
    let y: Vec<f64> = rows.iter().map(|&r| d.y[r]).collect();
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let ss_tot: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
    let ss_res: f64 = y.iter().zip(&pred).map(|(a, b)| (a - b).powi(2)).sum();
    let hits = y
        .iter()
        .zip(&pred)
        .filter(|(a, b)| (**a > 0.0) == (**b > 0.0))
        .count();
    (
        1.0 - ss_res / ss_tot,
        (ss_res / y.len() as f64).sqrt(),
        hits as f64 / y.len() as f64,
    )
}

#[test]
fn test_fraction_holds_out_the_tail_of_each_series() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = data(dir.path(), &[50, 30, 20]);
    let model = dir.path().join("m.json");
    let out = stdout_of(&mut train(
        &d.path,
        &model,
        "y",
        &[
            "--model",
            "ridge",
            "--group",
            "symbol",
            "--test-fraction",
            "0.2",
        ],
    ));
    // The last 20% of each symbol: 10, 6 and 4 rows.
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (g, n) in [(0, 50), (1, 30), (2, 20)] {
        let rows: Vec<usize> = (0..d.y.len()).filter(|&r| d.symbol[r] == g).collect();
        let cut = n - n / 5;
        train.extend_from_slice(&rows[..cut]);
        test.extend_from_slice(&rows[cut..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    let want = ridge_on(&d, &train);
    let saved = SavedModel::load(&model).expect("model");
    let Model::Ridge(got) = &saved.model else {
        panic!("ridge")
    };
    for (g, w) in got.coef.iter().zip(&want.coef) {
        assert!(
            (g - w).abs() < 1e-10,
            "the saved model is trained on the training rows"
        );
    }
    let line = out
        .lines()
        .find(|l| l.starts_with("out-of-sample"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("each of 3 series of \"symbol\""), "{line}");
    assert!(line.contains("80 rows before): 20 test rows"), "{line}");
    let (r2, rmse, hits) = r2_rmse_hits(&d, &want, &test);
    assert!((figure(line, "R^2") - r2).abs() < 1e-6, "{line} vs {r2}");
    assert!(
        (figure(line, "RMSE") - rmse).abs() < 1e-6,
        "{line} vs {rmse}"
    );
    assert!(
        (figure(line, "rate") - hits).abs() < 1e-6,
        "{line} vs {hits}"
    );
}

#[test]
fn walk_forward_scores_expanding_folds_then_trains_on_every_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = data(dir.path(), &[40, 40]);
    let model = dir.path().join("m.json");
    let out = stdout_of(&mut train(
        &d.path,
        &model,
        "y",
        &[
            "--model",
            "ridge",
            "--group",
            "symbol",
            "--walk-forward",
            "3",
        ],
    ));
    let folds: Vec<&str> = out.lines().filter(|l| l.starts_with("  fold ")).collect();
    assert_eq!(folds.len(), 3, "{out}");
    let mut r2s = Vec::new();
    for (i, line) in folds.iter().enumerate() {
        // Blocks of 10 rows per symbol: fold i trains on (i + 1) blocks, tests on the next.
        let block = |b: usize, g: usize| -> Vec<usize> {
            let rows: Vec<usize> = (0..d.y.len()).filter(|&r| d.symbol[r] == g).collect();
            rows[b * 10..(b + 1) * 10].to_vec()
        };
        let mut train: Vec<usize> = (0..=i)
            .flat_map(|b| [block(b, 0), block(b, 1)])
            .flatten()
            .collect();
        let mut test: Vec<usize> = [block(i + 1, 0), block(i + 1, 1)].concat();
        train.sort_unstable();
        test.sort_unstable();
        assert!(
            line.contains(&format!("{} training rows, 20 test rows", train.len())),
            "{line}"
        );
        let (r2, _, _) = r2_rmse_hits(&d, &ridge_on(&d, &train), &test);
        assert!((figure(line, "R^2") - r2).abs() < 1e-6, "{line} vs {r2}");
        r2s.push(r2);
    }
    let mean = out
        .lines()
        .find(|l| l.contains("mean over folds"))
        .expect("mean line");
    assert!(
        (figure(mean, "R^2") - r2s.iter().sum::<f64>() / 3.0).abs() < 1e-6,
        "{mean}"
    );
    let all: Vec<usize> = (0..d.y.len()).collect();
    let want = ridge_on(&d, &all);
    let Model::Ridge(got) = SavedModel::load(&model).expect("model").model else {
        panic!("ridge")
    };
    assert!((got.intercept - want.intercept).abs() < 1e-10);
}

#[test]
fn standardize_keeps_the_scaler_in_the_model_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = data(dir.path(), &[60]);
    let model = dir.path().join("m.json");
    stdout_of(&mut train(
        &d.path,
        &model,
        "y",
        &["--model", "ridge", "--standardize", "--alpha", "5"],
    ));
    let saved = SavedModel::load(&model).expect("model");
    assert_eq!(saved.stages.len(), 1);
    let x = Mat::from_fn(d.y.len(), 2, |i, j| d.x[i][j]);
    let scaler = StandardScaler
        .fit(x.as_ref(), Target::None, Par::Seq)
        .expect("scaler");
    let z = scaler.transform(Isa::detect(), x.as_ref());
    let want = Ridge {
        alpha: 5.0,
        fit_intercept: true,
    }
    .fit(z.as_ref(), &d.y, Par::Seq)
    .expect("fit");
    let mut got = vec![0.0; d.y.len()];
    saved.predict_into(x.as_ref(), &mut got, Par::Seq);
    let mut exp = vec![0.0; d.y.len()];
    want.predict_into(z.as_ref(), &mut exp, Par::Seq);
    for (g, e) in got.iter().zip(&exp) {
        assert!((g - e).abs() < 1e-10, "{g} vs {e}");
    }
}

#[test]
fn classifiers_and_trees_report_their_own_metrics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = data(dir.path(), &[80, 80]);
    let model = dir.path().join("m.json");
    let logistic = stdout_of(&mut train(
        &d.path,
        &model,
        "up",
        &[
            "--model",
            "logistic",
            "--group",
            "symbol",
            "--test-fraction",
            "0.25",
        ],
    ));
    let line = logistic
        .lines()
        .find(|l| l.starts_with("out-of-sample"))
        .expect("line");
    assert!(
        line.contains("accuracy") && line.contains("log-loss"),
        "{line}"
    );
    assert!(figure(line, "accuracy") > 0.6, "{line}");
    let trees = stdout_of(&mut train(
        &d.path,
        &model,
        "y",
        &[
            "--model",
            "gbdt",
            "--n-estimators",
            "20",
            "--min-data-in-leaf",
            "5",
            "--walk-forward",
            "2",
            "--group",
            "symbol",
        ],
    ));
    assert_eq!(
        trees.lines().filter(|l| l.starts_with("  fold ")).count(),
        2,
        "{trees}"
    );
    assert!(trees.contains("mean over folds: R^2 "), "{trees}");
}

#[test]
fn bad_evaluation_settings_exit_2_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = data(dir.path(), &[6, 6]);
    let base = || {
        let mut c = mlp();
        c.args(["train", "--target", "y", "--features", "x1,x2", "--out"])
            .arg(dir.path().join("m.json"))
            .arg("--input")
            .arg(&d.path);
        c
    };
    expect_error(
        base().args(["--model", "ridge", "--test-fraction", "1.5"]),
        &["--test-fraction 1.5", "(0, 1)"],
    );
    expect_error(
        base().args(["--model", "ridge", "--walk-forward", "0"]),
        &["--walk-forward 0"],
    );
    expect_error(
        base().args([
            "--model",
            "ridge",
            "--walk-forward",
            "9",
            "--group",
            "symbol",
        ]),
        &["--walk-forward 9", "fold 1"],
    );
    expect_error(
        base().args(["--model", "gbdt", "--standardize"]),
        &["--standardize", "trees"],
    );
    expect_error(
        base().args(["--model", "ridge", "--group", "y"]),
        &["--group \"y\""],
    );
    expect_error(
        base().args(["--model", "ridge", "--group", "nope"]),
        &["nope"],
    );
    // Both splits at once: refused by the argument parser.
    base()
        .args([
            "--model",
            "ridge",
            "--test-fraction",
            "0.2",
            "--walk-forward",
            "2",
        ])
        .assert()
        .failure();
}
