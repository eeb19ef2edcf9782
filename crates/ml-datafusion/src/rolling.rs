//! The rolling features of `mlp features` as window functions:
//! `rolling_features(price, window)` and `bar_features(open, high, low, close, volume,
//! window)`, each over `PARTITION BY symbol ORDER BY ts`, one struct of features per row.

use crate::args::{check_count, constant_f64, floats, numbers};
use datafusion::arrow::array::{Array, ArrayRef, Float64Array, StructArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{PartitionEvaluator, Signature, Volatility, WindowUDFImpl};
use ml_pipeline::{Bar, BarInputs, FeatureConfig, RollingFeatures};
use std::sync::Arc;

/// A window no caller uses, to tell window suffixes apart in the names (`parkinson_999983`
/// becomes `parkinson_w`) from other numbers (`ema_8`, `spec_1`).
const NAMING_WINDOW: usize = 999_983;

/// The window functions `rolling_features` and `bar_features`.
///
/// - `rolling_features(price, window)`: the price features of `mlp features --column price
///   --window <window>` (`FeatureConfig::with_window(window)`): `log_return`, `roll_mean`,
///   `roll_std`, `roll_skew`, `roll_kurt`, `zscore`, `ema_8`, `ema_32`, `momentum`,
///   `roll_min`, `roll_max`, `spec_1` .. `spec_4`.
/// - `bar_features(open, high, low, close, volume, window)`: every column of `mlp features
///   --window <window>` on a file with open, high, low, close and volume columns: the price
///   features of the close, then `log_return_w`, `bar_range`, `true_range`,
///   `dollar_volume`, `parkinson_w`, `garman_klass_w`, `rogers_satchell_w`, `vwap_w`,
///   `vwap_dev_w`, `volume_z_w`, where `_w` stands for the window given (`mlp features
///   --window 20` names them `parkinson_20`, ...): a struct's field names are fixed when the
///   query is planned, before the window's value is read.
///
/// Each returns a struct with one Float64 field per feature; read one with
/// `f['roll_std']`. Use them as `rolling_features(close, 20) OVER (PARTITION BY symbol
/// ORDER BY ts)`: each partition is fed in its order, row by row, through the library's
/// streaming state (`RollingFeatures::update_bar_row`, O(1) per row), so each row holds
/// exactly the values `mlp features --group symbol` writes for it (bit for bit), null where
/// it writes an empty cell (a feature not yet defined, or NaN). `window` must be a constant
/// whole number from 4 to 2^22. A null input is a gap (NaN), as an empty cell is for
/// `mlp features`. Without `ORDER BY`, rows arrive in an unspecified order.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RollingUdwf {
    bars: bool,
    signature: Signature,
}

impl RollingUdwf {
    /// `rolling_features(price, window)`.
    pub fn price() -> Self {
        RollingUdwf {
            bars: false,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    /// `bar_features(open, high, low, close, volume, window)`.
    pub fn bars() -> Self {
        RollingUdwf {
            bars: true,
            ..Self::price()
        }
    }

    /// The configuration of `mlp features` for `window`.
    pub fn config(&self, window: usize) -> FeatureConfig {
        let mut cfg = FeatureConfig::with_window(window);
        if self.bars {
            cfg.bars = BarInputs::OHLCV;
            cfg.return_horizons = vec![window];
        }
        cfg
    }

    /// The field names of the result: the configuration's column names, with the window's
    /// suffix written `_w`.
    pub fn field_names(&self) -> Vec<String> {
        let suffix = format!("_{NAMING_WINDOW}");
        self.config(NAMING_WINDOW)
            .names()
            .into_iter()
            .map(|n| match n.strip_suffix(&suffix) {
                Some(stem) => format!("{stem}_w"),
                None => n,
            })
            .collect()
    }

    fn fields(&self) -> Fields {
        self.field_names()
            .into_iter()
            .map(|n| Field::new(n, DataType::Float64, true))
            .collect()
    }

    fn arity(&self) -> usize {
        if self.bars {
            6
        } else {
            2
        }
    }
}

impl WindowUDFImpl for RollingUdwf {
    fn name(&self) -> &str {
        if self.bars {
            "bar_features"
        } else {
            "rolling_features"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let takes = if self.bars {
            "six arguments, bar_features(open, high, low, close, volume, window)"
        } else {
            "two arguments, rolling_features(price, window)"
        };
        let n = self.arity();
        check_count(self.name(), arg_types.len(), n, Some(n), takes)?;
        numbers(self.name(), arg_types)
    }

    fn partition_evaluator(
        &self,
        args: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        let name = if self.bars {
            "bar_features"
        } else {
            "rolling_features"
        };
        let Some(last) = args.input_exprs().last() else {
            return exec_err!("{name}: no arguments");
        };
        let window = match constant_f64(last) {
            Some(w) if w.fract() == 0.0 && w >= 4.0 && w <= FeatureConfig::MAX_WINDOW as f64 => {
                w as usize
            }
            Some(w) => {
                return exec_err!(
                    "{name}: window is {w}, expected a whole number from 4 to {}",
                    FeatureConfig::MAX_WINDOW
                )
            }
            None => return exec_err!("{name}: the window (last argument) must be a constant"),
        };
        let cfg = self.config(window);
        debug_assert_eq!(cfg.n_features(), self.field_names().len());
        Ok(Box::new(RollingEvaluator {
            name,
            bars: self.bars,
            cfg,
            fields: self.fields(),
        }))
    }

    fn field(&self, args: WindowUDFFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(
            args.name(),
            DataType::Struct(self.fields()),
            true,
        )))
    }
}

/// Runs one partition through a fresh streaming state.
#[derive(Debug)]
struct RollingEvaluator {
    name: &'static str,
    bars: bool,
    cfg: FeatureConfig,
    fields: Fields,
}

impl PartitionEvaluator for RollingEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        let inputs = if self.bars { 5 } else { 1 };
        let cols: Vec<&Float64Array> = values[..inputs]
            .iter()
            .map(|a| floats(self.name, a))
            .collect::<Result<_>>()?;
        let value = |c: &Float64Array, i: usize| {
            if c.is_valid(i) {
                c.value(i)
            } else {
                f64::NAN
            }
        };
        let mut state = match RollingFeatures::new(self.cfg.clone()) {
            Ok(s) => s,
            Err(e) => return exec_err!("{}: {e}", self.name),
        };
        let width = self.fields.len();
        let mut out: Vec<Vec<f64>> = (0..width).map(|_| Vec::with_capacity(num_rows)).collect();
        for i in 0..num_rows {
            let bar = if self.bars {
                Bar {
                    open: value(cols[0], i),
                    high: value(cols[1], i),
                    low: value(cols[2], i),
                    close: value(cols[3], i),
                    volume: value(cols[4], i),
                }
            } else {
                Bar::price(value(cols[0], i))
            };
            for (o, &v) in out.iter_mut().zip(state.update_bar_row(&bar)) {
                o.push(v);
            }
        }
        let arrays: Vec<ArrayRef> = out
            .into_iter()
            .map(|col| {
                let a: Float64Array = col
                    .into_iter()
                    .map(|v| (!v.is_nan()).then_some(v))
                    .collect();
                Arc::new(a) as ArrayRef
            })
            .collect();
        Ok(Arc::new(StructArray::new(
            self.fields.clone(),
            arrays,
            None,
        )))
    }
}
