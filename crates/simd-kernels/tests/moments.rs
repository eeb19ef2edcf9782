//! `moments` against a two-pass reference, under cancellation, merged, and on known values.

mod common;

use common::*;
use simd_kernels::{moments, moments_with, Isa, Moments};

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}

fn assert_close(got: &Moments, want: &Moments, tol: f64, what: &str) {
    assert_eq!(got.count, want.count, "{what}: count");
    // Mean relative to the spread as well as the level (a mean near zero has no digits).
    let sd = (want.m2 / want.count as f64).sqrt();
    assert!(
        (got.mean - want.mean).abs() <= tol * (want.mean.abs() + sd),
        "{what}: mean {} vs {}",
        got.mean,
        want.mean
    );
    assert!(
        rel(got.m2, want.m2) <= tol,
        "{what}: m2 {} vs {}",
        got.m2,
        want.m2
    );
    // Odd moments can be near zero: measure them against m2^1.5 and m2^2 scales.
    let n = want.count as f64;
    let s3 = want.m2.powf(1.5) / n.sqrt();
    assert!(
        (got.m3 - want.m3).abs() <= tol * (want.m3.abs() + s3),
        "{what}: m3 {} vs {}",
        got.m3,
        want.m3
    );
    assert!(
        rel(got.m4, want.m4) <= tol,
        "{what}: m4 {} vs {}",
        got.m4,
        want.m4
    );
}

fn exponential(n: usize, level: f64, rng: &mut Rng) -> Vec<f64> {
    (0..n).map(|_| level - rng.uniform_open().ln()).collect()
}

#[test]
fn matches_two_pass_reference_on_every_isa() {
    let mut rng = Rng::new(1);
    for n in [
        1usize, 2, 3, 4, 5, 17, 1023, 1024, 1025, 3000, 10_000, 100_003,
    ] {
        let x = exponential(n, 3.0, &mut rng);
        let want = reference_moments(&x);
        for isa in Isa::available() {
            assert_close(
                &moments_with(isa, &x),
                &want,
                1e-12,
                &format!("{isa} n={n}"),
            );
        }
    }
}

#[test]
fn survives_cancellation_at_mean_1e9() {
    let mut rng = Rng::new(2);
    let x: Vec<f64> = (0..200_000).map(|_| 1e9 + rng.normal()).collect();
    let want = reference_moments(&x);
    for isa in Isa::available() {
        let m = moments_with(isa, &x);
        let (v, vw) = (m.variance().unwrap(), want.m2 / (want.count - 1) as f64);
        assert!(rel(v, vw) <= 1e-9, "{isa}: variance {v} vs {vw}");
        assert!(
            (v - 1.0).abs() < 0.02,
            "{isa}: variance {v} should be about 1"
        );
        let (s, sw) = (m.skewness().unwrap(), skew_of(&want));
        assert!((s - sw).abs() <= 1e-6, "{isa}: skew {s} vs {sw}");
        let (k, kw) = (m.kurtosis().unwrap(), want.kurtosis().unwrap());
        assert!((k - kw).abs() <= 1e-6, "{isa}: kurt {k} vs {kw}");
    }
}

fn skew_of(m: &Moments) -> f64 {
    m.skewness().unwrap()
}

#[test]
fn merging_halves_equals_the_whole() {
    let mut rng = Rng::new(3);
    let x = exponential(50_001, 100.0, &mut rng);
    let whole = moments(&x);
    for split in [0, 1, 7, 1024, 16_666, 25_000, 50_000, 50_001] {
        let merged = moments(&x[..split]).merge(&moments(&x[split..]));
        assert_close(&merged, &whole, 1e-12, &format!("split at {split}"));
    }
    // Many small pieces, merged left to right, also equal the whole.
    let pieces = x
        .chunks(333)
        .map(moments)
        .fold(Moments::default(), |a, b| a.merge(&b));
    assert_close(&pieces, &whole, 1e-12, "333-element pieces");
}

#[test]
fn isas_agree_closely() {
    let mut rng = Rng::new(4);
    let x = exponential(70_000, -5.0, &mut rng);
    let base = moments_with(Isa::Scalar, &x);
    for isa in Isa::available() {
        assert_close(
            &moments_with(isa, &x),
            &base,
            1e-13,
            &format!("{isa} vs scalar"),
        );
    }
}

#[test]
fn known_values_as_pandas() {
    // pandas: Series([1, 2, 3, 4, 5]).var() == 2.5, .skew() == 0, .kurt() == -1.2
    let m = moments(&[1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(m.mean(), Some(3.0));
    assert!((m.variance().unwrap() - 2.5).abs() < 1e-15);
    assert!(m.skewness().unwrap().abs() < 1e-15);
    assert!((m.kurtosis().unwrap() + 1.2).abs() < 1e-14);
    // pandas: Series([0, 0, 0, 1]).skew() == 2.0, .kurt() == 4.0
    let m = moments(&[0.0, 0.0, 0.0, 1.0]);
    assert!((m.skewness().unwrap() - 2.0).abs() < 1e-14);
    assert!((m.kurtosis().unwrap() - 4.0).abs() < 1e-13);
    assert!((m.std().unwrap() - 0.5).abs() < 1e-15);
}

#[test]
fn too_few_values_or_zero_variance_give_none() {
    assert_eq!(moments(&[]).mean(), None);
    assert_eq!(moments(&[1.0]).variance(), None);
    assert_eq!(moments(&[1.0, 2.0]).skewness(), None);
    assert_eq!(moments(&[1.0, 2.0, 4.0]).kurtosis(), None);
    assert!(moments(&[1.0, 2.0, 4.0]).skewness().is_some());
    for isa in Isa::available() {
        for level in [0.0, 1.0, 2.8e9, -1e300, 1.7e308, -f64::MAX] {
            let m = moments_with(isa, &vec![level; 5000]);
            assert_eq!(m.variance(), Some(0.0), "{isa} level {level}");
            assert_eq!(m.std(), Some(0.0), "{isa} level {level}");
            assert_eq!(m.skewness(), None, "{isa} level {level}");
            assert_eq!(m.kurtosis(), None, "{isa} level {level}");
            assert_eq!(m.mean(), Some(level), "{isa} level {level}");
        }
    }
}

#[test]
fn nan_and_inf_propagate_in_short_slices() {
    // Found by the kernels_diff fuzz target: below one 1024-value block the even moments
    // went through `f64::max(0.0)`, which turned NaN into 0 (variance Some(0.0)).
    for isa in Isa::available() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            for n in [2, 3, 5, 17, 1023, 1024] {
                let mut x: Vec<f64> = (0..n).map(|i| i as f64).collect();
                x[n / 2] = bad;
                let m = moments_with(isa, &x);
                assert_eq!(m.count, n as u64);
                assert!(m.mean.is_nan(), "{isa} {bad} n={n}: mean {}", m.mean);
                let var = m.variance().expect("n >= 2");
                assert!(var.is_nan(), "{isa} {bad} n={n}: variance {var}");
                if n >= 4 {
                    assert!(m.skewness().is_some_and(f64::is_nan), "{isa} {bad} n={n}");
                    assert!(m.kurtosis().is_some_and(f64::is_nan), "{isa} {bad} n={n}");
                }
            }
        }
    }
}

#[test]
fn nan_and_inf_propagate() {
    for isa in Isa::available() {
        for bad in [f64::NAN, f64::INFINITY] {
            let mut x = vec![1.0; 3000];
            x[2500] = 2.0;
            x[1777] = bad;
            let m = moments_with(isa, &x);
            assert!(m.variance().unwrap().is_nan(), "{isa} {bad}");
            assert!(m.skewness().is_none_or(f64::is_nan), "{isa} {bad}");
        }
    }
}
