//! How many rows per block the Gram matrix's dot-product kernel takes on this machine: the
//! cache rule's blocks, or larger ones where a measurement once per process finds them
//! faster. Blocks never change the result (each pair's lanes carry from block to block, see
//! `simd_kernels::gram_lanes_add_with`), so the choice is free to follow the machine.
//!
//! Why measured: the two machines measured disagree. On an Intel Xeon (AVX-512, 48 KiB L1d,
//! 2 MiB L2) blocks whose band of columns stays in L1 (576 rows at 64 columns) ran
//! 1.15-1.2x as fast as 1024; on a Zen 4 EPYC (AVX-512, 32 KiB L1d, 1 MiB L2) blocks of
//! 1024-4096 rows ran 5-20% faster than the L1 rule's 384 (100000 x 64, one thread).

use crate::Mat;
use simd_kernels::cache::CacheSizes;
use simd_kernels::{gram_lanes_add_with, gram_lanes_len, Float, Isa};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Columns of the measurement (the widest the dot kernel takes).
const PROBE_COLUMNS: usize = 64;

/// Larger blocks are taken only when they measure at least this much faster (percent of the
/// rule's time), so a noisy tie keeps the rule.
const PROBE_MARGIN_PERCENT: u32 = 95;

/// Rows per block for a call of `n` rows of `k` columns of `bytes`-sized elements on `isa`,
/// given the cache rule's `rule` rows (and `probe_rule`, its rows for the measurement's
/// 64 columns of `f64`): the rows whose `k` columns fill half of L2 where they
/// are more than `rule` and the measurement ([`large_blocks_faster`]) prefers them; `rule`
/// otherwise, and without measuring for a call too small to repay the measurement (fewer
/// than 8 large blocks: the measurement reads about 4 x 2 x 4 of them).
pub(super) fn block_rows(
    caches: CacheSizes,
    isa: Isa,
    n: usize,
    k: usize,
    bytes: usize,
    rule: usize,
    probe_rule: Option<usize>,
) -> usize {
    let large = half_l2_rows(caches, k, bytes);
    if large > rule && n >= 8 * large && large_blocks_faster(isa, probe_rule) {
        large
    } else {
        rule
    }
}

/// Adds the lower triangle of the Gram matrix of `columns` to the `k x k` `g`, `block` rows
/// at a time (a multiple of `GRAM_BLOCK_ROWS_MULTIPLE`), each block's per-lane sums carried
/// to the next in `lanes` (`gram_lanes_len(k)` elements, any contents: the first block
/// writes them).
pub(super) fn add_in_blocks<'a, T: Float>(
    isa: Isa,
    columns: &[&'a [T]],
    block: usize,
    ahead: &[&[T]],
    lanes: &mut [T],
    g: &mut [T],
) {
    let n = columns.first().map_or(0, |c| c.len());
    let cut = |r0: usize, out: &mut Vec<&'a [T]>| {
        out.clear();
        if r0 < n {
            let r1 = (r0 + block).min(n);
            out.extend(columns.iter().map(|c| &c[r0..r1]));
        }
    };
    let ahead = Ahead::new(ahead, n.div_ceil(block));
    let (mut this, mut next) = (Vec::with_capacity(columns.len()), Vec::new());
    let mut share = Vec::new();
    cut(0, &mut this);
    for (b, r0) in (0..n).step_by(block).enumerate() {
        // The next block is prefetched while this one is computed, or, when the caller
        // names what it reads next, this block's share of that.
        cut(r0 + block, &mut next);
        ahead.share_into(b, &mut share);
        let fetch = if ahead.is_empty() { &next } else { &share };
        let last = (r0 + block >= n).then_some(&mut *g);
        gram_lanes_add_with(isa, &this, fetch, lanes, r0 == 0, last);
        std::mem::swap(&mut this, &mut next);
    }
}

/// The columns a caller reads after a blocked Gram call, cut into one share of rows per
/// block, so that their prefetches spread over the whole call.
struct Ahead<'a, T> {
    cols: &'a [&'a [T]],
    /// Rows per share: a multiple of 8 (whole cache lines of `f64`, two of `f32`).
    rows: usize,
}

impl<'a, T> Ahead<'a, T> {
    /// `cols` (empty, or columns of equal length) in `blocks` shares.
    fn new(cols: &'a [&'a [T]], blocks: usize) -> Self {
        let n = cols.first().map_or(0, |c| c.len());
        let rows = n.div_ceil(blocks.max(1)).div_ceil(8) * 8;
        Self { cols, rows }
    }

    fn is_empty(&self) -> bool {
        self.cols.is_empty()
    }

    /// Block `b`'s share into `out`: the same rows of every column (empty past the end).
    fn share_into(&self, b: usize, out: &mut Vec<&'a [T]>) {
        out.clear();
        let n = self.cols.first().map_or(0, |c| c.len());
        let r0 = (b * self.rows).min(n);
        let r1 = (r0 + self.rows).min(n);
        if r0 < r1 {
            out.extend(self.cols.iter().map(|c| &c[r0..r1]));
        }
    }
}

/// As [`add_in_blocks`], each block first copied into `scratch`, whose columns are `ld`
/// elements apart (at least `block`, and not a stride that folds onto few sets: see
/// [`super::sets::spreads`]). For columns whose own stride folds a block onto a few L2
/// sets, where the block's lines evict each other before the kernel's tiles reuse them:
/// on an Intel Xeon (2 MiB 16-way L2), 65536 x 64 and 98304 x 64 ran at 12.5-15.4 useful
/// GFLOP/s read in place against 22.7-28.4 for 65000 and 66048 rows. The same blocks in the
/// same order, so the same bits.
// The arguments are `add_in_blocks`' and the scratch block with its column stride.
#[allow(clippy::too_many_arguments)]
pub(super) fn add_in_blocks_copied<T: Float>(
    isa: Isa,
    columns: &[&[T]],
    block: usize,
    ahead: &[&[T]],
    lanes: &mut [T],
    g: &mut [T],
    scratch: &mut [T],
    ld: usize,
) {
    let n = columns.first().map_or(0, |c| c.len());
    let k = columns.len();
    debug_assert!(ld >= block && scratch.len() >= ld * k);
    let ahead = Ahead::new(ahead, n.div_ceil(block));
    let mut share = Vec::new();
    for (b, r0) in (0..n).step_by(block).enumerate() {
        let r1 = (r0 + block).min(n);
        for (dst, c) in scratch.chunks_exact_mut(ld).zip(columns) {
            dst[..r1 - r0].copy_from_slice(&c[r0..r1]);
        }
        let this: Vec<&[T]> = scratch
            .chunks_exact(ld)
            .take(k)
            .map(|c| &c[..r1 - r0])
            .collect();
        let last = (r1 >= n).then_some(&mut *g);
        ahead.share_into(b, &mut share);
        gram_lanes_add_with(isa, &this, &share, lanes, r0 == 0, last);
    }
}

/// Rows (a multiple of 64) whose `k` columns of `bytes`-sized elements fill half of L2.
fn half_l2_rows(c: CacheSizes, k: usize, bytes: usize) -> usize {
    c.l2 / (2 * k.max(1) * bytes) / 64 * 64
}

/// Whether blocks filling half of L2 beat the cache rule's blocks for the dot-product Gram
/// kernel on `isa`, measured once per process per ISA: a `64`-column `f64` matrix of four
/// large blocks, each size timed three times alternately after one warm-up run, best times
/// compared with a 5% margin (about 4 ms on a Zen 4).
fn large_blocks_faster(isa: Isa, probe_rule: Option<usize>) -> bool {
    static CHOICE: [OnceLock<bool>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = match isa {
        Isa::Scalar => 0,
        Isa::Avx2Fma => 1,
        Isa::Avx512 => 2,
    };
    *CHOICE[slot].get_or_init(|| measure(isa, probe_rule))
}

fn measure(isa: Isa, probe_rule: Option<usize>) -> bool {
    let c = CacheSizes::detect();
    let k = PROBE_COLUMNS;
    let Some(rule) = probe_rule else {
        return false;
    };
    let large = half_l2_rows(c, k, 8);
    if large <= rule {
        return false;
    }
    let rows = 4 * large;
    // Deterministic values in [-0.5, 0.5): the kernel's speed does not depend on them. A
    // `Mat`, aligned as the callers' columns are (from a plain `Vec`, whose loads straddle
    // cache lines, the kernel measured up to 1.4x slower on a Zen 5).
    let x = Mat::<f64>::from_fn(rows, k, |i, j| {
        ((i + j * rows).wrapping_mul(2_654_435_761) % 1000) as f64 / 1000.0 - 0.5
    });
    let cols: Vec<&[f64]> = (0..k).filter_map(|j| x.as_ref().col_slice(j)).collect();
    let mut lanes = vec![0.0; gram_lanes_len(k)];
    let mut g = vec![0.0; k * k];
    let mut run = |block: usize| -> Duration {
        let start = Instant::now();
        add_in_blocks(isa, &cols, block, &[], &mut lanes, &mut g);
        start.elapsed()
    };
    run(rule);
    run(large);
    let (mut small_best, mut large_best) = (Duration::MAX, Duration::MAX);
    for _ in 0..3 {
        small_best = small_best.min(run(rule));
        large_best = large_best.min(run(large));
    }
    large_best * 100 < small_best * PROBE_MARGIN_PERCENT
}

#[cfg(test)]
mod tests {
    use super::*;
    use simd_kernels::cache::CacheSource;

    #[test]
    fn large_blocks_fill_half_of_l2_in_whole_lines() {
        let zen4 = CacheSizes {
            l1d: 32 << 10,
            l1d_ways: 8,
            l2: 1 << 20,
            l2_ways: 8,
            l3: 32 << 20,
            source: CacheSource::Fallback,
        };
        assert_eq!(half_l2_rows(zen4, 64, 8), 1024);
        assert_eq!(half_l2_rows(zen4, 24, 8), 2688);
        assert_eq!(half_l2_rows(zen4, 64, 4), 2048);
    }

    #[test]
    fn copied_blocks_give_the_bits_of_blocks_read_in_place() {
        for isa in Isa::available() {
            for (n, k, block) in [
                (4096, 9, 512),
                (5000, 64, 384),
                (700, 3, 256),
                (256, 1, 256),
            ] {
                let x = Mat::<f64>::from_fn(n, k, |i, j| ((i * 31 + j * 17) % 101) as f64 / 7.0);
                let cols: Vec<&[f64]> = (0..k).filter_map(|j| x.as_ref().col_slice(j)).collect();
                let mut lanes = vec![f64::NAN; gram_lanes_len(k)];
                let mut in_place = vec![0.5; k * k];
                add_in_blocks(isa, &cols, block, &[], &mut lanes, &mut in_place);
                let ld = crate::padded_col_stride::<f64>(block);
                let mut scratch = vec![f64::NAN; ld * k];
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                // Without and with a caller's next rows to prefetch (changes no bits).
                let later = Mat::<f64>::from_fn(777, k, |i, j| (i + j) as f64);
                let later: Vec<&[f64]> =
                    (0..k).filter_map(|j| later.as_ref().col_slice(j)).collect();
                for ahead in [&[][..], &later[..]] {
                    let mut copied = vec![0.5; k * k];
                    lanes.fill(f64::NAN);
                    scratch.fill(f64::NAN);
                    add_in_blocks_copied(
                        isa,
                        &cols,
                        block,
                        ahead,
                        &mut lanes,
                        &mut copied,
                        &mut scratch,
                        ld,
                    );
                    assert_eq!(bits(&in_place), bits(&copied), "{isa} {n}x{k} by {block}");
                }
                let mut ahead_too = vec![0.5; k * k];
                add_in_blocks(isa, &cols, block, &later, &mut lanes, &mut ahead_too);
                assert_eq!(
                    bits(&in_place),
                    bits(&ahead_too),
                    "{isa} {n}x{k} by {block}"
                );
            }
        }
    }

    #[test]
    fn the_shares_ahead_cover_every_row_once_in_whole_lines() {
        for (rows, blocks) in [(0, 3), (5, 3), (1000, 4), (1000, 7), (8, 1), (9, 100)] {
            let data: Vec<f64> = (0..2 * rows).map(|v| v as f64).collect();
            let cols: Vec<&[f64]> = data.chunks(rows.max(1)).take(2).collect();
            let cols = if rows == 0 { Vec::new() } else { cols };
            let ahead = Ahead::new(&cols, blocks);
            let (mut seen, mut share) = (Vec::new(), Vec::new());
            for b in 0..blocks + 2 {
                ahead.share_into(b, &mut share);
                if let Some(first) = share.first() {
                    assert_eq!(share.len(), 2);
                    // Whole lines, but for the share that ends the rows.
                    let ends = seen.len() + first.len() == rows;
                    assert!(ends || first.len() % 8 == 0, "{rows} in {blocks}");
                    assert!(b < blocks, "share {b} of {blocks} blocks");
                    seen.extend_from_slice(first);
                }
            }
            assert_eq!(
                seen,
                cols.first().map_or(&[][..], |c| c),
                "{rows} in {blocks}"
            );
        }
    }

    #[test]
    fn small_calls_and_rules_at_least_as_large_keep_the_rule() {
        let c = CacheSizes::detect();
        let large = half_l2_rows(c, 64, 8);
        for isa in Isa::available() {
            // Too few rows to measure.
            assert_eq!(
                block_rows(c, isa, 8 * large - 1, 64, 8, 384, Some(384)),
                384
            );
            // The rule already as large: nothing to choose.
            assert_eq!(
                block_rows(c, isa, 100 * large, 64, 8, large, Some(384)),
                large
            );
            // Otherwise one of the two.
            let b = block_rows(c, isa, 100 * large, 64, 8, 384, Some(384));
            assert!(b == 384 || b == large, "{isa}: {b}");
        }
    }
}
