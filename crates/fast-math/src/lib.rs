//! `fast-math` (layer 3): dense matrices, packed GEMM, Strassen, Cholesky/QR, randomized
//! SVD, FFT convolution, compensated summation and CSR sparse operations.
//!
//! Built on the slice kernels of `simd-kernels` and the scratch buffers of `zero-copy-pool`.
//!
//! # Dense core
//! - [`Mat`] (owned, column-major, 64-byte aligned) and the strided views [`MatRef`] /
//!   [`MatMut`] (any row and column strides, free transpose, sub-views, zero-copy
//!   conversion to and from nalgebra's `DMatrix` / `DMatrixView`).
//! - [`gemm`](gemm()): `C <- alpha A B + beta C`, the Goto/BLIS scheme over the register
//!   micro-kernels of [`simd_kernels::gemm`] (AVX-512, AVX2+FMA, scalar; f64 and f32), with
//!   packed panels sized to L1/L2/L3 and explicit parallelism ([`Par`]).
//! - [`matmul`](matmul()) (switches to [`strassen`] above its measured crossover), [`gram`] (`X^T X`,
//!   one triangle), [`cholesky`] and [`qr`].
//!
//! Every kernel has a `*_with(isa, ...)` form; the plain form uses [`simd_kernels::Isa::detect`].
//!
//! ```
//! use fast_math::{matmul, Mat, Par};
//! let a = Mat::from_fn(3, 2, |i, j| (i + j) as f64);
//! let b = Mat::from_fn(2, 4, |i, j| (i * j) as f64);
//! let c = matmul(a.as_ref(), b.as_ref(), Par::Seq);
//! assert_eq!(c[(2, 3)], 2.0 * 0.0 + 3.0 * 3.0);
//! ```

mod buffer;
pub mod conv;
mod gemm;
mod linalg;
mod mat;
mod matmul;
mod par;
pub mod rsvd;
pub mod sparse;
pub mod strassen;
mod team;
mod wy;

pub use gemm::{
    blocking, blocking_for_caches, gemm, gemm_prepacked, gemm_with, gram, gram_add_lower,
    gram_add_lower_ahead_with, gram_add_lower_with, gram_with, Blocking, PackedLhs,
};
pub use linalg::{cholesky, cholesky_with, qr, qr_with, Cholesky, LinalgError, Qr};
pub use mat::{padded_col_stride, Mat, MatMut, MatRef, NalgebraView};
pub use matmul::{matmul, matmul_with, STRASSEN_CUTOFF_ENV};
pub use par::{for_each_job, install, set_min_parallel_macs, Par};
pub use team::Team;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// Element types of the dense core: `f32` and `f64` (sealed).
///
/// It combines the arithmetic of [`simd_kernels::Float`], the micro-kernels of
/// [`simd_kernels::gemm::GemmScalar`] and nalgebra's scalar trait (for the interop), is
/// [`Zeroable`](zero_copy_pool::Zeroable) (zero matrices come from the allocator already
/// zeroed), and carries a hidden per-type hook (packing buffers from the pool layer).
pub trait Scalar:
    simd_kernels::gemm::GemmScalar + nalgebra::Scalar + zero_copy_pool::Zeroable + sealed::Sealed
{
    #[doc(hidden)]
    fn with_pack<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R;
}

impl Scalar for f64 {
    #[inline]
    fn with_pack<R>(len: usize, f: impl FnOnce(&mut [f64]) -> R) -> R {
        f(&mut buffer::take_f64(len))
    }
}

impl Scalar for f32 {
    #[inline]
    fn with_pack<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
        f(&mut buffer::take_f32(len))
    }
}
