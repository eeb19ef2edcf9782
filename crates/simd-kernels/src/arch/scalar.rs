//! The portable path: one element per "register", no intrinsics.

use crate::float::Float;
use crate::simd::Simd;

/// The token of the portable path: every CPU has it, so anyone may make one.
#[derive(Clone, Copy)]
pub(crate) struct Scalar(());

impl Scalar {
    /// The token (no CPU feature is needed).
    #[inline(always)]
    pub(crate) const fn new() -> Self {
        Scalar(())
    }
}

/// A single element posing as a one-lane register.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct One<T>(T);

impl<T: Float> Simd<T> for Scalar {
    type V = One<T>;
    const LANES: usize = 1;
    // x86-64's 16 SSE registers hold the scalar code's values.
    const REGISTERS: usize = 16;
    #[inline(always)]
    fn splat(self, x: T) -> One<T> {
        One(x)
    }
    #[inline(always)]
    fn load(self, s: &[T]) -> One<T> {
        One(s[0])
    }
    #[inline(always)]
    fn store(self, v: One<T>, s: &mut [T]) {
        s[0] = v.0;
    }
    #[inline(always)]
    unsafe fn load_ptr(self, p: *const T) -> One<T> {
        // SAFETY: the caller guarantees `p` is valid for one read.
        One(unsafe { *p })
    }
    #[inline(always)]
    unsafe fn store_ptr(self, v: One<T>, p: *mut T) {
        // SAFETY: the caller guarantees `p` is valid for one write.
        unsafe { *p = v.0 }
    }
    #[inline(always)]
    fn add(self, a: One<T>, b: One<T>) -> One<T> {
        One(a.0 + b.0)
    }
    #[inline(always)]
    fn sub(self, a: One<T>, b: One<T>) -> One<T> {
        One(a.0 - b.0)
    }
    #[inline(always)]
    fn mul(self, a: One<T>, b: One<T>) -> One<T> {
        One(a.0 * b.0)
    }
    #[inline(always)]
    fn mul_add(self, a: One<T>, b: One<T>, c: One<T>) -> One<T> {
        // Unfused: a software fma would cost ~20x, and this path must stay portable.
        One(a.0 * b.0 + c.0)
    }
    #[inline(always)]
    fn min(self, a: One<T>, b: One<T>) -> One<T> {
        if b.0 < a.0 {
            b
        } else {
            a
        }
    }
    #[inline(always)]
    fn max(self, a: One<T>, b: One<T>) -> One<T> {
        if b.0 > a.0 {
            b
        } else {
            a
        }
    }
    #[inline(always)]
    fn mul_add_scalar(self, a: T, b: T, c: T) -> T {
        a * b + c
    }
    #[inline(always)]
    fn to_array(self, v: One<T>, out: &mut [T]) {
        out[0] = v.0;
    }
}

pub(crate) mod f64 {
    use super::Scalar;
    crate::generic::entry_points!(f64, Scalar);

    pub(crate) fn moments(x: &[f64]) -> crate::moments::Moments {
        crate::generic::slice::moments(Scalar::new(), x)
    }

    // The scalar path has one tile for both shapes.
    crate::generic::gemm::microkernel!(gemm_4x4, f64, Scalar, 4 x 4);
    crate::generic::gemm::microkernel!(gemm_4x2, f64, Scalar, 4 x 2);

    pub(crate) fn interleave_rows(rows: &[&[f64]], dst: &mut [f64]) {
        crate::generic::interleave::interleave(rows, dst)
    }
}

pub(crate) mod f32 {
    use super::Scalar;
    crate::generic::entry_points!(f32, Scalar);

    crate::generic::gemm::microkernel!(gemm_4x4, f32, Scalar, 4 x 4);
    crate::generic::gemm::microkernel!(gemm_4x2, f32, Scalar, 4 x 2);

    pub(crate) fn interleave_rows(rows: &[&[f32]], dst: &mut [f32]) {
        crate::generic::interleave::interleave(rows, dst)
    }
}

/// The histogram kernels, compiled for this ISA (the algorithm is scalar; see
/// `generic::histogram`).
pub(crate) mod histogram {
    crate::generic::histogram::histogram_entry_points!();
}

/// The split scan, compiled for this ISA (the algorithm is written once; see
/// `generic::split_scan`).
pub(crate) mod split_scan {
    crate::generic::split_scan::split_scan_entry_points!();
}
