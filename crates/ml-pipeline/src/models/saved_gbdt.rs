//! Tree ensembles in model files: [`SavedGbdt`].
//!
//! A [`GbdtModel`] is compiled at import into a node layout made for traversal, not for
//! storage, and it has no serde form. A model file therefore keeps the library's own file,
//! byte for byte, with the settings applied to it (iterations used, raw margins), and every
//! load imports it again, so a file read back has passed every check of the importer, and
//! XGBoost's numbers stay as written (each float32 is parsed once from its decimal text;
//! re-encoding them would need a second reader with checks of its own). Text sources (XGBoost
//! JSON, LightGBM text) are stored as a JSON string, readable in the file; UBJSON, or text
//! that is not UTF-8, as base64:
//!
//! ```json
//! "model": {"kind": "gbdt", "source_format": "lightgbm_text",
//!           "source": "tree\nversion=v4\n...", "iterations": 40, "raw_margin": false}
//! ```

use super::gbdt::GbdtModel;
use crate::error::{PipelineError, Result};
use crate::traits::{Output, Predict};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use fast_math::{MatRef, Par};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use simd_kernels::Isa;
use std::borrow::Cow;
use std::path::Path;

/// The library file a tree model was imported from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GbdtFormat {
    /// XGBoost's JSON (`Booster.save_model("m.json")`).
    XgboostJson,
    /// XGBoost's UBJSON (`Booster.save_model("m.ubj")`).
    XgboostUbjson,
    /// LightGBM's text (`Booster.save_model("m.txt")`).
    LightgbmText,
}

impl GbdtFormat {
    /// The format a file's extension names: `.json`, `.ubj`, `.txt` (any case).
    pub fn from_extension(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(GbdtFormat::XgboostJson),
            "ubj" => Some(GbdtFormat::XgboostUbjson),
            "txt" => Some(GbdtFormat::LightgbmText),
            _ => None,
        }
    }

    /// Imports `bytes` with this format's importer.
    fn import(self, bytes: &[u8]) -> Result<GbdtModel> {
        match self {
            GbdtFormat::XgboostJson => GbdtModel::from_xgboost_json(bytes),
            GbdtFormat::XgboostUbjson => GbdtModel::from_xgboost_ubjson(bytes),
            GbdtFormat::LightgbmText => {
                let text = std::str::from_utf8(bytes).map_err(|e| PipelineError::ModelImport {
                    format: "LightGBM text",
                    at: format!("byte {}", e.valid_up_to()),
                    message: "not UTF-8 text".into(),
                })?;
                GbdtModel::from_lightgbm_text(text)
            }
        }
    }
}

/// An imported tree ensemble together with the file it came from, so it can be saved in a
/// model file ([`Model::Gbdt`](super::Model::Gbdt)) and read back (imported again, see the module's docs).
#[derive(Clone, Debug, PartialEq)]
pub struct SavedGbdt {
    format: GbdtFormat,
    source: Vec<u8>,
    /// Iterations kept by [`truncate`](Self::truncate); `None` for all.
    iterations: Option<usize>,
    model: GbdtModel,
}

impl SavedGbdt {
    /// Imports a library's model file from its bytes.
    ///
    /// # Errors
    /// The importer's [`PipelineError::ModelImport`].
    pub fn import(format: GbdtFormat, source: Vec<u8>) -> Result<Self> {
        let model = format.import(&source)?;
        Ok(SavedGbdt {
            format,
            source,
            iterations: None,
            model,
        })
    }

    /// Reads and imports a library's model file, its format chosen by extension (`.json`,
    /// `.ubj` for XGBoost, `.txt` for LightGBM).
    ///
    /// # Errors
    /// [`PipelineError::ModelFileIo`] when the file cannot be read;
    /// [`PipelineError::ModelImport`] for another extension or a bad model.
    pub fn load(path: &Path) -> Result<Self> {
        let format = GbdtFormat::from_extension(path).ok_or_else(|| unknown_format(path))?;
        Self::import(format, read(path)?)
    }

    /// The model using only its first `n` iterations (see [`GbdtModel::truncate`]); saved
    /// with it.
    ///
    /// # Errors
    /// [`PipelineError::InvalidSetting`] unless `1 <= n <=` the model's iterations.
    pub fn truncate(mut self, n: usize) -> Result<Self> {
        self.model = self.model.truncate(n)?;
        self.iterations = Some(n);
        Ok(self)
    }

    /// The model predicting raw margins, or not (see [`GbdtModel::with_raw_margin`]); saved
    /// with it.
    pub fn with_raw_margin(mut self, raw: bool) -> Self {
        self.model = self.model.with_raw_margin(raw);
        self
    }

    /// The imported model.
    pub fn model(&self) -> &GbdtModel {
        &self.model
    }

    /// The format of the library's file.
    pub fn format(&self) -> GbdtFormat {
        self.format
    }

    /// The library's file, byte for byte.
    pub fn source(&self) -> &[u8] {
        &self.source
    }

    /// The iterations [`truncate`](Self::truncate) kept, if it was called.
    pub fn kept_iterations(&self) -> Option<usize> {
        self.iterations
    }

    /// The record a model file holds.
    fn record(&self) -> GbdtRecord<'_> {
        let text = match self.format {
            GbdtFormat::XgboostUbjson => None,
            _ => std::str::from_utf8(&self.source).ok(),
        };
        GbdtRecord {
            source_format: self.format,
            source: text.map(Cow::Borrowed),
            source_base64: text
                .is_none()
                .then(|| Cow::Owned(BASE64.encode(&self.source))),
            iterations: self.iterations,
            raw_margin: self.model.is_raw_margin(),
        }
    }

    /// Imports a model file's record, with errors naming its fields (`model.source`, ...).
    fn from_record(rec: GbdtRecord<'_>) -> Result<Self> {
        let (field, source) = match (rec.source, rec.source_base64) {
            (Some(text), None) => ("model.source", text.into_owned().into_bytes()),
            (None, Some(b64)) => {
                let bytes = BASE64.decode(b64.as_bytes()).map_err(|e| {
                    PipelineError::content("model.source_base64", format!("not base64: {e}"))
                })?;
                ("model.source_base64", bytes)
            }
            (Some(_), Some(_)) => {
                return Err(PipelineError::content(
                    "model.source",
                    "both source and source_base64 are given; a tree model has one source",
                ))
            }
            (None, None) => {
                return Err(PipelineError::content(
                    "model.source",
                    "missing (a tree model needs source or source_base64)",
                ))
            }
        };
        let saved = Self::import(rec.source_format, source).map_err(|e| match e {
            PipelineError::ModelImport {
                format,
                at,
                message,
            } => PipelineError::ModelImport {
                format,
                at: format!("{field}, {at}"),
                message,
            },
            other => other,
        })?;
        let saved = match rec.iterations {
            None => saved,
            Some(n) => saved
                .truncate(n)
                .map_err(|e| PipelineError::content("model.iterations", e.to_string()))?,
        };
        Ok(saved.with_raw_margin(rec.raw_margin))
    }

    /// Reads a model file's `model` object holding a tree model, with typed errors.
    pub(crate) fn from_json_value(v: &serde_json::Value) -> Result<Self> {
        let rec = GbdtRecord::deserialize(v)
            .map_err(|e| PipelineError::content("model", e.to_string()))?;
        Self::from_record(rec)
    }
}

/// A tree model's fields in a model file (besides `"kind": "gbdt"`).
#[derive(Serialize, Deserialize)]
struct GbdtRecord<'a> {
    source_format: GbdtFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_base64: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iterations: Option<usize>,
    #[serde(default)]
    raw_margin: bool,
}

impl Serialize for SavedGbdt {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.record().serialize(s)
    }
}

impl<'de> Deserialize<'de> for SavedGbdt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let rec = GbdtRecord::deserialize(d)?;
        Self::from_record(rec).map_err(serde::de::Error::custom)
    }
}

impl Predict for SavedGbdt {
    fn n_features(&self) -> usize {
        self.model.n_features()
    }

    fn output(&self) -> Output {
        self.model.output()
    }

    fn scratch_len(&self) -> usize {
        self.model.scratch_len()
    }

    #[inline]
    fn predict_one_with(&self, isa: Isa, x: &[f64], scratch: &mut [f64], out: &mut [f64]) {
        self.model.predict_one_with(isa, x, scratch, out);
    }

    fn predict_into(&self, x: MatRef<'_, f64>, out: &mut [f64], par: Par) {
        self.model.predict_into(x, out, par);
    }
}

pub(super) fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| PipelineError::ModelFileIo {
        path: path.to_path_buf(),
        action: "read",
        message: e.to_string(),
    })
}

pub(super) fn unknown_format(path: &Path) -> PipelineError {
    PipelineError::ModelImport {
        format: "unrecognized",
        at: path.display().to_string(),
        message: "neither the content nor the extension tells the format: expected a model \
                  file of this project (JSON with a \"format\" field), an XGBoost model (.json \
                  with \"learner\", or .ubj) or a LightGBM text model (.txt)"
            .into(),
    }
}
