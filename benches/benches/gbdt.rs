//! Tree-ensemble inference (issue 16): 500 trees of depth 6 over 50 features, trained by
//! XGBoost and LightGBM (benches/python/make_tree_bench.py writes them into
//! target/tree-bench; `cargo xtask compare-trees` runs it). Single-row latency and batch
//! throughput on one and two threads.

// criterion_group!/criterion_main! generate undocumented items.
#![allow(missing_docs)]

use benches::trees;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fast_math::Par;
use ml_pipeline::Predict;
use std::time::Duration;

const BATCH: usize = 100_000;

fn bench_gbdt(c: &mut Criterion) {
    let dir = trees::dir();
    // The models come from Python (XGBoost, LightGBM); without them the group is skipped
    // with a note rather than failing every other bench of a `cargo xtask bench` run.
    let (models, x) = match trees::models(&dir).and_then(|m| Ok((m, trees::rows(&dir, BATCH, 50)?)))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!("gbdt benches skipped: {e}");
            return;
        }
    };
    for (name, model) in &models {
        let mut g = c.benchmark_group(format!("gbdt_{name}_500x6"));
        // One row at a time, cycling through 1024 different rows so the branch predictor
        // cannot learn one path.
        let rows: Vec<Vec<f64>> = (0..1024)
            .map(|r| (0..50).map(|j| x.as_ref().get(r, j)).collect())
            .collect();
        let mut out = [0.0];
        let mut scratch = vec![0.0; model.scratch_len()];
        let mut i = 0;
        g.bench_function("predict_one", |b| {
            b.iter(|| {
                i = (i + 1) % rows.len();
                model.predict_one(black_box(&rows[i]), &mut scratch, &mut out);
                out[0]
            })
        });
        g.sample_size(10).measurement_time(Duration::from_secs(5));
        g.throughput(Throughput::Elements(BATCH as u64));
        let mut out = vec![0.0; BATCH];
        for (par_name, par) in [("seq", Par::Seq), ("2_threads", Par::Rayon(2))] {
            g.bench_function(BenchmarkId::new("predict_into_100k", par_name), |b| {
                b.iter(|| model.predict_into(black_box(x.as_ref()), &mut out, par))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench_gbdt);
criterion_main!(benches);
