//! `ridge_fit(y, x1, .., xk [, alpha])` and `ols_fit(y, x1, .., xk)`: linear regression of
//! `y` on the features, one model per group, returned as the JSON text of a model file.

use crate::args::{check_count, constant_f64, feature_names, numbers};
use crate::fit::{fit_aggregate_methods, FitSpec};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{plan_err, Result};
use datafusion::logical_expr::function::AccumulatorArgs;
use datafusion::logical_expr::{AggregateUDFImpl, Signature, Volatility};
use ml_pipeline::{Fit, FitIncremental, Model, Ridge, RidgeAccumulator, SavedModel};
use std::sync::Arc;

/// The aggregates `ridge_fit` and `ols_fit`.
///
/// `ridge_fit(y, x1, .., xk [, alpha])` fits scikit-learn's `Ridge(alpha,
/// fit_intercept=True)`: it minimizes `||y - X w - b||^2 + alpha ||w||^2`. When the last
/// argument is a constant (a literal such as `0.5`, or an expression of literals) and there
/// are at least three arguments, it is `alpha`; otherwise `alpha` is 1, scikit-learn's
/// default. `ols_fit(y, x1, .., xk)` is ordinary least squares with an intercept (alpha 0).
///
/// Rows with a null in any argument are skipped; a NaN or infinite value is an error (the
/// library's, naming it). A group with no usable row gives null; one whose system cannot be
/// solved (for `ols_fit`, fewer rows than features or collinear features) is an error naming
/// the column. The result is the JSON text of a model file (`SavedModel` with a ridge
/// model): `predict(model, x1, .., xk)`, `SavedModel::from_json` and `mlp predict --model`
/// read it as it is. Its feature names are the argument columns' names; an argument that is
/// not a plain column (or repeats one) is named `x<i>`, its position among the features.
///
/// The state is the library's [`RidgeAccumulator`] (count, means and the TSQR factor of the
/// centered `[X y]` in double-double), encoded by its `to_state` in one `List<Float64>`
/// column: `4 + 2 (k + 1) + (k + 1)(k + 2)` values per group, whatever the number of rows.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct LinearFitUdaf {
    penalized: bool,
    signature: Signature,
}

impl LinearFitUdaf {
    /// `ridge_fit`.
    pub fn ridge() -> Self {
        LinearFitUdaf {
            penalized: true,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    /// `ols_fit`.
    pub fn ols() -> Self {
        LinearFitUdaf {
            penalized: false,
            ..Self::ridge()
        }
    }

    /// The fit its arguments call for.
    fn spec(&self, args: &AccumulatorArgs) -> Result<Arc<LinearSpec>> {
        let exprs = args.exprs;
        let alpha = match exprs.last().and_then(constant_f64) {
            Some(a) if self.penalized && exprs.len() >= 3 => Some(a),
            _ => None,
        };
        let features = &exprs[1..exprs.len() - usize::from(alpha.is_some())];
        let ridge = Ridge {
            alpha: alpha.unwrap_or(if self.penalized { 1.0 } else { 0.0 }),
            fit_intercept: true,
        };
        if let Err(e) = ridge.check() {
            return plan_err!("{}: {e}", self.name());
        }
        let name = if self.penalized {
            "ridge_fit"
        } else {
            "ols_fit"
        };
        Ok(Arc::new(LinearSpec::new(
            name,
            ridge,
            feature_names(features),
        )))
    }
}

impl AggregateUDFImpl for LinearFitUdaf {
    fn name(&self) -> &str {
        if self.penalized {
            "ridge_fit"
        } else {
            "ols_fit"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let takes = if self.penalized {
            "the target and at least one feature, ridge_fit(y, x1, .., xk [, alpha])"
        } else {
            "the target and at least one feature, ols_fit(y, x1, .., xk)"
        };
        check_count(self.name(), arg_types.len(), 2, None, takes)?;
        numbers(self.name(), arg_types)
    }

    fit_aggregate_methods!();
}

/// A ridge or OLS fit of given features.
#[derive(Debug)]
pub(crate) struct LinearSpec {
    name: &'static str,
    ridge: Ridge,
    names: Vec<String>,
}

impl LinearSpec {
    /// The fit `name` (for errors) of `ridge` on the features `names`.
    pub(crate) fn new(name: &'static str, ridge: Ridge, names: Vec<String>) -> Self {
        LinearSpec { name, ridge, names }
    }
}

impl FitSpec for LinearSpec {
    type Acc = RidgeAccumulator;

    fn name(&self) -> &'static str {
        self.name
    }

    fn has_target(&self) -> bool {
        true
    }

    fn k(&self) -> usize {
        self.names.len()
    }

    fn empty(&self) -> RidgeAccumulator {
        RidgeAccumulator::new(self.k())
    }

    fn encode(&self, acc: &RidgeAccumulator) -> Vec<f64> {
        acc.to_state()
    }

    fn decode(&self, state: &[f64]) -> ml_pipeline::Result<RidgeAccumulator> {
        RidgeAccumulator::from_state(self.k(), state)
    }

    fn finish(&self, acc: &RidgeAccumulator) -> ml_pipeline::Result<String> {
        let model = self.ridge.finish(acc)?;
        Ok(model_json(&SavedModel::new(
            self.names.clone(),
            vec![],
            Model::Ridge(model),
        )))
    }
}

/// A model file's JSON text on one line (a cell of a result table).
pub(crate) fn model_json(saved: &SavedModel) -> String {
    serde_json::to_string(saved).expect("a model of finite numbers always serializes")
}
