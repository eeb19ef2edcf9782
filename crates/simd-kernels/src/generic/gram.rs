//! The Gram matrix of column-major data by dot products of its columns, written once over
//! [`Simd`].
//!
//! Why a second way to compute `X^T X` besides the packed GEMM: for a tall, narrow `X`
//! (`k` up to a few hundred columns) the output is tiny and every packed element is reused
//! only `k` times, so the GEMM's packing (a transposing copy of each block of `X^T`) costs a
//! large share of the time. Here the register tile is `TI x TJ` *pairs of columns*: each
//! accumulator holds `LANES` partial sums down the rows of one pair, so the loads are
//! contiguous column segments read straight from `X` (no packing) and the lanes are summed
//! once at the end of the call. With `TI = 6`, `TJ = 2` the tile needs 12 accumulators, 2
//! loaded `j` columns and one `i` column at a time: 15 of the 16 registers of AVX2, 8 loads
//! per 12 FMAs. Tiles go band by band (`TI` columns `i`, every `j` up to the diagonal), so
//! the band's columns are read from L1 by each of its tiles and only the `TJ` columns `j`
//! stream from L2: 2 loads from L2 per 12 FMAs, against 3 for a 4 x 3 tile and 4 with the
//! roles swapped. On an AMD Zen 3 a 4 x 3 tile was about 3% slower in a PCA fit (within the
//! host's noise) and ran at ~55% of the FMA peak with its whole block in L2: the kernel is
//! bound by L2's bandwidth, not by the FMA units, once the block leaves L1.
//!
//! With AVX-512's 32 registers the tile is `6 x 4` (24 accumulators): 10 loads per 24 FMAs
//! instead of 8 per 12. On an Intel Xeon (AVX-512, one thread, `X` of 64 columns, blocks
//! sized as below) it ran the Gram matrix 1.3x as fast as the `6 x 2` tile, 4000 rows in
//! cache 54 -> 71 useful GFLOP/s (57% of the FMA peak), 100000 rows 45 -> 58.
//!
//! Blocks of rows carry each pair's lanes from one block to the next in a caller's buffer
//! (`gram_lanes_add_with`) and sum them once after the last, so how the rows are blocked
//! does not change the rounding. On a Zen 4 EPYC (AVX-512, 100000 x 64, one thread) that
//! measured level with summing every tile's lanes per block of 384 rows (29-31 useful
//! GFLOP/s either way); blocks of 1024-4096 rows ran 5-20% faster there, the opposite of
//! the Xeon below, so fast-math measures which of the two a machine prefers
//! (`gemm::gram_blocks`).
//!
//! The caller blocks the rows so that the block of `X` stays in L2 and a band, with the `j`
//! columns streaming past it, fits L1 ([`crate::gram_l1_columns`]): on that Xeon, blocks
//! whose band alone filled L1 (1024 rows) ran 1.15-1.2x slower than 576 rows.
//!
//! While a block is computed, its tiles prefetch the next block into L2, a share of its
//! cache lines each ([`ReadAhead`]). Each column of a column-major block is a short stream
//! of its own (`k` of them per block, at strides of the column length), which the
//! hardware's prefetchers learn too late: on a Zen 5 EPYC (AVX-512, one thread, 64
//! columns) 100000 rows from memory ran at 52.6 useful GFLOP/s against 81 for 12000 rows
//! from L3, and at 67-71 with the read-ahead.

// The tile's loops index accumulators, registers and columns with one counter.
#![allow(clippy::needless_range_loop)]

use super::slice::{prefetch_l2, reduce_lanes};
use crate::float::Float;
use crate::simd::Simd;

/// Columns `i` per register tile.
pub(crate) const TI: usize = 6;
/// Columns `j` per register tile with 16 vector registers.
pub(crate) const TJ: usize = 2;
/// Columns `j` per register tile with 32 vector registers (AVX-512).
pub(crate) const TJ_WIDE: usize = 4;

/// Columns `j` per full register tile on an ISA with `registers` vector registers: 4 when
/// the 24 accumulators of a `6 x 4` tile, its 4 `j` columns and one `i` column fit (29 of
/// 32), else 2 (15 of 16).
pub(crate) const fn tile_j(registers: usize) -> usize {
    if registers >= 32 {
        TJ_WIDE
    } else {
        TJ
    }
}

/// Elements per column pair in a lane buffer ([`crate::gram_lanes_len`]): the most lanes
/// of any ISA (AVX-512 `f32`), so a buffer's layout does not depend on the ISA.
pub(crate) const PAIR_STRIDE: usize = 16;

/// Offset of the lanes of the pair `(i, j)`, `i >= j`, in a lane buffer: the pairs of the
/// lower triangle row by row.
#[inline(always)]
fn pair_offset(i: usize, j: usize) -> usize {
    (i * (i + 1) / 2 + j) * PAIR_STRIDE
}

/// The Gram kernel over one block of rows of the columns `cols` (`k = cols.len()`), for
/// every pair `i >= j` of the lower triangle. Each pair's `LANES` partial sums (row `r` of
/// the block in lane `r % LANES`) start from zero, or from `lanes` when given with
/// `carry_in` (the sums of the blocks before; without it the buffer is only written);
/// then, with `g`, they are summed in a fixed pairwise order, the leftover rows added one
/// by one, and the total added to `g[i + j k]`; without `g` they
/// are stored back into `lanes` (and the block holds a multiple of `LANES` rows: the caller
/// checked). The caller checked the shapes: every column has the same length, `g` holds
/// `k * k` elements and `lanes` `k (k + 1) / 2 * PAIR_STRIDE`. Since lane `l` always
/// receives the rows `r = l (mod LANES)` in order, the sums do not depend on how the rows
/// are split into blocks.
#[inline(always)]
pub(crate) fn gram_lower_lanes<T: Float, S: Simd<T>>(
    simd: S,
    cols: &[&[T]],
    next: &[&[T]],
    mut lanes: Option<&mut [T]>,
    carry_in: bool,
    mut g: Option<&mut [T]>,
) {
    let k = cols.len();
    if cols.first().is_none_or(|c| c.is_empty()) {
        if let (Some(lanes), Some(g), true) = (lanes, g, carry_in) {
            // No rows in the last block: the sums so far are the result.
            for i in 0..k {
                for j in 0..=i {
                    let at = &lanes[pair_offset(i, j)..][..S::LANES];
                    g[i + j * k] += reduce_lanes(simd, simd.load(at));
                }
            }
        }
        return;
    }
    // The ISA's width where it fits, else 2 or 1 (columns are never padded).
    let tile_width = |j0: usize| {
        let (rest, tj) = (k - j0, tile_j(S::REGISTERS));
        if rest >= tj {
            tj
        } else {
            TJ.min(rest)
        }
    };
    let mut ahead = ReadAhead::new(next, count_tiles(k, tile_width));
    for i0 in (0..k).step_by(TI) {
        let ni = TI.min(k - i0);
        // The tiles of this row band that reach the diagonal or below.
        let mut j0 = 0;
        while j0 < i0 + ni {
            let nj = tile_width(j0);
            let a = &cols[i0..i0 + ni];
            let b = &cols[j0..j0 + nj];
            let (a, b) = (&a[..ni], &b[..nj]);
            let at = Tile {
                g: g.as_deref_mut(),
                lanes: lanes.as_deref_mut(),
                carry_in,
                k,
                i0,
                j0,
                ahead: &mut ahead,
            };
            match (ni, nj) {
                (6, 4) => tile::<T, S, 6, 4>(simd, a, b, at),
                (5, 4) => tile::<T, S, 5, 4>(simd, a, b, at),
                (4, 4) => tile::<T, S, 4, 4>(simd, a, b, at),
                (3, 4) => tile::<T, S, 3, 4>(simd, a, b, at),
                (2, 4) => tile::<T, S, 2, 4>(simd, a, b, at),
                (1, 4) => tile::<T, S, 1, 4>(simd, a, b, at),
                (6, 2) => tile::<T, S, 6, 2>(simd, a, b, at),
                (6, 1) => tile::<T, S, 6, 1>(simd, a, b, at),
                (5, 2) => tile::<T, S, 5, 2>(simd, a, b, at),
                (5, 1) => tile::<T, S, 5, 1>(simd, a, b, at),
                (4, 2) => tile::<T, S, 4, 2>(simd, a, b, at),
                (4, 1) => tile::<T, S, 4, 1>(simd, a, b, at),
                (3, 2) => tile::<T, S, 3, 2>(simd, a, b, at),
                (3, 1) => tile::<T, S, 3, 1>(simd, a, b, at),
                (2, 2) => tile::<T, S, 2, 2>(simd, a, b, at),
                (2, 1) => tile::<T, S, 2, 1>(simd, a, b, at),
                (1, 2) => tile::<T, S, 1, 2>(simd, a, b, at),
                (1, 1) => tile::<T, S, 1, 1>(simd, a, b, at),
                _ => unreachable!("tiles are at most {TI} x {TJ_WIDE}"),
            }
            j0 += nj;
        }
    }
}

/// Register tiles of a `k`-column Gram matrix, `width(j0)` columns `j` from `j0` on: as
/// [`gram_lower_lanes`] walks them.
fn count_tiles(k: usize, width: impl Fn(usize) -> usize) -> usize {
    let mut tiles = 0;
    for i0 in (0..k).step_by(TI) {
        let mut j0 = 0;
        while j0 < i0 + TI.min(k - i0) {
            tiles += 1;
            j0 += width(j0);
        }
    }
    tiles
}

/// Bytes per cache line, the unit a prefetch fetches.
const LINE_BYTES: usize = 64;

/// A cursor over the cache lines of the next block's columns, which the tiles of this block
/// prefetch into L2 a share each, so that the whole next block arrives spread over this
/// block's time: a burst would ask for more lines at once than the core can have in flight
/// from memory, and stall.
struct ReadAhead<'a, T> {
    cols: &'a [&'a [T]],
    col: usize,
    row: usize,
    /// Lines per tile.
    share: usize,
}

impl<'a, T> ReadAhead<'a, T> {
    /// Elements per line (`T` is `f32` or `f64`).
    const LINE: usize = LINE_BYTES / std::mem::size_of::<T>();

    fn new(cols: &'a [&'a [T]], tiles: usize) -> Self {
        let lines = cols.len() * cols.first().map_or(0, |c| c.len().div_ceil(Self::LINE));
        Self {
            cols,
            col: 0,
            row: 0,
            share: lines.div_ceil(tiles.max(1)),
        }
    }

    /// Prefetches the next line, if any is left.
    #[inline(always)]
    fn fetch_one(&mut self) {
        if let Some(c) = self.cols.get(self.col) {
            // `row < c.len()`: a line of the column.
            prefetch_l2(c.as_ptr().wrapping_add(self.row));
            self.row += Self::LINE;
            if self.row >= c.len() {
                self.col += 1;
                self.row = 0;
            }
        }
    }
}

/// Where a tile's sums go: added to `g[(i0 + t) + (j0 + u) k]` when `g` is given, else
/// stored into `lanes`; pairs with `i0 + t >= j0 + u` only. `ahead` holds the lines the
/// tile prefetches along the way (its share of the next block).
struct Tile<'g, 'a, T> {
    g: Option<&'g mut [T]>,
    lanes: Option<&'g mut [T]>,
    carry_in: bool,
    k: usize,
    i0: usize,
    j0: usize,
    ahead: &'g mut ReadAhead<'a, T>,
}

/// One `NI x NJ` tile of column pairs over all rows of the block: `LANES` rows per step
/// into accumulators that start from zero or from the lane buffer, then either stored back
/// or each pair's lanes summed in a fixed pairwise order and the leftover rows added one by
/// one (with the ISA's scalar FMA, as the vector body rounds).
#[inline(always)]
fn tile<T: Float, S: Simd<T>, const NI: usize, const NJ: usize>(
    simd: S,
    a: &[&[T]],
    b: &[&[T]],
    at: Tile<'_, '_, T>,
) {
    let rows = a[0].len();
    debug_assert!(a.iter().chain(b).all(|c| c.len() == rows));
    let main = rows - rows % S::LANES;
    let pa: [*const T; NI] = std::array::from_fn(|t| a[t].as_ptr());
    let pb: [*const T; NJ] = std::array::from_fn(|u| b[u].as_ptr());
    let Tile {
        g,
        lanes,
        carry_in,
        k,
        i0,
        j0,
        ahead,
    } = at;
    // The pairs on or below the diagonal: the others are computed and thrown away.
    let below = |t: usize, u: usize| i0 + t >= j0 + u;
    let mut acc = [[simd.splat(T::ZERO); NJ]; NI];
    if let (Some(lanes), true) = (lanes.as_deref(), carry_in) {
        for t in 0..NI {
            for u in 0..NJ {
                if below(t, u) {
                    let off = pair_offset(i0 + t, j0 + u);
                    acc[t][u] = simd.load(&lanes[off..off + S::LANES]);
                }
            }
        }
    }
    // The tile's share of prefetches goes with its first steps, one or a few per step; the
    // steps, their order and so the sums are the same with or without them.
    let steps = main / S::LANES;
    let acc = if ahead.share == 0 || steps == 0 {
        rows_into::<T, S, NI, NJ, false>(simd, pa, pb, 0, main, acc, ahead, 0)
    } else {
        let per_step = ahead.share.div_ceil(steps);
        let lead = ahead.share.div_ceil(per_step) * S::LANES;
        let acc = rows_into::<T, S, NI, NJ, true>(simd, pa, pb, 0, lead, acc, ahead, per_step);
        rows_into::<T, S, NI, NJ, false>(simd, pa, pb, lead, main, acc, ahead, 0)
    };
    let Some(g) = g else {
        let lanes = lanes.expect("a block without g stores into lanes");
        debug_assert!(
            main == rows,
            "a block before the last holds whole lane steps"
        );
        for t in 0..NI {
            for u in 0..NJ {
                if below(t, u) {
                    let off = pair_offset(i0 + t, j0 + u);
                    simd.store(acc[t][u], &mut lanes[off..off + S::LANES]);
                }
            }
        }
        return;
    };
    for t in 0..NI {
        for u in 0..NJ {
            if !below(t, u) {
                continue;
            }
            let (i, j) = (i0 + t, j0 + u);
            let mut s = reduce_lanes(simd, acc[t][u]);
            for r in main..rows {
                s = simd.mul_add_scalar(a[t][r], b[u][r], s);
            }
            g[i + j * k] += s;
        }
    }
}

/// The tile's accumulators after the rows `start .. end` (multiples of `LANES`, `end` at
/// most the rows of whole steps): the hot loop alone, with the accumulators passed by value
/// so they stay in registers. With `AHEAD`, each step also prefetches `per_step` lines of
/// the next block.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn rows_into<T: Float, S: Simd<T>, const NI: usize, const NJ: usize, const AHEAD: bool>(
    simd: S,
    pa: [*const T; NI],
    pb: [*const T; NJ],
    start: usize,
    end: usize,
    mut acc: [[S::V; NJ]; NI],
    ahead: &mut ReadAhead<'_, T>,
    per_step: usize,
) -> [[S::V; NJ]; NI] {
    let mut r = start;
    while r < end {
        if AHEAD {
            for _ in 0..per_step {
                ahead.fetch_one();
            }
        }
        let mut bv = [simd.splat(T::ZERO); NJ];
        for u in 0..NJ {
            // SAFETY: the caller's columns hold at least `main` elements and
            // r + LANES <= main.
            bv[u] = unsafe { simd.load_ptr(pb[u].add(r)) };
        }
        for t in 0..NI {
            // SAFETY: as above.
            let av = unsafe { simd.load_ptr(pa[t].add(r)) };
            for u in 0..NJ {
                acc[t][u] = simd.mul_add(av, bv[u], acc[t][u]);
            }
        }
        r += S::LANES;
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tiles_shares_cover_every_line_of_the_next_block() {
        for (k, rows, width) in [(64, 384, 4), (13, 403, 2), (1, 8, 1), (7, 1, 2)] {
            let data = vec![0.0f64; k * rows];
            let cols: Vec<&[f64]> = data.chunks_exact(rows).collect();
            let tile_width = |j0: usize| width.min(k - j0);
            let tiles = count_tiles(k, tile_width);
            let mut ahead = ReadAhead::new(&cols, tiles);
            let mut fetched = 0;
            for _ in 0..tiles * ahead.share {
                if ahead.col < k {
                    fetched += 1;
                }
                ahead.fetch_one();
            }
            let lines = k * rows.div_ceil(ReadAhead::<f64>::LINE);
            assert_eq!((fetched, ahead.col), (lines, k), "k {k} rows {rows}");
        }
    }
}
