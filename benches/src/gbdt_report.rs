//! The report of `cargo xtask compare-gbdt` (docs/COMPARISON_GBDT.md), and what the
//! `train_gbdt` binary shares with it: the test metrics, the objectives of the quality
//! table, the process's peak memory.

use ml_pipeline::models::Objective;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

/// The objectives of the quality table besides regression (whose RMSE the timing table
/// gives), by the name of their label files: `train_y_NAME.f64`, `test_y_NAME.f64`.
pub const QUALITY_OBJECTIVES: [(&str, Objective); 3] = [
    ("binary", Objective::Binary),
    ("multiclass", Objective::Multiclass { n_classes: 3 }),
    ("quantile", Objective::Quantile { alpha: 0.9 }),
];

/// A held-out metric, LightGBM's definition (lower is better for each).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Metric {
    /// Mean squared error.
    L2,
    /// Mean negative log-likelihood of 0/1 labels, probabilities clipped to [1e-15, 1 - 1e-15].
    BinaryLogloss,
    /// Mean negative log of the true class's probability, clipped below at 1e-15.
    MultiLogloss,
    /// Mean pinball loss at quantile `alpha`.
    Pinball(f64),
}

impl Metric {
    /// LightGBM's default metric of `objective`.
    pub fn of_objective(objective: Objective) -> Self {
        match objective {
            Objective::Binary => Metric::BinaryLogloss,
            Objective::Multiclass { .. } => Metric::MultiLogloss,
            Objective::Quantile { alpha } => Metric::Pinball(alpha),
            _ => Metric::L2,
        }
    }

    /// LightGBM's name of the metric.
    pub fn name(self) -> &'static str {
        match self {
            Metric::L2 => "l2",
            Metric::BinaryLogloss => "binary_logloss",
            Metric::MultiLogloss => "multi_logloss",
            Metric::Pinball(_) => "quantile",
        }
    }

    /// The metric of predictions `pred` (`width` per row: class probabilities for
    /// multiclass) against labels `y`.
    pub fn of(self, y: &[f64], pred: &[f64], width: usize) -> f64 {
        assert_eq!(y.len() * width, pred.len(), "labels vs predictions");
        let per_row = |(i, &y): (usize, &f64)| -> f64 {
            let p = pred[i * width..(i + 1) * width].as_ref();
            match self {
                Metric::L2 => (p[0] - y) * (p[0] - y),
                Metric::BinaryLogloss => {
                    let q = p[0].clamp(1e-15, 1.0 - 1e-15);
                    -(y * q.ln() + (1.0 - y) * (1.0 - q).ln())
                }
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // class labels
                Metric::MultiLogloss => -p[y as usize].clamp(1e-15, 1.0).ln(),
                Metric::Pinball(alpha) => {
                    let d = y - p[0];
                    if d >= 0.0 {
                        alpha * d
                    } else {
                        (alpha - 1.0) * d
                    }
                }
            }
        };
        #[allow(clippy::cast_precision_loss)] // row counts
        let n = y.len() as f64;
        y.iter().enumerate().map(per_row).sum::<f64>() / n
    }
}

/// The process's peak resident memory so far (Linux's `VmHWM`), in bytes; `None` where the
/// system does not say.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// A JSON file.
///
/// # Errors
/// The file's path and what went wrong.
pub fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
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

/// Writes the document from each DIR's rounds (`ours_R.json`, `peers_R.json` for R below
/// `rounds`, each contender's best round) and, where present, its streamed run
/// (`ours_stream.json`) and quality runs (`ours_quality.json`, `peers_quality.json`).
///
/// # Errors
/// A missing or malformed file, by path.
pub fn write(rounds: usize, out: &Path, dirs: &[&str]) -> Result<(), String> {
    let mut s = String::from(
        "# GBDT training against LightGBM and XGBoost\n\n\
         Generated by `cargo xtask compare-gbdt` (do not edit by hand). Data: \
         benches/python/train_gbdt_peers.py (seeded synthetic regression: smooth, step and \
         interaction terms of 10 features, the rest noise, 10% missing values, 50 000 test \
         rows). Hyperparameters, the same for every contender: 100 trees, leaf-wise with the \
         leaves below, learning rate 0.1, 255 bins, 20 rows per leaf (XGBoost: `hist`, \
         `lossguide`, `max_leaves`). Seconds are the best of the runs each section states, \
         each from the float64 matrix in memory (binning included), then the best of the \
         rounds, which alternate the peers and ours; \"vs LightGBM\" is LightGBM's time over \
         the contender's on as many threads (above 1: faster than LightGBM).\n",
    );
    let _ = writeln!(
        s,
        "\nMachine: {}, {} logical CPUs, ISA {:?}.",
        simd_kernels::probe::cpu_model(),
        std::thread::available_parallelism().map_or(1, |p| p.get()),
        simd_kernels::Isa::detect()
    );
    for dir in dirs {
        section(&mut s, Path::new(dir), rounds)?;
    }
    std::fs::write(out, s).map_err(|e| format!("{}: {e}", out.display()))
}

#[allow(clippy::cast_precision_loss)] // byte counts in MB
fn mb(v: &Value) -> String {
    v.as_u64()
        .map_or("?".into(), |b| format!("{:.0} MB", b as f64 / 1e6))
}

/// One size's section.
fn section(s: &mut String, dir: &Path, rounds: usize) -> Result<(), String> {
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
        "\n## {} rows x {} features, {} leaves\n\nBest of {} runs per contender and round.\n\n\
         | contender | threads | seconds | vs LightGBM | test RMSE |\n|---|---:|---:|---:|---:|",
        m["train"],
        m["features"],
        m["num_leaves"],
        ours["ours_1t"]["runs"].as_u64().unwrap_or(3)
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
    memory(s, dir, &m, &ours, &peers)?;
    quality(s, dir, &ours, &peers)
}

/// The peak memory of each process, and our streamed run where there is one.
fn memory(
    s: &mut String,
    dir: &Path,
    m: &Value,
    ours: &Value,
    peers: &Value,
) -> Result<(), String> {
    let input = m["train"].as_u64().unwrap_or(0) * m["features"].as_u64().unwrap_or(0) * 8;
    let _ = writeln!(
        s,
        "\nPeak resident memory of the whole process (the float64 training matrix alone is {}): \
         ours {} (the `train_gbdt time` process after all its runs), LightGBM {} (the Python \
         process after its runs, numpy data included).",
        mb(&input.into()),
        mb(&ours["ours_2t"]["peak_rss_bytes"]),
        mb(&peers["lightgbm_2t"]["peak_rss_bytes"]),
    );
    let path = dir.join("ours_stream.json");
    if path.exists() {
        let st = read_json(&path)?;
        let _ = writeln!(
            s,
            "\nStreamed (`train_gbdt stream`: the file read in chunks of 65 536 rows, each \
             binned as it comes, so the float64 matrix is never in memory; one run, two \
             threads): {:.3} s in all, of which reading and binning {:.3} s; test RMSE {:.5}; \
             **peak resident memory {}**.",
            st["seconds"].as_f64().unwrap_or(f64::NAN),
            st["read_and_bin_seconds"].as_f64().unwrap_or(f64::NAN),
            st["test_rmse"].as_f64().unwrap_or(f64::NAN),
            mb(&st["peak_rss_bytes"]),
        );
    }
    Ok(())
}

/// The held-out metrics of the other objectives against LightGBM's, with regression's from
/// the timing runs.
fn quality(s: &mut String, dir: &Path, ours: &Value, peers: &Value) -> Result<(), String> {
    let (o, p) = (
        dir.join("ours_quality.json"),
        dir.join("peers_quality.json"),
    );
    if !(o.exists() && p.exists()) {
        return Ok(());
    }
    let (oq, pq) = (read_json(&o)?, read_json(&p)?);
    let _ = writeln!(
        s,
        "\nHeld-out quality on the same features (labels derived from the regression target by \
         benches/python/train_gbdt_peers.py: binary `y > median`, three classes at its \
         tertiles, the 0.9 quantile of `y`; same hyperparameters, two threads, one run each; \
         regression from the table above, one thread). Lower is better; \
         ours / LightGBM at most 1.01 is the issue's target.\n\n\
         | objective | metric | ours | LightGBM | ours / LightGBM |\n|---|---|---:|---:|---:|"
    );
    let rmse = |who: &Value| who["test_rmse"].as_f64().unwrap_or(f64::NAN);
    let mut rows = vec![(
        "regression".to_string(),
        "rmse".to_string(),
        rmse(&ours["ours_1t"]),
        rmse(&peers["lightgbm_1t"]),
    )];
    for (name, _) in QUALITY_OBJECTIVES {
        rows.push((
            name.to_string(),
            oq[name]["metric"].as_str().unwrap_or("?").to_string(),
            oq[name]["value"].as_f64().unwrap_or(f64::NAN),
            pq[name]["value"].as_f64().unwrap_or(f64::NAN),
        ));
    }
    for (name, metric, a, b) in rows {
        let _ = writeln!(s, "| {name} | {metric} | {a:.5} | {b:.5} | {:.4} |", a / b);
    }
    Ok(())
}
