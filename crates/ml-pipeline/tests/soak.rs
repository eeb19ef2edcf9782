//! Soak: a long stream through `IntegratedMlPipeline::update`, checking at intervals that
//! the rolling features equal a direct recomputation and that resident memory stays flat.
//!
//! Ignored by default (100 million ticks take minutes). Run it with
//! `cargo test --release -p ml-pipeline --test soak -- --ignored --nocapture`;
//! `ML_PIPELINE_SOAK_TICKS` sets the number of ticks.

use ml_pipeline::{FeatureConfig, IntegratedMlPipeline, Predict, RollingFeatures};
use seeded_rng::Rng;
use std::collections::VecDeque;
use std::time::Instant;

/// Ticks streamed before resident memory is first read.
const WARM_UP: u64 = 1_000_000;
/// Ticks between checks (prime, so checks do not line up with the recompute schedule).
const CHECK_EVERY: u64 = 100_003;
/// Largest growth of resident memory allowed after warm-up.
const RSS_SLACK_KIB: u64 = 1024;
/// Largest relative difference allowed between the O(1) features and a recomputation.
const TOLERANCE: f64 = 1e-9;

fn ticks() -> u64 {
    std::env::var("ML_PIPELINE_SOAK_TICKS")
        .ok()
        .map(|v| {
            v.parse()
                .expect("ML_PIPELINE_SOAK_TICKS must be an integer")
        })
        .unwrap_or(100_000_000)
}

/// `VmRSS` of this process in KiB, from `/proc/self/status`.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line");
    line.split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("VmRSS value")
}

/// A price series whose log follows a mean-reverting walk with occasional jumps, so it stays
/// in range over any number of ticks while its volatility changes.
struct Prices {
    rng: Rng,
    log_price: f64,
    t: u64,
}

impl Prices {
    fn new() -> Self {
        Prices {
            rng: Rng::new(1),
            log_price: 4.6,
            t: 0,
        }
    }

    fn next(&mut self) -> f64 {
        self.t += 1;
        let vol = 1e-3 * (1.5 + (self.t as f64 * 1e-6).sin());
        let jump = if self.rng.uniform() < 1e-4 { 0.02 } else { 0.0 };
        let shock = self.rng.range(-0.5, 0.5) * vol + jump * self.rng.range(-0.5, 0.5);
        self.log_price += 1e-4 * (4.6 - self.log_price) + shock;
        self.log_price.exp()
    }
}

/// `|got - want|` relative to `scale`.
fn rel(got: f64, want: f64, scale: f64) -> f64 {
    (got - want).abs() / scale.max(f64::MIN_POSITIVE)
}

#[test]
#[ignore = "minutes long; run with --ignored in release"]
fn features_stay_exact_and_memory_stays_flat() {
    let n = ticks();
    let cfg = FeatureConfig::default();
    let w = cfg.window;
    let mut prices = Prices::new();
    let history: Vec<f64> = (0..20_000).map(|_| prices.next()).collect();
    let mut pipe = IntegratedMlPipeline::builder()
        .features(cfg.clone())
        .build()
        .expect("build");
    pipe.fit(&history).expect("fit");
    let model = pipe.model().expect("trained").clone();
    let mut scratch = vec![0.0; model.scratch_len()];
    let mut features = RollingFeatures::primed(cfg, &history).expect("primed");

    let mut prev = *history.last().expect("history");
    let mut returns: VecDeque<f64> = VecDeque::with_capacity(w);
    let mut window = vec![0.0; w];
    let mut worst = 0.0f64;
    let mut checks = 0u64;
    let mut rss_start = 0u64;
    let mut rss_max = 0u64;
    let started = Instant::now();

    for t in 1..=n {
        let price = prices.next();
        let r = (price / prev).ln();
        prev = price;
        if returns.len() == w {
            returns.pop_front();
        }
        returns.push_back(r);
        let prediction = pipe.update(price).expect("prediction after training");
        let row = features.update(price).expect("features are warm");
        if t % CHECK_EVERY != 0 {
            continue;
        }
        checks += 1;
        // The pipeline's prediction is the model applied to this very feature row.
        let mut want = [0.0];
        model.predict_one(row, &mut scratch, &mut want);
        let want = want[0];
        assert_eq!(
            prediction.value.to_bits(),
            want.to_bits(),
            "tick {t}: pipeline {} vs model on the streamed row {want}",
            prediction.value
        );
        for (slot, &v) in window.iter_mut().zip(&returns) {
            *slot = v;
        }
        let m = simd_kernels::moments(&window);
        let std = m.std().expect("window holds returns");
        let expect = [
            (
                row[1],
                m.mean().expect("mean"),
                std.max(m.mean().unwrap().abs()),
            ),
            (row[2], std, std),
            (row[3], m.skewness().expect("skew"), 1.0),
            (row[4], m.kurtosis().expect("kurt"), 1.0),
        ];
        for (j, (got, want, scale)) in expect.into_iter().enumerate() {
            let d = rel(got, want, scale.max(want.abs()));
            assert!(
                d <= TOLERANCE,
                "tick {t}, feature {}: {got} vs {want} (relative {d:e})",
                j + 1
            );
            worst = worst.max(d);
        }
        if t >= WARM_UP {
            let rss = rss_kib();
            if rss_start == 0 {
                rss_start = rss;
            }
            rss_max = rss_max.max(rss);
            assert!(
                rss <= rss_start + RSS_SLACK_KIB,
                "tick {t}: VmRSS {rss} KiB grew from {rss_start} KiB"
            );
        }
    }
    let rss_end = rss_kib();
    assert!(checks > 0, "too few ticks ({n}) for a single check");
    assert!(rss_end <= rss_start + RSS_SLACK_KIB || rss_start == 0);
    eprintln!(
        "soak: {n} ticks in {:.1} s, {checks} checks, max relative drift {worst:e}, \
         VmRSS {rss_start} KiB after warm-up, max {rss_max} KiB, end {rss_end} KiB",
        started.elapsed().as_secs_f64()
    );
}
