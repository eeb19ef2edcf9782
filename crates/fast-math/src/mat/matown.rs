//! [`Mat`]: the owned, column-major matrix, and what turns a view into one.

use super::bounds::check_index;
use super::matmut::MatMut;
use super::matref::MatRef;
use crate::buffer::Storage;
use crate::Scalar;
use std::fmt;
use std::ops::{Index, IndexMut};

/// An owned, column-major matrix with 64-byte aligned storage.
///
/// Element `(i, j)` is at `i + j * nrows` in [`as_slice`](Mat::as_slice).
///
/// ```
/// use fast_math::Mat;
/// let m = Mat::from_fn(2, 3, |i, j| (10 * i + j) as f64);
/// assert_eq!(m[(1, 2)], 12.0);
/// assert_eq!(m.as_slice(), &[0.0, 10.0, 1.0, 11.0, 2.0, 12.0]);
/// assert_eq!(m.as_ref().t()[(2, 1)], 12.0);
/// ```
pub struct Mat<T: Copy> {
    data: Storage<T>,
    nrows: usize,
    ncols: usize,
}

impl<T: Copy> Clone for Mat<T> {
    fn clone(&self) -> Self {
        Mat {
            data: self.data.clone(),
            nrows: self.nrows,
            ncols: self.ncols,
        }
    }
}

#[track_caller]
fn checked_len(nrows: usize, ncols: usize) -> usize {
    nrows
        .checked_mul(ncols)
        .unwrap_or_else(|| panic!("matrix shape {nrows}x{ncols} overflows usize"))
}

impl<T: Scalar> Mat<T> {
    /// An `nrows x ncols` matrix of zeros.
    ///
    /// # Panics
    /// If `nrows * ncols` overflows `usize`.
    #[track_caller]
    pub fn zeros(nrows: usize, ncols: usize) -> Self {
        // Zeroed by the allocator: a large matrix gets fresh zero pages and costs no
        // writes until its elements are, as an output written by a GEMM is.
        Mat {
            data: Storage::zeroed(checked_len(nrows, ncols)),
            nrows,
            ncols,
        }
    }

    /// An `nrows x ncols` matrix with every element `value`.
    ///
    /// # Panics
    /// If `nrows * ncols` overflows `usize`.
    #[track_caller]
    pub fn filled(nrows: usize, ncols: usize, value: T) -> Self {
        Mat {
            data: Storage::from_elem(value, checked_len(nrows, ncols)),
            nrows,
            ncols,
        }
    }

    /// The `n x n` identity.
    pub fn identity(n: usize) -> Self {
        let mut m = Self::zeros(n, n);
        for i in 0..n {
            m[(i, i)] = T::ONE;
        }
        m
    }

    /// Element `(i, j)` is `f(i, j)`; `f` is called column by column.
    ///
    /// # Panics
    /// If `nrows * ncols` overflows `usize`.
    #[track_caller]
    pub fn from_fn(nrows: usize, ncols: usize, mut f: impl FnMut(usize, usize) -> T) -> Self {
        let mut m = Self::zeros(nrows, ncols);
        if nrows > 0 {
            for (j, col) in m.data.as_mut_slice().chunks_exact_mut(nrows).enumerate() {
                for (i, x) in col.iter_mut().enumerate() {
                    *x = f(i, j);
                }
            }
        }
        m
    }

    /// Copies a column-major slice (element `(i, j)` at `i + j * nrows`).
    ///
    /// # Panics
    /// If `data.len() != nrows * ncols`; the message names both.
    #[track_caller]
    pub fn from_col_major(nrows: usize, ncols: usize, data: &[T]) -> Self {
        let len = checked_len(nrows, ncols);
        assert_eq!(
            data.len(),
            len,
            "Mat::from_col_major: {nrows}x{ncols} needs {len} elements, got {}",
            data.len()
        );
        let mut m = Self::zeros(nrows, ncols);
        m.data.as_mut_slice().copy_from_slice(data);
        m
    }

    /// Copies a row-major slice (element `(i, j)` at `i * ncols + j`).
    ///
    /// # Panics
    /// If `data.len() != nrows * ncols`; the message names both.
    #[track_caller]
    pub fn from_row_major(nrows: usize, ncols: usize, data: &[T]) -> Self {
        let len = checked_len(nrows, ncols);
        assert_eq!(
            data.len(),
            len,
            "Mat::from_row_major: {nrows}x{ncols} needs {len} elements, got {}",
            data.len()
        );
        Self::from_fn(nrows, ncols, |i, j| data[i * ncols + j])
    }

    /// Number of rows.
    #[inline]
    pub fn nrows(&self) -> usize {
        self.nrows
    }

    /// Number of columns.
    #[inline]
    pub fn ncols(&self) -> usize {
        self.ncols
    }

    /// The elements in column-major order.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        self.data.as_slice()
    }

    /// The elements in column-major order, mutably.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        self.data.as_mut_slice()
    }

    /// A view of the whole matrix.
    #[inline]
    pub fn as_ref(&self) -> MatRef<'_, T> {
        MatRef::from_col_major(self.data.as_slice(), self.nrows, self.ncols)
    }

    /// A mutable view of the whole matrix.
    #[inline]
    pub fn as_mut(&mut self) -> MatMut<'_, T> {
        let (r, c) = (self.nrows, self.ncols);
        MatMut::from_col_major(self.data.as_mut_slice(), r, c)
    }

    /// The transpose, as a new matrix.
    pub fn transpose(&self) -> Self {
        self.as_ref().t().to_owned()
    }
}

impl<T: Scalar> Index<(usize, usize)> for Mat<T> {
    type Output = T;
    #[inline]
    #[track_caller]
    fn index(&self, (i, j): (usize, usize)) -> &T {
        check_index(i, j, self.nrows, self.ncols);
        &self.data.as_slice()[i + j * self.nrows]
    }
}

impl<T: Scalar> IndexMut<(usize, usize)> for Mat<T> {
    #[inline]
    #[track_caller]
    fn index_mut(&mut self, (i, j): (usize, usize)) -> &mut T {
        check_index(i, j, self.nrows, self.ncols);
        let r = self.nrows;
        &mut self.data.as_mut_slice()[i + j * r]
    }
}

impl<T: Scalar> fmt::Debug for Mat<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_ref().fmt(f)
    }
}

impl<T: Scalar> PartialEq for Mat<T> {
    fn eq(&self, other: &Self) -> bool {
        self.nrows == other.nrows
            && self.ncols == other.ncols
            && self.as_slice() == other.as_slice()
    }
}

// Views are turned into owned matrices here, beside `Mat`, so that the view modules need
// not know the owned type.
impl<T: Scalar> MatRef<'_, T> {
    /// Copies the view into a new column-major matrix.
    pub fn to_owned(&self) -> Mat<T> {
        Mat::from_fn(self.nrows(), self.ncols(), |i, j| {
            // SAFETY: from_fn only passes i < nrows, j < ncols.
            unsafe { self.get_unchecked(i, j) }
        })
    }
}

impl<'a, T: Scalar> From<&'a Mat<T>> for MatRef<'a, T> {
    fn from(m: &'a Mat<T>) -> Self {
        m.as_ref()
    }
}

impl<'a, T: Scalar> From<&'a mut Mat<T>> for MatMut<'a, T> {
    fn from(m: &'a mut Mat<T>) -> Self {
        m.as_mut()
    }
}
