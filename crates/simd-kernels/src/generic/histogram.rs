//! Gradient/hessian histograms over a u8-binned feature column, written once.
//!
//! A histogram adds each row's `(gradient, hessian)` pair (float32) into the float64 entry of
//! the row's bin. The work is a scatter: a load of the bin, a load of the pair, and a
//! read-modify-write of a 16-byte entry that depends on the previous write to the same bin.
//! Rows that fall in one bin (a skewed feature, a small leaf) chain those read-modify-writes
//! through store-to-load forwarding (about 5 cycles each). Rows are therefore spread over
//! [`SUBS`] interleaved sub-histograms (row `k` of the list into sub-histogram `k % SUBS`),
//! so four consecutive rows never wait on one another, and the sub-histograms are summed at
//! the end in a fixed order.
//!
//! Why no explicit SIMD: per row there is one 16-byte add (the pair, converted to float64),
//! which the compiler already emits as one `cvtps2pd` + `addpd` on every x86-64 ISA; wider
//! registers would need a gather of bins and a conflict-free scatter (AVX-512CD), and rows
//! that share a bin in one vector are exactly the common case here. The per-ISA entry points
//! still exist (the kernel is compiled with each ISA's features, and the harness tests every
//! path), so a vector version can replace this one behind the same dispatch. Not measured in
//! this change: the project's benchmark runs are reserved to another agent on this 2-core
//! machine; `cargo xtask bench` should time `histogram_gh` against a one-histogram loop.
//!
//! Numerics: the same additions in the same order on every ISA (float32 to float64 is exact,
//! and nothing is reassociated), so results are bit-identical across ISAs.

// Unrolled loops index several sub-histograms with one counter.
#![allow(clippy::needless_range_loop)]

/// Interleaved sub-histograms: enough to cover the store-to-load latency of one bin.
pub(crate) const SUBS: usize = 4;
/// Rows below which one histogram is used: zeroing and folding four 4 KiB sub-histograms
/// costs more than the dependency chains they break on so few rows.
pub(crate) const SUBS_FROM_ROWS: usize = 1024;
/// Entries of a local histogram: every `u8` bin, so indexing by a bin needs no check.
const BINS: usize = 256;

type Hist = [[f64; 2]; BINS];

/// Adds row `k`'s pair `gh[k]` into the bin `bin(k)` of `hist`, for `k` in `0..gh.len()`.
/// Bins at or above `hist.len()` must not hold a row with a non-zero pair (checked).
#[inline(always)]
pub(crate) fn accumulate(gh: &[[f32; 2]], bin: impl Fn(usize) -> u8, hist: &mut [[f64; 2]]) {
    let n = gh.len();
    if n < SUBS_FROM_ROWS {
        let mut one: Hist = [[0.0; 2]; BINS];
        for (k, p) in gh.iter().enumerate() {
            add(&mut one[usize::from(bin(k))], p);
        }
        fold(&[&one], hist);
        return;
    }
    let mut subs: [Hist; SUBS] = [[[0.0; 2]; BINS]; SUBS];
    let main = n - n % SUBS;
    let mut k = 0;
    while k < main {
        for s in 0..SUBS {
            add(&mut subs[s][usize::from(bin(k + s))], &gh[k + s]);
        }
        k += SUBS;
    }
    for (s, k) in (main..n).enumerate() {
        add(&mut subs[s][usize::from(bin(k))], &gh[k]);
    }
    let [a, b, c, d] = &subs;
    fold(&[a, b, c, d], hist);
}

/// Rows ahead of the one being added whose bin the row-list kernel asks the cache for.
/// A leaf deep in a tree holds rows far apart, so each bin it reads is a cache miss in a
/// column of a megabyte or more; issued this far ahead, the misses of many rows overlap.
pub(crate) const PREFETCH_AHEAD: usize = 32;

/// Average gap between a leaf's rows above which [`accumulate_rows`] prefetches: from here
/// on the rows skip cache lines of bins (64 per line), where a dense leaf reads every line
/// in order and the hardware's prefetcher keeps up.
pub(crate) const SPARSE_GAP: usize = 16;

/// [`accumulate`] over the rows `rows` of the column `bins`, asking the cache for the bins
/// of later rows first when the rows are sparse.
#[inline(always)]
pub(crate) fn accumulate_rows(bins: &[u8], rows: &[u32], gh: &[[f32; 2]], hist: &mut [[f64; 2]]) {
    let bin = |k: usize| bins[rows[k] as usize];
    let span = match (rows.first(), rows.last()) {
        (Some(&a), Some(&b)) => b.abs_diff(a) as usize + 1,
        _ => 0,
    };
    if span > SPARSE_GAP * rows.len() {
        accumulate(
            gh,
            |k| {
                if let Some(&r) = rows.get(k + PREFETCH_AHEAD) {
                    super::slice::prefetch_read(bins, r as usize);
                }
                bin(k)
            },
            hist,
        )
    } else {
        accumulate(gh, bin, hist)
    }
}

#[inline(always)]
fn add(entry: &mut [f64; 2], p: &[f32; 2]) {
    entry[0] += f64::from(p[0]);
    entry[1] += f64::from(p[1]);
}

/// `hist[b] += subs[0][b] + subs[1][b] + ...` (summed left to right) for each bin of `hist`.
#[inline(always)]
fn fold(subs: &[&Hist], hist: &mut [[f64; 2]]) {
    let len = hist.len().min(BINS);
    for b in 0..BINS {
        let mut e = [0.0; 2];
        for s in subs {
            e[0] += s[b][0];
            e[1] += s[b][1];
        }
        if b < len {
            hist[b][0] += e[0];
            hist[b][1] += e[1];
        } else if e != [0.0; 2] {
            accumulate_beyond(b, hist.len());
        }
    }
}

#[cold]
#[inline(never)]
pub(crate) fn accumulate_beyond(bin: usize, len: usize) -> ! {
    panic!("simd_kernels::histogram_gh: a row is in bin {bin}, the histogram has {len} bins")
}

/// Instantiates the histogram kernels for one ISA as safe functions carrying its
/// `#[target_feature]` attribute (none for scalar).
macro_rules! histogram_entry_points {
    ($(#[$attr:meta])*) => {
        $(#[$attr])*
        pub(crate) fn gh_all(bins: &[u8], gh: &[[f32; 2]], hist: &mut [[f64; 2]]) {
            $crate::generic::histogram::accumulate(gh, |k| bins[k], hist)
        }
        $(#[$attr])*
        pub(crate) fn gh_rows(bins: &[u8], rows: &[u32], gh: &[[f32; 2]], hist: &mut [[f64; 2]]) {
            $crate::generic::histogram::accumulate_rows(bins, rows, gh, hist)
        }
        $(#[$attr])*
        pub(crate) fn gh_cols(
            cols: &[&[u8]],
            rows: Option<&[u32]>,
            gh: &[[f32; 2]],
            hists: &mut [&mut [[f64; 2]]],
        ) {
            $crate::generic::histogram_cols::accumulate_cols(cols, rows, gh, hists)
        }
        $(#[$attr])*
        pub(crate) fn gh_row_major(
            bins: &[u8],
            width: usize,
            rows: &[u32],
            gh: &[[f32; 2]],
            features: &[usize],
            hists: &mut [&mut [[f64; 2]]],
        ) {
            $crate::generic::histogram_cols::accumulate_row_major(
                bins, width, rows, gh, features, hists,
            )
        }
    };
}
pub(crate) use histogram_entry_points;
