//! The lower triangle of a Gram matrix `X^T X` of column-major data, by dot products of its
//! columns read in place (no packing): the kernel of the tall and narrow Gram matrices of
//! ridge, PCA and logistic regression. See `generic::gram` for the register tile.

use crate::float::Float;
use crate::isa::Isa;

/// Columns the kernel on `isa` keeps in L1 at once: a band of register tiles (read once per
/// tile of the band) and the columns of one tile streaming past it. A caller blocking the
/// rows keeps `gram_l1_columns(isa) * rows` elements within L1.
pub fn gram_l1_columns(isa: Isa) -> usize {
    use crate::generic::gram::{tile_j, TI};
    let registers = match isa {
        Isa::Avx512 => 32,
        Isa::Avx2Fma | Isa::Scalar => 16,
    };
    TI + tile_j(registers)
}

/// Adds the Gram matrix of the columns `cols` (all of one length, the rows) to the lower
/// triangle of the `k x k` column-major `g` (`k = cols.len()`):
/// `g[i + j * k] += sum_r cols[i][r] * cols[j][r]` for `i >= j`. The strict upper triangle
/// of `g` is left as it is.
///
/// Numerics: each entry is a dot product of two columns, summed in `LANES` partial sums
/// (row `r` into lane `r % LANES`) combined pairwise, then the leftover rows in order; so,
/// as for [`dot`](crate::dot), the rounding depends on the ISA and is reproducible for a
/// given one (error at most `rows * eps * sum |x_ri x_rj|`, first order).
///
/// # Panics
/// If the columns differ in length, or `g.len() != k * k`; the message names the sizes.
///
/// ```
/// use simd_kernels::gram_lower_add;
/// let (a, b) = ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]);
/// let mut g = [0.0; 4];
/// gram_lower_add(&[&a, &b], &mut g);
/// assert_eq!(g, [14.0, 32.0, 0.0, 77.0]); // the upper entry g[(0, 1)] is untouched
/// ```
#[inline]
#[track_caller]
pub fn gram_lower_add<T: Float>(cols: &[&[T]], g: &mut [T]) {
    gram_lower_add_with(Isa::detect(), cols, g)
}

/// [`gram_lower_add`] on one given ISA.
///
/// # Panics
/// As [`gram_lower_add`]; also if the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn gram_lower_add_with<T: Float>(isa: Isa, cols: &[&[T]], g: &mut [T]) {
    check_columns("gram_lower_add", cols);
    check_output("gram_lower_add", cols.len(), g);
    T::gram_lower_lanes_kernel(isa, cols, &[], None, false, Some(g))
}

/// [`gram_lower_add_with`] that also asks the cache for `next`, the columns the caller
/// reads after this call, a share of their cache lines per register tile, so that they
/// arrive in L2 spread over the call's time (see [`gram_lanes_add_with`]). For a caller
/// that computes the Gram matrix of a block it has just written (in cache) while the next
/// block of its input streams in from memory. The result is bit for bit that of
/// [`gram_lower_add_with`].
///
/// # Panics
/// As [`gram_lower_add_with`]; also if `next` is neither empty nor as many columns of
/// equal length.
///
/// ```
/// use simd_kernels::{gram_lower_add_ahead_with, gram_lower_add_with, Isa};
/// let (a, b) = ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]);
/// let (c, d) = ([7.0, 8.0], [9.0, 10.0]); // read by the caller next
/// let (mut g, mut want) = ([0.0; 4], [0.0; 4]);
/// gram_lower_add_ahead_with(Isa::detect(), &[&a, &b], &[&c, &d], &mut g);
/// gram_lower_add_with(Isa::detect(), &[&a, &b], &mut want);
/// assert_eq!(g, want);
/// ```
#[inline]
#[track_caller]
pub fn gram_lower_add_ahead_with<T: Float>(isa: Isa, cols: &[&[T]], next: &[&[T]], g: &mut [T]) {
    check_columns("gram_lower_add_ahead", cols);
    check_columns("gram_lower_add_ahead (next)", next);
    check_next("gram_lower_add_ahead", cols.len(), next);
    check_output("gram_lower_add_ahead", cols.len(), g);
    T::gram_lower_lanes_kernel(isa, cols, next, None, false, Some(g))
}

/// Rows that every block but the last given to [`gram_lanes_add_with`] holds a multiple
/// of: the most lanes of any ISA, so each row lands in the same lane whatever the blocks.
pub const GRAM_BLOCK_ROWS_MULTIPLE: usize = crate::generic::gram::PAIR_STRIDE;

/// Elements of the lane buffer [`gram_lanes_add_with`] carries between the blocks of the
/// rows of `k` columns (per pair of the lower triangle, a slot of the most lanes of any ISA).
pub fn gram_lanes_len(k: usize) -> usize {
    k * (k + 1) / 2 * crate::generic::gram::PAIR_STRIDE
}

/// [`gram_lower_add`] of columns whose rows come block by block: each block's products are
/// added to the per-lane partial sums held in `lanes` ([`gram_lanes_len`] elements; with
/// `first`, the first block, they are written before they are read, so the buffer need not
/// be zeroed), and with `finish` (the last block) each
/// pair's lanes are summed and added to the lower triangle of the `k x k` `finish`.
///
/// A caller blocks the rows so that they stay in cache while every tile of the lower
/// triangle reads them, without paying one reduction of every tile's lanes per block, and
/// without the blocking changing the rounding: the result is the same bits as one
/// [`gram_lower_add_with`] over the whole columns on the same ISA.
///
/// `next`, the same columns' next block (or empty), is prefetched into L2 while this block
/// is computed, a share of its cache lines per register tile: a column-major matrix blocked
/// by rows is `k` short streams per block, one per column, which the hardware's
/// prefetchers pick up late (on a Zen 5, 100000 x 64 from memory ran at 0.65x the rate of
/// the same rows from L3 without it). It changes the timing only, never the result.
///
/// # Panics
/// If the columns differ in length, `next` is neither empty nor as many columns of equal
/// length, `lanes` or `finish` has the wrong length, a block before the last does not hold
/// a multiple of [`GRAM_BLOCK_ROWS_MULTIPLE`] rows, or the CPU does not support `isa`.
///
/// ```
/// use simd_kernels::{gram_lanes_add_with, gram_lanes_len, Isa};
/// let a: Vec<f64> = (0..40).map(|i| i as f64 * 0.1).collect();
/// let b: Vec<f64> = a.iter().map(|x| 1.0 - x).collect();
/// let isa = Isa::detect();
/// let mut lanes = vec![f64::NAN; gram_lanes_len(2)]; // written by the first block
/// let mut g = [0.0; 4];
/// // 32 rows, then the last 8.
/// let (head, tail) = ([&a[..32], &b[..32]], [&a[32..], &b[32..]]);
/// gram_lanes_add_with(isa, &head, &tail, &mut lanes, true, None);
/// gram_lanes_add_with(isa, &tail, &[], &mut lanes, false, Some(&mut g));
/// let mut whole = [0.0; 4];
/// simd_kernels::gram_lower_add_with(isa, &[&a, &b], &mut whole);
/// assert_eq!(g, whole);
/// ```
#[inline]
#[track_caller]
pub fn gram_lanes_add_with<T: Float>(
    isa: Isa,
    cols: &[&[T]],
    next: &[&[T]],
    lanes: &mut [T],
    first: bool,
    finish: Option<&mut [T]>,
) {
    check_columns("gram_lanes_add", cols);
    check_columns("gram_lanes_add (next block)", next);
    let k = cols.len();
    check_next("gram_lanes_add", k, next);
    if lanes.len() != gram_lanes_len(k) {
        panic!(
            "gram_lanes_add: lanes hold {} elements, {k} columns need {}",
            lanes.len(),
            gram_lanes_len(k)
        );
    }
    let rows = cols.first().map_or(0, |c| c.len());
    match &finish {
        Some(g) => check_output("gram_lanes_add", k, g),
        None if !rows.is_multiple_of(GRAM_BLOCK_ROWS_MULTIPLE) => panic!(
            "gram_lanes_add: a block before the last holds {rows} rows, not a multiple of \
             {GRAM_BLOCK_ROWS_MULTIPLE}"
        ),
        None => {}
    }
    T::gram_lower_lanes_kernel(isa, cols, next, Some(lanes), !first, finish)
}

/// `next` is empty or has the `k` columns of the block.
#[track_caller]
fn check_next<T>(what: &str, k: usize, next: &[&[T]]) {
    if !next.is_empty() && next.len() != k {
        panic!(
            "{what}: the next block has {} columns, this one {k}",
            next.len()
        );
    }
}

#[track_caller]
fn check_output<T>(what: &str, k: usize, g: &[T]) {
    if k.checked_mul(k) != Some(g.len()) {
        panic!(
            "{what}: g holds {} elements, {k} columns need k * k",
            g.len()
        );
    }
}

#[track_caller]
fn check_columns<T>(what: &str, cols: &[&[T]]) {
    if let Some(first) = cols.first() {
        if let Some((j, c)) = cols
            .iter()
            .enumerate()
            .find(|(_, c)| c.len() != first.len())
        {
            panic!(
                "{what}: column {j} has {} rows, column 0 has {}",
                c.len(),
                first.len()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small integers: every product and sum is exact, so any summation order agrees.
    fn int_data(len: usize, seed: usize) -> Vec<f64> {
        (0..len)
            .map(|i| ((i * 7 + seed * 13) % 23) as f64 - 11.0)
            .collect()
    }

    /// Xorshift values in `[-shift, 1 - shift)`: products and sums that round.
    fn random_data(len: usize, mut s: u64, shift: f64) -> Vec<f64> {
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 11) as f64 / (1u64 << 53) as f64 - shift
            })
            .collect()
    }

    fn reference(x: &[f64], rows: usize, k: usize, ld: usize) -> Vec<f64> {
        let mut g = vec![0.0; k * k];
        for j in 0..k {
            for i in j..k {
                g[i + j * k] = (0..rows).map(|r| x[r + i * ld] * x[r + j * ld]).sum();
            }
        }
        g
    }

    fn columns<T>(x: &[T], rows: usize, k: usize, ld: usize) -> Vec<&[T]> {
        (0..k).map(|c| &x[c * ld..c * ld + rows]).collect()
    }

    #[test]
    fn every_isa_gives_the_exact_lower_triangle_and_leaves_the_upper_alone() {
        for isa in Isa::available() {
            for k in (0..=10).chain([13, 17, 64]) {
                for rows in (0..=9).chain([15, 16, 17, 31, 100, 257]) {
                    for pad in [0, 3] {
                        let ld = rows + pad;
                        let x = int_data((k * ld).max(1), k + rows);
                        let want = reference(&x, rows, k, ld);
                        // Start from a non-zero g: the kernel adds.
                        let mut g: Vec<f64> = (0..k * k).map(|v| v as f64 + 0.5).collect();
                        gram_lower_add_with(isa, &columns(&x, rows, k, ld), &mut g);
                        for j in 0..k {
                            for i in 0..k {
                                let start = (i + j * k) as f64 + 0.5;
                                let expect = if i >= j {
                                    start + want[i + j * k]
                                } else {
                                    start
                                };
                                assert_eq!(
                                    g[i + j * k],
                                    expect,
                                    "{isa} k={k} rows={rows} ld={ld} ({i},{j})"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_isa_is_within_the_dot_product_bound_on_random_data() {
        let (rows, k) = (1001, 11);
        let x = random_data(rows * k, 0x9E37_79B9_7F4A_7C15, 0.3);
        for isa in Isa::available() {
            let mut g = vec![0.0; k * k];
            gram_lower_add_with(isa, &columns(&x, rows, k, rows), &mut g);
            for j in 0..k {
                for i in j..k {
                    let (a, b) = (&x[i * rows..][..rows], &x[j * rows..][..rows]);
                    let exact: f64 = a.iter().zip(b).map(|(p, q)| p * q).sum();
                    let scale: f64 = a.iter().zip(b).map(|(p, q)| (p * q).abs()).sum();
                    let bound = rows as f64 * f64::EPSILON * scale;
                    assert!((g[i + j * k] - exact).abs() <= bound, "{isa} ({i},{j})");
                }
            }
        }
    }

    #[test]
    fn blocks_carried_in_lanes_give_the_bits_of_one_call() {
        let (rows, k) = (403, 13);
        let x = random_data(rows * k, 0x2545_F491_4F6C_DD1D, 0.45);
        let cols = columns(&x, rows, k, rows);
        for isa in Isa::available() {
            let mut whole = vec![0.25; k * k];
            gram_lower_add_with(isa, &cols, &mut whole);
            // Splits into blocks of multiples of 16 rows, the last one ragged or empty.
            let blocks = [16, 48, 64, 400, 403];
            for (block, ahead) in blocks.into_iter().flat_map(|b| [(b, false), (b, true)]) {
                for bounds in [vec![block], vec![block, rows - rows % 16]] {
                    let mut cuts: Vec<usize> = (block..rows).step_by(bounds[0]).collect();
                    cuts.extend(bounds.get(1).filter(|&&c| c > *cuts.last().unwrap_or(&0)));
                    cuts.push(rows);
                    let parts: Vec<Vec<&[f64]>> = [0]
                        .iter()
                        .chain(&cuts)
                        .zip(&cuts)
                        .map(|(&r0, &r1)| cols.iter().map(|c| &c[r0..r1]).collect())
                        .collect();
                    // Garbage before the first block: it writes before it reads.
                    let mut lanes = vec![f64::NAN; gram_lanes_len(k)];
                    let mut g = vec![0.25; k * k];
                    for (b, part) in parts.iter().enumerate() {
                        // Reading the next block ahead changes nothing but the timing.
                        let next = match parts.get(b + 1) {
                            Some(next) if ahead => &next[..],
                            _ => &[],
                        };
                        let last = (b + 1 == parts.len()).then_some(&mut g[..]);
                        gram_lanes_add_with(isa, part, next, &mut lanes, b == 0, last);
                    }
                    assert_eq!(g, whole, "{isa} cuts {cuts:?} ahead {ahead}");
                }
            }
            // The rows end with a whole block; the last call brings no rows.
            let head: Vec<&[f64]> = cols.iter().map(|c| &c[..400]).collect();
            let empty: Vec<&[f64]> = cols.iter().map(|c| &c[400..400]).collect();
            let mut whole = vec![0.0; k * k];
            gram_lower_add_with(isa, &head, &mut whole);
            let (mut lanes, mut g) = (vec![0.0; gram_lanes_len(k)], vec![0.0; k * k]);
            gram_lanes_add_with(isa, &head, &empty, &mut lanes, true, None);
            gram_lanes_add_with(isa, &empty, &[], &mut lanes, false, Some(&mut g));
            assert_eq!(g, whole, "{isa} empty last block");
        }
    }

    #[test]
    fn reading_ahead_gives_the_bits_of_one_call() {
        let (rows, k) = (403, 13);
        let x = random_data(rows * k, 0x9E37_79B9_7F4A_7C15, 0.45);
        let cols = columns(&x, rows, k, rows);
        let later = random_data(1000 * k, 0x2545_F491_4F6C_DD1D, 0.45);
        let later = columns(&later, 1000, k, 1000);
        for isa in Isa::available() {
            let mut want = vec![0.25; k * k];
            gram_lower_add_with(isa, &cols, &mut want);
            // Next blocks shorter and longer than this one, down to no rows or none at all.
            for len in [None, Some(0), Some(1), Some(8), Some(403), Some(1000)] {
                let next: Vec<&[f64]> = match len {
                    Some(len) => later.iter().map(|c| &c[..len]).collect(),
                    None => Vec::new(),
                };
                let mut g = vec![0.25; k * k];
                gram_lower_add_ahead_with(isa, &cols, &next, &mut g);
                assert_eq!(g, want, "{isa} next of {len:?} rows");
            }
        }
    }

    #[test]
    #[should_panic(expected = "gram_lower_add_ahead: the next block has 1 columns, this one 2")]
    fn a_next_block_of_other_columns_is_refused_in_one_call_too() {
        let c = [0.0; 16];
        gram_lower_add_ahead_with(Isa::Scalar, &[&c, &c], &[&c], &mut [0.0; 4]);
    }

    #[test]
    #[should_panic(expected = "a block before the last holds 20 rows")]
    fn a_ragged_block_before_the_last_is_refused() {
        let c = [0.0; 20];
        let mut lanes = vec![0.0; gram_lanes_len(1)];
        gram_lanes_add_with(Isa::Scalar, &[&c[..]], &[], &mut lanes, true, None);
    }

    #[test]
    #[should_panic(expected = "the next block has 1 columns, this one 2")]
    fn a_next_block_of_other_columns_is_refused() {
        let c = [0.0; 16];
        let mut lanes = vec![0.0; gram_lanes_len(2)];
        gram_lanes_add_with(Isa::Scalar, &[&c, &c], &[&c], &mut lanes, true, None);
    }

    #[test]
    fn f32_matches_the_exact_integer_result() {
        let (rows, k) = (70, 5);
        let x: Vec<f32> = int_data(rows * k, 1).iter().map(|&v| v as f32).collect();
        let want = reference(
            &x.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
            rows,
            k,
            rows,
        );
        for isa in Isa::available() {
            let mut g = vec![0.0f32; k * k];
            gram_lower_add_with(isa, &columns(&x, rows, k, rows), &mut g);
            for j in 0..k {
                for i in j..k {
                    assert_eq!(f64::from(g[i + j * k]), want[i + j * k], "{isa} ({i},{j})");
                }
            }
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_l1_columns_follow_each_isa_tile() {
        use crate::generic::gram::{tile_j, TI};
        use crate::simd::Simd;
        let wide = <crate::arch::avx512::Avx512 as Simd<f64>>::REGISTERS;
        let narrow = <crate::arch::avx2::Avx2Fma as Simd<f64>>::REGISTERS;
        assert_eq!(gram_l1_columns(Isa::Avx512), TI + tile_j(wide));
        assert_eq!(gram_l1_columns(Isa::Avx2Fma), TI + tile_j(narrow));
        assert_eq!(
            (gram_l1_columns(Isa::Avx512), gram_l1_columns(Isa::Scalar)),
            (10, 8)
        );
    }

    #[test]
    #[should_panic(expected = "column 2 has 2 rows, column 0 has 3")]
    fn columns_of_different_lengths_are_refused() {
        gram_lower_add(&[&[0.0; 3][..], &[0.0; 3], &[0.0; 2]], &mut [0.0; 9]);
    }

    #[test]
    #[should_panic(expected = "g holds 3 elements, 2 columns need k * k")]
    fn a_wrong_size_g_is_refused() {
        gram_lower_add(&[&[0.0; 3][..], &[0.0; 3]], &mut [0.0; 3]);
    }
}
