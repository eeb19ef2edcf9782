//! The one private SIMD abstraction every algorithm of the crate is written against: the slice
//! kernels, the machine probes and the GEMM micro-kernel. See [`Simd`] for why its methods
//! take an ISA token rather than being `unsafe fn`.

/// A proof that the CPU supports one instruction set, and the operations of that instruction
/// set on registers of `LANES` elements of `T`.
///
/// # Tokens, not `unsafe fn`
///
/// An implementor is a zero-sized *token* whose existence proves the CPU has its instruction
/// set (pulp's design: `if let Some(simd) = V3::try_new() { .. }`). Every method that executes
/// ISA-specific instructions takes the token (`self`), so the methods are safe: the unsafe
/// block around each intrinsic, in `arch`, is justified by the token the method received.
/// [`load_ptr`](Self::load_ptr) and [`store_ptr`](Self::store_ptr) are `unsafe fn` only for
/// their raw pointer.
///
/// A SIMD token has a single constructor, a safe `#[target_feature(enable = ..)]` function
/// with an empty body. Safe code can call it only from a function compiled with the same
/// features, which is why the per-ISA entry points can make their token without `unsafe`,
/// and why an entry point whose attribute enabled fewer features than its token needs would
/// not compile. Such a function can only be entered (an `unsafe` call, justified where it
/// stands by `Isa::assert_supported`) on a CPU that has the features. Apart from the entry
/// points, these constructors are the only `#[target_feature]` functions; everything written
/// over `Simd` is `#[inline(always)]` and compiles with the entry point's features.
///
/// We chose the token over memchr's "every method is an `unsafe fn`" because most of what the
/// algorithms do is plain safe slice code: with `unsafe fn` methods every kernel body would
/// become one large `unsafe` block whose `// SAFETY:` comment can only repeat "the caller
/// guarantees the ISA", and that block would hide the few operations that need a reviewer's
/// eye (the raw-pointer loads and stores of the GEMM micro-kernel). With the token the
/// algorithms are safe functions and the `unsafe` left is about memory only. The token is a
/// zero-sized `Copy` value, so passing it costs nothing once inlined.
///
/// # Registers
///
/// The register type [`V`](Self::V) is `LANES` contiguous elements of `T` with no padding
/// (a `#[repr(transparent)]` wrapper of a vendor vector type, or of `T` itself), so an array
/// of registers may be read as an array of `T`; the GEMM micro-kernel relies on that.
pub(crate) trait Simd<T: Copy>: Copy {
    /// A register of this ISA holding `LANES` elements of `T`.
    type V: Copy;
    /// Elements per register.
    const LANES: usize;
    /// Vector registers the ISA has (what a register tile may hold).
    const REGISTERS: usize;
    /// Every lane set to `x`.
    fn splat(self, x: T) -> Self::V;
    /// Loads the first `LANES` elements of `s` (unaligned).
    ///
    /// Panics if `s` is shorter than `LANES`; inside `chunks_exact` loops the check folds away.
    fn load(self, s: &[T]) -> Self::V;
    /// Stores `v` into the first `LANES` elements of `s` (unaligned).
    ///
    /// Panics if `s` is shorter than `LANES`.
    fn store(self, v: Self::V, s: &mut [T]);
    /// Loads `LANES` elements from `p` (unaligned).
    ///
    /// # Safety
    /// `p` must be valid for reads of `LANES` elements.
    unsafe fn load_ptr(self, p: *const T) -> Self::V;
    /// Stores `v` to the `LANES` elements at `p` (unaligned).
    ///
    /// # Safety
    /// `p` must be valid for writes of `LANES` elements.
    unsafe fn store_ptr(self, v: Self::V, p: *mut T);
    /// Lane-wise `a + b`.
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise `a - b`.
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise `a * b`.
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise `a * b + c`, fused (one rounding) where the ISA has FMA.
    fn mul_add(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// Lane-wise minimum; when either lane is NaN the result lane is unspecified.
    fn min(self, a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise maximum; when either lane is NaN the result lane is unspecified.
    fn max(self, a: Self::V, b: Self::V) -> Self::V;
    /// Scalar `a * b + c` rounded the way this ISA's `mul_add` rounds (fused on FMA ISAs), so
    /// tails agree with the vector body.
    fn mul_add_scalar(self, a: T, b: T, c: T) -> T;
    /// Copies the lanes of `v` out, lane 0 first, into the first `LANES` elements of `out`.
    ///
    /// Panics if `out` is shorter than `LANES`.
    fn to_array(self, v: Self::V, out: &mut [T]);
}
