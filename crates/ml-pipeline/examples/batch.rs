//! Batch: fit models on a feature matrix and predict a whole matrix at once.
//!
//! Ridge regression and logistic regression through the same interface (`Fit` into a
//! fitted model, `Predict::predict_into` a caller's buffer), with the rows split over two
//! threads, and PCA as a `Transform`.
//!
//! Run with `cargo run --release -p ml-pipeline --example batch`.

use fast_math::{Mat, Par};
use ml_pipeline::{Fit, LogisticRegression, Pca, Predict, Ridge, Target, Transform};

fn main() -> Result<(), ml_pipeline::PipelineError> {
    // y = 2 x0 - x1 + 0.5 + a small deterministic wobble; 10,000 rows, 3 features.
    let n = 10_000;
    let x = Mat::from_fn(n, 3, |i, j| ((i * (j + 3)) % 97) as f64 / 97.0 - 0.5);
    let y: Vec<f64> = (0..n)
        .map(|i| 2.0 * x[(i, 0)] - x[(i, 1)] + 0.5 + 1e-3 * ((i % 7) as f64 - 3.0))
        .collect();
    let par = Par::Rayon(2);

    let ridge = Ridge {
        alpha: 1e-6,
        fit_intercept: true,
    }
    .fit(x.as_ref(), &y, par)?;
    println!(
        "ridge: coef {:?}, intercept {:.6}",
        ridge.coef, ridge.intercept
    );
    let mut pred = vec![0.0; n];
    ridge.predict_into(x.as_ref(), &mut pred, par);
    let rmse = (pred
        .iter()
        .zip(&y)
        .map(|(p, t)| (p - t).powi(2))
        .sum::<f64>()
        / n as f64)
        .sqrt();
    println!("ridge: in-sample RMSE {rmse:.2e}");

    // Labels: whether y is above its median.
    let mut sorted = y.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[n / 2];
    let labels: Vec<f64> = y.iter().map(|&v| f64::from(u8::from(v > median))).collect();
    let logistic = LogisticRegression {
        c: 10.0,
        ..LogisticRegression::default()
    }
    .fit(x.as_ref(), &labels, par)?;
    let mut proba = vec![0.0; n];
    logistic.predict_into(x.as_ref(), &mut proba, par);
    let hits = proba
        .iter()
        .zip(&labels)
        .filter(|(p, l)| (**p > 0.5) == (**l == 1.0))
        .count();
    println!(
        "logistic: {} Newton iterations, in-sample accuracy {:.4}",
        logistic.iterations,
        hits as f64 / n as f64
    );

    // PCA is a transform: fitted without a target, applied row by row or to a matrix.
    let pca = Pca { n_components: 2 }.fit(x.as_ref(), Target::None, par)?;
    let mut scores = vec![0.0; n * pca.n_outputs()];
    pca.transform_into(simd_kernels::Isa::detect(), x.as_ref(), &mut scores);
    println!(
        "pca: explained variance ratio {:?}; first row's scores {:?}",
        pca.explained_variance_ratio,
        &scores[..2]
    );
    Ok(())
}
