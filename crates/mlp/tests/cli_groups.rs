//! `mlp features --group` and `--keep`, `mlp predict --keep`: long-format files of many
//! symbols, end to end; and the warnings for mixed symbols and short series.

mod common;

use assert_cmd::Command;
use common::read_cells;
use fast_math::Par;
use ml_pipeline::{extract_features, FeatureConfig};
use std::path::{Path, PathBuf};

fn mlp() -> Command {
    Command::cargo_bin("mlp").expect("the mlp binary is built for tests")
}

/// A long-format file `date,symbol,price`: symbols of the given sizes interleaved (row `i`
/// goes to the first symbol, in a fixed rotation, that still has rows), each a smooth walk in
/// time order. Returns its path and the rows as `(date, symbol, price text)`.
fn long_file(dir: &Path, sizes: &[(&str, usize)]) -> (PathBuf, Vec<[String; 3]>) {
    let mut left: Vec<usize> = sizes.iter().map(|s| s.1).collect();
    let mut rows = Vec::new();
    let mut i = 0usize;
    while left.iter().any(|&n| n > 0) {
        let g = (0..sizes.len())
            .map(|k| (i * 5 + k) % sizes.len())
            .find(|&g| left[g] > 0)
            .expect("a symbol with rows left");
        let t = sizes[g].1 - left[g];
        left[g] -= 1;
        i += 1;
        let price = (10.0 + 7.0 * g as f64) * (1.0 + 0.05 * ((t as f64) * 0.37 + g as f64).sin());
        rows.push([
            format!("2024-03-{:02} 09:{:02}", 1 + t / 60, t % 60),
            sizes[g].0.to_string(),
            format!("{price}"),
        ]);
    }
    let mut text = String::from("date,symbol,price\n");
    for r in &rows {
        text.push_str(&r.join(","));
        text.push('\n');
    }
    let path = dir.join("long.csv");
    std::fs::write(&path, text).expect("write input");
    (path, rows)
}

/// Runs `cmd`, expects success, returns (stdout, stderr).
fn run(cmd: &mut Command) -> (String, String) {
    let out = cmd.assert().success().get_output().clone();
    let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8");
    (text(out.stdout), text(out.stderr))
}

/// Runs `cmd`, expects a usage error (clap's exit status 2), returns its standard error.
fn usage_error(cmd: &mut Command) -> String {
    let out = cmd.assert().code(2).get_output().clone();
    String::from_utf8(out.stderr).expect("utf-8")
}

/// A feature cell holds exactly `want` (empty for NaN; numbers read back bit for bit).
fn assert_cell(got: &str, want: f64, what: &str) {
    if want.is_nan() {
        assert_eq!(got, "", "{what}");
    } else {
        let v: f64 = got.parse().unwrap_or_else(|_| panic!("{what}: {got:?}"));
        assert_eq!(v.to_bits(), want.to_bits(), "{what}: {v:e} vs {want:e}");
    }
}

#[test]
fn group_computes_each_symbol_alone_and_keeps_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sizes = [("AAPL", 300), ("MSFT", 120), ("TINY", 10), ("ONE", 1)];
    let (input, rows) = long_file(dir.path(), &sizes);
    let (out, err) = run(mlp()
        .args(["features", "--column", "price", "--window", "16"])
        .args([
            "--group",
            "symbol",
            "--keep",
            "date,symbol,price",
            "--input",
        ])
        .arg(&input));
    let cfg = FeatureConfig::with_window(16);
    let (header, got) = read_cells(&out);
    assert_eq!(header[..3], ["date", "symbol", "price"]);
    assert_eq!(header[3..], cfg.names());
    assert_eq!(got.len(), rows.len());
    for (g, row) in got.iter().zip(&rows) {
        assert_eq!(g[..3], row[..], "kept cells are the input's");
    }
    for (sym, n) in sizes {
        let mine: Vec<usize> = (0..rows.len()).filter(|&t| rows[t][1] == sym).collect();
        assert_eq!(mine.len(), n);
        let prices: Vec<f64> = mine.iter().map(|&t| rows[t][2].parse().unwrap()).collect();
        let alone = extract_features(&prices, &cfg, Par::Seq).expect("features");
        for (i, &t) in mine.iter().enumerate() {
            for (j, &want) in alone.row(i).iter().enumerate() {
                assert_cell(&got[t][3 + j], want, &format!("{sym} row {i} col {j}"));
            }
        }
    }
    // One warning line per short symbol, naming it and its length; nothing about mixing.
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines.iter().all(|l| l.starts_with("mlp: warning: ")),
        "{err}"
    );
    assert!(err.contains("symbol \"TINY\" has 10 rows"), "{err}");
    assert!(err.contains("symbol \"ONE\" has 1 row;"), "{err}");
    assert!(err.contains("row 33"), "{err}");
    assert!(!err.contains("--group"), "{err}");
}

#[test]
fn without_group_a_symbol_column_of_several_values_is_warned_about() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, rows) = long_file(dir.path(), &[("AAPL", 200), ("MSFT", 150)]);
    let (out, err) = run(mlp()
        .args([
            "features",
            "--no-keep",
            "--column",
            "price",
            "--window",
            "16",
            "--input",
        ])
        .arg(&input));
    assert_eq!(err.lines().count(), 1, "{err}");
    for needle in [
        "warning",
        "\"symbol\"",
        "2 different values",
        "--group symbol",
    ] {
        assert!(err.contains(needle), "{err:?} should contain {needle:?}");
    }
    // The file is still read as one series, as asked.
    let prices: Vec<f64> = rows.iter().map(|r| r[2].parse().unwrap()).collect();
    let fm = extract_features(&prices, &FeatureConfig::with_window(16), Par::Seq).unwrap();
    let (_, got) = read_cells(&out);
    for t in [0, 1, 40, 349] {
        for (j, &want) in fm.row(t).iter().enumerate() {
            assert_cell(&got[t][j], want, &format!("row {t} col {j}"));
        }
    }

    // Any case of the name, and `ticker` too; one symbol alone is not warned about.
    let path = dir.path().join("ticker.csv");
    let mut text = String::from("Date,TICKER,Close\n");
    for (t, r) in rows.iter().enumerate() {
        text.push_str(&format!(
            "{},{},{}\n",
            r[0],
            if t < 60 { "A" } else { "B" },
            r[2]
        ));
    }
    std::fs::write(&path, &text).unwrap();
    let (_, err) = run(mlp()
        .args(["features", "--column", "Close", "--window", "16", "--input"])
        .arg(&path));
    assert!(err.contains("--group TICKER"), "{err}");
    let one: String = text.lines().take(60).collect::<Vec<_>>().join("\n");
    std::fs::write(&path, one).unwrap();
    let (_, err) = run(mlp()
        .args(["features", "--column", "Close", "--window", "16", "--input"])
        .arg(&path));
    assert_eq!(err, "");
}

#[test]
fn a_file_shorter_than_the_window_is_warned_about() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, _) = long_file(dir.path(), &[("AAPL", 40)]);
    let (out, err) = run(mlp()
        .args(["features", "--column", "price", "--window", "64", "--input"])
        .arg(&input));
    assert_eq!(out.lines().count(), 41);
    assert_eq!(err.lines().count(), 1, "{err}");
    for needle in ["40 data rows", "row 65", "window 64", "--window"] {
        assert!(err.contains(needle), "{err:?} should contain {needle:?}");
    }
}

#[test]
fn kept_cells_are_copied_as_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("quoted.csv");
    // A quoted date with a comma, a symbol with quotes and spaces, CRLF endings (the last
    // column's carriage return is not part of its cells).
    let text = "when,sym,px\r\n\"Mon, 4 Mar\",\" A \"\"x\"\"\",1.50\r\n\"Tue, 5 Mar\",\" A \"\"x\"\"\",1.5e0\r\n";
    std::fs::write(&path, text).unwrap();
    let (out, _) = run(mlp()
        .args([
            "features", "--column", "px", "--window", "4", "--group", "sym",
        ])
        .args(["--keep", "when,px,sym", "--input"])
        .arg(&path));
    let (header, rows) = read_cells(&out);
    assert_eq!(header[..3], ["when", "px", "sym"]);
    assert_eq!(rows[0][..3], ["Mon, 4 Mar", "1.50", " A \"x\""]);
    assert_eq!(rows[1][..3], ["Tue, 5 Mar", "1.5e0", " A \"x\""]);
    assert_eq!(
        rows[1][3], "0.0",
        "the log return of 1.50 to 1.5e0, within the group"
    );
}

#[test]
fn group_and_keep_errors_exit_2_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, _) = long_file(dir.path(), &[("A", 5)]);
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &["--group", "sector"],
            &["no column \"sector\"", "date, symbol, price"],
        ),
        (&["--keep", "date,volume"], &["no column \"volume\""]),
        (&["--keep", "date,date"], &["--keep", "\"date\" twice"]),
        (
            &["--keep", "roll_mean"],
            &["--keep \"roll_mean\"", "already has"],
        ),
    ];
    for (extra, needles) in cases {
        let out = mlp()
            .args(["features", "--column", "price", "--input"])
            .arg(&input)
            .args(extra)
            .assert()
            .code(2)
            .get_output()
            .clone();
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.starts_with("mlp: ") && err.lines().count() == 1,
            "{err}"
        );
        for n in needles {
            assert!(err.contains(n), "{err:?} should contain {n:?}");
        }
    }
}

/// End to end against pandas: ml-pipeline's `groupby("symbol")` fixture through the program.
#[test]
fn grouped_output_matches_pandas_groupby() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ml-pipeline/tests/fixtures/grouped_features.csv");
    let (out, err) = run(mlp()
        .args([
            "features",
            "--column",
            "price",
            "--window",
            "20",
            "--group-by",
            "symbol",
        ])
        .args(["--keep", "date,symbol", "--input"])
        .arg(&fixture));
    assert!(err.contains("\"CCC\" has 15 rows") && err.contains("\"DDD\" has 1 row"));
    let (want_header, want) = read_cells(&std::fs::read_to_string(&fixture).unwrap());
    let (header, got) = read_cells(&out);
    assert_eq!(got.len(), want.len());
    let mut compared = 0;
    for (k, name) in want_header.iter().enumerate().skip(3) {
        let j = header.iter().position(|h| h == name).expect("same column");
        for (t, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g[..2], w[..2], "row {t}");
            if w[k].is_empty() {
                assert_eq!(g[j], "", "row {t} {name}");
                continue;
            }
            let (a, b): (f64, f64) = (g[j].parse().unwrap(), w[k].parse().unwrap());
            assert!(
                (a - b).abs() <= 1e-9 * b.abs() + 1e-12,
                "row {t} {name}: {a:e} vs pandas {b:e}"
            );
            compared += 1;
        }
    }
    assert!(compared > 10_000, "{compared}");
}

#[test]
fn predict_keep_carries_key_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, rows) = long_file(dir.path(), &[("AAPL", 150), ("MSFT", 100)]);
    let feats = dir.path().join("feats.csv");
    run(mlp()
        .args([
            "features", "--column", "price", "--window", "8", "--group", "symbol",
        ])
        .args(["--keep", "date,symbol", "--input"])
        .arg(&input)
        .arg("--output")
        .arg(&feats));
    let model = dir.path().join("m.json");
    run(mlp()
        .args([
            "train",
            "--target",
            "log_return",
            "--model",
            "ridge",
            "--drop-missing",
        ])
        .args(["--features", "roll_mean,ema_8,momentum", "--input"])
        .arg(&feats)
        .arg("--out")
        .arg(&model));
    let (out, _) = run(mlp()
        .args(["predict", "--keep", "symbol,date", "--model"])
        .arg(&model)
        .arg("--input")
        .arg(&feats));
    let (header, got) = read_cells(&out);
    assert_eq!(header, ["symbol", "date", "prediction"]);
    assert_eq!(got.len(), rows.len());
    for (t, (g, r)) in got.iter().zip(&rows).enumerate() {
        assert_eq!([&g[0], &g[1]], [&r[1], &r[0]], "row {t}");
    }
    // Early rows of each symbol have undefined features: kept cells, an empty prediction.
    assert_eq!(got[0][2], "");
    assert!(got[rows.len() - 1][2].parse::<f64>().is_ok());
}

#[test]
fn order_by_checks_time_order_within_each_symbol() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, rows) = long_file(dir.path(), &[("AAA", 30), ("BBB", 20)]);
    let args = [
        "features", "--column", "price", "--window", "4", "--group", "symbol",
    ];
    // Interleaved symbols, each in time order: accepted, and the output is unchanged.
    let (plain, _) = run(mlp().args(args).arg("--input").arg(&input));
    let (ordered, _) = run(mlp()
        .args(args)
        .args(["--order-by", "date", "--input"])
        .arg(&input));
    assert_eq!(plain, ordered);
    // Swap two rows of AAA: the later one now comes first.
    let aaa: Vec<usize> = (0..rows.len()).filter(|&i| rows[i][1] == "AAA").collect();
    let (a, b) = (aaa[5], aaa[6]);
    let mut lines: Vec<String> = std::fs::read_to_string(&input)
        .expect("read")
        .lines()
        .map(String::from)
        .collect();
    lines.swap(a + 1, b + 1);
    let shuffled = dir.path().join("shuffled.csv");
    std::fs::write(&shuffled, lines.join("\n") + "\n").expect("write");
    common::expect_error(
        mlp()
            .args(args)
            .args(["--order-by", "date", "--input"])
            .arg(&shuffled),
        &[
            &format!("line {}", b + 2),
            &format!("line {}", a + 2),
            "symbol \"AAA\"",
            "time order",
        ],
    );
}

#[test]
fn sort_computes_each_series_in_time_order_and_keeps_the_input_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, _) = long_file(dir.path(), &[("AAA", 40), ("BBB", 25), ("CCC", 3)]);
    let args = [
        "features",
        "--column",
        "price",
        "--windows",
        "4,8",
        "--horizon",
        "1",
        "--group",
        "symbol",
        "--order-by",
        "date",
    ];
    let (sorted, _) = run(mlp().args(args).arg("--input").arg(&input));
    // Every input column is kept by default: the rows are keyed by date and symbol.
    let (header, want) = read_cells(&sorted);
    assert_eq!(header[..3], ["date", "symbol", "price"]);
    // The same rows in a scrambled order (a fixed permutation).
    let text = std::fs::read_to_string(&input).expect("read");
    let mut lines: Vec<&str> = text.lines().skip(1).collect();
    let n = lines.len();
    let mut order: Vec<usize> = (0..n).map(|i| (i * 37 + 11) % n).collect();
    order.dedup();
    assert_eq!(order.len(), n, "37 is prime to the row count");
    lines = order.iter().map(|&i| lines[i]).collect();
    let scrambled = dir.path().join("scrambled.csv");
    std::fs::write(
        &scrambled,
        format!("date,symbol,price\n{}\n", lines.join("\n")),
    )
    .expect("write");
    common::expect_error(
        mlp().args(args).arg("--input").arg(&scrambled),
        &["time order"],
    );
    let (out, _) = run(mlp()
        .args(args)
        .arg("--sort")
        .arg("--input")
        .arg(&scrambled));
    let (header2, got) = read_cells(&out);
    assert_eq!(header, header2);
    assert_eq!(got.len(), n);
    for (j, &i) in order.iter().enumerate() {
        // Row j of the scrambled file is row i of the sorted one: same cells, bit for bit.
        assert_eq!(got[j], want[i], "scrambled row {j} (sorted row {i})");
    }
    // --sort needs the column to sort by (a usage error, as clap reports them).
    let refused = usage_error(
        mlp()
            .args(["features", "--column", "price", "--sort", "--input"])
            .arg(&scrambled),
    );
    assert!(refused.contains("--order-by"), "{refused}");
}

#[test]
fn keep_defaults_to_every_input_column_and_no_keep_to_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, rows) = long_file(dir.path(), &[("AAA", 12), ("BBB", 12)]);
    let base = [
        "features", "--column", "price", "--window", "4", "--group", "symbol",
    ];
    let (all, _) = run(mlp().args(base).arg("--input").arg(&input));
    let (header, cells) = read_cells(&all);
    assert_eq!(header[..4], ["date", "symbol", "price", "log_return"]);
    for (t, r) in rows.iter().enumerate() {
        assert_eq!(cells[t][..3], r[..], "row {t}");
    }
    let (none, _) = run(mlp().args(base).arg("--no-keep").arg("--input").arg(&input));
    let (header, cells) = read_cells(&none);
    assert_eq!(header[0], "log_return");
    assert_eq!(cells.len(), rows.len());
    let refused = usage_error(
        mlp()
            .args(base)
            .args(["--no-keep", "--keep", "date", "--input"])
            .arg(&input),
    );
    assert!(refused.contains("cannot be used with"), "{refused}");
}
