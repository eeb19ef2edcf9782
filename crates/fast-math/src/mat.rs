//! Dense matrices: the owned, column-major [`Mat`] and the strided views [`MatRef`] and
//! [`MatMut`].

use crate::buffer::Storage;
use crate::Scalar;
use std::fmt;
use std::marker::PhantomData;
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
        Self::filled(nrows, ncols, T::ZERO)
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

#[track_caller]
#[inline]
fn check_index(i: usize, j: usize, nrows: usize, ncols: usize) {
    if i >= nrows || j >= ncols {
        index_oob(i, j, nrows, ncols)
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn index_oob(i: usize, j: usize, nrows: usize, ncols: usize) -> ! {
    panic!("matrix index ({i}, {j}) out of bounds for a {nrows}x{ncols} matrix")
}

/// Largest element offset of a view, or `None` when it has no element.
fn max_offset(nrows: usize, ncols: usize, rs: usize, cs: usize) -> Option<usize> {
    if nrows == 0 || ncols == 0 {
        return None;
    }
    (nrows - 1)
        .checked_mul(rs)
        .and_then(|a| (ncols - 1).checked_mul(cs).and_then(|b| a.checked_add(b)))
        .or_else(|| panic!("view {nrows}x{ncols} with strides ({rs}, {cs}) overflows usize"))
}

#[track_caller]
fn check_view(what: &str, len: usize, nrows: usize, ncols: usize, rs: usize, cs: usize) {
    if let Some(last) = max_offset(nrows, ncols, rs, cs) {
        assert!(
            last < len,
            "{what}: a {nrows}x{ncols} view with strides ({rs}, {cs}) reaches element {last}, \
             but the slice holds {len}"
        );
    }
}

/// A read-only view of a matrix: `nrows x ncols` elements at `(i, j) -> i * row_stride + j *
/// col_stride` from a base pointer. Copying it is free, and so is [`t`](MatRef::t).
pub struct MatRef<'a, T> {
    ptr: *const T,
    nrows: usize,
    ncols: usize,
    rs: usize,
    cs: usize,
    _life: PhantomData<&'a [T]>,
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
    fn get_ref(&self, i: usize, j: usize) -> &'a T {
        check_index(i, j, self.nrows, self.ncols);
        // SAFETY: (i, j) is in bounds (checked), so the offset addresses an element of the
        // borrowed allocation (type invariant), valid for reads for 'a.
        unsafe { &*self.ptr.add(i * self.rs + j * self.cs) }
    }

    /// Element `(i, j)` without a bounds check.
    ///
    /// # Safety
    /// `i < nrows` and `j < ncols`.
    #[inline(always)]
    pub(crate) unsafe fn get_unchecked(&self, i: usize, j: usize) -> T {
        // SAFETY: (i, j) is in bounds by the caller's contract.
        unsafe { *self.ptr.add(i * self.rs + j * self.cs) }
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
        let off = if nrows == 0 || ncols == 0 {
            0
        } else {
            i * self.rs + j * self.cs
        };
        // SAFETY: when the block is non-empty, (i, j) is an element of this view, so the
        // offset stays inside the borrowed allocation; an empty block keeps the base pointer.
        let ptr = unsafe { self.ptr.add(off) };
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

    /// Copies the view into a new column-major matrix.
    pub fn to_owned(&self) -> Mat<T> {
        Mat::from_fn(self.nrows, self.ncols, |i, j| {
            // SAFETY: from_fn only passes i < nrows, j < ncols.
            unsafe { self.get_unchecked(i, j) }
        })
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
        // SAFETY: rows 0..nrows of column j are consecutive elements (unit row stride)
        // inside the borrowed allocation, valid for reads for 'a.
        Some(unsafe { std::slice::from_raw_parts(self.ptr.add(j * self.cs), self.nrows) })
    }

    /// Whether every element is finite.
    pub fn is_all_finite(&self) -> bool {
        (0..self.ncols).all(|j| {
            (0..self.nrows).all(|i| {
                // SAFETY: i < nrows, j < ncols.
                unsafe { self.get_unchecked(i, j) }.is_finite()
            })
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

#[track_caller]
fn check_block(i: usize, j: usize, nrows: usize, ncols: usize, pr: usize, pc: usize) {
    let ok = i.checked_add(nrows).is_some_and(|e| e <= pr)
        && j.checked_add(ncols).is_some_and(|e| e <= pc);
    assert!(
        ok,
        "block of {nrows}x{ncols} at ({i}, {j}) does not fit in a {pr}x{pc} matrix"
    );
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
        MatRef {
            ptr: self.ptr,
            nrows: self.nrows,
            ncols: self.ncols,
            rs: self.rs,
            cs: self.cs,
            _life: PhantomData,
        }
    }

    /// A shorter-lived mutable view of the same elements (a reborrow).
    #[inline]
    pub fn as_mut(&mut self) -> MatMut<'_, T> {
        MatMut {
            ptr: self.ptr,
            nrows: self.nrows,
            ncols: self.ncols,
            rs: self.rs,
            cs: self.cs,
            _life: PhantomData,
        }
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
        check_index(i, j, self.nrows, self.ncols);
        // SAFETY: (i, j) is in bounds (checked); this view has exclusive access to its
        // elements, and `&mut self` makes the returned borrow unique.
        unsafe { &mut *self.ptr.add(i * self.rs + j * self.cs) }
    }

    /// Pointer to element `(i, j)` without a bounds check (no access happens).
    ///
    /// # Safety
    /// `i < nrows` and `j < ncols` (or `i == 0 && j == 0`).
    #[inline(always)]
    pub(crate) unsafe fn ptr_at(&self, i: usize, j: usize) -> *mut T {
        // SAFETY: in bounds of the viewed allocation by the caller's contract.
        unsafe { self.ptr.add(i * self.rs + j * self.cs) }
    }

    /// The transpose (no data moves).
    #[inline]
    pub fn t(self) -> Self {
        MatMut {
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
    pub fn submatrix_mut(self, i: usize, j: usize, nrows: usize, ncols: usize) -> Self {
        check_block(i, j, nrows, ncols, self.nrows, self.ncols);
        let off = if nrows == 0 || ncols == 0 {
            0
        } else {
            i * self.rs + j * self.cs
        };
        // SAFETY: when the block is non-empty, (i, j) is an element of this view; an empty
        // block keeps the base pointer.
        let ptr = unsafe { self.ptr.add(off) };
        MatMut {
            ptr,
            nrows,
            ncols,
            rs: self.rs,
            cs: self.cs,
            _life: PhantomData,
        }
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
        let top = MatMut { ..self.alias() };
        let top = top.submatrix_mut(0, 0, i, c);
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

    /// A second handle to the same elements; only used to build disjoint pieces.
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
            src.nrows == self.nrows && src.ncols == self.ncols,
            "copy_from: destination is {}x{}, source is {}x{}",
            self.nrows,
            self.ncols,
            src.nrows,
            src.ncols
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

#[track_caller]
fn check_no_alias(nrows: usize, ncols: usize, rs: usize, cs: usize) {
    if nrows == 0 || ncols == 0 {
        return;
    }
    if nrows == 1 || ncols == 1 {
        let (n, s) = if nrows > 1 { (nrows, rs) } else { (ncols, cs) };
        assert!(
            n <= 1 || s >= 1,
            "a stride of 0 makes the {nrows}x{ncols} view alias itself"
        );
        return;
    }
    let (lo, lo_n, hi) = if rs <= cs {
        (rs, nrows, cs)
    } else {
        (cs, ncols, rs)
    };
    assert!(
        lo >= 1 && hi >= lo * lo_n,
        "strides ({rs}, {cs}) make the {nrows}x{ncols} view alias itself"
    );
}

impl<T: Scalar> Index<(usize, usize)> for MatMut<'_, T> {
    type Output = T;
    #[inline]
    #[track_caller]
    fn index(&self, (i, j): (usize, usize)) -> &T {
        check_index(i, j, self.nrows, self.ncols);
        // SAFETY: in bounds (checked); `&self` prevents writes while the borrow lives.
        unsafe { &*self.ptr.add(i * self.rs + j * self.cs) }
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

// ---- nalgebra interop: zero-copy views both ways, copies for owned matrices. ----

impl<'a, T: Scalar> From<&'a nalgebra::DMatrix<T>> for MatRef<'a, T> {
    fn from(m: &'a nalgebra::DMatrix<T>) -> Self {
        MatRef::from_col_major(m.as_slice(), m.nrows(), m.ncols())
    }
}

impl<'a, T: Scalar> From<&'a mut nalgebra::DMatrix<T>> for MatMut<'a, T> {
    fn from(m: &'a mut nalgebra::DMatrix<T>) -> Self {
        let (r, c) = m.shape();
        MatMut::from_col_major(m.as_mut_slice(), r, c)
    }
}

/// A nalgebra view with arbitrary row and column strides.
pub type NalgebraView<'a, T> = nalgebra::DMatrixView<'a, T, nalgebra::Dyn, nalgebra::Dyn>;

macro_rules! from_nalgebra_view {
    ($rs:ty) => {
        impl<'a, T: Scalar> From<nalgebra::DMatrixView<'a, T, $rs, nalgebra::Dyn>>
            for MatRef<'a, T>
        {
            fn from(v: nalgebra::DMatrixView<'a, T, $rs, nalgebra::Dyn>) -> Self {
                let (r, c) = v.shape();
                let (rs, cs) = v.strides();
                // SAFETY: the nalgebra view borrows its elements for 'a, with element (i, j)
                // at i * rs + j * cs from its data pointer inside one allocation, and allows
                // no writes while it lives.
                unsafe { MatRef::from_raw_parts(v.as_ptr(), r, c, rs, cs) }
            }
        }
    };
}
from_nalgebra_view!(nalgebra::U1);
from_nalgebra_view!(nalgebra::Dyn);

impl<'a, T: Scalar> From<nalgebra::DMatrixViewMut<'a, T>> for MatMut<'a, T> {
    fn from(mut v: nalgebra::DMatrixViewMut<'a, T>) -> Self {
        let (r, c) = v.shape();
        let (rs, cs) = v.strides();
        check_no_alias(r, c, rs, cs);
        // SAFETY: the nalgebra view borrows its elements exclusively for 'a, with element
        // (i, j) at i * rs + j * cs from its data pointer inside one allocation; the strides
        // were checked not to alias.
        unsafe { MatMut::from_raw_parts(v.as_mut_ptr(), r, c, rs, cs) }
    }
}

impl<'a, T: Scalar> MatRef<'a, T> {
    /// The same elements as a nalgebra view (no copy).
    pub fn as_nalgebra(&self) -> NalgebraView<'a, T> {
        let len = max_offset(self.nrows, self.ncols, self.rs, self.cs).map_or(0, |l| l + 1);
        // SAFETY: by the type invariant, every element of the view lies in one allocation
        // between `ptr` and the last element, borrowed immutably for 'a.
        let data = unsafe { std::slice::from_raw_parts(self.ptr, len) };
        // nalgebra wants the slice to reach the last element; strides are at least 1 there.
        NalgebraView::from_slice_with_strides_generic(
            data,
            nalgebra::Dyn(self.nrows),
            nalgebra::Dyn(self.ncols),
            nalgebra::Dyn(self.rs.max(1)),
            nalgebra::Dyn(self.cs.max(1)),
        )
    }
}

impl<T: Scalar> From<&nalgebra::DMatrix<T>> for Mat<T> {
    fn from(m: &nalgebra::DMatrix<T>) -> Self {
        Mat::from_col_major(m.nrows(), m.ncols(), m.as_slice())
    }
}

impl<T: Scalar> From<&Mat<T>> for nalgebra::DMatrix<T> {
    fn from(m: &Mat<T>) -> Self {
        nalgebra::DMatrix::from_column_slice(m.nrows(), m.ncols(), m.as_slice())
    }
}
