//! `mlp predict`: apply a model to every row of a CSV, Parquet or Arrow file: a model file of `mlp train`, or a
//! tree ensemble saved by XGBoost or LightGBM.

use crate::args::PredictArgs;
use crate::error::{CliError, CliResult};
use crate::input::Input;
use crate::sink::{OutputColumns, ValueKind};
use crate::sink_open;
use ml_pipeline::{Model, ModelFile, Output as ModelOutput, Predict, SavedModel};

/// Loads the model (its kind told from the file's content), reads its feature columns by
/// name (or those of `--features`) and writes one prediction row per input row:
///
/// - regression: `prediction` (`prediction_<j>` per target of a multi-target model);
/// - binary classification: `probability,prediction` (class 1 when the probability exceeds
///   0.5);
/// - multiclass: `prob_<k>` per class, then `prediction`, the most probable class (the first
///   of equal ones); a model predicting class indices (XGBoost's `multi:softmax`):
///   `prediction`;
/// - with `--raw` (tree models): `margin`, or `margin_<k>` per class;
///
/// after the `--keep` columns, copied as written.
///
/// A linear model's row with an empty, NaN or infinite input gets empty cells (written `""`
/// when the output has a single column, so the row is not a blank line). A tree model gets
/// every row: an empty or NaN cell is a missing value, which its trees route as the library
/// does, and an infinite one compares above every threshold.
///
/// # Errors
/// A model file that cannot be read or told apart, is malformed, of another version, or a
/// tree model without feature names and no `--features`; input and output errors; each as
/// one line naming the file.
pub fn run(args: &PredictArgs) -> CliResult<()> {
    let shown = args.model.display();
    let file = ModelFile::load(&args.model).map_err(|e| CliError::pipeline(&shown, e))?;
    // A library's file without names has default positional names (`f0`, `Column_0`) that
    // name no column.
    let unnamed = match &file {
        ModelFile::Gbdt(g) => !g.model().has_feature_names(),
        _ => false,
    };
    let mut model = file.into_saved();
    if args.raw {
        model.model = match model.model {
            Model::Gbdt(g) => Model::Gbdt(Box::new(g.with_raw_margin(true))),
            _ => {
                return Err(CliError::new(format!(
                    "{shown}: --raw needs a tree model (XGBoost or LightGBM); this model file \
                     holds a linear model"
                )))
            }
        };
    }
    let names = input_columns(args, &model, unnamed)?;
    let tree = model.tree_model().is_some();
    let layout = Layout::of(model.output(), args.raw).ok_or_else(|| {
        CliError::new(format!(
            "{shown}: predictions of kind {:?} are not supported by this build",
            model.output()
        ))
    })?;
    // A softmax model's classes are the training labels: `prob_<label>` columns and the
    // label as the prediction.
    let layout = match &model.model {
        Model::Softmax(m) => Layout {
            header: m
                .classes
                .iter()
                .map(|c| format!("prob_{c}"))
                .chain(std::iter::once("prediction".to_string()))
                .collect(),
            extra: Extra::ArgmaxLabel(m.classes.clone()),
        },
        _ => layout,
    };
    sink_open::check_kept(&args.keep, &layout.header)?;
    let input = Input::open(&args.input, args.read.format, args.read.sep)?;
    let columnar_out = sink_open::is_columnar(args.output.as_deref(), args.output_format);
    let (table, typed_kept) =
        sink_open::read_with_kept(input, &names, &[], &[], &args.keep, columnar_out)?;
    let kept = if columnar_out {
        &[][..]
    } else {
        &table.text[..]
    };
    let mut raw = vec![0.0; names.len()];
    let mut scratch = vec![0.0; model.scratch_len()];
    let mut values = vec![0.0; model.output().width()];
    let mut cells = vec![f64::NAN; layout.header.len()];

    let mut columns = layout.columns(&args.keep);
    columns.typed_kept = typed_kept;
    let mut out = sink_open::create(args.output.as_deref(), args.output_format, &columns)?;
    for i in 0..table.nrows() {
        for (r, col) in raw.iter_mut().zip(&table.columns) {
            *r = col[i];
        }
        if tree || raw.iter().all(|v| v.is_finite()) {
            model.predict_one(&raw, &mut scratch, &mut values);
            layout.cells(&values, &mut cells);
        } else {
            // Empty cells (a CSV output of one column writes `""`, not a blank line).
            cells.fill(f64::NAN);
        }
        out.push_row(kept, i, &cells)?;
    }
    out.finish()
}

/// The CSV columns the model reads: `--features` (as many as the model reads), else the
/// model's own names, which a library file without names does not have.
fn input_columns(args: &PredictArgs, model: &SavedModel, unnamed: bool) -> CliResult<Vec<String>> {
    let shown = args.model.display();
    let k = model.feature_names.len();
    match &args.features {
        Some(f) if f.len() != k => Err(CliError::new(format!(
            "{shown}: --features gives {} columns, the model reads {k} ({})",
            f.len(),
            model.feature_names.join(", ")
        ))),
        Some(f) => Ok(f.clone()),
        None if unnamed => Err(CliError::new(format!(
            "{shown}: the model file stores no feature names (its {k} inputs are called {}); \
             give the input columns in the model's order with --features A,B,..",
            model.feature_names.join(", ")
        ))),
        None => Ok(model.feature_names.clone()),
    }
}

/// How prediction values become output cells.
#[derive(Clone, Debug, PartialEq)]
enum Extra {
    /// The values as they are.
    None,
    /// Then the class: 1 when the one probability exceeds 0.5, else 0.
    Threshold,
    /// Then the index of the largest probability.
    Argmax,
    /// Then the label of the class with the largest probability.
    ArgmaxLabel(Vec<f64>),
}

/// The output's header and the column derived from the values, if any.
struct Layout {
    header: Vec<String>,
    extra: Extra,
}

impl Layout {
    /// The layout of a model's output (`raw`: margins were asked for); `None` for an output
    /// kind this build does not write.
    fn of(output: ModelOutput, raw: bool) -> Option<Self> {
        let numbered = |prefix: &str, k: usize| -> Vec<String> {
            (0..k).map(|j| format!("{prefix}_{j}")).collect()
        };
        let one = |name: &str| vec![name.to_string()];
        let (header, extra) = match output {
            ModelOutput::Value | ModelOutput::ClassIndex => (one("prediction"), Extra::None),
            ModelOutput::Probability => (
                vec!["probability".into(), "prediction".into()],
                Extra::Threshold,
            ),
            ModelOutput::Probabilities(k) => {
                let mut h = numbered("prob", k);
                h.push("prediction".into());
                (h, Extra::Argmax)
            }
            ModelOutput::Margins(1) if raw => (one("margin"), Extra::None),
            ModelOutput::Margins(k) if raw => (numbered("margin", k), Extra::None),
            ModelOutput::Margins(1) => (one("prediction"), Extra::None),
            ModelOutput::Margins(k) => (numbered("prediction", k), Extra::None),
            _ => return None,
        };
        Some(Layout { header, extra })
    }

    /// The output's columns: `kept`, then the predictions (the class column an integer one,
    /// unless it holds softmax labels).
    fn columns(&self, kept: &[String]) -> OutputColumns {
        let mut columns = OutputColumns::floats(kept, &self.header);
        if matches!(self.extra, Extra::Threshold | Extra::Argmax) {
            if let Some(last) = columns.values.last_mut() {
                last.1 = ValueKind::Int;
            }
        }
        columns
    }

    /// One row's cells from the model's `values`: the values, then the derived column if any.
    fn cells(&self, values: &[f64], cells: &mut [f64]) {
        cells[..values.len()].copy_from_slice(values);
        let class = match &self.extra {
            Extra::None => return,
            Extra::Threshold => f64::from(u8::from(values[0] > 0.5)),
            Extra::Argmax | Extra::ArgmaxLabel(_) => {
                let best =
                    values
                        .iter()
                        .enumerate()
                        .fold(0, |best, (j, &v)| if v > values[best] { j } else { best });
                match &self.extra {
                    Extra::ArgmaxLabel(labels) => labels[best],
                    _ => best as f64,
                }
            }
        };
        cells[values.len()] = class;
    }
}
