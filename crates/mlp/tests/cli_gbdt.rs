//! `mlp predict` with tree ensembles saved by XGBoost and LightGBM: every fixture model of
//! `ml-pipeline/tests/fixtures/gbdt` (made by the libraries themselves, see its
//! `make_gbdt_fixtures.py`) run on its rows, the printed values read back as `f64` and
//! compared to the libraries' own predictions exactly; rows with missing values; `--raw`,
//! `--features`; the same model inside a model file of `mlp`; and the errors.

mod common;

use assert_cmd::Command;
use ml_pipeline::{SavedGbdt, SavedModel};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ml-pipeline/tests/fixtures/gbdt")
}

fn mlp() -> Command {
    Command::cargo_bin("mlp").expect("the mlp binary is built for tests")
}

fn read_csv_file(path: &Path) -> Csv {
    common::read_csv(&std::fs::read_to_string(path).expect("readable fixture"))
}

use common::{predict, Csv};

/// Runs `mlp predict`, expects exit status 2 and one line `mlp: ...` holding every needle.
fn expect_error(args: &[&std::ffi::OsStr], needles: &[&str]) {
    common::expect_error(mlp().arg("predict").args(args), needles);
}

/// The columns of `want` named `prefix_0`, `prefix_1`, ... for every row.
fn expected(want: &Csv, prefix: &str) -> Vec<Vec<f64>> {
    let cols: Vec<usize> = (0..)
        .map_while(|k| want.0.iter().position(|h| *h == format!("{prefix}_{k}")))
        .collect();
    want.1
        .iter()
        .map(|r| {
            cols.iter()
                .map(|&j| r[j].expect("library output"))
                .collect()
        })
        .collect()
}

/// Checks `got` (mlp's output) against the library's values row by row, bit for bit: the
/// value columns (all but a class column after probabilities) equal `want`, and the class
/// column is what the probabilities say.
fn assert_same(got: &Csv, want: &[Vec<f64>], what: &str) {
    let (header, rows) = got;
    assert_eq!(rows.len(), want.len(), "{what}: rows");
    let probabilities = header[0].starts_with("prob");
    let width = header.len() - usize::from(probabilities);
    for (i, (g, w)) in rows.iter().zip(want).enumerate() {
        let values: Vec<f64> = g[..width].iter().map(|c| c.expect("a value")).collect();
        assert_eq!(values.len(), w.len(), "{what}: row {i}: {header:?}");
        for (a, b) in values.iter().zip(w) {
            assert_eq!(a.to_bits(), b.to_bits(), "{what}: row {i}: {a} vs {b}");
        }
        if probabilities {
            let class = g[width].expect("a class");
            let want = if width == 1 {
                f64::from(u8::from(values[0] > 0.5))
            } else {
                let best = (0..width).fold(0, |b, j| if values[j] > values[b] { j } else { b });
                best as f64
            };
            assert_eq!(class, want, "{what}: row {i}: class");
        }
    }
}

/// The models of both manifests (current libraries; XGBoost 1.7 and LightGBM 3.3), each
/// with its library.
fn manifest() -> Vec<(String, String)> {
    let mut models = Vec::new();
    for file in ["manifest.json", "manifest_legacy.json"] {
        let text = std::fs::read_to_string(fixtures().join(file)).expect("manifest");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        for m in v["models"].as_array().expect("models") {
            let name = m["name"].as_str().expect("name").to_string();
            let lib = m["library"].as_str().expect("library").to_string();
            models.push((name, lib));
        }
    }
    models
}

#[test]
fn every_fixture_model_predicts_what_its_library_predicts() {
    let dir = fixtures();
    let models = manifest();
    assert!(models.len() >= 39, "{} models", models.len());
    for (name, library) in models {
        let files: Vec<String> = if library == "xgboost" {
            ["json", "ubj"]
                .iter()
                .map(|e| format!("{name}.{e}"))
                .collect()
        } else {
            vec![format!("{name}.txt")]
        };
        let rows = dir.join(format!("{name}_rows.csv"));
        let want = read_csv_file(&dir.join(format!("{name}_expected.csv")));
        // Rows with missing values are predicted, not left empty.
        let inputs = read_csv_file(&rows);
        assert!(
            inputs.1.iter().any(|r| r.contains(&None)),
            "{name}: no missing cells"
        );
        for file in files.iter().filter(|f| dir.join(f).exists()) {
            let model = dir.join(file);
            let got = predict(&model, &rows, &[]);
            assert_same(&got, &expected(&want, "pred"), file);
            let raw = predict(&model, &rows, &["--raw"]);
            let margins = expected(&want, "margin");
            let header: Vec<String> = if margins[0].len() == 1 {
                vec!["margin".into()]
            } else {
                (0..margins[0].len())
                    .map(|k| format!("margin_{k}"))
                    .collect()
            };
            assert_eq!(raw.0, header, "{file}");
            assert_same(&raw, &margins, &format!("{file} --raw"));
        }
    }
}

#[test]
fn output_columns_follow_the_kind_of_model() {
    let dir = fixtures();
    for (name, header) in [
        ("xgb_reg_depth1.json", vec!["prediction"]),
        ("lgb_binary.txt", vec!["probability", "prediction"]),
        (
            "xgb_softprob3.ubj",
            vec!["prob_0", "prob_1", "prob_2", "prediction"],
        ),
        (
            "lgb_multiclass3.txt",
            vec!["prob_0", "prob_1", "prob_2", "prediction"],
        ),
        ("xgb_softmax5.json", vec!["prediction"]),
        ("xgb_two_targets.json", vec!["prediction_0", "prediction_1"]),
    ] {
        let stem = name.split('.').next().expect("stem");
        let got = predict(&dir.join(name), &dir.join(format!("{stem}_rows.csv")), &[]);
        assert_eq!(got.0, header, "{name}");
    }
}

#[test]
fn a_model_file_of_mlp_holding_a_tree_model_predicts_the_same() {
    let dir = fixtures();
    let tmp = tempfile::tempdir().expect("temp dir");
    for name in ["xgb_cat_reg.ubj", "lgb_multiclass3.txt"] {
        let tree = SavedGbdt::load(&dir.join(name)).expect("fixture");
        let saved = tmp.path().join(format!("{name}.model.json"));
        SavedModel::gbdt(tree).save(&saved).expect("save");
        let stem = name.split('.').next().expect("stem");
        let rows = dir.join(format!("{stem}_rows.csv"));
        let direct = predict(&dir.join(name), &rows, &[]);
        assert_eq!(predict(&saved, &rows, &[]), direct, "{name}");
        assert_eq!(
            predict(&saved, &rows, &["--raw"]),
            predict(&dir.join(name), &rows, &["--raw"]),
            "{name}"
        );
    }
}

#[test]
fn a_model_without_feature_names_needs_features() {
    let dir = fixtures();
    let tmp = tempfile::tempdir().expect("temp dir");
    let text = std::fs::read_to_string(dir.join("xgb_binary.json")).expect("fixture");
    let names = r#""feature_names":["x0","x1","x2","x3","x4","x5"],"#;
    assert!(text.contains(names));
    let unnamed = tmp.path().join("unnamed.json");
    std::fs::write(&unnamed, text.replacen(names, "", 1)).expect("write");
    let rows = dir.join("xgb_binary_rows.csv");
    expect_error(
        &[
            "--model".as_ref(),
            unnamed.as_os_str(),
            "--input".as_ref(),
            rows.as_os_str(),
        ],
        &["unnamed.json", "no feature names", "--features"],
    );
    let want = predict(&dir.join("xgb_binary.json"), &rows, &[]);
    let all = "x0,x1,x2,x3,x4,x5";
    assert_eq!(predict(&unnamed, &rows, &["--features", all]), want);
    // Other column names, in another order in the file: --features gives the model's order.
    let (header, body) = std::fs::read_to_string(&rows)
        .expect("rows")
        .split_once('\n')
        .map(|(h, b)| (h.to_string(), b.to_string()))
        .expect("header");
    assert_eq!(header, all);
    let moved: String = body
        .lines()
        .map(|l| {
            let mut cells: Vec<&str> = l.split(',').collect();
            cells.reverse();
            cells.join(",") + "\n"
        })
        .collect();
    let renamed = tmp.path().join("renamed.csv");
    std::fs::write(&renamed, format!("f,e,d,c,b,a\n{moved}")).expect("write");
    let order = ["--features", "a,b,c,d,e,f"];
    assert_eq!(predict(&unnamed, &renamed, &order), want);
    assert_eq!(predict(&dir.join("xgb_binary.ubj"), &renamed, &order), want);
    expect_error(
        &[
            "--model".as_ref(),
            unnamed.as_os_str(),
            "--input".as_ref(),
            rows.as_os_str(),
            "--features".as_ref(),
            "x0,x1".as_ref(),
        ],
        &[
            "unnamed.json",
            "--features gives 2 columns, the model reads 6",
        ],
    );
}

#[test]
fn unreadable_models_exit_2_naming_the_file() {
    let dir = fixtures();
    let tmp = tempfile::tempdir().expect("temp dir");
    let rows = dir.join("lgb_binary_rows.csv");
    let run = |model: &Path, needles: &[&str]| {
        expect_error(
            &[
                "--model".as_ref(),
                model.as_os_str(),
                "--input".as_ref(),
                rows.as_os_str(),
            ],
            needles,
        );
    };
    let write = |name: &str, bytes: &[u8]| {
        let p = tmp.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    };
    // Neither content nor extension says what it is.
    run(
        &write("model.bin", b"\x00\x01\x02"),
        &["model.bin", "LightGBM", "XGBoost"],
    );
    // Corrupt files of each library: the importer's error, where it stopped.
    let lgb = std::fs::read(dir.join("lgb_binary.txt")).expect("fixture");
    run(
        &write("cut.txt", &lgb[..lgb.len() / 2]),
        &["cut.txt", "LightGBM text model"],
    );
    let ubj = std::fs::read(dir.join("xgb_binary.ubj")).expect("fixture");
    run(
        &write("cut.ubj", &ubj[..ubj.len() / 2]),
        &["cut.ubj", "XGBoost UBJSON model", "byte"],
    );
    let json = std::fs::read(dir.join("xgb_binary.json")).expect("fixture");
    run(
        &write("cut.json", &json[..json.len() / 2]),
        &["cut.json", "line"],
    );
    run(
        &tmp.path().join("absent.json"),
        &["absent.json", "cannot read"],
    );
    // --raw is for tree models.
    let ridge = write(
        "ridge.json",
        br#"{"format": "ml-pipeline-model", "version": 2, "feature_names": ["x0"],
            "model": {"kind": "ridge", "coef": [1.0], "intercept": 0.0}}"#,
    );
    expect_error(
        &[
            "--model".as_ref(),
            ridge.as_os_str(),
            "--input".as_ref(),
            rows.as_os_str(),
            "--raw".as_ref(),
        ],
        &["ridge.json", "--raw needs a tree model"],
    );
}
