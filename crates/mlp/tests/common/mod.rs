//! Shared by the program's tests that read its CSV output.

/// Reads a CSV with a header into (header, rows of optional numbers: None for an empty cell).
// Not every test binary that shares this module reads numbers.
#[allow(dead_code)]
pub fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<Option<f64>>>) {
    let (header, rows) = read_cells(text);
    let rows = rows
        .into_iter()
        .map(|r| {
            r.iter()
                .map(|c| {
                    if c.is_empty() {
                        None
                    } else {
                        Some(c.parse::<f64>().expect("a number"))
                    }
                })
                .collect()
        })
        .collect();
    (header, rows)
}

/// Reads a CSV with a header into (header, rows of cells as text).
pub fn read_cells(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header = rdr
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows = rdr
        .records()
        .map(|r| r.expect("record").iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// Runs `cmd`, expects exit status 2 and one line on stderr, `mlp: ...`, holding every one of
/// `needles` and no panic; returns the line.
// Not every test binary that shares this module checks errors.
#[allow(dead_code)]
pub fn expect_error(cmd: &mut assert_cmd::Command, needles: &[&str]) -> String {
    let out = cmd.assert().code(2).get_output().clone();
    let stderr = String::from_utf8(out.stderr).expect("utf-8 stderr");
    assert!(stderr.starts_with("mlp: "), "{stderr:?}");
    assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr:?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{stderr:?} should contain {n:?}");
    }
    stderr
}

/// A CSV's header and rows, `None` for an empty cell.
#[allow(dead_code)]
pub type Csv = (Vec<String>, Vec<Vec<Option<f64>>>);

/// Runs `mlp predict --model MODEL --input ROWS` with `args` after them; returns its output
/// parsed.
#[allow(dead_code)]
pub fn predict(model: &std::path::Path, rows: &std::path::Path, args: &[&str]) -> Csv {
    let out = assert_cmd::Command::cargo_bin("mlp")
        .expect("the mlp binary is built for tests")
        .args(["predict", "--model"])
        .arg(model)
        .arg("--input")
        .arg(rows)
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    read_csv(&String::from_utf8(out).expect("utf-8 output"))
}
