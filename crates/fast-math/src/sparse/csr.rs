//! The CSR storage: construction from triplets or a dense matrix, conversion back, transpose.

use crate::{Mat, MatRef, Scalar};

/// Data-dependent failures when building a sparse matrix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SparseError {
    /// A triplet lies outside the declared shape.
    #[error("triplet {index} at ({row}, {col}) is outside the {nrows}x{ncols} matrix")]
    IndexOutOfBounds {
        /// Position of the triplet in the input.
        index: usize,
        /// Its row.
        row: usize,
        /// Its column.
        col: usize,
        /// Rows of the matrix.
        nrows: usize,
        /// Columns of the matrix.
        ncols: usize,
    },
    /// A value is infinite or NaN (refused: one would poison every product it enters).
    #[error("non-finite value at ({row}, {col})")]
    NonFinite {
        /// Row of the value.
        row: usize,
        /// Its column.
        col: usize,
    },
    /// Column indices are stored as `u32` (a third less memory traffic per nonzero than
    /// `usize`), so at most `u32::MAX` columns.
    #[error("{ncols} columns exceed the 32-bit column indices (at most 4294967295)")]
    TooManyColumns {
        /// Requested columns.
        ncols: usize,
    },
    /// The drop tolerance of `from_dense` is negative or NaN.
    #[error("drop tolerance must be a non-negative number, got {tol}")]
    InvalidTolerance {
        /// The tolerance given (as `f64`).
        tol: f64,
    },
}

/// A sparse matrix in compressed sparse row form: row `i` holds the column indices
/// `indices[indptr[i]..indptr[i + 1]]` (strictly increasing) and their values.
///
/// Values are finite; explicit zeros are kept when duplicates sum to zero (as SciPy's
/// `sum_duplicates`), and count in [`CsrMatrix::nnz`].
#[derive(Clone, Debug, PartialEq)]
pub struct CsrMatrix<T> {
    pub(super) nrows: usize,
    pub(super) ncols: usize,
    pub(super) indptr: Vec<usize>,
    pub(super) indices: Vec<u32>,
    pub(super) values: Vec<T>,
}

fn check_cols(ncols: usize) -> Result<(), SparseError> {
    if u32::try_from(ncols).is_err() {
        return Err(SparseError::TooManyColumns { ncols });
    }
    Ok(())
}

impl<T: Scalar> CsrMatrix<T> {
    /// An `nrows x ncols` matrix with no stored entries.
    ///
    /// # Errors
    /// [`SparseError::TooManyColumns`] if `ncols > u32::MAX`.
    pub fn zeros(nrows: usize, ncols: usize) -> Result<Self, SparseError> {
        check_cols(ncols)?;
        Ok(CsrMatrix {
            nrows,
            ncols,
            indptr: vec![0; nrows + 1],
            indices: Vec::new(),
            values: Vec::new(),
        })
    }

    /// Builds from `(row, col, value)` triplets in any order; duplicates are summed, in
    /// input order.
    ///
    /// # Errors
    /// [`SparseError::IndexOutOfBounds`] for the first triplet outside the shape,
    /// [`SparseError::NonFinite`] for the first non-finite value,
    /// [`SparseError::TooManyColumns`] if `ncols > u32::MAX`.
    pub fn from_triplets(
        nrows: usize,
        ncols: usize,
        triplets: &[(usize, usize, T)],
    ) -> Result<Self, SparseError> {
        check_cols(ncols)?;
        let mut starts = vec![0usize; nrows + 1];
        for (index, &(row, col, v)) in triplets.iter().enumerate() {
            if row >= nrows || col >= ncols {
                return Err(SparseError::IndexOutOfBounds {
                    index,
                    row,
                    col,
                    nrows,
                    ncols,
                });
            }
            if !v.is_finite() {
                return Err(SparseError::NonFinite { row, col });
            }
            starts[row + 1] += 1;
        }
        for i in 0..nrows {
            starts[i + 1] += starts[i];
        }
        // Counting sort by row keeps input order within a row, so the stable sort by
        // column below sums duplicates in input order (reproducible rounding).
        let mut entries = vec![(0u32, T::ZERO); triplets.len()];
        let mut next = starts.clone();
        for &(row, col, v) in triplets {
            entries[next[row]] = (col as u32, v);
            next[row] += 1;
        }
        let mut indptr = Vec::with_capacity(nrows + 1);
        let mut indices = Vec::with_capacity(triplets.len());
        let mut values = Vec::with_capacity(triplets.len());
        indptr.push(0);
        for i in 0..nrows {
            let row = &mut entries[starts[i]..starts[i + 1]];
            row.sort_by_key(|e| e.0);
            for &(c, v) in row.iter() {
                if indices.len() > indptr[i] && indices.last() == Some(&c) {
                    let last = values.last_mut().expect("indices and values grow together");
                    *last += v;
                } else {
                    indices.push(c);
                    values.push(v);
                }
            }
            indptr.push(indices.len());
        }
        Ok(CsrMatrix {
            nrows,
            ncols,
            indptr,
            indices,
            values,
        })
    }

    /// Keeps the entries of `m` with `|value| > tol` (`tol = 0` keeps every nonzero).
    ///
    /// # Errors
    /// [`SparseError::NonFinite`] for the first non-finite element (row by row),
    /// [`SparseError::InvalidTolerance`] if `tol` is negative or NaN,
    /// [`SparseError::TooManyColumns`] if `m` has more than `u32::MAX` columns.
    pub fn from_dense(m: MatRef<'_, T>, tol: T) -> Result<Self, SparseError> {
        if tol.is_nan() || tol < T::ZERO {
            return Err(SparseError::InvalidTolerance { tol: tol.to_f64() });
        }
        let (nrows, ncols) = (m.nrows(), m.ncols());
        check_cols(ncols)?;
        let mut indptr = Vec::with_capacity(nrows + 1);
        let mut indices = Vec::new();
        let mut values = Vec::new();
        indptr.push(0);
        for i in 0..nrows {
            let row = m.row(i);
            for j in 0..ncols {
                let v = row.get(0, j);
                if !v.is_finite() {
                    return Err(SparseError::NonFinite { row: i, col: j });
                }
                if v.abs() > tol {
                    indices.push(j as u32);
                    values.push(v);
                }
            }
            indptr.push(indices.len());
        }
        Ok(CsrMatrix {
            nrows,
            ncols,
            indptr,
            indices,
            values,
        })
    }

    /// The dense (column-major) matrix.
    pub fn to_dense(&self) -> Mat<T> {
        let mut d = Mat::zeros(self.nrows, self.ncols);
        for i in 0..self.nrows {
            for (c, v) in self.row(i) {
                d[(i, c)] = v;
            }
        }
        d
    }

    /// `A^T` in CSR form (equivalently, `A` in compressed sparse column form).
    ///
    /// # Panics
    /// If `A` has more than `u32::MAX` rows (they become the columns of `A^T`).
    pub fn transpose(&self) -> CsrMatrix<T> {
        assert!(
            u32::try_from(self.nrows).is_ok(),
            "CsrMatrix::transpose: {} rows exceed the 32-bit column indices",
            self.nrows
        );
        let mut indptr = vec![0usize; self.ncols + 1];
        for &c in &self.indices {
            indptr[c as usize + 1] += 1;
        }
        for j in 0..self.ncols {
            indptr[j + 1] += indptr[j];
        }
        let mut next = indptr.clone();
        let mut indices = vec![0u32; self.nnz()];
        let mut values = vec![T::ZERO; self.nnz()];
        // Rows are visited in order, so each transposed row comes out sorted.
        for i in 0..self.nrows {
            for (c, v) in self.row(i) {
                let at = next[c];
                indices[at] = i as u32;
                values[at] = v;
                next[c] += 1;
            }
        }
        CsrMatrix {
            nrows: self.ncols,
            ncols: self.nrows,
            indptr,
            indices,
            values,
        }
    }

    /// The stored entries of row `i` as `(column, value)`.
    ///
    /// # Panics
    /// If `i >= nrows`.
    #[track_caller]
    pub fn row(&self, i: usize) -> impl Iterator<Item = (usize, T)> + '_ {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        self.indices[a..b]
            .iter()
            .zip(&self.values[a..b])
            .map(|(&c, &v)| (c as usize, v))
    }

    /// Rows.
    pub fn nrows(&self) -> usize {
        self.nrows
    }

    /// Columns.
    pub fn ncols(&self) -> usize {
        self.ncols
    }

    /// Stored entries (explicit zeros included).
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// `nnz / (nrows * ncols)`, or 0 for a matrix with no elements.
    pub fn density(&self) -> f64 {
        let size = self.nrows as f64 * self.ncols as f64;
        if size == 0.0 {
            0.0
        } else {
            self.nnz() as f64 / size
        }
    }

    /// Row pointers (`nrows + 1` offsets into [`CsrMatrix::indices`] and
    /// [`CsrMatrix::values`]).
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }

    /// Column index of each stored entry, row by row, increasing within a row.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    /// Value of each stored entry, in the order of [`CsrMatrix::indices`].
    pub fn values(&self) -> &[T] {
        &self.values
    }
}
