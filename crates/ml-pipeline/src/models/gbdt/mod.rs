//! Gradient-boosted tree ensembles imported from XGBoost (JSON, UBJSON) and LightGBM
//! (text), compiled into a flat node array at load, predicting exactly what each library's
//! own `predict` returns, without allocating per row.
//!
//! | module | holds |
//! |---|---|
//! | `model` | [`GbdtModel`] and its [`Predict`](crate::Predict) implementation |
//! | `compiled` | the flat pre-order node list importers build |
//! | `packed` | its walk form: 8-byte integer nodes, rows turned into threshold ranks |
//! | `objective` | link functions in each library's precision |
//! | `xgboost`, `lightgbm` | each library's model into a [`GbdtModel`], with its rules |
//! | `value`, `json`, `ubjson` | XGBoost's documents: one tree for both encodings |
//! | `train` | the histogram GBDT trainer ([`GbdtParams`]) and the XGBoost JSON export |
//!
//! To save one in a model file, or serve it in `IntegratedMlPipeline`, wrap it with the file it
//! came from: [`SavedGbdt`](crate::SavedGbdt) (a `GbdtModel` alone keeps no source to save).
//!
//! ```
//! use ml_pipeline::models::GbdtModel;
//! use ml_pipeline::{Output, Predict};
//!
//! let text = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n\
//!     max_feature_idx=0\nobjective=regression\nfeature_names=x\n\nTree=0\nnum_leaves=2\n\
//!     num_cat=0\nsplit_feature=0\nthreshold=0.5\ndecision_type=2\nleft_child=-1\n\
//!     right_child=-2\nleaf_value=1 2\n\nend of trees\n";
//! let model = GbdtModel::from_lightgbm_text(text)?;
//! assert_eq!(model.output(), Output::Value);
//! let (mut scratch, mut out) = (vec![0.0; model.scratch_len()], [0.0]);
//! model.predict_one(&[0.5], &mut scratch, &mut out);
//! assert_eq!(out[0], 1.0);
//! # Ok::<(), ml_pipeline::PipelineError>(())
//! ```

mod compiled;
mod json;
mod lightgbm;
mod model;
mod objective;
mod packed;
mod perfect;
mod train;
mod ubjson;
mod value;
mod walkers;
mod xgboost;

pub use model::{GbdtModel, Library};
pub use train::{
    GbdtDataset, GbdtDatasetBuilder, GbdtParams, Growth, Objective, TrainExtras, TrainPhases,
    TrainedGbdt, Validation,
};

use crate::error::{PipelineError, Result};
use std::path::Path;

/// The top-level keys of a JSON document that is an object, or `None` when `bytes` is not
/// one. Read with the importer's own parser, which accepts what XGBoost writes (`NaN`,
/// `Infinity`), so an XGBoost model (with `learner`) can be told from other JSON model files.
pub(crate) fn json_top_level_keys(bytes: &[u8]) -> Option<Vec<String>> {
    match json::parse(bytes).ok()? {
        value::Value::Object(members) => {
            Some(members.into_iter().map(|(k, _)| k.into_owned()).collect())
        }
        _ => None,
    }
}

impl GbdtModel {
    /// An XGBoost model saved as JSON (`Booster.save_model("m.json")`, XGBoost 1.7 to 3.x).
    ///
    /// # Errors
    /// [`PipelineError::ModelImport`] naming the line and column of a syntax error, or the
    /// field path of a missing, mistyped, inconsistent or unsupported value (objective,
    /// booster, vector leaves).
    pub fn from_xgboost_json(bytes: &[u8]) -> Result<Self> {
        xgboost::import(&json::parse(bytes)?, "XGBoost JSON")
    }

    /// An XGBoost model saved as UBJSON (`Booster.save_model("m.ubj")`).
    ///
    /// # Errors
    /// As [`from_xgboost_json`](Self::from_xgboost_json); syntax errors name the byte.
    pub fn from_xgboost_ubjson(bytes: &[u8]) -> Result<Self> {
        xgboost::import(&ubjson::parse(bytes)?, "XGBoost UBJSON")
    }

    /// A LightGBM model saved as text (`Booster.save_model("m.txt")`, LightGBM 3.x, 4.x).
    ///
    /// # Errors
    /// [`PipelineError::ModelImport`] naming the line and tree of what is missing,
    /// malformed or unsupported.
    pub fn from_lightgbm_text(text: &str) -> Result<Self> {
        lightgbm::import(text)
    }

    /// Reads a model file, choosing the format by extension: `.json`, `.ubj` (XGBoost),
    /// `.txt` (LightGBM).
    ///
    /// # Errors
    /// [`PipelineError::ModelFileIo`] when the file cannot be read;
    /// [`PipelineError::ModelImport`] for another extension or a bad model.
    pub fn load(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let bytes = std::fs::read(path).map_err(|e| PipelineError::ModelFileIo {
            path: path.to_path_buf(),
            action: "read",
            message: e.to_string(),
        })?;
        match ext.as_deref() {
            Some("json") => Self::from_xgboost_json(&bytes),
            Some("ubj") => Self::from_xgboost_ubjson(&bytes),
            Some("txt") => {
                let text = std::str::from_utf8(&bytes).map_err(|e| PipelineError::ModelImport {
                    format: "LightGBM text",
                    at: format!("byte {}", e.valid_up_to()),
                    message: "not UTF-8 text".into(),
                })?;
                Self::from_lightgbm_text(text)
            }
            _ => Err(PipelineError::ModelImport {
                format: "tree ensemble",
                at: path.display().to_string(),
                message: "unknown extension: expected .json or .ubj (XGBoost) or .txt (LightGBM)"
                    .into(),
            }),
        }
    }
}
