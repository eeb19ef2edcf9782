//! `mlp-sql` end to end: tables from CSV, Parquet files and folders, CSV and Parquet output,
//! `--file`, a model that `mlp predict` reads as it is, and one-line errors.

mod common;

use assert_cmd::Command;
use common::Table;
use predicates::str::contains;

fn mlp_sql() -> Command {
    Command::cargo_bin("mlp-sql").unwrap()
}

#[test]
fn csv_and_parquet_tables_give_the_same_moments_on_stdout() {
    let t = Table::new(&[("AAA", 200), ("BBB", 100)], 41);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    t.write_csv(&csv);
    t.write_parquet(&dir.path().join("parts"), 3);
    let sql = "SELECT symbol, moments(y) AS m FROM t GROUP BY symbol ORDER BY symbol";
    let mut outs = Vec::new();
    for path in [
        csv.display().to_string(),
        dir.path().join("parts").display().to_string(),
    ] {
        let out = mlp_sql()
            .args(["--table", &format!("t={path}"), sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        outs.push(String::from_utf8(out.stdout).unwrap());
    }
    let lines: Vec<&str> = outs[0].lines().collect();
    // The struct is flattened into its fields.
    assert_eq!(lines[0], "symbol,count,mean,var,std,skew,kurt");
    assert!(lines[1].starts_with("AAA,200,"));
    assert_eq!(lines.len(), 3);
    let parse = |s: &str| -> Vec<Vec<f64>> {
        s.lines()
            .skip(1)
            .map(|l| l.split(',').skip(1).map(|v| v.parse().unwrap()).collect())
            .collect()
    };
    for (a, b) in parse(&outs[0])
        .iter()
        .flatten()
        .zip(parse(&outs[1]).iter().flatten())
    {
        common::assert_close(*a, *b, 1e-12, 1e-12, "csv vs parquet");
    }
}

#[test]
fn a_model_written_by_mlp_sql_is_read_by_mlp_predict() {
    let t = Table::new(&[("AAA", 300)], 42);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    t.write_csv(&csv);
    let query = dir.path().join("fit.sql");
    std::fs::write(
        &query,
        "CREATE VIEW clean AS SELECT * FROM t WHERE y IS NOT NULL;\n\
         SELECT ridge_fit(y, x1, x2, x3, 0.25) AS model FROM clean",
    )
    .unwrap();
    let out = dir.path().join("model.parquet");
    mlp_sql()
        .args(["--table", &format!("t={}", csv.display()), "--file"])
        .arg(&query)
        .arg("--output")
        .arg(&out)
        .assert()
        .success();
    // Back through SQL: the Parquet result holds the model text.
    let json = mlp_sql()
        .args([
            "--table",
            &format!("m={}", out.display()),
            "SELECT model FROM m",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(json.stdout).unwrap();
    let cell = text.lines().nth(1).unwrap();
    // CSV quoting doubles the quotes of the JSON text.
    let model = cell.trim_matches('"').replace("\"\"", "\"");
    let model_path = dir.path().join("model.json");
    std::fs::write(&model_path, &model).unwrap();
    let predictions = dir.path().join("pred.csv");
    mlp::run(
        [
            "mlp",
            "predict",
            "--model",
            model_path.to_str().unwrap(),
            "--input",
            csv.to_str().unwrap(),
            "--output",
            predictions.to_str().unwrap(),
        ],
        None,
    )
    .expect("mlp predict reads the model");
    let via_sql = mlp_sql()
        .args([
            "--table",
            &format!("t={}", csv.display()),
            "--table",
            &format!("m={}", out.display()),
            "SELECT predict(m.model, x1, x2, x3) AS prediction FROM t CROSS JOIN m ORDER BY symbol, ts",
        ])
        .output()
        .unwrap();
    let a: Vec<f64> = std::fs::read_to_string(&predictions)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.parse().unwrap())
        .collect();
    let b: Vec<f64> = String::from_utf8(via_sql.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(a.len(), 300);
    assert_eq!(a, b);
}

#[test]
fn errors_are_one_line_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    mlp_sql()
        .args(["--table", "t=/no/such/file.csv", "SELECT 1"])
        .assert()
        .code(2)
        .stderr(contains(
            "mlp-sql: --table t=/no/such/file.csv: no file or folder",
        ));
    mlp_sql()
        .args(["--table", "nonsense", "SELECT 1"])
        .assert()
        .code(2)
        .stderr(contains("expected NAME=PATH"));
    let csv = dir.path().join("t.csv");
    Table::new(&[("AAA", 10)], 43).write_csv(&csv);
    let out = mlp_sql()
        .args([
            "--table",
            &format!("t={}", csv.display()),
            "SELECT ridge_fit(y, symbol) FROM t",
        ])
        .assert()
        .code(2)
        .stderr(contains("ridge_fit: argument 2 is of type Utf8"));
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    mlp_sql().assert().code(2);
}

#[cfg(not(feature = "ballista"))]
#[test]
fn cluster_says_it_needs_the_ballista_feature() {
    mlp_sql()
        .args(["--cluster", "127.0.0.1:50050", "SELECT 1"])
        .assert()
        .code(2)
        .stderr(contains("built without the ballista feature"));
}

#[cfg(feature = "ballista")]
#[test]
fn a_cluster_that_is_not_there_is_one_line_with_status_2() {
    // A port free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = mlp_sql()
        .args(["--cluster", &format!("127.0.0.1:{port}"), "SELECT 1"])
        .assert()
        .code(2)
        .stderr(contains(format!("127.0.0.1:{port}")));
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
