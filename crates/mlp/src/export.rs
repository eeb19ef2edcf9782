//! `mlp export`: a model file's tree ensemble as XGBoost JSON.
//!
//! A tree model keeps the library file it was imported from, byte for byte (trees trained
//! here are kept as the XGBoost JSON they export to), so exporting writes that file: XGBoost
//! loads it and predicts what `mlp predict` predicts. What cannot be written faithfully is
//! refused: a linear model, a model imported from another format, an ensemble cut to its
//! first iterations (XGBoost would read every tree), or one set to raw margins.

use crate::args::{ExportArgs, ExportFormat};
use crate::csv_out::Output;
use crate::error::{CliError, CliResult};
use ml_pipeline::{GbdtFormat, Model, SavedModel};
use std::io::Write;

/// Writes the XGBoost JSON of `--model`'s tree ensemble to `--out`.
///
/// # Errors
/// A model file that cannot be read, a model that is not a tree ensemble or cannot be
/// exported as it is (the message says why), and write errors.
pub fn run(args: &ExportArgs) -> CliResult<()> {
    let ExportFormat::Xgboost = args.format;
    let shown = args.model.display();
    let saved = SavedModel::load(&args.model)
        .map_err(|e| CliError::pipeline(format!("reading {shown}"), e))?;
    let Model::Gbdt(trees) = &saved.model else {
        return Err(CliError::new(format!(
            "{shown}: a linear model; only tree ensembles export to XGBoost JSON"
        )));
    };
    if !saved.stages.is_empty() {
        return Err(CliError::new(format!(
            "{shown}: the trees read transformed inputs (a scaler or projection stage), which an XGBoost file cannot hold"
        )));
    }
    match trees.format() {
        GbdtFormat::XgboostJson => {}
        other => {
            let from = match other {
                GbdtFormat::XgboostUbjson => "an XGBoost UBJSON",
                GbdtFormat::LightgbmText => "a LightGBM text",
                _ => "another library's",
            };
            return Err(CliError::new(format!(
                "{shown}: the trees came from {from} file; export writes XGBoost JSON from models trained here or imported from XGBoost JSON"
            )));
        }
    }
    if let Some(n) = trees.kept_iterations() {
        return Err(CliError::new(format!(
            "{shown}: the model uses its first {n} iterations only; an XGBoost file would predict with all of them"
        )));
    }
    if trees.model().is_raw_margin() {
        return Err(CliError::new(format!(
            "{shown}: the model predicts raw margins; an XGBoost file predicts transformed values (ask XGBoost for output_margin)"
        )));
    }
    let mut out = Output::create(Some(&args.out))?;
    let what = out.describe();
    out.write_all(trees.source())
        .map_err(|e| CliError::io(format!("cannot write {what}"), e))?;
    out.commit()?;
    say!("xgboost json: {}", args.out.display());
    Ok(())
}
