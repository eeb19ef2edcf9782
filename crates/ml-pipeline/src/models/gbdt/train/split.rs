//! The best split of a leaf on one feature, from the feature's histogram.
//!
//! LightGBM's rules: a leaf's value is `-T(G) / (H + lambda_l2)` and its gain
//! `T(G)^2 / (H + lambda_l2)`, where `T` soft-thresholds by `lambda_l1`; a split's gain is the
//! children's gains minus the parent's and must exceed `min_gain_to_split`; each child needs
//! `min_data_in_leaf` rows and `min_sum_hessian_in_leaf` hessian. A child's row count is
//! estimated from its hessian as LightGBM does (`H_child * rows / H_leaf`, rounded), since
//! histograms hold no counts.
//!
//! Missing values: a split sends bins `0..=bin` left and the other value bins right; the
//! missing bin goes the way that gains more (tried both ways, missing right first, when the
//! leaf has missing rows). Without missing rows in the leaf, missing values go to the child
//! with more rows.

/// Gradient sum, hessian sum and rows of a set of rows.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Sums {
    pub g: f64,
    pub h: f64,
    pub n: usize,
}

/// The regularization and limits of a split (the hyperparameters of the same names).
#[derive(Clone, Copy, Debug)]
pub(super) struct Rules {
    pub lambda_l1: f64,
    pub lambda_l2: f64,
    pub min_data_in_leaf: usize,
    pub min_sum_hessian_in_leaf: f64,
    pub min_gain_to_split: f64,
}

impl Rules {
    #[inline(always)]
    fn threshold_l1(&self, g: f64) -> f64 {
        g.signum() * (g.abs() - self.lambda_l1).max(0.0)
    }

    /// The value of a leaf with these sums (before the learning rate).
    pub fn leaf_output(&self, s: Sums) -> f64 {
        let denom = s.h + self.lambda_l2;
        if denom > 0.0 {
            -self.threshold_l1(s.g) / denom
        } else {
            0.0
        }
    }

    /// How much a leaf with these sums lowers the loss (times 2): the rule the scan of
    /// [`best_split`] applies inline, kept for the exhaustive reference of the tests.
    #[cfg(test)]
    pub fn leaf_gain(&self, s: Sums) -> f64 {
        let t = self.threshold_l1(s.g);
        let denom = s.h + self.lambda_l2;
        if denom > 0.0 {
            t * t / denom
        } else {
            0.0
        }
    }

    /// Whether a leaf could be split at all: room for two children.
    pub fn splittable(&self, s: Sums) -> bool {
        s.n >= 2 * self.min_data_in_leaf.max(1) && s.h >= 2.0 * self.min_sum_hessian_in_leaf
    }
}

/// A split of a leaf.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Candidate {
    pub gain: f64,
    pub feature: usize,
    /// The last value bin that goes left.
    pub bin: u8,
    pub default_left: bool,
    pub left: Sums,
    pub right: Sums,
}

/// The best split of a leaf with totals `total` on a feature whose histogram is `hist`
/// (value bins, then the missing bin), or `None` when no allowed split gains enough.
pub(super) fn best_split(
    hist: &[[f64; 2]],
    feature: usize,
    total: Sums,
    rules: &Rules,
) -> Option<Candidate> {
    // Without an L1 penalty a leaf's gain is `G^2 / (H + lambda_l2)`, bit for bit what the
    // soft threshold gives (`signum(G) |G| = G`): the scan then skips its branches.
    if rules.lambda_l1 == 0.0 {
        scan::<false>(hist, feature, total, rules)
    } else {
        scan::<true>(hist, feature, total, rules)
    }
}

/// [`best_split`], with the L1 soft threshold or without.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // rounded row estimates
#[allow(clippy::cast_precision_loss)] // row counts are far below 2^53
#[inline(always)]
fn scan<const L1: bool>(
    hist: &[[f64; 2]],
    feature: usize,
    total: Sums,
    rules: &Rules,
) -> Option<Candidate> {
    let value_bins = hist.len().checked_sub(1)?;
    if value_bins < 2 || !rules.splittable(total) {
        return None;
    }
    let gain_of = |g: f64, h: f64| {
        let t = if L1 { rules.threshold_l1(g) } else { g };
        let denom = h + rules.lambda_l2;
        if denom > 0.0 {
            t * t / denom
        } else {
            0.0
        }
    };
    let missing = hist[value_bins];
    let has_missing = missing != [0.0, 0.0];
    let rows_per_hessian = total.n as f64 / total.h;
    let parent = gain_of(total.g, total.h);
    // A split is kept when its gain beats this bar: the parent's gain plus
    // `min_gain_to_split`, then the best split so far.
    let mut bar = parent + rules.min_gain_to_split;
    // `child_ok` of both children, in the loop's terms: rows at least this, hessian at least
    // `min_sum_hessian_in_leaf`.
    let min_rows = rules.min_data_in_leaf.max(1);
    let min_hessian = rules.min_sum_hessian_in_leaf;
    // The row-count tests of both children as float tests on `y = lh * rows_per_hessian +
    // 0.5` (LightGBM's estimate before truncation, `nl = min(trunc(y), n)`): `nl >= min_rows`
    // exactly when `y >= min_rows`, and `n - nl >= min_rows` exactly when `trunc(y) <= n -
    // min_rows`, that is `y < n - min_rows + 1` (`splittable` keeps `n >= 2 min_rows`; the
    // integers are far below 2^53, so exact as f64). A NaN `y` fails both, as the
    // saturating conversion to 0 did. No float-to-integer conversion is left in the loop.
    let y_min = min_rows as f64;
    let y_end = (total.n - min_rows + 1) as f64;
    // Left sums after each bin (the scan's additions, in its order), then every bin's gain
    // in a loop without a carried dependency, which the compiler vectorizes (two divisions
    // per bin dominate the scan); then the first best in bin order, missing right first, as
    // the sequential scan kept it (strictly greater gains only).
    let bins = value_bins - 1;
    // Both ways of the missing bin, when the leaf has missing rows: `passes` 1 or 2, the
    // second pass's sums start from the missing bin's. Their prefix sums are independent
    // chains of additions, so one loop runs them side by side.
    let passes = if has_missing { 2 } else { 1 };
    let mut lgs = [[0.0f64; 256]; 2];
    let mut lhs = [[0.0f64; 256]; 2];
    let (mut g0, mut h0, [mut g1, mut h1]) = (0.0, 0.0, missing);
    let [lg0, lg1] = &mut lgs;
    let [lh0, lh1] = &mut lhs;
    for (k, e) in hist[..bins].iter().enumerate() {
        g0 += e[0];
        h0 += e[1];
        g1 += e[0];
        h1 += e[1];
        (lg0[k], lh0[k], lg1[k], lh1[k]) = (g0, h0, g1, h1);
    }
    let mut gains = [0.0f64; 256];
    let mut best: Option<(usize, bool)> = None;
    for (pass, (lgs, lhs)) in lgs.iter().zip(&lhs).enumerate().take(passes) {
        for ((gain, &lg), &lh) in gains[..bins].iter_mut().zip(lgs).zip(lhs) {
            let y = lh * rows_per_hessian + 0.5;
            let (rg, rh) = (total.g - lg, total.h - lh);
            let ok = y >= y_min && y < y_end && lh >= min_hessian && rh >= min_hessian;
            let g = gain_of(lg, lh) + gain_of(rg, rh);
            *gain = if ok { g } else { f64::NEG_INFINITY };
        }
        for (bin, &gain) in gains[..bins].iter().enumerate() {
            if gain > bar {
                bar = gain;
                best = Some((bin, pass == 1));
            }
        }
    }
    // The winner's sums, recomputed as the scan summed them.
    let (bin, missing_left) = best?;
    let [mut lg, mut lh] = if missing_left { missing } else { [0.0, 0.0] };
    for e in &hist[..=bin] {
        lg += e[0];
        lh += e[1];
    }
    let nl = ((lh * rows_per_hessian + 0.5) as usize).min(total.n);
    let left = Sums {
        g: lg,
        h: lh,
        n: nl,
    };
    let right = Sums {
        g: total.g - lg,
        h: total.h - lh,
        n: total.n - nl,
    };
    #[allow(clippy::cast_possible_truncation)] // bins fit u8 (at most 255 value bins)
    Some(Candidate {
        gain: bar - parent,
        feature,
        bin: bin as u8,
        default_left: if has_missing {
            missing_left
        } else {
            left.n >= right.n
        },
        left,
        right,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use seeded_rng::Rng;

    fn rules() -> Rules {
        Rules {
            lambda_l1: 0.3,
            lambda_l2: 1.0,
            min_data_in_leaf: 3,
            min_sum_hessian_in_leaf: 1e-3,
            min_gain_to_split: 0.0,
        }
    }

    /// Every threshold and missing direction, sums straight from the rows.
    #[test]
    fn best_split_equals_the_exhaustive_search_on_small_data() {
        for seed in 0..200 {
            let mut rng = Rng::new(seed);
            let n = 5 + rng.below(40);
            let value_bins = 2 + rng.below(6);
            // Bin value_bins is the missing bin; unit hessians keep row estimates exact.
            let rows: Vec<(usize, f64)> = (0..n)
                .map(|_| (rng.below(value_bins + 1), rng.normal() + 0.5))
                .collect();
            let mut hist = vec![[0.0, 0.0]; value_bins + 1];
            for &(b, g) in &rows {
                hist[b][0] += g;
                hist[b][1] += 1.0;
            }
            let total = Sums {
                g: hist.iter().map(|e| e[0]).sum(),
                h: n as f64,
                n,
            };
            let r = rules();
            let got = best_split(&hist, 0, total, &r);
            let mut want: Option<(f64, usize, bool)> = None;
            let has_missing = rows.iter().any(|&(b, _)| b == value_bins);
            for missing_left in [false, true] {
                for k in 0..value_bins - 1 {
                    let goes_left = |b: usize| {
                        if b == value_bins {
                            missing_left
                        } else {
                            b <= k
                        }
                    };
                    let sum = |left: bool| {
                        let sel: Vec<f64> = rows
                            .iter()
                            .filter(|&&(b, _)| goes_left(b) == left)
                            .map(|p| p.1)
                            .collect();
                        Sums {
                            g: sel.iter().sum(),
                            h: sel.len() as f64,
                            n: sel.len(),
                        }
                    };
                    let (l, rr) = (sum(true), sum(false));
                    if l.n < 3 || rr.n < 3 {
                        continue;
                    }
                    let gain = r.leaf_gain(l) + r.leaf_gain(rr) - r.leaf_gain(total);
                    if gain > 1e-12 && want.is_none_or(|w| gain > w.0 + 1e-9) {
                        want = Some((gain, k, missing_left));
                    }
                }
            }
            match (got, want) {
                (None, None) => {}
                (Some(c), Some((gain, k, ml))) => {
                    assert!(
                        (c.gain - gain).abs() < 1e-9,
                        "seed {seed}: {} vs {gain}",
                        c.gain
                    );
                    assert_eq!(usize::from(c.bin), k, "seed {seed}");
                    if has_missing {
                        assert_eq!(c.default_left, ml, "seed {seed}");
                    }
                }
                (g, w) => panic!("seed {seed}: got {g:?}, want {w:?}"),
            }
        }
    }

    #[test]
    fn limits_refuse_small_children_and_weak_gains() {
        let hist = [[-5.0, 2.0], [5.0, 2.0], [0.0, 0.0]];
        let total = Sums {
            g: 0.0,
            h: 4.0,
            n: 4,
        };
        let mut r = rules();
        r.min_data_in_leaf = 2;
        assert!(best_split(&hist, 0, total, &r).is_some());
        r.min_data_in_leaf = 3;
        assert!(best_split(&hist, 0, total, &r).is_none());
        r.min_data_in_leaf = 1;
        r.min_gain_to_split = 100.0;
        assert!(best_split(&hist, 0, total, &r).is_none());
        r.min_gain_to_split = 0.0;
        r.min_sum_hessian_in_leaf = 2.5;
        assert!(best_split(&hist, 0, total, &r).is_none());
    }
}
