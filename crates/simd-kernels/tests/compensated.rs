//! `sum_compensated` on ill-conditioned data, against an exact (Shewchuk) reference.

mod common;

use common::*;
use simd_kernels::{
    sum_ahead_with, sum_compensated_ahead_with, sum_compensated_with, sum_with, Float, Isa,
};

/// `n` values whose sum cancels heavily: large pairs `v, -v` (exponents spread over
/// `spread` decades) blurred by rounding, plus small terms, shuffled.
fn ill_conditioned(n: usize, spread: f64, rng: &mut Rng) -> Vec<f64> {
    let mut v = Vec::with_capacity(n);
    while v.len() + 2 <= n {
        let big = rng.normal() * 10f64.powf(rng.uniform() * spread);
        v.push(big);
        v.push(-big * (1.0 + rng.normal() * 1e-9));
    }
    if v.len() < n {
        v.push(rng.normal());
    }
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i + 1));
    }
    v
}

fn ulps_off(got: f64, exact: f64) -> f64 {
    let ulp = f64::EPSILON * exact.abs().max(f64::MIN_POSITIVE);
    (got - exact).abs() / ulp
}

#[test]
fn classic_cancellation_is_exact_on_every_isa() {
    for isa in Isa::available() {
        assert_eq!(sum_compensated_with(isa, &[1e16, 1.0, -1e16]), 1.0, "{isa}");
        assert_eq!(
            sum_compensated_with(isa, &[1e8f32, 1.0, -1e8]),
            1.0,
            "{isa}"
        );
        // Spread over many lanes and past the unrolled block, the answer is still exact.
        let mut x = vec![0.0f64; 300];
        x[3] = 1e16;
        x[150] = 1.0;
        x[299] = -1e16;
        assert_eq!(sum_compensated_with(isa, &x), 1.0, "{isa}");
        // The plain sum is allowed to lose it; make sure this data really is hard.
        assert_eq!(sum_with(isa, &[1e16, 1.0, -1e16]), 0.0, "{isa}");
    }
}

#[test]
fn ill_conditioned_sets_are_within_a_few_ulps_of_exact() {
    let mut rng = Rng::new(42);
    let mut worst = 0.0f64;
    for trial in 0..400 {
        let n = 2 + trial * 7 % 1500;
        let spread = 2.0 + (trial % 9) as f64;
        let x = ill_conditioned(n, spread, &mut rng);
        let exact = exact_sum(x.iter().copied());
        let abs: f64 = x.iter().map(|v| v.abs()).sum();
        // Neumaier's bound: eps|S| + O(n eps^2) sum|x|; the test data keep the second term
        // below an ulp, so "a few ulps" is the whole story.
        assert!(n as f64 * f64::EPSILON * f64::EPSILON * abs < f64::EPSILON * exact.abs());
        let mut per_isa = Vec::new();
        for isa in Isa::available() {
            let got = sum_compensated_with(isa, &x);
            let off = ulps_off(got, exact);
            worst = worst.max(off);
            assert!(
                off <= 2.0,
                "{isa} n={n} spread={spread}: {got:e} vs exact {exact:e} ({off} ulps)"
            );
            per_isa.push(got);
        }
        for w in per_isa.windows(2) {
            assert!(ulps_off(w[0], w[1]) <= 3.0, "ISAs disagree: {per_isa:?}");
        }
    }
    assert!(worst.is_finite());
}

#[test]
fn f32_ill_conditioned_sets_match_exact() {
    let mut rng = Rng::new(9);
    for trial in 0..200 {
        let n = 2 + trial * 13 % 900;
        let x64 = ill_conditioned(n, 3.0, &mut rng);
        let x: Vec<f32> = x64.iter().map(|&v| v as f32).collect();
        let exact = exact_sum(x.iter().map(|&v| f64::from(v)));
        let abs: f64 = x.iter().map(|v| f64::from(v.abs())).sum();
        let e = f64::from(f32::EPSILON);
        let bound = 2.0 * e * exact.abs() + 4.0 * n as f64 * e * e * abs;
        for isa in Isa::available() {
            let got = f64::from(sum_compensated_with(isa, &x));
            assert!(
                (got - exact).abs() <= bound,
                "{isa} n={n}: {got:e} vs {exact:e}"
            );
        }
    }
}

#[test]
fn non_finite_inputs_follow_ieee() {
    for isa in Isa::available() {
        let mut x = vec![1.0f64; 100];
        x[40] = f64::INFINITY;
        assert_eq!(sum_compensated_with(isa, &x), f64::INFINITY, "{isa}");
        x[41] = f64::NEG_INFINITY;
        assert!(sum_compensated_with(isa, &x).is_nan(), "{isa}");
        x[41] = f64::NAN;
        assert!(sum_compensated_with(isa, &x).is_nan(), "{isa}");
    }
}

/// Both sums of `x` with a read-ahead into `after` against the same sums without it, bit
/// for bit (an `f32` widens to `f64` exactly, sign of zero included).
fn assert_read_ahead_keeps_the_bits<T: Float>(isa: Isa, x: &[T], after: &[T], what: &str) {
    assert_eq!(
        sum_compensated_ahead_with(isa, x, after).to_f64().to_bits(),
        sum_compensated_with(isa, x).to_f64().to_bits(),
        "compensated {what}"
    );
    assert_eq!(
        sum_ahead_with(isa, x, after).to_f64().to_bits(),
        sum_with(isa, x).to_f64().to_bits(),
        "plain {what}"
    );
}

#[test]
fn the_read_ahead_into_the_next_slice_changes_no_bit_of_either_sum() {
    let mut rng = Rng::new(7);
    let data = ill_conditioned(6000, 6.0, &mut rng);
    let data32: Vec<f32> = data.iter().map(|&v| v as f32).collect();
    // Lengths around the unrolled block and the read-ahead distance (1024 elements), with
    // a `next` that is empty, shorter, as long and longer than `x`, and overlapping it.
    for n in [
        0, 1, 15, 16, 17, 63, 64, 65, 1000, 1023, 1024, 1025, 2048, 3001,
    ] {
        let x = &data[..n];
        let x32 = &data32[..n];
        for next in [0, 1, n / 2, n, 2 * n + 3] {
            let next = next.min(data.len() - n);
            for start in [n, n / 3] {
                let (after, after32) = (&data[start..start + next], &data32[start..start + next]);
                for isa in Isa::available() {
                    let what = format!("{isa} n={n} next={next}");
                    assert_read_ahead_keeps_the_bits(isa, x, after, &what);
                    assert_read_ahead_keeps_the_bits(isa, x32, after32, &format!("{what} f32"));
                }
            }
        }
    }
}
