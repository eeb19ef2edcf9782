//! [`MatRef`]: the read-only strided view. The layout rule `(i, j) -> i * row_stride + j *
//! col_stride` is written here only; [`MatMut`](super::MatMut) reaches its elements, blocks
//! and transposes through a `MatRef` of itself.

use super::bounds::{check_block, check_index, check_view};
use crate::Scalar;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Index;

/// A read-only view of a matrix: `nrows x ncols` elements at `(i, j) -> i * row_stride + j *
/// col_stride` from a base pointer. Copying it is free, and so is [`t`](MatRef::t).
pub struct MatRef<'a, T> {
    pub(super) ptr: *const T,
    pub(super) nrows: usize,
    pub(super) ncols: usize,
    pub(super) rs: usize,
    pub(super) cs: usize,
    pub(super) _life: PhantomData<&'a [T]>,
}

impl<T> Clone for MatRef<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for MatRef<'_, T> {}

// SAFETY: a MatRef is a shared borrow of `T`s (like `&[T]`), so it may cross threads exactly
// when `&T` may: when `T: Sync`.
unsafe impl<T: Sync> Send for MatRef<'_, T> {}
// SAFETY: as above; sharing a MatRef only permits reads of `T: Sync` values.
unsafe impl<T: Sync> Sync for MatRef<'_, T> {}

impl<'a, T: Scalar> MatRef<'a, T> {
    /// A view of `data` with element `(i, j)` at `i * row_stride + j * col_stride`.
    ///
    /// # Panics
    /// If the view reaches past the end of `data` (the message names shape, strides and
    /// length).
    #[track_caller]
    pub fn from_slice(
        data: &'a [T],
        nrows: usize,
        ncols: usize,
        row_stride: usize,
        col_stride: usize,
    ) -> Self {
        check_view(
            "MatRef::from_slice",
            data.len(),
            nrows,
            ncols,
            row_stride,
            col_stride,
        );
        MatRef {
            ptr: data.as_ptr(),
            nrows,
            ncols,
            rs: row_stride,
            cs: col_stride,
            _life: PhantomData,
        }
    }

    /// A column-major view (`row_stride = 1`, `col_stride = nrows`).
    ///
    /// # Panics
    /// If `data` holds fewer than `nrows * ncols` elements.
    #[track_caller]
    pub fn from_col_major(data: &'a [T], nrows: usize, ncols: usize) -> Self {
        Self::from_slice(data, nrows, ncols, 1, nrows)
    }

    /// A row-major view (`row_stride = ncols`, `col_stride = 1`).
    ///
    /// # Panics
    /// If `data` holds fewer than `nrows * ncols` elements.
    #[track_caller]
    pub fn from_row_major(data: &'a [T], nrows: usize, ncols: usize) -> Self {
        Self::from_slice(data, nrows, ncols, ncols, 1)
    }

    /// A view from raw parts.
    ///
    /// # Safety
    /// For every `i < nrows`, `j < ncols`, `ptr + i * row_stride + j * col_stride` must be
    /// in bounds of one allocation, initialized, and not mutated for `'a`; when the view has
    /// elements, the whole range from `ptr` to its last element must lie in that allocation.
    pub unsafe fn from_raw_parts(
        ptr: *const T,
        nrows: usize,
        ncols: usize,
        row_stride: usize,
        col_stride: usize,
    ) -> Self {
        MatRef {
            ptr,
            nrows,
            ncols,
            rs: row_stride,
            cs: col_stride,
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
    pub fn as_ptr(&self) -> *const T {
        self.ptr
    }

    /// Element `(i, j)`.
    ///
    /// # Panics
    /// If `(i, j)` is out of bounds.
    #[inline]
    #[track_caller]
    pub fn get(&self, i: usize, j: usize) -> T {
        *self.get_ref(i, j)
    }

    #[inline]
    #[track_caller]
    pub(super) fn get_ref(&self, i: usize, j: usize) -> &'a T {
        let p = self.ptr_checked(i, j);
        // SAFETY: `p` addresses an element of the borrowed allocation (bounds checked), valid
        // for reads for 'a.
        unsafe { &*p }
    }

    /// Element `(i, j)` without a bounds check.
    ///
    /// # Safety
    /// `i < nrows` and `j < ncols`.
    #[inline(always)]
    pub(crate) unsafe fn get_unchecked(&self, i: usize, j: usize) -> T {
        // SAFETY: (i, j) is in bounds by the caller's contract, so this reads an element of
        // the borrowed allocation.
        unsafe { *self.ptr_at(i, j) }
    }

    /// Pointer to element `(i, j)`, after a bounds check (no access happens).
    #[inline]
    #[track_caller]
    pub(super) fn ptr_checked(&self, i: usize, j: usize) -> *const T {
        check_index(i, j, self.nrows, self.ncols);
        // SAFETY: (i, j) is in bounds (checked).
        unsafe { self.ptr_at(i, j) }
    }

    /// Pointer to element `(i, j)` without a bounds check (no access happens).
    ///
    /// # Safety
    /// `i < nrows` and `j < ncols` (or `i == 0 && j == 0`).
    #[inline(always)]
    pub(super) unsafe fn ptr_at(&self, i: usize, j: usize) -> *const T {
        // SAFETY: by the caller's contract the offset addresses an element of the view (or
        // its base), which lies in the borrowed allocation (type invariant).
        unsafe { self.ptr.add(i * self.rs + j * self.cs) }
    }

    /// The transpose (swaps the shape and the strides; no data moves).
    #[inline]
    pub fn t(self) -> Self {
        MatRef {
            ptr: self.ptr,
            nrows: self.ncols,
            ncols: self.nrows,
            rs: self.cs,
            cs: self.rs,
            _life: PhantomData,
        }
    }

    /// The `nrows x ncols` block starting at `(i, j)`.
    ///
    /// # Panics
    /// If the block does not fit inside this view.
    #[inline]
    #[track_caller]
    pub fn submatrix(self, i: usize, j: usize, nrows: usize, ncols: usize) -> Self {
        check_block(i, j, nrows, ncols, self.nrows, self.ncols);
        let ptr = if nrows == 0 || ncols == 0 {
            // An empty block may start past the last element: it keeps the base pointer.
            self.ptr
        } else {
            // SAFETY: the block is non-empty and fits (checked), so (i, j) is an element of
            // this view.
            unsafe { self.ptr_at(i, j) }
        };
        MatRef {
            ptr,
            nrows,
            ncols,
            rs: self.rs,
            cs: self.cs,
            _life: PhantomData,
        }
    }

    /// Row `i` as a `1 x ncols` view.
    ///
    /// # Panics
    /// If `i >= nrows`.
    #[track_caller]
    pub fn row(self, i: usize) -> Self {
        self.submatrix(i, 0, 1, self.ncols)
    }

    /// Column `j` as an `nrows x 1` view.
    ///
    /// # Panics
    /// If `j >= ncols`.
    #[track_caller]
    pub fn col(self, j: usize) -> Self {
        self.submatrix(0, j, self.nrows, 1)
    }

    /// Column `j` as a slice, when the view is column-contiguous (`row_stride == 1`, or a
    /// single row).
    pub fn col_slice(&self, j: usize) -> Option<&'a [T]> {
        if j >= self.ncols || (self.rs != 1 && self.nrows > 1) {
            return None;
        }
        if self.nrows == 0 {
            return Some(&[]);
        }
        // SAFETY: j < ncols and the view has a row, so (0, j) is an element; rows 0..nrows of
        // column j are consecutive elements (unit row stride) inside the borrowed allocation,
        // valid for reads for 'a.
        Some(unsafe { std::slice::from_raw_parts(self.ptr_at(0, j), self.nrows) })
    }

    /// Whether every element is finite.
    pub fn is_all_finite(&self) -> bool {
        (0..self.ncols).all(|j| match self.col_slice(j) {
            // A contiguous column is checked a chunk at a time with no early exit inside a
            // chunk, which the compiler turns into vector compares (an exit after every
            // element kept the check scalar).
            Some(col) => col
                .chunks(64)
                .all(|c| c.iter().fold(true, |ok, v| ok & v.is_finite())),
            None => (0..self.nrows).all(|i| {
                // SAFETY: i < nrows, j < ncols.
                unsafe { self.get_unchecked(i, j) }.is_finite()
            }),
        })
    }

    /// The first infinity or NaN, column by column, as `(row, column)`, if any: the fast
    /// [`is_all_finite`](Self::is_all_finite) first, the position searched for only when
    /// it finds one.
    pub(crate) fn first_non_finite(&self) -> Option<(usize, usize)> {
        if self.is_all_finite() {
            return None;
        }
        (0..self.ncols).find_map(|j| {
            (0..self.nrows)
                .find(|&i| !self.get(i, j).is_finite())
                .map(|i| (i, j))
        })
    }

    /// Largest absolute element (`0` for an empty view; NaN if any element is NaN).
    pub fn max_abs(&self) -> T {
        let mut m = T::ZERO;
        for j in 0..self.ncols {
            for i in 0..self.nrows {
                // SAFETY: i < nrows, j < ncols.
                let v = unsafe { self.get_unchecked(i, j) }.abs();
                if v.is_nan() {
                    return v;
                }
                m = m.max(v);
            }
        }
        m
    }

    /// Frobenius norm `sqrt(sum |a_ij|^2)`, computed with scaling so it does not overflow.
    pub fn norm_frobenius(&self) -> T {
        let scale = self.max_abs();
        if scale == T::ZERO || !scale.is_finite() {
            return scale;
        }
        let mut s = T::ZERO;
        for j in 0..self.ncols {
            for i in 0..self.nrows {
                // SAFETY: i < nrows, j < ncols.
                let v = unsafe { self.get_unchecked(i, j) } / scale;
                s += v * v;
            }
        }
        scale * s.sqrt()
    }
}

impl<T: Scalar> Index<(usize, usize)> for MatRef<'_, T> {
    type Output = T;
    #[inline]
    #[track_caller]
    fn index(&self, (i, j): (usize, usize)) -> &T {
        self.get_ref(i, j)
    }
}

impl<T: Scalar> fmt::Debug for MatRef<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "[{}x{}", self.nrows, self.ncols)?;
        for i in 0..self.nrows {
            let row: Vec<T> = (0..self.ncols).map(|j| self.get(i, j)).collect();
            writeln!(f, "  {row:?}")?;
        }
        write!(f, "]")
    }
}
