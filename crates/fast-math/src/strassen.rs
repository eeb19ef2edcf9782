//! Strassen–Winograd matrix multiplication over the packed classical [`gemm`](crate::gemm()).
//!
//! One level splits each operand into 2 x 2 blocks and forms the product from 7 block
//! products instead of 8. The last (usually only) level is the "ABC" form of Huang, Smith,
//! Henry and van de Geijn ("Strassen's algorithm reloaded", SC16): the operand sums
//! (`A11 + A22`, ...) are formed while packing panels for the classical GEMM, and each
//! block product is added straight into its one or two quadrants of `C`, so that level
//! needs no temporary matrices and no extra passes over memory. Levels above it (when
//! `max_depth > 1`) use Winograd's variant with four quarter-size temporaries and 15 block
//! additions. Odd dimensions are peeled (the even part goes through Strassen, the last row,
//! column and rank-1 remainder through classical GEMM). Recursion stops at
//! [`StrassenConfig::cutoff`] or [`StrassenConfig::max_depth`]; block products are threaded
//! as `par` says.
//!
//! # Error bound
//! Strassen is stable normwise, not componentwise (Higham, *Accuracy and Stability of
//! Numerical Algorithms*, ch. 23): its worst-case constant grows by roughly 3x per level
//! over classical GEMM. With `d` levels applied and inner dimension `k`, this
//! implementation guarantees (and its tests check, against a compensated reference)
//!
//! `max_ij |C - C_exact| <= 3^d * k * eps * max|A| * max|B|`
//!
//! ([`ERROR_GROWTH_PER_LEVEL`]` = 3`), and an observed error within `2 * 3^d` times that of
//! classical GEMM on the same data (measured: 1.3-2.8x at one level, 5-10x at three).
//! Unlike classical GEMM, a small element of `C` can carry an error relative to the
//! largest elements of `A` and `B`, not to its own `(|A||B|)_ij`.

use crate::gemm::{check_shapes, gemm_core, gemm_with as classical, Dest, Operand};
use crate::par::run_in;
use crate::{Mat, MatMut, MatRef, Par, Scalar};
use rayon::prelude::*;
use simd_kernels::gemm::{KernelShape, MicroKernel};
use simd_kernels::Isa;

/// The default cutoff of [`StrassenConfig`]: the crossover measured on an AVX-512 Xeon (f64,
/// one thread, `cargo bench -p benches --bench math -- summary`: 0.91x classical at n =
/// 2048, 1.01x at 3072, 1.07-1.09x at 4096). It is not universal: on an AVX2 AMD EPYC one
/// level was still 0.97-0.98x at 4096, which is why [`matmul`](crate::matmul()) uses
/// Strassen only when the process opts in ([`STRASSEN_CUTOFF_ENV`](crate::STRASSEN_CUTOFF_ENV)).
pub const CROSSOVER: usize = 4096;

/// Factor by which the documented normwise error bound grows per recursion level.
pub const ERROR_GROWTH_PER_LEVEL: f64 = 3.0;

/// When to recurse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StrassenConfig {
    /// Apply a Strassen level only while `min(m, k, n)` is at least this; smaller blocks use
    /// classical GEMM.
    pub cutoff: usize,
    /// Most recursion levels.
    pub max_depth: usize,
}

impl Default for StrassenConfig {
    /// `cutoff = CROSSOVER`, `max_depth = 2`.
    fn default() -> Self {
        StrassenConfig {
            cutoff: CROSSOVER,
            max_depth: 2,
        }
    }
}

/// `C <- alpha * A * B + beta * C` by Strassen–Winograd (on the detected ISA).
///
/// Same contract as [`gemm`](crate::gemm()) (BLAS `beta == 0` semantics included), with the
/// weaker normwise error bound of the module docs.
///
/// # Panics
/// If the shapes do not conform; the message names all three shapes.
#[track_caller]
pub fn gemm<T: Scalar>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
    par: Par,
    cfg: StrassenConfig,
) {
    gemm_with(Isa::detect(), alpha, a, b, beta, c, par, cfg)
}

/// [`gemm`] on one given ISA.
///
/// # Panics
/// If the shapes do not conform, or the CPU does not support `isa`.
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn gemm_with<T: Scalar>(
    isa: Isa,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    mut c: MatMut<'_, T>,
    par: Par,
    cfg: StrassenConfig,
) {
    check_shapes("strassen::gemm", &a, &b, &c);
    assert!(
        isa.is_supported(),
        "strassen::gemm: this CPU does not support ISA {isa}"
    );
    let (m, n, k) = (a.nrows(), b.ncols(), a.ncols());
    if !applies(m, n, k, 0, cfg) {
        classical(isa, alpha, a, b, beta, c, par);
        return;
    }
    // The block additions run over contiguous columns: make the operands column-major.
    let a_own;
    let a = if a.row_stride() == 1 {
        a
    } else {
        a_own = a.to_owned();
        a_own.as_ref()
    };
    let b_own;
    let b = if b.row_stride() == 1 {
        b
    } else {
        b_own = b.to_owned();
        b_own.as_ref()
    };
    if alpha == T::ONE && beta == T::ZERO && c.row_stride() == 1 {
        product(isa, a, b, c, par, cfg, 0);
        return;
    }
    let mut p = Mat::zeros(m, n);
    product(isa, a, b, p.as_mut(), par, cfg, 0);
    let beta_zero = beta == T::ZERO;
    for j in 0..n {
        for i in 0..m {
            let old = if beta_zero {
                T::ZERO
            } else {
                beta * c.get(i, j)
            };
            c.set(i, j, alpha * p[(i, j)] + old);
        }
    }
}

fn applies(m: usize, n: usize, k: usize, depth: usize, cfg: StrassenConfig) -> bool {
    depth < cfg.max_depth && m.min(n).min(k) >= cfg.cutoff.max(2)
}

/// `C <- A * B` (C's old contents are ignored).
fn product<T: Scalar>(
    isa: Isa,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    c: MatMut<'_, T>,
    par: Par,
    cfg: StrassenConfig,
    depth: usize,
) {
    let (m, n, k) = (a.nrows(), b.ncols(), a.ncols());
    if !applies(m, n, k, depth, cfg) {
        classical(isa, T::ONE, a, b, T::ZERO, c, par);
        return;
    }
    let (m2, n2, k2) = (m & !1, n & !1, k & !1);
    let (c_even_rows, c_last_row) = c.split_at_row(m2);
    let (mut c_even, c_last_col) = c_even_rows.split_at_col(n2);
    // Peel odd dimensions: last column and last row of C directly, classical.
    classical(
        isa,
        T::ONE,
        a.submatrix(0, 0, m2, k),
        b.submatrix(0, n2, k, n - n2),
        T::ZERO,
        c_last_col,
        par,
    );
    classical(
        isa,
        T::ONE,
        a.submatrix(m2, 0, m - m2, k),
        b,
        T::ZERO,
        c_last_row,
        par,
    );
    let (ae, be) = (a.submatrix(0, 0, m2, k2), b.submatrix(0, 0, k2, n2));
    if applies(m2 / 2, n2 / 2, k2 / 2, depth + 1, cfg) {
        // More levels below: materialize the Winograd sums and recurse.
        winograd(isa, ae, be, c_even.as_mut(), par, cfg, depth);
    } else {
        // Last level: sums formed while packing, products added straight into C.
        let kern = MicroKernel::<T>::new(isa, KernelShape::Wide);
        strassen_abc(kern, ae, be, c_even.as_mut(), par);
    }
    if k2 < k {
        classical(
            isa,
            T::ONE,
            a.submatrix(0, k2, m2, k - k2),
            b.submatrix(k2, 0, k - k2, n2),
            T::ONE,
            c_even,
            par,
        );
    }
}

/// One Winograd level on even dimensions: `C <- A * B`.
fn winograd<T: Scalar>(
    isa: Isa,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    c: MatMut<'_, T>,
    par: Par,
    cfg: StrassenConfig,
    depth: usize,
) {
    let (m, n, k) = (a.nrows() / 2, b.ncols() / 2, a.ncols() / 2);
    let a11 = a.submatrix(0, 0, m, k);
    let a12 = a.submatrix(0, k, m, k);
    let a21 = a.submatrix(m, 0, m, k);
    let a22 = a.submatrix(m, k, m, k);
    let b11 = b.submatrix(0, 0, k, n);
    let b12 = b.submatrix(0, n, k, n);
    let b21 = b.submatrix(k, 0, k, n);
    let b22 = b.submatrix(k, n, k, n);
    let (top, bottom) = c.split_at_row(m);
    let (mut c11, mut c12) = top.split_at_col(n);
    let (mut c21, mut c22) = bottom.split_at_col(n);

    let mut s = Mat::zeros(m, k);
    let mut t = Mat::zeros(k, n);
    let mut p1 = Mat::zeros(m, n);
    let rec = |a: MatRef<'_, T>, b: MatRef<'_, T>, c: MatMut<'_, T>| {
        product(isa, a, b, c, par, cfg, depth + 1)
    };

    // P7 = S3 T3 -> C21, with S3 = A11 - A21, T3 = B22 - B12.
    combine(s.as_mut(), a11, T::ONE, a21, -T::ONE, par);
    combine(t.as_mut(), b22, T::ONE, b12, -T::ONE, par);
    rec(s.as_ref(), t.as_ref(), c21.as_mut());
    // P5 = S1 T1 -> C22, with S1 = A21 + A22, T1 = B12 - B11.
    combine(s.as_mut(), a21, T::ONE, a22, T::ONE, par);
    combine(t.as_mut(), b12, T::ONE, b11, -T::ONE, par);
    rec(s.as_ref(), t.as_ref(), c22.as_mut());
    // P6 = S2 T2 -> C12, with S2 = S1 - A11, T2 = B22 - T1 (in place).
    update(s.as_mut(), -T::ONE, a11, par);
    negate_add(t.as_mut(), b22, par);
    rec(s.as_ref(), t.as_ref(), c12.as_mut());
    // P1 = A11 B11.
    rec(a11, b11, p1.as_mut());
    // U2 = P1 + P6 (C12); U3 = U2 + P7 (C21); U4 = U2 + P5 (C12); C22 = U3 + P5.
    update(c12.as_mut(), T::ONE, p1.as_ref(), par);
    update(c21.as_mut(), T::ONE, c12.as_ref(), par);
    update(c12.as_mut(), T::ONE, c22.as_ref(), par);
    update(c22.as_mut(), T::ONE, c21.as_ref(), par);
    // C12 = U4 + P3 with P3 = S4 B22, S4 = A12 - S2.
    negate_add(s.as_mut(), a12, par);
    let mut p = Mat::zeros(m, n);
    rec(s.as_ref(), b22, p.as_mut());
    update(c12.as_mut(), T::ONE, p.as_ref(), par);
    // C21 = U3 - P4 with P4 = A22 T4, T4 = T2 - B21.
    update(t.as_mut(), -T::ONE, b21, par);
    rec(a22, t.as_ref(), p.as_mut());
    update(c21.as_mut(), -T::ONE, p.as_ref(), par);
    // C11 = P1 + P2 with P2 = A12 B21.
    rec(a12, b21, c11.as_mut());
    update(c11, T::ONE, p1.as_ref(), par);
}

/// One Strassen level with the operand sums formed while packing and each product added
/// straight into one or two quadrants of `C` (Huang, Smith, Henry, van de Geijn, "Strassen's
/// algorithm reloaded", SC16): `C <- A B` for even dimensions, no temporaries.
fn strassen_abc<T: Scalar>(
    kern: MicroKernel<T>,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    mut c: MatMut<'_, T>,
    par: Par,
) {
    let (m, n, k) = (a.nrows() / 2, b.ncols() / 2, a.ncols() / 2);
    debug_assert!(
        a.nrows() == 2 * m && b.ncols() == 2 * n && a.ncols() == 2 * k && m > 0 && n > 0 && k > 0
    );
    let qa = |i: usize, j: usize| a.submatrix(i * m, j * k, m, k);
    let qb = |i: usize, j: usize| b.submatrix(i * k, j * n, k, n);
    let (one, neg, zero) = (T::ONE, -T::ONE, T::ZERO);
    let (top, bottom) = c.as_mut().split_at_row(m);
    let (mut c11, mut c12) = top.split_at_col(n);
    let (mut c21, mut c22) = bottom.split_at_col(n);
    let d = |c: &mut MatMut<'_, T>, coef: T, beta: T| Dest::new(c, coef, beta);
    let run = |a: Operand<'_, T>, b: Operand<'_, T>, dests: &[Dest<T>]| {
        gemm_core(kern, a, b, dests, m, n, k, par)
    };
    // M1 = (A11 + A22)(B11 + B22): C11 = M1, C22 = M1.
    run(
        Operand::sum(qa(0, 0), one, qa(1, 1)),
        Operand::sum(qb(0, 0), one, qb(1, 1)),
        &[d(&mut c11, one, zero), d(&mut c22, one, zero)],
    );
    // M2 = (A21 + A22) B11: C21 = M2, C22 -= M2.
    run(
        Operand::sum(qa(1, 0), one, qa(1, 1)),
        Operand::one(qb(0, 0)),
        &[d(&mut c21, one, zero), d(&mut c22, neg, one)],
    );
    // M3 = A11 (B12 - B22): C12 = M3, C22 += M3.
    run(
        Operand::one(qa(0, 0)),
        Operand::sum(qb(0, 1), neg, qb(1, 1)),
        &[d(&mut c12, one, zero), d(&mut c22, one, one)],
    );
    // M4 = A22 (B21 - B11): C11 += M4, C21 += M4.
    run(
        Operand::one(qa(1, 1)),
        Operand::sum(qb(1, 0), neg, qb(0, 0)),
        &[d(&mut c11, one, one), d(&mut c21, one, one)],
    );
    // M5 = (A11 + A12) B22: C11 -= M5, C12 += M5.
    run(
        Operand::sum(qa(0, 0), one, qa(0, 1)),
        Operand::one(qb(1, 1)),
        &[d(&mut c11, neg, one), d(&mut c12, one, one)],
    );
    // M6 = (A21 - A11)(B11 + B12): C22 += M6.
    run(
        Operand::sum(qa(1, 0), neg, qa(0, 0)),
        Operand::sum(qb(0, 0), one, qb(0, 1)),
        &[d(&mut c22, one, one)],
    );
    // M7 = (A12 - A22)(B21 + B22): C11 += M7.
    run(
        Operand::sum(qa(0, 1), neg, qa(1, 1)),
        Operand::sum(qb(1, 0), one, qb(1, 1)),
        &[d(&mut c11, one, one)],
    );
}

/// Runs `f(j, column j of dst)` over the columns of a column-major destination, in parallel
/// when `par` asks for it.
fn for_cols<T: Scalar>(mut dst: MatMut<'_, T>, par: Par, f: impl Fn(usize, &mut [T]) + Sync) {
    let (r, c) = (dst.nrows(), dst.ncols());
    if r == 0 || c == 0 {
        return;
    }
    let cs = dst.col_stride();
    debug_assert!(dst.row_stride() == 1 && cs >= r);
    let len = (c - 1) * cs + r;
    // The view is column-major with unit row stride (all temporaries and quadrants
    // here are), so its elements lie in the `len` contiguous elements from its base pointer,
    // which belong to the borrowed allocation; gaps between columns (cs > r) belong to
    // sibling quadrants that no one else touches while this exclusive borrow lives, because
    // `chunks` below only hands out each column's first `r` elements.
    // SAFETY: so the `len` elements from the base pointer are in bounds and unaliased.
    let all = unsafe { std::slice::from_raw_parts_mut(dst.as_mut_ptr(), len) };
    let work = |(j, col): (usize, &mut [T])| f(j, &mut col[..r]);
    if par.threads() > 1 && r * c >= 1 << 16 {
        run_in(par, |_| all.par_chunks_mut(cs).enumerate().for_each(work));
    } else {
        all.chunks_mut(cs).enumerate().for_each(work);
    }
}

/// `dst <- alpha x + beta y`.
fn combine<T: Scalar>(
    dst: MatMut<'_, T>,
    x: MatRef<'_, T>,
    alpha: T,
    y: MatRef<'_, T>,
    beta: T,
    par: Par,
) {
    for_cols(dst, par, |j, d| {
        let (xc, yc) = (col(x, j), col(y, j));
        for ((d, &x), &y) in d.iter_mut().zip(xc).zip(yc) {
            *d = alpha * x + beta * y;
        }
    });
}

/// `dst <- dst + alpha x`.
fn update<T: Scalar>(dst: MatMut<'_, T>, alpha: T, x: MatRef<'_, T>, par: Par) {
    for_cols(dst, par, |j, d| {
        for (d, &x) in d.iter_mut().zip(col(x, j)) {
            *d += alpha * x;
        }
    });
}

/// `dst <- x - dst`.
fn negate_add<T: Scalar>(dst: MatMut<'_, T>, x: MatRef<'_, T>, par: Par) {
    for_cols(dst, par, |j, d| {
        for (d, &x) in d.iter_mut().zip(col(x, j)) {
            *d = x - *d;
        }
    });
}

/// Column `j` of a view as a slice (operands here are column-major: the caller's inputs are
/// copied to column-major first when they are not).
fn col<'a, T: Scalar>(x: MatRef<'a, T>, j: usize) -> &'a [T] {
    x.col_slice(j).expect("strassen operands are column-major")
}
