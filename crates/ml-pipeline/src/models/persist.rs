//! Saving and loading models: versioned, human-readable JSON, checked on load.

use super::linear::LinearModel;
use super::logistic::LogisticModel;
use super::pca::PcaModel;
use super::scaler::StandardScaler;
use crate::error::{PipelineError, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The `format` field every model file carries.
pub const MODEL_FORMAT: &str = "ml-pipeline-model";
/// The format version this build writes and reads.
pub const MODEL_VERSION: u32 = 1;

/// A trained model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Model {
    /// Ridge regression.
    Ridge(LinearModel),
    /// Logistic regression.
    Logistic(LogisticModel),
}

impl Model {
    /// The linear part (the log-odds for logistic models).
    pub fn linear(&self) -> &LinearModel {
        match self {
            Model::Ridge(m) => m,
            Model::Logistic(m) => &m.linear,
        }
    }
}

/// What a model file holds: the model, the names of the input columns it reads, and an
/// optional scaler applied before it. Floats round-trip bit for bit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedModel {
    /// Always [`MODEL_FORMAT`].
    pub format: String,
    /// The version of the format ([`MODEL_VERSION`] when written by this build).
    pub version: u32,
    /// Input column names, in the order the model reads them.
    pub feature_names: Vec<String>,
    /// Standardization applied to inputs first.
    #[serde(default)]
    pub scaler: Option<StandardScaler>,
    /// Projection onto principal components applied after the scaler; the model then reads
    /// the component scores.
    #[serde(default)]
    pub pca: Option<PcaModel>,
    /// The model.
    pub model: Model,
}

impl SavedModel {
    /// Wraps a model for saving.
    pub fn new(feature_names: Vec<String>, scaler: Option<StandardScaler>, model: Model) -> Self {
        SavedModel {
            format: MODEL_FORMAT.into(),
            version: MODEL_VERSION,
            feature_names,
            scaler,
            pca: None,
            model,
        }
    }

    /// Adds a PCA projection between the scaler and the model.
    pub fn with_pca(mut self, pca: PcaModel) -> Self {
        self.pca = Some(pca);
        self
    }

    /// Length of the scratch slice [`predict_one`](Self::predict_one) needs: the features,
    /// plus the component scores when there is a PCA.
    pub fn scratch_len(&self) -> usize {
        self.feature_names.len() + self.pca.as_ref().map_or(0, PcaModel::n_components)
    }

    /// Pretty JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a model of finite numbers always serializes")
    }

    /// Parses and checks JSON text.
    ///
    /// # Errors
    /// [`PipelineError::ModelVersion`] for another format version; [`PipelineError::ModelFile`]
    /// for malformed JSON, a missing field, a wrong `format`, non-finite coefficients, or
    /// sizes that disagree (names, scaler and coefficients must have one entry per feature).
    pub fn from_json(text: &str) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| PipelineError::ModelFile(format!("not valid JSON: {e}")))?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(MODEL_FORMAT) => {}
            other => {
                return Err(PipelineError::ModelFile(format!(
                    "format is {other:?}, expected {MODEL_FORMAT:?}"
                )))
            }
        }
        let version = value
            .get("version")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| PipelineError::ModelFile("missing or non-integer \"version\"".into()))?;
        if version != u64::from(MODEL_VERSION) {
            return Err(PipelineError::ModelVersion {
                found: version.min(u64::from(u32::MAX)) as u32,
                supported: MODEL_VERSION,
            });
        }
        let saved: SavedModel =
            serde_json::from_value(value).map_err(|e| PipelineError::ModelFile(e.to_string()))?;
        saved.validate()?;
        Ok(saved)
    }

    fn validate(&self) -> Result<()> {
        let k = self.feature_names.len();
        let lin = self.model.linear();
        let inputs = match &self.pca {
            Some(p) => {
                let r = p.n_components();
                if p.mean.len() != k
                    || p.components.len() != r * k
                    || p.explained_variance_ratio.len() != r
                {
                    return Err(PipelineError::ModelFile(format!(
                        "PCA shapes do not fit {k} features and {r} components"
                    )));
                }
                if p.mean.iter().chain(&p.components).any(|v| !v.is_finite()) {
                    return Err(PipelineError::ModelFile("PCA values must be finite".into()));
                }
                r
            }
            None => k,
        };
        if lin.coef.len() != inputs {
            return Err(PipelineError::ModelFile(format!(
                "model has {} coefficients for {} inputs",
                lin.coef.len(),
                inputs
            )));
        }
        if lin
            .coef
            .iter()
            .chain([&lin.intercept])
            .any(|v| !v.is_finite())
        {
            return Err(PipelineError::ModelFile(
                "coefficients must be finite".into(),
            ));
        }
        if let Some(s) = &self.scaler {
            s.validate()?;
            if s.mean.len() != k {
                return Err(PipelineError::ModelFile(format!(
                    "scaler has {} features, model {}",
                    s.mean.len(),
                    k
                )));
            }
        }
        Ok(())
    }

    /// Writes the model to `path` through a temporary file and a rename, so a failure never
    /// leaves a partial file behind.
    ///
    /// # Errors
    /// [`PipelineError::ModelFile`] naming the path on an I/O failure.
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::io::write_atomically(path, self.to_json().as_bytes())
    }

    /// Reads and checks a model file.
    ///
    /// # Errors
    /// As [`from_json`](Self::from_json), plus [`PipelineError::ModelFile`] when the file
    /// cannot be read.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            PipelineError::ModelFile(format!("cannot read {}: {e}", path.display()))
        })?;
        Self::from_json(&text)
    }

    /// Prediction for one row of raw inputs (in `feature_names` order): scaled into
    /// `scratch`, projected if there is a PCA, then the linear model; for logistic models,
    /// the probability of class 1. No allocation.
    ///
    /// # Panics
    /// If `raw` differs in length from the number of features, or `scratch` is shorter than
    /// [`scratch_len`](Self::scratch_len).
    #[inline]
    pub fn predict_one(&self, raw: &[f64], scratch: &mut [f64]) -> f64 {
        self.predict_one_with(simd_kernels::Isa::detect(), raw, scratch)
    }

    /// [`predict_one`](Self::predict_one) on one given ISA.
    ///
    /// # Panics
    /// As [`predict_one`](Self::predict_one), or if the CPU lacks `isa`.
    #[inline]
    pub fn predict_one_with(
        &self,
        isa: simd_kernels::Isa,
        raw: &[f64],
        scratch: &mut [f64],
    ) -> f64 {
        let (x, rest) = scratch.split_at_mut(raw.len());
        x.copy_from_slice(raw);
        if let Some(s) = &self.scaler {
            s.transform_in_place(x);
        }
        let inputs: &[f64] = match &self.pca {
            Some(p) => {
                let scores = &mut rest[..p.n_components()];
                p.transform_one_in_place(isa, x, scores);
                scores
            }
            None => x,
        };
        let z = self.model.linear().predict_one_with(isa, inputs);
        match &self.model {
            Model::Ridge(_) => z,
            Model::Logistic(_) => super::logistic::sigmoid(z),
        }
    }
}
