//! `pca_fit(x1, .., xk, n_components)`: principal components of the features, one model
//! per group, returned as the JSON text of a model file.

use crate::args::{check_count, constant_f64, feature_names, numbers};
use crate::fit::{fit_aggregate_methods, FitSpec};
use crate::fit_linear::model_json;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{plan_err, Result};
use datafusion::logical_expr::function::AccumulatorArgs;
use datafusion::logical_expr::{AggregateUDFImpl, Signature, Volatility};
use ml_pipeline::{FitIncremental, LinearModel, Model, Pca, PcaAccumulator, SavedModel, Stage};
use std::sync::Arc;

/// The aggregate `pca_fit(x1, .., xk, n_components)`: scikit-learn's `PCA(n_components)` of
/// the features (centered; components up to sign, with scikit-learn's sign convention).
///
/// `n_components` must be a constant whole number from 1 to `min(rows, k)`. Rows with a
/// null in any feature are skipped; a NaN or infinite value is an error. A group with no
/// usable row gives null.
///
/// The result is the JSON text of a model file whose chain is the fitted PCA (a
/// [`Stage::Pca`] holding the means, the components, the explained variance and its ratio)
/// followed by a linear model that reads the first component's score (coefficient 1 on it,
/// 0 on the others, no intercept). So `predict(model, x1, .., xk)` and `mlp predict --model`
/// give each row's score on the first principal component, and the file keeps every
/// component for anything else (`SavedModel::pca()`, `mlp predict`-free use of the stage).
///
/// The state is the library's [`PcaAccumulator`] (count, means and the TSQR factor of the
/// centered features in double-double; its documentation says why a QR factor rather than a
/// covariance matrix), encoded by its `to_state` in one `List<Float64>` column.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PcaFitUdaf {
    signature: Signature,
}

impl Default for PcaFitUdaf {
    fn default() -> Self {
        PcaFitUdaf {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl PcaFitUdaf {
    fn spec(&self, args: &AccumulatorArgs) -> Result<Arc<PcaSpec>> {
        let (last, features) = args.exprs.split_last().expect("two arguments at least");
        let r = match constant_f64(last) {
            Some(r) if r >= 1.0 && r.fract() == 0.0 && r <= features.len() as f64 => r as usize,
            Some(r) => {
                return plan_err!(
                    "pca_fit: n_components is {r}, expected a whole number from 1 to the number \
                     of features ({})",
                    features.len()
                )
            }
            None => {
                return plan_err!(
                    "pca_fit: the last argument, n_components, must be a constant \
                     (pca_fit(x1, .., xk, n_components))"
                )
            }
        };
        Ok(Arc::new(PcaSpec {
            pca: Pca { n_components: r },
            names: feature_names(features),
        }))
    }
}

impl AggregateUDFImpl for PcaFitUdaf {
    fn name(&self) -> &str {
        "pca_fit"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let takes = "at least one feature and n_components, pca_fit(x1, .., xk, n_components)";
        check_count("pca_fit", arg_types.len(), 2, None, takes)?;
        numbers("pca_fit", arg_types)
    }

    fit_aggregate_methods!();
}

/// A PCA of given features.
#[derive(Debug)]
pub(crate) struct PcaSpec {
    pca: Pca,
    names: Vec<String>,
}

impl FitSpec for PcaSpec {
    type Acc = PcaAccumulator;

    fn name(&self) -> &'static str {
        "pca_fit"
    }

    fn has_target(&self) -> bool {
        false
    }

    fn k(&self) -> usize {
        self.names.len()
    }

    fn empty(&self) -> PcaAccumulator {
        PcaAccumulator::new(self.k())
    }

    fn encode(&self, acc: &PcaAccumulator) -> Vec<f64> {
        acc.to_state()
    }

    fn decode(&self, state: &[f64]) -> ml_pipeline::Result<PcaAccumulator> {
        PcaAccumulator::from_state(self.k(), state)
    }

    fn finish(&self, acc: &PcaAccumulator) -> ml_pipeline::Result<String> {
        let pca = self.pca.finish(acc)?;
        let r = pca.n_components();
        let first = LinearModel {
            coef: (0..r).map(|c| if c == 0 { 1.0 } else { 0.0 }).collect(),
            intercept: 0.0,
        };
        Ok(model_json(&SavedModel::new(
            self.names.clone(),
            vec![Stage::Pca(pca)],
            Model::Ridge(first),
        )))
    }
}
