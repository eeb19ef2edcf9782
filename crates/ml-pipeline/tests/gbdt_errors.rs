//! Malformed, truncated and unsupported tree-ensemble files are typed errors that name what
//! and where; no input makes an importer panic, and whatever loads predicts without panic.

use ml_pipeline::models::GbdtModel;
use ml_pipeline::{PipelineError, Predict};
use seeded_rng::Rng;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gbdt")
        .join(name)
}

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

fn text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

fn import(ext: &str, b: &[u8]) -> Result<GbdtModel, PipelineError> {
    match ext {
        "json" => GbdtModel::from_xgboost_json(b),
        "ubj" => GbdtModel::from_xgboost_ubjson(b),
        _ => GbdtModel::from_lightgbm_text(std::str::from_utf8(b).unwrap_or("")),
    }
}

/// `(at, message)` of an import error, or a panic naming what came instead.
fn import_error(r: Result<GbdtModel, PipelineError>) -> (String, String) {
    match r {
        Err(PipelineError::ModelImport { at, message, .. }) => (at, message),
        Err(other) => panic!("expected ModelImport, got {other:?}"),
        Ok(_) => panic!("expected an error, the model loaded"),
    }
}

/// The files, with the length of their part that matters (a LightGBM file's end through
/// "end of parameters"; JSON without trailing whitespace).
fn files() -> Vec<(String, Vec<u8>, usize)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(fixture("")).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let ext = p
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !["json", "ubj", "txt"].contains(&ext.as_str()) || name.starts_with("manifest") {
            continue;
        }
        let b = std::fs::read(&p).unwrap();
        let end = match ext.as_str() {
            "txt" => {
                let marker = b"end of parameters";
                b.windows(marker.len()).position(|w| w == marker).unwrap() + marker.len()
            }
            "json" => b.iter().rposition(|c| !c.is_ascii_whitespace()).unwrap() + 1,
            _ => b.len(),
        };
        out.push((ext, b, end));
    }
    out.sort();
    assert!(out.len() >= 30, "{} model files", out.len());
    out
}

#[test]
fn every_truncation_of_every_fixture_model_is_a_typed_error() {
    let mut rng = Rng::new(16);
    for (ext, b, end) in files() {
        // Every cut in the first bytes and near the end, and 150 cuts in between.
        let mut cuts: Vec<usize> = (0..64.min(end))
            .chain(end.saturating_sub(64)..end)
            .collect();
        cuts.extend((0..150).map(|_| rng.below(end)));
        let marker = b"end of trees";
        if let Some(at) = b.windows(marker.len()).position(|w| w == marker) {
            cuts.extend(at..at + marker.len() + 3);
        }
        for cut in cuts {
            // Ending right after its trees, a LightGBM file is whole (what follows is
            // optional); cut anywhere else, it is not.
            if b[..cut].trim_ascii_end().ends_with(b"end of trees") {
                import(&ext, &b[..cut]).unwrap();
                continue;
            }
            let r = import(&ext, &b[..cut]);
            assert!(
                matches!(r, Err(PipelineError::ModelImport { .. })),
                "{ext} file of {} bytes cut at {cut}: {:?}",
                b.len(),
                r.map(|m| m.n_trees())
            );
        }
        import(&ext, &b).unwrap();
    }
}

/// Whatever a corrupted file gives, an error or a model, nothing panics, and a model that
/// loads predicts (finite inputs and NaN) without panicking.
#[test]
fn corrupted_files_never_panic() {
    let mut rng = Rng::new(7);
    let small = [
        "xgb_reg_depth1.json",
        "xgb_reg_depth1.ubj",
        "xgb_cat_reg.ubj",
        "lgb_depth1.txt",
        "lgb_cat_binary.txt",
    ];
    for name in small {
        let b = bytes(name);
        let ext = name.rsplit('.').next().unwrap();
        for _ in 0..400 {
            let mut m = b.clone();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(m.len());
                m[i] = match rng.below(3) {
                    0 => m[i] ^ (1 << rng.below(8)),
                    1 => b"0123456789-.e[]{}\"\n =,"[rng.below(22)],
                    _ => rng.below(256) as u8,
                };
            }
            if let Ok(model) = import(ext, &m) {
                let k = model.n_features();
                let mut scratch = vec![0.0; model.scratch_len()];
                let mut out = vec![0.0; model.output().width()];
                for x in [0.0, 1e30, -3.5, f64::NAN] {
                    model.predict_one(&vec![x; k], &mut scratch, &mut out);
                }
            }
        }
    }
}

/// One edit of a fixture file, and what the error must say: `at` is the exact place for
/// XGBoost and the start of it for LightGBM (the line), `message` a part of the message.
struct Edit {
    file: &'static str,
    from: &'static str,
    to: &'static str,
    at: &'static str,
    message: &'static str,
}

const fn edit(
    file: &'static str,
    from: &'static str,
    to: &'static str,
    at: &'static str,
    message: &'static str,
) -> Edit {
    Edit {
        file,
        from,
        to,
        at,
        message,
    }
}

const TREE0: &str = "learner.gradient_booster.model.trees[0]";

const XGBOOST_EDITS: &[Edit] = &[
    edit(
        "xgb_reg_depth1.json",
        r#""reg:squarederror""#,
        r#""count:poisson""#,
        "learner.objective.name",
        "unsupported objective \"count:poisson\"",
    ),
    edit(
        "xgb_reg_depth1.json",
        r#""name":"gbtree""#,
        r#""name":"dart""#,
        "learner.gradient_booster.name",
        "\"dart\" is not supported",
    ),
    edit(
        "xgb_reg_depth1.json",
        r#""size_leaf_vector":"1""#,
        r#""size_leaf_vector":"3""#,
        "learner.gradient_booster.model.trees[0].tree_param.size_leaf_vector",
        "vector leaves",
    ),
    edit(
        "xgb_binary.json",
        r#""base_score":"[5.044444E-1]""#,
        r#""base_score":"[1.5E0]""#,
        "learner.learner_model_param.base_score",
        "not a probability",
    ),
    edit(
        "xgb_reg_depth1.json",
        r#""split_indices":[1,"#,
        r#""split_indices":[7,"#,
        TREE0,
        "feature 7, but the model has 6 features",
    ),
    edit(
        "xgb_reg_depth1.json",
        r#""num_feature":"6","num_target""#,
        r#""num_feature":"5","num_target""#,
        "learner.feature_names",
        "6 names for 5 features",
    ),
    edit(
        "xgb_reg_depth1.json",
        r#""left_children":[1,"#,
        r#""left_children":[0,"#,
        TREE0,
        "reached twice",
    ),
    edit(
        "xgb_reg_depth1.json",
        r#""left_children":[1,"#,
        r#""left_children":[9,"#,
        "learner.gradient_booster.model.trees[0].left_children[0]",
        "not a node",
    ),
    edit(
        "xgb_reg_depth1.json",
        r#""default_left":[1,"#,
        r#""default_left":["yes","#,
        "learner.gradient_booster.model.trees[0].default_left[0]",
        "expected an integer, found \"yes\"",
    ),
    edit(
        "xgb_softprob3.json",
        r#""tree_info":[0,"#,
        r#""tree_info":[3,"#,
        "learner.gradient_booster.model.tree_info[0]",
        "not in 0..=2",
    ),
    edit(
        "xgb_reg_depth1.json",
        r#""iteration_indptr":[0,1,"#,
        r#""iteration_indptr":[0,3,"#,
        "learner.gradient_booster.model.iteration_indptr",
        "must rise",
    ),
];

const LIGHTGBM_EDITS: &[Edit] = &[
    edit(
        "lgb_depth1.txt",
        "objective=regression",
        "objective=poisson",
        "line 7 ",
        "unsupported objective \"poisson\"",
    ),
    edit(
        "lgb_depth1.txt",
        "objective=regression",
        "objective=regression sqrt",
        "line 7 ",
        "reg_sqrt",
    ),
    edit(
        "lgb_depth1.txt",
        "\nfeature_names=",
        "\naverage_output\nfeature_names=",
        "line 8 ",
        "random forest",
    ),
    edit(
        "lgb_depth1.txt",
        "is_linear=0",
        "is_linear=1",
        "line ",
        "linear trees",
    ),
    edit(
        "lgb_depth1.txt",
        "decision_type=8",
        "decision_type=12",
        "line ",
        "missing type 3",
    ),
    edit(
        "lgb_depth1.txt",
        "split_feature=5",
        "split_feature=6",
        "line ",
        "feature 6",
    ),
    edit(
        "lgb_depth1.txt",
        "num_leaves=2",
        "num_leaves=3",
        "line ",
        "2 entries, expected 3",
    ),
    edit(
        "lgb_depth1.txt",
        "left_child=-1",
        "left_child=-7",
        "line ",
        "child -7",
    ),
    edit(
        "lgb_multiclass3.txt",
        "num_class=3",
        "num_class=2",
        "line ",
        "num_class=2",
    ),
    edit(
        "lgb_cat_reg.txt",
        "cat_boundaries=0 ",
        "cat_boundaries=1 ",
        "line ",
        "rise from 0",
    ),
    edit(
        "lgb_depth1.txt",
        "end of parameters",
        "end of param",
        "line ",
        "truncated",
    ),
];

#[test]
fn unsupported_and_inconsistent_models_name_what_and_where() {
    for (e, xgboost) in XGBOOST_EDITS
        .iter()
        .map(|e| (e, true))
        .chain(LIGHTGBM_EDITS.iter().map(|e| (e, false)))
    {
        let t = text(e.file);
        assert!(t.contains(e.from), "{} has no {:?}", e.file, e.from);
        let edited = t.replacen(e.from, e.to, 1);
        let r = if xgboost {
            GbdtModel::from_xgboost_json(edited.as_bytes())
        } else {
            GbdtModel::from_lightgbm_text(&edited)
        };
        let (at, message) = import_error(r);
        let place_ok = if xgboost {
            at == e.at
        } else {
            at.starts_with(e.at)
        };
        assert!(
            place_ok,
            "{} {:?}: at {at:?}, expected {:?}",
            e.file, e.to, e.at
        );
        assert!(
            message.contains(e.message),
            "{} {:?}: {message:?} lacks {:?}",
            e.file,
            e.to,
            e.message
        );
    }
    assert!(GbdtModel::from_lightgbm_text("").is_err());
    assert!(GbdtModel::from_lightgbm_text("booster\n").is_err());
}

#[test]
fn load_chooses_by_extension_and_names_the_file_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("model.bin");
    std::fs::write(&p, b"{}").unwrap();
    let (at, msg) = import_error(GbdtModel::load(&p));
    assert!(
        at.ends_with("model.bin") && msg.contains("extension"),
        "{at}: {msg}"
    );
    let missing = GbdtModel::load(&dir.path().join("absent.json")).unwrap_err();
    assert!(
        matches!(missing, PipelineError::ModelFileIo { .. }),
        "{missing:?}"
    );
    assert!(missing.is_model_file());
}

#[test]
fn truncate_takes_whole_iterations_only() {
    let m = GbdtModel::load(&fixture("xgb_softprob3.json")).unwrap();
    assert_eq!((m.n_trees(), m.n_iterations()), (90, 30));
    assert!(matches!(
        m.clone().truncate(0),
        Err(PipelineError::InvalidSetting {
            name: "iterations",
            ..
        })
    ));
    assert!(m.clone().truncate(31).is_err());
    assert_eq!(m.truncate(30).unwrap().iterations_used(), 30);
}

#[test]
fn a_best_iteration_beyond_the_trees_is_dropped_not_trusted() {
    let t = text("xgb_binary.json");
    let m = GbdtModel::from_xgboost_json(t.as_bytes()).unwrap();
    assert_eq!(m.best_iteration(), Some(53));
    let edited = t.replacen(r#""best_iteration":"53""#, r#""best_iteration":"99""#, 1);
    let m = GbdtModel::from_xgboost_json(edited.as_bytes()).unwrap();
    assert_eq!((m.best_iteration(), m.n_iterations()), (None, 59));
}

/// Numbers at the edge of their types, where an unchecked `+ 1` would overflow.
#[test]
fn extreme_counts_are_errors_not_overflows() {
    let t = text("lgb_cat_binary.txt");
    for (from, to) in [
        ("max_feature_idx=5", "max_feature_idx=9223372036854775807"),
        ("num_cat=0", "num_cat=18446744073709551615"),
        ("num_leaves=6", "num_leaves=18446744073709551615"),
    ] {
        assert!(t.contains(from), "{from}");
        let r = GbdtModel::from_lightgbm_text(&t.replacen(from, to, 1));
        assert!(
            matches!(r, Err(PipelineError::ModelImport { .. })),
            "{to}: {r:?}"
        );
    }
}
