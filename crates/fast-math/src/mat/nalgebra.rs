//! nalgebra interop: zero-copy views both ways, copies for owned matrices.

use super::bounds::{check_no_alias, max_offset};
use super::matmut::MatMut;
use super::matown::Mat;
use super::matref::MatRef;
use crate::Scalar;

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
