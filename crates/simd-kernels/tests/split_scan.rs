//! The split scan on every available ISA against the sequential scan a textbook writes
//! (bin by bin, both ways of the missing bin, strictly greater gains only, the soft threshold
//! always applied): equal bit for bit on random, tied, degenerate and non-finite histograms.

mod common;

use common::Rng;
use simd_kernels::{
    best_split_bin_with, node_gain, Isa, SplitBin, SplitLimits, SPLIT_SCAN_MAX_ENTRIES,
};

/// The plain scan.
fn reference(hist: &[[f64; 2]], s: &SplitLimits, mut bar: f64) -> Option<SplitBin> {
    let value_bins = hist.len().checked_sub(1)?;
    if value_bins < 2 {
        return None;
    }
    let missing = hist[value_bins];
    let gain = |g: f64, h: f64| {
        let t = g.signum() * (g.abs() - s.lambda_l1).max(0.0);
        if h + s.lambda_l2 > 0.0 {
            t * t / (h + s.lambda_l2)
        } else {
            0.0
        }
    };
    let mut best = None;
    for missing_left in [false, true] {
        if missing_left && missing == [0.0, 0.0] {
            break;
        }
        let [mut lg, mut lh] = if missing_left { missing } else { [0.0, 0.0] };
        for (bin, e) in hist[..value_bins - 1].iter().enumerate() {
            lg += e[0];
            lh += e[1];
            let (rg, rh) = (s.sum_gradient - lg, s.sum_hessian - lh);
            let y = lh * s.rows_per_hessian + 0.5;
            let allowed = y >= s.min_row_estimate
                && y < s.end_row_estimate
                && lh >= s.min_child_hessian
                && rh >= s.min_child_hessian;
            let children_gain = gain(lg, lh) + gain(rg, rh);
            if allowed && children_gain > bar {
                bar = children_gain;
                best = Some(SplitBin {
                    bin,
                    missing_left,
                    children_gain,
                    left: [lg, lh],
                });
            }
        }
    }
    best
}

/// Equal bit for bit (so NaN-free answers compare with `==`, and zeros by sign).
fn same(a: Option<SplitBin>, b: Option<SplitBin>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.bin == b.bin
                && a.missing_left == b.missing_left
                && a.children_gain.to_bits() == b.children_gain.to_bits()
                && a.left[0].to_bits() == b.left[0].to_bits()
                && a.left[1].to_bits() == b.left[1].to_bits()
        }
        _ => false,
    }
}

/// A histogram of `len` entries (the last the missing bin) of one of several kinds.
fn histogram(len: usize, kind: usize, rng: &mut Rng) -> Vec<[f64; 2]> {
    let mut h: Vec<[f64; 2]> = (0..len)
        .map(|_| match kind {
            // Ordinary: gradients of both signs, positive hessians, some empty bins.
            0 => {
                if rng.below(5) == 0 {
                    [0.0, 0.0]
                } else {
                    [rng.normal() * 10.0, rng.uniform() * 5.0]
                }
            }
            // Ties: a few repeated entries, so many splits gain the same.
            1 => [f64::from(rng.below(3) as u8) - 1.0, 1.0],
            // Zero hessians (the L2-free denominator is 0) and negative ones.
            2 => [rng.normal(), f64::from(rng.below(3) as u8) - 1.0],
            // Huge and tiny magnitudes.
            _ => [rng.normal() * 1e150, rng.uniform() * 1e-150],
        })
        .collect();
    if len > 0 && rng.below(3) == 0 {
        let last = len - 1;
        h[last] = [0.0, 0.0];
    }
    h
}

fn limits(hist: &[[f64; 2]], rng: &mut Rng) -> SplitLimits {
    let sum_gradient: f64 = hist.iter().map(|e| e[0]).sum();
    let sum_hessian: f64 = hist.iter().map(|e| e[1]).sum();
    let rows = 1 + rng.below(10_000);
    let min_rows = rng.below(30);
    SplitLimits {
        sum_gradient,
        sum_hessian,
        lambda_l1: [0.0, 0.0, 0.5, 3.0][rng.below(4)],
        lambda_l2: [0.0, 1.0, 1e-3][rng.below(3)],
        min_child_hessian: [0.0, 1e-3, 2.0][rng.below(3)],
        rows_per_hessian: rows as f64 / sum_hessian,
        min_row_estimate: min_rows as f64,
        end_row_estimate: (rows.saturating_sub(min_rows) + 1) as f64,
    }
}

#[test]
fn every_isa_equals_the_sequential_scan_bit_for_bit() {
    let mut rng = Rng::new(17);
    let mut found = 0;
    let mut cases = 0;
    let lengths = [0, 1, 2, 3, 4, 9, 10, 17, 64, 65, 200, 255, 256, 257];
    for &len in &lengths {
        for kind in 0..4 {
            for _ in 0..40 {
                let hist = histogram(len, kind, &mut rng);
                let s = limits(&hist, &mut rng);
                let parent = s.sum_gradient * s.sum_gradient / (s.sum_hessian + s.lambda_l2);
                for bar in [f64::NEG_INFINITY, parent, parent + 1.0, f64::INFINITY] {
                    let want = reference(&hist, &s, bar);
                    found += usize::from(want.is_some());
                    if let Some(w) = want {
                        let [lg, lh] = w.left;
                        let (rg, rh) = (s.sum_gradient - lg, s.sum_hessian - lh);
                        let (l1, l2) = (s.lambda_l1, s.lambda_l2);
                        let sum = node_gain(lg, lh, l1, l2) + node_gain(rg, rh, l1, l2);
                        assert_eq!(sum.to_bits(), w.children_gain.to_bits());
                    }
                    for isa in Isa::available() {
                        let got = best_split_bin_with(isa, &hist, &s, bar);
                        assert!(
                            same(got, want),
                            "{isa} len {len} kind {kind} bar {bar}: {got:?} vs {want:?}"
                        );
                        cases += 1;
                    }
                }
            }
        }
    }
    // The cases must exercise found splits, not only refusals.
    assert!(found > 1000, "{found} splits found in {cases} cases");
}

#[test]
fn nan_gains_are_skipped_as_the_sequential_scan_skips_them() {
    let mut rng = Rng::new(5);
    for len in [5, 12, 40, 257] {
        for _ in 0..50 {
            let mut hist = histogram(len, 0, &mut rng);
            let at = rng.below(len - 1);
            hist[at][rng.below(2)] = f64::NAN;
            let s = limits(&hist, &mut rng);
            let want = reference(&hist, &s, f64::NEG_INFINITY);
            for isa in Isa::available() {
                let got = best_split_bin_with(isa, &hist, &s, f64::NEG_INFINITY);
                assert!(same(got, want), "{isa} len {len}: {got:?} vs {want:?}");
            }
        }
    }
}

#[test]
fn ties_keep_the_first_split_in_scan_order() {
    // Symmetric gradients: the split after bin 0 and the one before the last value bin gain
    // the same; both ways of the missing bin too.
    let hist = [[-1.0, 1.0], [0.0, 1.0], [1.0, 1.0], [0.0, 1.0]];
    let s = SplitLimits {
        sum_gradient: 0.0,
        sum_hessian: 4.0,
        lambda_l1: 0.0,
        lambda_l2: 0.0,
        min_child_hessian: 0.0,
        rows_per_hessian: 1.0,
        min_row_estimate: 1.0,
        end_row_estimate: 4.0,
    };
    for isa in Isa::available() {
        let got = best_split_bin_with(isa, &hist, &s, 0.0).expect("a split");
        assert_eq!((got.bin, got.missing_left), (0, false), "{isa}");
        assert!(same(Some(got), reference(&hist, &s, 0.0)));
    }
}

#[test]
#[should_panic(expected = "at most 257")]
fn a_histogram_longer_than_the_scan_takes_is_refused() {
    let hist = vec![[0.0, 1.0]; SPLIT_SCAN_MAX_ENTRIES + 1];
    let s = limits(&hist, &mut Rng::new(1));
    let _ = best_split_bin_with(Isa::Scalar, &hist, &s, 0.0);
}
