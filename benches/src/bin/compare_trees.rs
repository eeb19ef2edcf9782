//! The Rust side of `cargo xtask compare-trees`: our tree-ensemble inference against
//! XGBoost, LightGBM, Treelite + TL2cgen, lleaves and ONNX Runtime on the same model files
//! and rows (issue 16).
//!
//! - `compare_trees time DIR ROUND`: times our single-row latency (`predict_one`, median
//!   per call) and batch prediction of every row of `DIR/rows.f64` on one and two threads
//!   (medians), writes `ours_ROUND.json` and our answers as `ours_<model>.f64`.
//! - `compare_trees report DIR [PAGE]`: merges every round of ours and the peers'
//!   (`peers_ROUND.json`, from benches/python/compare_trees_peers.py) into `PAGE` (relative
//!   to the workspace root; default `docs/COMPARISON_TREES.md`).

use benches::trees;
use fast_math::Par;
use ml_pipeline::Predict;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

const FEATURES: usize = 50;
/// Distinct rows the single-row timing cycles through.
const SINGLE_ROWS: usize = 4096;
/// Batch predictions timed per thread count (alternating one and two threads).
const BATCH_REPS: usize = 5;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["time", dir, round] => time_ours(Path::new(dir), round),
        ["report", dir] => report(Path::new(dir), "docs/COMPARISON_TREES.md"),
        ["report", dir, page] => report(Path::new(dir), page),
        _ => Err("usage: compare_trees time DIR ROUND | report DIR [PAGE]".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compare_trees: {e}");
            ExitCode::from(2)
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time_ours(dir: &Path, round: &str) -> Result<(), String> {
    let manifest: Value = read_json(&dir.join("manifest.json"))?;
    let n = batch_rows(&manifest)?;
    let x = trees::rows(dir, n, FEATURES)?;
    let mut entries = Vec::new();
    for (name, model) in trees::models(dir)? {
        let n_trees = model.n_trees();
        // Single row: a call per row, timed 4096 calls at a time, 31 times; median per call.
        let rows: Vec<Vec<f64>> = (0..SINGLE_ROWS)
            .map(|r| (0..FEATURES).map(|j| x.as_ref().get(r, j)).collect())
            .collect();
        let mut out = [0.0];
        let mut scratch = vec![0.0; model.scratch_len()];
        let single = median(
            (0..31)
                .map(|_| {
                    let t = Instant::now();
                    for r in &rows {
                        model.predict_one(black_box(r), &mut scratch, &mut out);
                        black_box(out[0]);
                    }
                    t.elapsed().as_secs_f64() / SINGLE_ROWS as f64
                })
                .collect(),
        );
        let mut preds = vec![0.0; n];
        let mut batch = |par: Par| {
            let t = Instant::now();
            model.predict_into(black_box(x.as_ref()), &mut preds, par);
            t.elapsed().as_secs_f64()
        };
        // One and two threads alternate, so that a slow spell of the shared host falls on
        // both and the ratio of the medians compares like with like.
        let (mut seqs, mut twos) = (Vec::new(), Vec::new());
        for _ in 0..BATCH_REPS {
            seqs.push(batch(Par::Seq));
            twos.push(batch(Par::Rayon(2)));
        }
        let (seq, two) = (median(seqs), median(twos));
        let per = |s: f64| s * 1e9 / (n as f64 * n_trees as f64);
        println!(
            "{name}: single row {:.3} us, batch seq {:.3} ns/tree/row, 2 threads {:.3} \
             ({:.2}x)",
            single * 1e6,
            per(seq),
            per(two),
            seq / two
        );
        write_f64(&dir.join(format!("ours_{name}.f64")), &preds)?;
        entries.push(json!({
            "model": name, "trees": n_trees, "rows": n, "layout": model.layout(),
            "single_s": single, "batch_seq_s": seq, "batch_2t_s": two,
        }));
    }
    write_json(&dir.join(format!("ours_{round}.json")), &json!(entries))
}

/// Rows of the batch: every row of the file (1M), or the first `$TREES_ROWS` (the peers'
/// script reads the same variable), for a shorter run on a busy machine.
fn batch_rows(manifest: &Value) -> Result<usize, String> {
    let all = manifest["rows"].as_u64().ok_or("manifest: rows")? as usize;
    Ok(std::env::var("TREES_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(all, |n: usize| n.min(all)))
}

/// Writes the page `page` (relative to the workspace root).
fn report(dir: &Path, page: &str) -> Result<(), String> {
    let manifest: Value = read_json(&dir.join("manifest.json"))?;
    let (mut ours, mut peers) = (Vec::new(), Vec::new());
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|s| s.to_str()).unwrap_or("");
        if name.starts_with("ours_") && name.ends_with(".json") {
            ours.extend(read_json(&p)?.as_array().cloned().unwrap_or_default());
        } else if name.starts_with("peers_") && name.ends_with(".json") {
            peers.extend(read_json(&p)?.as_array().cloned().unwrap_or_default());
        }
    }
    let cpu = simd_kernels::probe::cpu_model();
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "# Tree-ensemble inference against peers\n");
    let _ = writeln!(
        w,
        "Generated by `cargo xtask compare-trees` (do not edit by hand). Machine: {cpu}, \
         {} logical CPUs, ISA {:?}{}. Models: 500 trees of depth 6 over 50 features, trained \
         by XGBoost {} and LightGBM {} on seeded synthetic data \
         (benches/python/make_tree_bench.py); batch = {} rows, the same rows for every \
         contender. Each figure is the median over rounds (ours and the peers alternate) of \
         per-round medians. Ours: `predict_one` per call in Rust; peers: one Python call \
         on a 1 x 50 array (their per-call overhead included, as a user pays it). Batch: \
         ns per tree per row = time / (rows x trees). One thread unless said; peers pinned \
         to one thread. \"max |diff|\" is the largest absolute difference from our \
         predictions over all rows.\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        simd_kernels::Isa::detect(),
        match simd_kernels::Isa::env_cap() {
            Ok(Some(cap)) => format!(
                " (ours capped by {}={}; the peers run their own code paths, uncapped)",
                simd_kernels::ISA_ENV_VAR,
                cap.name()
            ),
            _ => String::new(),
        },
        manifest["xgboost"].as_str().unwrap_or("?"),
        manifest["lightgbm"].as_str().unwrap_or("?"),
        ours.first().map_or(Value::Null, |e| e["rows"].clone()),
    );
    for model in ["xgboost", "lightgbm"] {
        let mine: Vec<&Value> = ours.iter().filter(|e| e["model"] == model).collect();
        if mine.is_empty() {
            continue;
        }
        let trees = mine[0]["trees"].as_f64().unwrap_or(1.0);
        let rows = mine[0]["rows"].as_f64().unwrap_or(1.0);
        let med = |k: &str| median(mine.iter().filter_map(|e| e[k].as_f64()).collect());
        let (single, seq, two) = (med("single_s"), med("batch_seq_s"), med("batch_2t_s"));
        let per = |s: f64| s * 1e9 / (rows * trees);
        let layout = mine[0]["layout"].as_str().unwrap_or("?");
        let _ = writeln!(
            w,
            "## {model} model ({trees} trees; our layout `{layout}`)\n"
        );
        let _ = writeln!(
            w,
            "| contender | single row (us/call) | ours faster | batch (ns/tree/row) | ours \
             faster | max \\|diff\\| | note |\n|---|---:|---:|---:|---:|---:|---|"
        );
        let _ = writeln!(
            w,
            "| **ours** (`GbdtModel`, 1 thread) | {:.3} | | {:.3} | | | |",
            single * 1e6,
            per(seq)
        );
        let _ = writeln!(
            w,
            "| **ours**, 2 threads | | | {:.3} | | | {:.2}x one thread |",
            per(two),
            seq / two
        );
        let mut names: Vec<String> = Vec::new();
        for p in peers.iter().filter(|p| p["model"] == model) {
            let peer = p["peer"].as_str().unwrap_or("?").to_string();
            if !names.contains(&peer) {
                names.push(peer);
            }
        }
        for peer in names {
            let rows_of: Vec<&Value> = peers
                .iter()
                .filter(|p| p["model"] == model && p["peer"] == peer.as_str())
                .collect();
            let pm = |k: &str| {
                let v: Vec<f64> = rows_of.iter().filter_map(|e| e[k].as_f64()).collect();
                (!v.is_empty()).then(|| median(v))
            };
            let note = rows_of
                .last()
                .and_then(|e| e["note"].as_str())
                .unwrap_or("");
            let cell = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map_or("—".into(), f);
            let (ps, pb, diff) = (pm("single_s"), pm("batch_s"), pm("max_abs_diff"));
            let _ = writeln!(
                w,
                "| {peer} | {} | {} | {} | {} | {} | {note} |",
                cell(ps, &|s| format!("{:.3}", s * 1e6)),
                cell(ps, &|s| format!("{:.2}x", s / single)),
                cell(pb, &|s| format!("{:.3}", per(s))),
                cell(pb, &|s| format!("{:.2}x", s / seq)),
                cell(diff, &|d| format!("{d:.3e}")),
            );
        }
        let _ = writeln!(w);
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(page);
    std::fs::write(&path, md).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

fn read_json(path: &Path) -> Result<Value, String> {
    let s = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&s).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_json(path: &Path, v: &Value) -> Result<(), String> {
    std::fs::write(path, serde_json::to_string_pretty(v).expect("json"))
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn write_f64(path: &Path, v: &[f64]) -> Result<(), String> {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}
