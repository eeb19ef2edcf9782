//! Input and output formats of `mlp`: the same bars as CSV, gzip-compressed CSV, TSV, Parquet
//! and Arrow IPC give byte-identical `features` and `predict` output; standard input; Parquet
//! and Arrow output read back with the Arrow crates; pandas' missing-value tokens and index
//! column; the errors of columnar and compressed input. The Parquet and Arrow fixtures are
//! made here with the `parquet` and `arrow-ipc` crates.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{
    ArrayRef, DictionaryArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampNanosecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use assert_cmd::Command;
use common::{expect_error, read_cells};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn mlp() -> Command {
    Command::cargo_bin("mlp").expect("the mlp binary is built for tests")
}

/// Runs `cmd`, expects success, returns standard output.
fn stdout(cmd: &mut Command) -> Vec<u8> {
    cmd.assert().success().get_output().stdout.clone()
}

/// Bars of three symbols, interleaved, at minute times: (nanoseconds since the epoch, symbol,
/// open, high, low, close, volume).
struct Bars {
    time: Vec<i64>,
    symbol: Vec<&'static str>,
    ohlc: [Vec<f64>; 4],
    volume: Vec<i64>,
}

fn bars(per_symbol: usize) -> Bars {
    let symbols = ["AAA", "BBB", "CCC"];
    let t0 = 1_704_187_800_000_000_000i64; // 2024-01-02 09:30:00
    let mut b = Bars {
        time: Vec::new(),
        symbol: Vec::new(),
        ohlc: Default::default(),
        volume: Vec::new(),
    };
    for t in 0..per_symbol {
        for (g, s) in symbols.iter().enumerate() {
            let x = t as f64 * 0.37 + g as f64;
            let close = (20.0 + 10.0 * g as f64) * (1.0 + 0.04 * x.sin()) + 0.01 * (t % 7) as f64;
            let open = close * (1.0 + 0.003 * (x * 1.3).cos());
            let high = open.max(close) * (1.0 + 0.002 + 0.001 * (x * 0.7).sin().abs());
            let low = open.min(close) * (1.0 - 0.002 - 0.001 * (x * 0.9).cos().abs());
            b.time.push(t0 + t as i64 * 60_000_000_000);
            b.symbol.push(s);
            for (col, v) in b.ohlc.iter_mut().zip([open, high, low, close]) {
                col.push(v);
            }
            b.volume.push(1000 + (t as i64 * 37 + g as i64 * 11) % 500);
        }
    }
    b
}

const NAMES: [&str; 7] = ["date", "symbol", "open", "high", "low", "close", "volume"];

/// The bars as delimited text, dates as pandas writes them and numbers in shortest form.
fn text(b: &Bars, sep: char) -> String {
    let mut out = NAMES.join(&sep.to_string());
    out.push('\n');
    for i in 0..b.time.len() {
        let secs = b.time[i] / 1_000_000_000;
        let (day, sod) = (secs / 86_400, secs % 86_400);
        let date = format!("2024-01-{:02}", 2 + day - 19_724);
        let time = format!("{:02}:{:02}:00", sod / 3600, sod / 60 % 60);
        let cells = [
            format!("{date} {time}"),
            b.symbol[i].to_string(),
            b.ohlc[0][i].to_string(),
            b.ohlc[1][i].to_string(),
            b.ohlc[2][i].to_string(),
            b.ohlc[3][i].to_string(),
            b.volume[i].to_string(),
        ];
        out.push_str(&cells.join(&sep.to_string()));
        out.push('\n');
    }
    out
}

/// The bars as one record batch: a nanosecond timestamp, a dictionary-encoded symbol (as
/// pandas' categoricals and Polars' enums are written), float prices, an integer volume.
fn batch(b: &Bars) -> RecordBatch {
    let symbol: DictionaryArray<arrow_array::types::Int32Type> = b.symbol.iter().copied().collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(TimestampNanosecondArray::from(b.time.clone())),
        Arc::new(symbol),
        Arc::new(Float64Array::from(b.ohlc[0].clone())),
        Arc::new(Float64Array::from(b.ohlc[1].clone())),
        Arc::new(Float64Array::from(b.ohlc[2].clone())),
        Arc::new(Float64Array::from(b.ohlc[3].clone())),
        Arc::new(Int64Array::from(b.volume.clone())),
    ];
    RecordBatch::try_from_iter(NAMES.iter().zip(columns)).expect("a batch")
}

/// Writes `batch` as Parquet in row groups (and batches) of at most 100 rows.
fn write_parquet(path: &Path, batch: &RecordBatch) {
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(100))
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .build();
    let file = std::fs::File::create(path).expect("create");
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).expect("writer");
    let mut start = 0;
    while start < batch.num_rows() {
        let n = 100.min(batch.num_rows() - start);
        w.write(&batch.slice(start, n)).expect("write");
        start += n;
    }
    w.close().expect("close");
}

/// `batch` as Arrow IPC bytes: the file format, or the stream format; in batches of 128 rows.
fn arrow_bytes(batch: &RecordBatch, stream: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let slices = (0..batch.num_rows())
        .step_by(128)
        .map(|s| batch.slice(s, 128.min(batch.num_rows() - s)));
    if stream {
        let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut out, &batch.schema())
            .expect("stream writer");
        for b in slices {
            w.write(&b).expect("write");
        }
        w.finish().expect("finish");
    } else {
        let mut w =
            arrow_ipc::writer::FileWriter::try_new(&mut out, &batch.schema()).expect("writer");
        for b in slices {
            w.write(&b).expect("write");
        }
        w.finish().expect("finish");
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("compress");
    e.finish().expect("compress")
}

/// The same bars in every input format, in `dir`.
struct Inputs {
    csv: PathBuf,
    gz: PathBuf,
    tsv: PathBuf,
    semicolon: PathBuf,
    parquet: PathBuf,
    arrow: PathBuf,
    stream: Vec<u8>,
}

fn inputs(dir: &Path, per_symbol: usize) -> Inputs {
    let b = bars(per_symbol);
    let csv_text = text(&b, ',');
    let write = |name: &str, data: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, data).expect("write fixture");
        p
    };
    let batch = batch(&b);
    let parquet = dir.join("bars.parquet");
    write_parquet(&parquet, &batch);
    Inputs {
        csv: write("bars.csv", csv_text.as_bytes()),
        gz: write("bars.csv.gz", &gzip(csv_text.as_bytes())),
        tsv: write("bars.tsv", text(&b, '\t').as_bytes()),
        semicolon: write("bars.dat", text(&b, ';').as_bytes()),
        parquet,
        arrow: write("bars.feather", &arrow_bytes(&batch, false)),
        stream: arrow_bytes(&batch, true),
    }
}

const FEATURES: [&str; 8] = [
    "features",
    "--group",
    "symbol",
    "--windows",
    "8,16",
    "--horizon",
    "1",
    "--keep=date,symbol",
];

#[test]
fn every_input_format_gives_the_same_features() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inp = inputs(dir.path(), 150);
    let run = |input: &Path, extra: &[&str]| {
        stdout(mlp().args(FEATURES).arg("--input").arg(input).args(extra))
    };
    let want = run(&inp.csv, &[]);
    let (header, rows) = read_cells(std::str::from_utf8(&want).expect("utf-8"));
    assert_eq!(rows.len(), 450);
    assert_eq!(&header[..2], ["date", "symbol"]);
    assert_eq!(rows[0][..2], ["2024-01-02 09:30:00", "AAA"]);
    for (input, extra) in [
        (&inp.gz, &[][..]),
        (&inp.tsv, &[]),
        (&inp.semicolon, &["--sep", ";"]),
        (&inp.parquet, &[]),
        (&inp.arrow, &[]),
    ] {
        let got = run(input, extra);
        assert!(
            got == want,
            "{} differs from the CSV's output",
            input.display()
        );
    }
    // Named formats whatever the extension, and a tab given as a word.
    let renamed = dir.path().join("bars.bin");
    std::fs::copy(&inp.parquet, &renamed).expect("copy");
    assert!(run(&renamed, &["--format", "parquet"]) == want);
    assert!(run(&renamed, &[]) == want, "told from the content");
    let tabbed = dir.path().join("bars.data");
    std::fs::copy(&inp.tsv, &tabbed).expect("copy");
    assert!(run(&tabbed, &["--sep", "tab"]) == want);
    assert!(run(&tabbed, &["--sep", "\\t"]) == want);
}

#[test]
fn standard_input_in_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inp = inputs(dir.path(), 60);
    let want = stdout(mlp().args(FEATURES).arg("--input").arg(&inp.csv));
    let piped = |data: Vec<u8>, extra: &[&str]| {
        stdout(
            mlp()
                .args(FEATURES)
                .args(["--input", "-"])
                .args(extra)
                .write_stdin(data),
        )
    };
    let read = |p: &Path| std::fs::read(p).expect("read fixture");
    assert!(piped(read(&inp.csv), &[]) == want, "CSV");
    assert!(piped(read(&inp.gz), &[]) == want, "gzip CSV");
    assert!(piped(read(&inp.parquet), &["--format", "parquet"]) == want);
    assert!(piped(read(&inp.arrow), &["--format", "arrow"]) == want);
    assert!(piped(inp.stream.clone(), &["--format", "arrow"]) == want);
    assert!(
        piped(inp.stream.clone(), &[]) == want,
        "told from the content"
    );
}

#[test]
fn predict_reads_every_format_alike() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inp = inputs(dir.path(), 50);
    let model = dir.path().join("m.json");
    mlp()
        .args([
            "train",
            "--target",
            "close",
            "--features",
            "open,high,low,volume",
        ])
        .args(["--model", "ridge", "--input"])
        .arg(&inp.parquet)
        .arg("--out")
        .arg(&model)
        .assert()
        .success();
    let run = |input: &Path| {
        stdout(
            mlp()
                .args(["predict", "--keep", "date,symbol", "--model"])
                .arg(&model)
                .arg("--input")
                .arg(input),
        )
    };
    let want = run(&inp.csv);
    assert_eq!(
        read_cells(std::str::from_utf8(&want).expect("utf-8"))
            .1
            .len(),
        150
    );
    for input in [&inp.gz, &inp.tsv, &inp.parquet, &inp.arrow] {
        assert!(run(input) == want, "{}", input.display());
    }
}

/// The columns of a Parquet or Arrow output, as text cells the way the CSV output writes
/// them (kept text as is, numbers by their bits: compared with the CSV's parsed values).
fn columnar_cells(batches: Vec<RecordBatch>) -> (Vec<String>, Vec<Vec<String>>) {
    let schema = batches[0].schema();
    let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut rows = Vec::new();
    for b in &batches {
        for i in 0..b.num_rows() {
            let row = b
                .columns()
                .iter()
                .map(|c| match c.data_type() {
                    DataType::Utf8 => c.as_string::<i32>().value(i).to_string(),
                    // A kept column in its input type (timestamps, dictionaries): compared
                    // with the input's arrays by `parquet_round_trip_of_a_multi_symbol_ohlcv_file`.
                    DataType::Timestamp(..) | DataType::Dictionary(..) => "kept".to_string(),
                    DataType::Float64 if c.is_null(i) => String::new(),
                    DataType::Float64 => {
                        let v = c.as_primitive::<Float64Type>().value(i);
                        assert!(!v.is_nan(), "NaN is written as null");
                        format!("{:e}", v)
                    }
                    other => panic!("unexpected column type {other}"),
                })
                .collect();
            rows.push(row);
        }
    }
    (header, rows)
}

/// CSV cells with the numbers rewritten as `{:e}` of their value, to compare with
/// [`columnar_cells`].
fn normalized(csv: &[u8], kept: usize) -> (Vec<String>, Vec<Vec<String>>) {
    let (header, rows) = read_cells(std::str::from_utf8(csv).expect("utf-8"));
    let rows = rows
        .into_iter()
        .map(|r| {
            r.into_iter()
                .enumerate()
                .map(|(j, c)| {
                    if j < kept || c.is_empty() {
                        c
                    } else {
                        format!("{:e}", c.parse::<f64>().expect("a number"))
                    }
                })
                .collect()
        })
        .collect();
    (header, rows)
}

#[test]
fn parquet_and_arrow_output_hold_the_csv_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inp = inputs(dir.path(), 120);
    let want = stdout(mlp().args(FEATURES).arg("--input").arg(&inp.csv));
    let run = |output: &Path, extra: &[&str]| {
        mlp()
            .args(FEATURES)
            .arg("--input")
            .arg(&inp.parquet)
            .arg("--output")
            .arg(output)
            .args(extra)
            .assert()
            .success();
    };
    let pq = dir.path().join("feats.parquet");
    run(&pq, &[]);
    let file = std::fs::File::open(&pq).expect("output written");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("a Parquet file")
        .build()
        .expect("reader");
    let batches: Vec<RecordBatch> = reader.map(|b| b.expect("a batch")).collect();
    let got = columnar_cells(batches);
    let csv_kept_as_typed = |(header, rows): (Vec<String>, Vec<Vec<String>>)| {
        let rows = rows
            .into_iter()
            .map(|mut r| {
                r[..2].iter_mut().for_each(|c| *c = "kept".into());
                r
            })
            .collect::<Vec<_>>();
        (header, rows)
    };
    assert_eq!(got, csv_kept_as_typed(normalized(&want, 2)));

    let feather = dir.path().join("feats.out");
    run(&feather, &["--output-format", "arrow"]);
    let file = std::fs::File::open(&feather).expect("output written");
    let reader = arrow_ipc::reader::FileReader::try_new(file, None).expect("an Arrow file");
    let batches: Vec<RecordBatch> = reader.map(|b| b.expect("a batch")).collect();
    assert_eq!(
        columnar_cells(batches),
        csv_kept_as_typed(normalized(&want, 2))
    );

    let gz = dir.path().join("feats.csv.gz");
    run(&gz, &[]);
    let mut text = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(&gz).expect("written")),
        &mut text,
    )
    .expect("gzip");
    assert!(text == want, "the .csv.gz output is the CSV compressed");
    // Nothing but the outputs was left in the folder (no temporary file).
    let left = std::fs::read_dir(dir.path()).expect("list").count();
    assert_eq!(left, 6 + 3);
}

#[test]
fn parquet_round_trip_of_a_multi_symbol_ohlcv_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inp = inputs(dir.path(), 200);
    let out = dir.path().join("f.parquet");
    mlp()
        .args(["features", "--group", "symbol", "--keep", "date,symbol"])
        .arg("--input")
        .arg(&inp.parquet)
        .arg("--output")
        .arg(&out)
        .assert()
        .success();
    let b = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&out).expect("out"))
        .expect("Parquet");
    let schema = b.schema().clone();
    let batches: Vec<RecordBatch> = b.build().expect("reader").map(|b| b.expect("b")).collect();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 600);
    assert!(schema.fields().len() > 10);
    // The kept columns are the input's, in their own type (ns timestamps, dictionary
    // symbols), value for value.
    let input =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&inp.parquet).expect("in"))
            .expect("Parquet");
    let in_schema = input.schema().clone();
    let in_batches: Vec<RecordBatch> = input
        .build()
        .expect("reader")
        .map(|b| b.expect("b"))
        .collect();
    for (j, name) in ["date", "symbol"].into_iter().enumerate() {
        let k = in_schema.index_of(name).expect("input column");
        assert_eq!(schema.field(j).name(), name);
        assert_eq!(schema.field(j).data_type(), in_schema.field(k).data_type());
        let whole = |bs: &[RecordBatch], c: usize| {
            let parts: Vec<&dyn arrow_array::Array> =
                bs.iter().map(|b| b.column(c).as_ref()).collect();
            arrow_select::concat::concat(&parts)
                .expect("concat")
                .to_data()
        };
        assert_eq!(whole(&batches, j), whole(&in_batches, k), "column {name}");
    }
    // And the Parquet output reads back as input: the features of its close column.
    let again = stdout(
        mlp()
            .args(["features", "--column", "log_return_64", "--window", "4"])
            .arg("--input")
            .arg(&out),
    );
    assert!(!again.is_empty());
}

#[test]
fn pandas_missing_tokens_are_missing_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("x,y,z\n");
    for i in 0..40 {
        let x = ["NA", "null", "<NA>", "N/A", "NULL", "nan", "NaN", ""]
            .get(i % 10)
            .map_or_else(|| format!("{}", i as f64 * 0.5), |t| t.to_string());
        text.push_str(&format!("{x},{},{}\n", 2.0 * i as f64 + 1.0, i % 3));
    }
    let input = dir.path().join("na.csv");
    std::fs::write(&input, &text).expect("write");
    let model = dir.path().join("m.json");
    let out = stdout(
        mlp()
            .args([
                "train",
                "--target",
                "y",
                "--model",
                "ridge",
                "--drop-missing",
            ])
            .arg("--input")
            .arg(&input)
            .arg("--out")
            .arg(&model),
    );
    let out = String::from_utf8(out).expect("utf-8");
    // Every numeric column with a missing token is still a feature; rows with one dropped.
    assert!(out.contains("features (2): x, z"), "{out}");
    assert!(out.contains("rows: 8 used"), "{out}");
    assert!(
        out.contains("dropped: 32 rows with a missing value"),
        "{out}"
    );
}

#[test]
fn a_pandas_index_column_is_not_a_feature() {
    let dir = tempfile::tempdir().expect("tempdir");
    for first in ["", "Unnamed: 0"] {
        let mut text = format!("{first},a,b,y\n");
        for i in 0..30 {
            let (a, b) = (i as f64 * 0.3, (i % 5) as f64);
            text.push_str(&format!("{i},{a},{b},{}\n", 1.0 + 2.0 * a - b));
        }
        let input = dir.path().join("indexed.csv");
        std::fs::write(&input, &text).expect("write");
        let out = mlp()
            .args(["train", "--target", "y", "--model", "ridge", "--input"])
            .arg(&input)
            .arg("--out")
            .arg(dir.path().join("m.json"))
            .assert()
            .success()
            .get_output()
            .clone();
        let stdout = String::from_utf8(out.stdout).expect("utf-8");
        let stderr = String::from_utf8(out.stderr).expect("utf-8");
        assert!(stdout.contains("features (2): a, b"), "{stdout}");
        assert!(
            stderr.contains("has no name: read as pandas' index, not used as a feature"),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
fn columnar_and_compressed_input_errors_are_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inp = inputs(dir.path(), 30);
    let pq = inp.parquet.to_str().expect("utf-8 path");
    expect_error(
        mlp().args(["features", "--column", "nope", "--input", pq]),
        &["bars.parquet", "no column \"nope\""],
    );
    expect_error(
        mlp().args(["features", "--column", "symbol", "--input", pq]),
        &[
            "bars.parquet",
            "\"symbol\"",
            "Dictionary(Int32, Utf8)",
            "not numbers",
        ],
    );
    expect_error(
        mlp()
            .args([
                "train", "--target", "date", "--model", "ridge", "--out", "m.json",
            ])
            .args(["--input", pq]),
        &["\"date\"", "Timestamp(ns)", "not numbers"],
    );
    let corrupt = dir.path().join("corrupt.parquet");
    let mut bytes = std::fs::read(&inp.parquet).expect("read");
    let n = bytes.len();
    bytes[n / 3..n - 8].fill(0xAB);
    std::fs::write(&corrupt, &bytes).expect("write");
    expect_error(
        mlp()
            .args(["features", "--close", "close", "--input"])
            .arg(&corrupt),
        &["corrupt.parquet"],
    );
    let not_parquet = dir.path().join("text.parquet");
    std::fs::write(&not_parquet, "close\n1\n2\n").expect("write");
    expect_error(
        mlp().args(["features", "--input"]).arg(&not_parquet),
        &["text.parquet", "cannot read the file"],
    );
    let truncated = dir.path().join("cut.csv.gz");
    let gz = std::fs::read(&inp.gz).expect("read");
    std::fs::write(&truncated, &gz[..gz.len() * 2 / 3]).expect("write");
    expect_error(
        mlp().args(["features", "--input"]).arg(&truncated),
        &["cannot read", "cut.csv.gz"],
    );
    let usage = mlp()
        .args(["features", "--sep", "ab", "--input"])
        .arg(&inp.csv)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let usage = String::from_utf8(usage).expect("utf-8");
    assert!(
        usage.contains("--sep") && usage.contains("not one character"),
        "{usage}"
    );
}

#[test]
fn a_bad_bar_in_parquet_names_its_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut b = bars(20);
    b.ohlc[3][17] = -1.0;
    let path = dir.path().join("bad.parquet");
    write_parquet(&path, &batch(&b));
    expect_error(
        mlp()
            .args(["features", "--group", "symbol", "--input"])
            .arg(&path),
        &["bad.parquet: row 18:"],
    );
}

#[test]
fn nulls_and_numeric_types_of_parquet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = Schema::new(vec![
        Field::new("i", DataType::Int32, true),
        Field::new("f", DataType::Float32, true),
        Field::new("d", DataType::Decimal128(10, 2), true),
        Field::new(
            "t",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            true,
        ),
        Field::new("s", DataType::Utf8, true),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(arrow_array::Int32Array::from(vec![Some(1), None, Some(3)])),
        Arc::new(arrow_array::Float32Array::from(vec![
            Some(0.1),
            Some(2.5),
            None,
        ])),
        Arc::new(
            arrow_array::Decimal128Array::from(vec![Some(12345), Some(-5), None])
                .with_precision_and_scale(10, 2)
                .expect("decimal"),
        ),
        Arc::new(
            arrow_array::TimestampMillisecondArray::from(vec![
                Some(1_704_187_800_500),
                None,
                Some(1_704_187_860_000),
            ])
            .with_timezone("UTC"),
        ),
        Arc::new(StringArray::from(vec![Some("a,b"), None, Some("c")])),
    ];
    let batch = RecordBatch::try_new(Arc::new(schema), columns).expect("batch");
    let path = dir.path().join("types.parquet");
    write_parquet(&path, &batch);
    // A ridge model over the numeric columns, predicting with every column kept as text.
    let model = dir.path().join("m.json");
    let csv = dir.path().join("rows.csv");
    std::fs::write(
        &csv,
        "i,f,d,y\n1,0.1,123.45,1\n2,2.5,-0.05,2\n3,1,1,4\n4,2,0,3\n",
    )
    .expect("write");
    mlp()
        .args(["train", "--target", "y", "--model", "ridge", "--input"])
        .arg(&csv)
        .arg("--out")
        .arg(&model)
        .assert()
        .success();
    let out = stdout(
        mlp()
            .args(["predict", "--keep", "t,s,i,f,d", "--model"])
            .arg(&model)
            .arg("--input")
            .arg(&path),
    );
    let (header, rows) = read_cells(std::str::from_utf8(&out).expect("utf-8"));
    assert_eq!(header, ["t", "s", "i", "f", "d", "prediction"]);
    assert_eq!(
        rows[0][..5],
        ["2024-01-02 09:30:00.500+00:00", "a,b", "1", "0.1", "123.45"]
    );
    assert_eq!(rows[1][..5], ["", "", "", "2.5", "-0.05"]);
    assert_eq!(rows[1][5], "", "a null input: no prediction");
    assert_eq!(
        rows[2][..5],
        ["2024-01-02 09:31:00.000+00:00", "c", "3", "", ""]
    );
}
