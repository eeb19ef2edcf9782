//! `mlp train --model ridge` on a file is read in chunks (several passes, one chunk in
//! memory); from standard input it reads the table into memory. Both must train the same
//! model and print the same figures: checked on a file of several chunks, with a column
//! that stops being numeric in the second chunk, missing values, `--standardize`, in CSV
//! and Parquet.

mod common;

use arrow_array::{ArrayRef, Float64Array, RecordBatch};
use assert_cmd::Command;
use ml_pipeline::{Model, SavedModel, Stage};
use parquet::arrow::ArrowWriter;
use std::path::Path;
use std::sync::Arc;

fn mlp() -> Command {
    Command::cargo_bin("mlp").expect("the mlp binary is built for tests")
}

/// Rows: more than one CSV chunk (65 536 rows) and more than one Parquet batch.
const ROWS: usize = 70_001;

/// `x1, x2, note, y`: `note` is numeric until row 66 000 (a word there), `x2` is missing on
/// every 997th row, `y` is linear in `x1` and `x2` plus a deterministic wobble.
fn columns() -> (Vec<f64>, Vec<f64>, Vec<String>, Vec<f64>) {
    let x1: Vec<f64> = (0..ROWS)
        .map(|i| 100.0 + (i as f64 * 0.013).sin())
        .collect();
    let x2: Vec<f64> = (0..ROWS)
        .map(|i| {
            if i % 997 == 5 {
                f64::NAN
            } else {
                (i as f64 * 0.0071).cos() * 3.0
            }
        })
        .collect();
    let note = (0..ROWS)
        .map(|i| {
            if i == 66_000 {
                "n/a-ish".into()
            } else {
                format!("{}", i % 7)
            }
        })
        .collect();
    let y = (0..ROWS)
        .map(|i| 1.5 + 0.8 * x1[i] - 2.0 * x2[i].max(-10.0) + 0.01 * (i as f64 * 1.7).sin())
        .collect();
    (x1, x2, note, y)
}

fn write_csv(path: &Path) {
    let (x1, x2, note, y) = columns();
    let mut text = String::from("x1,x2,note,y\n");
    for i in 0..ROWS {
        let x2 = if x2[i].is_nan() {
            String::new()
        } else {
            x2[i].to_string()
        };
        text.push_str(&format!("{},{x2},{},{}\n", x1[i], note[i], y[i]));
    }
    std::fs::write(path, text).expect("write csv");
}

fn write_parquet(path: &Path) {
    let (x1, x2, _, y) = columns();
    let col = |v: Vec<f64>| Arc::new(Float64Array::from(v)) as ArrayRef;
    let batch = RecordBatch::try_from_iter([("x1", col(x1)), ("x2", col(x2)), ("y", col(y))])
        .expect("batch");
    let file = std::fs::File::create(path).expect("create parquet");
    let mut w = ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
}

/// Trains from `input` (a path, or `-` with `stdin`), returns the printed lines and model.
fn train(dir: &Path, input: &str, stdin: Option<Vec<u8>>, extra: &[&str]) -> (String, SavedModel) {
    let out = dir.join(format!(
        "m{}.json",
        extra.len() + input.len() + stdin.is_some() as usize
    ));
    let mut cmd = mlp();
    cmd.args([
        "train", "--model", "ridge", "--target", "y", "--input", input,
    ])
    .args(extra)
    .arg("--out")
    .arg(&out);
    if let Some(bytes) = stdin {
        cmd.write_stdin(bytes);
    }
    let printed = cmd.assert().success().get_output().stdout.clone();
    let model = SavedModel::load(&out).expect("model file");
    (String::from_utf8(printed).expect("utf-8"), model)
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
}

/// Same features, scaler and coefficients (to 1e-10), same printed figures (to 1e-6).
fn assert_same(streamed: &(String, SavedModel), in_memory: &(String, SavedModel)) {
    let (a, b) = (&streamed.1, &in_memory.1);
    assert_eq!(a.feature_names, b.feature_names);
    let (Model::Ridge(ma), Model::Ridge(mb)) = (&a.model, &b.model) else {
        panic!("ridge models expected");
    };
    for (x, y) in ma
        .coef
        .iter()
        .chain([&ma.intercept])
        .zip(mb.coef.iter().chain([&mb.intercept]))
    {
        assert!(close(*x, *y, 1e-10), "coefficient {x} vs {y}");
    }
    assert_eq!(a.stages.len(), b.stages.len());
    for (sa, sb) in a.stages.iter().zip(&b.stages) {
        let (Stage::StandardScaler(sa), Stage::StandardScaler(sb)) = (sa, sb) else {
            panic!("scaler stages expected");
        };
        for (x, y) in sa
            .mean
            .iter()
            .chain(&sa.scale)
            .zip(sb.mean.iter().chain(&sb.scale))
        {
            assert!(close(*x, *y, 1e-12), "scaler {x} vs {y}");
        }
    }
    let figures = |text: &str| -> Vec<(String, f64)> {
        text.lines()
            .filter_map(|l| l.strip_prefix("in-sample "))
            .map(|l| {
                let (name, v) = l.split_once(": ").expect("name: value");
                (name.to_string(), v.parse().expect("a number"))
            })
            .collect()
    };
    let (fa, fb) = (figures(&streamed.0), figures(&in_memory.0));
    assert_eq!(fa.len(), 3, "{}", streamed.0);
    for ((na, va), (nb, vb)) in fa.iter().zip(&fb) {
        assert_eq!(na, nb);
        assert!((va - vb).abs() <= 1.5e-6, "{na}: {va} vs {vb}");
    }
    assert!(streamed.0.contains("read in chunks"), "{}", streamed.0);
    assert!(!in_memory.0.contains("read in chunks"), "{}", in_memory.0);
}

#[test]
fn chunked_training_equals_in_memory_training() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("rows.csv");
    write_csv(&csv);
    let bytes = std::fs::read(&csv).expect("read back");
    let csv_s = csv.to_str().expect("utf-8 path");
    for extra in [
        &["--drop-missing"][..],
        &["--drop-missing", "--standardize"],
    ] {
        let streamed = train(dir.path(), csv_s, None, extra);
        let in_memory = train(dir.path(), "-", Some(bytes.clone()), extra);
        assert_same(&streamed, &in_memory);
        // `note` turns to text in the second chunk: not a feature, as in memory.
        assert_eq!(streamed.1.feature_names, ["x1", "x2"]);
        assert!(streamed.0.contains("dropped: 71 rows"), "{}", streamed.0);
    }
    let pq = dir.path().join("rows.parquet");
    write_parquet(&pq);
    let pq_bytes = std::fs::read(&pq).expect("read back");
    let extra = ["--drop-missing", "--standardize", "--features", "x2,x1"];
    let streamed = train(dir.path(), pq.to_str().expect("utf-8"), None, &extra);
    let mut with_format = extra.to_vec();
    with_format.extend(["--format", "parquet"]);
    let in_memory = train(dir.path(), "-", Some(pq_bytes), &with_format);
    assert_same(&streamed, &in_memory);
}

#[test]
fn chunked_training_refuses_missing_values_naming_the_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("rows.csv");
    write_csv(&csv);
    let mut cmd = mlp();
    cmd.args([
        "train",
        "--model",
        "ridge",
        "--target",
        "y",
        "--features",
        "x1,x2",
        "--input",
    ])
    .arg(&csv)
    .arg("--out")
    .arg(dir.path().join("m.json"));
    // Row 5 (0-based) is line 7; 71 rows of 70 001 miss x2.
    common::expect_error(&mut cmd, &["line 7", "\"x2\"", "71 rows", "--drop-missing"]);
}
