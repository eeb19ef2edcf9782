//! The element trait: `f32` and `f64`, and the dispatch from an [`Isa`] value to a kernel.

use crate::Isa;
use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// Runs `$t`'s kernel `$f` on the path `$isa`, after checking the CPU supports it.
macro_rules! dispatch {
    ($isa:expr, $t:ident :: $f:ident ( $($arg:expr),* )) => {{
        let isa: $crate::Isa = $isa;
        isa.assert_supported();
        match isa {
            $crate::Isa::Scalar => $crate::arch::scalar::$t::$f($($arg),*),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: assert_supported above returned, so the CPU has AVX2 and FMA.
            $crate::Isa::Avx2Fma => unsafe { $crate::arch::avx2::$t::$f($($arg),*) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: assert_supported above returned, so the CPU has AVX-512F.
            $crate::Isa::Avx512 => unsafe { $crate::arch::avx512::$t::$f($($arg),*) },
            #[cfg(not(target_arch = "x86_64"))]
            _ => unreachable!("assert_supported rejects SIMD ISAs off x86_64"),
        }
    }};
}
pub(crate) use dispatch;

/// A floating-point element type the kernels run on: `f32` or `f64` (sealed).
///
/// Besides the arithmetic the upper layers need, it carries the per-type kernel dispatch;
/// those methods are hidden, call the free functions (`dot`, `sum`, ...) instead.
pub trait Float:
    sealed::Sealed
    + Copy
    + Debug
    + Display
    + Default
    + PartialEq
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Not a number.
    const NAN: Self;
    /// Positive infinity.
    const INFINITY: Self;
    /// Machine epsilon (the gap between 1 and the next larger value).
    const EPSILON: Self;
    /// `"f32"` or `"f64"`.
    const NAME: &'static str;
    /// Bytes per element.
    const BYTES: usize;

    /// Converts from `f64`, rounding to nearest.
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` (exact).
    fn to_f64(self) -> f64;
    /// Absolute value.
    fn abs(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Whether the value is NaN.
    fn is_nan(self) -> bool;
    /// Whether the value is neither infinite nor NaN.
    fn is_finite(self) -> bool;
    /// Larger of two values, ignoring NaN as `f64::max` does.
    fn max(self, other: Self) -> Self;
    /// Smaller of two values, ignoring NaN as `f64::min` does.
    fn min(self, other: Self) -> Self;

    #[doc(hidden)]
    fn dot_kernel(isa: Isa, a: &[Self], b: &[Self]) -> Self;
    #[doc(hidden)]
    fn sum_kernel(isa: Isa, x: &[Self]) -> Self;
    #[doc(hidden)]
    fn sum_compensated_kernel(isa: Isa, x: &[Self]) -> Self;
    #[doc(hidden)]
    fn axpy_kernel(isa: Isa, alpha: Self, x: &[Self], y: &mut [Self]);
    #[doc(hidden)]
    fn scale_kernel(isa: Isa, alpha: Self, x: &mut [Self]);
    #[doc(hidden)]
    fn min_max_kernel(isa: Isa, x: &[Self]) -> Option<(Self, Self)>;
}

macro_rules! impl_float {
    ($t:ident) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NAN: Self = $t::NAN;
            const INFINITY: Self = $t::INFINITY;
            const EPSILON: Self = $t::EPSILON;
            const NAME: &'static str = stringify!($t);
            const BYTES: usize = std::mem::size_of::<$t>();

            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn abs(self) -> Self {
                $t::abs(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                $t::sqrt(self)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                $t::is_nan(self)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                $t::max(self, other)
            }
            #[inline(always)]
            fn min(self, other: Self) -> Self {
                $t::min(self, other)
            }

            #[inline]
            fn dot_kernel(isa: Isa, a: &[Self], b: &[Self]) -> Self {
                dispatch!(isa, $t::dot(a, b))
            }
            #[inline]
            fn sum_kernel(isa: Isa, x: &[Self]) -> Self {
                dispatch!(isa, $t::sum(x))
            }
            #[inline]
            fn sum_compensated_kernel(isa: Isa, x: &[Self]) -> Self {
                dispatch!(isa, $t::sum_compensated(x))
            }
            #[inline]
            fn axpy_kernel(isa: Isa, alpha: Self, x: &[Self], y: &mut [Self]) {
                dispatch!(isa, $t::axpy(alpha, x, y))
            }
            #[inline]
            fn scale_kernel(isa: Isa, alpha: Self, x: &mut [Self]) {
                dispatch!(isa, $t::scale(alpha, x))
            }
            #[inline]
            fn min_max_kernel(isa: Isa, x: &[Self]) -> Option<(Self, Self)> {
                dispatch!(isa, $t::min_max(x))
            }
        }
    };
}
impl_float!(f32);
impl_float!(f64);
