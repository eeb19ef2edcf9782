//! `rolling_features` and `bar_features` over `PARTITION BY symbol ORDER BY ts`: bit for bit
//! what `mlp features --group symbol` writes, and what the library's grouped extraction
//! gives.

mod common;

use common::{context, floats, query, strings, with_memtable, Table};
use fast_math::Par;
use ml_datafusion::RollingUdwf;
use ml_pipeline::{extract_bar_features_grouped, Bars, Groups};

const SIZES: [(&str, usize); 4] = [("AAA", 300), ("BBB", 170), ("CCC", 9), ("DDD", 1)];
/// Not 8 or 32: those are EMA spans, whose names end in them too.
const WINDOW: usize = 10;

/// The CSV `mlp features` writes for `t` (symbol, ts kept), read back as (header, rows).
fn mlp_features(t: &Table, extra: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.csv"), dir.path().join("out.csv"));
    t.write_csv(&input);
    let mut argv: Vec<String> = [
        "mlp",
        "features",
        "--window",
        &WINDOW.to_string(),
        "--group",
        "symbol",
        "--keep",
        "symbol,ts",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    argv.extend(extra.iter().map(|s| s.to_string()));
    argv.extend([
        "--input".into(),
        input.display().to_string(),
        "--output".into(),
        output.display().to_string(),
    ]);
    mlp::run(argv, None).expect("mlp features");
    let text = std::fs::read_to_string(output).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

/// Compares the SQL result (ordered by symbol, ts) with `mlp features`' rows, bit for bit;
/// `fields` are the SQL names of the CLI's feature columns, in its order.
fn assert_same(
    t: &Table,
    b: &datafusion::arrow::array::RecordBatch,
    fields: &[String],
    cli: &(Vec<String>, Vec<Vec<String>>),
) {
    let (header, rows) = cli;
    assert_eq!(&header[..2], ["symbol", "ts"]);
    assert_eq!(header.len() - 2, fields.len());
    let (symbols, ts) = (strings(b, "symbol"), floats(b, "ts"));
    // The CLI's rows are in input order: find each by (symbol, ts).
    let index: std::collections::HashMap<(String, i64), usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| ((r[0].clone(), r[1].parse().unwrap()), i))
        .collect();
    assert_eq!(b.num_rows(), t.len());
    let mut defined = 0;
    for (j, f) in fields.iter().enumerate() {
        let got = floats(b, f);
        for i in 0..b.num_rows() {
            let key = (symbols[i].clone().unwrap(), ts[i].unwrap() as i64);
            let cell = &rows[index[&key]][2 + j];
            match got[i] {
                None => assert!(cell.is_empty(), "{f} {key:?}: null vs {cell}"),
                Some(v) => {
                    let want: f64 = cell
                        .parse()
                        .unwrap_or_else(|_| panic!("{f} {key:?}: {v} vs {cell:?}"));
                    assert_eq!(v.to_bits(), want.to_bits(), "{f} {key:?}");
                    defined += 1;
                }
            }
        }
    }
    assert!(defined > t.len(), "most features are defined");
}

#[tokio::test]
async fn rolling_features_equal_mlp_features_on_the_price() {
    let t = Table::new(&SIZES, 21);
    let ctx = with_memtable(context(3), &t, 4);
    let fields = RollingUdwf::price().field_names();
    let select: Vec<String> = fields.iter().map(|f| format!("f['{f}'] AS {f}")).collect();
    let b = query(
        &ctx,
        &format!(
            "SELECT symbol, ts, {} FROM (SELECT symbol, ts, rolling_features(close, {WINDOW}) \
             OVER (PARTITION BY symbol ORDER BY ts) AS f FROM t) ORDER BY symbol, ts",
            select.join(", ")
        ),
    )
    .await;
    assert_same(&t, &b, &fields, &mlp_features(&t, &["--column", "close"]));
}

#[tokio::test]
async fn bar_features_equal_mlp_features_on_ohlcv_and_the_library() {
    let t = Table::new(&SIZES, 22);
    let ctx = with_memtable(context(2), &t, 3);
    let udwf = RollingUdwf::bars();
    let fields = udwf.field_names();
    let select: Vec<String> = fields.iter().map(|f| format!("f['{f}'] AS {f}")).collect();
    let b = query(
        &ctx,
        &format!(
            "SELECT symbol, ts, {} FROM (SELECT symbol, ts, bar_features(open, high, low, close, volume, {WINDOW}) \
             OVER (PARTITION BY symbol ORDER BY ts) AS f FROM t) ORDER BY symbol, ts",
            select.join(", ")
        ),
    )
    .await;
    let cli = mlp_features(&t, &[]);
    // The CLI names the window's columns with it; the struct with `_w`.
    let suffix = format!("_{WINDOW}");
    let renamed: Vec<String> = cli.0[2..]
        .iter()
        .map(|h| {
            h.strip_suffix(&suffix)
                .map_or(h.clone(), |stem| format!("{stem}_w"))
        })
        .collect();
    assert_eq!(renamed, fields);
    assert_same(&t, &b, &fields, &cli);
    // The library's grouped batch extraction, on the table's row order.
    let (groups, keys) = Groups::from_keys(t.symbol.iter());
    let bars = Bars {
        open: Some(&t.open),
        high: Some(&t.high),
        low: Some(&t.low),
        close: &t.close,
        volume: Some(&t.volume),
    };
    let fm = extract_bar_features_grouped(&bars, &groups, &udwf.config(WINDOW), Par::Seq).unwrap();
    let (symbols, ts) = (strings(&b, "symbol"), floats(&b, "ts"));
    let first = floats(&b, &fields[1]);
    for i in 0..b.num_rows() {
        let s = symbols[i].as_deref().unwrap();
        assert!(keys.iter().any(|k| *k == s));
        let r = t.rows_of(s)[ts[i].unwrap() as usize];
        let want = fm.get(r, 1);
        assert_eq!(
            first[i].map(f64::to_bits),
            (!want.is_nan()).then_some(want.to_bits())
        );
    }
}

#[tokio::test]
async fn window_argument_errors() {
    let t = Table::new(&SIZES[..1], 23);
    let ctx = with_memtable(context(1), &t, 1);
    let e = common::error_of(
        &ctx,
        "SELECT rolling_features(close, 2) OVER (ORDER BY ts) FROM t",
    )
    .await;
    assert!(
        e.contains("rolling_features: window is 2, expected a whole number from 4"),
        "{e}"
    );
    let e = common::error_of(
        &ctx,
        "SELECT rolling_features(close, ts) OVER (ORDER BY ts) FROM t",
    )
    .await;
    assert!(e.contains("must be a constant"), "{e}");
    let e = common::error_of(
        &ctx,
        "SELECT bar_features(close, 8) OVER (ORDER BY ts) FROM t",
    )
    .await;
    assert!(e.contains("bar_features takes six arguments"), "{e}");
}
