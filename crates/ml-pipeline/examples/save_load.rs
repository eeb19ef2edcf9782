//! Saving and loading: a fitted chain (scaler, PCA, model) written as a versioned JSON
//! model file and read back, predicting bit for bit the same.
//!
//! Run with `cargo run --release -p ml-pipeline --example save_load`.

use fast_math::{Mat, Par};
use ml_pipeline::{
    Fit, Model, Pca, Predict, Ridge, SavedModel, Stage, StandardScaler, Target, Transform,
};
use simd_kernels::Isa;

fn main() -> Result<(), ml_pipeline::PipelineError> {
    let n = 2_000;
    let x = Mat::from_fn(n, 4, |i, j| 1e3 * j as f64 + ((i * (j + 5)) % 31) as f64);
    let y: Vec<f64> = (0..n).map(|i| x[(i, 0)] - 0.5 * x[(i, 3)]).collect();

    let scaler = StandardScaler.fit(x.as_ref(), Target::None, Par::Seq)?;
    let scaled = scaler.transform(Isa::detect(), x.as_ref());
    let pca = Pca { n_components: 3 }.fit(scaled.as_ref(), Target::None, Par::Seq)?;
    let scores = pca.transform(Isa::detect(), scaled.as_ref());
    let ridge = Ridge::default().fit(scores.as_ref(), &y, Par::Seq)?;
    let names = ["a", "b", "c", "d"].map(String::from).to_vec();
    let saved = SavedModel::new(
        names,
        vec![Stage::StandardScaler(scaler), Stage::Pca(pca)],
        Model::Ridge(ridge),
    );

    let path =
        std::env::temp_dir().join(format!("ml-pipeline-example-{}.json", std::process::id()));
    saved.save(&path)?;
    let loaded = SavedModel::load(&path)?;
    std::fs::remove_file(&path).ok();
    assert_eq!(loaded, saved);

    let row = [1000.5, 1012.0, 2003.0, 3017.0];
    let (mut scratch, mut a, mut b) = (vec![0.0; saved.scratch_len()], [0.0], [0.0]);
    saved.predict_one(&row, &mut scratch, &mut a);
    loaded.predict_one(&row, &mut scratch, &mut b);
    assert_eq!(a[0].to_bits(), b[0].to_bits());
    println!(
        "saved and loaded {} (format version {}): prediction {} both times",
        path.display(),
        loaded.version,
        a[0]
    );
    Ok(())
}
