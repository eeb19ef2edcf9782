//! Compressed sparse row (CSR) matrices and their products with dense vectors and
//! matrices, plus [`AutoMatrix`] / [`matvec_auto`], which keep a matrix as CSR only while
//! that is faster than dense GEMV (a crossover density measured on the project machine).
//!
//! ```
//! use fast_math::sparse::CsrMatrix;
//! let a = CsrMatrix::from_triplets(2, 3, &[(0, 0, 1.0), (1, 2, 2.0), (0, 0, 0.5)]).unwrap();
//! assert_eq!(a.nnz(), 2); // the duplicate (0, 0) was summed
//! let mut y = [0.0; 2];
//! a.spmv(&[1.0, 1.0, 1.0], &mut y);
//! assert_eq!(y, [1.5, 2.0]);
//! ```

mod auto;
mod csr;
mod ops;

pub use auto::{gemv_dense, matvec_auto, AutoMatrix, CSR_DENSITY_CROSSOVER};
pub use csr::{CsrMatrix, SparseError};
