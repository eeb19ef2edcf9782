//! Grouped features: the batch over a long-format table equals each group run alone
//! (`extract_features`) and the keyed streaming state, bit for bit, for any thread count; and
//! matches pandas' `groupby(symbol)` definitions.

mod identical;

use fast_math::Par;
use identical::{assert_identical, same_bits};
use ml_pipeline::features::{
    extract_features, extract_features_grouped, FeatureConfig, Groups, KeyedRollingFeatures,
};
use ml_pipeline::PipelineError;
use seeded_rng::Rng;

/// A long-format table: `(symbol, price)` rows of the given group sizes, interleaved at
/// random, each group a random walk in time order; returns the rows' symbols and prices.
fn interleaved(sizes: &[usize], seed: u64) -> (Vec<String>, Vec<f64>) {
    let mut rng = Rng::new(seed);
    let mut left: Vec<usize> = sizes.to_vec();
    let mut level: Vec<f64> = (0..sizes.len()).map(|g| 10.0 * (g + 1) as f64).collect();
    let (mut keys, mut prices) = (Vec::new(), Vec::new());
    let mut remaining: usize = sizes.iter().sum();
    while remaining > 0 {
        // Pick the next row's group with probability proportional to its rows left.
        let mut pick = (rng.range(0.0, 1.0) * remaining as f64) as usize;
        let g = left
            .iter()
            .position(|&n| {
                if pick < n {
                    return true;
                }
                pick -= n;
                false
            })
            .unwrap_or_else(|| left.iter().rposition(|&n| n > 0).unwrap());
        left[g] -= 1;
        remaining -= 1;
        level[g] *= rng.range(-0.01, 0.01).exp();
        keys.push(format!("S{g}"));
        prices.push(level[g]);
    }
    (keys, prices)
}

#[test]
fn grouped_batch_equals_each_group_alone_and_keyed_streaming() {
    // A long group past several exact recomputations, a medium one, one shorter than the
    // window, one of a single row.
    let cfg = FeatureConfig {
        window: 16,
        recompute_every: 256,
        ..FeatureConfig::default()
    };
    let sizes = [3000, 900, 10, 1];
    let (keys, prices) = interleaved(&sizes, 7);
    let (groups, names) = Groups::from_keys(keys.iter().map(String::as_str));
    assert_eq!(groups.n_groups(), 4);
    let m = extract_features_grouped(&prices, &groups, &cfg, Par::Seq).unwrap();
    assert_eq!(m.nrows(), prices.len());

    for (g, name) in names.iter().enumerate() {
        let rows = groups.rows(g);
        let own: Vec<f64> = rows.iter().map(|&t| prices[t]).collect();
        let alone = extract_features(&own, &cfg, Par::Seq).unwrap();
        for (i, &t) in rows.iter().enumerate() {
            for (j, (&a, &b)) in m.row(t).iter().zip(alone.row(i)).enumerate() {
                assert!(same_bits(a, b), "{name} row {i} col {j}: {a:e} vs {b:e}");
            }
        }
    }
    let short: Vec<(usize, usize)> = groups
        .short_groups(&cfg)
        .into_iter()
        .map(|(g, n)| (sizes[names[g][1..].parse::<usize>().unwrap()], n))
        .collect();
    assert_eq!(short, [(10, 10), (1, 1)]);

    let mut keyed = KeyedRollingFeatures::<String>::new(cfg.clone()).unwrap();
    let mut warm = keyed.clone();
    let mut seen = std::collections::HashMap::<&str, usize>::new();
    for (t, (key, &p)) in keys.iter().zip(&prices).enumerate() {
        let row = keyed.update_row(key, p);
        for (j, (&a, &b)) in row.iter().zip(m.row(t)).enumerate() {
            assert!(same_bits(a, b), "streaming row {t} col {j}: {a:e} vs {b:e}");
        }
        let n = seen.entry(key).or_default();
        *n += 1;
        let ready = warm.update(key, p).map(<[f64]>::to_vec);
        assert_eq!(ready.is_some(), *n > cfg.warmup(), "row {t} ({key})");
        if let Some(r) = ready {
            assert!(r.iter().zip(m.row(t)).all(|(&a, &b)| same_bits(a, b)));
        }
    }
    assert_eq!(keyed.len(), 4);
}

#[test]
fn parallel_equals_sequential_for_any_thread_count() {
    let cfg = FeatureConfig::with_window(32);
    // Enough rows that every thread count below actually splits the groups.
    let sizes = [40_000, 25_000, 25_000, 9_000, 3_000, 700, 31, 1];
    let (keys, prices) = interleaved(&sizes, 9);
    let (groups, _) = Groups::from_keys(keys.iter());
    let seq = extract_features_grouped(&prices, &groups, &cfg, Par::Seq).unwrap();
    for threads in [2, 3, 5, 8, 64] {
        let par = extract_features_grouped(&prices, &groups, &cfg, Par::Rayon(threads)).unwrap();
        assert_identical(&par, &seq, &format!("{threads} threads"));
    }
}

#[test]
fn codes_and_keys_build_the_same_groups() {
    let (keys, _) = interleaved(&[50, 20, 3], 3);
    let (by_key, names) = Groups::from_keys(keys.iter());
    let codes: Vec<u32> = keys
        .iter()
        .map(|k| names.iter().position(|n| *n == k).unwrap() as u32)
        .collect();
    let by_code = Groups::from_codes(&codes, names.len()).unwrap();
    assert_eq!(by_key, by_code);
    assert_eq!(by_key.codes(), codes);
    assert_eq!(
        by_key.rows(0).len() + by_key.rows(1).len() + by_key.rows(2).len(),
        73
    );
}

#[test]
fn mismatched_lengths_and_bad_codes_are_errors() {
    let groups = Groups::from_codes(&[0, 0, 1], 2).unwrap();
    let err = extract_features_grouped(&[1.0, 2.0], &groups, &FeatureConfig::default(), Par::Seq)
        .unwrap_err();
    assert!(
        matches!(
            err,
            PipelineError::ShapeMismatch {
                expected: 3,
                got: 2,
                ..
            }
        ),
        "{err}"
    );
    let err = Groups::from_codes(&[0, 2], 2).unwrap_err();
    assert!(err.to_string().contains("row 1"), "{err}");
    let bad = FeatureConfig::with_window(2);
    assert!(extract_features_grouped(&[1.0, 2.0, 3.0], &groups, &bad, Par::Seq).is_err());
    assert!(KeyedRollingFeatures::<u32>::new(bad).is_err());
}

#[test]
fn primed_key_continues_as_if_fed_the_history() {
    let cfg = FeatureConfig::with_window(8);
    let (_, prices) = interleaved(&[500], 1);
    let mut fed = KeyedRollingFeatures::<u32>::new(cfg.clone()).unwrap();
    for &p in &prices[..400] {
        fed.update(&1, p);
    }
    let mut primed = KeyedRollingFeatures::<u32>::new(cfg).unwrap();
    primed.prime(1, &prices[..400]);
    for &p in &prices[400..] {
        let a = fed.update(&1, p).unwrap().to_vec();
        let b = primed.update(&1, p).unwrap();
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= 1e-12 * y.abs(), "{x:e} vs {y:e}");
        }
    }
}

/// pandas' `groupby("symbol")` of the same table (`fixtures/make_grouped_fixtures.py`).
#[test]
fn grouped_features_match_pandas_groupby() {
    let path = format!(
        "{}/tests/fixtures/grouped_features.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let num = |c: &str| {
        if c.is_empty() {
            f64::NAN
        } else {
            c.parse().unwrap()
        }
    };
    let prices: Vec<f64> = rows.iter().map(|r| num(r[2])).collect();
    let (groups, names) = Groups::from_keys(rows.iter().map(|r| r[1]));
    assert_eq!(names.len(), 4);
    let cfg = FeatureConfig {
        window: 20,
        ..FeatureConfig::default()
    };
    let m = extract_features_grouped(&prices, &groups, &cfg, Par::Rayon(2)).unwrap();
    let mut compared = 0;
    for (k, col) in header.iter().enumerate().skip(3) {
        let j = m
            .column_index(col)
            .unwrap_or_else(|| panic!("no column {col}"));
        for (t, r) in rows.iter().enumerate() {
            let (got, want) = (m.get(t, j), num(r[k]));
            let ok = if want.is_nan() {
                got.is_nan()
            } else {
                (got - want).abs() <= 1e-9 * want.abs() + 1e-12
            };
            assert!(
                ok,
                "row {t} ({}) {col}: ours {got:e}, pandas {want:e}",
                r[1]
            );
            compared += usize::from(!want.is_nan());
        }
    }
    assert!(compared > 10_000, "only {compared} values compared");
}
