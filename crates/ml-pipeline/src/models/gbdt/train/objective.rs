//! Losses: each objective's gradient and hessian per row, its starting margin, its metric on
//! a validation set, and its XGBoost name.
//!
//! Formulas are LightGBM's (so hyperparameters such as `min_sum_hessian_in_leaf` mean what
//! they mean there): squared error `g = f - y, h = 1`; binary logistic `g = p - y,
//! h = p (1 - p)`; softmax `g_k = p_k - [y = k], h_k = K / (K - 1) p_k (1 - p_k)`; quantile
//! `g = 1 - alpha` above the label, `-alpha` below, `h = 1`, with leaf values then set to the
//! alpha-quantile of the leaf's residuals. Weights multiply both.

use crate::error::{PipelineError, Result};
use fast_math::Team;

/// What the trees learn to predict.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Objective {
    /// Squared error (LightGBM `regression`, XGBoost `reg:squarederror`).
    Regression,
    /// Binary logistic on labels 0/1 (LightGBM `binary`, XGBoost `binary:logistic`).
    Binary,
    /// Softmax over `n_classes` classes, labels 0..n_classes (LightGBM `multiclass`, XGBoost
    /// `multi:softprob`).
    Multiclass {
        /// Classes (at least 2).
        n_classes: usize,
    },
    /// Pinball loss at quantile `alpha` in (0, 1) (LightGBM `quantile`, XGBoost
    /// `reg:quantileerror`).
    Quantile {
        /// The quantile predicted.
        alpha: f64,
    },
}

impl Objective {
    /// Trees per iteration: one per class for softmax, else one.
    pub fn n_groups(self) -> usize {
        match self {
            Objective::Multiclass { n_classes } => n_classes,
            _ => 1,
        }
    }

    /// XGBoost's name of the objective.
    pub fn xgboost_name(self) -> &'static str {
        match self {
            Objective::Regression => "reg:squarederror",
            Objective::Binary => "binary:logistic",
            Objective::Multiclass { .. } => "multi:softprob",
            Objective::Quantile { .. } => "reg:quantileerror",
        }
    }

    /// The name of the validation metric (LightGBM's default for the objective).
    pub fn metric_name(self) -> &'static str {
        match self {
            Objective::Regression => "l2",
            Objective::Binary => "binary_logloss",
            Objective::Multiclass { .. } => "multi_logloss",
            Objective::Quantile { .. } => "quantile",
        }
    }

    /// Checks labels (finite; 0/1 for binary; integer classes for softmax).
    pub(super) fn check_labels(self, y: &[f64], n_features: usize) -> Result<()> {
        for (row, &value) in y.iter().enumerate() {
            if !value.is_finite() {
                return Err(PipelineError::NonFinite {
                    row,
                    col: n_features,
                    value,
                });
            }
            match self {
                Objective::Binary if value != 0.0 && value != 1.0 => {
                    return Err(PipelineError::BadLabel { row, value })
                }
                #[allow(clippy::cast_precision_loss)] // class counts are small
                Objective::Multiclass { n_classes }
                    if value < 0.0 || value.fract() != 0.0 || value >= n_classes as f64 =>
                {
                    return Err(PipelineError::BadClassLabel {
                        row,
                        value,
                        expected: format!("an integer in 0..{n_classes}"),
                    })
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The margin every row starts from, per group, as float32 (LightGBM's
    /// `boost_from_average`: the weighted mean, the log-odds of the mean label, the log of
    /// each class's share, the weighted alpha-quantile), and the value XGBoost stores as
    /// `base_score` (the probability for binary, else the margin), from which XGBoost
    /// recomputes exactly this margin.
    #[allow(clippy::cast_possible_truncation)] // float32 is the model's precision
    pub(super) fn base_margins(self, y: &[f64], w: &[f64]) -> (Vec<f32>, Vec<f32>) {
        let sum_w: f64 = w.iter().sum();
        let mean = y.iter().zip(w).map(|(y, w)| y * w).sum::<f64>() / sum_w;
        match self {
            Objective::Regression => (vec![mean as f32], vec![mean as f32]),
            Objective::Binary => {
                // A probability strictly inside (0, 1) as float32, so its logit is finite.
                let p = (mean as f32).clamp(1e-6, 1.0 - 1e-6);
                (vec![super::super::objective::logit_f32(p)], vec![p])
            }
            Objective::Multiclass { n_classes } => {
                let mut share = vec![0.0f64; n_classes];
                for (&y, &w) in y.iter().zip(w) {
                    #[allow(clippy::cast_sign_loss)] // labels were checked
                    {
                        share[y as usize] += w;
                    }
                }
                let m: Vec<f32> = share
                    .iter()
                    .map(|s| (s / sum_w).max(1e-15).ln() as f32)
                    .collect();
                (m.clone(), m)
            }
            Objective::Quantile { alpha } => {
                let rows: Vec<usize> = (0..y.len()).collect();
                let q = weighted_quantile(&rows, |i| y[i], w, alpha) as f32;
                (vec![q], vec![q])
            }
        }
    }

    /// Gradients and hessians of every group for every row (`gh[g][i]`), times the row's
    /// weight, from the margins `scores` (group-major: `scores[g * n + i]`). Rows are shared
    /// among the team's threads in fixed blocks; each row's pairs are computed alone, so they do
    /// not depend on the threads.
    pub(super) fn gradients(
        self,
        y: &[f64],
        w: &[f64],
        scores: &[f32],
        gh: &mut [Vec<[f32; 2]>],
        team: &Team,
    ) {
        let n = y.len();
        let blocks = n.div_ceil(ROW_BLOCK);
        let mut per_group: Vec<_> = gh
            .iter_mut()
            .map(|v| v[..n].chunks_mut(ROW_BLOCK))
            .collect();
        let jobs: Vec<(usize, Vec<&mut [[f32; 2]]>)> = (0..blocks)
            .map(|b| {
                let parts = per_group
                    .iter_mut()
                    .map(|c| c.next().expect("a block per group"))
                    .collect();
                (b * ROW_BLOCK, parts)
            })
            .collect();
        team.for_each(jobs, |(lo, mut parts)| {
            self.gradients_block(y, w, scores, lo, &mut parts);
        });
    }

    /// [`gradients`](Self::gradients) of the rows `lo..lo + parts[0].len()`.
    #[allow(clippy::cast_possible_truncation)] // pairs are float32, as LightGBM's
    fn gradients_block(
        self,
        y: &[f64],
        w: &[f64],
        scores: &[f32],
        lo: usize,
        parts: &mut [&mut [[f32; 2]]],
    ) {
        let n = y.len();
        let rows = lo..lo + parts[0].len();
        let pair = |(g, h): (f64, f64), i: usize| [(g * w[i]) as f32, (h * w[i]) as f32];
        match self {
            Objective::Regression => {
                for (o, i) in parts[0].iter_mut().zip(rows) {
                    *o = pair(squared(f64::from(scores[i]), y[i]), i);
                }
            }
            Objective::Binary => {
                for (o, i) in parts[0].iter_mut().zip(rows) {
                    *o = pair(logistic(f64::from(scores[i]), y[i]), i);
                }
            }
            Objective::Multiclass { n_classes } => {
                let mut p = vec![0.0; n_classes];
                for (r, i) in rows.enumerate() {
                    for (k, v) in p.iter_mut().enumerate() {
                        *v = f64::from(scores[k * n + i]);
                    }
                    softmax_in_place(&mut p);
                    for (group, part) in parts.iter_mut().enumerate() {
                        part[r] = pair(softmax_pair(&p, y[i], group), i);
                    }
                }
            }
            Objective::Quantile { alpha } => {
                for (o, i) in parts[0].iter_mut().zip(rows) {
                    *o = pair(pinball(f64::from(scores[i]), y[i], alpha), i);
                }
            }
        }
    }

    /// The weighted mean loss on margins `scores` (group-major): l2, log-loss, multi-class
    /// log-loss, pinball loss. Lower is better for all of them. Summed in fixed blocks of
    /// rows, shared among the team's threads, then block by block in order: the same value on
    /// any thread count.
    pub(super) fn metric(self, y: &[f64], w: &[f64], scores: &[f32], team: &Team) -> f64 {
        let n = y.len();
        let sum_w: f64 = w.iter().sum();
        let blocks = n.div_ceil(ROW_BLOCK);
        let mut sums = vec![0.0; blocks];
        let jobs: Vec<_> = sums.iter_mut().enumerate().collect();
        team.for_each(jobs, |(b, out)| {
            let mut m = vec![0.0; self.n_groups()];
            let mut total = 0.0;
            for i in b * ROW_BLOCK..((b + 1) * ROW_BLOCK).min(n) {
                let f = f64::from(scores[i]);
                let loss = match self {
                    Objective::Regression => (f - y[i]) * (f - y[i]),
                    Objective::Binary => logistic_loss(f, y[i]),
                    Objective::Multiclass { .. } => {
                        for (k, v) in m.iter_mut().enumerate() {
                            *v = f64::from(scores[k * n + i]);
                        }
                        softmax_loss(&m, y[i])
                    }
                    Objective::Quantile { alpha } => pinball_loss(f, y[i], alpha),
                };
                total += w[i] * loss;
            }
            *out = total;
        });
        sums.iter().sum::<f64>() / sum_w
    }
}

/// Rows per block of the per-row passes (gradients, metrics): a fixed size, so that sums
/// over blocks do not depend on the thread count; large enough that a block's work (tens
/// of microseconds at the least) outweighs handing it to another thread.
const ROW_BLOCK: usize = 16_384;

/// Squared error `(f - y)^2 / 2`: gradient and hessian.
pub(super) fn squared(f: f64, y: f64) -> (f64, f64) {
    (f - y, 1.0)
}

fn sigmoid(f: f64) -> f64 {
    1.0 / (1.0 + (-f).exp())
}

/// `log(1 + e^f) - y f`, without overflow.
pub(super) fn logistic_loss(f: f64, y: f64) -> f64 {
    f.max(0.0) + (-f.abs()).exp().ln_1p() - y * f
}

pub(super) fn logistic(f: f64, y: f64) -> (f64, f64) {
    let p = sigmoid(f);
    (p - y, p * (1.0 - p))
}

/// Probabilities of the margins, in place.
fn softmax_in_place(m: &mut [f64]) {
    let max = m.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for v in m.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in m.iter_mut() {
        *v /= sum;
    }
}

/// `-log p_y` of the softmax of `m`.
pub(super) fn softmax_loss(m: &[f64], y: f64) -> f64 {
    let max = m.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lse = max + m.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked labels
    let k = y as usize;
    lse - m[k]
}

/// Gradient of [`softmax_loss`] in margin `group`, and LightGBM's hessian: the diagonal
/// times `K / (K - 1)`.
#[cfg(test)]
pub(super) fn softmax(m: &[f64], y: f64, group: usize) -> (f64, f64) {
    let mut p = m.to_vec();
    softmax_in_place(&mut p);
    softmax_pair(&p, y, group)
}

/// [`softmax`] from the probabilities `p` of the margins.
fn softmax_pair(p: &[f64], y: f64, group: usize) -> (f64, f64) {
    let pk = p[group];
    #[allow(clippy::cast_precision_loss)]
    let factor = p.len() as f64 / (p.len() as f64 - 1.0);
    #[allow(clippy::cast_precision_loss)]
    let target = if (y - group as f64).abs() < 0.5 {
        1.0
    } else {
        0.0
    };
    (pk - target, factor * pk * (1.0 - pk))
}

pub(super) fn pinball_loss(f: f64, y: f64, alpha: f64) -> f64 {
    let d = y - f;
    if d >= 0.0 {
        alpha * d
    } else {
        (alpha - 1.0) * d
    }
}

/// The pinball loss's gradient (its subgradient at the label: `-alpha`) and LightGBM's unit
/// hessian.
pub(super) fn pinball(f: f64, y: f64, alpha: f64) -> (f64, f64) {
    (if f > y { 1.0 - alpha } else { -alpha }, 1.0)
}

/// The weighted alpha-quantile of `value(i)` over `rows`: the smallest value whose
/// cumulative weight (in sorted order) reaches `alpha` of the total; 0 without weight.
pub(super) fn weighted_quantile(
    rows: &[usize],
    value: impl Fn(usize) -> f64,
    w: &[f64],
    alpha: f64,
) -> f64 {
    if !rows.is_empty() && rows.iter().all(|&i| w[i] == 1.0) {
        // Unit weights: the value at sorted place `ceil(alpha n) - 1`, the first whose count
        // reaches `alpha n`, found by selection instead of a sort (the same value).
        let mut v: Vec<f64> = rows.iter().map(|&i| value(i)).collect();
        #[allow(clippy::cast_precision_loss)] // leaf sizes
        let reach = alpha * v.len() as f64;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // in 0..=n
        let place = (reach.ceil() as usize).saturating_sub(1).min(v.len() - 1);
        let (_, x, _) = v.select_nth_unstable_by(place, f64::total_cmp);
        return *x;
    }
    let mut v: Vec<(f64, f64)> = rows.iter().map(|&i| (value(i), w[i])).collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = v.iter().map(|p| p.1).sum();
    let mut acc = 0.0;
    for &(x, wi) in &v {
        acc += wi;
        if acc >= alpha * total && wi > 0.0 {
            return x;
        }
    }
    v.last().map_or(0.0, |p| p.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central differences of `loss` at `f`: first and second derivative.
    fn fd(loss: impl Fn(f64) -> f64, f: f64) -> (f64, f64) {
        let e = 1e-4;
        let (a, b, c) = (loss(f - e), loss(f), loss(f + e));
        ((c - a) / (2.0 * e), (c - 2.0 * b + a) / (e * e))
    }

    #[test]
    fn gradients_and_hessians_match_finite_differences() {
        for &f in &[-3.0, -0.4, 0.0, 0.7, 2.5] {
            for &y in &[0.0, 1.0] {
                let (g, h) = squared(f, y);
                let (fg, fh) = fd(|f| 0.5 * (f - y) * (f - y), f);
                assert!(
                    (g - fg).abs() < 1e-6 && (h - fh).abs() < 1e-4,
                    "squared f={f} y={y}"
                );
                let (g, h) = logistic(f, y);
                let (fg, fh) = fd(|f| logistic_loss(f, y), f);
                assert!(
                    (g - fg).abs() < 1e-6 && (h - fh).abs() < 1e-4,
                    "logistic f={f} y={y}"
                );
            }
            for &alpha in &[0.1, 0.5, 0.9] {
                // Away from the kink, the pinball gradient is the loss's derivative.
                for y in [f - 1.0, f + 1.0] {
                    let (g, _) = pinball(f, y, alpha);
                    let (fg, _) = fd(|f| pinball_loss(f, y, alpha), f);
                    assert!((g - fg).abs() < 1e-6, "pinball f={f} y={y} alpha={alpha}");
                }
            }
        }
        let m = [0.3, -1.2, 2.0, 0.0];
        for y in 0..4 {
            for k in 0..4 {
                let (g, h) = softmax(&m, y as f64, k);
                let (fg, fh) = fd(
                    |v| {
                        let mut mm = m;
                        mm[k] = v;
                        softmax_loss(&mm, y as f64)
                    },
                    m[k],
                );
                assert!((g - fg).abs() < 1e-6, "softmax y={y} k={k}");
                assert!(
                    (h - 4.0 / 3.0 * fh).abs() < 1e-4,
                    "softmax hessian y={y} k={k}"
                );
            }
        }
    }

    #[test]
    fn weighted_quantile_takes_the_first_value_reaching_alpha() {
        let v = [5.0, 1.0, 3.0, 2.0];
        let rows = [0, 1, 2, 3];
        let w = [1.0; 4];
        assert_eq!(weighted_quantile(&rows, |i| v[i], &w, 0.5), 2.0);
        assert_eq!(weighted_quantile(&rows, |i| v[i], &w, 0.9), 5.0);
        assert_eq!(
            weighted_quantile(&rows, |i| v[i], &[0.0, 0.0, 1.0, 0.0], 0.1),
            3.0
        );
    }

    #[test]
    fn unit_weights_select_what_the_weighted_sort_finds() {
        // Weights of 2 take the sorting path and reach alpha at the same places (doubling
        // is exact), so both paths must agree, ties and signed zeros included.
        for n in [1usize, 2, 3, 7, 10, 64, 101] {
            let v: Vec<f64> = (0..n)
                .map(|i| match i % 5 {
                    0 => 0.0,
                    1 => -0.0,
                    _ => ((i * 37) % 11) as f64 - 5.0,
                })
                .collect();
            let rows: Vec<usize> = (0..n).rev().collect();
            let (ones, twos) = (vec![1.0; n], vec![2.0; n]);
            for alpha in [0.001, 0.1, 0.25, 0.5, 0.8, 0.9, 0.999] {
                let a = weighted_quantile(&rows, |i| v[i], &ones, alpha);
                let b = weighted_quantile(&rows, |i| v[i], &twos, alpha);
                assert_eq!(a.to_bits(), b.to_bits(), "n {n}, alpha {alpha}");
            }
        }
    }
}
