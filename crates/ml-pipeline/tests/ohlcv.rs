//! Bar (OHLCV) features, several windows at once and forward targets: against pandas
//! (`fixtures/make_ohlcv_fixtures.py`), batch against streaming bit for bit, grouped against
//! each group alone, and the targets never leaking into the features.

mod identical;

use fast_math::Par;
use identical::{assert_identical, same_bits};
use ml_pipeline::features::{
    extract_bar_features, extract_bar_features_grouped, forward_targets, Bar, BarInputs, Bars,
    FeatureConfig, FeatureMatrix, Groups, KeyedRollingFeatures, RollingFeatures,
};
use ml_pipeline::PipelineError;
use seeded_rng::Rng;

/// The fixture's configuration: windows 8 and 32, returns over both, every bar input.
fn fixture_config() -> FeatureConfig {
    FeatureConfig {
        windows: vec![8, 32],
        return_horizons: vec![8, 32],
        bars: BarInputs::OHLCV,
        ..FeatureConfig::default()
    }
}

/// Owned bar columns.
struct Columns {
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
}

impl Columns {
    fn bars(&self) -> Bars<'_> {
        Bars {
            open: Some(&self.open),
            high: Some(&self.high),
            low: Some(&self.low),
            close: &self.close,
            volume: Some(&self.volume),
        }
    }

    fn bar(&self, t: usize) -> Bar {
        Bar {
            open: self.open[t],
            high: self.high[t],
            low: self.low[t],
            close: self.close[t],
            volume: self.volume[t],
        }
    }

    fn rows(&self, rows: &[usize]) -> Columns {
        let pick = |c: &[f64]| rows.iter().map(|&t| c[t]).collect();
        Columns {
            open: pick(&self.open),
            high: pick(&self.high),
            low: pick(&self.low),
            close: pick(&self.close),
            volume: pick(&self.volume),
        }
    }
}

/// A random bar series of `n` bars: a log-normal walk, opens near the previous close,
/// highs and lows around both, volumes log-normal with some zeros and a NaN gap.
fn random_bars(n: usize, seed: u64) -> Columns {
    let mut rng = Rng::new(seed);
    let mut c = Columns {
        open: Vec::with_capacity(n),
        high: Vec::with_capacity(n),
        low: Vec::with_capacity(n),
        close: Vec::with_capacity(n),
        volume: Vec::with_capacity(n),
    };
    let mut prev = 100.0f64;
    for t in 0..n {
        let open = prev * rng.range(-0.002, 0.002).exp();
        // A burst of volatility in the middle exercises the exact recomputations.
        let scale = if (n / 2..n / 2 + 200).contains(&t) {
            0.05
        } else {
            0.01
        };
        let close = open * rng.range(-scale, scale).exp();
        let high = open.max(close) * rng.range(0.0, 0.004).exp();
        let low = open.min(close) * (-rng.range(0.0, 0.004)).exp();
        let volume = match t % 97 {
            13 => 0.0,
            50 if t > 1000 && t < 1100 => f64::NAN,
            _ => (rng.range(6.0, 10.0)).exp().round(),
        };
        c.open.push(open);
        c.high.push(high);
        c.low.push(low);
        c.close.push(close);
        c.volume.push(volume);
        prev = close;
    }
    c
}

/// The fixture: header, rows of cells.
fn fixture() -> (Vec<String>, Vec<Vec<String>>) {
    let path = format!(
        "{}/tests/fixtures/ohlcv_features.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

fn num(c: &str) -> f64 {
    if c.is_empty() {
        f64::NAN
    } else {
        c.parse().unwrap()
    }
}

/// Relative tolerances against pandas: its rolling sums are Kahan-compensated running sums,
/// ours exact to 1e-12 of each window's moments; the volatilities go through a square root
/// and a logarithm of a ratio of nearby prices, whose rounding (about 1e-16 of the price)
/// is up to 1e-12 of a log range of 1e-4. Skew and kurtosis take differences of higher
/// moments and get the looser bound, as in tests/features.rs.
fn tolerance(column: &str) -> f64 {
    if column.starts_with("roll_skew") || column.starts_with("roll_kurt") {
        1e-8
    } else {
        1e-9
    }
}

#[test]
fn bar_features_and_targets_match_pandas() {
    let (header, rows) = fixture();
    let col = |name: &str| -> Vec<f64> {
        let k = header.iter().position(|h| h == name).unwrap();
        rows.iter().map(|r| num(&r[k])).collect()
    };
    let c = Columns {
        open: col("open"),
        high: col("high"),
        low: col("low"),
        close: col("close"),
        volume: col("volume"),
    };
    let (groups, names) = Groups::from_keys(rows.iter().map(|r| r[1].as_str()));
    assert_eq!(names, ["BBB", "AAA", "CCC"]);
    let cfg = fixture_config();
    let m = extract_bar_features_grouped(&c.bars(), &groups, &cfg, Par::Rayon(2)).unwrap();
    let targets = forward_targets(&c.close, Some(&groups), &[1, 3]).unwrap();
    let mut compared = 0;
    for (k, name) in header.iter().enumerate().skip(7) {
        let (got, tol): (Vec<f64>, f64) = match m.column(name) {
            Some(v) => (v, tolerance(name)),
            // The targets are the same one logarithm of the same ratio as pandas': exact.
            None => (targets.column(name).expect(name), 0.0),
        };
        for (t, r) in rows.iter().enumerate() {
            let want = num(&r[k]);
            let ok = if want.is_nan() {
                got[t].is_nan()
            } else {
                (got[t] - want).abs() <= tol * want.abs() + 1e-300
            };
            assert!(
                ok,
                "row {t} ({}) {name}: ours {:e}, pandas {want:e}",
                r[1], got[t]
            );
            compared += usize::from(!want.is_nan());
        }
    }
    assert!(compared > 25_000, "only {compared} values compared");
    // Every bar feature column was in the fixture.
    for name in m.names().iter().skip(1) {
        let windowed_price = name.starts_with("ema_") || name.starts_with("spec_");
        assert!(
            windowed_price || header.contains(name),
            "{name} not checked against pandas"
        );
    }
}

#[test]
fn batch_equals_streaming_and_grouped_equals_each_group_alone() {
    let cfg = FeatureConfig {
        recompute_every: 256,
        ..fixture_config()
    };
    // Long enough that the column passes run on several threads.
    let c = random_bars(40_000, 5);
    let seq = extract_bar_features(&c.bars(), &cfg, Par::Seq).unwrap();
    let par = extract_bar_features(&c.bars(), &cfg, Par::Rayon(3)).unwrap();
    assert_identical(&par, &seq, "parallel batch");
    let mut f = RollingFeatures::new(cfg.clone()).unwrap();
    for t in 0..c.close.len() {
        let row = f.update_bar(&c.bar(t)).map(<[f64]>::to_vec);
        assert_eq!(row.is_some(), t >= cfg.warmup(), "tick {t}");
        if let Some(row) = row {
            for (j, (&a, &b)) in row.iter().zip(seq.row(t)).enumerate() {
                assert!(
                    same_bits(a, b),
                    "streaming row {t} {}: {a:e} vs {b:e}",
                    seq.names()[j]
                );
            }
        }
    }

    // Three series interleaved, one shorter than the longest window.
    let sizes = [9_000, 3_000, 20];
    let mut rng = Rng::new(8);
    let mut left = sizes;
    let mut codes = Vec::new();
    while left.iter().any(|&n| n > 0) {
        let g = (rng.range(0.0, 3.0) as usize).min(2);
        if left[g] > 0 {
            left[g] -= 1;
            codes.push(g as u32);
        }
    }
    let groups = Groups::from_codes(&codes, 3).unwrap();
    let table = random_bars(codes.len(), 6);
    let m = extract_bar_features_grouped(&table.bars(), &groups, &cfg, Par::Rayon(2)).unwrap();
    for g in 0..3 {
        let own = table.rows(groups.rows(g));
        let alone = extract_bar_features(&own.bars(), &cfg, Par::Seq).unwrap();
        for (i, &t) in groups.rows(g).iter().enumerate() {
            for (j, (&a, &b)) in m.row(t).iter().zip(alone.row(i)).enumerate() {
                assert!(same_bits(a, b), "group {g} row {i} col {j}: {a:e} vs {b:e}");
            }
        }
    }
    let mut keyed = KeyedRollingFeatures::<u32>::new(cfg.clone()).unwrap();
    for (t, &g) in codes.iter().enumerate() {
        let row = keyed.update_bar_row(&g, &table.bar(t));
        assert!(
            row.iter().zip(m.row(t)).all(|(&a, &b)| same_bits(a, b)),
            "keyed row {t}"
        );
    }
}

#[test]
fn primed_bars_continue_as_if_fed_the_history() {
    let cfg = FeatureConfig {
        recompute_every: 64,
        ..fixture_config()
    };
    let c = random_bars(3_000, 9);
    let whole = extract_bar_features(&c.bars(), &cfg, Par::Seq).unwrap();
    let history = c.rows(&(0..2_000).collect::<Vec<_>>());
    let mut keyed = KeyedRollingFeatures::<String>::new(cfg.clone()).unwrap();
    keyed.prime_bars("X".into(), &history.bars()).unwrap();
    for t in 2_000..3_000 {
        let row = keyed.update_bar("X", &c.bar(t)).unwrap();
        for (&a, &b) in row.iter().zip(whole.row(t)) {
            // EMAs forget their start only to 1e-17; the rolling states match bit for bit.
            assert!(
                same_bits(a, b) || (a - b).abs() <= 1e-15 * b.abs(),
                "row {t}: {a:e} vs {b:e}"
            );
        }
    }
    let no_volume = Bars {
        volume: None,
        ..history.bars()
    };
    assert!(keyed.prime_bars("Y".into(), &no_volume).is_err());
}

/// Features of row `t` read only rows up to `t`: shuffling every later row of a series
/// leaves them unchanged (bit for bit), while the forward targets of the rows before the cut
/// do change, so the shuffle did reach what looks ahead.
#[test]
fn features_never_see_the_future_targets_do() {
    let cfg = fixture_config();
    let c = random_bars(2_000, 12);
    let cut = 1_200;
    let mut order: Vec<usize> = (0..c.close.len()).collect();
    let mut rng = Rng::new(4);
    for i in (cut + 2..order.len()).rev() {
        let j = cut + 1 + (rng.range(0.0, (i - cut) as f64) as usize).min(i - cut - 1);
        order.swap(i, j);
    }
    assert_ne!(
        order[cut + 1..],
        (cut + 1..c.close.len()).collect::<Vec<_>>()[..]
    );
    let shuffled = c.rows(&order);
    let a = extract_bar_features(&c.bars(), &cfg, Par::Seq).unwrap();
    let b = extract_bar_features(&shuffled.bars(), &cfg, Par::Seq).unwrap();
    for t in 0..=cut {
        for (j, (&x, &y)) in a.row(t).iter().zip(b.row(t)).enumerate() {
            assert!(same_bits(x, y), "row {t} {} changed", a.names()[j]);
        }
    }
    let ta = forward_targets(&c.close, None, &[1, 5]).unwrap();
    let tb = forward_targets(&shuffled.close, None, &[1, 5]).unwrap();
    let col = |m: &FeatureMatrix, t| m.get(t, 0);
    assert!(
        !same_bits(col(&ta, cut), col(&tb, cut)),
        "the target at the cut looks ahead"
    );
    assert!(
        (0..cut).all(|t| same_bits(col(&ta, t), col(&tb, t))),
        "one step ahead, rows before the cut see only rows up to it"
    );
}

#[test]
fn forward_targets_stay_within_groups() {
    let close = [1.0, 10.0, 2.0, 20.0, 2.0, f64::NAN, 4.0];
    let groups = Groups::from_codes(&[0, 1, 0, 1, 0, 1, 0], 2).unwrap();
    let m = forward_targets(&close, Some(&groups), &[1, 2]).unwrap();
    assert_eq!(
        m.names(),
        [
            "fwd_log_return_1",
            "fwd_up_1",
            "fwd_log_return_2",
            "fwd_up_2"
        ]
    );
    let ln = f64::ln;
    let want = [
        [ln(2.0), 1.0, ln(2.0), 1.0],
        [ln(2.0), 1.0, f64::NAN, f64::NAN],
        [0.0, 0.0, ln(2.0), 1.0],
        [f64::NAN, f64::NAN, f64::NAN, f64::NAN],
        [ln(2.0), 1.0, f64::NAN, f64::NAN],
        [f64::NAN, f64::NAN, f64::NAN, f64::NAN],
        [f64::NAN, f64::NAN, f64::NAN, f64::NAN],
    ];
    for (t, w) in want.iter().enumerate() {
        for (j, &x) in w.iter().enumerate() {
            let got = m.get(t, j);
            assert!(
                same_bits(got, x) || (got - x).abs() < 1e-15,
                "row {t} col {j}: {got} vs {x}"
            );
        }
    }
    assert!(forward_targets(&close, None, &[0]).is_err());
    let two = Groups::from_codes(&[0, 1], 2).unwrap();
    assert!(forward_targets(&close, Some(&two), &[1]).is_err());
}

#[test]
fn names_windows_and_defaults() {
    // No bar inputs, no windows: today's names, unchanged.
    let plain = FeatureConfig::with_window(16);
    assert_eq!(
        plain.names()[..6],
        [
            "log_return",
            "roll_mean",
            "roll_std",
            "roll_skew",
            "roll_kurt",
            "zscore"
        ]
    );
    assert_eq!(plain.names().len(), plain.n_features());
    let cfg = fixture_config();
    let names = cfg.names();
    assert_eq!(names.len(), cfg.n_features());
    for want in [
        "roll_std_8",
        "zscore_32",
        "momentum_8",
        "roll_max_32",
        "log_return_32",
        "bar_range",
        "true_range",
        "dollar_volume",
        "parkinson_32",
        "garman_klass_8",
        "rogers_satchell_32",
        "vwap_8",
        "vwap_dev_32",
        "volume_z_8",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    assert_eq!(cfg.warmup(), 32);
    // Only high and low: range features and Parkinson, nothing needing open or volume.
    let hl = FeatureConfig {
        bars: BarInputs {
            high_low: true,
            ..BarInputs::default()
        },
        ..FeatureConfig::with_window(10)
    };
    let n = hl.names();
    assert!(n.contains(&"parkinson_10".to_string()));
    assert!(!n
        .iter()
        .any(|s| s.starts_with("garman") || s.starts_with("vwap")));
}

#[test]
fn bad_settings_and_bad_bars_are_errors() {
    let open_alone = FeatureConfig {
        bars: BarInputs {
            open: true,
            ..BarInputs::default()
        },
        ..FeatureConfig::default()
    };
    assert!(open_alone.validate().is_err());
    for bad in [vec![8, 3], vec![0]] {
        let cfg = FeatureConfig {
            windows: bad.clone(),
            ..FeatureConfig::default()
        };
        assert!(cfg.validate().is_err(), "windows {bad:?}");
    }
    let cfg = FeatureConfig {
        return_horizons: vec![0],
        ..FeatureConfig::default()
    };
    assert!(cfg.validate().is_err());

    // A configuration reading volume, given closes only.
    let prices = [1.0, 2.0, 3.0];
    let err = extract_bar_features(&Bars::close(&prices), &fixture_config(), Par::Seq).unwrap_err();
    assert!(err.to_string().contains("open"), "{err}");
    let short = [1.0, 2.0];
    let mismatched = Bars {
        volume: Some(&short),
        ..Bars::close(&prices)
    };
    let vol_only = FeatureConfig {
        bars: BarInputs {
            volume: true,
            ..BarInputs::default()
        },
        ..FeatureConfig::default()
    };
    assert!(matches!(
        extract_bar_features(&mismatched, &vol_only, Par::Seq),
        Err(PipelineError::ShapeMismatch { .. })
    ));

    let c = random_bars(50, 1);
    assert_eq!(c.bars().check(true), Ok(()));
    let check = |f: &dyn Fn(&mut Columns)| {
        let mut bad = c.rows(&(0..50).collect::<Vec<_>>());
        f(&mut bad);
        match bad.bars().check(true) {
            Err(PipelineError::InvalidBar { row, problem }) => (row, problem),
            other => panic!("{other:?}"),
        }
    };
    let (row, problem) = check(&|b| b.volume[7] = -1.0);
    assert_eq!(row, 7);
    assert!(problem.contains("volume -1 is negative"), "{problem}");
    let (row, problem) = check(&|b| b.high[9] = b.low[9] * 0.5);
    assert_eq!(row, 9);
    assert!(problem.contains("below low"), "{problem}");
    let (row, problem) = check(&|b| b.close[3] = 0.0);
    assert_eq!(row, 3);
    assert!(problem.contains("close 0 is not positive"), "{problem}");
    let (row, _) = check(&|b| b.open[4] = -2.0);
    assert_eq!(row, 4);
    // Gaps are allowed; a non-positive close only when logarithms of it are taken.
    let mut gaps = c.rows(&(0..50).collect::<Vec<_>>());
    gaps.volume[2] = f64::NAN;
    gaps.close[5] = 0.0;
    assert_eq!(gaps.bars().check(false), Ok(()));
}
