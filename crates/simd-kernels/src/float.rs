//! The element trait: `f32` and `f64`. Its impls, whose hidden kernel methods dispatch on an
//! [`Isa`], are in `dispatch`.

use crate::isa::Isa;
use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

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
    fn sum_kernel(isa: Isa, x: &[Self], next: &[Self]) -> Self;
    #[doc(hidden)]
    fn sum_compensated_kernel(isa: Isa, x: &[Self], next: &[Self]) -> Self;
    #[doc(hidden)]
    fn axpy_kernel(isa: Isa, alpha: Self, x: &[Self], y: &mut [Self]);
    #[doc(hidden)]
    fn axpy_columns_kernel(isa: Isa, alphas: &[Self], cols: &[&[Self]], y: &mut [Self]);
    #[doc(hidden)]
    fn scale_kernel(isa: Isa, alpha: Self, x: &mut [Self]);
    #[doc(hidden)]
    fn sub_scalar_into_kernel(isa: Isa, x: &[Self], c: Self, out: &mut [Self]);
    #[doc(hidden)]
    fn gram_lower_lanes_kernel(
        isa: Isa,
        cols: &[&[Self]],
        next: &[&[Self]],
        lanes: Option<&mut [Self]>,
        carry_in: bool,
        g: Option<&mut [Self]>,
    );
    #[doc(hidden)]
    fn interleave_rows_kernel(isa: Isa, rows: &[&[Self]], dst: &mut [Self]);
    #[doc(hidden)]
    fn min_max_kernel(isa: Isa, x: &[Self]) -> Option<(Self, Self)>;
}
