//! The public generator against an independent implementation and against the
//! distributions it promises.

use seeded_rng::{uniform_vec, Rng};

/// Known answers of `Rng::new(seed)` (SplitMix64 seeding, then xoshiro256++), from the same
/// Python transcription of Vigna's reference C code as the unit tests; the float values are
/// Python's `repr` of the same arithmetic (`(x >> 11) / 2**53`, and Box-Muller with
/// `math.log`, `math.cos`, `math.sin`).
#[test]
fn seeded_known_answers() {
    let cases: [(u64, [u64; 5]); 3] = [
        (
            0,
            [
                0x5317_5d61_490b_23df,
                0x61da_6f3d_c380_d507,
                0x5c0f_df91_ec9a_7bfc,
                0x02ee_bf8c_3bbe_5e1a,
                0x7eca_04eb_af4a_5eea,
            ],
        ),
        (
            42,
            [
                0xd076_4d4f_4476_689f,
                0x519e_4174_576f_3791,
                0xfbe0_7cfb_0c24_ed8c,
                0xb37d_9f60_0cd8_35b8,
                0xcb23_1c38_7484_6a73,
            ],
        ),
        (
            u64::MAX,
            [
                0x56cc_f8ce_948e_27b2,
                0xe685_8843_2e5a_5b90,
                0xe3e9_b5a4_8119_ca8b,
                0x460f_1949_5532_ae73,
                0xa7d6_2040_ea92_63e1,
            ],
        ),
    ];
    for (seed, want) in cases {
        let mut rng = Rng::new(seed);
        let got: Vec<u64> = (0..5).map(|_| rng.next_u64()).collect();
        assert_eq!(got, want, "seed {seed}");
    }

    let mut rng = Rng::new(42);
    let u: Vec<f64> = (0..3).map(|_| rng.uniform()).collect();
    assert_eq!(
        u,
        [0.8143051451229099, 0.3188210400616611, 0.9838941681774888]
    );
    let mut rng = Rng::new(42);
    let u: Vec<f64> = (0..3).map(|_| rng.uniform_open()).collect();
    assert_eq!(
        u,
        [0.81430514512291, 0.31882104006166123, 0.9838941681774889]
    );

    // Two Box-Muller pairs: cos first, then the spare sin. Compared to 4 ulps rather than
    // bit for bit, since ln/sin/cos come from the platform's libm on both sides.
    let want = [
        -0.26860736946209524,
        0.5819710518628827,
        -0.0544621701081508,
        -0.1717782081219575,
    ];
    let mut rng = Rng::new(42);
    for (i, w) in want.into_iter().enumerate() {
        let z = rng.normal();
        assert!(
            (z - w).abs() <= 4.0 * f64::EPSILON * w.abs(),
            "normal #{i}: {z} vs {w}"
        );
    }
}

#[test]
fn same_seed_same_stream_other_seed_other_stream() {
    let draw = |seed| {
        let mut rng = Rng::new(seed);
        let mut v: Vec<f64> = (0..50).map(|_| rng.uniform()).collect();
        v.extend((0..51).map(|_| rng.normal())); // odd: leaves a spare behind
        v.extend((0..50).map(|_| rng.below(1000) as f64));
        v.push(rng.next_u64() as f64);
        v
    };
    for seed in [0, 1, 2, 42, u64::MAX] {
        assert_eq!(draw(seed), draw(seed), "seed {seed}");
    }
    assert_ne!(draw(1), draw(2));
    assert_ne!(draw(0), draw(u64::MAX));

    // A clone replays the stream from where it was taken, spare included.
    let mut a = Rng::new(9);
    a.normal();
    let mut b = a.clone();
    assert_eq!(a.normal().to_bits(), b.normal().to_bits());
    assert_eq!(a.next_u64(), b.next_u64());

    assert_eq!(
        uniform_vec(100, 5, -2.0, 3.0),
        uniform_vec(100, 5, -2.0, 3.0)
    );
    let mut rng = Rng::new(5);
    let by_range: Vec<f64> = (0..100).map(|_| rng.range(-2.0, 3.0)).collect();
    assert_eq!(uniform_vec(100, 5, -2.0, 3.0), by_range);
}

#[test]
fn uniforms_stay_in_bounds() {
    let mut rng = Rng::new(3);
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for _ in 0..100_000 {
        let u = rng.uniform();
        assert!((0.0..1.0).contains(&u), "uniform {u}");
        let v = rng.uniform_open();
        assert!(v > 0.0 && v <= 1.0, "uniform_open {v}");
        lo = lo.min(u);
        hi = hi.max(u);
    }
    // Spread over the whole interval, not a corner of it.
    assert!(lo < 1e-3 && hi > 1.0 - 1e-3, "uniform spans [{lo}, {hi}]");

    for (a, b) in [
        (-1.0, 1.0),
        (5.0, 5.5),
        (-1e6, -1e6 + 1e-6),
        (0.0, f64::MIN_POSITIVE),
    ] {
        let mut v = vec![f64::NAN; 10_000];
        rng.fill_uniform(&mut v, a, b);
        for x in v {
            assert!(x >= a && x < b, "{x} outside [{a}, {b})");
        }
        for _ in 0..1000 {
            let x = rng.range(a, b);
            assert!(x >= a && x < b, "{x} outside [{a}, {b})");
        }
    }
    // An interval only one float wide: lo + (hi - lo) * u rounds to hi for u >= 1/2, and
    // range must still exclude hi.
    let (a, b) = (1.0, 1.0f64.next_up());
    for _ in 0..1000 {
        assert_eq!(rng.range(a, b), a);
    }
}

#[test]
#[should_panic(expected = "empty")]
fn empty_range_panics() {
    Rng::new(0).range(1.0, 1.0);
}

#[test]
#[should_panic(expected = "empty")]
fn below_zero_panics() {
    Rng::new(0).below(0);
}

#[test]
fn below_covers_its_range_evenly() {
    let mut rng = Rng::new(11);
    for n in [1usize, 2, 3, 7, 10, 1000, usize::MAX] {
        for _ in 0..1000 {
            assert!(rng.below(n) < n, "below({n})");
        }
    }
    // 10 buckets, 1e5 draws: each count is Binomial(1e5, 0.1), sd ~95; 6 sd is a loose bound.
    let mut counts = [0usize; 10];
    for _ in 0..100_000 {
        counts[rng.below(10)] += 1;
    }
    for (i, &c) in counts.iter().enumerate() {
        assert!(c.abs_diff(10_000) < 600, "bucket {i}: {c} of 100000");
    }
}

#[test]
fn normal_has_mean_zero_and_variance_one() {
    let n = 100_000;
    let mut rng = Rng::new(2024);
    let z: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let mean = z.iter().sum::<f64>() / n as f64;
    let var = z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let kurt = z.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n as f64 / (var * var);
    // Standard errors: mean 1/sqrt(n) ~ 0.0032, variance sqrt(2/n) ~ 0.0045, kurtosis
    // sqrt(24/n) ~ 0.015. The bounds are about 5 standard errors.
    assert!(mean.abs() < 0.016, "mean {mean}");
    assert!((var - 1.0).abs() < 0.023, "variance {var}");
    assert!((kurt - 3.0).abs() < 0.08, "kurtosis {kurt}");
    // Tails: P(|Z| > 2) = 0.0455 (sd of the share ~0.00066).
    let tail = z.iter().filter(|v| v.abs() > 2.0).count() as f64 / n as f64;
    assert!((tail - 0.0455).abs() < 0.0035, "P(|Z| > 2) = {tail}");
    assert!(z.iter().all(|v| v.is_finite()));
}
