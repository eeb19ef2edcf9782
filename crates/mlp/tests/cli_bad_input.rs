//! CSV edge cases through the `mlp` program: overflowing numbers, `nan`, empty cells,
//! files with nothing in them. The rule (docs/RELIABILITY.md): a cell that parses to a
//! non-finite number (`1e400` is +inf, `nan`, an empty cell) is a gap. `features` keeps it
//! as a non-finite price, exactly as the library does; `train` refuses it naming its line
//! and column (as scikit-learn refuses a missing value), or with `--drop-missing` drops the
//! row and says how many it dropped, failing (exit 2, one line) only when no row is left;
//! `predict` leaves the row's prediction empty.

mod common;

use assert_cmd::Command;
use common::expect_error;
use fast_math::Par;
use ml_pipeline::{extract_features, FeatureConfig};
use std::path::{Path, PathBuf};

fn mlp() -> Command {
    let mut cmd = Command::cargo_bin("mlp").expect("the mlp binary is built for tests");
    cmd.env_remove("SIMD_KERNELS_ISA");
    cmd
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).expect("utf-8 output")
}

/// Parses an output cell: empty is NaN, otherwise a number (`inf` included).
fn cell(s: &str) -> f64 {
    if s.is_empty() {
        f64::NAN
    } else {
        s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write input");
    path
}

/// 40 rows of `x,y` with y = 0.5 x + 1; rows 5, 7, 9 and 11 hold `1e400`, `nan`, an empty
/// cell and a quoted `1e400` target.
fn gappy_csv() -> (String, Vec<f64>) {
    let mut xs = Vec::new();
    let mut text = String::from("x,y\r\n");
    for i in 0..40 {
        let x = 100.0 + (i as f64).sin() * 3.0 + i as f64 * 0.1;
        let (xc, yc) = match i {
            4 => ("1e400".to_string(), "51".to_string()),
            6 => ("nan".to_string(), "3".to_string()),
            8 => (String::new(), "4".to_string()),
            10 => (format!("\"{x}\""), "\"1e400\"".to_string()),
            _ => (x.to_string(), (0.5 * x + 1.0).to_string()),
        };
        xs.push(match i {
            4 => f64::INFINITY,
            6 | 8 => f64::NAN,
            _ => x,
        });
        text.push_str(&format!("{xc},{yc}\r\n"));
    }
    (text, xs)
}

#[test]
fn features_keep_overflowing_and_missing_cells_as_the_library_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (text, prices) = gappy_csv();
    let input = write(dir.path(), "t.csv", &text);
    let out = stdout_of(
        mlp()
            .args([
                "features",
                "--no-keep",
                "--column",
                "x",
                "--window",
                "4",
                "--input",
            ])
            .arg(&input),
    );
    let fm = extract_features(&prices, &FeatureConfig::with_window(4), Par::Seq).expect("ok");
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), prices.len());
    for (t, line) in rows.iter().enumerate() {
        let got: Vec<f64> = line.split(',').map(cell).collect();
        assert_eq!(got.len(), fm.ncols(), "row {t}");
        for (j, (&g, &w)) in got.iter().zip(fm.row(t)).enumerate() {
            assert!(
                g == w || (g.is_nan() && w.is_nan()),
                "row {t}, column {j}: {g} vs {w}"
            );
        }
    }
    // 1e400 overflows to +inf: its return is +inf, the next one -inf.
    assert_eq!(cell(rows[4].split(',').next().unwrap()), f64::INFINITY);
    assert_eq!(cell(rows[5].split(',').next().unwrap()), f64::NEG_INFINITY);
}

#[test]
fn train_refuses_missing_cells_or_drops_them_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (text, _) = gappy_csv();
    let input = write(dir.path(), "t.csv", &text);
    let model = dir.path().join("m.json");
    let train = || {
        let mut c = mlp();
        c.args([
            "train",
            "--target",
            "y",
            "--features",
            "x",
            "--model",
            "ridge",
        ])
        .arg("--input")
        .arg(&input)
        .arg("--out")
        .arg(&model);
        c
    };
    // Row 5 of the data (line 6) holds the first gap: 1e400 in column x.
    expect_error(
        &mut train(),
        &[
            "t.csv",
            "line 6",
            "column \"x\"",
            "4 rows",
            "--drop-missing",
        ],
    );
    assert!(!model.exists());
    let out = stdout_of(train().arg("--drop-missing"));
    assert!(out.contains("rows: 36 used"), "{out}");
    assert!(
        out.contains("dropped: 4 rows with a missing value"),
        "{out}"
    );
    let saved = ml_pipeline::SavedModel::load(&model).expect("model written");
    let lin = saved.model.linear().expect("a linear model");
    assert!(lin
        .coef
        .iter()
        .chain([&lin.intercept])
        .all(|v| v.is_finite()));

    // Predictions: empty for the rows with a non-finite input, numbers elsewhere.
    let out = stdout_of(
        mlp()
            .args(["predict", "--model"])
            .arg(&model)
            .arg("--input")
            .arg(&input),
    );
    let preds: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(preds.len(), 40);
    for (i, p) in preds.iter().enumerate() {
        let p = p.trim_matches('"');
        if [4, 6, 8].contains(&i) {
            assert!(p.is_empty(), "row {i}: {p:?}");
        } else {
            assert!(cell(p).is_finite(), "row {i}: {p:?}");
        }
    }
}

#[test]
fn train_without_a_single_finite_row_exits_2_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let all_bad = write(dir.path(), "bad.csv", "x,y\n1e400,1\nnan,2\n,3\n4,-1e999\n");
    let out = dir.path().join("m.json");
    expect_error(
        mlp()
            .args([
                "train",
                "--target",
                "y",
                "--features",
                "x",
                "--model",
                "ridge",
            ])
            .arg("--input")
            .arg(&all_bad)
            .arg("--out")
            .arg(&out)
            .arg("--drop-missing"),
        &["bad.csv", "finite"],
    );
    assert!(!out.exists());
}

#[test]
fn absurd_windows_exit_2_with_one_line() {
    // Regression: a window of 1e14 aborted on a failed allocation, 2^64-1 overflowed.
    for w in ["100000000000000", "18446744073709551615"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = write(dir.path(), "p.csv", "x\n1\n2\n3\n");
        expect_error(
            mlp()
                .args(["features", "--column", "x", "--window", w, "--input"])
                .arg(&input),
            &["window must be at most"],
        );
    }
}

#[test]
fn files_without_data_exit_2_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in [
        ("empty.csv", ""),
        ("bom_only.csv", "\u{feff}"),
        ("blank_lines.csv", "\r\n\r\n"),
    ] {
        let input = write(dir.path(), name, text);
        expect_error(
            mlp()
                .args(["features", "--column", "x", "--input"])
                .arg(&input),
            &[name],
        );
    }
    // A header and no rows: nothing to train on.
    let header_only = write(dir.path(), "header_only.csv", "\u{feff}x,y\r\n");
    expect_error(
        mlp()
            .args([
                "train",
                "--target",
                "y",
                "--features",
                "x",
                "--model",
                "ridge",
            ])
            .arg("--input")
            .arg(&header_only)
            .arg("--out")
            .arg(dir.path().join("m.json")),
        &["header_only.csv"],
    );
}
