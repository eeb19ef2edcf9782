//! Layer 4 benches: batch rolling features, ridge training, single-sample prediction, the
//! streaming update, and the ablation of each optimization layer.

// criterion_group!/criterion_main! generate undocumented items.
#![allow(missing_docs)]

use benches::{naive, random_f64};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fast_math::{Mat, Par};
use ml_pipeline::features::{extract_features, FeatureConfig};
use ml_pipeline::models::{LinearModel, Ridge};
use ml_pipeline::{Fit, IntegratedMlPipeline, SolveMethod, Target};
use std::time::Duration;

fn bench_features(c: &mut Criterion) {
    let n = 1_000_000;
    let p = benches::random_walk(n, 42);
    let mut g = c.benchmark_group("rolling_features_1M_w64");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(n as u64));
    // The four statistics alone, as Polars' rolling_mean/std/skew/kurtosis compute them.
    let moments_only = FeatureConfig {
        window: 64,
        ema_spans: vec![],
        spectral_len: 0,
        spectral_bins: 0,
        recompute_every: 1024,
        ..FeatureConfig::default()
    };
    g.bench_function("moments_only_seq", |b| {
        b.iter(|| extract_features(black_box(&p), &moments_only, Par::Seq).unwrap())
    });
    g.bench_function("all_features_seq", |b| {
        b.iter(|| extract_features(black_box(&p), &FeatureConfig::default(), Par::Seq).unwrap())
    });
    g.bench_function("all_features_2_threads", |b| {
        b.iter(|| {
            extract_features(black_box(&p), &FeatureConfig::default(), Par::Rayon(2)).unwrap()
        })
    });
    g.bench_function("naive_window_recompute", |b| {
        b.iter(|| {
            let r: Vec<f64> = p.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
            r.windows(64)
                .map(|w| naive::moments_two_pass(w).2)
                .sum::<f64>()
        })
    });
    g.finish();
}

fn bench_ridge(c: &mut Criterion) {
    let (n, k) = (1_000_000, 64);
    let data = random_f64(n * k, 7);
    let x = Mat::from_col_major(n, k, &data);
    let y = random_f64(n, 8);
    let mut g = c.benchmark_group("ridge_fit_1Mx64");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("seq", |b| {
        b.iter(|| Ridge::default().fit(x.as_ref(), &y, Par::Seq).unwrap())
    });
    g.bench_function("2_threads", |b| {
        b.iter(|| Ridge::default().fit(x.as_ref(), &y, Par::Rayon(2)).unwrap())
    });
    // Nearly collinear columns (each a shared factor plus 1e-4 noise): the condition
    // estimate sends the fit down the second, QR pass and its refinement. The cost of the
    // accurate path, next to the normal equations' on the same shape.
    let shared = random_f64(n, 9);
    let ill_data: Vec<f64> = data
        .iter()
        .enumerate()
        .map(|(i, v)| shared[i % n] + 1e-4 * v)
        .collect();
    let ill = Mat::from_col_major(n, k, &ill_data);
    let ridge = Ridge {
        alpha: 0.0,
        fit_intercept: true,
    };
    let (_, report) = ridge
        .fit_report(
            Default::default(),
            ill.as_ref(),
            Target::Values(&y),
            Par::Seq,
        )
        .unwrap();
    assert_eq!(report.method, SolveMethod::Qr, "{report:?}");
    g.bench_function("qr_path_refined_seq", |b| {
        b.iter(|| ridge.fit(ill.as_ref(), &y, Par::Seq).unwrap())
    });
    g.bench_function("qr_path_refined_2_threads", |b| {
        b.iter(|| ridge.fit(ill.as_ref(), &y, Par::Rayon(2)).unwrap())
    });
    g.finish();
}

fn bench_predict(c: &mut Criterion) {
    let model = LinearModel {
        coef: random_f64(64, 1),
        intercept: 0.5,
    };
    let row = random_f64(64, 2);
    let mut g = c.benchmark_group("predict_one_64");
    g.bench_function("simd", |b| {
        b.iter(|| model.decision_function(black_box(&row)))
    });
    g.bench_function("naive", |b| {
        b.iter(|| naive::dot(black_box(&row), &model.coef) + model.intercept)
    });
    g.finish();
}

fn bench_streaming(c: &mut Criterion) {
    let p = benches::random_walk(400_000, 42);
    let mut g = c.benchmark_group("streaming_update");
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    for (name, simd, pools, fast) in [
        ("all_on", true, true, true),
        ("simd_off", false, true, true),
        ("pools_off", true, false, true),
        ("fast_math_off", true, true, false),
        ("all_off", false, false, false),
    ] {
        let mut pipe = IntegratedMlPipeline::builder()
            .use_simd(simd)
            .use_pools(pools)
            .use_fast_math(fast)
            .build()
            .unwrap();
        pipe.fit(&p[..100_000]).unwrap();
        let stream = &p[100_000..];
        let mut i = 0;
        g.bench_function(BenchmarkId::new("tick", name), |b| {
            b.iter(|| {
                i = (i + 1) % stream.len();
                pipe.update(black_box(stream[i]))
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("pipeline_fit_200k");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for (name, simd, pools, fast) in [
        ("all_on", true, true, true),
        ("all_off", false, false, false),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut pipe = IntegratedMlPipeline::builder()
                    .use_simd(simd)
                    .use_pools(pools)
                    .use_fast_math(fast)
                    .build()
                    .unwrap();
                pipe.fit(black_box(&p[..200_000])).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_predict,
    bench_streaming,
    bench_features,
    bench_ridge
);
criterion_main!(benches);
