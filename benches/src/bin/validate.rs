//! `cargo xtask validate`: every layer's optimized operation against its naive baseline, in
//! one process, interleaved, on fixed-seed data; the pipeline ablation; the machine's limits.
//! Writes `target/validate.json`, `docs/BENCHMARKS.md` and `docs/benchmarks.svg`, and exits
//! non-zero when a ratio falls below its floor in `benches/floors.toml`.

use benches::measure::{interleaved, keep, pair};
use benches::results::{self, Row, Section};
use benches::{naive, random_f32, random_f64, report};
use fast_math::{gemm_with, gram_with, Mat, Par};
use ml_pipeline::features::{rolling_moments, FeatureConfig};
use ml_pipeline::models::{LinearModel, Ridge};
use ml_pipeline::{Fit, IntegratedMlPipeline, Target};
use simd_kernels::{self as sk, probe, Isa};
use std::process::ExitCode;
use zero_copy_pool::{AlignedVec, ObjectPool};

const ROUNDS: usize = 7;

fn main() -> ExitCode {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf();
    // The page to write (relative to the workspace root): a run on another ISA class
    // writes its own, e.g. docs/BENCHMARKS_AVX512.md.
    let page = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "docs/BENCHMARKS.md".to_string());
    let isa = Isa::detect();
    eprintln!("validate: measuring on {isa} (this takes a few minutes)");
    let machine = results::Machine::measure(isa);
    let sections = vec![
        simd_section(isa, &machine),
        pool_section(),
        math_section(isa, &machine),
        pipeline_section(isa),
    ];
    let ablation = ablation();
    let floors = match report::Floors::load(&root.join("benches/floors.toml")) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("validate: {e}");
            return ExitCode::from(2);
        }
    };
    let failures = floors.check(&sections, &ablation);
    if let Err(e) = report::write_all(&root, &page, &machine, &sections, &ablation, &floors) {
        eprintln!("validate: cannot write reports: {e}");
        return ExitCode::from(2);
    }
    report::print_summary(&sections, &ablation);
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            eprintln!("validate: below floor: {f}");
        }
        ExitCode::FAILURE
    }
}

fn simd_section(isa: Isa, m: &results::Machine) -> Section {
    let mut rows = Vec::new();
    let (a, b) = (random_f64(4096, 1), random_f64(4096, 2));
    let (base, ours) = pair(
        ROUNDS,
        || keep(naive::dot(&a, &b)),
        || keep(sk::dot_with(isa, &a, &b)),
    );
    rows.push(
        Row::new(
            "simd.dot_4096",
            "dot f64, n = 4096",
            "one-accumulator loop",
            base,
            ours,
        )
        .note(format!("{:.1} GFLOP/s", 2.0 * 4096.0 / ours / 1e9)),
    );
    let (af, bf) = (random_f32(4096, 1), random_f32(4096, 2));
    let (base, ours) = pair(
        ROUNDS,
        || keep(naive::dot(&af, &bf)),
        || keep(sk::dot_with(isa, &af, &bf)),
    );
    rows.push(Row::new(
        "simd.dot_f32_4096",
        "dot f32, n = 4096",
        "one-accumulator loop",
        base,
        ours,
    ));
    let big = 1 << 24;
    let (x, y) = (random_f64(big, 3), random_f64(big, 4));
    let (probe_t, dot_t) = pair(
        3,
        || keep(probe::read_probe_f64(isa, &x)),
        || keep(sk::dot_with(isa, &x, &y)),
    );
    // The dot streams two arrays, the probe one: compare bytes per second.
    let bw_dot = (16 * big) as f64 / dot_t / 1e9;
    let bw_probe = (8 * big) as f64 / probe_t / 1e9;
    rows.push(
        Row::new(
            "simd.dot_16M_bandwidth",
            "dot f64, n = 16M: GB/s vs read probe",
            "read-bandwidth probe",
            1.0 / bw_probe,
            1.0 / bw_dot,
        )
        .note(format!("{bw_dot:.1} GB/s vs probe {bw_probe:.1} GB/s")),
    );
    let (s_t, c_t) = pair(
        ROUNDS,
        || keep(sk::sum_with(isa, &a)),
        || keep(sk::sum_compensated_with(isa, &a)),
    );
    rows.push(
        Row::new(
            "simd.compensated_overhead_4096",
            "sum_compensated vs sum, n = 4096",
            "sum (uncompensated)",
            s_t,
            c_t,
        )
        .note("ratio < 1: the price of compensation".into()),
    );
    let (s_t, c_t) = pair(
        3,
        || keep(sk::sum_with(isa, &x)),
        || keep(sk::sum_compensated_with(isa, &x)),
    );
    rows.push(Row::new(
        "simd.compensated_overhead_16M",
        "sum_compensated vs sum, n = 16M",
        "sum (uncompensated)",
        s_t,
        c_t,
    ));
    let (base, ours) = pair(
        ROUNDS,
        || keep(naive::sum_neumaier(&a)),
        || keep(sk::sum_compensated_with(isa, &a)),
    );
    rows.push(Row::new(
        "simd.compensated_4096",
        "sum_compensated, n = 4096",
        "scalar Neumaier loop",
        base,
        ours,
    ));
    let (base, ours) = pair(
        ROUNDS,
        || keep(naive::moments_two_pass(&a)),
        || keep(sk::moments_with(isa, &a)),
    );
    rows.push(Row::new(
        "simd.moments_4096",
        "moments (mean, M2..M4), n = 4096",
        "two-pass scalar loop",
        base,
        ours,
    ));
    let (base, ours) = pair(
        ROUNDS,
        || keep(naive::min_max(&a)),
        || keep(sk::min_max_with(isa, &a)),
    );
    rows.push(Row::new(
        "simd.min_max_4096",
        "min_max, n = 4096",
        "fold of f64::min/max",
        base,
        ours,
    ));
    rows.extend(boosting_rows(isa, &x));
    let _ = m;
    Section::new("L1 simd-kernels", rows)
}

/// The two inner loops of histogram gradient boosting against their textbook loops: the
/// histograms of 8 binned columns (all rows, a leaf's row list, and DRAM-sized against the
/// read probe) and the split scan of one feature. `probe_data` is the 16M-value array the
/// read probe streams.
fn boosting_rows(isa: Isa, probe_data: &[f64]) -> Vec<Row> {
    const COLS: usize = 8;
    let mut rows = Vec::new();
    let bins_of = |n: usize, seed: u64| -> Vec<Vec<u8>> {
        (0..COLS as u64)
            .map(|c| {
                random_f64(n, seed + c)
                    .iter()
                    .map(|v| ((v + 1.0) * 127.9) as u8)
                    .collect()
            })
            .collect()
    };
    let pairs_of = |n: usize| -> Vec<[f32; 2]> {
        let g = random_f32(n, 41);
        let h = random_f32(n, 42);
        g.iter().zip(&h).map(|(&g, &h)| [g, h.abs()]).collect()
    };
    let n = 1 << 20;
    let cols = bins_of(n, 30);
    let refs: Vec<&[u8]> = cols.iter().map(Vec::as_slice).collect();
    let gh = pairs_of(n);
    // A leaf of one row in 16, in order (what a partition holds), with its pairs gathered.
    let leaf: Vec<u32> = (0..n as u32).filter(|r| r % 16 == 3).collect();
    let leaf_gh: Vec<[f32; 2]> = leaf.iter().map(|&r| gh[r as usize]).collect();
    let (mut out_a, mut out_b) = (vec![[0.0; 2]; COLS * 256], vec![[0.0; 2]; COLS * 256]);
    for (id, what, list, pairs) in [
        (
            "simd.histogram_8cols_1M",
            "histograms of 8 u8 columns, 1M rows",
            None,
            &gh,
        ),
        (
            "simd.histogram_8cols_leaf",
            "histograms of 8 u8 columns, a leaf of 64k of 1M rows",
            Some(leaf.as_slice()),
            &leaf_gh,
        ),
    ] {
        let (base, ours) = pair(
            ROUNDS,
            || {
                out_a.fill([0.0; 2]);
                for (c, h) in out_a.chunks_mut(256).enumerate() {
                    naive::histogram(&cols[c], list, pairs, h);
                }
                keep(out_a[0]);
            },
            || {
                out_b.fill([0.0; 2]);
                let mut hs: Vec<&mut [[f64; 2]]> = out_b.chunks_mut(256).collect();
                sk::histogram_gh_cols_with(isa, &refs, list, pairs, &mut hs);
                keep(out_b[0]);
            },
        );
        let adds = (pairs.len() * COLS) as f64;
        rows.push(
            Row::new(id, what, "textbook loop per column", base, ours)
                .note(format!("{:.2} ns per row and column", ours / adds * 1e9)),
        );
    }
    // DRAM-sized: 16M rows, 8 bins and one 8-byte pair per row (256 MB) against the probe.
    let big = probe_data.len();
    let cols = bins_of(big, 50);
    let refs: Vec<&[u8]> = cols.iter().map(Vec::as_slice).collect();
    let gh = pairs_of(big);
    let (probe_t, hist_t) = pair(
        3,
        || keep(probe::read_probe_f64(isa, probe_data)),
        || {
            out_b.fill([0.0; 2]);
            let mut hs: Vec<&mut [[f64; 2]]> = out_b.chunks_mut(256).collect();
            sk::histogram_gh_cols_with(isa, &refs, None, &gh, &mut hs);
            keep(out_b[0]);
        },
    );
    let bw_hist = ((COLS + 8) * big) as f64 / hist_t / 1e9;
    let bw_probe = (8 * big) as f64 / probe_t / 1e9;
    rows.push(
        Row::new(
            "simd.histogram_16M_bandwidth",
            "histograms of 8 u8 columns, 16M rows: GB/s vs read probe",
            "read-bandwidth probe",
            1.0 / bw_probe,
            1.0 / bw_hist,
        )
        .note(format!("{bw_hist:.1} GB/s vs probe {bw_probe:.1} GB/s")),
    );
    // One feature's split scan: 255 value bins and a missing bin, both ways tried.
    let g = random_f64(256, 60);
    let h = random_f64(256, 61);
    let hist: Vec<[f64; 2]> = g
        .iter()
        .zip(&h)
        .map(|(&g, &h)| [g, h.abs() + 0.01])
        .collect();
    let (sg, sh) = hist
        .iter()
        .fold((0.0, 0.0), |(a, b), e| (a + e[0], b + e[1]));
    let limits = sk::SplitLimits {
        sum_gradient: sg,
        sum_hessian: sh,
        lambda_l1: 0.0,
        lambda_l2: 0.0,
        min_child_hessian: 1e-3,
        rows_per_hessian: 10_000.0 / sh,
        min_row_estimate: 20.0,
        end_row_estimate: 9_981.0,
    };
    let bar = sk::node_gain(sg, sh, 0.0, 0.0);
    let (base, ours) = pair(
        ROUNDS,
        || keep(naive::best_split_bin(&hist, &limits, bar)),
        || keep(sk::best_split_bin_with(isa, &hist, &limits, bar)),
    );
    rows.push(
        Row::new(
            "simd.split_scan_256",
            "split scan of one feature, 256 bins with missing",
            "textbook sequential scan",
            base,
            ours,
        )
        .note(format!("{:.0} ns per scan", ours * 1e9)),
    );
    rows
}

fn pool_section() -> Section {
    let n = 8192; // 64 KiB of f64
    let pool = ObjectPool::new(4, move || AlignedVec::<f64>::zeroed(n), |_| {});
    pool.prewarm(4);
    let (base, ours) = pair(
        ROUNDS,
        || keep(vec![0.0f64; n]),
        || {
            let mut g = pool.get();
            g[0] = 1.0;
            keep(&g);
        },
    );
    let rows = vec![Row::new(
        "pool.get_drop_64k",
        "buffer of 64 KiB: pooled get + drop",
        "fresh vec![0.0; n]",
        base,
        ours,
    )
    .note(format!("{:.1} ns per pooled get+drop", ours * 1e9))];
    Section::new("L2 zero-copy-pool", rows)
}

fn naive_matmul(a: &Mat<f64>, b: &Mat<f64>) -> Mat<f64> {
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    let mut c = Mat::zeros(m, n);
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0;
            for p in 0..k {
                s += a[(i, p)] * b[(p, j)];
            }
            c[(i, j)] = s;
        }
    }
    c
}

fn math_section(isa: Isa, m: &results::Machine) -> Section {
    let mut rows = Vec::new();
    let n = 256;
    let a = Mat::from_col_major(n, n, &random_f64(n * n, 5));
    let b = Mat::from_col_major(n, n, &random_f64(n * n, 6));
    let mut c = Mat::zeros(n, n);
    let (base, ours) = pair(
        3,
        || keep(naive_matmul(&a, &b)),
        || gemm_with(isa, 1.0, a.as_ref(), b.as_ref(), 0.0, c.as_mut(), Par::Seq),
    );
    let gf = 2.0 * (n * n * n) as f64 / ours / 1e9;
    rows.push(
        Row::new(
            "math.gemm_256",
            "gemm f64, n = 256, 1 thread",
            "textbook triple loop",
            base,
            ours,
        )
        .note(format!(
            "{gf:.1} GFLOP/s = {:.0}% of FMA peak",
            100.0 * gf / m.fma_peak_f64
        )),
    );
    let n = 1024;
    let a = Mat::from_col_major(n, n, &random_f64(n * n, 5));
    let b = Mat::from_col_major(n, n, &random_f64(n * n, 6));
    let mut c = Mat::zeros(n, n);
    // The peak probe runs in the same rounds as the product, so that on a shared host
    // whose speed drifts both medians come from the same spells (the machine's peak taken
    // once at the start, against products timed minutes later, read 55% on a noisy Xeon
    // where interleaved probe runs read 80-89%).
    let probe_iters = 1_000_000;
    let mut sink = 0.0;
    let t = interleaved(
        7,
        &mut [
            &mut || sink += probe::fma_loop_f64(isa, probe_iters),
            &mut || gemm_with(isa, 1.0, a.as_ref(), b.as_ref(), 0.0, c.as_mut(), Par::Seq),
        ],
    );
    keep(sink);
    let peak = probe::fma_loop_flops(isa, probe_iters, 8) as f64 / t.medians[0] / 1e9;
    let gf = 2.0 * (n * n * n) as f64 / t.medians[1] / 1e9;
    rows.push(
        Row::new(
            "math.gemm_1024_peak",
            "gemm f64, n = 1024, 1 thread: GFLOP/s vs FMA peak",
            "FMA-peak probe, same rounds",
            1.0 / peak,
            1.0 / gf,
        )
        .note(format!("{gf:.1} of {peak:.1} GFLOP/s")),
    );
    let x = Mat::from_col_major(100_000, 64, &random_f64(100_000 * 64, 9));
    let (base, ours) = pair(
        3,
        || keep(naive::gram(x.as_ref())),
        || keep(gram_with(isa, x.as_ref(), Par::Seq)),
    );
    let gf = (100_000 * 64 * 64) as f64 / ours / 1e9;
    rows.push(
        Row::new(
            "math.gram_100k_x_64",
            "gram X^T X, 100000 x 64",
            "textbook loop",
            base,
            ours,
        )
        .note(format!("{gf:.1} useful GFLOP/s (n k^2)")),
    );
    Section::new("L3 fast-math", rows)
}

fn pipeline_section(isa: Isa) -> Section {
    let mut rows = Vec::new();
    let prices = benches::random_walk(1_000_000, 42);
    let returns: Vec<f64> = std::iter::once(f64::NAN)
        .chain(prices.windows(2).map(|w| (w[1] / w[0]).ln()))
        .collect();
    let (base, ours) = pair(
        3,
        // Sum a statistic of every window, so none of the work can be discarded.
        || {
            keep(
                returns[1..]
                    .windows(64)
                    .map(|w| naive::moments_two_pass(w).2)
                    .sum::<f64>(),
            )
        },
        || keep(rolling_moments(&returns, 64, Par::Seq).unwrap()),
    );
    rows.push(
        Row::new(
            "pipeline.rolling_1M_w64",
            "rolling mean/std/skew/kurt, 1M returns, w = 64",
            "two-pass recompute per window",
            base,
            ours,
        )
        .note(format!("{:.1} ns per value", ours / 1e6 * 1e9)),
    );
    let (n, k) = (200_000, 64);
    let x = Mat::from_col_major(n, k, &random_f64(n * k, 7));
    let y = random_f64(n, 8);
    let slow = ml_pipeline::Ablation::all_off();
    let (base, ours) = pair(
        3,
        || {
            keep(
                Ridge::default()
                    .fit_ablated(slow, x.as_ref(), Target::Values(&y), Par::Seq)
                    .unwrap(),
            )
        },
        || {
            keep(
                Ridge::default()
                    .fit_ablated(
                        ml_pipeline::Ablation {
                            isa,
                            fast_math: true,
                        },
                        x.as_ref(),
                        Target::Values(&y),
                        Par::Seq,
                    )
                    .unwrap(),
            )
        },
    );
    rows.push(Row::new(
        "pipeline.ridge_200k_x_64",
        "ridge fit, 200000 x 64",
        "scalar textbook Gram",
        base,
        ours,
    ));
    let model = LinearModel {
        coef: random_f64(64, 1),
        intercept: 0.5,
    };
    let row = random_f64(64, 2);
    let (base, ours) = pair(
        ROUNDS,
        || keep(naive::dot(&row, &model.coef) + model.intercept),
        || keep(model.decision_function(&row)),
    );
    rows.push(
        Row::new(
            "pipeline.predict_one_64",
            "predict_one, 64 features",
            "one-accumulator dot",
            base,
            ours,
        )
        .note(format!("{:.1} ns per prediction", ours * 1e9)),
    );
    Section::new("L4 ml-pipeline", rows)
}

/// Features wide enough that training is real work: 31 columns.
fn ablation_features() -> FeatureConfig {
    FeatureConfig {
        window: 64,
        ema_spans: vec![4, 8, 16, 32, 64, 128],
        spectral_len: 64,
        spectral_bins: 16,
        recompute_every: 1024,
        ..FeatureConfig::default()
    }
}

/// Pipeline fit (500k prices, 31 features) + 100k streamed updates, each layer on and off.
fn ablation() -> results::Ablation {
    let prices = benches::random_walk(600_000, 42);
    let configs = results::ABLATION_CONFIGS;
    let mut runs: Vec<Box<dyn FnMut()>> = configs
        .iter()
        .map(|&(_, simd, pools, fast)| {
            let prices = &prices;
            Box::new(move || {
                let mut pipe = IntegratedMlPipeline::builder()
                    .features(ablation_features())
                    .use_simd(simd)
                    .use_pools(pools)
                    .use_fast_math(fast)
                    .build()
                    .expect("valid configuration");
                pipe.fit(&prices[..500_000]).expect("fit");
                for &p in &prices[500_000..] {
                    keep(pipe.update(p));
                }
            }) as Box<dyn FnMut()>
        })
        .collect();
    let mut refs: Vec<&mut dyn FnMut()> = runs
        .iter_mut()
        .map(|f| f.as_mut() as &mut dyn FnMut())
        .collect();
    let t = interleaved(3, &mut refs);
    results::Ablation { seconds: t.medians }
}
