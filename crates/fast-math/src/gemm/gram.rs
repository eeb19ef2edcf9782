//! The Gram matrix `X^T X`, lower triangle only: column dot products for narrow
//! column-major `X`, else the packed GEMM of `X^T` by `X` over the register tiles that
//! reach the lower triangle.

use super::gram_blocks;
use super::sets::spreads;
use super::{gemm_core, Dest, Operand};
use crate::par::run_in;
use crate::{Mat, MatRef, Par, Scalar};
use rayon::prelude::*;
use simd_kernels::cache::CacheSizes;
use simd_kernels::gemm::{KernelShape, MicroKernel};
use simd_kernels::{gram_l1_columns, gram_lanes_len, gram_lower_add_ahead_with, Isa};

/// The Gram matrix `X^T X` (`k x k` for an `n x k` matrix `X`), on the detected ISA.
///
/// Only the lower triangle is computed, then mirrored: about `n * k * k` flops instead of
/// the `2 n k k` of a general product, and the result is exactly symmetric. Two paths:
/// - a column-major `X` of at most 64 columns (the tall, narrow data of ridge, PCA and
///   logistic regression): dot products of its columns read in place, in blocks of rows
///   sized to L1 and L2 ([`simd_kernels::gram_lower_add`]), because there the packing of
///   the GEMM below costs more than it saves;
/// - otherwise the packed GEMM of `X^T` by `X` (the same five loops, packing and
///   micro-kernel as [`gemm`](crate::gemm())), with the register tiles wholly above the
///   diagonal skipped. Both packed operands come from the same rows of `X` (`X^T` is packed
///   along `MR` columns of `X` in lockstep, `X` down its columns), so a tall `X` is read
///   from memory once per `KC` rows and served from cache the second time.
///
/// With `Par::Rayon(t)`, contiguous row ranges go to the threads and their partial
/// products are summed.
///
/// Error: as [`gemm`](crate::gemm()) or [`dot`](simd_kernels::dot) (the dot path), with
/// inner dimension `n`; the path, and so the rounding, is a rule of the shape, layout and
/// ISA, the same on every run.
///
/// ```
/// use fast_math::{gram, Mat, Par};
/// let x = Mat::from_row_major(3, 2, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// let g = gram(x.as_ref(), Par::Seq);
/// assert_eq!(g, Mat::from_row_major(2, 2, &[35.0, 44.0, 44.0, 56.0]));
/// ```
#[track_caller]
pub fn gram<T: Scalar>(x: MatRef<'_, T>, par: Par) -> Mat<T> {
    gram_with(Isa::detect(), x, par)
}

/// Rows of `X` per thread below which the Gram matrix is not split. Unlike GEMM's split
/// (each tile computed whole by one thread, so results do not depend on it), the split
/// here sums partial Gram matrices, which changes the rounding; so it is a fixed rule of
/// the shape and `Par`, never of a measurement of the machine, and the same call gives the
/// same bits on every run. At 2048 rows a thread's part is at least `2048 * k * k / 2`
/// multiply-adds, above the measured handoff threshold of `par` (about 3.5M) from
/// `k = 59` on; a smaller `k` splits at a loss of a few microseconds.
const PAR_MIN_ROWS: usize = 2048;

/// [`gram`] on one given ISA.
///
/// # Panics
/// If the CPU does not support `isa`.
#[track_caller]
pub fn gram_with<T: Scalar>(isa: Isa, x: MatRef<'_, T>, par: Par) -> Mat<T> {
    let (n, k) = (x.nrows(), x.ncols());
    let kern = gram_kernel(isa, &x);
    let nt = par.threads().min(n / PAR_MIN_ROWS).max(1);
    let mut g = if nt <= 1 {
        gram_lower(isa, kern, x)
    } else {
        // Contiguous row ranges, one per thread.
        let per = n.div_ceil(nt);
        let parts: Vec<Mat<T>> = run_in(Par::Rayon(nt), |_| {
            (0..nt)
                .into_par_iter()
                .with_max_len(1)
                .map(|t| {
                    let r0 = (t * per).min(n);
                    let r1 = (r0 + per).min(n);
                    gram_lower(isa, kern, x.submatrix(r0, 0, r1 - r0, k))
                })
                .collect()
        });
        let mut parts = parts.into_iter();
        let mut g = parts.next().unwrap_or_else(|| Mat::zeros(k, k));
        for p in parts {
            for (d, s) in g.as_mut_slice().iter_mut().zip(p.as_slice()) {
                *d += *s;
            }
        }
        g
    };
    for j in 0..k {
        for i in 0..j {
            g[(i, j)] = g[(j, i)];
        }
    }
    g
}

/// The micro-kernel for a `k x k` Gram matrix on `isa`: the ISA's narrow tile when the
/// tiles it computes to cover the lower triangle are at most 85% of the wide tile's (the
/// padding past `k` and the parts of diagonal tiles above it are computed and thrown away),
/// else the wide one, which does more work per load. A rule of `k` and the ISA alone, so a
/// given call rounds the same way on every run. On a Zen 4 EPYC with AVX-512, `k = 64`
/// picks 16 x 8 over 24 x 8 (2,560 against 3,264 elements; 29.0 against 22.6 useful
/// GFLOP/s for 1M x 64), while AVX2 keeps 8 x 6 over 4 x 6 (2,304 against 2,448, too close
/// to pay for the narrow tile's lower intensity: 28.0 against 30.2 GFLOP/s).
fn gram_kernel<T: Scalar>(isa: Isa, x: &MatRef<'_, T>) -> MicroKernel<T> {
    let k = x.ncols();
    let wide = MicroKernel::<T>::new(isa, KernelShape::Wide);
    let narrow = MicroKernel::<T>::new(isa, KernelShape::Narrow);
    let area = |kern: &MicroKernel<T>| lower_tile_area(kern.mr(), kern.nr(), k);
    if 100 * area(&narrow) <= 85 * area(&wide) {
        narrow
    } else {
        wide
    }
}

/// Elements of the `mr x nr` register tiles that reach the diagonal or below of a `k x k`
/// output: row block `r` needs the column panels that start before its last row.
fn lower_tile_area(mr: usize, nr: usize, k: usize) -> usize {
    let panels: usize = (0..k.div_ceil(mr))
        .map(|r| ((r + 1) * mr).min(k).div_ceil(nr))
        .sum();
    panels * mr * nr
}

/// Columns up to which a column-major `X` of `bytes`-sized elements takes the dot-product
/// kernel ([`simd_kernels::gram_lower_add`]) instead of the packed GEMM on caches `c`: as
/// many as half of L2 holds [`DOT_L2_ROWS`] rows of, at least [`DOT_MAX_FLOOR`] and at most
/// [`DOT_MAX_CAP`]. The packing costs a share of the time that falls as `1/k` (each packed
/// element serves about `k` products), while the dot kernel reads `TJ` column segments from
/// L2 per step whatever `k` is and carries every pair's lanes from one block of rows to the
/// next, so it wins for narrow `X`, and for wider `X` the longer the blocks L2 lets it take.
/// One thread, `n x k` column-major, dot / packed: on an AMD EPYC Zen 3 (AVX2, 512 KiB L2;
/// useful GFLOP/s) k = 16 2.1-2.2x, 32 1.35-1.5x, 64 0.96-1.27x, 128 0.89-1.02x; on a Zen 4
/// EPYC (1 MiB L2; time of the packed path over the dot kernel's, three or four alternated
/// rounds) AVX-512 k = 64 1.40x, 96 1.31x (1.19x in a second run), 128 1.05x and 0.96x, 160
/// 1.10x and 1.03x, 256 0.81x; AVX2 (capped) 1.38x, 1.19x, 1.10x and 1.07x, 1.10x and 0.91x,
/// 0.77x: ahead to 96 columns, level from 128 to 160, behind at 256. The rule gives 64
/// columns on the Zen 3 (its measured crossover) and 128 on the Zen 4. A rule of the shape
/// and the caches, not a measurement, because the two paths round differently and a given
/// call must give the same bits on every run.
fn dot_max_columns(c: CacheSizes, bytes: usize) -> usize {
    (c.l2 / (2 * bytes.max(1) * DOT_L2_ROWS)).clamp(DOT_MAX_FLOOR, DOT_MAX_CAP)
}

/// Rows of the `k` columns that half of L2 must hold for [`dot_max_columns`].
const DOT_L2_ROWS: usize = 512;

/// Fewest columns [`dot_max_columns`] allows: the crossover measured on the smallest L2.
const DOT_MAX_FLOOR: usize = 64;

/// Most columns [`dot_max_columns`] allows: the widest `X` measured with the dot kernel
/// ahead or level (on the Zen 4 level to 160, behind at 256); no larger L2 was measured.
const DOT_MAX_CAP: usize = 128;

/// Fewest rows per block for the dot kernel: below this each tile's cost per block (its
/// lanes loaded and stored, its columns set up) outweighs the kernel's gain.
const DOT_MIN_ROWS: usize = 256;

/// Rows per block of the dot-product kernel for a column-major `n x k` `X` of `bytes`-sized
/// elements, or `None` where the packed GEMM is the better path: the block's `k` columns
/// take at most half of L2 (each tile streams its `j` columns from there, and the next
/// block arrives beside it) and the `l1_columns` the kernel holds at once
/// ([`gram_l1_columns`]: a band of `i` columns that every tile of the band reads, and one
/// tile's `j` columns streaming past it) fill at most two thirds of L1, in whole cache
/// lines. Why not all of L1: with the next block prefetched along the way, on a Zen 5 EPYC
/// (48 KiB L1d, 100000 x 64 from memory, one thread) 384-row blocks (62% of L1) ran at
/// 68-70 useful GFLOP/s and 576 (96%) at 60-64; from L3, 78 against 80.
fn dot_block_rows(c: CacheSizes, bytes: usize, k: usize, l1_columns: usize) -> Option<usize> {
    if k > dot_max_columns(c, bytes) {
        return None;
    }
    let l1_rows = c.l1d * 2 / 3 / (l1_columns * bytes);
    let l2_rows = c.l2 / (2 * k.max(1) * bytes);
    let rows = l1_rows.min(l2_rows) / 64 * 64;
    (rows >= DOT_MIN_ROWS).then_some(rows)
}

/// The lower triangle of `X^T X` (the rest stays zero): by the dot-product kernel, block by
/// block of rows, for a narrow column-major `X`; else by the register tiles of the packed
/// GEMM that reach the diagonal or below (tiles across the diagonal also write some
/// entries above it, which the caller overwrites by mirroring).
fn gram_lower<T: Scalar>(isa: Isa, kern: MicroKernel<T>, x: MatRef<'_, T>) -> Mat<T> {
    let (n, k) = (x.nrows(), x.ncols());
    let mut g = Mat::zeros(k, k);
    if !dot_add_lower(isa, x, &[], &mut g) && n > 0 && k > 0 {
        let mut gm = g.as_mut();
        let dest = Dest::lower_triangle(&mut gm, T::ONE, T::ZERO);
        gemm_core(
            kern,
            Operand::one(x.t()),
            Operand::one(x),
            &[dest],
            k,
            k,
            n,
            Par::Seq,
        );
    }
    g
}

/// Adds the lower triangle of `X^T X` to `g` by the dot-product kernel, block by block of
/// rows, when `X` is narrow and column-major (see [`dot_block_rows`]); else returns `false`
/// and leaves `g` as it is. `ahead` (empty, or `k` columns of equal length) is what the
/// caller reads next: its lines are prefetched in shares spread over the blocks, in place
/// of each block's own next rows.
fn dot_add_lower<T: Scalar>(isa: Isa, x: MatRef<'_, T>, ahead: &[&[T]], g: &mut Mat<T>) -> bool {
    let (n, k) = (x.nrows(), x.ncols());
    let columns: Option<Vec<&[T]>> = (0..k).map(|j| x.col_slice(j)).collect();
    let caches = CacheSizes::detect();
    let block = dot_block_rows(caches, T::BYTES, k, gram_l1_columns(isa));
    let (Some(block), Some(columns)) = (block, columns) else {
        return false;
    };
    let probe_rule = dot_block_rows(caches, 8, 64, gram_l1_columns(isa));
    let block = gram_blocks::block_rows(caches, isa, n, k, T::BYTES, block, probe_rule);
    if n <= block {
        // One block: no lanes to carry (the same bits as the blocked path below).
        gram_lower_add_ahead_with(isa, &columns, ahead, g.as_mut_slice());
        return true;
    }
    // Each block's per-lane sums carry over to the next (the first writes them), so the blocking
    // does not change the rounding (the bits of one call over the whole columns) and each
    // tile's lanes are summed once, at the end.
    let stride = x.col_stride() * T::BYTES;
    T::with_pack(gram_lanes_len(k), |lanes| {
        if spreads(caches.l2, caches.l2_ways, stride, k, block * T::BYTES) {
            gram_blocks::add_in_blocks(isa, &columns, block, ahead, lanes, g.as_mut_slice())
        } else {
            let ld = crate::padded_col_stride::<T>(block);
            let mut scratch = Mat::<T>::zeros(ld, k);
            let (scratch, g) = (scratch.as_mut_slice(), g.as_mut_slice());
            gram_blocks::add_in_blocks_copied(isa, &columns, block, ahead, lanes, g, scratch, ld)
        }
    });
    true
}

/// Adds the lower triangle (diagonal included) of `X^T X` to that of the `k x k` matrix
/// `g`, on the detected ISA, on the calling thread; the strict upper triangle of `g` is
/// left as it is.
///
/// For a caller that sums the Gram matrices of many blocks of rows (a block centered on
/// its own means, as PCA does): each block adds where the sum lies, with no `k x k`
/// matrix allocated, zeroed, mirrored and added per block. Same paths and rounding rules
/// as [`gram`], which starts from zero and mirrors the result.
///
/// # Panics
/// If `g` is not `k x k` for the `k` columns of `x`.
///
/// ```
/// use fast_math::{gram_add_lower, Mat};
/// let x = Mat::from_row_major(3, 2, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// let mut g = Mat::from_row_major(2, 2, &[1.0, -7.0, 0.0, 1.0]);
/// gram_add_lower(x.as_ref(), &mut g);
/// assert_eq!(g, Mat::from_row_major(2, 2, &[36.0, -7.0, 44.0, 57.0]));
/// ```
#[track_caller]
pub fn gram_add_lower<T: Scalar>(x: MatRef<'_, T>, g: &mut Mat<T>) {
    gram_add_lower_with(Isa::detect(), x, g);
}

/// [`gram_add_lower`] on one given ISA.
///
/// # Panics
/// As [`gram_add_lower`]; also if the CPU does not support `isa`.
#[track_caller]
pub fn gram_add_lower_with<T: Scalar>(isa: Isa, x: MatRef<'_, T>, g: &mut Mat<T>) {
    add_lower(isa, x, &[], g);
}

/// [`gram_add_lower_with`] that also asks the cache for `ahead`, the rows the caller reads
/// after this call (the same `k` columns), while it computes: their cache lines are
/// prefetched into L2 in shares spread over the call, so that they stream in from memory
/// under the arithmetic. For a caller that computes the Gram matrix of a block it has just
/// written, and so holds in cache (the centered copy of a block of rows of its data, as PCA
/// and ridge make), while the next block of its data is still in memory: reading the `k`
/// short column runs of a block of a tall column-major matrix cold measured about 10 GB/s
/// on a Zen 4 EPYC (100000 x 64, blocks of 1024 rows, one thread) against 26 GB/s for one
/// long run, because each run starts the hardware's prefetchers anew.
///
/// Same result, bit for bit, as [`gram_add_lower_with`]. Only the dot-product path
/// prefetches, and only an `ahead` whose columns are contiguous; otherwise `ahead` is
/// ignored.
///
/// # Panics
/// As [`gram_add_lower_with`]; also if `ahead` does not have the `k` columns of `x`.
///
/// ```
/// use fast_math::{gram_add_lower_ahead_with, gram_add_lower_with, Mat};
/// use simd_kernels::Isa;
/// let x = Mat::from_fn(1000, 8, |i, j| ((i * 7 + j) % 11) as f64);
/// let (block, rest) = (x.as_ref().submatrix(0, 0, 500, 8), x.as_ref().submatrix(500, 0, 500, 8));
/// let (mut g, mut want) = (Mat::zeros(8, 8), Mat::zeros(8, 8));
/// gram_add_lower_ahead_with(Isa::detect(), block, rest, &mut g);
/// gram_add_lower_with(Isa::detect(), block, &mut want);
/// assert_eq!(g, want);
/// ```
#[track_caller]
pub fn gram_add_lower_ahead_with<T: Scalar>(
    isa: Isa,
    x: MatRef<'_, T>,
    ahead: MatRef<'_, T>,
    g: &mut Mat<T>,
) {
    assert!(
        ahead.ncols() == x.ncols(),
        "gram_add_lower_ahead: ahead has {} columns, X has {}",
        ahead.ncols(),
        x.ncols()
    );
    let columns: Option<Vec<&[T]>> = (0..ahead.ncols()).map(|j| ahead.col_slice(j)).collect();
    let columns = columns.filter(|_| ahead.nrows() > 0).unwrap_or_default();
    add_lower(isa, x, &columns, g);
}

/// [`gram_add_lower_ahead_with`] with `ahead` as column slices (empty: none).
#[track_caller]
fn add_lower<T: Scalar>(isa: Isa, x: MatRef<'_, T>, ahead: &[&[T]], g: &mut Mat<T>) {
    assert!(
        isa.is_supported(),
        "gram_add_lower: this CPU does not support ISA {isa}"
    );
    let k = x.ncols();
    assert!(
        g.nrows() == k && g.ncols() == k,
        "gram_add_lower: output {}x{}, X has {k} columns",
        g.nrows(),
        g.ncols()
    );
    if !dot_add_lower(isa, x, ahead, g) {
        // The packed path writes whole register tiles across the diagonal, so it works on
        // a zeroed matrix of its own (its `k x k` is small beside the `n k k` flops of a
        // shape that takes it), and only the lower triangle is added.
        let part = gram_lower(isa, gram_kernel(isa, &x), x);
        for j in 0..k {
            for i in j..k {
                g[(i, j)] += part[(i, j)];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_area_counts_the_tiles_reaching_the_lower_triangle() {
        // One tile covers everything up to its size.
        assert_eq!(lower_tile_area(8, 6, 5), 48);
        // 64 x 64: AVX-512's 24 x 8 computes 3 + 6 + 8 tiles, its 16 x 8 2 + 4 + 6 + 8.
        assert_eq!(lower_tile_area(24, 8, 64), 17 * 192);
        assert_eq!(lower_tile_area(16, 8, 64), 20 * 128);
        assert_eq!(lower_tile_area(8, 6, 64), 51 * 48);
        assert_eq!(lower_tile_area(4, 6, 64), 96 * 24);
        // Brute force: a tile counts when any of its cells is on or below the diagonal.
        for (mr, nr) in [(24, 8), (16, 8), (8, 6), (4, 6), (4, 4), (48, 8)] {
            for k in 1usize..80 {
                let mut tiles = 0;
                for r in 0..k.div_ceil(mr) {
                    for p in 0..k.div_ceil(nr) {
                        let reaches = (r * mr..((r + 1) * mr).min(k))
                            .any(|i| (p * nr..((p + 1) * nr).min(k)).any(|j| j <= i));
                        tiles += usize::from(reaches);
                    }
                }
                assert_eq!(
                    lower_tile_area(mr, nr, k),
                    tiles * mr * nr,
                    "{mr}x{nr} k={k}"
                );
            }
        }
    }

    #[test]
    fn the_dot_kernel_takes_narrow_matrices_in_cache_sized_blocks() {
        use simd_kernels::cache::CacheSource;
        let zen3 = CacheSizes {
            l1d: 32 << 10,
            l1d_ways: 8,
            l2: 512 << 10,
            l2_ways: 8,
            l3: 32 << 20,
            source: CacheSource::Fallback,
        };
        // AVX2 (a band of 6 columns and 2 streaming): f64, 64 columns: half of L2 holds 512
        // rows; two thirds of L1 hold 341 rows of 8 columns, 320 in whole lines.
        let avx2 = gram_l1_columns(Isa::Avx2Fma);
        assert_eq!(avx2, 8);
        assert_eq!(dot_block_rows(zen3, 8, 64, avx2), Some(320));
        assert_eq!(dot_block_rows(zen3, 8, 16, avx2), Some(320));
        assert_eq!(dot_block_rows(zen3, 4, 16, avx2), Some(640));
        // Half of L2 holds 512 rows of up to 64 columns of f64.
        assert_eq!(dot_max_columns(zen3, 8), 64);
        assert_eq!(dot_block_rows(zen3, 8, 65, avx2), None);
        // A small L2 leaves too few rows per block: the packed GEMM.
        let small = CacheSizes {
            l2: 128 << 10,
            l2_ways: 8,
            ..zen3
        };
        assert_eq!(dot_block_rows(small, 8, 64, avx2), None);
        assert_eq!(dot_block_rows(small, 8, 32, avx2), Some(256));
        // AVX-512 on an Intel Xeon or a Zen 5 (48 KiB L1d): 6 + 4 columns, 409 -> 384 rows.
        let xeon = CacheSizes {
            l1d: 48 << 10,
            l1d_ways: 12,
            l2: 2 << 20,
            l2_ways: 16,
            l3: 480 << 20,
            source: CacheSource::Fallback,
        };
        assert_eq!(gram_l1_columns(Isa::Avx512), 10);
        assert_eq!(dot_block_rows(xeon, 8, 64, 10), Some(384));
        // The widest X the rule allows: 64 on a small L2, 128 on a Zen 4's 1 MiB and above.
        let zen4 = CacheSizes {
            l2: 1 << 20,
            ..zen3
        };
        assert_eq!(dot_max_columns(small, 8), 64);
        assert_eq!(dot_max_columns(zen4, 8), 128);
        assert_eq!(dot_max_columns(zen4, 4), 128);
        assert_eq!(dot_max_columns(xeon, 8), 128);
        assert_eq!(dot_block_rows(zen4, 8, 128, avx2), Some(320));
        assert_eq!(dot_block_rows(zen4, 8, 129, avx2), None);
    }

    #[test]
    fn the_blocks_of_rows_do_not_change_the_bits() {
        // Rows enough for several blocks on any cache sizes, not a multiple of any lane
        // count; values whose products round.
        let (n, k) = (20_003, 24);
        let x = Mat::from_fn(n, k, |i, j| ((i * 31 + j * 17) % 101) as f64 / 7.0 - 6.9);
        let cols: Vec<&[f64]> = x.as_slice().chunks_exact(n).collect();
        for isa in Isa::available() {
            let mut whole = vec![0.0f64; k * k];
            simd_kernels::gram_lower_add_with(isa, &cols, &mut whole);
            let g = gram_with(isa, x.as_ref(), Par::Seq);
            let mut added = Mat::zeros(k, k);
            gram_add_lower_with(isa, x.as_ref(), &mut added);
            for j in 0..k {
                for i in j..k {
                    assert_eq!(g[(i, j)].to_bits(), whole[i + j * k].to_bits(), "{isa}");
                    assert_eq!(added[(i, j)].to_bits(), whole[i + j * k].to_bits(), "{isa}");
                }
            }
        }
    }

    #[test]
    fn reading_ahead_does_not_change_the_bits() {
        let later = Mat::from_fn(50_000, 65, |i, j| ((i * 13 + j * 7) % 97) as f64 / 3.0);
        let later_t = later.transpose();
        // One block, several blocks (n above any machine's block), and the packed path.
        for (n, k) in [(300, 5), (20_003, 24), (9_000, 64), (300, 65), (0, 4)] {
            let x = Mat::from_fn(n, k, |i, j| ((i * 31 + j * 17) % 101) as f64 / 7.0 - 6.9);
            for isa in Isa::available() {
                let mut want = Mat::from_fn(k, k, |i, j| (i + 2 * j) as f64 / 8.0);
                let start = want.clone();
                gram_add_lower_with(isa, x.as_ref(), &mut want);
                // No rows, fewer rows than blocks, many more; and a strided view (no
                // prefetch).
                let aheads = [0, 3, 1000, 50_000]
                    .map(|rows| later.as_ref().submatrix(0, 0, rows, k))
                    .into_iter()
                    .chain([later_t.as_ref().t().submatrix(0, 0, 40, k)]);
                for ahead in aheads {
                    let mut g = start.clone();
                    gram_add_lower_ahead_with(isa, x.as_ref(), ahead, &mut g);
                    let bits = |m: &Mat<f64>| -> Vec<u64> {
                        m.as_slice().iter().map(|v| v.to_bits()).collect()
                    };
                    assert_eq!(
                        bits(&g),
                        bits(&want),
                        "{isa} {n}x{k}, {} rows ahead",
                        ahead.nrows()
                    );
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "gram_add_lower_ahead: ahead has 3 columns, X has 4")]
    fn reading_ahead_needs_the_columns_of_x() {
        let (x, ahead) = (Mat::<f64>::zeros(8, 4), Mat::<f64>::zeros(8, 3));
        gram_add_lower_ahead_with(
            Isa::Scalar,
            x.as_ref(),
            ahead.as_ref(),
            &mut Mat::zeros(4, 4),
        );
    }

    #[test]
    fn every_isa_and_width_gives_the_gram_matrix() {
        for isa in Isa::available() {
            // Column-major up to 64 columns takes the dot kernel (in blocks of rows when
            // there are more than a block), the rest and every row-major view the packed
            // GEMM.
            for (n, k) in [
                (300, 1),
                (300, 5),
                (300, 17),
                (300, 24),
                (300, 33),
                (3000, 64),
            ]
            .into_iter()
            .chain([(0, 4), (300, 65), (100, 100)])
            {
                let x = Mat::from_fn(n, k, |i, j| ((i * 7 + j * 13) % 23) as f64 - 11.0);
                let row_major: Vec<f64> = (0..n)
                    .flat_map(|i| (0..k).map(move |j| (i, j)))
                    .map(|(i, j)| x[(i, j)])
                    .collect();
                let views = [x.as_ref(), MatRef::from_row_major(&row_major, n, k)];
                for (layout, view) in ["column-major", "row-major"].iter().zip(views) {
                    let g = gram_with(isa, view, Par::Seq);
                    for a in 0..k {
                        for b in 0..k {
                            // Small integers: every sum is exact.
                            let want: f64 = (0..n).map(|i| x[(i, a)] * x[(i, b)]).sum();
                            assert_eq!(g[(a, b)], want, "{isa} {layout} n={n} k={k} ({a},{b})");
                        }
                    }
                }
            }
        }
    }
}
