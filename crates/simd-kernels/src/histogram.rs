//! Histograms of (gradient, hessian) pairs per bin of a u8-binned feature column: the inner
//! loop of histogram gradient boosting.
//!
//! A histogram is a slice of `[gradient_sum, hessian_sum]` float64 entries, one per bin.
//! Kernels *add* into it, so histograms of disjoint row sets merge by addition (across
//! threads or machines) and a caller may accumulate several calls into one.

use crate::dispatch::dispatch;
use crate::isa::Isa;

/// Adds `gh[i]` (gradient, hessian of row `i`, float32) into `hist[bins[i]]`, for every row
/// `i` of the column.
///
/// Numerics: rows are summed in float64 in four interleaved partial histograms (row `i` into
/// partial `i % 4` from 1024 rows on), combined in a fixed order: the result is bit-identical
/// on every ISA and from run to run; it may differ from a one-accumulator loop by rounding
/// (at most `n * eps * sum |g|` per bin).
///
/// # Panics
/// If `bins.len() != gh.len()` (the message names both), or if a row with a non-zero pair
/// sits in a bin at or above `hist.len()`.
#[inline]
#[track_caller]
pub fn histogram_gh(bins: &[u8], gh: &[[f32; 2]], hist: &mut [[f64; 2]]) {
    histogram_gh_with(Isa::detect(), bins, gh, hist)
}

/// [`histogram_gh`] on one given ISA.
///
/// # Panics
/// As [`histogram_gh`]; also if the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn histogram_gh_with(isa: Isa, bins: &[u8], gh: &[[f32; 2]], hist: &mut [[f64; 2]]) {
    crate::check_len("histogram_gh", bins.len(), gh.len());
    dispatch!(isa, histogram::gh_all(bins, gh, hist))
}

/// The histograms of several columns over the same rows, in one pass over the rows per four
/// columns: adds `gh[k]` into `hists[c][cols[c][r_k]]` for each column `c` and each `k`, where
/// `r_k` is `rows[k]`, or `k` itself when `rows` is `None` (every row of the columns, in
/// order). A tree node's histogram over many features reads each row's index and pair once
/// per four features instead of once per feature.
///
/// Numerics: each entry sums its rows in order with one float64 accumulator, so a zeroed
/// histogram ends bit-identical to the textbook loop's, on every ISA (it may differ by
/// rounding from [`histogram_gh_rows`], whose partial histograms sum in another order). The
/// kernel adds into what the histograms hold; on a non-zero start the sum of the rows is
/// added once (from 256 rows on) or row by row, so only a zeroed start is bit-exact.
///
/// # Panics
/// If `cols.len() != hists.len()` or `rows.len() != gh.len()`, if a column is shorter than
/// `gh` (without `rows`) or a row index is not below a column's length, or if a row with a
/// non-zero pair sits in a bin at or above its histogram's length.
#[inline]
#[track_caller]
pub fn histogram_gh_cols(
    cols: &[&[u8]],
    rows: Option<&[u32]>,
    gh: &[[f32; 2]],
    hists: &mut [&mut [[f64; 2]]],
) {
    histogram_gh_cols_with(Isa::detect(), cols, rows, gh, hists)
}

/// [`histogram_gh_cols`] on one given ISA.
///
/// # Panics
/// As [`histogram_gh_cols`]; also if the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn histogram_gh_cols_with(
    isa: Isa,
    cols: &[&[u8]],
    rows: Option<&[u32]>,
    gh: &[[f32; 2]],
    hists: &mut [&mut [[f64; 2]]],
) {
    crate::check_len("histogram_gh_cols", cols.len(), hists.len());
    match rows {
        Some(r) => crate::check_len("histogram_gh_cols", r.len(), gh.len()),
        None => {
            for c in cols {
                if c.len() < gh.len() {
                    crate::check_len("histogram_gh_cols", c.len(), gh.len());
                }
            }
        }
    }
    dispatch!(isa, histogram::gh_cols(cols, rows, gh, hists))
}

/// The histograms of some features of a row-major bin matrix over a row list: adds `gh[k]`
/// into `hists[f][bins[rows[k] * width + features[f]]]` for each `k` and `f`. A tree node
/// whose rows lie far apart in a matrix larger than the cache reads one cache line per row
/// here (a row's bins side by side) instead of one per feature and row from columns.
///
/// Numerics: each entry adds its rows' pairs in row order, in float64, into what the
/// histogram holds: on a zeroed histogram the textbook loop's sums bit for bit, and the same
/// sums as [`histogram_gh_cols`] on every ISA.
///
/// # Panics
/// If `width` is 0 while there are rows, if `bins.len()` is not a multiple of `width`, if
/// `rows.len() != gh.len()` or `features.len() != hists.len()`, if a feature is not below
/// `width` or a row not below `bins.len() / width`, or if a row with a non-zero pair sits in
/// a bin at or above its histogram's length.
#[inline]
#[track_caller]
pub fn histogram_gh_row_major(
    bins: &[u8],
    width: usize,
    rows: &[u32],
    gh: &[[f32; 2]],
    features: &[usize],
    hists: &mut [&mut [[f64; 2]]],
) {
    histogram_gh_row_major_with(Isa::detect(), bins, width, rows, gh, features, hists)
}

/// [`histogram_gh_row_major`] on one given ISA.
///
/// # Panics
/// As [`histogram_gh_row_major`]; also if the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn histogram_gh_row_major_with(
    isa: Isa,
    bins: &[u8],
    width: usize,
    rows: &[u32],
    gh: &[[f32; 2]],
    features: &[usize],
    hists: &mut [&mut [[f64; 2]]],
) {
    crate::check_len("histogram_gh_row_major", rows.len(), gh.len());
    crate::check_len("histogram_gh_row_major", features.len(), hists.len());
    if rows.is_empty() {
        return;
    }
    let height = bins.len().checked_div(width).unwrap_or(0);
    let end = rows.iter().fold(0, |m, &r| m.max(r as usize + 1));
    let widest = features.iter().fold(0, |m, &f| m.max(f + 1));
    if width == 0 || !bins.len().is_multiple_of(width) || end > height || widest > width {
        bad_matrix(width, bins.len(), end, widest);
    }
    dispatch!(
        isa,
        histogram::gh_row_major(bins, width, rows, gh, features, hists)
    )
}

#[cold]
#[inline(never)]
#[track_caller]
fn bad_matrix(width: usize, len: usize, rows: usize, features: usize) -> ! {
    panic!(
        "simd_kernels::histogram_gh_row_major: {len} bins of width {width} do not hold {rows} rows of {features} features"
    )
}

/// Adds `gh[k]` into `hist[bins[rows[k]]]` for each `k`: the histogram of a subset of rows
/// (a tree node's), whose pairs the caller has gathered in the order of `rows` (so they are
/// read sequentially, and gathered once for all features).
///
/// Numerics as [`histogram_gh`], with `k` (the position in `rows`) choosing the partial
/// histogram.
///
/// # Panics
/// If `rows.len() != gh.len()` (the message names both), if a row index is not below
/// `bins.len()`, or if a row with a non-zero pair sits in a bin at or above `hist.len()`.
#[inline]
#[track_caller]
pub fn histogram_gh_rows(bins: &[u8], rows: &[u32], gh: &[[f32; 2]], hist: &mut [[f64; 2]]) {
    histogram_gh_rows_with(Isa::detect(), bins, rows, gh, hist)
}

/// [`histogram_gh_rows`] on one given ISA.
///
/// # Panics
/// As [`histogram_gh_rows`]; also if the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn histogram_gh_rows_with(
    isa: Isa,
    bins: &[u8],
    rows: &[u32],
    gh: &[[f32; 2]],
    hist: &mut [[f64; 2]],
) {
    crate::check_len("histogram_gh_rows", rows.len(), gh.len());
    dispatch!(isa, histogram::gh_rows(bins, rows, gh, hist))
}
