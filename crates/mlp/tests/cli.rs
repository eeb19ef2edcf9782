//! The `mlp` program end to end: output values checked against the library, and every kind of
//! bad input answered with one `mlp: ...` line on stderr and exit status 2.

mod common;

use assert_cmd::Command;
use common::read_csv;
use fast_math::{Mat, Par};
use ml_pipeline::{
    extract_features, FeatureConfig, Fit, LogisticRegression, Model, Pca, Predict, Ridge,
    SavedModel, Target, Transform,
};
use simd_kernels::Isa;

/// The saved model's prediction for one row of raw inputs.
fn predict(saved: &SavedModel, raw: &[f64], scratch: &mut [f64]) -> f64 {
    let mut out = [0.0];
    saved.predict_one(raw, scratch, &mut out);
    out[0]
}
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cli_fixtures")
        .join(name)
}

/// The program, inheriting this process's `SIMD_KERNELS_ISA`, so that a run capped to one
/// ISA (as `cargo xtask ci` does per ISA) compares values computed on the same path.
fn mlp() -> Command {
    Command::cargo_bin("mlp").expect("the mlp binary is built for tests")
}

/// One column of a CSV file, by name, NaN for empty cells.
fn column(path: &Path, name: &str) -> Vec<f64> {
    let mut rdr = csv::Reader::from_path(path).expect("readable fixture");
    let j = rdr
        .headers()
        .expect("header")
        .iter()
        .position(|h| h == name)
        .expect("column exists");
    rdr.records()
        .map(|r| {
            let r = r.expect("record");
            let c = r[j].trim();
            if c.is_empty() {
                f64::NAN
            } else {
                c.parse().expect("a number")
            }
        })
        .collect()
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).expect("utf-8 output")
}

/// Runs `cmd`, expects exit status 2 and one line on stderr, `mlp: ...` containing every
/// one of `needles`; returns that line.
fn expect_error(cmd: &mut Command, needles: &[&str]) -> String {
    let out = cmd.assert().code(2).get_output().clone();
    let stderr = String::from_utf8(out.stderr).expect("utf-8 stderr");
    assert!(
        stderr.starts_with("mlp: "),
        "stderr should start with 'mlp: ': {stderr:?}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr:?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{stderr:?} should contain {n:?}");
    }
    stderr
}

/// Files in `dir` whose names contain ".tmp" (left-over temporary outputs).
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("readable dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect()
}

/// Set by `cargo xtask sanitize --valgrind`: this test process runs on valgrind's virtual CPU
/// (no AVX-512, FMA emulated with different rounding) while the `mlp` it launches runs on
/// the real one, so values computed on each side may differ in the last bits.
fn under_valgrind() -> bool {
    std::env::var_os("ML_PIPELINE_UNDER_VALGRIND").is_some()
}

/// Equal bit for bit, or within a few rounding errors when the two processes run on
/// different (virtual) CPUs; see [`under_valgrind`].
fn same_value(got: f64, want: f64) -> bool {
    if got.to_bits() == want.to_bits() {
        return true;
    }
    under_valgrind() && (got - want).abs() <= 1e-12 * want.abs().max(1e-300)
}

/// Each predicted row equals the model applied to the raw input columns (up to
/// [`same_value`]); an empty prediction only where an input is missing or infinite.
fn assert_predictions_match(prows: &[Vec<Option<f64>>], inputs: &[Vec<f64>], saved: &SavedModel) {
    let mut scratch = vec![0.0; saved.scratch_len()];
    for (i, row) in prows.iter().enumerate() {
        let raw: Vec<f64> = inputs.iter().map(|c| c[i]).collect();
        match row[0] {
            None => assert!(raw.iter().any(|v| !v.is_finite()), "row {i}"),
            Some(p) => {
                let want = predict(saved, &raw, &mut scratch);
                assert!(same_value(p, want), "row {i}: {p} vs {want}");
            }
        }
    }
}

fn assert_same_cells(got: &[Option<f64>], want: &[f64], row: usize) {
    assert_eq!(got.len(), want.len(), "row {row}: width");
    for (j, (g, w)) in got.iter().zip(want).enumerate() {
        match g {
            None => assert!(
                w.is_nan(),
                "row {row}, col {j}: empty cell but library has {w}"
            ),
            Some(g) => assert!(same_value(*g, *w), "row {row}, col {j}: {g} vs {w}"),
        }
    }
}

#[test]
fn info_reports_version_cpu_and_isas() {
    let out = stdout_of(mlp().arg("info"));
    assert!(
        out.starts_with(&format!("mlp {}\n", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
    assert!(out.contains("\ncpu: "), "{out}");
    let isa = simd_kernels::Isa::detect();
    // Under valgrind this process sees a CPU without AVX-512; the child does not.
    assert!(
        under_valgrind() || out.contains(&format!("isa detected: {}\n", isa.name())),
        "{out}"
    );
    let available: Vec<&str> = simd_kernels::Isa::available()
        .map(simd_kernels::Isa::name)
        .collect();
    if under_valgrind() {
        // The child sees at least what we see.
        let line = out
            .lines()
            .find_map(|l| l.strip_prefix("isa available: "))
            .expect("isa available line");
        let theirs: Vec<&str> = line.split(", ").collect();
        assert!(available.iter().all(|a| theirs.contains(a)), "{out}");
    } else {
        assert!(
            out.contains(&format!("isa available: {}\n", available.join(", "))),
            "{out}"
        );
    }
}

#[test]
fn features_to_stdout_equal_extract_features() {
    let input = fixture("prices.csv");
    let out = stdout_of(
        mlp()
            .args(["features", "--no-keep", "--column", "close", "--input"])
            .arg(&input),
    );
    let (header, rows) = read_csv(&out);
    let cfg = FeatureConfig::with_window(64);
    assert_eq!(header, cfg.names());
    let prices = column(&input, "close");
    assert_eq!(rows.len(), prices.len());
    let fm = extract_features(&prices, &cfg, Par::Seq).expect("features");
    for (t, row) in rows.iter().enumerate() {
        assert_same_cells(row, fm.row(t), t);
    }
    // Warm-up rows are empty, later rows complete.
    assert!(rows[0][1].is_none());
    assert!(rows[399].iter().all(Option::is_some));
}

#[test]
fn features_window_flag_and_output_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outpath = dir.path().join("feats.csv");
    let input = fixture("prices.csv");
    mlp()
        .args([
            "features",
            "--no-keep",
            "--column",
            "close",
            "--window",
            "16",
            "--input",
        ])
        .arg(&input)
        .arg("--output")
        .arg(&outpath)
        .assert()
        .success()
        .stdout("");
    let text = std::fs::read_to_string(&outpath).expect("output written");
    let (header, rows) = read_csv(&text);
    let cfg = FeatureConfig::with_window(16);
    assert_eq!(header, cfg.names());
    let fm = extract_features(&column(&input, "close"), &cfg, Par::Seq).expect("features");
    assert_eq!(rows.len(), fm.nrows());
    for t in [0, 15, 16, 17, 31, 32, 33, 200, 399] {
        assert_same_cells(&rows[t], fm.row(t), t);
    }
    assert!(temp_files(dir.path()).is_empty());
}

#[test]
fn features_accept_bom_crlf_quotes_and_number_forms() {
    let out = stdout_of(
        mlp()
            .args([
                "features",
                "--no-keep",
                "--column",
                "close",
                "--window",
                "4",
                "--input",
            ])
            .arg(fixture("bom_crlf_quoted.csv")),
    );
    let (_, rows) = read_csv(&out);
    let prices = [10.0, 10.5, 11.0, 11.0, 11.25, 12.0, 11.75, 12.0, 12.5, 13.0];
    assert_eq!(rows.len(), prices.len());
    let fm = extract_features(&prices, &FeatureConfig::with_window(4), Par::Seq).expect("ok");
    for (t, row) in rows.iter().enumerate() {
        assert_same_cells(row, fm.row(t), t);
    }
    assert_eq!(rows[1][0], Some((10.5f64 / 10.0).ln()));
}

#[test]
fn features_treat_empty_and_nan_cells_as_missing() {
    let input = fixture("with_gaps.csv");
    let out = stdout_of(
        mlp()
            .args([
                "features",
                "--no-keep",
                "--column",
                "close",
                "--window",
                "8",
                "--input",
            ])
            .arg(&input),
    );
    let (_, rows) = read_csv(&out);
    let prices = column(&input, "close");
    assert!(prices[70].is_nan() && prices[90].is_nan() && prices[100].is_nan());
    assert_eq!(rows.len(), 120);
    let fm = extract_features(&prices, &FeatureConfig::with_window(8), Par::Seq).expect("ok");
    for (t, row) in rows.iter().enumerate() {
        assert_same_cells(row, fm.row(t), t);
    }
    assert!(rows[70][0].is_none() && rows[71][0].is_none());
}

/// Writes the features of the price fixture to `dir/feats.csv`.
fn features_file(dir: &Path) -> PathBuf {
    let path = dir.join("feats.csv");
    mlp()
        .args([
            "features",
            "--no-keep",
            "--column",
            "close",
            "--window",
            "16",
            "--input",
        ])
        .arg(fixture("prices.csv"))
        .arg("--output")
        .arg(&path)
        .assert()
        .success();
    path
}

/// Rows of `cols` with every value finite: the matrix and the row indices.
fn complete_rows(cols: &[Vec<f64>]) -> (Mat<f64>, Vec<usize>) {
    let rows: Vec<usize> = (0..cols[0].len())
        .filter(|&i| cols.iter().all(|c| c[i].is_finite()))
        .collect();
    let x = Mat::from_fn(rows.len(), cols.len() - 1, |i, j| cols[j + 1][rows[i]]);
    (x, rows)
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn train_ridge_then_predict_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let feats = features_file(dir.path());
    let model_path = dir.path().join("ridge.json");
    let names = ["zscore", "momentum", "roll_std", "ema_8"];
    let out = stdout_of(
        mlp()
            .args([
                "train",
                "--target",
                "log_return",
                "--model",
                "ridge",
                "--drop-missing",
            ])
            .args(["--alpha", "0.5", "--features", &names.join(",")])
            .arg("--input")
            .arg(&feats)
            .arg("--out")
            .arg(&model_path),
    );
    let saved = SavedModel::load(&model_path).expect("model file");
    assert_eq!(saved.feature_names, names);
    assert!(saved.stages.is_empty());

    // The same fit through the library.
    let mut cols = vec![column(&feats, "log_return")];
    cols.extend(names.iter().map(|n| column(&feats, n)));
    let (x, rows) = complete_rows(&cols);
    let y: Vec<f64> = rows.iter().map(|&r| cols[0][r]).collect();
    let want = Ridge {
        alpha: 0.5,
        fit_intercept: true,
    }
    .fit(x.as_ref(), &y, Par::Seq)
    .expect("fit");
    let Model::Ridge(got) = &saved.model else {
        panic!("expected a ridge model, got {:?}", saved.model)
    };
    for (g, w) in got.coef.iter().zip(&want.coef) {
        assert!(close(*g, *w, 1e-9), "{g} vs {w}");
    }
    assert!(close(got.intercept, want.intercept, 1e-9));
    assert!(out.contains(&format!("rows: {} used", rows.len())), "{out}");
    assert!(
        out.contains(&format!(
            "dropped: {} rows with a missing value (--drop-missing)",
            400 - rows.len()
        )),
        "{out}"
    );

    // In-sample R^2 as printed.
    let mut pred = vec![0.0; x.nrows()];
    want.predict_into(x.as_ref(), &mut pred, Par::Seq);
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let ss_tot: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
    let ss_res: f64 = y.iter().zip(&pred).map(|(a, b)| (a - b).powi(2)).sum();
    let r2_line = out
        .lines()
        .find_map(|l| l.strip_prefix("in-sample R^2: "))
        .expect("R^2 line");
    let r2: f64 = r2_line.parse().expect("number");
    assert!((r2 - (1.0 - ss_res / ss_tot)).abs() < 1e-6, "{out}");

    // predict: one row per input row, empty where an input is missing, else the model's value.
    let preds_path = dir.path().join("preds.csv");
    mlp()
        .arg("predict")
        .arg("--model")
        .arg(&model_path)
        .arg("--input")
        .arg(&feats)
        .arg("--output")
        .arg(&preds_path)
        .assert()
        .success();
    let (header, prows) = read_csv(&std::fs::read_to_string(&preds_path).expect("preds"));
    assert_eq!(header, ["prediction"]);
    assert_eq!(prows.len(), 400);
    assert_predictions_match(&prows, &cols[1..], &saved);
    assert!(prows[0][0].is_none() && prows[399][0].is_some());
    assert!(temp_files(dir.path()).is_empty());
}

#[test]
fn train_logistic_then_predict_probabilities_and_classes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let feats = features_file(dir.path());
    // Labels: the next return is positive.
    let lr = column(&feats, "log_return");
    let z = column(&feats, "zscore");
    let m = column(&feats, "momentum");
    let data = dir.path().join("labels.csv");
    let mut text = String::from("zscore,momentum,up\n");
    for i in 0..lr.len() - 1 {
        let cell = |v: f64| {
            if v.is_nan() {
                String::new()
            } else {
                format!("{v:?}")
            }
        };
        text += &format!(
            "{},{},{}\n",
            cell(z[i]),
            cell(m[i]),
            u8::from(lr[i + 1] > 0.0)
        );
    }
    std::fs::write(&data, text).expect("write");
    let model_path = dir.path().join("logit.json");
    let out = stdout_of(
        mlp()
            .args([
                "train",
                "--target",
                "up",
                "--model",
                "logistic",
                "--c",
                "2",
                "--drop-missing",
            ])
            .arg("--input")
            .arg(&data)
            .arg("--out")
            .arg(&model_path),
    );
    assert!(out.contains("in-sample accuracy: "), "{out}");
    assert!(out.contains("in-sample log-loss: "), "{out}");
    let saved = SavedModel::load(&model_path).expect("model");
    // --features defaults to every numeric column but the target.
    assert_eq!(saved.feature_names, ["zscore", "momentum"]);

    let cols = vec![
        column(&data, "up"),
        column(&data, "zscore"),
        column(&data, "momentum"),
    ];
    let (x, rows) = complete_rows(&cols);
    let y: Vec<f64> = rows.iter().map(|&r| cols[0][r]).collect();
    let want = LogisticRegression {
        c: 2.0,
        ..LogisticRegression::default()
    }
    .fit(x.as_ref(), &y, Par::Seq)
    .expect("fit");
    let Model::Logistic(got) = &saved.model else {
        panic!("expected a logistic model, got {:?}", saved.model)
    };
    for (g, w) in got.linear.coef.iter().zip(&want.linear.coef) {
        assert!(close(*g, *w, 1e-8), "{g} vs {w}");
    }

    let out = stdout_of(
        mlp()
            .arg("predict")
            .arg("--model")
            .arg(&model_path)
            .arg("--input")
            .arg(&data),
    );
    let (header, prows) = read_csv(&out);
    assert_eq!(header, ["probability", "prediction"]);
    assert_eq!(prows.len(), lr.len() - 1);
    let mut scratch = [0.0; 2];
    let mut both_classes = [false; 2];
    for (i, row) in prows.iter().enumerate() {
        let raw = [cols[1][i], cols[2][i]];
        if raw.iter().any(|v| !v.is_finite()) {
            assert_eq!(row, &[None, None], "row {i}");
            continue;
        }
        let p = predict(&saved, &raw, &mut scratch);
        assert_eq!(row[0], Some(p), "row {i}");
        let class = row[1].expect("class");
        assert_eq!(class, if p > 0.5 { 1.0 } else { 0.0 }, "row {i}");
        both_classes[class as usize] = true;
    }
    assert!(prows[0][0].is_none());
    assert!(both_classes[0] || both_classes[1]);
}

#[test]
fn train_with_pca_then_predict_reads_raw_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let feats = features_file(dir.path());
    let model_path = dir.path().join("pca.json");
    let names = [
        "zscore", "momentum", "roll_std", "ema_8", "roll_min", "roll_max",
    ];
    let out = stdout_of(
        mlp()
            .args([
                "train",
                "--target",
                "log_return",
                "--model",
                "ridge",
                "--pca",
                "3",
                "--drop-missing",
            ])
            .args(["--features", &names.join(",")])
            .arg("--input")
            .arg(&feats)
            .arg("--out")
            .arg(&model_path),
    );
    assert!(out.contains("pca: 3 components"), "{out}");
    let saved = SavedModel::load(&model_path).expect("model file");
    assert_eq!(saved.feature_names, names);
    let pca = saved.pca().expect("the file keeps the projection");
    assert_eq!(pca.n_components(), 3);

    // The same PCA, then ridge on the scores, through the library.
    let mut cols = vec![column(&feats, "log_return")];
    cols.extend(names.iter().map(|n| column(&feats, n)));
    let (x, rows) = complete_rows(&cols);
    let y: Vec<f64> = rows.iter().map(|&r| cols[0][r]).collect();
    let want_pca = Pca { n_components: 3 }
        .fit(x.as_ref(), Target::None, Par::Seq)
        .expect("pca");
    for (g, w) in pca.components.iter().zip(&want_pca.components) {
        assert!(close(*g, *w, 1e-8), "component {g} vs {w}");
    }
    let mut centered = vec![0.0; names.len()];
    let mut scores = vec![0.0; 3];
    let z = Mat::from_fn(rows.len(), 3, |i, c| {
        let raw: Vec<f64> = (0..names.len()).map(|j| x[(i, j)]).collect();
        want_pca.transform_one_with(Isa::detect(), &raw, &mut centered, &mut scores);
        scores[c]
    });
    let want = Ridge::default().fit(z.as_ref(), &y, Par::Seq).expect("fit");
    let Model::Ridge(got) = &saved.model else {
        panic!("expected a ridge model, got {:?}", saved.model)
    };
    assert_eq!(got.coef.len(), 3);
    for (g, w) in got.coef.iter().zip(&want.coef) {
        assert!(close(*g, *w, 1e-7), "{g} vs {w}");
    }

    // predict reads the six raw columns and applies the projection.
    let text = stdout_of(
        mlp()
            .arg("predict")
            .arg("--model")
            .arg(&model_path)
            .arg("--input")
            .arg(&feats),
    );
    let (_, prows) = read_csv(&text);
    assert_eq!(prows.len(), 400);
    assert_predictions_match(&prows, &cols[1..], &saved);
}

#[test]
fn train_defaults_skip_text_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model_path = dir.path().join("m.json");
    // prices.csv: date (text), close, volume. Target volume, so the only feature is close.
    stdout_of(
        mlp()
            .args(["train", "--target", "volume", "--model", "ridge", "--input"])
            .arg(fixture("prices.csv"))
            .arg("--out")
            .arg(&model_path),
    );
    let saved = SavedModel::load(&model_path).expect("model");
    assert_eq!(saved.feature_names, ["close"]);
}

#[test]
fn bad_inputs_exit_2_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let feats = |extra: &[&str], input: PathBuf| {
        let mut c = mlp();
        c.args(["features", "--column", "close"])
            .args(extra)
            .arg("--input")
            .arg(input);
        c
    };
    expect_error(
        &mut feats(&[], dir.path().join("missing.csv")),
        &["missing.csv", "cannot open"],
    );
    expect_error(
        mlp()
            .args(["features", "--column", "price", "--input"])
            .arg(fixture("prices.csv")),
        &["no column \"price\"", "date, close, volume"],
    );
    expect_error(
        &mut feats(&[], fixture("non_numeric.csv")),
        &["line 4", "column 2", "\"close\"", "\"abc\" is not a number"],
    );
    expect_error(
        &mut feats(&[], fixture("ragged.csv")),
        &["ragged.csv", "line 4 has 1 field", "header has 2"],
    );
    expect_error(&mut feats(&[], fixture("empty.csv")), &["empty"]);
    expect_error(
        &mut feats(&["--window", "2"], fixture("prices.csv")),
        &["window must be at least 4"],
    );

    let model = |m: PathBuf| {
        let mut c = mlp();
        c.arg("predict")
            .arg("--model")
            .arg(m)
            .arg("--input")
            .arg(fixture("prices.csv"));
        c
    };
    expect_error(
        &mut model(fixture("model_malformed.json")),
        &["model_malformed.json", "not valid JSON"],
    );
    expect_error(
        &mut model(fixture("model_v99.json")),
        &["model_v99.json", "version 99", "reads versions 1 to 2"],
    );
    expect_error(
        &mut model(dir.path().join("nope.json")),
        &["nope.json", "cannot read"],
    );

    let train = |extra: &[&str]| {
        let mut c = mlp();
        c.arg("train")
            .args(extra)
            .arg("--input")
            .arg(fixture("prices.csv"))
            .arg("--out")
            .arg(dir.path().join("never.json"));
        c
    };
    expect_error(
        &mut train(&["--target", "volume", "--model", "ridge", "--pca", "5"]),
        &["--pca", "n_components must be in 1..=1"],
    );
    expect_error(
        &mut train(&["--target", "close", "--model", "logistic"]),
        &["line 2", "is not a class", "--model ridge"],
    );
    expect_error(
        &mut train(&["--target", "volume", "--model", "ridge", "--c", "1"]),
        &["--c applies to --model logistic and --model softmax only"],
    );
    expect_error(
        &mut train(&[
            "--target",
            "close",
            "--model",
            "ridge",
            "--features",
            "date",
        ]),
        &["line 2", "column 1", "\"date\"", "is not a number"],
    );
    expect_error(
        &mut train(&[
            "--target",
            "close",
            "--model",
            "ridge",
            "--features",
            "close",
        ]),
        &["includes the target"],
    );
    assert!(!dir.path().join("never.json").exists());

    expect_error(
        mlp().arg("info").env("SIMD_KERNELS_ISA", "sse9"),
        &["SIMD_KERNELS_ISA"],
    );
    expect_error(mlp().args(["demo", "--ticks", "10"]), &["--ticks"]);
}

#[test]
fn usage_errors_exit_2() {
    mlp()
        .args(["features", "--column", "close"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--input"));
    mlp()
        .arg("frobnicate")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unrecognized subcommand"));
    mlp()
        .args([
            "train", "--input", "x.csv", "--target", "y", "--out", "m.json",
        ])
        .args(["--model", "lasso"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("lasso"));
}

#[test]
fn failed_run_keeps_existing_output_and_leaves_no_temp_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outpath = dir.path().join("out.csv");
    std::fs::write(&outpath, "previous contents\n").expect("write");
    expect_error(
        mlp()
            .args(["features", "--column", "close", "--input"])
            .arg(fixture("non_numeric.csv"))
            .arg("--output")
            .arg(&outpath),
        &["not a number"],
    );
    expect_error(
        mlp()
            .arg("predict")
            .arg("--model")
            .arg(fixture("model_v99.json"))
            .arg("--input")
            .arg(fixture("prices.csv"))
            .arg("--output")
            .arg(&outpath),
        &["version 99"],
    );
    assert_eq!(
        std::fs::read_to_string(&outpath).expect("still there"),
        "previous contents\n"
    );
    // An output in a directory that does not exist: an error, nothing created.
    expect_error(
        mlp()
            .args(["features", "--column", "close", "--input"])
            .arg(fixture("prices.csv"))
            .arg("--output")
            .arg(dir.path().join("no/such/dir/out.csv")),
        &["cannot create output file"],
    );
    assert!(temp_files(dir.path()).is_empty());
}

#[test]
fn demo_small_reports_every_measurement() {
    let dir = tempfile::tempdir().expect("tempdir");
    let svg = dir.path().join("demo.svg");
    let out = stdout_of(
        mlp()
            .args([
                "demo",
                "--ticks",
                "20000",
                "--seed",
                "3",
                "--repeats",
                "1",
                "--plot",
            ])
            .arg(&svg),
    );
    for needle in [
        "mlp demo: 20000 ticks, seed 3",
        "features: 20000 rows x 15 columns",
        "ridge (alpha 1, standardized): ",
        "in-sample R^2 ",
        "gbdt (binary, up to 60 trees",
        "trees kept, validation log-loss ",
        "  gbdt:     hit rate ",
        "out of sample (5999 ticks",
        "hit rate ",
        "sign strategy log return ",
        "replay latency per tick",
        "p99 ",
        "all layers on: ",
        "all layers off: ",
        "speedup: ",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    // The optimized hot path allocates nothing, with a linear or a tree model; the all-off one
    // allocates its scratch per tick.
    assert!(
        out.contains("allocations per tick (counted by the global allocator): ridge 0.000 (0 in 6000 ticks), logistic 0.000 (0), gbdt 0.000 (0)"),
        "{out}"
    );
    assert!(out.contains("1.00 allocations per replayed tick"), "{out}");
    // Streaming and batch features give the same predictions.
    let diff: f64 = out
        .lines()
        .find_map(|l| l.split("max |prediction difference| ").nth(1))
        .and_then(|s| s.split_whitespace().next())
        .expect("difference line")
        .parse()
        .expect("number");
    assert!(diff < 1e-12, "{out}");
    // The tree model's streamed predictions are its batch predictions exactly.
    assert!(out.contains(" (ridge), 0.0e0 (gbdt)"), "{out}");
    let text = std::fs::read_to_string(&svg).expect("svg written");
    assert!(text.contains("<svg") && text.contains("</svg>"));
    assert!(text.contains("buy and hold"));
    assert!(temp_files(dir.path()).is_empty());
}
