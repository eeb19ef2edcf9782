//! `predict(model, x1, .., xk)` and `predict_proba(model, x1, .., xk)`: any model file's
//! prediction for each row.

use crate::args::{check_count, floats, text_then_numbers};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use ml_pipeline::{likeliest, Output, Predict, SavedModel};
use std::collections::HashMap;
use std::sync::Arc;

/// The scalar functions `predict` and `predict_proba`.
///
/// `model` is the JSON text of a model file (what `ridge_fit`, `ols_fit` and `pca_fit`
/// return, what `mlp train` writes, a tree ensemble saved by this project; XGBoost and
/// LightGBM files must first be wrapped by `mlp`); the features follow in the order of the
/// model's feature names. Both return Float64:
///
/// - `predict` gives what `mlp predict` writes in its `prediction` column: the value of a
///   regression (ridge, OLS, a regression tree ensemble; for a `pca_fit` model the score on
///   the first principal component), the class of a classifier: 1 or 0 for a binary one
///   (probability above 0.5), the index of the likeliest class for a multiclass one.
/// - `predict_proba` gives the probability of class 1 of a binary classifier, and the
///   probability of the likeliest class of a multiclass one; an error for other models.
///
/// A model with several outputs that are not class probabilities is an error. A null model
/// gives null. A null feature gives null, except for tree models, which take it as a
/// missing value (as `mlp predict` does with an empty cell) and route it down the trees.
///
/// The model text is parsed once per distinct text in a batch (once per batch when it is a
/// constant or comes from a one-row subquery), and each row is predicted into buffers
/// allocated once per model.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PredictUdf {
    proba: bool,
    signature: Signature,
}

impl PredictUdf {
    /// `predict`.
    pub fn predict() -> Self {
        PredictUdf {
            proba: false,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    /// `predict_proba`.
    pub fn predict_proba() -> Self {
        PredictUdf {
            proba: true,
            ..Self::predict()
        }
    }
}

/// A parsed model and its buffers.
struct Prepared {
    saved: SavedModel,
    trees: bool,
    row: Vec<f64>,
    scratch: Vec<f64>,
    out: Vec<f64>,
}

impl Prepared {
    fn parse(name: &str, text: &str, k: usize) -> Result<Prepared> {
        let saved = match SavedModel::from_json(text) {
            Ok(s) => s,
            Err(e) => return exec_err!("{name}: the model is not a model file: {e}"),
        };
        if saved.n_features() != k {
            return exec_err!(
                "{name}: the model reads {} features ({}), {k} given",
                saved.n_features(),
                saved.feature_names.join(", ")
            );
        }
        Ok(Prepared {
            trees: saved.tree_model().is_some(),
            row: vec![0.0; k],
            scratch: vec![0.0; saved.scratch_len()],
            out: vec![0.0; saved.output().width()],
            saved,
        })
    }

    /// The prediction of `self.row`.
    fn predict(&mut self, name: &str, proba: bool) -> Result<f64> {
        self.saved
            .predict_one(&self.row, &mut self.scratch, &mut self.out);
        let out = &self.out;
        Ok(match (self.saved.output(), proba) {
            (Output::Value | Output::ClassIndex | Output::Margins(1), false) => out[0],
            (Output::Probability, false) => f64::from(u8::from(out[0] > 0.5)),
            (Output::Probabilities(_), false) => likeliest(out) as f64,
            (Output::Probability, true) => out[0],
            (Output::Probabilities(_), true) => out[likeliest(out)],
            (Output::Margins(m), false) => {
                return exec_err!("{name}: the model gives {m} values per row, not one")
            }
            (_, true) => {
                return exec_err!("{name}: the model gives values, not class probabilities")
            }
            (other, false) => {
                return exec_err!("{name}: the model's output ({other:?}) is not one value")
            }
        })
    }
}

impl ScalarUDFImpl for PredictUdf {
    fn name(&self) -> &str {
        if self.proba {
            "predict_proba"
        } else {
            "predict"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let name = self.name();
        check_count(name, arg_types.len(), 2, None, "a model and its features")?;
        text_then_numbers(name, arg_types, "the text of a model file")
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let n = args.number_rows;
        let mut args = args.args.into_iter();
        let model = args.next().expect("checked by coerce_types");
        let features: Vec<ArrayRef> = args.map(|a| a.into_array(n)).collect::<Result<_>>()?;
        let cols: Vec<&Float64Array> = features
            .iter()
            .map(|a| floats(name, a))
            .collect::<Result<_>>()?;
        let k = cols.len();
        let mut models: Vec<Prepared> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let texts = match &model {
            ColumnarValue::Scalar(ScalarValue::Utf8(Some(t))) => {
                models.push(Prepared::parse(name, t, k)?);
                None
            }
            ColumnarValue::Scalar(s) if s.is_null() => {
                return Ok(ColumnarValue::Scalar(ScalarValue::Float64(None)))
            }
            ColumnarValue::Scalar(s) => {
                return exec_err!("{name}: the model arrived as {}", s.data_type())
            }
            ColumnarValue::Array(a) => match a.as_string_opt::<i32>() {
                Some(texts) => Some(texts),
                None => return exec_err!("{name}: the model arrived as {}", a.data_type()),
            },
        };
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let m = match texts {
                None => 0,
                Some(t) if t.is_null(i) => {
                    out.push(None);
                    continue;
                }
                Some(t) => match index.get(t.value(i)) {
                    Some(&m) => m,
                    None => {
                        models.push(Prepared::parse(name, t.value(i), k)?);
                        index.insert(t.value(i).to_string(), models.len() - 1);
                        models.len() - 1
                    }
                },
            };
            let p = &mut models[m];
            let mut missing = false;
            for (v, c) in p.row.iter_mut().zip(&cols) {
                *v = if c.is_valid(i) { c.value(i) } else { f64::NAN };
                missing |= c.is_null(i);
            }
            out.push(if missing && !p.trees {
                None
            } else {
                Some(p.predict(name, self.proba)?)
            });
        }
        Ok(ColumnarValue::Array(Arc::new(Float64Array::from(out))))
    }
}
