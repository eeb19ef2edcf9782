//! The private vector abstraction every kernel is written against once.
//!
//! Each ISA module implements [`Vector`] for its register types. The methods are safe, but
//! the intrinsics inside them require the ISA's target features: a value of an ISA's vector
//! type is only ever created inside that ISA's `#[target_feature]` entry points, which the
//! dispatcher calls only after checking the CPU supports the ISA. Nothing outside this crate
//! can name these types.

/// A SIMD register holding `LANES` elements of `T`.
pub(crate) trait Vector<T: Copy>: Copy {
    /// Elements per register.
    const LANES: usize;
    /// Every lane set to `x`.
    fn splat(x: T) -> Self;
    /// Loads the first `LANES` elements of `s` (unaligned).
    ///
    /// Panics if `s` is shorter than `LANES`; inside `chunks_exact` loops the check folds away.
    fn load(s: &[T]) -> Self;
    /// Stores into the first `LANES` elements of `s`.
    fn store(self, s: &mut [T]);
    /// Lane-wise `self + b`.
    fn add(self, b: Self) -> Self;
    /// Lane-wise `self - b`.
    fn sub(self, b: Self) -> Self;
    /// Lane-wise `self * b`.
    fn mul(self, b: Self) -> Self;
    /// Lane-wise `self * b + c`, fused (one rounding) where the ISA has FMA.
    fn mul_add(self, b: Self, c: Self) -> Self;
    /// Lane-wise minimum; when either lane is NaN the result lane is unspecified.
    fn min(self, b: Self) -> Self;
    /// Lane-wise maximum; when either lane is NaN the result lane is unspecified.
    fn max(self, b: Self) -> Self;
    /// Scalar `a * b + c` rounded the way this ISA's `mul_add` rounds (fused on FMA ISAs), so
    /// tails agree with the vector body.
    fn mul_add_scalar(a: T, b: T, c: T) -> T;
    /// Copies the lanes out, lane 0 first.
    fn to_array(self, out: &mut [T]);
}
