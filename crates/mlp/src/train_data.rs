//! The data `mlp train` fits, whatever the model: the feature columns, the rows used and
//! their values, and the label checks shared by the classifiers.

use crate::args::{ModelKind, TrainArgs};
use crate::error::{CliError, CliResult};
use crate::table::Table;
use fast_math::Mat;

/// The columns used for training, the rows used, and their values.
pub(crate) struct Selection {
    pub features: Vec<String>,
    /// Rows of the table, in file order.
    pub rows: Vec<usize>,
    /// The features of those rows.
    pub x: Mat<f64>,
    /// The target of those rows.
    pub y: Vec<f64>,
}

impl Selection {
    /// The rows at positions `at` of this selection (ascending), as a selection of their own.
    pub fn subset(&self, at: &[usize]) -> Selection {
        let k = self.x.ncols();
        Selection {
            features: self.features.clone(),
            rows: at.iter().map(|&i| self.rows[i]).collect(),
            x: Mat::from_fn(at.len(), k, |i, j| self.x[(at[i], j)]),
            y: at.iter().map(|&i| self.y[i]).collect(),
        }
    }
}

/// Chooses the feature columns (given, or every numeric column but the target) and the rows.
/// A missing value (empty cell, NaN, infinity) in the target, or in a feature of a linear
/// model, is an error naming its line and column, as scikit-learn refuses one, unless
/// `--drop-missing` drops such rows (a tree model routes a missing feature as it learned to,
/// so only its target must be present).
pub(crate) fn select(args: &TrainArgs, table: &Table) -> CliResult<Selection> {
    let trees = args.model == ModelKind::Gbdt;
    let features: Vec<String> = match &args.features {
        Some(f) => f.clone(),
        None => table
            .names
            .iter()
            .filter(|n| **n != args.target)
            .cloned()
            .collect(),
    };
    if features.is_empty() {
        return Err(CliError::new(format!(
            "{}: no numeric feature column besides the target {:?}",
            args.input.display(),
            args.target
        )));
    }
    let target = table.column(&args.target).expect("the target was read");
    let cols: Vec<&[f64]> = features
        .iter()
        .map(|n| table.column(n).expect("every feature was read"))
        .collect();
    // The first missing cell of row `i` that matters: the target, then the features.
    let missing = |i: usize| -> Option<&str> {
        if !target[i].is_finite() {
            return Some(&args.target);
        }
        if trees {
            return None;
        }
        cols.iter()
            .zip(&features)
            .find(|(c, _)| !c[i].is_finite())
            .map(|(_, n)| n.as_str())
    };
    if !args.drop_missing {
        if let Some((i, col)) = (0..table.nrows()).find_map(|i| missing(i).map(|c| (i, c))) {
            let count = (0..table.nrows()).filter(|&i| missing(i).is_some()).count();
            let what = if trees {
                "trees take missing features, but the target must be present"
            } else {
                "linear models need the target and every feature"
            };
            return Err(CliError::new(format!(
                "{}: {}, column {col:?}: missing value (empty, NaN or infinite; {what}); {count} rows have one: give --drop-missing to train without them",
                args.input.display(),
                table.place(i)
            )));
        }
    }
    let rows: Vec<usize> = (0..table.nrows())
        .filter(|&i| missing(i).is_none())
        .collect();
    if rows.is_empty() {
        let what = if trees {
            "the target filled with a finite number"
        } else {
            "the target and every feature filled with a finite number"
        };
        return Err(CliError::new(format!(
            "{}: none of the {} rows has {what}",
            args.input.display(),
            table.nrows()
        )));
    }
    let x = Mat::from_fn(rows.len(), cols.len(), |i, j| cols[j][rows[i]]);
    let y = rows.iter().map(|&r| target[r]).collect();
    Ok(Selection {
        features,
        rows,
        x,
        y,
    })
}

/// Every label 0 or 1, else an error naming the first other one's line (CSV) or row.
pub(crate) fn check_binary_labels(
    args: &TrainArgs,
    table: &Table,
    sel: &Selection,
) -> CliResult<()> {
    let y = &sel.y;
    match y.iter().position(|&v| v != 0.0 && v != 1.0) {
        Some(i) => Err(CliError::new(format!(
            "{}: {}, column {:?}: label {} is not 0 or 1",
            args.input.display(),
            table.place(sel.rows[i]),
            args.target,
            y[i]
        ))),
        None => Ok(()),
    }
}
