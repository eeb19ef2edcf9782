//! The best threshold of one feature for a split of a tree node, from the feature's
//! gradient/hessian histogram: the second inner loop of histogram gradient boosting, after
//! the histograms themselves (one scan per feature and node, tens of thousands per tree
//! ensemble).
//!
//! LightGBM's rules. A node's value is `-T(G) / (H + lambda_l2)` and its gain
//! `T(G)^2 / (H + lambda_l2)` (0 when `H + lambda_l2 <= 0`), where `T` soft-thresholds `G` by
//! `lambda_l1`. A split sends value bins `0..=bin` left and the others right; the missing
//! bin (the histogram's last entry) goes right, and when the node has missing rows (that
//! entry is not zero) also left, tried second. A split is allowed when both children have at
//! least [`SplitLimits::min_child_hessian`] and the left child's estimated row count is in
//! range (see [`SplitLimits`]); the best is the allowed split of largest children's gain
//! above a bar, the first in scan order on ties.
//!
//! Numerics: prefix sums in bin order (the missing bin first on the second way), every gain
//! computed alone with correctly rounded operations, so results are bit-identical on every
//! ISA and equal to the sequential scan a textbook writes.

use crate::dispatch::dispatch;
use crate::isa::Isa;

pub use crate::generic::split_scan::{SplitBin, SplitLimits, SPLIT_SCAN_MAX_ENTRIES};

/// The gain of a node with gradient sum `g` and hessian sum `h`: `T(g)^2 / (h + lambda_l2)`,
/// 0 when the denominator is not positive, `T` the soft threshold by `lambda_l1` (the rule
/// [`best_split_bin`] applies to each child; a caller's bar is usually the node's own gain).
#[inline]
pub fn node_gain(g: f64, h: f64, lambda_l1: f64, lambda_l2: f64) -> f64 {
    crate::generic::split_scan::gain::<true>(g, h, lambda_l1, lambda_l2)
}

/// The best threshold of a feature whose node histogram is `hist` (value bins, then the
/// missing bin): the allowed split of largest children's gain strictly above `bar`, the
/// first in scan order (bins ascending with missing right, then with missing left) on ties;
/// `None` when none beats `bar` or there are fewer than two value bins. Value bin
/// `hist.len() - 2` is never a threshold (it would send every value left).
///
/// # Panics
/// If `hist` has more than [`SPLIT_SCAN_MAX_ENTRIES`] entries.
#[inline]
#[track_caller]
pub fn best_split_bin(hist: &[[f64; 2]], limits: &SplitLimits, bar: f64) -> Option<SplitBin> {
    best_split_bin_with(Isa::detect(), hist, limits, bar)
}

/// [`best_split_bin`] on one given ISA.
///
/// # Panics
/// As [`best_split_bin`]; also if the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn best_split_bin_with(
    isa: Isa,
    hist: &[[f64; 2]],
    limits: &SplitLimits,
    bar: f64,
) -> Option<SplitBin> {
    if hist.len() > SPLIT_SCAN_MAX_ENTRIES {
        too_long(hist.len());
    }
    dispatch!(isa, split_scan::best_bin(hist, limits, bar))
}

#[cold]
#[inline(never)]
#[track_caller]
fn too_long(len: usize) -> ! {
    panic!(
        "simd_kernels::best_split_bin: the histogram has {len} entries, at most {SPLIT_SCAN_MAX_ENTRIES} are allowed"
    )
}
