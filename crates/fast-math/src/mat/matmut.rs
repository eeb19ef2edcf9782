//! [`MatMut`]: the mutable strided view.
//!
//! It writes no index arithmetic of its own: element access, blocks and transposes go
//! through a [`MatRef`] of the same elements (`self.as_ref()` or `self.into_ref()`), and
//! only the result is turned back into a mutable view, so one layout rule serves both.

use super::bounds::{check_no_alias, check_view};
use super::matref::MatRef;
use crate::Scalar;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

/// A mutable view of a matrix with the same layout rules as [`MatRef`]; distinct `(i, j)`
/// always address distinct elements.
pub struct MatMut<'a, T> {
    ptr: *mut T,
    nrows: usize,
    ncols: usize,
    rs: usize,
    cs: usize,
    _life: PhantomData<&'a mut [T]>,
}

// SAFETY: a MatMut is an exclusive borrow of `T`s (like `&mut [T]`): it may be sent to
// another thread when `T: Send`.
unsafe impl<T: Send> Send for MatMut<'_, T> {}
// SAFETY: a shared `&MatMut` only permits reads (through `as_ref`), so it is `Sync` when
// `T: Sync`, as `&mut [T]` is.
unsafe impl<T: Sync> Sync for MatMut<'_, T> {}

impl<'a, T: Scalar> MatMut<'a, T> {
    /// A mutable view of `data` with element `(i, j)` at `i * row_stride + j * col_stride`.
    ///
    /// # Panics
    /// If the view reaches past the end of `data`, or the strides would make two elements of
    /// the view share one slot (e.g. a zero stride with two or more rows).
    #[track_caller]
    pub fn from_slice(
        data: &'a mut [T],
        nrows: usize,
        ncols: usize,
        row_stride: usize,
        col_stride: usize,
    ) -> Self {
        check_view(
            "MatMut::from_slice",
            data.len(),
            nrows,
            ncols,
            row_stride,
            col_stride,
        );
        check_no_alias(nrows, ncols, row_stride, col_stride);
        MatMut {
            ptr: data.as_mut_ptr(),
            nrows,
            ncols,
            rs: row_stride,
            cs: col_stride,
            _life: PhantomData,
        }
    }

    /// A column-major mutable view (`row_stride = 1`, `col_stride = nrows`).
    ///
    /// # Panics
    /// If `data` holds fewer than `nrows * ncols` elements.
    #[track_caller]
    pub fn from_col_major(data: &'a mut [T], nrows: usize, ncols: usize) -> Self {
        Self::from_slice(data, nrows, ncols, 1, nrows)
    }

    /// A row-major mutable view (`row_stride = ncols`, `col_stride = 1`).
    ///
    /// # Panics
    /// If `data` holds fewer than `nrows * ncols` elements.
    #[track_caller]
    pub fn from_row_major(data: &'a mut [T], nrows: usize, ncols: usize) -> Self {
        Self::from_slice(data, nrows, ncols, ncols, 1)
    }

    /// A mutable view from raw parts.
    ///
    /// # Safety
    /// As [`MatRef::from_raw_parts`], and in addition no other access to those elements may
    /// happen during `'a`, and distinct `(i, j)` must address distinct elements.
    pub unsafe fn from_raw_parts(
        ptr: *mut T,
        nrows: usize,
        ncols: usize,
        row_stride: usize,
        col_stride: usize,
    ) -> Self {
        MatMut {
            ptr,
            nrows,
            ncols,
            rs: row_stride,
            cs: col_stride,
            _life: PhantomData,
        }
    }

    /// The mutable view of the elements of `v`, which was derived (by blocks and
    /// transposes) from a `MatMut` given up for it.
    ///
    /// # Safety
    /// The elements of `v` must be borrowed exclusively for `'a` (they belong to the
    /// consumed `MatMut` `v` came from, or to a disjoint part of it), through a pointer that
    /// may write them.
    #[inline(always)]
    unsafe fn from_ref(v: MatRef<'a, T>) -> Self {
        MatMut {
            ptr: v.ptr.cast_mut(),
            nrows: v.nrows,
            ncols: v.ncols,
            rs: v.rs,
            cs: v.cs,
            _life: PhantomData,
        }
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
    /// Distance in elements between rows `i` and `i + 1`.
    #[inline]
    pub fn row_stride(&self) -> usize {
        self.rs
    }
    /// Distance in elements between columns `j` and `j + 1`.
    #[inline]
    pub fn col_stride(&self) -> usize {
        self.cs
    }
    /// Pointer to element `(0, 0)`.
    #[inline]
    pub fn as_mut_ptr(&mut self) -> *mut T {
        self.ptr
    }

    /// A read-only view of the same elements, for as long as this borrow lasts.
    #[inline]
    pub fn as_ref(&self) -> MatRef<'_, T> {
        self.alias().into_ref()
    }

    /// A shorter-lived mutable view of the same elements (a reborrow).
    #[inline]
    pub fn as_mut(&mut self) -> MatMut<'_, T> {
        self.alias()
    }

    /// Converts into a read-only view with the full lifetime.
    #[inline]
    pub fn into_ref(self) -> MatRef<'a, T> {
        MatRef {
            ptr: self.ptr,
            nrows: self.nrows,
            ncols: self.ncols,
            rs: self.rs,
            cs: self.cs,
            _life: PhantomData,
        }
    }

    /// Element `(i, j)`.
    ///
    /// # Panics
    /// If `(i, j)` is out of bounds.
    #[inline]
    #[track_caller]
    pub fn get(&self, i: usize, j: usize) -> T {
        self.as_ref().get(i, j)
    }

    /// Sets element `(i, j)`.
    ///
    /// # Panics
    /// If `(i, j)` is out of bounds.
    #[inline]
    #[track_caller]
    pub fn set(&mut self, i: usize, j: usize, value: T) {
        *self.get_mut(i, j) = value;
    }

    #[inline]
    #[track_caller]
    fn get_mut(&mut self, i: usize, j: usize) -> &mut T {
        let p = self.as_ref().ptr_checked(i, j).cast_mut();
        // SAFETY: `p` addresses element (i, j) (bounds checked) through this view's writable
        // pointer; the view has exclusive access to its elements, and `&mut self` makes the
        // returned borrow unique.
        unsafe { &mut *p }
    }

    /// Pointer to element `(i, j)` without a bounds check (no access happens).
    ///
    /// # Safety
    /// `i < nrows` and `j < ncols` (or `i == 0 && j == 0`).
    #[inline(always)]
    unsafe fn ptr_at(&self, i: usize, j: usize) -> *mut T {
        // SAFETY: the caller's contract is `MatRef::ptr_at`'s.
        unsafe { self.as_ref().ptr_at(i, j).cast_mut() }
    }

    /// The transpose (no data moves).
    #[inline]
    pub fn t(self) -> Self {
        // SAFETY: the transpose addresses exactly the elements of `self`, which it consumes.
        unsafe { Self::from_ref(self.into_ref().t()) }
    }

    /// The `nrows x ncols` block starting at `(i, j)`.
    ///
    /// # Panics
    /// If the block does not fit inside this view.
    #[inline]
    #[track_caller]
    pub fn submatrix_mut(self, i: usize, j: usize, nrows: usize, ncols: usize) -> Self {
        // SAFETY: the block addresses a subset of the elements of `self`, which it consumes.
        unsafe { Self::from_ref(self.into_ref().submatrix(i, j, nrows, ncols)) }
    }

    /// Splits into rows `0..i` and `i..nrows`.
    ///
    /// # Panics
    /// If `i > nrows`.
    #[track_caller]
    pub fn split_at_row(self, i: usize) -> (Self, Self) {
        assert!(
            i <= self.nrows,
            "split_at_row({i}) on a matrix with {} rows",
            self.nrows
        );
        let (r, c) = (self.nrows, self.ncols);
        let top = self.alias().submatrix_mut(0, 0, i, c);
        (top, self.submatrix_mut(i.min(r), 0, r - i, c))
    }

    /// Splits into columns `0..j` and `j..ncols`.
    ///
    /// # Panics
    /// If `j > ncols`.
    #[track_caller]
    pub fn split_at_col(self, j: usize) -> (Self, Self) {
        let (a, b) = self.t().split_at_row(j);
        (a.t(), b.t())
    }

    /// A second handle to the same elements; only used to build disjoint pieces and
    /// reborrows whose lifetime the signature shortens.
    fn alias(&self) -> Self {
        MatMut {
            ptr: self.ptr,
            nrows: self.nrows,
            ncols: self.ncols,
            rs: self.rs,
            cs: self.cs,
            _life: PhantomData,
        }
    }

    /// Sets every element to `value`.
    pub fn fill(&mut self, value: T) {
        for j in 0..self.ncols {
            for i in 0..self.nrows {
                // SAFETY: i < nrows, j < ncols; exclusive access through `&mut self`.
                unsafe { *self.ptr_at(i, j) = value };
            }
        }
    }

    /// Copies `src` into this view.
    ///
    /// # Panics
    /// If the shapes differ; the message names both.
    #[track_caller]
    pub fn copy_from(&mut self, src: MatRef<'_, T>) {
        assert!(
            src.nrows() == self.nrows && src.ncols() == self.ncols,
            "copy_from: destination is {}x{}, source is {}x{}",
            self.nrows,
            self.ncols,
            src.nrows(),
            src.ncols()
        );
        for j in 0..self.ncols {
            for i in 0..self.nrows {
                // SAFETY: i < nrows, j < ncols for both views (same shape); exclusive access
                // to self through `&mut self`.
                unsafe { *self.ptr_at(i, j) = src.get_unchecked(i, j) };
            }
        }
    }
}

impl<T: Scalar> Index<(usize, usize)> for MatMut<'_, T> {
    type Output = T;
    #[inline]
    #[track_caller]
    fn index(&self, (i, j): (usize, usize)) -> &T {
        self.as_ref().get_ref(i, j)
    }
}

impl<T: Scalar> IndexMut<(usize, usize)> for MatMut<'_, T> {
    #[inline]
    #[track_caller]
    fn index_mut(&mut self, (i, j): (usize, usize)) -> &mut T {
        self.get_mut(i, j)
    }
}

impl<T: Scalar> fmt::Debug for MatMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_ref().fmt(f)
    }
}
