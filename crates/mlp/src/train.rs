//! `mlp train`: fit ridge, logistic or softmax regression on columns of a CSV, Parquet or
//! Arrow file and save the model; gradient-boosted trees are trained by
//! [`crate::train_gbdt`] on the same selection. With `--test-fraction` or `--walk-forward`,
//! the model is also scored on rows it did not see, split in time order within each series
//! ([`crate::evaluate`]).

use crate::args::{ModelKind, TrainArgs};
use crate::csv_io::{Others, Table, TextRequest};
use crate::error::{CliError, CliResult};
use crate::evaluate::{format_scores, holdout, score, series, walk_forward, Fold, Task};
use crate::input::Input;
use crate::train_data::{select, Selection};
use fast_math::Par;
use ml_pipeline::{
    Fit, LogisticRegression, Model, Pca, Predict, Ridge, SavedModel, SoftmaxRegression, Stage,
    StandardScaler, Target, Transform,
};
use simd_kernels::Isa;

/// Checks the flags that clap cannot: penalties and tree flags that belong to another model,
/// repeated or target feature columns.
fn check_flags(args: &TrainArgs) -> CliResult<()> {
    match args.model {
        ModelKind::Ridge | ModelKind::Gbdt if args.c.is_some() => Err(CliError::new(
            "--c applies to --model logistic and --model softmax only",
        )),
        ModelKind::Logistic | ModelKind::Softmax if args.alpha.is_some() => Err(CliError::new(
            "--alpha applies to --model ridge, and to --model gbdt with --objective quantile",
        )),
        ModelKind::Gbdt if args.standardize => Err(CliError::new(
            "--standardize applies to the linear models; trees do not depend on the features' scale",
        )),
        ModelKind::Gbdt => crate::train_gbdt::check_flags(args),
        _ => match args.gbdt.first_given() {
            Some(flag) => Err(CliError::new(format!(
                "{flag} applies to --model gbdt only"
            ))),
            None => Ok(()),
        },
    }?;
    if let Some(f) = args.test_fraction {
        if !(f > 0.0 && f < 1.0) {
            return Err(CliError::new(format!(
                "--test-fraction {f}: expected in (0, 1)"
            )));
        }
    }
    if let Some(g) = &args.group {
        if *g == args.target || args.features.as_ref().is_some_and(|f| f.contains(g)) {
            return Err(CliError::new(format!(
                "--group {g:?} names the target or a feature column"
            )));
        }
    }
    if let Some(f) = &args.features {
        if f.iter().any(|n| n.is_empty()) {
            return Err(CliError::new(format!(
                "--features: empty column name in {:?}",
                f.join(",")
            )));
        }
        if f.contains(&args.target) {
            return Err(CliError::new(format!(
                "--features includes the target column {:?}",
                args.target
            )));
        }
        for (i, n) in f.iter().enumerate() {
            if f[..i].contains(n) {
                return Err(CliError::new(format!("--features names {n:?} twice")));
            }
        }
    }
    Ok(())
}

/// How the rows are split for evaluation.
enum Plan {
    /// Train on every row; in-sample figures only.
    InSample,
    /// Train on the first rows of each series, score the rest.
    Holdout(Fold),
    /// Score expanding-window folds, then train on every row.
    WalkForward(Vec<Fold>),
}

/// Reads, trains, prints the in-sample (and out-of-sample) metrics and saves the model.
///
/// # Errors
/// Input errors, missing values (without `--drop-missing`), labels other than 0/1 for
/// logistic regression, splits without training or test rows, training failures and
/// model-file write errors, each as one line.
pub fn run(args: &TrainArgs) -> CliResult<()> {
    check_flags(args)?;
    if crate::train_stream::applies(args) {
        return crate::train_stream::run(args).map(|_| ());
    }
    let table = read(args)?;
    let sel = select(args, &table)?;
    let dropped = table.nrows() - sel.rows.len();
    if dropped > 0 {
        say!("dropped: {dropped} rows with a missing value (--drop-missing)");
    }
    let keys = args.group.as_ref().map(|_| &table.text[0]);
    let runs = series(&sel.rows, keys);
    let plan = match (args.test_fraction, args.walk_forward) {
        (Some(f), _) => Plan::Holdout(holdout(&runs, f)?),
        (None, Some(k)) => Plan::WalkForward(walk_forward(&runs, k)?),
        (None, None) => Plan::InSample,
    };
    let what = match (&args.group, runs.len()) {
        (Some(g), n) => format!("each of {n} series of {g:?}"),
        (None, _) => "the file".to_string(),
    };
    if let Plan::WalkForward(folds) = &plan {
        say!(
            "walk-forward: {} expanding-window folds over {what}, in time order:",
            folds.len()
        );
        let mut all: Vec<Vec<(&'static str, f64)>> = Vec::new();
        for (i, fold) in folds.iter().enumerate() {
            let saved = fit_quiet(args, &table, &sel.subset(&fold.train))?;
            let scores = test_scores(args, &saved, &sel.subset(&fold.test));
            say!(
                "  fold {}: {} training rows, {} test rows: {}",
                i + 1,
                fold.train.len(),
                fold.test.len(),
                format_scores(&scores)
            );
            all.push(scores);
        }
        let mean: Vec<(&'static str, f64)> = all[0]
            .iter()
            .enumerate()
            .map(|(j, &(name, _))| {
                (
                    name,
                    all.iter().map(|s| s[j].1).sum::<f64>() / all.len() as f64,
                )
            })
            .collect();
        say!("  mean over folds: {}", format_scores(&mean));
        say!("final model: trained on every row");
    }
    // Only a held-out split copies its training rows; otherwise the selection is used as is.
    let held;
    let train = match &plan {
        Plan::Holdout(fold) => {
            held = sel.subset(&fold.train);
            &held
        }
        _ => &sel,
    };
    let saved = if args.model == ModelKind::Gbdt {
        crate::train_gbdt::run(args, &table, train)?
    } else {
        run_linear(args, &table, train)?
    };
    if let Plan::Holdout(fold) = &plan {
        let scores = test_scores(args, &saved, &sel.subset(&fold.test));
        say!(
            "out-of-sample (the last {} of {what}; the model is trained on the {} rows before): {} test rows: {}",
            args.test_fraction.unwrap_or_default(),
            fold.train.len(),
            fold.test.len(),
            format_scores(&scores)
        );
    }
    Ok(())
}

/// The table `train` reads: the target, the features (given, or every other numeric
/// column), and the group column as text.
fn read(args: &TrainArgs) -> CliResult<Table> {
    let mut required = vec![args.target.clone()];
    let others = match &args.features {
        Some(f) => {
            required.extend(f.iter().cloned());
            Others::Skip
        }
        None => Others::Numeric,
    };
    let group: Vec<String> = args.group.iter().cloned().collect();
    let text = TextRequest {
        required: &group,
        optional: &[],
    };
    let input = Input::open(&args.input, args.read.format, args.read.sep)?;
    let shown = input.shown().to_string();
    let mut table = input.read(&required, others, text)?;
    if let Some(note) = table.index_note() {
        eprintln!("mlp: note: {shown}: {note}");
    }
    if let Some(g) = &args.group {
        // A numeric group column (an integer id) is a key, not a feature.
        if let Some(j) = table.names.iter().position(|n| n == g) {
            table.names.remove(j);
            table.columns.remove(j);
        }
    }
    Ok(table)
}

/// What the model predicts, for scoring.
fn task(args: &TrainArgs, saved: &SavedModel) -> Task {
    match (&saved.model, saved.output()) {
        (Model::Softmax(m), _) => Task::Multiclass {
            classes: m.classes.clone(),
        },
        (_, ml_pipeline::Output::Probabilities(k)) => Task::Multiclass {
            classes: (0..k).map(|c| c as f64).collect(),
        },
        (_, ml_pipeline::Output::Probability) => Task::Binary,
        _ => Task::Regression {
            quantile: (args.gbdt.objective == Some(crate::args::GbdtObjective::Quantile))
                .then(|| args.alpha.unwrap_or(0.9)),
        },
    }
}

/// The scores of `saved`'s predictions on the rows of `sel`.
fn test_scores(args: &TrainArgs, saved: &SavedModel, sel: &Selection) -> Vec<(&'static str, f64)> {
    let width = saved.output().width();
    let mut out = vec![0.0; sel.rows.len() * width];
    saved.predict_into(sel.x.as_ref(), &mut out, Par::Rayon(crate::info::threads()));
    score(&task(args, saved), &sel.y, &out)
}

/// A model fitted on `sel` without printing or saving anything (a walk-forward fold).
fn fit_quiet(args: &TrainArgs, table: &Table, sel: &Selection) -> CliResult<SavedModel> {
    if args.model == ModelKind::Gbdt {
        crate::train_gbdt::fit(args, table, sel).map(|t| t.0)
    } else {
        fit_linear(args, table, sel).map(|t| t.0)
    }
}

/// Fits the linear model of `args` on `sel`, behind the optional scaler and PCA stages;
/// also returns the line describing it.
fn fit_linear(args: &TrainArgs, table: &Table, sel: &Selection) -> CliResult<(SavedModel, String)> {
    let par = Par::Rayon(crate::info::threads());
    let training = |e| CliError::pipeline(format!("training on {}", args.input.display()), e);
    let mut stages = Vec::new();
    let mut x = sel.x.clone();
    if args.standardize {
        let s = StandardScaler
            .fit(x.as_ref(), Target::None, par)
            .map_err(|e| CliError::pipeline("--standardize", e))?;
        x = s.transform(Isa::detect(), x.as_ref());
        stages.push(Stage::StandardScaler(s));
    }
    // Optional PCA: the model is trained on the component scores, and the file keeps the
    // projection so `predict` reads the raw columns.
    if let Some(components) = args.pca {
        let p = Pca {
            n_components: components,
        }
        .fit(x.as_ref(), Target::None, par)
        .map_err(|e| CliError::pipeline("--pca", e))?;
        x = p.transform(Isa::detect(), x.as_ref());
        stages.push(Stage::Pca(p));
    }
    let y = sel.y.as_slice();
    let (model, line) = match args.model {
        ModelKind::Ridge => {
            let alpha = args.alpha.unwrap_or(1.0);
            let m = Ridge {
                alpha,
                fit_intercept: true,
            }
            .fit(x.as_ref(), y, par)
            .map_err(training)?;
            (Model::Ridge(m), format!("model: ridge (alpha {alpha})"))
        }
        // Labels other than 0 and 1 (three classes, or two named otherwise): the
        // multinomial model, as scikit-learn's `LogisticRegression` fits on such labels.
        ModelKind::Logistic | ModelKind::Softmax
            if args.model == ModelKind::Softmax || y.iter().any(|&v| v != 0.0 && v != 1.0) =>
        {
            if args.model == ModelKind::Logistic {
                check_class_labels(args, table, sel)?;
            }
            let c = args.c.unwrap_or(1.0);
            let m = SoftmaxRegression {
                c,
                ..SoftmaxRegression::default()
            }
            .fit(x.as_ref(), y, par)
            .map_err(training)?;
            let line = format!(
                "model: {} (C {c}, {} classes {:?}, {} Newton iterations)",
                if args.model == ModelKind::Softmax {
                    "softmax"
                } else {
                    "logistic, multinomial"
                },
                m.classes.len(),
                m.classes,
                m.iterations
            );
            (Model::Softmax(m), line)
        }
        ModelKind::Logistic => {
            let c = args.c.unwrap_or(1.0);
            let m = LogisticRegression {
                c,
                ..LogisticRegression::default()
            }
            .fit(x.as_ref(), y, par)
            .map_err(training)?;
            let line = format!(
                "model: logistic (C {c}, {} Newton iterations)",
                m.iterations
            );
            (Model::Logistic(m), line)
        }
        ModelKind::Softmax => unreachable!("softmax is fitted by the multinomial arm"),
        ModelKind::Gbdt => unreachable!("trees are trained by train_gbdt"),
    };
    Ok((SavedModel::new(sel.features.clone(), stages, model), line))
}

/// Every label a whole number (a class), else an error naming the first other one's line
/// or row: scikit-learn refuses a continuous target for a classifier too.
fn check_class_labels(args: &TrainArgs, table: &Table, sel: &Selection) -> CliResult<()> {
    match sel.y.iter().position(|v| v.fract() != 0.0) {
        Some(i) => Err(CliError::new(format!(
            "{}: {}, column {:?}: label {} is not a class (a whole number): logistic regression \
             predicts classes; for a continuous target use --model ridge or gbdt",
            args.input.display(),
            table.place(sel.rows[i]),
            args.target,
            sel.y[i]
        ))),
        None => Ok(()),
    }
}

/// Fits the linear model on `sel`, prints what it did and its in-sample metrics, and saves
/// it.
fn run_linear(args: &TrainArgs, table: &Table, sel: &Selection) -> CliResult<SavedModel> {
    let (saved, line) = fit_linear(args, table, sel)?;
    saved
        .save(&args.out)
        .map_err(|e| CliError::pipeline("saving the model", e))?;
    for stage in &saved.stages {
        match stage {
            Stage::StandardScaler(_) => say!("standardize: features centered and scaled (scikit-learn's StandardScaler), kept in the model file"),
            Stage::Pca(p) => {
                let explained: f64 = p.explained_variance_ratio.iter().sum();
                say!(
                    "pca: {} components, explained variance ratio {explained:.6}",
                    p.n_components()
                );
            }
            _ => {}
        }
    }
    say!("{line}");
    for (name, v) in test_scores(args, &saved, sel) {
        say!("in-sample {name}: {v:.6}");
    }
    say!("rows: {} used", sel.rows.len());
    say!(
        "features ({}): {}",
        sel.features.len(),
        sel.features.join(", ")
    );
    say!("saved: {}", args.out.display());
    Ok(saved)
}
