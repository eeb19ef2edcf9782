//! Storage chosen by density: CSR below the measured crossover, dense above it.

use super::csr::{CsrMatrix, SparseError};
use crate::{Mat, MatRef, Scalar};
use simd_kernels::Isa;

/// Density below which [`matvec_auto`] keeps CSR storage. Both products stream their
/// matrix from memory once (CSR SpMV: 12 bytes and one gather per nonzero; the fused dense
/// GEMV: 8 bytes per element), so the crossover is set by bytes moved more than by the CPU:
/// by bytes alone it would be 2/3, the gathers bring it down. Measured by the `algos` bench
/// (`sparse`) at 4000 x 4000, CSR over dense took 0.02 / 0.12 / 0.36 / 0.57 / 0.82 / 0.97
/// of the time at 1 / 10 / 20 / 30 / 40 / 50% density on an AVX-512 Xeon (Sapphire Rapids
/// class), and 0.02 / 0.18 / 0.46 / 0.64 / 0.65 / 0.84 on an AVX2 AMD EPYC (Zen 3): 50%
/// is at or just below the crossover on both, so CSR is never chosen where dense is faster.
pub const CSR_DENSITY_CROSSOVER: f64 = 0.5;

/// A matrix stored as CSR or dense, whichever multiplies a vector faster for its density.
#[derive(Clone, Debug, PartialEq)]
pub enum AutoMatrix<T: Scalar> {
    /// Dense column-major storage (density at or above [`CSR_DENSITY_CROSSOVER`]).
    Dense(Mat<T>),
    /// CSR storage (density below [`CSR_DENSITY_CROSSOVER`]).
    Sparse(CsrMatrix<T>),
}

impl<T: Scalar> AutoMatrix<T> {
    /// Stores `m` as CSR (entries with `|value| > tol`) if that leaves a density below
    /// [`CSR_DENSITY_CROSSOVER`], else as a dense copy (small entries kept).
    ///
    /// # Errors
    /// As [`CsrMatrix::from_dense`].
    pub fn from_dense(m: MatRef<'_, T>, tol: T) -> Result<Self, SparseError> {
        let csr = CsrMatrix::from_dense(m, tol)?;
        Ok(if csr.density() < CSR_DENSITY_CROSSOVER {
            AutoMatrix::Sparse(csr)
        } else {
            AutoMatrix::Dense(m.to_owned())
        })
    }

    /// Keeps `csr` if its density is below [`CSR_DENSITY_CROSSOVER`], else densifies it.
    pub fn from_csr(csr: CsrMatrix<T>) -> Self {
        if csr.density() < CSR_DENSITY_CROSSOVER {
            AutoMatrix::Sparse(csr)
        } else {
            AutoMatrix::Dense(csr.to_dense())
        }
    }

    /// Rows.
    pub fn nrows(&self) -> usize {
        match self {
            AutoMatrix::Dense(m) => m.nrows(),
            AutoMatrix::Sparse(s) => s.nrows(),
        }
    }

    /// Columns.
    pub fn ncols(&self) -> usize {
        match self {
            AutoMatrix::Dense(m) => m.ncols(),
            AutoMatrix::Sparse(s) => s.ncols(),
        }
    }
}

/// `y = A x` with the storage [`AutoMatrix`] chose (CSR SpMV or dense GEMV).
///
/// # Panics
/// If `x.len() != ncols` or `y.len() != nrows`; the message names the shapes.
#[track_caller]
pub fn matvec_auto<T: Scalar>(a: &AutoMatrix<T>, x: &[T], y: &mut [T]) {
    match a {
        AutoMatrix::Dense(m) => gemv_dense(m.as_ref(), x, y),
        AutoMatrix::Sparse(s) => s.spmv(x, y),
    }
}

/// Dense `y = A x`: eight columns fused per pass over L1-sized row blocks when `A` is
/// column-contiguous, one SIMD `dot` per row when it is row-contiguous, plain loops
/// otherwise. `y`'s old contents are overwritten.
///
/// # Panics
/// If `x.len() != a.ncols()` or `y.len() != a.nrows()`; the message names the shapes.
#[track_caller]
pub fn gemv_dense<T: Scalar>(a: MatRef<'_, T>, x: &[T], y: &mut [T]) {
    let (m, n) = (a.nrows(), a.ncols());
    assert!(
        x.len() == n && y.len() == m,
        "gemv_dense: A is {m}x{n}, so x needs {n} values and y {m}; got x of {} and y of {}",
        x.len(),
        y.len()
    );
    crate::gemm::gemv_into(Isa::detect(), a, x, y);
}
