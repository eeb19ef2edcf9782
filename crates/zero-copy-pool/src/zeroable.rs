//! [`Zeroable`]: the types whose all-zero bytes are a value, so zeroed memory can stand in
//! for written zeros (zeroed buffers, zeroed pool takes, zeroed arena slices).

use core::ptr;

/// Types for which the all-zero bit pattern is a valid value.
///
/// `AlignedVec::zeroed`, the size-class pools' zeroed buffers and
/// [`Arena::alloc_slice_zeroed`](crate::Arena::alloc_slice_zeroed) fill memory with zero
/// bytes instead of writing values one by one, which is only sound for such types
/// (`Copy` alone is not enough: `&u8` and `NonZeroU32` are `Copy` and must never be zero).
///
/// # Safety
///
/// An implementer promises that a value whose every byte is zero is a valid, initialized
/// value of the type (no references, no `NonZero*`, no enums without a zero discriminant,
/// and no padding that a reader could observe as a different value).
pub unsafe trait Zeroable: Copy {}

macro_rules! zeroable {
    ($($t:ty),* $(,)?) => {
        $(
            // SAFETY: zero bytes are the value `0` (or `0.0`, `false`, `'\0'`) of this
            // primitive type, which is valid.
            unsafe impl Zeroable for $t {}
        )*
    };
}

zeroable!(
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    bool,
    char,
    ()
);

// SAFETY: an array of zeroable elements has no bytes besides its elements', so an all-zero
// array is an array of all-zero, valid elements.
unsafe impl<T: Zeroable, const N: usize> Zeroable for [T; N] {}

/// Fills `slice` with zero bytes, which for a [`Zeroable`] type is a valid value.
#[inline]
pub(crate) fn zero_fill<T: Zeroable>(slice: &mut [T]) {
    // SAFETY: the slice is valid for writes of `slice.len()` elements, and all-zero bytes
    // are a valid `T` by the `Zeroable` contract, so the slice stays initialized.
    unsafe { ptr::write_bytes(slice.as_mut_ptr(), 0, slice.len()) }
}
