//! The engine's overhead, measured: a grouped `ridge_fit` through DataFusion against the
//! library's own per-symbol fits, and the `bar_features` window function against the
//! library's grouped feature extraction, on the same seeded data.
//!
//! ```text
//! cargo run --profile engine-bench -p ml-datafusion --example engine_bench -- \
//!     --rows 10000000 --features 20 --symbols 100 --repeats 3
//! ```
//!
//! It writes the data (`symbol, ts, open, high, low, close, volume, x1..xk, y`; symbols
//! interleaved in time order) as a folder of Parquet files (`--dir`, default
//! `target/engine-bench`), keeps the same data in memory grouped by symbol for the library,
//! then runs each contender `--repeats` times, interleaved, and prints the medians and the
//! ratios. DataFusion reads the Parquet files (decoding is part of its time); the library
//! starts from columns in memory. Both use every core: DataFusion one partition per core, the
//! library one thread per core over the symbols.

use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use fast_math::{MatRef, Par};
use ml_pipeline::{
    extract_bar_features_grouped, Accumulator, Bars, Fit, FitIncremental, Groups, Ridge,
    RidgeAccumulator, Target,
};
use seeded_rng::Rng;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Window of the rolling features.
const WINDOW: usize = 20;
/// Rows per Parquet file.
const ROWS_PER_FILE: usize = 1 << 20;

struct Options {
    rows: usize,
    features: usize,
    symbols: usize,
    repeats: usize,
    dir: PathBuf,
}

fn options() -> Options {
    let mut o = Options {
        rows: 10_000_000,
        features: 20,
        symbols: 100,
        repeats: 3,
        dir: PathBuf::from("target/engine-bench"),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or("");
        let number = || {
            value
                .parse::<usize>()
                .unwrap_or_else(|_| panic!("{}: {value:?} is not a number", pair[0]))
        };
        match pair[0].as_str() {
            "--rows" => o.rows = number(),
            "--features" => o.features = number(),
            "--symbols" => o.symbols = number().max(1),
            "--repeats" => o.repeats = number().max(1),
            "--dir" => o.dir = PathBuf::from(value),
            other => {
                panic!("unknown flag {other} (--rows, --features, --symbols, --repeats, --dir)")
            }
        }
    }
    o
}

/// One symbol's rows in memory: features column-major, target, bars.
struct Series {
    x: Vec<f64>,
    y: Vec<f64>,
    bars: [Vec<f64>; 5],
}

/// Generates the data, writes the Parquet files, returns each symbol's rows.
fn generate(o: &Options) -> Vec<Series> {
    let per = o.rows / o.symbols;
    let k = o.features;
    let mut rng = Rng::new(42);
    let mut series: Vec<Series> = (0..o.symbols)
        .map(|_| Series {
            x: vec![0.0; per * k],
            y: Vec::with_capacity(per),
            bars: Default::default(),
        })
        .collect();
    let coef: Vec<Vec<f64>> = (0..o.symbols)
        .map(|_| (0..k).map(|_| rng.normal()).collect())
        .collect();
    let mut price = vec![100.0; o.symbols];
    for t in 0..per {
        for (s, ser) in series.iter_mut().enumerate() {
            let mut y = 0.1 * rng.normal();
            for (j, c) in coef[s].iter().enumerate() {
                let v = rng.normal();
                ser.x[j * per + t] = v;
                y += c * v;
            }
            ser.y.push(y);
            let open = price[s];
            let close = open * (0.01 * rng.normal()).exp();
            let high = open.max(close) * (1.0 + 0.002 * rng.uniform());
            let low = open.min(close) * (1.0 - 0.002 * rng.uniform());
            price[s] = close;
            for (b, v) in ser
                .bars
                .iter_mut()
                .zip([open, high, low, close, 1000.0 + rng.uniform()])
            {
                b.push(v);
            }
        }
    }
    write_parquet(o, &series, per);
    series
}

fn schema(k: usize) -> Arc<Schema> {
    let mut fields = vec![
        Field::new("symbol", DataType::Utf8, false),
        Field::new("ts", DataType::Int64, false),
    ];
    for n in ["open", "high", "low", "close", "volume", "y"] {
        fields.push(Field::new(n, DataType::Float64, false));
    }
    fields.extend((1..=k).map(|j| Field::new(format!("x{j}"), DataType::Float64, false)));
    Arc::new(Schema::new(fields))
}

/// The rows in time order (symbols interleaved), `ROWS_PER_FILE` to a file.
fn write_parquet(o: &Options, series: &[Series], per: usize) {
    let _ = std::fs::remove_dir_all(&o.dir);
    std::fs::create_dir_all(&o.dir).expect("create the data folder");
    let schema = schema(o.features);
    let total = per * series.len();
    let names: Vec<String> = (0..series.len()).map(|s| format!("S{s:04}")).collect();
    for (file, start) in (0..total).step_by(ROWS_PER_FILE).enumerate() {
        let rows = start..(start + ROWS_PER_FILE).min(total);
        let at = |r: usize| (r / series.len(), r % series.len());
        let col = |f: &dyn Fn(usize, usize) -> f64| -> ArrayRef {
            Arc::new(Float64Array::from_iter_values(rows.clone().map(|r| {
                let (t, s) = at(r);
                f(s, t)
            })))
        };
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(
                rows.clone().map(|r| &names[at(r).1]),
            )),
            Arc::new(Int64Array::from_iter_values(
                rows.clone().map(|r| at(r).0 as i64),
            )),
        ];
        for b in 0..5 {
            cols.push(col(&|s, t| series[s].bars[b][t]));
        }
        cols.push(col(&|s, t| series[s].y[t]));
        for j in 0..o.features {
            cols.push(col(&|s, t| series[s].x[j * per + t]));
        }
        let batch = RecordBatch::try_new(schema.clone(), cols).expect("batch");
        let path = o.dir.join(format!("part-{file:04}.parquet"));
        let mut w = ArrowWriter::try_new(
            std::fs::File::create(path).expect("file"),
            schema.clone(),
            None,
        )
        .expect("writer");
        w.write(&batch).expect("write");
        w.close().expect("close");
    }
}

/// Runs `f` over the symbols on every core.
fn per_symbol<T: Send>(series: &[Series], f: impl Fn(&Series) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = series.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = series
            .chunks(chunk)
            .map(|c| scope.spawn(|| c.iter().map(&f).collect::<Vec<T>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Seconds `sql` takes to run to its last batch, which must hold `rows` rows in all.
async fn timed_query(
    ctx: &SessionContext,
    sql: &str,
    rows: usize,
) -> datafusion::common::Result<f64> {
    let t = Instant::now();
    let out = ctx.sql(sql).await?.collect().await?;
    let seconds = t.elapsed().as_secs_f64();
    assert_eq!(
        out.iter().map(|b| b.num_rows()).sum::<usize>(),
        rows,
        "{sql}"
    );
    Ok(seconds)
}

#[tokio::main]
async fn main() -> datafusion::common::Result<()> {
    let o = options();
    let k = o.features;
    let t0 = Instant::now();
    let series = generate(&o);
    let per = series[0].y.len();
    println!(
        "engine_bench: {} rows x {k} features x {} symbols ({per} rows each), Parquet in {}; generated in {:.1} s",
        per * series.len(), series.len(), o.dir.display(), t0.elapsed().as_secs_f64()
    );
    println!(
        "machine: {} threads; isa {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        simd_kernels::Isa::detect().name()
    );
    let ctx = SessionContext::new_with_config(SessionConfig::new());
    ml_datafusion::register(&ctx);
    ctx.register_parquet(
        "t",
        o.dir.to_str().expect("utf-8 path"),
        ParquetReadOptions::default(),
    )
    .await?;
    let xs: Vec<String> = (1..=k).map(|j| format!("x{j}")).collect();
    let fit_sql = format!(
        "SELECT symbol, ridge_fit(y, {}, 1.0) AS model FROM t GROUP BY symbol",
        xs.join(", ")
    );
    // The engine's floor for the fit: the same columns read, decoded and grouped, with the
    // cheapest aggregate in place of the fit.
    let scan_sql = format!(
        "SELECT symbol, count(*) AS n, sum(y) AS y, {} FROM t GROUP BY symbol",
        xs.iter()
            .map(|x| format!("sum({x}) AS {x}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let feature_sql = format!(
        "SELECT symbol, ts, bar_features(open, high, low, close, volume, {WINDOW}) OVER (PARTITION BY symbol ORDER BY ts) AS f FROM t"
    );
    let ridge = Ridge::default();
    let cfg = ml_datafusion::RollingUdwf::bars().config(WINDOW);
    // The library's grouped extraction reads one long table: the symbols' rows back to back.
    let codes: Vec<u32> = (0..series.len())
        .flat_map(|s| std::iter::repeat_n(s as u32, per))
        .collect();
    let groups = Groups::from_codes(&codes, series.len()).expect("groups");
    let long: [Vec<f64>; 5] = std::array::from_fn(|b| {
        series
            .iter()
            .flat_map(|s| s.bars[b].iter().copied())
            .collect()
    });
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());

    let names = [
        "ridge_fit in DataFusion",
        "RidgeAccumulator per symbol",
        "Ridge::fit per symbol",
        "bar_features in DataFusion",
        "extract_bar_features_grouped",
        "same columns, sum() in DataFusion",
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for _ in 0..o.repeats {
        times[0].push(timed_query(&ctx, &fit_sql, series.len()).await?);

        let t = Instant::now();
        let models = per_symbol(&series, |s| {
            let mut acc = RidgeAccumulator::new(k);
            acc.update(MatRef::from_col_major(&s.x, per, k), Target::Values(&s.y))
                .expect("update");
            ridge.finish(&acc).expect("finish")
        });
        times[1].push(t.elapsed().as_secs_f64());
        assert_eq!(models.len(), series.len());

        let t = Instant::now();
        let models = per_symbol(&series, |s| {
            ridge
                .fit(MatRef::from_col_major(&s.x, per, k), &s.y, Par::Seq)
                .expect("fit")
        });
        times[2].push(t.elapsed().as_secs_f64());
        assert_eq!(models.len(), series.len());

        times[3].push(timed_query(&ctx, &feature_sql, per * series.len()).await?);

        let t = Instant::now();
        let bars = Bars {
            open: Some(&long[0]),
            high: Some(&long[1]),
            low: Some(&long[2]),
            close: &long[3],
            volume: Some(&long[4]),
        };
        let fm = extract_bar_features_grouped(&bars, &groups, &cfg, Par::Rayon(threads))
            .expect("features");
        times[4].push(t.elapsed().as_secs_f64());
        assert_eq!(fm.nrows(), per * series.len());

        times[5].push(timed_query(&ctx, &scan_sql, series.len()).await?);
    }
    let med: Vec<f64> = times.into_iter().map(median).collect();
    println!("\nmedian of {} runs:", o.repeats);
    for (n, m) in names.iter().zip(&med) {
        println!("  {n:<32} {m:>9.3} s");
    }
    println!("\nratios (engine / library, same data):");
    println!(
        "  grouped ridge_fit / RidgeAccumulator per symbol (same algorithm): {:.2}x",
        med[0] / med[1]
    );
    println!(
        "  grouped ridge_fit / Ridge::fit per symbol (the fastest library fit): {:.2}x",
        med[0] / med[2]
    );
    println!(
        "  bar_features window / extract_bar_features_grouped:            {:.2}x",
        med[3] / med[4]
    );
    println!(
        "  reading the fit's columns (sum() per symbol) / Ridge::fit per symbol: {:.2}x",
        med[5] / med[2]
    );
    println!(
        "  grouped ridge_fit less that reading / RidgeAccumulator per symbol: {:.2}x",
        (med[0] - med[5]) / med[1]
    );
    Ok(())
}
