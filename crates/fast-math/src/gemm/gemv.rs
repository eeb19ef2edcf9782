//! Matrix-vector products, routed around the packed driver: a product with one column
//! (`n == 1`, or `m == 1` as its transpose) has no reuse for packing to buy, so it streams
//! `A` once through fused `axpy`s or `dot`s instead. Measured on an AVX2 AMD EPYC (Zen 3),
//! 4000 x 4000 by one column: 33 ms through the packed driver (`A` packed, then a register
//! tile five sixths of which is padding), 11-13 ms streamed (`cargo bench -p benches --bench
//! algos -- sparse`, whose rows time both).

use crate::{MatMut, MatRef, Scalar};
use simd_kernels::Isa;

/// Rows per block of the column-oriented GEMV: the block of `y` (16 KiB) stays in L1
/// while every column adds into it.
const GEMV_ROW_BLOCK: usize = 2048;

/// Dense `y = A x`: eight columns fused per pass over L1-sized row blocks when `A` is
/// column-contiguous, one SIMD `dot` per row when it is row-contiguous, plain loops
/// otherwise. `y`'s old contents are overwritten; the lengths are the caller's to check
/// (`x` of `A`'s columns, `y` of its rows).
pub(crate) fn gemv_into<T: Scalar>(isa: Isa, a: MatRef<'_, T>, x: &[T], y: &mut [T]) {
    let (m, n) = (a.nrows(), a.ncols());
    debug_assert!(x.len() == n && y.len() == m);
    y.fill(T::ZERO);
    if m == 0 || n == 0 {
        return;
    }
    if a.col_slice(0).is_some() {
        let mut r0 = 0;
        let mut group: [&[T]; 8] = [&[]; 8];
        while r0 < m {
            let r1 = (r0 + GEMV_ROW_BLOCK).min(m);
            for (j0, coefs) in (0..n).step_by(8).zip(x.chunks(8)) {
                for (t, g) in group.iter_mut().enumerate().take(coefs.len()) {
                    *g = &a.col_slice(j0 + t).expect("column-contiguous")[r0..r1];
                }
                let cols = &group[..coefs.len()];
                simd_kernels::axpy_columns_with(isa, coefs, cols, &mut y[r0..r1]);
            }
            r0 = r1;
        }
    } else if a.t().col_slice(0).is_some() {
        let at = a.t();
        for (i, yi) in y.iter_mut().enumerate() {
            *yi = simd_kernels::dot_with(isa, at.col_slice(i).expect("row-contiguous"), x);
        }
    } else {
        for (i, yi) in y.iter_mut().enumerate() {
            *yi = x.iter().enumerate().map(|(j, &xj)| a.get(i, j) * xj).sum();
        }
    }
}

/// `c <- alpha * A b + beta * c` for a one-column `b` (`k x 1`) and `c` (`m x 1`), by
/// [`gemv_into`], when `A` is column- or row-contiguous (`false`, nothing done, otherwise:
/// the packed driver handles any strides). As the driver: `beta == 0` never reads `c`.
pub(super) fn one_column<T: Scalar>(
    isa: Isa,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: &mut MatMut<'_, T>,
) -> bool {
    if a.col_slice(0).is_none() && a.t().col_slice(0).is_none() {
        return false;
    }
    let (m, k) = (a.nrows(), a.ncols());
    debug_assert!(b.nrows() == k && b.ncols() == 1 && c.nrows() == m && c.ncols() == 1);
    T::with_pack(k + m, |buf| {
        let (x, y) = buf.split_at_mut(k);
        for (p, xp) in x.iter_mut().enumerate() {
            *xp = b.get(p, 0);
        }
        gemv_into(isa, a, x, y);
        for (i, &yi) in y.iter().enumerate() {
            let v = if beta == T::ZERO {
                alpha * yi
            } else {
                alpha * yi + beta * c.get(i, 0)
            };
            c.set(i, 0, v);
        }
    });
    true
}
