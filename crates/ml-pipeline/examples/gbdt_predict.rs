//! Tree ensembles trained by XGBoost and LightGBM, imported and used for prediction: one
//! row into a buffer allocated once (the hot path), then a whole matrix on two threads.
//! The models are test fixtures (`tests/fixtures/gbdt/`), made by the libraries themselves.
//!
//! Run with `cargo run --release -p ml-pipeline --example gbdt_predict`.

use fast_math::{Mat, Par};
use ml_pipeline::models::GbdtModel;
use ml_pipeline::Predict;
use std::path::Path;

fn main() -> Result<(), ml_pipeline::PipelineError> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gbdt");
    for file in ["xgb_softprob3.ubj", "lgb_binary.txt"] {
        let model = GbdtModel::load(&dir.join(file))?;
        println!(
            "{file}: {:?} {}, {} trees in {} iterations, features {:?}, output {:?}",
            model.library(),
            model.objective(),
            model.n_trees(),
            model.n_iterations(),
            model.feature_names(),
            model.output()
        );

        // One row, missing values as NaN: no allocation per call.
        let row = [0.3, f64::NAN, -1.2, 4.0, 0.0, 2.5];
        let mut scratch = vec![0.0; model.scratch_len()];
        let mut out = vec![0.0; model.output().width()];
        model.predict_one(&row, &mut scratch, &mut out);
        println!("  one row: {out:?}");

        // The raw margins of the same row, and the first 5 iterations only.
        let raw = model.clone().with_raw_margin(true);
        let mut margins = vec![0.0; raw.output().width()];
        raw.predict_one(&row, &mut scratch, &mut margins);
        let first5 = model.clone().truncate(5)?;
        first5.predict_one(&row, &mut scratch, &mut out);
        println!("  margins: {margins:?}; after 5 iterations: {out:?}");

        // A batch, row after row in the output, on two threads.
        let x = Mat::from_fn(10_000, model.n_features(), |i, j| {
            ((i * 31 + j * 17) % 200) as f64 / 10.0 - 10.0
        });
        let mut batch = vec![0.0; x.nrows() * model.output().width()];
        model.predict_into(x.as_ref(), &mut batch, Par::Rayon(2));
        let mean = batch.iter().sum::<f64>() / batch.len() as f64;
        println!("  {} rows predicted, mean output {mean:.6}", x.nrows());
    }
    Ok(())
}
