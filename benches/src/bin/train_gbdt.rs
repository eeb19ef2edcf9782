//! Our histogram GBDT trainer on the data `benches/python/train_gbdt_peers.py` writes
//! (issue 17), and the report of `cargo xtask compare-gbdt`.
//!
//! - `train_gbdt time DIR`: trains the trees of DIR's manifest (100 trees, its `num_leaves`
//!   leaf-wise, learning rate 0.1, 255 bins, 20 rows per leaf: LightGBM's defaults
//!   otherwise) on one and two threads, alternating, best of 3 runs each, and writes DIR/ours.json:
//!   seconds, test RMSE (the model's predictions through `predict_into`) and the phases of
//!   the best run.
//! - `train_gbdt report ROUNDS OUT.md DIR..`: merges each DIR's `ours_R.json` and
//!   `peers_R.json` (R below ROUNDS), each contender's best round, into OUT.md
//!   (docs/COMPARISON_GBDT.md).

use fast_math::{Mat, Par};
use ml_pipeline::models::{GbdtParams, TrainExtras, TrainPhases};
use ml_pipeline::Predict;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["time", dir] => time(Path::new(dir)),
        ["report", rounds, out, dirs @ ..] if !dirs.is_empty() => rounds
            .parse()
            .map_err(|_| format!("report: {rounds:?} is not a round count"))
            .and_then(|r| report(r, Path::new(out), dirs)),
        _ => Err("usage: train_gbdt time DIR | report ROUNDS OUT.md DIR..".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("train_gbdt: {e}");
            ExitCode::from(2)
        }
    }
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
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

fn time(dir: &Path) -> Result<(), String> {
    let manifest = read_json(&dir.join("manifest.json"))?;
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
        num_leaves: get("num_leaves")?,
        ..GbdtParams::default()
    };
    // One and two threads alternate, run after run, so that a change in the machine's
    // speed (shared hosts drift by tens of percent within minutes) reaches both alike.
    let configs = [("ours_1t", Par::Seq), ("ours_2t", Par::Rayon(2))];
    let mut best: [Option<(f64, TrainPhases)>; 2] = [None, None];
    let mut models = [None, None];
    for _ in 0..3 {
        for (c, &(_, par)) in configs.iter().enumerate() {
            let t = Instant::now();
            let trained = params
                .train(x.as_ref(), &y, TrainExtras::default(), par)
                .map_err(|e| e.to_string())?;
            let secs = t.elapsed().as_secs_f64();
            if best[c].is_none_or(|(b, _)| secs < b) {
                best[c] = Some((secs, trained.phases));
            }
            models[c] = Some(trained.model);
        }
    }
    let mut out = serde_json::Map::new();
    for (c, &(name, _)) in configs.iter().enumerate() {
        let (secs, ph) = best[c].expect("three runs");
        let model = models[c].take().expect("three runs");
        let mut pred = vec![0.0; nt];
        model.predict_into(xt.as_ref(), &mut pred, Par::Seq);
        let mse = pred
            .iter()
            .zip(&yt)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            / nt as f64;
        eprintln!("{name}: {secs:.3} s, test RMSE {:.6}", mse.sqrt());
        out.insert(
            name.into(),
            json!({"seconds": secs, "test_rmse": mse.sqrt(), "phases": {
                "binning": ph.binning, "gradients": ph.gradients, "histograms": ph.histograms,
                "split_finding": ph.split_finding, "partitioning": ph.partitioning,
                "updates": ph.updates, "total": ph.total,
            }}),
        );
    }
    let path = dir.join("ours.json");
    std::fs::write(&path, Value::Object(out).to_string())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The contenders of a report, in order: key in ours.json/peers.json, label, threads.
const CONTENDERS: [(&str, &str, u32); 6] = [
    ("ours_1t", "**ours**", 1),
    ("lightgbm_1t", "LightGBM", 1),
    ("xgboost_1t", "XGBoost hist", 1),
    ("ours_2t", "**ours**", 2),
    ("lightgbm_2t", "LightGBM", 2),
    ("xgboost_2t", "XGBoost hist", 2),
];

const PHASES: [&str; 6] = [
    "binning",
    "gradients",
    "histograms",
    "split_finding",
    "partitioning",
    "updates",
];

/// Each contender's best round: `who_R.json` for R below `rounds`, key by key (the round
/// with the least seconds).
fn best_rounds(dir: &Path, who: &str, rounds: usize) -> Result<Value, String> {
    let mut best = serde_json::Map::new();
    for r in 0..rounds {
        let v = read_json(&dir.join(format!("{who}_{r}.json")))?;
        for (k, e) in v
            .as_object()
            .ok_or(format!("{who}_{r}.json: not an object"))?
        {
            let secs = e["seconds"].as_f64().unwrap_or(f64::INFINITY);
            let better = best
                .get(k)
                .and_then(|b: &Value| b["seconds"].as_f64())
                .is_none_or(|b| secs < b);
            if better {
                best.insert(k.clone(), e.clone());
            }
        }
    }
    Ok(Value::Object(best))
}

fn report(rounds: usize, out: &Path, dirs: &[&str]) -> Result<(), String> {
    let mut s = String::from(
        "# GBDT training against LightGBM and XGBoost\n\n\
         Generated by `cargo xtask compare-gbdt` (do not edit by hand). Data: \
         benches/python/train_gbdt_peers.py (seeded synthetic regression: smooth, step and \
         interaction terms of 10 features, the rest noise, 10% missing values, 50 000 test \
         rows). Hyperparameters, the same for every contender: 100 trees, leaf-wise with the \
         leaves below, learning rate 0.1, 255 bins, 20 rows per leaf (XGBoost: `hist`, \
         `lossguide`, `max_leaves`). Seconds are the best of 3 runs, each from the raw float64 \
         matrix (binning included), then the best of the rounds, which alternate the peers and ours; \"vs LightGBM\" is LightGBM's time over the contender's on \
         as many threads (above 1: faster than LightGBM).\n",
    );
    let _ = writeln!(
        s,
        "\nMachine: {}, {} logical CPUs, ISA {:?}.",
        simd_kernels::probe::cpu_model(),
        std::thread::available_parallelism().map_or(1, |p| p.get()),
        simd_kernels::Isa::detect()
    );
    for dir in dirs {
        let dir = Path::new(dir);
        let m = read_json(&dir.join("manifest.json"))?;
        let ours = best_rounds(dir, "ours", rounds)?;
        let peers = best_rounds(dir, "peers", rounds)?;
        let entry = |key: &str| {
            if key.starts_with("ours") {
                ours[key].clone()
            } else {
                peers[key].clone()
            }
        };
        let _ = writeln!(
            s,
            "\n## {} rows x {} features, {} leaves\n\n| contender | threads | seconds | vs LightGBM | test RMSE |\n|---|---:|---:|---:|---:|",
            m["train"], m["features"], m["num_leaves"]
        );
        for (key, label, threads) in CONTENDERS {
            let e = entry(key);
            let secs = e["seconds"].as_f64().ok_or(format!("{key}: no seconds"))?;
            let lgb = entry(&format!("lightgbm_{threads}t"))["seconds"]
                .as_f64()
                .ok_or("no LightGBM time")?;
            let version = e["version"]
                .as_str()
                .map_or(String::new(), |v| format!(" {v}"));
            let _ = writeln!(
                s,
                "| {label}{version} | {threads} | {secs:.3} | {:.2}x | {:.5} |",
                lgb / secs,
                e["test_rmse"].as_f64().unwrap_or(f64::NAN)
            );
        }
        let _ = writeln!(
            s,
            "\nOur time by phase (best run; wall clock, so on 2 threads the phases that run in \
             parallel count once):\n\n| threads | {} | total |\n|---:|{}---:|",
            PHASES.join(" | ").replace('_', " "),
            "---:|".repeat(PHASES.len())
        );
        for (key, threads) in [("ours_1t", 1), ("ours_2t", 2)] {
            let ph = &ours[key]["phases"];
            let total = ph["total"].as_f64().unwrap_or(f64::NAN);
            let cells: String = PHASES
                .iter()
                .map(|p| {
                    let v = ph[*p].as_f64().unwrap_or(f64::NAN);
                    format!(" {v:.3} s ({:.0}%) |", 100.0 * v / total)
                })
                .collect();
            let _ = writeln!(s, "| {threads} |{cells} {total:.3} s |");
        }
    }
    std::fs::write(out, s).map_err(|e| format!("{}: {e}", out.display()))
}
