//! Rolling features against pandas fixtures, naive references and the streaming path.

use fast_math::Par;
use ml_pipeline::features::{extract_features, FeatureConfig, RollingFeatures, RollingMoments};
use ml_pipeline::PipelineError;
use seeded_rng::Rng;

fn rng_walk(n: usize, level: f64, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let mut p = level;
    (0..n)
        .map(|_| {
            p *= rng.range(-0.01, 0.01).exp();
            p
        })
        .collect()
}

fn close(a: f64, b: f64, rel: f64, abs: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= rel * b.abs() + abs
}

fn read_fixture(name: &str) -> Vec<Vec<f64>> {
    read_csv(&format!("rolling_{name}.csv"))
}

/// A fixture CSV's numeric rows (empty cells NaN), header skipped.
fn read_csv(file: &str) -> Vec<Vec<f64>> {
    let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .map(|c| {
                    if c.is_empty() {
                        f64::NAN
                    } else {
                        c.parse().unwrap()
                    }
                })
                .collect()
        })
        .collect()
}

/// pandas' default `ewm(span, adjust=False).mean()` (`ignore_na=False`) over NaN gaps: time
/// passes during a gap, so the average moves further toward the next observation than
/// after one step.
#[test]
fn emas_match_pandas_default_over_nan_gaps() {
    let rows = read_csv("ema_gaps.csv");
    let prices: Vec<f64> = rows.iter().map(|r| r[0]).collect();
    let cfg = FeatureConfig::default();
    assert_eq!(cfg.ema_spans, vec![8, 32], "the fixture's spans");
    let m = extract_features(&prices, &cfg, Par::Seq).unwrap();
    let mut after_gap = 0;
    for (t, want) in rows.iter().enumerate() {
        for (j, col) in ["ema_8", "ema_32"].iter().enumerate() {
            let got = m.get(t, m.column_index(col).unwrap());
            let w = want[j + 1];
            assert!(
                close(got, w, 1e-14, 0.0),
                "row {t} {col}: ours {got:e}, pandas {w:e}"
            );
        }
        after_gap += usize::from(t > 0 && prices[t - 1].is_nan() && !prices[t].is_nan());
    }
    assert!(after_gap >= 4, "the fixture has gaps to cross");
}

#[test]
fn rolling_moments_match_pandas_fixtures() {
    let cfg = FeatureConfig {
        window: 20,
        ..FeatureConfig::default()
    };
    for name in ["level1", "level1e4", "gaps"] {
        let rows = read_fixture(name);
        let prices: Vec<f64> = rows.iter().map(|r| r[0]).collect();
        let m = extract_features(&prices, &cfg, Par::Seq).unwrap();
        let mut compared = 0;
        for (t, want) in rows.iter().enumerate() {
            for (j, col) in ["roll_mean", "roll_std", "roll_skew", "roll_kurt"]
                .iter()
                .enumerate()
            {
                let got = m.get(t, m.column_index(col).unwrap());
                let w = want[j + 1];
                assert!(
                    close(got, w, 1e-9, 1e-12),
                    "{name} row {t} {col}: ours {got:e}, pandas {w:e}"
                );
                compared += usize::from(!w.is_nan());
            }
        }
        assert!(
            compared > 3000,
            "{name}: only {compared} defined values compared"
        );
    }
}

#[test]
fn batch_equals_streaming_sequential_and_parallel() {
    let prices = rng_walk(150_000, 1e4, 5);
    let cfg = FeatureConfig::default();
    let seq = extract_features(&prices, &cfg, Par::Seq).unwrap();
    let par = extract_features(&prices, &cfg, Par::Rayon(2)).unwrap();
    let mut f = RollingFeatures::new(cfg.clone()).unwrap();
    for (t, &p) in prices.iter().enumerate() {
        let row = f.update(p);
        assert_eq!(
            row.is_some(),
            t >= cfg.warmup(),
            "warm-up ends at tick {}",
            cfg.warmup()
        );
        if let Some(row) = row {
            for (j, &v) in row.iter().enumerate() {
                let s = seq.get(t, j);
                assert!(
                    v.to_bits() == s.to_bits() || close(v, s, 1e-12, 0.0),
                    "t={t} col {j}: {v} vs {s}"
                );
                let q = par.get(t, j);
                assert!(
                    close(q, s, 1e-12, 1e-12),
                    "parallel t={t} {}: {q} vs {s}",
                    cfg.names()[j]
                );
            }
        }
    }
}

#[test]
fn constant_windows_give_exact_zero_std_and_nan_skew() {
    // Polars users report std 45 on a constant window at level 2.8e9; pandas, skew -1e8.
    let mut prices = rng_walk(3000, 2.8e9, 9);
    let flat = prices[1000];
    for p in &mut prices[1000..1500] {
        *p = flat;
    }
    let cfg = FeatureConfig::with_window(64);
    let m = extract_features(&prices, &cfg, Par::Seq).unwrap();
    let (std, skew, kurt, z) = (
        m.column_index("roll_std").unwrap(),
        m.column_index("roll_skew").unwrap(),
        m.column_index("roll_kurt").unwrap(),
        m.column_index("zscore").unwrap(),
    );
    for t in 1000 + 64 + 1..1500 {
        assert_eq!(m.get(t, std), 0.0, "t={t}");
        assert!(m.get(t, skew).is_nan() && m.get(t, kurt).is_nan(), "t={t}");
        assert!(m.get(t, z).is_nan(), "t={t}: zscore of a constant window");
    }
    for t in 0..prices.len() {
        let s = m.get(t, std);
        assert!(s.is_nan() || s >= 0.0, "negative std at {t}");
    }
    // Once prices move again the statistics come back.
    assert!(m.get(1600, std) > 0.0 && m.get(1600, skew).is_finite());
}

#[test]
fn a_nan_recovers_once_it_leaves_the_window() {
    let mut prices = rng_walk(1000, 50.0, 3);
    prices[400] = f64::NAN;
    let w = 32;
    let cfg = FeatureConfig::with_window(w);
    let m = extract_features(&prices, &cfg, Par::Seq).unwrap();
    let clean = {
        let mut p = prices.clone();
        p[400] = p[399];
        p
    };
    let mean = m.column_index("roll_mean").unwrap();
    // Returns at 400 and 401 are NaN; windows ending at 400..=401+w-1 hold one.
    for t in 400..401 + w {
        assert!(m.get(t, mean).is_nan(), "t={t} should be NaN");
    }
    // Afterwards the values equal a run over prices that never had the NaN, once those
    // windows no longer see the patched price either.
    let other = extract_features(&clean, &cfg, Par::Seq).unwrap();
    for t in 402 + w..1000 {
        assert!(
            close(m.get(t, mean), other.get(t, mean), 1e-12, 1e-15),
            "t={t}"
        );
        assert!(
            m.get(t, m.column_index("spec_1").unwrap()).is_finite(),
            "t={t}"
        );
    }
}

/// Direct computation of the window statistics, for drift checks.
fn direct_stats(x: &[f64]) -> (f64, f64, f64, f64) {
    let m = simd_kernels::moments(x);
    (
        m.mean().unwrap(),
        m.std().unwrap(),
        m.skewness().unwrap_or(f64::NAN),
        m.kurtosis().unwrap_or(f64::NAN),
    )
}

#[test]
fn drift_stays_bounded_over_ten_million_ticks() {
    let w = 64;
    let n = 10_000_000;
    let mut roll = RollingMoments::new(w, 1024);
    let mut rng = Rng::new(4);
    let mut window = std::collections::VecDeque::with_capacity(w);
    let mut worst = 0.0f64;
    for t in 0..n {
        // Returns with a slowly drifting level, so the shift must follow the data.
        let x = rng.range(-0.005, 0.005) + (t as f64 * 1e-6).sin() * 0.05;
        roll.push(x);
        if window.len() == w {
            window.pop_front();
        }
        window.push_back(x);
        if t % 99_991 == 0 && t > w {
            let v: Vec<f64> = window.iter().copied().collect();
            let (mean, std, skew, kurt) = direct_stats(&v);
            let st = roll.stats();
            for (got, want, scale) in [
                (st.mean, mean, std),
                (st.std, std, std),
                (st.skew, skew, 1.0),
                (st.kurt, kurt, 1.0),
            ] {
                let err = (got - want).abs() / (want.abs() + scale);
                worst = worst.max(err);
                assert!(err < 1e-9, "t={t}: {got} vs {want}");
            }
        }
    }
    assert!(worst < 1e-9);
}

#[test]
fn other_features_match_naive_references() {
    let prices = rng_walk(5000, 100.0, 21);
    let cfg = FeatureConfig {
        window: 16,
        ema_spans: vec![5, 30],
        spectral_len: 16,
        spectral_bins: 3,
        recompute_every: 100,
        ..FeatureConfig::default()
    };
    let m = extract_features(&prices, &cfg, Par::Seq).unwrap();
    let col = |n: &str| m.column_index(n).unwrap();
    let w = cfg.window;
    let mut ema = [prices[0]; 2];
    for t in 0..prices.len() {
        for (k, span) in [5.0, 30.0].iter().enumerate() {
            let a = 2.0 / (span + 1.0);
            if t > 0 {
                ema[k] = a * prices[t] + (1.0 - a) * ema[k];
            }
            let got = m.get(t, col(&format!("ema_{}", *span as usize)));
            assert!(close(got, ema[k], 1e-12, 0.0), "ema t={t}");
        }
        let r = if t == 0 {
            f64::NAN
        } else {
            (prices[t] / prices[t - 1]).ln()
        };
        assert!(close(m.get(t, col("log_return")), r, 1e-15, 0.0));
        if t + 1 >= w {
            let win = &prices[t + 1 - w..=t];
            let lo = win.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = win.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(m.get(t, col("roll_min")), lo, "t={t}");
            assert_eq!(m.get(t, col("roll_max")), hi, "t={t}");
            let (mean, std, _, _) = direct_stats(win);
            assert!(
                close(
                    m.get(t, col("zscore")),
                    (prices[t] - mean) / std,
                    1e-9,
                    1e-12
                ),
                "zscore t={t}"
            );
        } else {
            assert!(m.get(t, col("roll_min")).is_nan());
        }
        if t >= w {
            assert!(close(
                m.get(t, col("momentum")),
                prices[t] / prices[t - w] - 1.0,
                1e-15,
                1e-15
            ));
        }
        let n = cfg.spectral_len;
        if t >= n {
            let rets: Vec<f64> = (t + 1 - n..=t)
                .map(|i| (prices[i] / prices[i - 1]).ln())
                .collect();
            for k in 1..=cfg.spectral_bins {
                let (mut re, mut im) = (0.0, 0.0);
                for (j, v) in rets.iter().enumerate() {
                    let a = -2.0 * std::f64::consts::PI * (k * j) as f64 / n as f64;
                    re += v * a.cos();
                    im += v * a.sin();
                }
                let want = (re * re + im * im) / n as f64;
                let got = m.get(t, col(&format!("spec_{k}")));
                assert!(
                    close(got, want, 1e-8, 1e-15),
                    "spec_{k} t={t}: {got} vs {want}"
                );
            }
        }
    }
}

#[test]
fn bad_configurations_are_typed_errors() {
    let bad = [
        FeatureConfig::with_window(3),
        FeatureConfig {
            ema_spans: vec![0],
            ..FeatureConfig::default()
        },
        FeatureConfig {
            spectral_len: 8,
            spectral_bins: 5,
            ..FeatureConfig::default()
        },
        FeatureConfig {
            recompute_every: 0,
            ..FeatureConfig::default()
        },
    ];
    for cfg in bad {
        assert!(
            matches!(
                RollingFeatures::new(cfg.clone()),
                Err(PipelineError::InvalidSetting { .. })
            ),
            "{cfg:?}"
        );
        assert!(matches!(
            extract_features(&[1.0, 2.0], &cfg, Par::Seq),
            Err(PipelineError::InvalidSetting { .. })
        ));
    }
}

#[test]
fn short_and_empty_series() {
    let cfg = FeatureConfig::default();
    let m = extract_features(&[], &cfg, Par::Rayon(2)).unwrap();
    assert_eq!(m.nrows(), 0);
    let m = extract_features(&[1.0, 1.1, 1.2], &cfg, Par::Seq).unwrap();
    assert_eq!(m.nrows(), 3);
    assert!(
        m.row(2)[1].is_nan(),
        "window longer than the data gives NaN"
    );
    assert_eq!(m.names().len(), m.ncols());
}

#[test]
fn batch_rolling_moments_match_pandas_and_the_streaming_state() {
    use ml_pipeline::features::rolling_moments;
    for name in ["level1", "level1e4", "gaps"] {
        let rows = read_fixture(name);
        let prices: Vec<f64> = rows.iter().map(|r| r[0]).collect();
        let r: Vec<f64> = (0..prices.len())
            .map(|t| {
                if t == 0 {
                    f64::NAN
                } else {
                    (prices[t] / prices[t - 1]).ln()
                }
            })
            .collect();
        for par in [Par::Seq, Par::Rayon(2)] {
            let c = rolling_moments(&r, 20, par).unwrap();
            for (t, want) in rows.iter().enumerate() {
                for (j, got) in [c.mean[t], c.std[t], c.skew[t], c.kurt[t]]
                    .into_iter()
                    .enumerate()
                {
                    assert!(
                        close(got, want[j + 1], 1e-9, 1e-12),
                        "{name} row {t} stat {j}: {got:e} vs pandas {:e}",
                        want[j + 1]
                    );
                }
            }
        }
    }
    // Long series: equal to the streaming state to 1e-12 (relative, or absolute near zero).
    let prices = rng_walk(50_000, 1e4, 17);
    let r: Vec<f64> = (0..prices.len())
        .map(|t| {
            if t == 0 {
                f64::NAN
            } else {
                (prices[t] / prices[t - 1]).ln()
            }
        })
        .collect();
    let c = rolling_moments(&r, 64, Par::Seq).unwrap();
    let mut s = RollingMoments::new(64, 1024);
    for (t, &v) in r.iter().enumerate() {
        s.push(v);
        let st = s.stats();
        for (got, want) in [
            (c.mean[t], st.mean),
            (c.std[t], st.std),
            (c.skew[t], st.skew),
            (c.kurt[t], st.kurt),
        ] {
            assert!(
                close(got, want, 1e-10, 1e-12),
                "t={t}: batch {got} vs streaming {want}"
            );
        }
    }
    assert!(rolling_moments(&r, 3, Par::Seq).is_err());
    assert!(rolling_moments(&r[..10], 64, Par::Seq)
        .unwrap()
        .mean
        .iter()
        .all(|v| v.is_nan()));
}

#[test]
fn mean_and_std_only_state_reports_nan_skew_and_kurtosis() {
    let mut full = RollingMoments::new(16, 1024);
    let mut two = RollingMoments::with_order(16, 1024, false);
    for v in rng_walk(100, 5.0, 3) {
        full.push(v);
        two.push(v);
    }
    let (a, b) = (full.stats(), two.stats());
    // Not bit for bit: the state that keeps the fourth moment also recomputes when its shift
    // drifts a standard deviation from the mean (the fourth moment would cancel), which the
    // two-moment state has no need to do.
    assert!(
        (a.mean - b.mean).abs() <= 1e-14 * a.mean.abs(),
        "{a:?} {b:?}"
    );
    assert!((a.std - b.std).abs() <= 1e-13 * a.std, "{a:?} {b:?}");
    assert!(a.skew.is_finite() && a.kurt.is_finite());
    assert!(b.skew.is_nan() && b.kurt.is_nan());
}
