//! `mlp train --model ridge` on a file, read in chunks: the fit's passes
//! ([`Ridge::fit_chunks`], and [`StandardScaler::fit_chunks`] with `--standardize`) and the
//! in-sample figures each read the file again from its start, holding one chunk of rows,
//! so memory stays O(features^2) plus a chunk whatever the row count.
//!
//! Taken for ridge trained on every row (no `--test-fraction`, `--walk-forward` or `--pca`)
//! from a file; standard input, which cannot be read twice, and the other models and plans
//! read the table into memory ([`crate::train`]).

use crate::args::{ModelKind, TrainArgs};
use crate::csv_io::Others;
use crate::error::{CliError, CliResult};
use crate::evaluate::Scores;
use crate::formats::is_stdio;
use crate::input::Input;
use crate::table::{Place, Table};
use fast_math::{Mat, MatRef, Par};
use ml_pipeline::{
    ChunkVisitor, Model, PipelineError, Predict, Ridge, RowChunks, SavedModel, ScalerModel, Stage,
    StandardScaler, Transform,
};
use simd_kernels::{Isa, Moments};

/// Whether `args` can be trained in chunks.
pub(crate) fn applies(args: &TrainArgs) -> bool {
    args.model == ModelKind::Ridge
        && args.test_fraction.is_none()
        && args.walk_forward.is_none()
        && args.pca.is_none()
        && !is_stdio(&args.input)
}

/// What a pass can end with: the input's error, or the fit's (given its context later).
#[derive(Debug)]
pub(crate) enum PassError {
    Input(CliError),
    Fit(PipelineError),
}

impl From<PipelineError> for PassError {
    fn from(e: PipelineError) -> Self {
        PassError::Fit(e)
    }
}

impl PassError {
    fn into_cli(self, context: &str) -> CliError {
        match self {
            PassError::Input(e) => e,
            PassError::Fit(e) => CliError::pipeline(context, e),
        }
    }
}

/// What [`FileRows::each_chunk`] calls with each chunk's features and target.
type PassVisitor<'a> = dyn FnMut(MatRef<'_, f64>, &[f64]) -> Result<(), PassError> + 'a;

/// The training rows of a file: the feature columns and the target, read again from the
/// start at each pass; standardized when a scaler is set.
struct FileRows<'a> {
    args: &'a TrainArgs,
    /// The target, then the features.
    columns: Vec<String>,
    scaler: Option<ScalerModel>,
    /// Rows left out for a missing value (`--drop-missing`), counted on the first pass.
    dropped: Option<u64>,
}

impl FileRows<'_> {
    /// Calls `visit` with each chunk's rows (those without a missing value) as features and
    /// target.
    fn each_chunk(&mut self, visit: &mut PassVisitor<'_>) -> Result<(), PassError> {
        let args = self.args;
        let input =
            Input::open(&args.input, args.read.format, args.read.sep).map_err(PassError::Input)?;
        let mut chunks = input
            .chunks(&self.columns, Others::Skip)
            .map_err(PassError::Input)?;
        let k = self.columns.len() - 1;
        let mut missing: Option<(Place, usize)> = None;
        let (mut dropped, mut total) = (0u64, 0u64);
        loop {
            let table = chunks.next_chunk().map_err(PassError::Input)?;
            if table.nrows() == 0 {
                break;
            }
            total += table.nrows() as u64;
            let keep: Vec<usize> = (0..table.nrows())
                .filter(|&i| match first_missing(&table, i) {
                    Some(col) => {
                        missing.get_or_insert((table.place(i), col));
                        dropped += 1;
                        false
                    }
                    None => true,
                })
                .collect();
            if missing.is_some() && !args.drop_missing {
                continue;
            }
            let mut x = Mat::from_fn(keep.len(), k, |i, j| table.columns[j + 1][keep[i]]);
            if let Some(s) = &self.scaler {
                x = s.transform(Isa::detect(), x.as_ref());
            }
            let y: Vec<f64> = keep.iter().map(|&i| table.columns[0][i]).collect();
            visit(x.as_ref(), &y)?;
        }
        if let (Some((place, col)), false) = (missing, args.drop_missing) {
            return Err(PassError::Input(CliError::new(format!(
                "{}: {place}, column {:?}: missing value (empty, NaN or infinite; linear models need the target and every feature); {dropped} rows have one: give --drop-missing to train without them",
                args.input.display(),
                self.columns[col]
            ))));
        }
        if total > 0 && dropped == total {
            return Err(PassError::Input(CliError::new(format!(
                "{}: none of the {total} rows has the target and every feature filled with a finite number",
                args.input.display()
            ))));
        }
        self.dropped.get_or_insert(dropped);
        Ok(())
    }
}

/// The first column of row `i` (the target first) holding a missing value.
fn first_missing(table: &Table, i: usize) -> Option<usize> {
    table.columns.iter().position(|c| !c[i].is_finite())
}

impl RowChunks for FileRows<'_> {
    type Error = PassError;

    fn n_features(&self) -> usize {
        self.columns.len() - 1
    }

    fn pass(&mut self, visit: &mut ChunkVisitor<'_>) -> Result<(), PassError> {
        self.each_chunk(&mut |x, y| visit(x, y).map_err(PassError::Fit))
    }
}

/// The feature columns when `--features` names none: every column numeric throughout the
/// file and holding a value somewhere, but the target and the group column (one pass).
fn survey(args: &TrainArgs) -> CliResult<Vec<String>> {
    let input = Input::open(&args.input, args.read.format, args.read.sep)?;
    let shown = input.shown().to_string();
    let mut chunks = input.chunks(std::slice::from_ref(&args.target), Others::Numeric)?;
    let mut with_value: Vec<String> = Vec::new();
    let last = loop {
        let table = chunks.next_chunk()?;
        if let Some(note) = table.index_note().filter(|_| with_value.is_empty()) {
            eprintln!("mlp: note: {shown}: {note}");
        }
        for (name, col) in table.names.iter().zip(&table.columns) {
            if !with_value.contains(name) && col.iter().any(|v| !v.is_nan()) {
                with_value.push(name.clone());
            }
        }
        if table.nrows() == 0 {
            break table.names;
        }
    };
    Ok(last
        .into_iter()
        .filter(|n| *n != args.target && Some(n) != args.group.as_ref())
        .filter(|n| with_value.contains(n))
        .collect())
}

/// Trains, prints what was done and the in-sample figures, and returns the saved model.
///
/// # Errors
/// Input errors, missing values without `--drop-missing`, training failures, model-file
/// write errors.
pub(crate) fn run(args: &TrainArgs) -> CliResult<SavedModel> {
    if let Some(g) = &args.group {
        // Not needed to train on every row, but a name that is not there is a mistake.
        let input = Input::open(&args.input, args.read.format, args.read.sep)?;
        crate::csv_io::find_column(input.shown(), input.header(), g)?;
    }
    let features = match &args.features {
        Some(f) => f.clone(),
        None => survey(args)?,
    };
    if features.is_empty() {
        return Err(CliError::new(format!(
            "{}: no numeric feature column besides the target {:?}",
            args.input.display(),
            args.target
        )));
    }
    let context = format!("training on {}", args.input.display());
    let mut rows = FileRows {
        args,
        columns: std::iter::once(args.target.clone())
            .chain(features.iter().cloned())
            .collect(),
        scaler: None,
        dropped: None,
    };
    let mut stages = Vec::new();
    if args.standardize {
        let s = StandardScaler
            .fit_chunks(&mut rows)
            .map_err(|e| e.into_cli("--standardize"))?;
        rows.scaler = Some(s.clone());
        stages.push(Stage::StandardScaler(s));
    }
    let alpha = args.alpha.unwrap_or(1.0);
    let ridge = Ridge {
        alpha,
        fit_intercept: true,
    };
    let (model, _) = ridge
        .fit_chunks(&mut rows, Par::Rayon(crate::info::threads()))
        .map_err(|e| e.into_cli(&context))?;
    if let Some(d) = rows.dropped.filter(|&d| d > 0) {
        say!("dropped: {d} rows with a missing value (--drop-missing)");
    }
    let saved = SavedModel::new(features.clone(), stages, Model::Ridge(model));
    saved
        .save(&args.out)
        .map_err(|e| CliError::pipeline("saving the model", e))?;
    if args.standardize {
        say!("standardize: features centered and scaled (scikit-learn's StandardScaler), kept in the model file");
    }
    say!("model: ridge (alpha {alpha})");
    // The figures of the saved model, on raw rows: its scaler stage is applied by predict.
    rows.scaler = None;
    let (scores, n) = in_sample(&mut rows, &saved).map_err(|e| e.into_cli(&context))?;
    for (name, v) in scores {
        say!("in-sample {name}: {v:.6}");
    }
    say!("rows: {n} used (read in chunks)");
    say!("features ({}): {}", features.len(), features.join(", "));
    say!("saved: {}", args.out.display());
    Ok(saved)
}

/// R^2, RMSE and hit rate of `saved` on the rows, in one more pass, with the names, order
/// and definitions of the in-memory path's figures (`evaluate::score`); and the row count.
fn in_sample(rows: &mut FileRows<'_>, saved: &SavedModel) -> Result<(Scores, u64), PassError> {
    let mut y_moments = Moments::default();
    let (mut ss_res, mut hits, mut signed) = (0.0, 0u64, 0u64);
    let mut out = Vec::new();
    rows.each_chunk(&mut |x, y| {
        out.resize(y.len(), 0.0);
        saved.predict_into(x, &mut out, Par::Seq);
        y_moments = y_moments.merge(&simd_kernels::moments(y));
        for (&t, &p) in y.iter().zip(&out) {
            ss_res += (t - p) * (t - p);
            if t != 0.0 {
                signed += 1;
                hits += u64::from((t > 0.0) == (p > 0.0));
            }
        }
        Ok(())
    })?;
    let n = y_moments.count;
    let r2 = if y_moments.m2 > 0.0 {
        1.0 - ss_res / y_moments.m2
    } else if ss_res == 0.0 {
        1.0
    } else {
        0.0
    };
    let scores = vec![
        ("R^2", r2),
        ("RMSE", (ss_res / n as f64).sqrt()),
        ("hit rate", hits as f64 / signed.max(1) as f64),
    ];
    Ok((scores, n))
}
