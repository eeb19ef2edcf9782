//! The split scan of `crate::split_scan`, written once.
//!
//! Three loops per way of the missing bin. The prefix sums are chains of dependent additions
//! (both ways side by side, so two chains overlap). The gains have no dependency between
//! bins: each is two divisions and a few comparisons, in lanes of [`LANES`] the compiler maps
//! onto the ISA's registers (4 xmm, 2 ymm or 1 zmm), and the running maximum is kept per
//! lane, so the loop carries no scalar dependency. The first bin that reaches the maximum is
//! then found by a plain search: the sequential scan's answer (its strictly-greater updates
//! end on the first occurrence of the maximum).

/// A node's totals and the limits its children must respect.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SplitLimits {
    /// Gradient sum of the node.
    pub sum_gradient: f64,
    /// Hessian sum of the node.
    pub sum_hessian: f64,
    /// L1 penalty on a child's gradient sum (soft threshold).
    pub lambda_l1: f64,
    /// L2 penalty added to a child's hessian sum.
    pub lambda_l2: f64,
    /// The least hessian sum of each child.
    pub min_child_hessian: f64,
    /// Rows per unit of hessian in the node: the left child's row estimate is
    /// `y = left_hessian * rows_per_hessian + 0.5` (LightGBM's, before truncation).
    pub rows_per_hessian: f64,
    /// The least row estimate `y` the left child may have.
    pub min_row_estimate: f64,
    /// The row estimate `y` the left child must stay below (so the right child keeps enough
    /// rows).
    pub end_row_estimate: f64,
}

/// The best threshold [`best_split_bin`](crate::best_split_bin) found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SplitBin {
    /// The last value bin that goes left.
    pub bin: usize,
    /// The missing bin goes left.
    pub missing_left: bool,
    /// Left child's gain plus right child's (the node's own gain not subtracted).
    pub children_gain: f64,
    /// The left child's gradient and hessian sums, as the scan summed them.
    pub left: [f64; 2],
}

/// Histogram entries [`best_split_bin`](crate::best_split_bin) takes at most: 256 value bins and the missing bin.
pub const SPLIT_SCAN_MAX_ENTRIES: usize = 257;

/// Lanes of the gain loop: a multiple of every ISA's f64 register width.
const LANES: usize = 8;

/// A node's gain with sums `g`, `h`: `T(g)^2 / (h + lambda_l2)`, 0 when the denominator is
/// not positive; `T` the soft threshold by `lambda_l1` when `L1`, else the identity (what the
/// threshold gives, bit for bit, when `lambda_l1` is 0).
#[inline(always)]
pub(crate) fn gain<const L1: bool>(g: f64, h: f64, lambda_l1: f64, lambda_l2: f64) -> f64 {
    let t = if L1 {
        g.signum() * (g.abs() - lambda_l1).max(0.0)
    } else {
        g
    };
    let denom = h + lambda_l2;
    if denom > 0.0 {
        t * t / denom
    } else {
        0.0
    }
}

/// The children's gain of the split after bin `k` with left sums `lg`, `lh`, or minus
/// infinity when the split is not allowed.
#[inline(always)]
fn split_gain<const L1: bool>(lg: f64, lh: f64, s: &SplitLimits) -> f64 {
    let y = lh * s.rows_per_hessian + 0.5;
    let (rg, rh) = (s.sum_gradient - lg, s.sum_hessian - lh);
    let ok = y >= s.min_row_estimate
        && y < s.end_row_estimate
        && lh >= s.min_child_hessian
        && rh >= s.min_child_hessian;
    let g =
        gain::<L1>(lg, lh, s.lambda_l1, s.lambda_l2) + gain::<L1>(rg, rh, s.lambda_l1, s.lambda_l2);
    if ok {
        g
    } else {
        f64::NEG_INFINITY
    }
}

/// Every split's gain into `gains` (as many as `lg`), and the largest of them that exceeds
/// minus infinity (minus infinity when none does; NaN gains never count).
#[inline(always)]
fn gains_and_max<const L1: bool>(
    lg: &[f64],
    lh: &[f64],
    gains: &mut [f64],
    s: &SplitLimits,
) -> f64 {
    let mut lane_max = [f64::NEG_INFINITY; LANES];
    let mut out = gains.chunks_exact_mut(LANES);
    let mut g = lg.chunks_exact(LANES);
    let mut h = lh.chunks_exact(LANES);
    for ((o, g), h) in out.by_ref().zip(g.by_ref()).zip(h.by_ref()) {
        for l in 0..LANES {
            let v = split_gain::<L1>(g[l], h[l], s);
            o[l] = v;
            lane_max[l] = if v > lane_max[l] { v } else { lane_max[l] };
        }
    }
    let tail = out
        .into_remainder()
        .iter_mut()
        .zip(g.remainder())
        .zip(h.remainder());
    for (l, ((o, &g), &h)) in tail.enumerate() {
        let v = split_gain::<L1>(g, h, s);
        *o = v;
        lane_max[l] = if v > lane_max[l] { v } else { lane_max[l] };
    }
    lane_max
        .iter()
        .fold(f64::NEG_INFINITY, |m, &v| if v > m { v } else { m })
}

/// See [`crate::best_split_bin`]; `hist` holds at most
/// [`SPLIT_SCAN_MAX_ENTRIES`] entries (checked by the caller).
#[inline(always)]
pub(crate) fn best_bin<const L1: bool>(
    hist: &[[f64; 2]],
    s: &SplitLimits,
    mut bar: f64,
) -> Option<SplitBin> {
    const MAX: usize = SPLIT_SCAN_MAX_ENTRIES;
    let value_bins = hist.len().checked_sub(1)?;
    if value_bins < 2 {
        return None;
    }
    let bins = value_bins - 1;
    let missing = hist[value_bins];
    let ways = if missing == [0.0, 0.0] { 1 } else { 2 };
    let mut lgs = [[0.0f64; MAX]; 2];
    let mut lhs = [[0.0f64; MAX]; 2];
    let (mut g0, mut h0, [mut g1, mut h1]) = (0.0, 0.0, missing);
    {
        let [lg0, lg1] = &mut lgs;
        let [lh0, lh1] = &mut lhs;
        for (k, e) in hist[..bins].iter().enumerate() {
            g0 += e[0];
            h0 += e[1];
            g1 += e[0];
            h1 += e[1];
            (lg0[k], lh0[k], lg1[k], lh1[k]) = (g0, h0, g1, h1);
        }
    }
    let mut gains = [0.0f64; MAX];
    let mut best = None;
    for way in 0..ways {
        let (lg, lh) = (&lgs[way][..bins], &lhs[way][..bins]);
        let m = gains_and_max::<L1>(lg, lh, &mut gains[..bins], s);
        // A maximum that beats the bar is one of the gains (not NaN): the search finds it.
        let first = || gains[..bins].iter().position(|&v| v == m);
        if let Some(k) = (m > bar).then(first).flatten() {
            bar = m;
            best = Some(SplitBin {
                bin: k,
                missing_left: way == 1,
                children_gain: m,
                left: [lg[k], lh[k]],
            });
        }
    }
    best
}

/// Instantiates the split scan for one ISA as a safe function carrying its
/// `#[target_feature]` attribute (none for scalar), with and without the L1 threshold.
macro_rules! split_scan_entry_points {
    ($(#[$attr:meta])*) => {
        $(#[$attr])*
        pub(crate) fn best_bin(
            hist: &[[f64; 2]],
            limits: &$crate::SplitLimits,
            bar: f64,
        ) -> Option<$crate::SplitBin> {
            if limits.lambda_l1 == 0.0 {
                $crate::generic::split_scan::best_bin::<false>(hist, limits, bar)
            } else {
                $crate::generic::split_scan::best_bin::<true>(hist, limits, bar)
            }
        }
    };
}
pub(crate) use split_scan_entry_points;
