//! Our histogram GBDT trainer on the data `benches/python/train_gbdt_peers.py` writes
//! (issue 17): `train_gbdt DIR` trains 100 trees with the same hyperparameters as the
//! peers there (LightGBM's defaults: 31 leaves leaf-wise, learning rate 0.1, 255 bins,
//! 20 rows per leaf) on one and two threads, best of 3 runs each, and prints one JSON
//! object: seconds and test RMSE, the models' predictions through `predict_into`.

use fast_math::{Mat, Par};
use ml_pipeline::models::{GbdtParams, TrainExtras};
use ml_pipeline::Predict;
use serde_json::{json, Value};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: train_gbdt DIR (written by benches/python/train_gbdt_peers.py)");
        return ExitCode::from(2);
    };
    match run(Path::new(&dir)) {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("train_gbdt: {e}");
            ExitCode::from(2)
        }
    }
}

fn read_f64(path: &Path) -> Result<Vec<f64>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect())
}

fn matrix(path: &Path, rows: usize, cols: usize) -> Result<Mat<f64>, String> {
    let v = read_f64(path)?;
    if v.len() != rows * cols {
        return Err(format!(
            "{}: {} values, expected {rows} x {cols}",
            path.display(),
            v.len()
        ));
    }
    Ok(Mat::from_fn(rows, cols, |i, j| v[i * cols + j]))
}

fn run(dir: &Path) -> Result<Value, String> {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("manifest.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let get = |k: &str| {
        manifest[k]
            .as_u64()
            .and_then(|v| usize::try_from(v).ok())
            .ok_or(format!("manifest.json: no {k}"))
    };
    let (n, nt, p, trees) = (get("train")?, get("test")?, get("features")?, get("trees")?);
    let x = matrix(&dir.join("train_x.f64"), n, p)?;
    let y = read_f64(&dir.join("train_y.f64"))?;
    let xt = matrix(&dir.join("test_x.f64"), nt, p)?;
    let yt = read_f64(&dir.join("test_y.f64"))?;
    let params = GbdtParams {
        n_estimators: trees,
        ..GbdtParams::default()
    };
    let mut out = serde_json::Map::new();
    for (name, par) in [("ours_1t", Par::Seq), ("ours_2t", Par::Rayon(2))] {
        let mut best = f64::INFINITY;
        let mut model = None;
        for _ in 0..3 {
            let t = Instant::now();
            let trained = params
                .train(x.as_ref(), &y, TrainExtras::default(), par)
                .map_err(|e| e.to_string())?;
            best = best.min(t.elapsed().as_secs_f64());
            model = Some(trained.model);
        }
        let model = model.expect("three runs");
        let mut pred = vec![0.0; nt];
        model.predict_into(xt.as_ref(), &mut pred, Par::Seq);
        let mse = pred
            .iter()
            .zip(&yt)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            / nt as f64;
        out.insert(
            name.into(),
            json!({"seconds": best, "test_rmse": mse.sqrt()}),
        );
    }
    Ok(Value::Object(out))
}
