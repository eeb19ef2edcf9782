//! Tree ensembles in model files: saved with the library's own file inside, read back by
//! importing it again (every importer check re-run), predicting bit for bit the same; and
//! `ModelFile`, which tells every model file this build reads apart by content.

use fast_math::{Mat, Par};
use ml_pipeline::{
    GbdtFormat, Model, ModelFile, Output, PipelineError, Predict, SavedGbdt, SavedModel, Stage,
};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gbdt")
        .join(name)
}

/// Predictions of `model` for a grid of rows holding NaN, zeros, small codes and reals.
fn predictions(model: &(impl Predict + Sync)) -> Vec<f64> {
    let k = model.n_features();
    let x = Mat::from_fn(200, k, |i, j| match (i * 7 + j * 3) % 11 {
        0 => f64::NAN,
        1 => 0.0,
        2 => ((i + j) % 12) as f64,
        r => (r as f64 - 6.0) * (1.0 + i as f64 / 50.0),
    });
    let mut out = vec![0.0; 200 * model.output().width()];
    model.predict_into(x.as_ref(), &mut out, Par::Seq);
    out
}

fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

#[test]
fn tree_models_round_trip_through_model_files() {
    for (name, base64) in [
        ("xgb_softprob3.json", false),
        ("xgb_binary.ubj", true),
        ("xgb_cat_reg.ubj", true),
        ("lgb_multiclass3.txt", false),
        ("lgb_cat_binary.txt", false),
    ] {
        let tree = SavedGbdt::load(&fixture(name)).unwrap();
        let want = predictions(tree.model());
        for tree in [
            tree.clone(),
            tree.clone().truncate(3).unwrap(),
            tree.clone().with_raw_margin(true),
        ] {
            let saved = SavedModel::gbdt(tree.clone());
            assert_eq!(saved.feature_names, tree.model().feature_names());
            let json = saved.to_json();
            let v: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(v["model"]["kind"], "gbdt", "{name}");
            assert_eq!(v["model"]["source_base64"].is_string(), base64, "{name}");
            assert_eq!(v["model"]["source"].is_string(), !base64, "{name}");
            let back = SavedModel::from_json(&json).unwrap();
            assert_eq!(back, saved, "{name}");
            assert_eq!(back.tree_model().unwrap().source(), tree.source());
            assert!(
                same_bits(&predictions(&back), &predictions(tree.model())),
                "{name}"
            );
            // The serde path (a SavedModel inside a caller's own document) reads it too.
            let direct: SavedModel = serde_json::from_str(&json).unwrap();
            assert_eq!(direct, saved, "{name}");
        }
        assert!(
            same_bits(&predictions(&SavedModel::gbdt(tree)), &want),
            "{name}"
        );
    }
}

#[test]
fn a_selection_stage_reads_a_tree_model_s_columns_by_name() {
    let tree = SavedGbdt::load(&fixture("lgb_reg_nan.txt")).unwrap();
    let names: Vec<String> = ["extra", "x5", "x4", "x3", "x2", "x1", "x0"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let saved = SavedModel::gbdt(tree.clone()).reading(&names).unwrap();
    assert!(matches!(saved.stages.as_slice(), [Stage::Select(_)]));
    let back = SavedModel::from_json(&saved.to_json()).unwrap();
    assert_eq!(back, saved);
    let row = [9.0, 0.5, -1.0, f64::NAN, 2.0, -3.0, 1e-36];
    let mut out = [0.0];
    let mut scratch = vec![0.0; back.scratch_len()];
    back.predict_one(&row, &mut scratch, &mut out);
    let mut want = [0.0];
    let mut scratch = vec![0.0; tree.model().scratch_len()];
    tree.model().predict_one(
        &[1e-36, -3.0, 2.0, f64::NAN, -1.0, 0.5],
        &mut scratch,
        &mut want,
    );
    assert_eq!(out[0].to_bits(), want[0].to_bits());
    // Reading the same names in the same order adds no stage.
    let plain = SavedModel::gbdt(tree.clone());
    let same = plain.clone().reading(&plain.feature_names).unwrap();
    assert_eq!(same, plain);
    let r = SavedModel::gbdt(tree).reading(&names[..3]);
    assert!(
        matches!(&r, Err(PipelineError::MissingFeature { feature, .. }) if feature == "x0"),
        "{r:?}"
    );
}

/// A saved tree model's JSON value, edited.
fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> Result<SavedModel, PipelineError> {
    let tree = SavedGbdt::load(&fixture("lgb_depth1.txt")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&SavedModel::gbdt(tree).to_json()).unwrap();
    edit(&mut v);
    SavedModel::from_json(&v.to_string())
}

#[test]
fn bad_tree_models_in_model_files_are_typed_errors_naming_the_field() {
    let content = |r: &Result<SavedModel, PipelineError>, want: &str| {
        assert!(
            matches!(r, Err(PipelineError::ModelFileContent { field, .. }) if field == want),
            "{want}: {r:?}"
        );
    };
    // The embedded file is imported again: its errors say where in it, under model.source.
    let r = edited(|v| {
        let s = v["model"]["source"]
            .as_str()
            .unwrap()
            .replace("num_leaves=2", "num_leaves=x");
        v["model"]["source"] = s.into();
    });
    assert!(
        matches!(&r, Err(PipelineError::ModelImport { format: "LightGBM text", at, .. })
            if at.starts_with("model.source, ")),
        "{r:?}"
    );
    let r = edited(|v| v["model"]["source_format"] = "xgboost_json".into());
    assert!(
        matches!(&r, Err(PipelineError::ModelImport { format: "XGBoost JSON", at, .. })
            if at.starts_with("model.source, ")),
        "{r:?}"
    );
    content(
        &edited(|v| v["model"]["iterations"] = 0.into()),
        "model.iterations",
    );
    content(
        &edited(|v| v["model"]["iterations"] = 11.into()),
        "model.iterations",
    );
    content(
        &edited(|v| {
            v["model"].as_object_mut().unwrap().remove("source");
        }),
        "model.source",
    );
    content(
        &edited(|v| v["model"]["source_base64"] = "dHJlZQ==".into()),
        "model.source",
    );
    content(
        &edited(|v| {
            v["model"].as_object_mut().unwrap().remove("source");
            v["model"]["source_base64"] = "not base64!".into();
        }),
        "model.source_base64",
    );
    content(
        &edited(|v| v["model"]["source_format"] = "onnx".into()),
        "model",
    );
    content(
        &edited(|v| {
            v["feature_names"].as_array_mut().unwrap().pop();
        }),
        "model",
    );
    content(
        &edited(|v| {
            v["stages"] = serde_json::json!([{"kind": "select", "n_inputs": 6,
                "columns": [0, 1, 2, 3, 4, 6]}]);
        }),
        "stages[0].columns[5]",
    );
}

#[test]
fn model_files_are_told_apart_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let copy = |from: &str, to: &str| {
        let p = dir.path().join(to);
        std::fs::copy(fixture(from), &p).unwrap();
        p
    };
    let kind = |p: &Path| match ModelFile::load(p).unwrap() {
        ModelFile::Saved(_) => None,
        ModelFile::Gbdt(g) => Some(g.format()),
        other => panic!("{other:?}"),
    };
    // Named as the libraries name them, or misnamed: read by what they hold.
    for (from, to, want) in [
        ("xgb_binary.json", "a.json", GbdtFormat::XgboostJson),
        ("xgb_binary.ubj", "b.ubj", GbdtFormat::XgboostUbjson),
        ("lgb_binary.txt", "c.txt", GbdtFormat::LightgbmText),
        ("xgb_binary.ubj", "d.json", GbdtFormat::XgboostUbjson),
        ("lgb_binary.txt", "e.model", GbdtFormat::LightgbmText),
    ] {
        assert_eq!(kind(&copy(from, to)), Some(want), "{to}");
    }
    let ours = dir.path().join("f.json");
    let tree = SavedGbdt::load(&fixture("xgb_binary.ubj")).unwrap();
    SavedModel::gbdt(tree.clone()).save(&ours).unwrap();
    assert_eq!(kind(&ours), None);
    let loaded = ModelFile::load(&ours).unwrap().into_saved();
    assert!(matches!(&loaded.model, Model::Gbdt(g) if **g == tree));
    assert_eq!(
        ModelFile::load(&copy("xgb_binary.ubj", "g.ubj"))
            .unwrap()
            .into_saved(),
        SavedModel::gbdt(tree)
    );
    // When the content cannot tell, the extension chooses whose error is reported.
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let r = ModelFile::load(&write("other.txt", b"{\"weights\": [1, 2]}"));
    assert!(
        matches!(&r, Err(PipelineError::ModelFileContent { field, message })
            if field == "format" && message.contains("learner")),
        "{r:?}"
    );
    let r = ModelFile::load(&write("g.json", b"{\n  \"format\": \"ml-\xff\""));
    assert!(
        matches!(&r, Err(PipelineError::ModelFileSyntax { line: 2, column: 17, message })
            if message.contains("UTF-8")),
        "{r:?}"
    );
    let r = ModelFile::load(&write("h.json", b"{\"format\": \"ml-pipeline-model\", "));
    assert!(
        matches!(r, Err(PipelineError::ModelFileSyntax { .. })),
        "{r:?}"
    );
    for (name, bytes, want) in [
        ("i.txt", &b"not a model\n"[..], "LightGBM text"),
        ("j.ubj", &b"\x00\x01"[..], "XGBoost UBJSON"),
    ] {
        let r = ModelFile::load(&write(name, bytes));
        assert!(
            matches!(&r, Err(PipelineError::ModelImport { format, .. }) if *format == want),
            "{name}: {r:?}"
        );
    }
    let bin = write("k.bin", b"\x00\x01");
    let r = ModelFile::load(&bin);
    assert!(
        matches!(&r, Err(PipelineError::ModelImport { format: "unrecognized", at, .. })
            if *at == bin.display().to_string()),
        "{r:?}"
    );
    let r = ModelFile::load(&dir.path().join("missing.json"));
    assert!(
        matches!(r, Err(PipelineError::ModelFileIo { action: "read", .. })),
        "{r:?}"
    );
    // A tree model's output is what the library predicts; the saved model says the same.
    let m = ModelFile::load(&copy("lgb_multiclass3.txt", "l.txt"))
        .unwrap()
        .into_saved();
    assert_eq!(m.output(), Output::Probabilities(3));
}
