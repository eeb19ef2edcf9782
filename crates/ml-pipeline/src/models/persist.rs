//! Saving and loading models: versioned, human-readable JSON, checked on load.
//!
//! A file holds a chain: the input column names, fitted transforms applied in order
//! ([`Stage`]: scaler, PCA, column selection), then the fitted model ([`Model`]: ridge,
//! logistic, an imported tree ensemble). Each stage and model is a [`Transform`] or
//! [`Predict`] of its own, so a new kind joins files, the pipeline and `mlp predict` by
//! adding its variant here and nothing else.
//!
//! A tree ensemble ([`Model::Gbdt`]) is kept as the library's own file and imported again
//! on load (`saved_gbdt` gives why). It is a new `kind` within format version 2, not a new
//! version: files without one are unchanged, so earlier builds still read every file they
//! could; an earlier build given a file with a tree model reports the unknown kind `gbdt`.

use super::linear::LinearModel;
use super::logistic::LogisticModel;
use super::pca::PcaModel;
use super::saved_gbdt::SavedGbdt;
use super::scaler::ScalerModel;
use super::select::ColumnSelect;
use super::softmax::SoftmaxModel;
use crate::error::{PipelineError, Result};
use crate::traits::{Output, Predict, Transform};
use fast_math::{MatRef, Par};
use serde::{Deserialize, Serialize};
use simd_kernels::Isa;
use std::path::Path;

/// The `format` field every model file carries.
pub const MODEL_FORMAT: &str = "ml-pipeline-model";
/// The format version this build writes; it reads every version from 1 to this one.
///
/// Version 1 held the scaler and PCA as the optional fields `scaler` and `pca`; version 2
/// holds them as the list `stages`. Tree models (`"kind": "gbdt"`) and selection stages
/// (`"kind": "select"`) were added to version 2 as new kinds, without a new version: a file
/// without them is byte for byte what earlier builds wrote and read.
pub const MODEL_VERSION: u32 = 2;

/// A fitted transform in a model file's chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stage {
    /// Standardization (scikit-learn's `StandardScaler`).
    StandardScaler(ScalerModel),
    /// Projection onto principal components.
    Pca(PcaModel),
    /// Columns picked by position (a model reading some of its inputs, in its order).
    Select(ColumnSelect),
}

impl Stage {
    fn as_transform(&self) -> &dyn Transform {
        match self {
            Stage::StandardScaler(s) => s,
            Stage::Pca(p) => p,
            Stage::Select(c) => c,
        }
    }

    fn validate(&self, field: &str, k: usize) -> Result<()> {
        match self {
            Stage::StandardScaler(s) => s.validate(field, k),
            Stage::Pca(p) => p.validate(field, k),
            Stage::Select(c) => c.validate(field, k),
        }
    }
}

impl Transform for Stage {
    fn n_features(&self) -> usize {
        self.as_transform().n_features()
    }

    fn n_outputs(&self) -> usize {
        self.as_transform().n_outputs()
    }

    fn scratch_len(&self) -> usize {
        self.as_transform().scratch_len()
    }

    #[inline]
    fn transform_one_with(&self, isa: Isa, x: &[f64], scratch: &mut [f64], out: &mut [f64]) {
        match self {
            Stage::StandardScaler(s) => s.transform_one_with(isa, x, scratch, out),
            Stage::Pca(p) => p.transform_one_with(isa, x, scratch, out),
            Stage::Select(c) => c.transform_one_with(isa, x, scratch, out),
        }
    }
}

/// A trained model, the last link of a model file's chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Model {
    /// Ridge regression.
    Ridge(LinearModel),
    /// Logistic regression.
    Logistic(LogisticModel),
    /// Multinomial (softmax) logistic regression.
    Softmax(SoftmaxModel),
    /// A gradient-boosted tree ensemble imported from XGBoost or LightGBM (boxed: it is
    /// much larger than the linear models).
    Gbdt(Box<SavedGbdt>),
}

impl Model {
    /// The linear part of a linear model (the log-odds for logistic models).
    pub fn linear(&self) -> Option<&LinearModel> {
        match self {
            Model::Ridge(m) => Some(m),
            Model::Logistic(m) => Some(&m.linear),
            Model::Softmax(_) | Model::Gbdt(_) => None,
        }
    }

    fn as_predict(&self) -> &(dyn Predict + Sync) {
        match self {
            Model::Ridge(m) => m,
            Model::Logistic(m) => m,
            Model::Softmax(m) => m,
            Model::Gbdt(m) => &**m,
        }
    }

    fn validate(&self, k: usize) -> Result<()> {
        match self {
            Model::Ridge(m) => m.validate("model", k),
            Model::Logistic(m) => m.linear.validate("model", k),
            Model::Softmax(m) => m.validate("model", k),
            Model::Gbdt(m) if m.n_features() != k => Err(PipelineError::content(
                "model",
                format!(
                    "the tree model reads {} features, the chain before it gives {k}",
                    m.n_features()
                ),
            )),
            Model::Gbdt(_) => Ok(()),
        }
    }
}

impl Predict for Model {
    fn n_features(&self) -> usize {
        self.as_predict().n_features()
    }

    fn output(&self) -> Output {
        self.as_predict().output()
    }

    fn scratch_len(&self) -> usize {
        self.as_predict().scratch_len()
    }

    #[inline]
    fn predict_one_with(&self, isa: Isa, x: &[f64], scratch: &mut [f64], out: &mut [f64]) {
        match self {
            Model::Ridge(m) => m.predict_one_with(isa, x, scratch, out),
            Model::Logistic(m) => m.predict_one_with(isa, x, scratch, out),
            Model::Softmax(m) => m.predict_one_with(isa, x, scratch, out),
            Model::Gbdt(m) => m.predict_one_with(isa, x, scratch, out),
        }
    }

    fn predict_into(&self, x: MatRef<'_, f64>, out: &mut [f64], par: Par) {
        self.as_predict().predict_into(x, out, par);
    }
}

/// What a model file holds: the names of the input columns, the fitted transforms applied
/// to them in order, and the model. Floats round-trip bit for bit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedModel {
    /// Always [`MODEL_FORMAT`].
    pub format: String,
    /// The version of the format ([`MODEL_VERSION`] when written by this build).
    pub version: u32,
    /// Input column names, in the order the model reads them.
    pub feature_names: Vec<String>,
    /// Transforms applied to the inputs first, in order.
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// The model, reading the last stage's outputs.
    pub model: Model,
}

/// The layout of version 1 files, read and converted to the current one. The model is read
/// apart (see [`model_from_value`]).
#[derive(Deserialize)]
struct SavedModelV1 {
    feature_names: Vec<String>,
    #[serde(default)]
    scaler: Option<ScalerModel>,
    #[serde(default)]
    pca: Option<PcaModel>,
    model: serde_json::Value,
}

/// The layout of version 2 files, the model read apart.
#[derive(Deserialize)]
struct SavedModelV2 {
    feature_names: Vec<String>,
    #[serde(default)]
    stages: Vec<Stage>,
    model: serde_json::Value,
}

/// A model file's `model` object. A tree model goes through [`SavedGbdt::from_json_value`],
/// whose errors name the field and the place in the embedded library file (serde's
/// derived path would reduce them to text); the others through serde.
fn model_from_value(v: serde_json::Value) -> Result<Model> {
    if v.get("kind").and_then(|k| k.as_str()) == Some("gbdt") {
        return Ok(Model::Gbdt(Box::new(SavedGbdt::from_json_value(&v)?)));
    }
    serde_json::from_value(v).map_err(|e| PipelineError::content("model", e.to_string()))
}

impl SavedModel {
    /// Wraps a model and the transforms before it for saving.
    pub fn new(feature_names: Vec<String>, stages: Vec<Stage>, model: Model) -> Self {
        SavedModel {
            format: MODEL_FORMAT.into(),
            version: MODEL_VERSION,
            feature_names,
            stages,
            model,
        }
    }

    /// A tree ensemble reading its inputs by its own feature names, with no stage before it.
    pub fn gbdt(model: SavedGbdt) -> Self {
        let names = model.model().feature_names().to_vec();
        SavedModel::new(names, vec![], Model::Gbdt(Box::new(model)))
    }

    /// The model reading its inputs from columns named `inputs`: when the model's own
    /// input names differ (another order, a subset), a [`Stage::Select`] picks them by name
    /// first. What the pipeline does to serve a model on its feature columns.
    ///
    /// # Errors
    /// [`PipelineError::MissingFeature`] naming the first input of the model that `inputs`
    /// lacks.
    pub fn reading(mut self, inputs: &[String]) -> Result<Self> {
        if self.feature_names == inputs {
            return Ok(self);
        }
        let select = ColumnSelect::by_name(inputs, &self.feature_names)?;
        self.stages.insert(0, Stage::Select(select));
        self.feature_names = inputs.to_vec();
        Ok(self)
    }

    /// The tree ensemble, if the model is one.
    pub fn tree_model(&self) -> Option<&SavedGbdt> {
        match &self.model {
            Model::Gbdt(g) => Some(g),
            _ => None,
        }
    }

    /// The fitted scaler, if the chain has one.
    pub fn scaler(&self) -> Option<&ScalerModel> {
        self.stages.iter().find_map(|s| match s {
            Stage::StandardScaler(s) => Some(s),
            _ => None,
        })
    }

    /// The fitted PCA, if the chain has one.
    pub fn pca(&self) -> Option<&PcaModel> {
        self.stages.iter().find_map(|s| match s {
            Stage::Pca(p) => Some(p),
            _ => None,
        })
    }

    /// Pretty JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a model of finite numbers always serializes")
    }

    /// Parses and checks JSON text (any format version from 1 to [`MODEL_VERSION`]).
    ///
    /// # Errors
    /// [`PipelineError::ModelFileSyntax`] for malformed JSON (with its line and column);
    /// [`PipelineError::ModelVersion`] for another format version;
    /// [`PipelineError::ModelFileContent`] naming the field for a missing field, a wrong
    /// `format`, non-finite coefficients, or sizes that disagree (each stage must read the
    /// previous one's outputs, the first one the named features).
    pub fn from_json(text: &str) -> Result<Self> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| PipelineError::ModelFileSyntax {
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(MODEL_FORMAT) => {}
            other => {
                return Err(PipelineError::content(
                    "format",
                    format!("is {other:?}, expected {MODEL_FORMAT:?}"),
                ))
            }
        }
        let version = value
            .get("version")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| PipelineError::content("version", "missing or not an integer"))?;
        let content = |e: serde_json::Error| PipelineError::content("(file)", e.to_string());
        let saved = match version {
            1 => {
                let v1: SavedModelV1 = serde_json::from_value(value).map_err(content)?;
                let stages = v1
                    .scaler
                    .map(Stage::StandardScaler)
                    .into_iter()
                    .chain(v1.pca.map(Stage::Pca))
                    .collect();
                SavedModel::new(v1.feature_names, stages, model_from_value(v1.model)?)
            }
            v if v == u64::from(MODEL_VERSION) => {
                let v2: SavedModelV2 = serde_json::from_value(value).map_err(content)?;
                SavedModel::new(v2.feature_names, v2.stages, model_from_value(v2.model)?)
            }
            found => {
                return Err(PipelineError::ModelVersion {
                    found: found.min(u64::from(u32::MAX)) as u32,
                    supported: MODEL_VERSION,
                })
            }
        };
        saved.validate()?;
        Ok(saved)
    }

    /// Every stage reads what the one before it writes; every value is finite.
    fn validate(&self) -> Result<()> {
        let mut width = self.feature_names.len();
        for (i, stage) in self.stages.iter().enumerate() {
            stage.validate(&format!("stages[{i}]"), width)?;
            width = stage.n_outputs();
        }
        self.model.validate(width)
    }

    /// Writes the model to `path` through a temporary file and a rename, so a failure never
    /// leaves a partial file behind.
    ///
    /// # Errors
    /// [`PipelineError::ModelFileIo`] naming the path on an I/O failure.
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::io::write_atomically(path, self.to_json().as_bytes())
    }

    /// Reads and checks a model file.
    ///
    /// # Errors
    /// As [`from_json`](Self::from_json), plus [`PipelineError::ModelFileIo`] when the file
    /// cannot be read.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| PipelineError::ModelFileIo {
            path: path.to_path_buf(),
            action: "read",
            message: e.to_string(),
        })?;
        Self::from_json(&text)
    }
}

impl Predict for SavedModel {
    fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    fn output(&self) -> Output {
        self.model.output()
    }

    /// Each stage's outputs and workspace, then the model's workspace.
    fn scratch_len(&self) -> usize {
        let stages: usize = self
            .stages
            .iter()
            .map(|s| s.n_outputs() + s.scratch_len())
            .sum();
        stages + self.model.scratch_len()
    }

    /// Runs the chain on one row of raw inputs (in `feature_names` order): each stage
    /// writes its outputs into the scratch, the next reads them, the model reads the last.
    /// No allocation.
    #[inline]
    fn predict_one_with(&self, isa: Isa, x: &[f64], scratch: &mut [f64], out: &mut [f64]) {
        assert_eq!(
            x.len(),
            self.feature_names.len(),
            "model: {} values for {} features",
            x.len(),
            self.feature_names.len()
        );
        assert!(
            scratch.len() >= self.scratch_len(),
            "model: scratch of {} values, needs {}",
            scratch.len(),
            self.scratch_len()
        );
        let mut input = x;
        let mut rest = scratch;
        for stage in &self.stages {
            let (outputs, tail) = std::mem::take(&mut rest).split_at_mut(stage.n_outputs());
            let (work, tail) = tail.split_at_mut(stage.scratch_len());
            stage.transform_one_with(isa, input, work, outputs);
            input = outputs;
            rest = tail;
        }
        self.model.predict_one_with(isa, input, rest, out);
    }
}
