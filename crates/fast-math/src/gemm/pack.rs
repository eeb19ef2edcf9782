//! Packing: operands copied into micro-panel order, zero-padded at the edges, so the
//! micro-kernel never sees a partial panel or a stride.
//!
//! An [`Operand`] may be a sum `x + coef * y`; the sum is formed here, while packing, which
//! is what lets Strassen's last level run without temporary matrices.

use crate::{MatRef, Scalar};

/// A GEMM operand `x + coef * y` (`y` optional); the sum is formed while packing, so it
/// costs no temporary matrix (the "Strassen reloaded" trick).
#[derive(Clone, Copy)]
pub(crate) struct Operand<'a, T> {
    x: MatRef<'a, T>,
    y: Option<(T, MatRef<'a, T>)>,
}

impl<'a, T: Scalar> Operand<'a, T> {
    /// The plain operand `x`.
    pub(crate) fn one(x: MatRef<'a, T>) -> Self {
        Operand { x, y: None }
    }

    /// `x + coef * y` (same shapes).
    pub(crate) fn sum(x: MatRef<'a, T>, coef: T, y: MatRef<'a, T>) -> Self {
        debug_assert!(x.nrows() == y.nrows() && x.ncols() == y.ncols());
        Operand {
            x,
            y: Some((coef, y)),
        }
    }

    pub(super) fn submatrix(self, i: usize, j: usize, r: usize, c: usize) -> Self {
        Operand {
            x: self.x.submatrix(i, j, r, c),
            y: self.y.map(|(k, y)| (k, y.submatrix(i, j, r, c))),
        }
    }
}

/// [`pack_a`] of `x`, plus `coef * y` when the operand is a sum.
#[inline]
pub(super) fn pack_a_op<T: Scalar>(
    a: Operand<'_, T>,
    i0: usize,
    m: usize,
    kb: usize,
    mr: usize,
    dst: &mut [T],
) {
    pack_a(a.x, i0, m, kb, mr, dst);
    if let Some((coef, y)) = a.y {
        let rows = mr.min(m - i0);
        for (p, d) in dst.chunks_exact_mut(mr).enumerate() {
            for (i, x) in d[..rows].iter_mut().enumerate() {
                // SAFETY: i0 + i < m and p < kb: in bounds of `y` (same shape as `x`).
                *x += coef * unsafe { y.get_unchecked(i0 + i, p) };
            }
        }
    }
}

/// [`pack_b`] of `x`, plus `coef * y` when the operand is a sum.
#[inline]
pub(super) fn pack_b_op<T: Scalar>(
    b: Operand<'_, T>,
    j0: usize,
    kb: usize,
    nr: usize,
    dst: &mut [T],
) {
    pack_b(b.x, j0, kb, nr, dst);
    if let Some((coef, y)) = b.y {
        let cols = nr.min(y.ncols() - j0);
        if y.row_stride() == 1 {
            // Column-major y: walk each column contiguously.
            for j in 0..cols {
                let col = y.col_slice(j0 + j).expect("unit row stride");
                for (p, &v) in col[..kb].iter().enumerate() {
                    dst[p * nr + j] += coef * v;
                }
            }
        } else {
            for (p, d) in dst.chunks_exact_mut(nr).enumerate() {
                for (j, x) in d[..cols].iter_mut().enumerate() {
                    // SAFETY: p < kb and j0 + j < nb: in bounds of `y` (same shape as `x`).
                    *x += coef * unsafe { y.get_unchecked(p, j0 + j) };
                }
            }
        }
    }
}

/// Packs rows `i0 .. i0 + MR` (zero past row `m`) of the `m x kb` block `a` into one
/// micro-panel: element `(i0 + i, p)` goes to `dst[p * MR + i]`.
#[inline]
fn pack_a<T: Scalar>(a: MatRef<'_, T>, i0: usize, m: usize, kb: usize, mr: usize, dst: &mut [T]) {
    let rows = mr.min(m - i0);
    debug_assert!(dst.len() == mr * kb);
    if a.row_stride() == 1 {
        for (p, d) in dst.chunks_exact_mut(mr).enumerate() {
            // SAFETY: rows i0..i0+rows of column p are in bounds (i0 + rows <= m, p < kb) and
            // consecutive (unit row stride) in the borrowed allocation.
            let src = unsafe {
                std::slice::from_raw_parts(a.as_ptr().add(i0 + p * a.col_stride()), rows)
            };
            d[..rows].copy_from_slice(src);
            d[rows..].fill(T::ZERO);
        }
    } else if a.col_stride() == 1 {
        // Row-major A (e.g. a transposed column-major matrix): read rows contiguously.
        if rows < mr {
            dst.fill(T::ZERO);
        }
        for i in 0..rows {
            // SAFETY: columns 0..kb of row i0 + i are in bounds (i0 + i < m) and consecutive
            // (unit column stride) in the borrowed allocation.
            let src = unsafe {
                std::slice::from_raw_parts(a.as_ptr().add((i0 + i) * a.row_stride()), kb)
            };
            for (p, &v) in src.iter().enumerate() {
                dst[p * mr + i] = v;
            }
        }
    } else {
        for (p, d) in dst.chunks_exact_mut(mr).enumerate() {
            for (i, x) in d.iter_mut().enumerate() {
                *x = if i < rows {
                    // SAFETY: i0 + i < m and p < kb: in bounds of the view.
                    unsafe { a.get_unchecked(i0 + i, p) }
                } else {
                    T::ZERO
                };
            }
        }
    }
}

/// Packs columns `j0 .. j0 + NR` (zero past the last column) of the `kb x nb` block `b`
/// into one micro-panel: element `(p, j0 + j)` goes to `dst[p * NR + j]`.
#[inline]
fn pack_b<T: Scalar>(b: MatRef<'_, T>, j0: usize, kb: usize, nr: usize, dst: &mut [T]) {
    let cols = nr.min(b.ncols() - j0);
    debug_assert!(dst.len() == nr * kb);
    if b.col_stride() == 1 && cols == nr {
        for (p, d) in dst.chunks_exact_mut(nr).enumerate() {
            // SAFETY: columns j0..j0+nr of row p are in bounds and consecutive.
            let src =
                unsafe { std::slice::from_raw_parts(b.as_ptr().add(p * b.row_stride() + j0), nr) };
            d.copy_from_slice(src);
        }
    } else if b.row_stride() == 1 {
        if cols < nr {
            dst.fill(T::ZERO);
        }
        for j in 0..cols {
            // SAFETY: rows 0..kb of column j0 + j are in bounds and consecutive.
            let src = unsafe {
                std::slice::from_raw_parts(b.as_ptr().add((j0 + j) * b.col_stride()), kb)
            };
            for (p, &v) in src.iter().enumerate() {
                dst[p * nr + j] = v;
            }
        }
    } else {
        for (p, d) in dst.chunks_exact_mut(nr).enumerate() {
            for (j, x) in d.iter_mut().enumerate() {
                *x = if j < cols {
                    // SAFETY: p < kb and j0 + j < nb: in bounds of the view.
                    unsafe { b.get_unchecked(p, j0 + j) }
                } else {
                    T::ZERO
                };
            }
        }
    }
}
