//! `mlp predict`: apply a model to every row of a CSV file: a model file of `mlp train`, or a
//! tree ensemble saved by XGBoost or LightGBM.

use crate::args::PredictArgs;
use crate::csv_io::{
    header_with_kept, push_cell, push_kept_cells, read_columns, write_header, Others, Output,
    TextRequest,
};
use crate::error::{CliError, CliResult};
use ml_pipeline::{Model, ModelFile, Output as ModelOutput, Predict, SavedModel};
use std::io::Write;

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
    // A library's file without names has placeholders (`f0`, `Column_0`) that name no column.
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
    let header = header_with_kept(&args.keep, &layout.header)?;
    let text = TextRequest {
        required: &args.keep,
        optional: &[],
    };
    let table = read_columns(&args.input, &names, Others::Skip, text)?;
    let mut raw = vec![0.0; names.len()];
    let mut scratch = vec![0.0; model.scratch_len()];
    let mut values = vec![0.0; model.output().width()];

    let mut out = Output::create(args.output.as_deref())?;
    let what = out.describe();
    let io_err = |e| CliError::io(format!("cannot write {what}"), e);
    write_header(&mut out, &header).map_err(io_err)?;
    let mut line = Vec::with_capacity(64);
    for i in 0..table.nrows() {
        for (r, col) in raw.iter_mut().zip(&table.columns) {
            *r = col[i];
        }
        line.clear();
        push_kept_cells(&mut line, &table.text, i);
        if tree || raw.iter().all(|v| v.is_finite()) {
            model.predict_one(&raw, &mut scratch, &mut values);
            layout.push_row(&mut line, &values);
        } else if header.len() == 1 {
            // A quoted empty field, not a blank line, which CSV readers skip.
            line.extend_from_slice(b"\"\"");
        } else {
            line.resize(line.len() + layout.header.len() - 1, b',');
        }
        line.push(b'\n');
        out.write_all(&line).map_err(io_err)?;
    }
    out.commit()
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

    /// Appends one row's cells (without the newline).
    fn push_row(&self, line: &mut Vec<u8>, values: &[f64]) {
        for (j, &v) in values.iter().enumerate() {
            if j > 0 {
                line.push(b',');
            }
            push_cell(line, v);
        }
        match self.extra {
            Extra::None => {}
            Extra::Threshold => {
                line.extend_from_slice(if values[0] > 0.5 { b",1" } else { b",0" });
            }
            Extra::Argmax | Extra::ArgmaxLabel(_) => {
                let best =
                    values
                        .iter()
                        .enumerate()
                        .fold(0, |best, (j, &v)| if v > values[best] { j } else { best });
                line.push(b',');
                match &self.extra {
                    Extra::ArgmaxLabel(labels) => push_cell(line, labels[best]),
                    _ => line.extend_from_slice(best.to_string().as_bytes()),
                }
            }
        }
    }
}
