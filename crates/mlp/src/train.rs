//! `mlp train`: fit ridge, logistic or softmax regression on columns of a CSV, Parquet or
//! Arrow file and save the model;
//! gradient-boosted trees are trained by [`crate::train_gbdt`] on the same selection.

use crate::args::{ModelKind, TrainArgs};
use crate::csv_io::{Others, TextRequest};
use crate::error::{CliError, CliResult};
use crate::input::Input;
use crate::train_data::{check_binary_labels, select};
use fast_math::Par;
use ml_pipeline::{
    Fit, LogisticRegression, Model, Pca, Predict, Ridge, SavedModel, SoftmaxRegression, Stage,
    Target, Transform,
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
        ModelKind::Gbdt => crate::train_gbdt::check_flags(args),
        _ => match args.gbdt.first_given() {
            Some(flag) => Err(CliError::new(format!(
                "{flag} applies to --model gbdt only"
            ))),
            None => Ok(()),
        },
    }?;
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

/// `log(1 + exp(z))` without overflow.
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// Coefficient of determination, as scikit-learn's `r2_score` (1 for a perfect fit of a
/// constant target, 0 for an imperfect one).
pub fn r_squared(y: &[f64], pred: &[f64]) -> f64 {
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let ss_tot: f64 = y.iter().map(|v| (v - mean) * (v - mean)).sum();
    let ss_res: f64 = y.iter().zip(pred).map(|(a, b)| (a - b) * (a - b)).sum();
    if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else if ss_res == 0.0 {
        1.0
    } else {
        0.0
    }
}

/// Reads, trains, prints the in-sample metrics and saves the model.
///
/// # Errors
/// Input errors, labels other than 0/1 for logistic regression, training failures and
/// model-file write errors, each as one line.
pub fn run(args: &TrainArgs) -> CliResult<()> {
    check_flags(args)?;
    let mut required = vec![args.target.clone()];
    let others = match &args.features {
        Some(f) => {
            required.extend(f.iter().cloned());
            Others::Skip
        }
        None => Others::Numeric,
    };
    let input = Input::open(&args.input, args.read.format, args.read.sep)?;
    let shown = input.shown().to_string();
    let table = input.read(&required, others, TextRequest::default())?;
    if let Some(note) = table.index_note() {
        eprintln!("mlp: note: {shown}: {note}");
    }
    let sel = select(args, &table)?;
    if args.model == ModelKind::Gbdt {
        return crate::train_gbdt::run(args, &table, &sel);
    }
    let (n, k) = (sel.x.nrows(), sel.x.ncols());
    let y = sel.y.as_slice();
    let par = Par::Rayon(std::thread::available_parallelism().map_or(1, |p| p.get()));

    // Optional PCA: the model is trained on the component scores, and the file keeps the
    // projection so `predict` reads the raw columns.
    let pca = match args.pca {
        Some(components) => Some(
            Pca {
                n_components: components,
            }
            .fit(sel.x.as_ref(), Target::None, par)
            .map_err(|e| CliError::pipeline("--pca", e))?,
        ),
        None => None,
    };
    let projected = pca
        .as_ref()
        .map(|p| p.transform(Isa::detect(), sel.x.as_ref()));
    let x = projected.as_ref().unwrap_or(&sel.x);

    let (model, summary) = match args.model {
        ModelKind::Ridge => {
            let alpha = args.alpha.unwrap_or(1.0);
            let m = Ridge {
                alpha,
                fit_intercept: true,
            }
            .fit(x.as_ref(), y, par)
            .map_err(|e| CliError::pipeline(format!("training on {}", args.input.display()), e))?;
            let mut pred = vec![0.0; n];
            m.predict_into(x.as_ref(), &mut pred, par);
            let summary = format!(
                "model: ridge (alpha {alpha})\nin-sample R^2: {:.6}",
                r_squared(y, &pred)
            );
            (Model::Ridge(m), summary)
        }
        ModelKind::Logistic => {
            check_binary_labels(args, &table, &sel)?;
            let c = args.c.unwrap_or(1.0);
            let m = LogisticRegression {
                c,
                ..LogisticRegression::default()
            }
            .fit(x.as_ref(), y, par)
            .map_err(|e| CliError::pipeline(format!("training on {}", args.input.display()), e))?;
            // The log-odds: the logistic model's linear part.
            let mut z = vec![0.0; n];
            m.linear.predict_into(x.as_ref(), &mut z, par);
            let hits = z
                .iter()
                .zip(y)
                .filter(|(z, y)| (**z > 0.0) == (**y == 1.0))
                .count();
            let loss: f64 = z
                .iter()
                .zip(y)
                .map(|(&z, &y)| if y == 1.0 { softplus(-z) } else { softplus(z) })
                .sum::<f64>()
                / n as f64;
            let summary = format!(
                "model: logistic (C {c}, {} Newton iterations)\nin-sample accuracy: {:.6}\nin-sample log-loss: {loss:.6}",
                m.iterations,
                hits as f64 / n as f64
            );
            (Model::Logistic(m), summary)
        }
        ModelKind::Softmax => {
            let c = args.c.unwrap_or(1.0);
            let m = SoftmaxRegression {
                c,
                ..SoftmaxRegression::default()
            }
            .fit(x.as_ref(), y, par)
            .map_err(|e| CliError::pipeline(format!("training on {}", args.input.display()), e))?;
            let kc = m.classes.len();
            let mut probs = vec![0.0; n * kc];
            m.predict_into(x.as_ref(), &mut probs, par);
            let (mut hits, mut loss) = (0usize, 0.0);
            for (p, &label) in probs.chunks_exact(kc).zip(y) {
                let best = p
                    .iter()
                    .enumerate()
                    .fold(0, |b, (j, &v)| if v > p[b] { j } else { b });
                hits += usize::from(m.classes[best] == label);
                let truth = m.classes.partition_point(|&c| c < label);
                loss -= p[truth].ln();
            }
            let summary = format!(
                "model: softmax (C {c}, {kc} classes {:?}, {} Newton iterations)\nin-sample accuracy: {:.6}\nin-sample log-loss: {:.6}",
                m.classes,
                m.iterations,
                hits as f64 / n as f64,
                loss / n as f64
            );
            (Model::Softmax(m), summary)
        }
        ModelKind::Gbdt => unreachable!("trees are trained by train_gbdt::run above"),
    };
    let mut stages = Vec::new();
    if let Some(p) = pca {
        let explained: f64 = p.explained_variance_ratio.iter().sum();
        say!(
            "pca: {} components, explained variance ratio {explained:.6}",
            p.n_components()
        );
        stages.push(Stage::Pca(p));
    }
    let saved = SavedModel::new(sel.features.clone(), stages, model);
    saved
        .save(&args.out)
        .map_err(|e| CliError::pipeline("saving the model", e))?;
    say!("{summary}");
    say!(
        "rows: {n} used, {} skipped (an empty or non-finite cell)",
        table.nrows() - n
    );
    say!("features ({k}): {}", sel.features.join(", "));
    say!("saved: {}", args.out.display());
    Ok(())
}
