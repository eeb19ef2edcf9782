//! Test data shared by the integration tests: a seeded long-format table of several
//! symbols (bars, features, a linear target, a 0/1 label, and binned features with dyadic
//! gradients for `gbdt_histogram`), as arrow batches, Parquet files and CSV.

#![allow(dead_code)]

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    UInt8Array,
};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Schema};
use datafusion::datasource::MemTable;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{SessionConfig, SessionContext};
use seeded_rng::Rng;
use std::path::Path;
use std::sync::Arc;

/// Features of the table.
pub const K: usize = 3;

/// The table: `symbol, ts, open, high, low, close, volume, x1, x2, x3, y, label`, rows of
/// each symbol in time order, symbols interleaved; `sizes` rows per symbol. As arrow data it
/// also has `g, h, b1, b2, b3` (not in the CSV): a gradient and a hessian made dyadic from
/// `y` and `volume` (multiples of 2^-6 and 2^-4, so every sum of them is exact), and the bin
/// codes of `x1`, `x2`, `x3` (UInt8, Int32, Int64).
pub struct Table {
    pub symbol: Vec<String>,
    pub ts: Vec<i64>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
    pub x: [Vec<f64>; K],
    pub y: Vec<f64>,
    pub label: Vec<f64>,
}

impl Table {
    pub fn new(sizes: &[(&str, usize)], seed: u64) -> Table {
        let mut rng = Rng::new(seed);
        let mut t = Table {
            symbol: vec![],
            ts: vec![],
            open: vec![],
            high: vec![],
            low: vec![],
            close: vec![],
            volume: vec![],
            x: [vec![], vec![], vec![]],
            y: vec![],
            label: vec![],
        };
        let longest = sizes.iter().map(|s| s.1).max().unwrap_or(0);
        let mut price: Vec<f64> = sizes.iter().map(|_| 100.0).collect();
        for step in 0..longest {
            for (g, &(name, n)) in sizes.iter().enumerate() {
                if step >= n {
                    continue;
                }
                let open = price[g];
                let close = open * (0.01 * rng.normal()).exp();
                let high = open.max(close) * (1.0 + 0.002 * rng.uniform());
                let low = open.min(close) * (1.0 - 0.002 * rng.uniform());
                price[g] = close;
                let xs = [rng.normal(), 2.0 * rng.normal() + 1.0, rng.normal() - 0.5];
                // A different model per symbol, so a per-group fit is needed.
                let b = g as f64;
                let y = 0.5 + b + (1.0 + b) * xs[0] - 2.0 * xs[1]
                    + 0.25 * b * xs[2]
                    + 0.1 * rng.normal();
                let z = 0.3 + xs[0] - 0.5 * xs[1] + 0.5 * rng.normal();
                t.symbol.push(name.to_string());
                t.ts.push(step as i64);
                t.open.push(open);
                t.high.push(high);
                t.low.push(low);
                t.close.push(close);
                t.volume.push(1000.0 * (1.0 + rng.uniform()));
                for (c, v) in t.x.iter_mut().zip(xs) {
                    c.push(v);
                }
                t.y.push(y);
                t.label.push(f64::from(u8::from(z > 0.0)));
            }
        }
        t
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn schema() -> Arc<Schema> {
        let mut fields = vec![
            Field::new("symbol", DataType::Utf8, false),
            Field::new("ts", DataType::Int64, false),
        ];
        for n in [
            "open", "high", "low", "close", "volume", "x1", "x2", "x3", "y", "label", "g", "h",
        ] {
            fields.push(Field::new(n, DataType::Float64, true));
        }
        fields.push(Field::new("b1", DataType::UInt8, true));
        fields.push(Field::new("b2", DataType::Int32, true));
        fields.push(Field::new("b3", DataType::Int64, true));
        Arc::new(Schema::new(fields))
    }

    /// Rows `range` as one batch.
    pub fn batch(&self, range: std::ops::Range<usize>) -> RecordBatch {
        let f = |v: &[f64]| -> ArrayRef { Arc::new(Float64Array::from(v[range.clone()].to_vec())) };
        let cols: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(self.symbol[range.clone()].to_vec())),
            Arc::new(Int64Array::from(self.ts[range.clone()].to_vec())),
            f(&self.open),
            f(&self.high),
            f(&self.low),
            f(&self.close),
            f(&self.volume),
            f(&self.x[0]),
            f(&self.x[1]),
            f(&self.x[2]),
            f(&self.y),
            f(&self.label),
            f(&dyadic(&self.y, 64.0)),
            f(&dyadic(&self.volume, 16.0)),
            Arc::new(UInt8Array::from_iter_values(
                range
                    .clone()
                    .map(|i| bin(self.x[0][i], -4.0, 32.0, 255) as u8),
            )),
            Arc::new(Int32Array::from_iter_values(
                range
                    .clone()
                    .map(|i| bin(self.x[1][i], -5.0, 8.0, 63) as i32),
            )),
            Arc::new(Int64Array::from_iter_values(
                range.clone().map(|i| bin(self.x[2][i], -4.0, 2.0, 15)),
            )),
        ];
        RecordBatch::try_new(Self::schema(), cols).unwrap()
    }

    /// The rows cut into `parts` batches of about equal size.
    pub fn batches(&self, parts: usize) -> Vec<RecordBatch> {
        let n = self.len();
        (0..parts)
            .map(|p| self.batch(p * n / parts..(p + 1) * n / parts))
            .collect()
    }

    /// Writes the rows as `files` Parquet files into `dir`.
    pub fn write_parquet(&self, dir: &Path, files: usize) {
        std::fs::create_dir_all(dir).unwrap();
        for (i, b) in self.batches(files).into_iter().enumerate() {
            let file = std::fs::File::create(dir.join(format!("part-{i}.parquet"))).unwrap();
            let mut w = ArrowWriter::try_new(file, Self::schema(), None).unwrap();
            w.write(&b).unwrap();
            w.close().unwrap();
        }
    }

    /// Writes the rows as a CSV file (shortest round-trip floats).
    pub fn write_csv(&self, path: &Path) {
        let mut s = String::from("symbol,ts,open,high,low,close,volume,x1,x2,x3,y,label\n");
        for i in 0..self.len() {
            let vals = [
                self.open[i],
                self.high[i],
                self.low[i],
                self.close[i],
                self.volume[i],
                self.x[0][i],
                self.x[1][i],
                self.x[2][i],
                self.y[i],
                self.label[i],
            ];
            s.push_str(&format!("{},{}", self.symbol[i], self.ts[i]));
            for v in vals {
                s.push_str(&format!(",{v:?}"));
            }
            s.push('\n');
        }
        std::fs::write(path, s).unwrap();
    }

    /// The row indices of each symbol, in `sizes` order.
    pub fn rows_of(&self, name: &str) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| self.symbol[i] == name)
            .collect()
    }
}

/// Each value rounded to a multiple of `1 / scale` (a power of two).
fn dyadic(values: &[f64], scale: f64) -> Vec<f64> {
    values.iter().map(|v| (v * scale).round() / scale).collect()
}

/// The bin of `x` among bins of width `1 / per` from `lo`, clamped to `0..=last`.
fn bin(x: f64, lo: f64, per: f64, last: i64) -> i64 {
    (((x - lo) * per).floor() as i64).clamp(0, last)
}

/// A context with every function registered and `partitions` target partitions.
pub fn context(partitions: usize) -> SessionContext {
    let ctx =
        SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions));
    ml_datafusion::register(&ctx);
    ctx
}

/// `ctx` with the table registered in memory as `t`, split into `parts` partitions.
pub fn with_memtable(ctx: SessionContext, table: &Table, parts: usize) -> SessionContext {
    let parts = table.batches(parts).into_iter().map(|b| vec![b]).collect();
    let mem = MemTable::try_new(Table::schema(), parts).unwrap();
    ctx.register_table("t", Arc::new(mem)).unwrap();
    ctx
}

/// Runs `sql` and returns its batches concatenated.
pub async fn query(ctx: &SessionContext, sql: &str) -> RecordBatch {
    let df = ctx.sql(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let schema = Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    datafusion::arrow::compute::concat_batches(&schema, &batches).unwrap()
}

/// The error message of `sql` (which must fail when planned or run).
pub async fn error_of(ctx: &SessionContext, sql: &str) -> String {
    match ctx.sql(sql).await {
        Err(e) => e.to_string(),
        Ok(df) => match df.collect().await {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{sql}: expected an error"),
        },
    }
}

/// Column `name` of `batch` as strings.
pub fn strings(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let c = batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    let c = datafusion::arrow::compute::cast(c, &DataType::Utf8).unwrap();
    let s = c.as_string::<i32>();
    (0..s.len())
        .map(|i| s.is_valid(i).then(|| s.value(i).to_string()))
        .collect()
}

/// Column `name` of `batch` as f64 (null as None).
pub fn floats(batch: &RecordBatch, name: &str) -> Vec<Option<f64>> {
    let c = batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    let c = datafusion::arrow::compute::cast(c, &DataType::Float64).unwrap();
    let f = c.as_primitive::<Float64Type>();
    (0..f.len())
        .map(|i| f.is_valid(i).then(|| f.value(i)))
        .collect()
}

/// `|a - b| <= tol * max(|a|, |b|, floor)`.
pub fn assert_close(a: f64, b: f64, tol: f64, floor: f64, what: &str) {
    let scale = a.abs().max(b.abs()).max(floor);
    assert!(
        (a - b).abs() <= tol * scale,
        "{what}: {a:e} vs {b:e} (tolerance {tol:e})"
    );
}

/// Both JSON values have the same shape and text, and numbers equal to `tol` relative.
pub fn assert_json_close(a: &serde_json::Value, b: &serde_json::Value, tol: f64, at: &str) {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            assert_close(x.as_f64().unwrap(), y.as_f64().unwrap(), tol, 1e-300, at);
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: lengths");
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                assert_json_close(x, y, tol, &format!("{at}[{i}]"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{at}"
            );
            for (k, v) in x {
                assert_json_close(v, &y[k], tol, &format!("{at}.{k}"));
            }
        }
        (x, y) => assert_eq!(x, y, "{at}"),
    }
}

/// Model files (JSON text, one per group) equal to 1e-10 relative, group by group.
pub fn assert_models_close(got: &[Option<String>], want: &[Option<String>], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: models");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let parse = |s: &Option<String>| -> serde_json::Value {
            serde_json::from_str(s.as_deref().expect("a model")).expect("a model file")
        };
        assert_json_close(&parse(g), &parse(w), 1e-10, &format!("{what}, group {i}"));
    }
}
