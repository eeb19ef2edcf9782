//! `mlp features` on OHLCV bars: bar columns found by name or named by flags, several windows,
//! forward targets, checked against pandas (the library's fixture) and the library itself;
//! price-only output unchanged under `--column`; bad bars and missing columns as one line.

mod common;

use assert_cmd::Command;
use common::read_cells;
use fast_math::Par;
use ml_pipeline::{
    extract_bar_features_grouped, extract_features, forward_targets, BarInputs, Bars,
    FeatureConfig, Groups,
};
use std::path::{Path, PathBuf};

fn mlp() -> Command {
    Command::cargo_bin("mlp").expect("the mlp binary is built for tests")
}

/// The library's pandas fixture (`make_ohlcv_fixtures.py`): `date,symbol,open,high,low,close,
/// volume`, then pandas' values of the features and targets.
fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ml-pipeline/tests/fixtures/ohlcv_features.csv")
}

/// Runs `cmd`, expects success, returns (stdout, stderr).
fn run(cmd: &mut Command) -> (String, String) {
    let out = cmd.assert().success().get_output().clone();
    let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8");
    (text(out.stdout), text(out.stderr))
}

/// Runs `cmd`, expects exit status 2 and one line on standard error; returns it.
fn fails(cmd: &mut Command) -> String {
    let out = cmd.assert().code(2).get_output().clone();
    let err = String::from_utf8(out.stderr).expect("utf-8");
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

fn num(c: &str) -> f64 {
    if c.is_empty() {
        f64::NAN
    } else {
        c.parse().unwrap_or_else(|_| panic!("{c:?}"))
    }
}

#[test]
fn bar_features_and_targets_by_name_match_pandas_and_the_library() {
    let (_, input_rows) = read_cells(&std::fs::read_to_string(fixture()).unwrap());
    let (out, _) = run(mlp()
        .args(["features", "--group", "symbol", "--windows", "8,32"])
        .args(["--horizon", "1,3", "--keep", "date,symbol", "--input"])
        .arg(fixture()));
    let (header, got) = read_cells(&out);
    let (want_header, want) = read_cells(&std::fs::read_to_string(fixture()).unwrap());
    assert_eq!(got.len(), want.len());

    // The library on the same columns, bit for bit (cells read back exactly).
    let col = |k: usize| -> Vec<f64> { input_rows.iter().map(|r| num(&r[k])).collect() };
    let (open, high, low, close, volume) = (col(2), col(3), col(4), col(5), col(6));
    let bars = Bars {
        open: Some(&open),
        high: Some(&high),
        low: Some(&low),
        close: &close,
        volume: Some(&volume),
    };
    let cfg = FeatureConfig {
        windows: vec![8, 32],
        return_horizons: vec![8, 32],
        bars: BarInputs::OHLCV,
        ..FeatureConfig::default()
    };
    let (groups, _) = Groups::from_keys(input_rows.iter().map(|r| r[1].as_str()));
    let fm = extract_bar_features_grouped(&bars, &groups, &cfg, Par::Seq).unwrap();
    let targets = forward_targets(&close, Some(&groups), &[1, 3]).unwrap();
    let mut names = vec!["date".to_string(), "symbol".to_string()];
    names.extend(cfg.names());
    names.extend(targets.names().iter().cloned());
    assert_eq!(header, names);
    for (t, row) in got.iter().enumerate() {
        assert_eq!(row[..2], input_rows[t][..2]);
        let values = fm.row(t).iter().chain(targets.row(t));
        for (j, &v) in values.enumerate() {
            let g = num(&row[2 + j]);
            assert!(
                g.to_bits() == v.to_bits(),
                "row {t} {}: {g:e} vs {v:e}",
                header[2 + j]
            );
        }
    }

    // And pandas: every fixture column the program writes.
    let mut compared = 0;
    for (k, name) in want_header.iter().enumerate().skip(7) {
        let j = header.iter().position(|h| h == name).expect(name);
        let tol = if name.contains("skew") || name.contains("kurt") {
            1e-8
        } else {
            1e-9
        };
        for (t, row) in want.iter().enumerate() {
            let (g, w) = (num(&got[t][j]), num(&row[k]));
            let ok = if w.is_nan() {
                g.is_nan()
            } else {
                (g - w).abs() <= tol * w.abs()
            };
            assert!(ok, "row {t} {name}: ours {g:e}, pandas {w:e}");
            compared += usize::from(!w.is_nan());
        }
    }
    assert!(compared > 25_000, "{compared}");
}

/// A small bar file: `date,Open,High,Low,Close,Volume` (any case is found), `n` rows.
fn bar_file(dir: &Path, n: usize, edit: impl Fn(usize, &mut [String; 6])) -> PathBuf {
    let mut text = String::from("date,Open,High,Low,Close,Volume\n");
    for t in 0..n {
        let c = 100.0 + (t as f64 * 0.3).sin();
        let mut row = [
            format!("d{t}"),
            format!("{}", c - 0.1),
            format!("{}", c + 0.5),
            format!("{}", c - 0.5),
            format!("{c}"),
            format!("{}", 1000 + t % 7),
        ];
        edit(t, &mut row);
        text.push_str(&row.join(","));
        text.push('\n');
    }
    let path = dir.join("bars.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn column_keeps_the_price_only_output_and_flags_pick_bar_columns() {
    let dir = tempfile::tempdir().unwrap();
    let input = bar_file(dir.path(), 120, |_, _| {});
    // --column: today's output, whatever bar columns the file has.
    let (out, _) = run(mlp()
        .args([
            "features",
            "--no-keep",
            "--column",
            "Close",
            "--window",
            "16",
            "--input",
        ])
        .arg(&input));
    let (header, got) = read_cells(&out);
    let cfg = FeatureConfig::with_window(16);
    assert_eq!(header, cfg.names());
    let close: Vec<f64> = (0..120).map(|t| 100.0 + (t as f64 * 0.3).sin()).collect();
    let fm = extract_features(&close, &cfg, Par::Seq).unwrap();
    for t in [0, 15, 16, 119] {
        for (j, &v) in fm.row(t).iter().enumerate() {
            assert_eq!(num(&got[t][j]).to_bits(), v.to_bits(), "row {t} col {j}");
        }
    }

    // No flag: the bar columns by name, whatever their case; one window, suffixed.
    let (out, _) = run(mlp()
        .args(["features", "--no-keep", "--window", "16", "--input"])
        .arg(&input));
    let (header, _) = read_cells(&out);
    for name in [
        "log_return_16",
        "true_range",
        "garman_klass_16",
        "volume_z_16",
    ] {
        assert!(header.iter().any(|h| h == name), "{name} in {header:?}");
    }
    // --ohlcv names the five at once: the same output as finding them by name.
    let (by_flag, _) = run(mlp()
        .args(["features", "--no-keep", "--window", "16"])
        .args(["--ohlcv", "Open,High,Low,Close,Volume", "--input"])
        .arg(&input));
    assert_eq!(by_flag, out);
    common::expect_error(
        mlp()
            .args(["features", "--ohlcv", "Open,High,Low,Close", "--input"])
            .arg(&input),
        &["--ohlcv", "five column names"],
    );
    // --column with --volume: price features and the volume ones only.
    let (out, _) = run(mlp()
        .args([
            "features",
            "--no-keep",
            "--column",
            "Close",
            "--volume",
            "Volume",
        ])
        .args(["--window", "16", "--input"])
        .arg(&input));
    let (header, _) = read_cells(&out);
    assert!(header.iter().any(|h| h == "vwap_16"));
    assert!(!header
        .iter()
        .any(|h| h == "parkinson_16" || h == "bar_range"));
}

#[test]
fn bad_bars_and_missing_columns_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let features = |input: &Path, extra: &[&str]| {
        let mut c = mlp();
        c.args(["features", "--window", "8"])
            .args(extra)
            .arg("--input")
            .arg(input);
        c
    };
    // Data row 6 (0-based) is line 8 of the file (the header is line 1).
    let cases: [(usize, &str, usize, &str); 4] = [
        (5, "-3", 6, "line 8: volume -3 is negative"),
        (2, "99", 7, "line 9: high 99 is below low"),
        (4, "0", 2, "line 4: close 0 is not positive"),
        (1, "-1", 3, "line 5: open -1 is not positive"),
    ];
    for (field, value, row, needle) in cases {
        let input = bar_file(dir.path(), 40, |t, r| {
            if t == row {
                r[field] = value.to_string();
            }
        });
        let err = fails(&mut features(&input, &[]));
        assert!(err.contains(needle), "{err}");
    }
    let input = bar_file(dir.path(), 40, |_, _| {});
    let err = fails(&mut features(&input, &["--volume", "vol"]));
    assert!(err.contains("no column \"vol\""), "{err}");
    // A usage error: clap's message, with its usage lines.
    let both = features(&input, &["--close", "Close", "--column", "Close"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&both).contains("cannot be used with"));

    // A high without a low, found by name.
    let path = dir.path().join("high_only.csv");
    std::fs::write(&path, "close,high\n1,2\n2,3\n").unwrap();
    let err = fails(&mut features(&path, &[]));
    assert!(err.contains("a high column (\"high\") but no low"), "{err}");
    // No close column and no --column.
    let path = dir.path().join("price.csv");
    std::fs::write(&path, "date,price\n1,2\n").unwrap();
    let err = fails(&mut features(&path, &[]));
    assert!(err.contains("no column named close"), "{err}");
    // A zero horizon.
    let err = fails(&mut features(&input, &["--horizon", "0"]));
    assert!(err.contains("--horizon"), "{err}");
}

#[test]
fn help_lists_every_column_with_its_definition() {
    let (out, _) = run(mlp().args(["features", "--help"]));
    for needle in [
        "parkinson_<w>",
        "sqrt(mean_w(ln(h/l)^2) / (4 ln 2))",
        "garman_klass_<w>",
        "rogers_satchell_<w>",
        "vwap_dev_<w>",
        "volume_z_<w>",
        "true_range",
        "fwd_log_return_<h>",
        "fwd_up_<h>",
        "--windows",
        "--horizon",
    ] {
        assert!(out.contains(needle), "{needle} not in --help");
    }
}
