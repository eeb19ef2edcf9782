//! Packed GEMM (the Goto/BLIS scheme) on the register micro-kernels of
//! [`simd_kernels::gemm`].
//!
//! Five loops surround the micro-kernel: `jc` over `NC`-column blocks of `B` and `C`, `pc`
//! over `KC`-deep slices (the packed `KC x NC` block of `B` stays in L3), `ic` over
//! `MC`-row blocks of `A` (the packed `MC x KC` block of `A` stays in L2), `jr` over
//! `NR`-column micro-panels of `B` (one stays in L1), and `ir` over `MR`-row micro-panels of
//! `A`. Packing copies operands into panel order and zero-pads the edges, so the
//! micro-kernel never sees a partial panel; alpha and beta are applied in its store.
//!
//! One concern per module: `blocking` sizes the blocks, `pack` forms the panels (and the
//! operand sums of Strassen's last level), `loops` runs the five loops, `tile` the register
//! tile that ends them, `gram` is the symmetric `X^T X` on the same micro-kernels,
//! `prepacked` keeps a left operand packed for many products, `flipped` computes a
//! transposed `A` by a narrow `B` as its transpose, `A` read in place. This module holds the
//! public entry points and the layout decisions made before the loops start. Which
//! algorithm multiplies is not decided here: [`matmul`](crate::matmul()) plans that.
//!
//! Every layout of `A` runs on the ISA's own tiles. On a Zen 4, which executes AVX-512 in
//! two 256-bit halves, a row-major (transposed) `A` once took AVX2's 8 x 6 tile, whose
//! 8-row panels were cheaper to gather than 24 rows in lockstep. Since packing gathers by
//! register transposes (`simd_kernels::interleave_rows_with`), AVX-512's tiles measured as
//! fast or faster on the same Zen 4 EPYC (one thread, five or six alternated rounds,
//! median time with AVX2's tiles over AVX-512's): `X^T B` for `X` of 10000 x 2000 by 60
//! columns (the randomized SVD's `A^T Y`) 1.28x, 1024^3 1.17x, 100000 x 64 by 64 columns
//! 1.13x, 20000 x 500 by 60 columns 1.07x, 100000 x 64 by 8 columns level (0.99x); the
//! packed Gram matrix of 100000 x 128 1.20x and of 20000 x 256 1.08x; the randomized SVD
//! of 10000 x 2000 at rank 50 1.09x.

mod blocking;
mod flipped;
mod gemv;
mod gram;
mod gram_blocks;
mod loops;
mod pack;
mod prepacked;
mod sets;
mod tile;

pub use blocking::{blocking, blocking_for_caches, Blocking};
pub(crate) use gemv::gemv_into;
pub use gram::{gram, gram_add_lower, gram_add_lower_ahead_with, gram_add_lower_with, gram_with};
pub(crate) use loops::gemm_core;
use loops::scale_in_place;
pub(crate) use pack::Operand;
pub use prepacked::{gemm_prepacked, PackedLhs};
pub(crate) use tile::Dest;

use crate::{MatMut, MatRef, Par, Scalar};
use simd_kernels::gemm::{KernelShape, MicroKernel};
use simd_kernels::Isa;

/// `C <- alpha * A * B + beta * C` on the detected ISA.
///
/// Follows BLAS: with `beta == 0`, `C` is overwritten and its old contents (even NaN) are
/// never read; with `alpha == 0` or an inner dimension of 0, `A` and `B` are not read.
/// Any strides work for every operand (column-major, row-major, transposed, sub-views);
/// column-major `C` is fastest, and row-major `C` is handled as the transposed product.
///
/// Error: each element satisfies `|c - c_exact| <= k * eps * (|alpha| * (|A| |B|)_ij) +
/// eps * |beta c_ij|` to first order (blocked sums with FMA; `k` the inner dimension).
/// For a given ISA, tile shape and thread count, results are reproducible; they differ
/// between ISAs in rounding only.
///
/// # Panics
/// If the shapes do not conform (`A` is `m x k`, `B` is `k x n`, `C` is `m x n`); the
/// message names all three shapes.
///
/// ```
/// use fast_math::{gemm, Mat, Par};
/// let a = Mat::from_row_major(2, 2, &[1.0, 2.0, 3.0, 4.0]);
/// let b = Mat::<f64>::identity(2);
/// let mut c = Mat::filled(2, 2, f64::NAN);
/// gemm(2.0, a.as_ref(), b.as_ref(), 0.0, c.as_mut(), Par::Seq);
/// assert_eq!(c, Mat::from_row_major(2, 2, &[2.0, 4.0, 6.0, 8.0]));
/// ```
#[track_caller]
pub fn gemm<T: Scalar>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
    par: Par,
) {
    gemm_with(Isa::detect(), alpha, a, b, beta, c, par)
}

/// [`gemm`] on one given ISA.
///
/// # Panics
/// If the shapes do not conform, or the CPU does not support `isa`.
#[track_caller]
pub fn gemm_with<T: Scalar>(
    isa: Isa,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
    par: Par,
) {
    check_shapes("gemm", &a, &b, &c);
    let kern = MicroKernel::<T>::new(isa, KernelShape::Wide);
    gemm_kernel(kern, alpha, a, b, beta, c, par);
}

#[track_caller]
pub(crate) fn check_shapes<T: Scalar>(
    what: &str,
    a: &MatRef<'_, T>,
    b: &MatRef<'_, T>,
    c: &MatMut<'_, T>,
) {
    check_dims(
        what,
        (a.nrows(), a.ncols()),
        (b.nrows(), b.ncols()),
        (c.nrows(), c.ncols()),
    )
}

/// [`check_shapes`] on `(rows, columns)` pairs, for operands that are not views.
#[track_caller]
fn check_dims(what: &str, a: (usize, usize), b: (usize, usize), c: (usize, usize)) {
    if a.1 != b.0 || a.0 != c.0 || b.1 != c.1 {
        shape_mismatch(what, a, b, c)
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn shape_mismatch(what: &str, a: (usize, usize), b: (usize, usize), c: (usize, usize)) -> ! {
    panic!(
        "{what}: shapes do not conform: A is {}x{}, B is {}x{}, C is {}x{} \
         (need A m x k, B k x n, C m x n)",
        a.0, a.1, b.0, b.1, c.0, c.1
    )
}

/// The driver on an already selected kernel (shapes already checked).
pub(crate) fn gemm_kernel<T: Scalar>(
    kern: MicroKernel<T>,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    mut c: MatMut<'_, T>,
    par: Par,
) {
    let (m, n, k) = (c.nrows(), c.ncols(), a.ncols());
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 || alpha == T::ZERO {
        scale_in_place(beta, &mut c);
        return;
    }
    // The kernel's fast store wants unit row stride: a row-major C is C^T = B^T A^T.
    if c.row_stride() != 1 && c.col_stride() == 1 && m > 1 {
        gemm_kernel(kern, alpha, b.t(), a.t(), beta, c.t(), par);
        return;
    }
    // One column (or, transposed, one row): nothing for packing to reuse.
    if n == 1 && gemv::one_column(kern.isa(), alpha, a, b, beta, &mut c) {
        return;
    }
    if m == 1 && gemv::one_column(kern.isa(), alpha, b.t(), a.t(), beta, &mut c.as_mut().t()) {
        return;
    }
    // A transposed column-major A by a narrow B: C^T = B^T A^T, with A^T read in place.
    if flipped::applies(&kern, &a, (m, n, k)) {
        flipped::gemm_flipped(kern, alpha, a, b, beta, &mut c, par);
        return;
    }
    let dest = Dest::new(&mut c, alpha, beta);
    gemm_core(
        kern,
        Operand::one(a),
        Operand::one(b),
        &[dest],
        m,
        n,
        k,
        par,
    );
}
