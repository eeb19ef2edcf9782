//! Kept columns in a Parquet or Arrow output have types: a Parquet input's own (timestamps,
//! dictionaries), a CSV input's inferred as pandas' `read_csv` would (integers, floats,
//! text). So a features file written as Parquet reads back as input, numbers as numbers.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{
    Array, ArrayRef, DictionaryArray, Float64Array, RecordBatch, TimestampNanosecondArray,
};
use arrow_schema::{DataType, TimeUnit};
use assert_cmd::Command;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use std::path::Path;
use std::sync::Arc;

fn mlp() -> Command {
    Command::cargo_bin("mlp").expect("the mlp binary is built for tests")
}

const ROWS: usize = 60;

fn price(i: usize) -> f64 {
    100.0 + (i as f64 * 0.3).sin() + (i % 2) as f64 * 50.0
}

/// `date,symbol,open,high,low,close,volume`, two symbols interleaved, volume an integer
/// (one missing).
fn write_csv(path: &Path) {
    let mut text = String::from("date,symbol,open,high,low,close,volume\n");
    for i in 0..ROWS {
        let p = price(i);
        let volume = if i == 7 {
            String::new()
        } else {
            (1000 + i).to_string()
        };
        text.push_str(&format!(
            "2024-01-02 09:{:02}:00,{},{p},{},{},{p},{volume}\n",
            i / 2,
            ["AAA", "BBB"][i % 2],
            p + 1.0,
            p - 1.0
        ));
    }
    std::fs::write(path, text).expect("write csv");
}

fn read_parquet(path: &Path) -> RecordBatch {
    let r = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).expect("open"))
        .expect("Parquet");
    let schema = r.schema().clone();
    let batches: Vec<RecordBatch> = r.build().expect("reader").map(|b| b.expect("b")).collect();
    arrow_select::concat::concat_batches(&schema, &batches).expect("concat")
}

#[test]
fn a_csv_input_keeps_its_columns_typed_as_pandas_reads_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("bars.csv");
    write_csv(&csv);
    let out = dir.path().join("f.parquet");
    mlp()
        .args([
            "features",
            "--group",
            "symbol",
            "--windows",
            "4,8",
            "--input",
        ])
        .arg(&csv)
        .arg("--output")
        .arg(&out)
        .assert()
        .success();
    let b = read_parquet(&out);
    let types: Vec<&DataType> = (0..7)
        .map(|j| b.schema_ref().field(j).data_type())
        .collect();
    assert_eq!(
        types,
        [
            &DataType::Utf8,
            &DataType::Utf8,
            &DataType::Float64,
            &DataType::Float64,
            &DataType::Float64,
            &DataType::Float64,
            &DataType::Int64
        ]
    );
    let close = b.column(5).as_primitive::<Float64Type>();
    let volume = b.column(6).as_primitive::<Int64Type>();
    for i in 0..ROWS {
        assert_eq!(close.value(i).to_bits(), price(i).to_bits(), "row {i}");
        assert_eq!(volume.is_null(i), i == 7, "row {i}");
        if i != 7 {
            assert_eq!(volume.value(i), 1000 + i as i64);
        }
    }
    assert_eq!(b.column(1).as_string::<i32>().value(1), "BBB");
    // The output reads back as input: its close is a number column.
    mlp()
        .args([
            "features", "--group", "symbol", "--column", "close", "--window", "4",
        ])
        .args(["--no-keep", "--input"])
        .arg(&out)
        .assert()
        .success();
}

#[test]
fn a_parquet_input_keeps_its_own_arrow_types_in_features_and_predict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("bars.csv");
    write_csv(&csv);
    let col = |v: Vec<f64>| Arc::new(Float64Array::from(v)) as ArrayRef;
    let closes: Vec<f64> = (0..ROWS).map(price).collect();
    let time = TimestampNanosecondArray::from(
        (0..ROWS)
            .map(|i| 1_704_186_000_000_000_000 + (i / 2) as i64 * 60_000_000_000)
            .collect::<Vec<i64>>(),
    );
    let symbol: DictionaryArray<Int32Type> = (0..ROWS).map(|i| ["AAA", "BBB"][i % 2]).collect();
    let input = RecordBatch::try_from_iter([
        ("date", Arc::new(time) as ArrayRef),
        ("symbol", Arc::new(symbol) as ArrayRef),
        ("open", col(closes.clone())),
        ("high", col(closes.iter().map(|p| p + 1.0).collect())),
        ("close", col(closes)),
    ])
    .expect("batch");
    let pq = dir.path().join("bars.parquet");
    let mut w = ArrowWriter::try_new(
        std::fs::File::create(&pq).expect("create"),
        input.schema(),
        None,
    )
    .expect("writer");
    w.write(&input).expect("write");
    w.close().expect("close");

    let model = dir.path().join("m.json");
    mlp()
        .args([
            "train",
            "--model",
            "ridge",
            "--target",
            "close",
            "--features",
            "open,high",
        ])
        .arg("--input")
        .arg(&csv)
        .arg("--out")
        .arg(&model)
        .assert()
        .success();
    let feats = dir.path().join("f.parquet");
    let pred = dir.path().join("p.parquet");
    mlp()
        .args([
            "features", "--group", "symbol", "--column", "close", "--window", "4",
        ])
        .args(["--keep", "symbol,date", "--input"])
        .arg(&pq)
        .arg("--output")
        .arg(&feats)
        .assert()
        .success();
    mlp()
        .args(["predict", "--keep", "symbol,date", "--model"])
        .arg(&model)
        .arg("--input")
        .arg(&pq)
        .arg("--output")
        .arg(&pred)
        .assert()
        .success();
    for out in [&feats, &pred] {
        let b = read_parquet(out);
        assert_eq!(
            b.schema_ref().field(0).data_type(),
            &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
        );
        assert_eq!(
            b.schema_ref().field(1).data_type(),
            &DataType::Timestamp(TimeUnit::Nanosecond, None)
        );
        assert_eq!(b.column(0).to_data(), input.column(1).to_data());
        assert_eq!(b.column(1).to_data(), input.column(0).to_data());
    }
    // Text out of the same input: the kept cells as pandas writes them.
    let text = mlp()
        .args(["predict", "--keep", "symbol,date", "--model"])
        .arg(&model)
        .arg("--input")
        .arg(&pq)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let second = String::from_utf8(text).expect("utf-8");
    let second = second.lines().nth(1).expect("a row");
    assert!(second.starts_with("AAA,2024-01-02 09:00:00,"), "{second}");
}

#[test]
fn parquet_output_is_the_same_file_whatever_the_threads_and_holds_every_row() {
    // More rows than a row group (262 144) and than a batch: several of each.
    const N: usize = 300_001;
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("p.csv");
    let mut text = String::from("close\n");
    for i in 0..N {
        text.push_str(&format!("{}\n", 100.0 + (i as f64 * 0.01).sin()));
    }
    std::fs::write(&csv, text).expect("write");
    let write = |threads: &str, name: &str| {
        let out = dir.path().join(name);
        mlp()
            .env("RAYON_NUM_THREADS", threads)
            .args(["features", "--column", "close", "--window", "4", "--input"])
            .arg(&csv)
            .arg("--output")
            .arg(&out)
            .assert()
            .success();
        out
    };
    let one = write("1", "one.parquet");
    let two = write("2", "two.parquet");
    assert!(std::fs::read(&one).expect("one") == std::fs::read(&two).expect("two"));
    let b = read_parquet(&two);
    assert_eq!(b.num_rows(), N);
    let close = b.column(0).as_primitive::<Float64Type>();
    for i in [0, 262_143, 262_144, N - 1] {
        assert_eq!(
            close.value(i).to_bits(),
            (100.0 + (i as f64 * 0.01).sin()).to_bits()
        );
    }
}
