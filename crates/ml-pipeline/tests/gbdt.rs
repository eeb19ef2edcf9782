//! Imported tree ensembles predict what XGBoost and LightGBM themselves predict, on the
//! models and rows `tests/fixtures/gbdt/make_gbdt_fixtures.py` (xgboost 3.4.1, lightgbm
//! 4.7.0) and `make_gbdt_legacy_fixtures.py` (xgboost 1.7.6, lightgbm 3.3.5) made with the
//! real libraries (versions pinned in their docstrings): ordinary rows, rows with missing values, rows on
//! split thresholds and at the float32/float64 rounding boundaries around them, odd
//! categories, truncated ensembles.
//!
//! Tolerances. XGBoost returns float32: ours must be the same float32, bit for bit (its
//! predictor sums leaves tree after tree from the base margin in float32, and so do we,
//! so the order is the same). LightGBM returns float64: ours must agree to 1e-12 relative
//! (the sum runs in the same order, so in practice the results are identical; the bound
//! leaves room for a platform `exp` that differs in the last bit).

use fast_math::{MatRef, Par};
use ml_pipeline::models::{GbdtModel, Library};
use ml_pipeline::{Output, Predict};
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gbdt")
}

struct Case {
    name: String,
    library: String,
    outputs: usize,
    truncate: Option<usize>,
    best_iteration: Option<usize>,
    rounds: usize,
}

/// The models of `manifest.json` (current library versions) and `manifest_legacy.json`
/// (XGBoost 1.7, LightGBM 3.3).
fn manifest() -> Vec<Case> {
    ["manifest.json", "manifest_legacy.json"]
        .iter()
        .flat_map(|m| manifest_file(m))
        .collect()
}

fn manifest_file(name: &str) -> Vec<Case> {
    let text = std::fs::read_to_string(dir().join(name)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let n = |m: &serde_json::Value, k: &str| m[k].as_u64().map(|x| usize::try_from(x).unwrap());
    v["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| Case {
            name: m["name"].as_str().unwrap().to_string(),
            library: m["library"].as_str().unwrap().to_string(),
            outputs: n(m, "outputs").unwrap(),
            truncate: n(m, "truncate"),
            best_iteration: n(m, "best_iteration"),
            rounds: n(m, "rounds").unwrap(),
        })
        .collect()
}

/// A CSV of numbers with a header; empty cells are NaN.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(cell).collect())
        .collect();
    (header, rows)
}

fn cell(c: &str) -> f64 {
    match c {
        "" => f64::NAN,
        number => number.parse().unwrap(),
    }
}

fn columns(header: &[String], row: &[f64], prefix: &str) -> Vec<f64> {
    header
        .iter()
        .zip(row)
        .filter(|(h, _)| h.rsplit_once('_').is_some_and(|(p, _)| p == prefix))
        .map(|(_, v)| *v)
        .collect()
}

/// Units in the last place of float32 between two float32 values held in `f64`s.
#[allow(clippy::cast_possible_truncation)]
fn ulps_f32(a: f64, b: f64) -> u64 {
    let key = |x: f32| {
        let i = x.to_bits() as i32;
        i64::from(if i < 0 { i32::MIN - i } else { i })
    };
    key(a as f32).abs_diff(key(b as f32))
}

fn rel(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
    }
}

fn models(case: &Case) -> Vec<(String, GbdtModel)> {
    let base = dir().join(&case.name);
    if case.library == "xgboost" {
        // Every XGBoost model as JSON, and as UBJSON where the fixtures keep that copy.
        ["json", "ubj"]
            .iter()
            .filter(|e| *e == &"json" || base.with_extension(e).exists())
            .map(|e| {
                let p = base.with_extension(e);
                (
                    e.to_string(),
                    GbdtModel::load(&p).unwrap_or_else(|err| panic!("{}: {err}", p.display())),
                )
            })
            .collect()
    } else {
        let p = base.with_extension("txt");
        vec![(
            "txt".into(),
            GbdtModel::load(&p).unwrap_or_else(|err| panic!("{}: {err}", p.display())),
        )]
    }
}

/// Predictions of every row by `predict_one`, checked equal to `predict_into`'s on one and
/// two threads.
fn predict_all(model: &GbdtModel, rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let w = model.output().width();
    let mut scratch = vec![f64::NAN; model.scratch_len()];
    let one: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            let mut out = vec![f64::NAN; w];
            model.predict_one(r, &mut scratch, &mut out);
            out
        })
        .collect();
    let k = model.n_features();
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    let x = MatRef::from_row_major(&flat, rows.len(), k);
    for par in [Par::Seq, Par::Rayon(2)] {
        let mut batch = vec![f64::NAN; rows.len() * w];
        model.predict_into(x, &mut batch, par);
        for (i, (a, b)) in one.iter().zip(batch.chunks(w)).enumerate() {
            assert!(
                a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits()),
                "row {i}: predict_one {a:?} but predict_into({par:?}) {b:?}"
            );
        }
    }
    one
}

/// The largest difference found (float32 ulps for XGBoost, relative for LightGBM).
fn compare(case: &Case, what: &str, ours: &[Vec<f64>], want: &[Vec<f64>], library: Library) -> f64 {
    let mut worst = 0.0f64;
    for (i, (o, w)) in ours.iter().zip(want).enumerate() {
        assert_eq!(o.len(), w.len(), "{} {what} row {i}: widths", case.name);
        for (j, (&a, &b)) in o.iter().zip(w).enumerate() {
            #[allow(clippy::cast_precision_loss)]
            let d = match library {
                Library::XGBoost => ulps_f32(a, b) as f64,
                _ => rel(a, b),
            };
            let ok = match library {
                Library::XGBoost => d == 0.0,
                _ => d <= 1e-12,
            };
            assert!(
                ok,
                "{} {what} row {i} output {j}: ours {a:e}, library {b:e}",
                case.name
            );
            worst = worst.max(d);
        }
    }
    worst
}

#[test]
fn every_fixture_model_predicts_what_its_library_predicts() {
    let cases = manifest();
    assert!(cases.len() >= 30, "manifests list {} models", cases.len());
    for case in &cases {
        let (names, rows) = read_csv(&dir().join(format!("{}_rows.csv", case.name)));
        let (header, expected) = read_csv(&dir().join(format!("{}_expected.csv", case.name)));
        let pick = |p: &str| -> Vec<Vec<f64>> {
            expected.iter().map(|r| columns(&header, r, p)).collect()
        };
        for (ext, model) in models(case) {
            let library = model.library();
            assert_eq!(
                model.feature_names(),
                names.as_slice(),
                "{}.{ext}",
                case.name
            );
            assert_eq!(model.n_iterations(), case.rounds, "{}.{ext}", case.name);
            // XGBoost 1.7 records a best iteration even without early stopping (the last).
            match (library, case.best_iteration) {
                (Library::XGBoost, Some(b)) => assert_eq!(model.best_iteration(), Some(b)),
                (Library::XGBoost, None) => {}
                _ => assert_eq!(model.best_iteration(), None),
            }
            let want = pick("pred");
            let ours = predict_all(&model, &rows);
            let d_pred = compare(case, "pred", &ours, &want, library);
            assert_eq!(model.output().width(), case.outputs.max(1));

            let raw = model.clone().with_raw_margin(true);
            assert!(matches!(raw.output(), Output::Margins(_)));
            let d_margin = compare(
                case,
                "margin",
                &predict_all(&raw, &rows),
                &pick("margin"),
                library,
            );

            let mut d_trunc = 0.0;
            if let Some(n) = case.truncate {
                let t = model.clone().truncate(n).unwrap();
                assert_eq!(t.iterations_used(), n);
                d_trunc = compare(
                    case,
                    "trunc",
                    &predict_all(&t, &rows),
                    &pick("trunc_pred"),
                    library,
                );
            }
            eprintln!(
                "{:<24} {ext:<4} rows {:>4}  max diff: pred {d_pred:e}  margin {d_margin:e}  truncated {d_trunc:e}",
                case.name,
                rows.len()
            );
        }
    }
}

/// `predict_one_with` on each ISA the machine has (capped by `SIMD_KERNELS_ISA`) gives the
/// same bits, for every fixture model: the walks differ by ISA (byte heaps on AVX-512 VBMI,
/// 32-bit heaps with gathers or lockstep on AVX2, lockstep on scalar), the leaves and sums
/// must not.
#[test]
fn every_isa_predicts_the_same() {
    use simd_kernels::Isa;
    for case in &manifest() {
        let (_, rows) = read_csv(&dir().join(format!("{}_rows.csv", case.name)));
        for (ext, model) in models(case) {
            let want = predict_all(&model, &rows);
            let mut out = vec![0.0; model.output().width()];
            let mut scratch = vec![0.0; model.scratch_len()];
            for isa in Isa::available() {
                for (r, w) in rows.iter().zip(&want) {
                    model.predict_one_with(isa, r, &mut scratch, &mut out);
                    let same = out.iter().zip(w).all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(same, "{}.{ext} on {isa:?}: {out:?}, want {w:?}", case.name);
                }
            }
        }
    }
}
