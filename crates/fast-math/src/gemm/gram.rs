//! The Gram matrix `X^T X`: the packed GEMM of `X^T` by `X`, computing only the register
//! tiles that reach the lower triangle.

use super::{gemm_core, tile_isa, Dest, Operand};
use crate::par::run_in;
use crate::{Mat, MatRef, Par, Scalar};
use rayon::prelude::*;
use simd_kernels::gemm::{KernelShape, MicroKernel};
use simd_kernels::Isa;

/// The Gram matrix `X^T X` (`k x k` for an `n x k` matrix `X`), on the detected ISA.
///
/// It is the packed GEMM of `X^T` by `X` (the same five loops, packing and micro-kernel
/// as [`gemm`](crate::gemm())), with the register tiles wholly above the diagonal skipped,
/// then mirrored: about `n * k * k` flops instead of the `2 n k k` of a general product, and
/// the result is exactly symmetric. Both packed operands come from the same rows of `X`
/// (`X^T` is packed along `MR` columns of `X` in lockstep, `X` down its columns), so a
/// tall `X` is read from memory once per `KC` rows and served from cache the second time.
/// With `Par::Rayon(t)`, contiguous row ranges go to the threads and their partial
/// products are summed.
///
/// Error: as [`gemm`](crate::gemm()), with inner dimension `n`.
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
        gram_lower(kern, x)
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
                    gram_lower(kern, x.submatrix(r0, 0, r1 - r0, k))
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
///
/// The ISA's tiles are those of [`tile_isa`] for the left operand `X^T` (row-major when `X`
/// is column-major): on a CPU that runs AVX-512 in halves, AVX2's.
fn gram_kernel<T: Scalar>(isa: Isa, x: &MatRef<'_, T>) -> MicroKernel<T> {
    let isa = tile_isa(isa, &x.t());
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

/// The register tiles of `X^T X` that reach the diagonal or below (the rest stay zero).
fn gram_lower<T: Scalar>(kern: MicroKernel<T>, x: MatRef<'_, T>) -> Mat<T> {
    let (n, k) = (x.nrows(), x.ncols());
    let mut g = Mat::zeros(k, k);
    if n > 0 && k > 0 {
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
    fn every_isa_and_width_gives_the_gram_matrix() {
        for isa in Isa::available() {
            for k in [1, 5, 17, 24, 33, 64] {
                let n = 300;
                let x = Mat::from_fn(n, k, |i, j| ((i * 7 + j * 13) % 23) as f64 - 11.0);
                let g = gram_with(isa, x.as_ref(), Par::Seq);
                for a in 0..k {
                    for b in 0..k {
                        // Small integers: every sum is exact.
                        let want: f64 = (0..n).map(|i| x[(i, a)] * x[(i, b)]).sum();
                        assert_eq!(g[(a, b)], want, "{isa} k={k} ({a},{b})");
                    }
                }
            }
        }
    }
}
