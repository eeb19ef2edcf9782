//! `mlp predict`: apply a saved model to every row of a CSV file.

use crate::args::PredictArgs;
use crate::csv_io::{push_cell, read_numeric, Others, Output};
use crate::error::{CliError, CliResult};
use ml_pipeline::{Output as ModelOutput, Predict, SavedModel};
use std::io::Write;

/// Loads the model, reads its feature columns by name and writes one prediction row per
/// input row: `prediction` for ridge; `probability,prediction` (class 1 when the probability
/// exceeds 0.5) for logistic. A row with an empty, NaN or infinite input gets empty cells
/// (written `""` when the output has a single column, so the row is not a blank line).
///
/// # Errors
/// A malformed model file or one of another version, input errors and output errors, each
/// as one line.
pub fn run(args: &PredictArgs) -> CliResult<()> {
    let model =
        SavedModel::load(&args.model).map_err(|e| CliError::pipeline(args.model.display(), e))?;
    let table = read_numeric(&args.input, &model.feature_names, Others::Skip)?;
    let logistic = match model.output() {
        ModelOutput::Value => false,
        ModelOutput::Probability => true,
        other => {
            return Err(CliError::new(format!(
                "{}: predictions of kind {other:?} are not supported by this build",
                args.model.display()
            )))
        }
    };
    let k = model.feature_names.len();
    let mut raw = vec![0.0; k];
    let mut scratch = vec![0.0; model.scratch_len()];

    let mut out = Output::create(args.output.as_deref())?;
    let what = out.describe();
    let io_err = |e| CliError::io(format!("cannot write {what}"), e);
    let header: &[u8] = if logistic {
        b"probability,prediction\n"
    } else {
        b"prediction\n"
    };
    out.write_all(header).map_err(io_err)?;
    let mut line = Vec::with_capacity(64);
    for i in 0..table.nrows() {
        for (r, col) in raw.iter_mut().zip(&table.columns) {
            *r = col[i];
        }
        line.clear();
        if raw.iter().all(|v| v.is_finite()) {
            let mut value = [0.0];
            model.predict_one(&raw, &mut scratch, &mut value);
            let value = value[0];
            push_cell(&mut line, value);
            if logistic {
                line.extend_from_slice(if value > 0.5 { b",1" } else { b",0" });
            }
        } else if logistic {
            line.push(b',');
        } else {
            // A quoted empty field, not a blank line, which CSV readers skip.
            line.extend_from_slice(b"\"\"");
        }
        line.push(b'\n');
        out.write_all(&line).map_err(io_err)?;
    }
    out.commit()
}
