//! Our histogram GBDT trainer on the data `benches/python/train_gbdt_peers.py` writes
//! (issue 17), and the report of `cargo xtask compare-gbdt`.
//!
//! - `train_gbdt time DIR RUNS`: trains the trees of DIR's manifest (100 trees, its
//!   `num_leaves` leaf-wise, learning rate 0.1, 255 bins, 20 rows per leaf: LightGBM's
//!   defaults otherwise) on one and two threads, alternating, best of RUNS runs each, from the
//!   float64 matrix in memory, and writes DIR/ours.json: seconds, test RMSE (the model's
//!   predictions through `predict_into`), the phases of the best run and the process's peak
//!   resident memory.
//! - `train_gbdt quality DIR`: trains the binary, multiclass and quantile models of the labels
//!   the peers script derived (`train_y_OBJECTIVE.f64`) on two threads and writes
//!   DIR/ours_quality.json: each test metric.
//! - `train_gbdt stream DIR`: trains the regression model on two threads from DIR's float64
//!   file read in chunks of rows and binned as they come (`GbdtParams::dataset_builder`), so
//!   the float64 matrix is never in memory, and writes DIR/ours_stream.json: seconds
//!   (reading and binning included), test RMSE, peak resident memory.
//! - `train_gbdt report ROUNDS OUT.md DIR..`: the document (`benches::gbdt_report`).

use benches::gbdt_report::{self, peak_rss_bytes, Metric};
use fast_math::{MatRef, Par};
use ml_pipeline::models::{GbdtModel, GbdtParams, TrainExtras, TrainPhases};
use ml_pipeline::Predict;
use serde_json::{json, Value};
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["time", dir, runs] => runs
            .parse()
            .ok()
            .filter(|&r| r > 0)
            .ok_or(format!("time: {runs:?} is not a run count"))
            .and_then(|r| time(Path::new(dir), r)),
        ["quality", dir] => quality(Path::new(dir)),
        ["stream", dir] => stream(Path::new(dir)),
        ["report", rounds, out, dirs @ ..] if !dirs.is_empty() => rounds
            .parse()
            .map_err(|_| format!("report: {rounds:?} is not a round count"))
            .and_then(|r| gbdt_report::write(r, Path::new(out), dirs)),
        _ => Err(
            "usage: train_gbdt time DIR RUNS | quality DIR | stream DIR | report ROUNDS OUT.md DIR.."
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("train_gbdt: {e}");
            ExitCode::from(2)
        }
    }
}

/// A little-endian float64 file, read a chunk at a time (so reading holds the values and
/// one chunk of bytes, not a second copy of the file).
fn read_f64(path: &Path) -> Result<Vec<f64>, String> {
    let mut f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let len = f
        .metadata()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let mut out = Vec::with_capacity(usize::try_from(len / 8).unwrap_or(0));
    let mut bytes = vec![0u8; 1 << 20];
    loop {
        let got = read_full(&mut f, &mut bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        out.extend(
            bytes[..got - got % 8]
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))),
        );
        if got < bytes.len() {
            return Ok(out);
        }
    }
}

/// Fills `buf` from `f` as far as the file goes; the bytes read.
fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..])? {
            0 => break,
            k => got += k,
        }
    }
    Ok(got)
}

/// A row-major float64 file of `rows x cols` values.
fn matrix(path: &Path, rows: usize, cols: usize) -> Result<Vec<f64>, String> {
    let v = read_f64(path)?;
    if v.len() != rows * cols {
        return Err(format!(
            "{}: {} values, expected {rows} x {cols}",
            path.display(),
            v.len()
        ));
    }
    Ok(v)
}

/// The data's sizes and the hyperparameters every contender uses.
struct Setup {
    n: usize,
    nt: usize,
    p: usize,
    params: GbdtParams,
}

fn setup(dir: &Path) -> Result<Setup, String> {
    let manifest = gbdt_report::read_json(&dir.join("manifest.json"))?;
    let get = |k: &str| {
        manifest[k]
            .as_u64()
            .and_then(|v| usize::try_from(v).ok())
            .ok_or(format!("manifest.json: no {k}"))
    };
    Ok(Setup {
        n: get("train")?,
        nt: get("test")?,
        p: get("features")?,
        params: GbdtParams {
            n_estimators: get("trees")?,
            num_leaves: get("num_leaves")?,
            ..GbdtParams::default()
        },
    })
}

fn predict(model: &GbdtModel, xt: MatRef<'_, f64>) -> Vec<f64> {
    let mut pred = vec![0.0; xt.nrows() * model.output().width()];
    model.predict_into(xt, &mut pred, Par::Seq);
    pred
}

fn phases(ph: &TrainPhases) -> Value {
    json!({
        "binning": ph.binning, "gradients": ph.gradients, "histograms": ph.histograms,
        "split_finding": ph.split_finding, "partitioning": ph.partitioning,
        "updates": ph.updates, "total": ph.total,
    })
}

fn write(path: &Path, v: Value) -> Result<(), String> {
    std::fs::write(path, v.to_string()).map_err(|e| format!("{}: {e}", path.display()))
}

fn time(dir: &Path, runs: usize) -> Result<(), String> {
    let Setup { n, nt, p, params } = setup(dir)?;
    // Row-major, as the file and the peers' numpy arrays hold it: no second copy.
    let x = matrix(&dir.join("train_x.f64"), n, p)?;
    let x = MatRef::from_row_major(&x, n, p);
    let y = read_f64(&dir.join("train_y.f64"))?;
    let xt = matrix(&dir.join("test_x.f64"), nt, p)?;
    let yt = read_f64(&dir.join("test_y.f64"))?;
    // One and two threads alternate, run after run, so that a change in the machine's
    // speed (shared hosts drift by tens of percent within minutes) reaches both alike.
    let configs = [("ours_1t", Par::Seq), ("ours_2t", Par::Rayon(2))];
    let mut best: [Option<(f64, TrainPhases)>; 2] = [None, None];
    let mut models = [None, None];
    for _ in 0..runs {
        for (c, &(_, par)) in configs.iter().enumerate() {
            let t = Instant::now();
            let trained = params
                .train(x, &y, TrainExtras::default(), par)
                .map_err(|e| e.to_string())?;
            let secs = t.elapsed().as_secs_f64();
            if best[c].is_none_or(|(b, _)| secs < b) {
                best[c] = Some((secs, trained.phases));
            }
            models[c] = Some(trained.model);
        }
    }
    let rss = peak_rss_bytes();
    let mut out = serde_json::Map::new();
    for (c, &(name, _)) in configs.iter().enumerate() {
        let (secs, ph) = best[c].expect("at least one run");
        let model = models[c].take().expect("at least one run");
        let pred = predict(&model, MatRef::from_row_major(&xt, nt, p));
        let rmse = Metric::L2.of(&yt, &pred, 1).sqrt();
        eprintln!("{name}: {secs:.3} s, test RMSE {rmse:.6}");
        out.insert(
            name.into(),
            json!({"seconds": secs, "test_rmse": rmse, "phases": phases(&ph),
                   "peak_rss_bytes": rss, "runs": runs}),
        );
    }
    write(&dir.join("ours.json"), Value::Object(out))
}

fn quality(dir: &Path) -> Result<(), String> {
    let Setup { n, nt, p, params } = setup(dir)?;
    let x = matrix(&dir.join("train_x.f64"), n, p)?;
    let x = MatRef::from_row_major(&x, n, p);
    let xt = matrix(&dir.join("test_x.f64"), nt, p)?;
    let xt = MatRef::from_row_major(&xt, nt, p);
    let mut out = serde_json::Map::new();
    for (name, objective) in gbdt_report::QUALITY_OBJECTIVES {
        let y = read_f64(&dir.join(format!("train_y_{name}.f64")))?;
        let yt = read_f64(&dir.join(format!("test_y_{name}.f64")))?;
        let params = GbdtParams {
            objective,
            ..params.clone()
        };
        let t = Instant::now();
        let model = params
            .train(x, &y, TrainExtras::default(), Par::Rayon(2))
            .map_err(|e| format!("{name}: {e}"))?
            .model;
        let secs = t.elapsed().as_secs_f64();
        let metric = Metric::of_objective(objective);
        let value = metric.of(&yt, &predict(&model, xt), model.output().width());
        eprintln!("{name}: {secs:.3} s, test {} {value:.6}", metric.name());
        out.insert(
            name.into(),
            json!({"seconds": secs, "metric": metric.name(), "value": value}),
        );
    }
    write(&dir.join("ours_quality.json"), Value::Object(out))
}

/// Rows read from the file at a time by `stream`.
const STREAM_CHUNK_ROWS: usize = 65_536;

/// Calls `each(first_row, chunk)` over the row-major float64 file of `cols` columns, chunk
/// by chunk.
fn for_chunks(
    path: &Path,
    cols: usize,
    mut each: impl FnMut(usize, MatRef<'_, f64>) -> Result<(), String>,
) -> Result<usize, String> {
    let mut f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut bytes = vec![0u8; STREAM_CHUNK_ROWS * cols * 8];
    let mut values = vec![0.0f64; STREAM_CHUNK_ROWS * cols];
    let mut row = 0;
    loop {
        let got = read_full(&mut f, &mut bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        if got % (cols * 8) != 0 {
            return Err(format!("{}: a partial row at the end", path.display()));
        }
        let rows = got / (cols * 8);
        if rows == 0 {
            return Ok(row);
        }
        for (v, c) in values.iter_mut().zip(bytes[..got].chunks_exact(8)) {
            *v = f64::from_le_bytes(c.try_into().expect("8 bytes"));
        }
        each(
            row,
            MatRef::from_row_major(&values[..rows * cols], rows, cols),
        )?;
        row += rows;
    }
}

fn stream(dir: &Path) -> Result<(), String> {
    let Setup { n, nt, p, params } = setup(dir)?;
    let path = dir.join("train_x.f64");
    let start = Instant::now();
    // First pass: the rows the bin bounds come from.
    let wanted = params.binning_sample(n);
    let mut sample = Vec::with_capacity(wanted.len() * p);
    let mut next = 0;
    for_chunks(&path, p, |first, chunk| {
        while next < wanted.len() && wanted[next] < first + chunk.nrows() {
            let i = wanted[next] - first;
            sample.extend((0..p).map(|j| chunk.get(i, j)));
            next += 1;
        }
        Ok(())
    })?;
    let sample = MatRef::from_row_major(&sample, wanted.len(), p);
    let mut builder = params
        .dataset_builder(n, sample, Par::Rayon(2))
        .map_err(|e| e.to_string())?;
    // Second pass: every row, binned as it comes.
    let read = for_chunks(&path, p, |_, chunk| {
        builder.push(chunk).map_err(|e| e.to_string())
    })?;
    if read != n {
        return Err(format!("{}: {read} rows, expected {n}", path.display()));
    }
    let data = builder.finish().map_err(|e| e.to_string())?;
    let binned = start.elapsed().as_secs_f64();
    let y = read_f64(&dir.join("train_y.f64"))?;
    let trained = params
        .train_dataset(&data, &y, TrainExtras::default(), Par::Rayon(2))
        .map_err(|e| e.to_string())?;
    let secs = start.elapsed().as_secs_f64();
    drop((data, y));
    let rss = peak_rss_bytes();
    let xt = matrix(&dir.join("test_x.f64"), nt, p)?;
    let yt = read_f64(&dir.join("test_y.f64"))?;
    let pred = predict(&trained.model, MatRef::from_row_major(&xt, nt, p));
    let rmse = Metric::L2.of(&yt, &pred, 1).sqrt();
    eprintln!(
        "streamed, 2 threads: {secs:.3} s (reading and binning {binned:.3} s), test RMSE \
         {rmse:.6}, peak RSS {:.0} MB",
        rss.map_or(f64::NAN, |b| b as f64 / 1e6)
    );
    write(
        &dir.join("ours_stream.json"),
        json!({"seconds": secs, "read_and_bin_seconds": binned, "test_rmse": rmse,
               "peak_rss_bytes": rss, "phases": phases(&trained.phases)}),
    )
}
