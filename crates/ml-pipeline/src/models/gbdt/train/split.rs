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

use simd_kernels::{best_split_bin_with, node_gain, Isa, SplitLimits};

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

    /// How much a leaf with gradient sum `g` and hessian sum `h` lowers the loss (times 2):
    /// the rule the kernels layer's split scan applies to each child.
    pub fn gain(&self, g: f64, h: f64) -> f64 {
        node_gain(g, h, self.lambda_l1, self.lambda_l2)
    }

    /// [`Rules::gain`] of a leaf's sums, for the exhaustive reference of the tests.
    #[cfg(test)]
    pub fn leaf_gain(&self, s: Sums) -> f64 {
        self.gain(s.g, s.h)
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
/// (value bins, then the missing bin), or `None` when no allowed split gains enough. The
/// scan itself is the kernels layer's (`simd_kernels::best_split_bin`, compiled per ISA).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // rounded row estimates
#[allow(clippy::cast_precision_loss)] // row counts are far below 2^53
pub(super) fn best_split(
    hist: &[[f64; 2]],
    feature: usize,
    total: Sums,
    rules: &Rules,
    isa: Isa,
) -> Option<Candidate> {
    if hist.len() < 3 || !rules.splittable(total) {
        return None;
    }
    let min_rows = rules.min_data_in_leaf.max(1);
    let rows_per_hessian = total.n as f64 / total.h;
    // The row-count tests of both children as float tests on `y = lh * rows_per_hessian +
    // 0.5` (LightGBM's estimate before truncation, `nl = min(trunc(y), n)`): `nl >= min_rows`
    // exactly when `y >= min_rows`, and `n - nl >= min_rows` exactly when `trunc(y) <= n -
    // min_rows`, that is `y < n - min_rows + 1` (`splittable` keeps `n >= 2 min_rows`; the
    // integers are far below 2^53, so exact as f64). A NaN `y` fails both.
    let limits = SplitLimits {
        sum_gradient: total.g,
        sum_hessian: total.h,
        lambda_l1: rules.lambda_l1,
        lambda_l2: rules.lambda_l2,
        min_child_hessian: rules.min_sum_hessian_in_leaf,
        rows_per_hessian,
        min_row_estimate: min_rows as f64,
        end_row_estimate: (total.n - min_rows + 1) as f64,
    };
    let parent = rules.gain(total.g, total.h);
    let found = best_split_bin_with(isa, hist, &limits, parent + rules.min_gain_to_split)?;
    let [lg, lh] = found.left;
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
    let has_missing = hist[hist.len() - 1] != [0.0, 0.0];
    Some(Candidate {
        gain: found.children_gain - parent,
        feature,
        bin: found.bin as u8,
        default_left: if has_missing {
            found.missing_left
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
            let got = best_split(&hist, 0, total, &r, Isa::detect());
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
        assert!(best_split(&hist, 0, total, &r, Isa::detect()).is_some());
        r.min_data_in_leaf = 3;
        assert!(best_split(&hist, 0, total, &r, Isa::detect()).is_none());
        r.min_data_in_leaf = 1;
        r.min_gain_to_split = 100.0;
        assert!(best_split(&hist, 0, total, &r, Isa::detect()).is_none());
        r.min_gain_to_split = 0.0;
        r.min_sum_hessian_in_leaf = 2.5;
        assert!(best_split(&hist, 0, total, &r, Isa::detect()).is_none());
    }
}
