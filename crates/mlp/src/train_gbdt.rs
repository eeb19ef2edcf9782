//! `mlp train --model gbdt`: the histogram GBDT trainer of `ml-pipeline` on CSV columns, an
//! optional time-ordered validation tail with early stopping, a report of what training did,
//! the model file, and optionally the XGBoost JSON of the same model.

use crate::args::{GbdtFlags, GbdtObjective, GrowthKind, TrainArgs};
use crate::csv_out::Output;
use crate::error::{CliError, CliResult};
use crate::table::Table;
use crate::train_data::{check_binary_labels, Selection};
use fast_math::Par;
use ml_pipeline::models::{GbdtParams, Growth, Objective, TrainExtras, TrainedGbdt, Validation};
use ml_pipeline::{Model, PipelineError, SavedModel};
use std::io::Write;
use std::time::Instant;

/// Features listed in the importance report at most.
const TOP_FEATURES: usize = 10;
/// Iterations listed in the metric history at most (besides the first, best and last).
const HISTORY_LINES: usize = 10;

/// The hyperparameters the flags give, over LightGBM's defaults. A multiclass objective gets
/// its class count from the labels later ([`run`]); 2 stands in until then.
pub(crate) fn params(args: &TrainArgs) -> GbdtParams {
    let f: &GbdtFlags = &args.gbdt;
    let d = GbdtParams::default();
    let objective = match f.objective.unwrap_or(GbdtObjective::Regression) {
        GbdtObjective::Regression => Objective::Regression,
        GbdtObjective::Binary => Objective::Binary,
        GbdtObjective::Multiclass => Objective::Multiclass { n_classes: 2 },
        GbdtObjective::Quantile => Objective::Quantile {
            alpha: args.alpha.unwrap_or(0.9),
        },
    };
    GbdtParams {
        objective,
        n_estimators: f.n_estimators.unwrap_or(d.n_estimators),
        learning_rate: f.learning_rate.unwrap_or(d.learning_rate),
        num_leaves: f.num_leaves.unwrap_or(d.num_leaves),
        // LightGBM's convention: a depth of 0 or less is no limit.
        max_depth: match f.max_depth {
            Some(m) if m > 0 => usize::try_from(m).ok(),
            Some(_) => None,
            None => d.max_depth,
        },
        growth: match f.growth {
            Some(GrowthKind::Leaf) => Growth::LeafWise,
            Some(GrowthKind::Depth) => Growth::DepthWise,
            None => d.growth,
        },
        min_data_in_leaf: f.min_data_in_leaf.unwrap_or(d.min_data_in_leaf),
        min_sum_hessian_in_leaf: f
            .min_sum_hessian_in_leaf
            .unwrap_or(d.min_sum_hessian_in_leaf),
        lambda_l1: f.lambda_l1.unwrap_or(d.lambda_l1),
        lambda_l2: f.lambda_l2.unwrap_or(d.lambda_l2),
        min_gain_to_split: f.min_gain_to_split.unwrap_or(d.min_gain_to_split),
        max_bin: f.max_bin.unwrap_or(d.max_bin),
        bagging_fraction: f.bagging_fraction.unwrap_or(d.bagging_fraction),
        bagging_freq: f.bagging_freq.unwrap_or(d.bagging_freq),
        feature_fraction: f.feature_fraction.unwrap_or(d.feature_fraction),
        seed: f.seed.unwrap_or(d.seed),
        early_stopping_rounds: f.early_stopping_rounds,
        ..d
    }
}

/// A hyperparameter error of the trainer, phrased with the flag that set the value (the
/// trainer names its fields, `num_leaves`; the user typed `--num-leaves`).
fn flag_error(e: PipelineError) -> CliError {
    match &e {
        PipelineError::InvalidHyperparameter {
            name,
            value,
            expected,
            ..
        } => {
            let flag = match *name {
                "n_classes" => "--objective multiclass: the class count".to_string(),
                "alpha" => "--alpha".to_string(),
                other => format!("--{}", other.replace('_', "-")),
            };
            CliError::new(format!("{flag} {value}: expected {expected}"))
        }
        _ => CliError::pipeline("gbdt", e),
    }
}

/// The checks of `--model gbdt`'s flags that need no data: flags of the linear models,
/// validation settings, and every hyperparameter's range (before the file is read).
pub(crate) fn check_flags(args: &TrainArgs) -> CliResult<()> {
    let f = &args.gbdt;
    if args.pca.is_some() {
        return Err(CliError::new(
            "--pca applies to the linear models; trees split on the columns themselves",
        ));
    }
    if args.alpha.is_some() && f.objective != Some(GbdtObjective::Quantile) {
        return Err(CliError::new(
            "--alpha applies to --model ridge, and to --model gbdt with --objective quantile",
        ));
    }
    if let Some(v) = f.valid_fraction {
        if !(v > 0.0 && v < 1.0) {
            return Err(CliError::new(format!(
                "--valid-fraction {v}: expected in (0, 1)"
            )));
        }
    } else if f.early_stopping_rounds.is_some() {
        return Err(CliError::new(
            "--early-stopping-rounds needs a validation set: give --valid-fraction F",
        ));
    }
    use ml_pipeline::Fit as _;
    params(args).check().map_err(flag_error)
}

/// The class count of multiclass labels: the largest label plus one, after checking every
/// label is an integer in 0..=65535 (an error names the first other one's line or row).
fn class_count(args: &TrainArgs, table: &Table, sel: &Selection) -> CliResult<usize> {
    let y = &sel.y;
    let bad = y
        .iter()
        .position(|&v| !((0.0..=65535.0).contains(&v) && v.fract() == 0.0));
    if let Some(i) = bad {
        return Err(CliError::new(format!(
            "{}: {}, column {:?}: label {} is not a class 0, 1, 2, ..",
            args.input.display(),
            table.place(sel.rows[i]),
            args.target,
            y[i]
        )));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked above
    let k = y.iter().fold(0.0f64, |m, &v| m.max(v)) as usize + 1;
    if k < 2 {
        return Err(CliError::new(format!(
            "{}: column {:?}: every label is 0; --objective multiclass needs at least two classes",
            args.input.display(),
            args.target
        )));
    }
    Ok(k)
}

/// Trains on the selected rows (the validation tail held out when asked) without printing:
/// the model file's form, the trained ensemble, the parameters, the training rows and
/// validation rows, and the seconds taken.
///
/// # Errors
/// Labels the objective does not take (with the file line), a validation tail or training
/// part without rows, and training errors.
pub(crate) fn fit(
    args: &TrainArgs,
    table: &Table,
    sel: &Selection,
) -> CliResult<(SavedModel, Trained)> {
    let mut params = params(args);
    let (x, y) = (&sel.x, &sel.y);
    match &mut params.objective {
        Objective::Binary => check_binary_labels(args, table, sel)?,
        Objective::Multiclass { n_classes } => *n_classes = class_count(args, table, sel)?,
        _ => {}
    }
    let n = sel.rows.len();
    // The validation rows are the last ones: for time series, the most recent.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let n_valid = args
        .gbdt
        .valid_fraction
        .map_or(0, |f| (f * n as f64).round() as usize);
    if args.gbdt.valid_fraction.is_some() && (n_valid == 0 || n_valid == n) {
        return Err(CliError::new(format!(
            "--valid-fraction {}: of {n} rows, leaves {} for training and {n_valid} for validation; both need at least one",
            args.gbdt.valid_fraction.unwrap_or_default(),
            n - n_valid
        )));
    }
    let n_train = n - n_valid;
    let k = x.ncols();
    let x_train = x.as_ref().submatrix(0, 0, n_train, k);
    let valid = (n_valid > 0).then(|| Validation {
        x: x.as_ref().submatrix(n_train, 0, n_valid, k),
        y: &y[n_train..],
        weights: None,
    });
    let extras = TrainExtras {
        weights: None,
        valid,
        feature_names: Some(&sel.features),
    };
    let threads = crate::info::threads();
    let spin = crate::progress::spinner("training");
    let start = Instant::now();
    let trained = params
        .train(x_train, &y[..n_train], extras, Par::Rayon(threads))
        .map_err(|e| CliError::pipeline(format!("training on {}", args.input.display()), e))?;
    let seconds = start.elapsed().as_secs_f64();
    spin.finish_and_clear();
    let saved = trained
        .to_saved()
        .map_err(|e| CliError::pipeline("the trained model", e))?;
    let saved = SavedModel::new(sel.features.clone(), vec![], Model::Gbdt(Box::new(saved)));
    Ok((
        saved,
        Trained {
            params,
            trained,
            n_train,
            n_valid,
            seconds,
            threads,
        },
    ))
}

/// What [`fit`] did, for the report.
pub(crate) struct Trained {
    params: GbdtParams,
    trained: TrainedGbdt,
    n_train: usize,
    n_valid: usize,
    seconds: f64,
    threads: usize,
}

/// Trains on the selected rows, prints the report, saves the model (and its XGBoost JSON).
///
/// # Errors
/// As [`fit`], and write errors, each as one line.
pub(crate) fn run(args: &TrainArgs, table: &Table, sel: &Selection) -> CliResult<SavedModel> {
    let (saved, t) = fit(args, table, sel)?;
    saved
        .save(&args.out)
        .map_err(|e| CliError::pipeline("saving the model", e))?;
    if let Some(path) = &args.gbdt.export_xgboost {
        let mut out = Output::create(Some(path))?;
        let what = out.describe();
        out.write_all(t.trained.to_xgboost_json().as_bytes())
            .map_err(|e| CliError::io(format!("cannot write {what}"), e))?;
        out.commit()?;
    }
    report(&t.params, &t.trained, t.seconds, t.threads);
    let split = if t.n_valid > 0 {
        format!(
            " ({} training, {} validation: the last rows)",
            t.n_train, t.n_valid
        )
    } else {
        String::new()
    };
    say!("rows: {} used{split}", sel.rows.len());
    say!(
        "features ({}): {}",
        sel.features.len(),
        sel.features.join(", ")
    );
    say!("saved: {}", args.out.display());
    if let Some(path) = &args.gbdt.export_xgboost {
        say!("xgboost json: {}", path.display());
    }
    Ok(saved)
}

/// Prints the model, what boosting did (iterations, best one, metrics by iteration), the
/// time, and the features by total gain.
fn report(p: &GbdtParams, t: &TrainedGbdt, seconds: f64, threads: usize) {
    let objective = match p.objective {
        Objective::Multiclass { n_classes } => format!("multiclass, {n_classes} classes"),
        Objective::Quantile { alpha } => format!("quantile, alpha {alpha}"),
        Objective::Binary => "binary".into(),
        _ => "regression".into(),
    };
    let depth = p
        .max_depth
        .map_or_else(|| "unlimited".into(), |d| d.to_string());
    let growth = match p.growth {
        Growth::DepthWise => "depth-wise",
        _ => "leaf-wise",
    };
    say!(
        "model: gbdt ({objective}; {growth}, num_leaves {}, max_depth {depth}, learning_rate {})",
        p.num_leaves,
        p.learning_rate
    );
    let kept = t.model.n_iterations();
    // Without validation, the train metric has one entry per iteration run.
    let run = t.valid_metric.len().max(t.train_metric.len());
    let stop = match t.best_iteration {
        Some(b) if run < p.n_estimators => {
            format!("; early stopping kept iterations 1..={}", b + 1)
        }
        Some(b) => format!("; best iteration {}, kept 1..={}", b + 1, b + 1),
        None if run < p.n_estimators => "; stopped: no tree could split".into(),
        None => String::new(),
    };
    say!(
        "trees: {} ({kept} iterations kept of {run} run, --n-estimators {}{stop})",
        t.model.n_trees(),
        p.n_estimators
    );
    let name = t.metric_name;
    let last = kept.saturating_sub(1);
    let line = |i: usize| {
        let train = t
            .train_metric
            .get(i)
            .map(|m| format!("train {name} {m:.6}"));
        let valid = t
            .valid_metric
            .get(i)
            .map(|m| format!("valid {name} {m:.6}"));
        let parts: Vec<String> = train.into_iter().chain(valid).collect();
        format!("  iteration {:>5}: {}", i + 1, parts.join(", "))
    };
    let step = run.div_ceil(HISTORY_LINES).max(1);
    let mut shown: Vec<usize> = (0..run).step_by(step).collect();
    shown.extend(t.best_iteration);
    shown.push(run.saturating_sub(1));
    shown.sort_unstable();
    shown.dedup();
    say!("metric by iteration ({name}, lower is better; train over the kept iterations only):");
    for i in shown {
        let mark = if Some(i) == t.best_iteration {
            "  <- best"
        } else {
            ""
        };
        say!("{}{mark}", line(i));
    }
    let final_train = t.train_metric.get(last).copied().unwrap_or(f64::NAN);
    match t.valid_metric.get(last) {
        Some(v) => say!("final model: train {name} {final_train:.6}, valid {name} {v:.6}"),
        None => say!("final model: train {name} {final_train:.6}"),
    }
    say!("training time: {seconds:.3} s ({threads} threads, binning included)");
    let mut order: Vec<usize> = (0..t.total_gain.len())
        .filter(|&j| t.split_count[j] > 0)
        .collect();
    order.sort_by(|&a, &b| t.total_gain[b].total_cmp(&t.total_gain[a]));
    let total: f64 = t.total_gain.iter().sum();
    let names = t.model.feature_names();
    let top: Vec<String> = order
        .iter()
        .take(TOP_FEATURES)
        .map(|&j| {
            format!(
                "{} {:.1}% ({} splits)",
                names[j],
                100.0 * t.total_gain[j] / total.max(f64::MIN_POSITIVE),
                t.split_count[j]
            )
        })
        .collect();
    say!(
        "feature importance (share of total gain, top {}): {}",
        top.len(),
        if top.is_empty() {
            "no split".into()
        } else {
            top.join(", ")
        }
    );
}
