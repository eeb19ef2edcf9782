//! The Gram matrix `X^T X`: the packed GEMM of `X^T` by `X`, computing only the register
//! tiles that reach the lower triangle.

use super::{gemm_core, Dest, Operand};
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
    let kern = MicroKernel::<T>::new(isa, KernelShape::Wide);
    let (n, k) = (x.nrows(), x.ncols());
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
