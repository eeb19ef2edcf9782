//! Logistic regression over DataFusion: why it is not a one-pass aggregate, and the
//! multi-pass driver that fits it with repeated aggregate queries.
//!
//! `ridge_fit` is one pass because least squares has sufficient statistics that do not
//! depend on the answer (the means and the factor of the centered data). The logistic
//! objective has none: its gradient `X^T (p - y)` and Hessian `X^T diag(p (1 - p)) X` depend on
//! the probabilities `p`, hence on the coefficients being sought, so every Newton step
//! (IRLS) needs a fresh pass over the rows. What is mergeable is one step: given the
//! current coefficients, the loss, gradient and Hessian are sums over rows, which
//! partitions compute apart and add. [`LogisticStepUdaf`] (`logistic_step`) is that sum as
//! an aggregate; [`fit_logistic`] runs the library's Newton iteration (the same start, stopping
//! rules and backtracking line search as [`LogisticRegression`]'s fit) with one aggregate
//! query per pass, so the fit scales with the engine, at the cost of 5 to 15 passes.

use crate::args::{check_count, floats, text_then_numbers, usable_rows};
use crate::state::{each_state, state_field, state_scalar, state_type};
use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{exec_err, plan_err, DataFusionError, Result, ScalarValue};
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};
use datafusion::physical_expr::expressions::Literal;
use datafusion::prelude::{col, lit};
use fast_math::{cholesky, MatRef};
use ml_pipeline::{Fit, LinearModel, LogisticModel, LogisticRegression};

/// The aggregate `logistic_step(theta, y, x1, .., xk)`: the sums of one Newton step of
/// logistic regression at the coefficients `theta`.
///
/// `theta` is a constant: the text of a JSON array of `k + 1` numbers, the coefficients then
/// the intercept. `y` holds labels 0 or 1 (another value is an error); rows with a null in
/// any argument are skipped. The result is a `List<Float64>` of `2 + (k + 1) + (k + 1)^2`
/// values: the row count, `sum logloss(y, z)`, the gradient `sum (p - y) [x, 1]` and the
/// Hessian `sum p (1 - p) [x, 1][x, 1]^T` (column-major), where `z = x . w + b` and
/// `p = sigmoid(z)`; without the penalty or `C`, which the caller applies. Partial states
/// are the same list, merged by adding.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct LogisticStepUdaf {
    signature: Signature,
}

impl Default for LogisticStepUdaf {
    fn default() -> Self {
        LogisticStepUdaf {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const NAME: &str = "logistic_step";

impl AggregateUDFImpl for LogisticStepUdaf {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_count(
            NAME,
            arg_types.len(),
            3,
            None,
            "theta, the labels and the features",
        )?;
        text_then_numbers(NAME, arg_types, "theta, the text of a JSON array")
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(state_type())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let k = args.exprs.len() - 2;
        let theta = args.exprs[0]
            .downcast_ref::<Literal>()
            .and_then(|l| match l.value() {
                ScalarValue::Utf8(Some(t)) => serde_json::from_str::<Vec<f64>>(t.as_str()).ok(),
                _ => None,
            });
        match theta {
            Some(theta) if theta.len() == k + 1 => Ok(Box::new(StepAccumulator {
                sums: vec![0.0; 2 + (k + 1) * (k + 2)],
                theta,
            })),
            _ => plan_err!(
                "{NAME}: theta must be a constant JSON array of {} numbers (the coefficients, \
                 then the intercept)",
                k + 1
            ),
        }
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![state_field(format_state_name(args.name, "sums"))])
    }
}

/// One Newton step's sums over one group.
#[derive(Debug)]
struct StepAccumulator {
    theta: Vec<f64>,
    /// count, loss, gradient, Hessian.
    sums: Vec<f64>,
}

impl Accumulator for StepAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let cols = values[1..]
            .iter()
            .map(|a| floats(NAME, a))
            .collect::<Result<Vec<_>>>()?;
        let keep = usable_rows(&cols, None);
        let (y, x) = cols.split_first().expect("labels");
        let k1 = self.theta.len();
        let (head, hess) = self.sums.split_at_mut(2 + k1);
        let mut row = vec![1.0; k1];
        for i in 0..y.len() {
            if keep.as_ref().is_some_and(|k| !k[i]) {
                continue;
            }
            let label = y.value(i);
            if label != 0.0 && label != 1.0 {
                return exec_err!("{NAME}: label {label} is not 0 or 1");
            }
            for (r, c) in row.iter_mut().zip(x) {
                *r = c.value(i);
            }
            let z: f64 = row.iter().zip(&self.theta).map(|(a, b)| a * b).sum();
            let e = (-z.abs()).exp();
            let p = if z >= 0.0 {
                1.0 / (1.0 + e)
            } else {
                e / (1.0 + e)
            };
            let softplus = if z > 0.0 { z + e.ln_1p() } else { e.ln_1p() };
            head[0] += 1.0;
            head[1] += softplus - label * z;
            let (r, w) = (p - label, p * (1.0 - p));
            for (g, &v) in head[2..].iter_mut().zip(&row) {
                *g += r * v;
            }
            for (j, &vj) in row.iter().enumerate() {
                for (h, &vi) in hess[j * k1..(j + 1) * k1].iter_mut().zip(&row) {
                    *h += w * vi * vj;
                }
            }
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for s in each_state(NAME, &states[0])?.flatten() {
            if s.len() != self.sums.len() {
                return exec_err!(
                    "{NAME}: a state of {} values, expected {}",
                    s.len(),
                    self.sums.len()
                );
            }
            self.sums.iter_mut().zip(s).for_each(|(a, b)| *a += b);
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![state_scalar(&self.sums)])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(state_scalar(&self.sums))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + 8 * (self.sums.len() + self.theta.len())
    }
}

/// Stop when the Newton decrement falls below this share of the objective (the library's
/// rule).
const NEWTON_DECREMENT_TOL: f64 = 1e-14;

/// One pass: the sums of `logistic_step` at `theta` over `df`, scaled by `C`.
async fn pass(
    df: &DataFrame,
    y: &str,
    x: &[&str],
    c: f64,
    theta: &[f64],
) -> Result<(f64, f64, Vec<f64>, Vec<f64>)> {
    let text = serde_json::to_string(theta).map_err(|e| DataFusionError::External(Box::new(e)))?;
    let mut args = vec![lit(text), col(y)];
    args.extend(x.iter().map(|c| col(*c)));
    let step = AggregateUDF::from(LogisticStepUdaf::default());
    let batches = df
        .clone()
        .aggregate(vec![], vec![step.call(args).alias("s")])?
        .collect()
        .await?;
    let Some(array) = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .map(|b| b.column(0))
    else {
        return exec_err!("{NAME}: the step query returned no row");
    };
    let Some(Some(sums)) = each_state(NAME, array)?.next() else {
        return exec_err!("{NAME}: the step query returned null");
    };
    let k1 = theta.len();
    let scaled = |v: &[f64]| v.iter().map(|s| c * s).collect::<Vec<f64>>();
    Ok((
        sums[0],
        c * sums[1],
        scaled(&sums[2..2 + k1]),
        scaled(&sums[2 + k1..]),
    ))
}

/// Fits [`LogisticRegression`] (scikit-learn's L2 objective, labels 0/1) of column `y` on
/// the columns `x` of `df` by Newton's method, one aggregate query per pass, with the
/// library's start (all zeros), stopping rules and backtracking line search; so its answer
/// equals [`LogisticRegression::fit`] on the same rows up to the rounding of the sums
/// (tested to 1e-8 relative). Rows with a null in `y` or any `x` are skipped.
///
/// # Errors
/// The hyperparameter errors of [`Fit::check`]; no usable row; a label other than 0 or 1;
/// a Hessian that is not positive definite; the query's own errors.
pub async fn fit_logistic(
    df: &DataFrame,
    y: &str,
    x: &[&str],
    params: &LogisticRegression,
) -> Result<LogisticModel> {
    if let Err(e) = params.check() {
        return plan_err!("{e}");
    }
    let (k, c) = (x.len(), params.c);
    let objective =
        |loss: f64, theta: &[f64]| loss + 0.5 * theta[..k].iter().map(|w| w * w).sum::<f64>();
    let mut theta = vec![0.0; k + 1];
    let (n, data_loss, mut grad_data, mut hess_data) = pass(df, y, x, c, &theta).await?;
    if n == 0.0 {
        return exec_err!("logistic fit: no row without a null");
    }
    let mut loss = objective(data_loss, &theta);
    let scale = (c * n).max(1.0);
    let mut iterations = 0;
    for _ in 0..params.max_iter {
        iterations += 1;
        let mut grad = grad_data.clone();
        grad.iter_mut()
            .zip(&theta)
            .take(k)
            .for_each(|(g, t)| *g += t);
        if grad.iter().fold(0.0f64, |m, g| m.max(g.abs())) <= params.tol * scale {
            break;
        }
        let mut h = hess_data.clone();
        (0..k).for_each(|j| h[j * (k + 1) + j] += 1.0);
        if h[k * (k + 1) + k] <= 0.0 {
            h[k * (k + 1) + k] = f64::MIN_POSITIVE.sqrt();
        }
        let factor = cholesky(MatRef::from_col_major(&h, k + 1, k + 1))
            .map_err(|e| DataFusionError::Execution(format!("logistic fit: {e}")))?;
        let step = factor.solve(MatRef::from_col_major(&grad, k + 1, 1));
        let step = step.as_slice();
        let decrement: f64 = grad.iter().zip(step).map(|(g, s)| g * s).sum();
        if decrement <= NEWTON_DECREMENT_TOL * loss.abs().max(1.0) {
            break;
        }
        let mut accepted = false;
        let mut t = 1.0;
        for _ in 0..40 {
            let cand: Vec<f64> = theta.iter().zip(step).map(|(a, d)| a - t * d).collect();
            let (_, l_data, g, h) = pass(df, y, x, c, &cand).await?;
            let l = objective(l_data, &cand);
            if l <= loss {
                (theta, grad_data, hess_data, loss) = (cand, g, h, l);
                accepted = true;
                break;
            }
            t *= 0.5;
        }
        if !accepted {
            break;
        }
    }
    Ok(LogisticModel {
        linear: LinearModel {
            coef: theta[..k].to_vec(),
            intercept: theta[k],
        },
        iterations,
    })
}
