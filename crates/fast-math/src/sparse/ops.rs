//! Products of a CSR matrix with dense vectors and matrices.

use super::csr::CsrMatrix;
use crate::{Mat, MatRef, Scalar};

/// `sum_p values[p] * x[indices[p]]` with four independent accumulators, so the gathers of
/// one row overlap instead of waiting on one add chain.
#[inline(always)]
fn row_dot<T: Scalar>(idx: &[u32], val: &[T], x: &[T]) -> T {
    let mut acc = [T::ZERO; 4];
    let mut ic = idx.chunks_exact(4);
    let mut vc = val.chunks_exact(4);
    for (i, v) in (&mut ic).zip(&mut vc) {
        acc[0] += v[0] * x[i[0] as usize];
        acc[1] += v[1] * x[i[1] as usize];
        acc[2] += v[2] * x[i[2] as usize];
        acc[3] += v[3] * x[i[3] as usize];
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (&i, &v) in ic.remainder().iter().zip(vc.remainder()) {
        s += v * x[i as usize];
    }
    s
}

impl<T: Scalar> CsrMatrix<T> {
    /// `y = A x` (sparse matrix times dense vector); `y`'s old contents are overwritten.
    ///
    /// Error: each `y[i]` within `nnz_i * eps * sum_j |a_ij x_j|` (first order), `nnz_i` the
    /// entries of row `i`; the sum order is fixed, so results are reproducible.
    ///
    /// # Panics
    /// If `x.len() != ncols` or `y.len() != nrows`; the message names the matrix shape
    /// and both lengths.
    #[track_caller]
    pub fn spmv(&self, x: &[T], y: &mut [T]) {
        if x.len() != self.ncols || y.len() != self.nrows {
            shape_mismatch("spmv", self.nrows, self.ncols, x.len(), y.len());
        }
        for (i, yi) in y.iter_mut().enumerate() {
            let (a, b) = (self.indptr[i], self.indptr[i + 1]);
            *yi = row_dot(&self.indices[a..b], &self.values[a..b], x);
        }
    }

    /// `y = A^T x` without forming `A^T` (a scatter over the rows of `A`); `y`'s old
    /// contents are overwritten. When the same `A^T` is applied many times,
    /// [`CsrMatrix::transpose`] once and [`CsrMatrix::spmv`] is faster.
    ///
    /// # Panics
    /// If `x.len() != nrows` or `y.len() != ncols`; the message names the matrix shape
    /// and both lengths.
    #[track_caller]
    pub fn spmv_t(&self, x: &[T], y: &mut [T]) {
        if x.len() != self.nrows || y.len() != self.ncols {
            shape_mismatch("spmv_t", self.ncols, self.nrows, x.len(), y.len());
        }
        y.fill(T::ZERO);
        for (i, &xi) in x.iter().enumerate() {
            let (a, b) = (self.indptr[i], self.indptr[i + 1]);
            for (&c, &v) in self.indices[a..b].iter().zip(&self.values[a..b]) {
                y[c as usize] += v * xi;
            }
        }
    }

    /// `C = A B` (sparse times dense): `B` is `ncols x p`, `C` is `nrows x p`
    /// (column-major).
    ///
    /// Columns of `B` are processed four at a time, so each pass over `A`'s entries feeds
    /// four products.
    ///
    /// # Panics
    /// If `b.nrows() != ncols`; the message names both shapes.
    #[track_caller]
    pub fn spmm(&self, b: MatRef<'_, T>) -> Mat<T> {
        assert_eq!(
            b.nrows(),
            self.ncols,
            "CsrMatrix::spmm: A is {}x{}, B is {}x{}",
            self.nrows,
            self.ncols,
            b.nrows(),
            b.ncols()
        );
        let p = b.ncols();
        let mut c = Mat::zeros(self.nrows, p);
        if self.nrows == 0 || p == 0 {
            return c;
        }
        // Column-contiguous operands let the inner loop index plain slices.
        let owned;
        let b = if b.col_slice(0).is_some() {
            b
        } else {
            owned = b.to_owned();
            owned.as_ref()
        };
        let cols: Vec<&[T]> = (0..p)
            .map(|j| b.col_slice(j).expect("B is column-contiguous here"))
            .collect();
        let m = self.nrows;
        let out = c.as_mut_slice();
        let mut j0 = 0;
        while j0 < p {
            let w = (p - j0).min(4);
            for i in 0..m {
                let (a, e) = (self.indptr[i], self.indptr[i + 1]);
                let mut acc = [T::ZERO; 4];
                for (&ci, &v) in self.indices[a..e].iter().zip(&self.values[a..e]) {
                    let ci = ci as usize;
                    for (t, acc_t) in acc.iter_mut().enumerate().take(w) {
                        *acc_t += v * cols[j0 + t][ci];
                    }
                }
                for (t, &acc_t) in acc.iter().enumerate().take(w) {
                    out[(j0 + t) * m + i] = acc_t;
                }
            }
            j0 += w;
        }
        c
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn shape_mismatch(op: &str, rows: usize, cols: usize, x: usize, y: usize) -> ! {
    panic!(
        "CsrMatrix::{op}: the operator is {rows}x{cols}, so x needs {cols} values and y \
         {rows}; got x of {x} and y of {y}"
    )
}
