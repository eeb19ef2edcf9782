//! [`AlignedVec`]: a growable buffer whose storage always starts on a 64-byte boundary.
//!
//! `Vec<T>` only promises `align_of::<T>()`, so an `f64` buffer may start 8 bytes into a
//! cache line: every AVX-512 load then straddles two lines, and a GEMM packing buffer shares
//! its first line with whatever the allocator put before it. `AlignedVec` fixes the start of
//! the block at [`ALIGN`] bytes and keeps it there when it grows: growth allocates a new
//! aligned block and copies, because `realloc` is free to hand back a block aligned only to
//! what the allocator guarantees by default on some platforms.
//!
//! Elements are `Copy`, so there is never a destructor to run: `clear`, `truncate` and
//! dropping the buffer only ever free or forget bytes.

use core::alloc::Layout;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;
use core::mem::{self, MaybeUninit};
use core::ops::{Deref, DerefMut};
use core::ptr::{self, NonNull};
use core::slice;
use std::alloc::{alloc, alloc_zeroed, dealloc, handle_alloc_error};

/// Alignment in bytes of every buffer this crate hands out: one cache line, and the width
/// of an AVX-512 vector.
pub const ALIGN: usize = 64;

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

/// Why a reservation failed; returned by [`AlignedVec::try_reserve`] and the other `try_`
/// constructors instead of a panic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TryReserveError {
    /// The requested capacity in bytes, rounded up to the alignment, exceeds `isize::MAX`
    /// (or the element count itself overflowed `usize`).
    CapacityOverflow,
    /// The allocator refused a block of this layout.
    AllocError {
        /// The layout that was requested.
        layout: Layout,
    },
}

impl fmt::Display for TryReserveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CapacityOverflow => {
                f.write_str("capacity overflow: the requested size exceeds isize::MAX bytes")
            }
            Self::AllocError { layout } => write!(
                f,
                "memory allocation of {} bytes (align {}) failed",
                layout.size(),
                layout.align()
            ),
        }
    }
}

impl std::error::Error for TryReserveError {}

impl TryReserveError {
    /// The panicking methods' reaction to an error, as `Vec` reacts: a panic for an
    /// impossible size, the allocation-error handler for an allocator refusal.
    #[cold]
    #[inline(never)]
    pub(crate) fn raise(self) -> ! {
        match self {
            Self::CapacityOverflow => panic!("AlignedVec: capacity overflow"),
            Self::AllocError { layout } => handle_alloc_error(layout),
        }
    }
}

/// Alignment of the block holding `T`s: [`ALIGN`], or more for an over-aligned `T`.
#[inline(always)]
pub(crate) const fn block_align<T>() -> usize {
    if mem::align_of::<T>() > ALIGN {
        mem::align_of::<T>()
    } else {
        ALIGN
    }
}

/// A non-null pointer aligned to [`block_align`], valid for zero-sized accesses only: the
/// storage of every empty buffer and of every buffer of a zero-sized type, so that `as_ptr`
/// is aligned even when nothing was allocated.
#[inline(always)]
pub(crate) const fn dangling<T>() -> NonNull<T> {
    match NonNull::new(ptr::without_provenance_mut::<T>(block_align::<T>())) {
        Some(p) => p,
        // `block_align` is at least 64, so the address is never null.
        None => NonNull::dangling(),
    }
}

/// The layout of a block of `cap` elements, or `CapacityOverflow`.
#[inline]
pub(crate) fn layout_for<T>(cap: usize) -> Result<Layout, TryReserveError> {
    let size = mem::size_of::<T>()
        .checked_mul(cap)
        .ok_or(TryReserveError::CapacityOverflow)?;
    Layout::from_size_align(size, block_align::<T>()).map_err(|_| TryReserveError::CapacityOverflow)
}

/// Fills `slice` with zero bytes, which for a [`Zeroable`] type is a valid value.
#[inline]
pub(crate) fn zero_fill<T: Zeroable>(slice: &mut [T]) {
    // SAFETY: the slice is valid for writes of `slice.len()` elements, and all-zero bytes
    // are a valid `T` by the `Zeroable` contract, so the slice stays initialized.
    unsafe { ptr::write_bytes(slice.as_mut_ptr(), 0, slice.len()) }
}

/// A growable, contiguous buffer of `Copy` elements whose storage starts on a 64-byte
/// boundary ([`ALIGN`]; more if `T` itself demands more).
///
/// It behaves like `Vec<T>` for the operations numeric code needs (`push`,
/// `extend_from_slice`, `resize`, `truncate`, `clear` keeping the capacity, `Deref` to a
/// slice) and adds [`zeroed`](Self::zeroed) for buffers that start at zero.
///
/// * A capacity of 0, and every buffer of a zero-sized type, allocate nothing; `as_ptr`
///   is still 64-byte aligned (a dangling, aligned pointer).
/// * Growth at least doubles the capacity, and always allocates a new aligned block and
///   copies; it never calls `realloc`.
/// * [`try_reserve`](Self::try_reserve) reports an impossible size as
///   [`TryReserveError::CapacityOverflow`] instead of panicking.
///
/// ```
/// use zero_copy_pool::{AlignedVec, ALIGN};
///
/// let mut v: AlignedVec<f64> = AlignedVec::zeroed(3);
/// v.push(1.5);
/// v.extend_from_slice(&[2.0, 3.0]);
/// assert_eq!(&v[..], &[0.0, 0.0, 0.0, 1.5, 2.0, 3.0]);
/// assert_eq!(v.as_ptr() as usize % ALIGN, 0);
/// ```
pub struct AlignedVec<T: Copy> {
    ptr: NonNull<T>,
    cap: usize,
    len: usize,
    _owns: PhantomData<T>,
}

// SAFETY: an `AlignedVec<T>` owns its block and its `T`s exclusively, like `Vec<T>`; moving
// it to another thread moves those `T`s, which is sound when `T: Send`.
unsafe impl<T: Copy + Send> Send for AlignedVec<T> {}

// SAFETY: shared access to an `AlignedVec<T>` only ever gives out `&T` (there is no interior
// mutability), which is sound to share across threads when `T: Sync`.
unsafe impl<T: Copy + Sync> Sync for AlignedVec<T> {}

impl<T: Copy> AlignedVec<T> {
    const IS_ZST: bool = mem::size_of::<T>() == 0;

    /// The smallest capacity a growing buffer gets: one cache line of elements, since the
    /// block occupies at least a line anyway.
    const MIN_NON_ZERO_CAP: usize = if Self::IS_ZST || mem::size_of::<T>() >= ALIGN {
        1
    } else {
        ALIGN / mem::size_of::<T>()
    };

    /// An empty buffer; allocates nothing.
    #[inline]
    pub const fn new() -> Self {
        Self {
            ptr: dangling(),
            cap: if Self::IS_ZST { usize::MAX } else { 0 },
            len: 0,
            _owns: PhantomData,
        }
    }

    /// An empty buffer with room for at least `capacity` elements.
    ///
    /// # Panics
    ///
    /// If `capacity * size_of::<T>()` exceeds `isize::MAX` bytes; calls the allocation
    /// error handler if the allocator fails. [`try_with_capacity`](Self::try_with_capacity)
    /// returns those as errors instead.
    #[inline]
    pub fn with_capacity(capacity: usize) -> Self {
        Self::try_with_capacity(capacity).unwrap_or_else(|e| e.raise())
    }

    /// An empty buffer with room for at least `capacity` elements, or the reason it cannot
    /// be had.
    pub fn try_with_capacity(capacity: usize) -> Result<Self, TryReserveError> {
        let ptr = Self::allocate(capacity, false)?;
        Ok(Self {
            ptr,
            cap: if Self::IS_ZST { usize::MAX } else { capacity },
            len: 0,
            _owns: PhantomData,
        })
    }

    /// A buffer of `len` copies of `value`.
    ///
    /// # Panics
    ///
    /// As [`with_capacity`](Self::with_capacity).
    pub fn from_elem(value: T, len: usize) -> Self {
        let mut v = Self::with_capacity(len);
        v.resize(len, value);
        v
    }

    /// Allocates an uninitialized (or zeroed) block for `cap` elements; the aligned dangling
    /// pointer when no bytes are needed.
    fn allocate(cap: usize, zeroed: bool) -> Result<NonNull<T>, TryReserveError> {
        let layout = layout_for::<T>(cap)?;
        if layout.size() == 0 {
            return Ok(dangling());
        }
        let raw = if zeroed {
            // SAFETY: `layout` has a non-zero size (checked above) and a valid alignment
            // (`Layout::from_size_align` accepted it).
            unsafe { alloc_zeroed(layout) }
        } else {
            // SAFETY: as above.
            unsafe { alloc(layout) }
        };
        NonNull::new(raw.cast::<T>()).ok_or(TryReserveError::AllocError { layout })
    }

    /// Number of elements.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the buffer holds no element.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of elements the buffer can hold without allocating (`usize::MAX` for a
    /// zero-sized `T`).
    #[inline(always)]
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Pointer to the first element; aligned to [`ALIGN`] even when nothing is allocated.
    #[inline(always)]
    pub fn as_ptr(&self) -> *const T {
        self.data_ptr().as_ptr()
    }

    /// Mutable pointer to the first element; aligned to [`ALIGN`] even when nothing is
    /// allocated.
    #[inline(always)]
    pub fn as_mut_ptr(&mut self) -> *mut T {
        self.data_ptr().as_ptr()
    }

    /// The storage pointer: the block, or the aligned dangling pointer when nothing is
    /// allocated.
    #[inline(always)]
    fn data_ptr(&self) -> NonNull<T> {
        self.ptr
    }

    /// The elements as a slice.
    #[inline(always)]
    pub fn as_slice(&self) -> &[T] {
        // `data_ptr` is non-null and aligned, and the first `len` elements of the block are
        // initialized (every method that raises `len` writes them first); the block is at
        // least `len` elements long and owned by `self`, whose borrow bounds the slice.
        // SAFETY: pointer, length, initialization and lifetime are as just stated.
        unsafe { slice::from_raw_parts(self.data_ptr().as_ptr(), self.len) }
    }

    /// The elements as a mutable slice.
    #[inline(always)]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as in `as_slice`, and `&mut self` makes the access exclusive.
        unsafe { slice::from_raw_parts_mut(self.data_ptr().as_ptr(), self.len) }
    }

    /// The allocated but unused tail, `capacity - len` elements, for writing in place
    /// before [`set_len`](Self::set_len).
    #[inline]
    pub fn spare_capacity_mut(&mut self) -> &mut [MaybeUninit<T>] {
        let spare = self.cap - self.len;
        // SAFETY: the block holds `cap` elements, so `len..cap` is in bounds (the offset of
        // a zero-sized type is zero bytes); `MaybeUninit` needs no initialization, and
        // `&mut self` makes the access exclusive.
        unsafe {
            slice::from_raw_parts_mut(
                self.data_ptr()
                    .as_ptr()
                    .add(self.len)
                    .cast::<MaybeUninit<T>>(),
                spare,
            )
        }
    }

    /// Sets the length without touching the elements.
    ///
    /// # Safety
    ///
    /// `new_len` must be at most [`capacity`](Self::capacity), and the elements up to
    /// `new_len` must be initialized (for example through
    /// [`spare_capacity_mut`](Self::spare_capacity_mut)).
    #[inline]
    pub unsafe fn set_len(&mut self, new_len: usize) {
        debug_assert!(
            new_len <= self.cap,
            "AlignedVec::set_len: new_len {new_len} exceeds capacity {}",
            self.cap
        );
        self.len = new_len;
    }

    /// Makes room for at least `additional` more elements.
    ///
    /// # Panics
    ///
    /// On capacity overflow; calls the allocation error handler if the allocator fails.
    #[inline]
    pub fn reserve(&mut self, additional: usize) {
        if self.cap - self.len < additional {
            self.grow_amortized(additional)
                .unwrap_or_else(|e| e.raise());
        }
    }

    /// Makes room for at least `additional` more elements, growing by no more than needed.
    ///
    /// # Panics
    ///
    /// As [`reserve`](Self::reserve).
    pub fn reserve_exact(&mut self, additional: usize) {
        if self.cap - self.len < additional {
            self.grow_exact(additional).unwrap_or_else(|e| e.raise());
        }
    }

    /// Makes room for at least `additional` more elements, or says why it cannot; the buffer
    /// is unchanged on error.
    ///
    /// ```
    /// use zero_copy_pool::{AlignedVec, TryReserveError};
    ///
    /// let mut v: AlignedVec<f64> = AlignedVec::new();
    /// assert_eq!(v.try_reserve(usize::MAX), Err(TryReserveError::CapacityOverflow));
    /// assert!(v.try_reserve(100).is_ok());
    /// assert!(v.capacity() >= 100);
    /// ```
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError> {
        if self.cap - self.len < additional {
            self.grow_amortized(additional)
        } else {
            Ok(())
        }
    }

    /// Grows to at least double the capacity, or what is required if that is more.
    #[cold]
    #[inline(never)]
    fn grow_amortized(&mut self, additional: usize) -> Result<(), TryReserveError> {
        let required = self
            .len
            .checked_add(additional)
            .ok_or(TryReserveError::CapacityOverflow)?;
        let doubled = self.cap.saturating_mul(2).max(Self::MIN_NON_ZERO_CAP);
        let new_cap = required.max(doubled);
        // Doubling past the largest representable layout must not fail a request that
        // would have fit on its own.
        match self.grow_to(new_cap) {
            Err(TryReserveError::CapacityOverflow) if new_cap > required => self.grow_to(required),
            other => other,
        }
    }

    #[cold]
    #[inline(never)]
    fn grow_exact(&mut self, additional: usize) -> Result<(), TryReserveError> {
        let required = self
            .len
            .checked_add(additional)
            .ok_or(TryReserveError::CapacityOverflow)?;
        self.grow_to(required)
    }

    /// Moves the elements into a new aligned block of `new_cap` elements.
    fn grow_to(&mut self, new_cap: usize) -> Result<(), TryReserveError> {
        debug_assert!(
            new_cap >= self.len,
            "AlignedVec::grow_to: new_cap {new_cap} below len {}",
            self.len
        );
        if Self::IS_ZST {
            // Capacity is already usize::MAX; only an overflowing `required` gets here.
            return Err(TryReserveError::CapacityOverflow);
        }
        let new_ptr = Self::allocate(new_cap, false)?;
        if self.len > 0 {
            // SAFETY: the old block holds `len` initialized elements, the new block has room
            // for `new_cap >= len`, both are valid and aligned, and a fresh allocation cannot
            // overlap the old one.
            unsafe { ptr::copy_nonoverlapping(self.ptr.as_ptr(), new_ptr.as_ptr(), self.len) };
        }
        self.free_block();
        self.ptr = new_ptr;
        self.cap = new_cap;
        Ok(())
    }

    /// Frees the block, if one is allocated, leaving `ptr`/`cap` for the caller to reset.
    fn free_block(&mut self) {
        if Self::IS_ZST || self.cap == 0 {
            return;
        }
        if let Ok(layout) = layout_for::<T>(self.cap) {
            // SAFETY: a non-zero capacity of a sized `T` means `ptr` came from `allocate`
            // with exactly this layout (`layout_for(cap)` is deterministic), and it has not
            // been freed: callers replace or forget `ptr` right after.
            unsafe { dealloc(self.ptr.as_ptr().cast::<u8>(), layout) };
        }
    }

    /// Appends one element.
    ///
    /// # Panics
    ///
    /// As [`reserve`](Self::reserve), when the buffer must grow.
    #[inline]
    pub fn push(&mut self, value: T) {
        if self.len == self.cap {
            self.grow_amortized(1).unwrap_or_else(|e| e.raise());
        }
        // SAFETY: `len < cap` now, so the slot is inside the block; writing a `Copy` value
        // to uninitialized memory needs no drop of the old contents.
        unsafe { self.data_ptr().as_ptr().add(self.len).write(value) };
        self.len += 1;
    }

    /// Removes and returns the last element.
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        // SAFETY: the element at the old `len - 1` is initialized and inside the block.
        Some(unsafe { self.data_ptr().as_ptr().add(self.len).read() })
    }

    /// Appends a copy of every element of `other`.
    ///
    /// # Panics
    ///
    /// As [`reserve`](Self::reserve), when the buffer must grow.
    #[inline]
    pub fn extend_from_slice(&mut self, other: &[T]) {
        self.reserve(other.len());
        // SAFETY: after `reserve`, the block has room for `len + other.len()` elements;
        // `other` cannot alias the spare capacity because it is borrowed while `self` is
        // borrowed mutably.
        unsafe {
            ptr::copy_nonoverlapping(
                other.as_ptr(),
                self.data_ptr().as_ptr().add(self.len),
                other.len(),
            );
        }
        self.len += other.len();
    }

    /// Sets the length to `new_len`, filling new slots with `value` or dropping the tail.
    ///
    /// # Panics
    ///
    /// As [`reserve`](Self::reserve), when the buffer must grow.
    pub fn resize(&mut self, new_len: usize, value: T) {
        if new_len <= self.len {
            self.truncate(new_len);
            return;
        }
        let extra = new_len - self.len;
        self.reserve(extra);
        self.spare_capacity_mut()[..extra].fill(MaybeUninit::new(value));
        self.len = new_len;
    }

    /// Shortens the buffer to `len` elements; does nothing if it is already shorter. The
    /// capacity is kept.
    #[inline]
    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.len = len;
        }
    }

    /// Removes every element and keeps the capacity, so refilling allocates nothing.
    #[inline(always)]
    pub fn clear(&mut self) {
        self.len = 0;
    }
}

impl<T: Zeroable> AlignedVec<T> {
    /// A buffer of `len` zero elements, taken from the allocator already zeroed (large
    /// blocks then cost no writes until touched).
    ///
    /// # Panics
    ///
    /// As [`with_capacity`](Self::with_capacity); [`try_zeroed`](Self::try_zeroed) returns
    /// those as errors instead.
    #[inline]
    pub fn zeroed(len: usize) -> Self {
        Self::try_zeroed(len).unwrap_or_else(|e| e.raise())
    }

    /// A buffer of `len` zero elements, or the reason it cannot be had.
    pub fn try_zeroed(len: usize) -> Result<Self, TryReserveError> {
        let ptr = Self::allocate(len, true)?;
        Ok(Self {
            ptr,
            cap: if Self::IS_ZST { usize::MAX } else { len },
            len,
            _owns: PhantomData,
        })
    }

    /// Sets the length to `new_len`, filling new slots with zero or dropping the tail.
    ///
    /// # Panics
    ///
    /// As [`reserve`](Self::reserve), when the buffer must grow.
    pub fn resize_zeroed(&mut self, new_len: usize) {
        if new_len <= self.len {
            self.truncate(new_len);
            return;
        }
        let old_len = self.len;
        self.reserve(new_len - old_len);
        // SAFETY: after `reserve` the block has room for `new_len` elements; zero bytes are
        // a valid `T` (`Zeroable`), so the slots up to `new_len` are initialized once the
        // write is done.
        unsafe {
            ptr::write_bytes(self.data_ptr().as_ptr().add(old_len), 0, new_len - old_len);
            self.set_len(new_len);
        }
    }

    /// Overwrites every element with zero.
    #[inline]
    pub fn fill_zero(&mut self) {
        zero_fill(self.as_mut_slice());
    }
}

impl<T: Copy> Drop for AlignedVec<T> {
    fn drop(&mut self) {
        self.free_block();
    }
}

impl<T: Copy> Default for AlignedVec<T> {
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy> Clone for AlignedVec<T> {
    fn clone(&self) -> Self {
        let mut v = Self::with_capacity(self.len);
        v.extend_from_slice(self);
        v
    }

    /// Reuses `self`'s block when it is large enough, so cloning into a warmed-up buffer
    /// allocates nothing.
    fn clone_from(&mut self, source: &Self) {
        self.clear();
        self.extend_from_slice(source);
    }
}

impl<T: Copy> Deref for AlignedVec<T> {
    type Target = [T];

    #[inline(always)]
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Copy> DerefMut for AlignedVec<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

impl<T: Copy> AsRef<[T]> for AlignedVec<T> {
    #[inline]
    fn as_ref(&self) -> &[T] {
        self
    }
}

impl<T: Copy> AsMut<[T]> for AlignedVec<T> {
    #[inline]
    fn as_mut(&mut self) -> &mut [T] {
        self
    }
}

impl<T: Copy + fmt::Debug> fmt::Debug for AlignedVec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Copy + PartialEq> PartialEq for AlignedVec<T> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy + Eq> Eq for AlignedVec<T> {}

impl<T: Copy + PartialEq> PartialEq<[T]> for AlignedVec<T> {
    #[inline]
    fn eq(&self, other: &[T]) -> bool {
        self.as_slice() == other
    }
}

impl<T: Copy + PartialEq> PartialEq<&[T]> for AlignedVec<T> {
    #[inline]
    fn eq(&self, other: &&[T]) -> bool {
        self.as_slice() == *other
    }
}

impl<T: Copy + PartialEq> PartialEq<Vec<T>> for AlignedVec<T> {
    #[inline]
    fn eq(&self, other: &Vec<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy + Hash> Hash for AlignedVec<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl<T: Copy> FromIterator<T> for AlignedVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v = Self::new();
        v.extend(iter);
        v
    }
}

impl<T: Copy> Extend<T> for AlignedVec<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        let iter = iter.into_iter();
        self.reserve(iter.size_hint().0);
        for value in iter {
            self.push(value);
        }
    }
}

impl<'a, T: Copy + 'a> Extend<&'a T> for AlignedVec<T> {
    fn extend<I: IntoIterator<Item = &'a T>>(&mut self, iter: I) {
        self.extend(iter.into_iter().copied());
    }
}

impl<T: Copy> From<&[T]> for AlignedVec<T> {
    fn from(slice: &[T]) -> Self {
        let mut v = Self::with_capacity(slice.len());
        v.extend_from_slice(slice);
        v
    }
}

impl<T: Copy> From<&mut [T]> for AlignedVec<T> {
    fn from(slice: &mut [T]) -> Self {
        Self::from(&*slice)
    }
}

impl<T: Copy, const N: usize> From<[T; N]> for AlignedVec<T> {
    fn from(array: [T; N]) -> Self {
        Self::from(&array[..])
    }
}

/// Copies the elements into a new aligned block (a `Vec`'s block cannot be adopted: it was
/// allocated with `T`'s own alignment).
impl<T: Copy> From<Vec<T>> for AlignedVec<T> {
    fn from(vec: Vec<T>) -> Self {
        Self::from(vec.as_slice())
    }
}

impl<T: Copy> From<AlignedVec<T>> for Vec<T> {
    fn from(v: AlignedVec<T>) -> Self {
        v.as_slice().to_vec()
    }
}

impl<'a, T: Copy> IntoIterator for &'a AlignedVec<T> {
    type Item = &'a T;
    type IntoIter = slice::Iter<'a, T>;

    #[inline]
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T: Copy> IntoIterator for &'a mut AlignedVec<T> {
    type Item = &'a mut T;
    type IntoIter = slice::IterMut<'a, T>;

    #[inline]
    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_aligned<T: Copy>(v: &AlignedVec<T>) {
        assert_eq!(
            v.as_ptr() as usize % ALIGN,
            0,
            "pointer {:p} (len {}, cap {}) not {ALIGN}-byte aligned",
            v.as_ptr(),
            v.len(),
            v.capacity()
        );
    }

    #[test]
    fn empty_buffers_allocate_nothing_and_are_aligned() {
        let v: AlignedVec<f64> = AlignedVec::new();
        assert_eq!(v.capacity(), 0);
        assert_aligned(&v);
        let v: AlignedVec<f64> = AlignedVec::with_capacity(0);
        assert_eq!(v.capacity(), 0);
        assert_aligned(&v);
        let v: AlignedVec<u8> = AlignedVec::zeroed(0);
        assert!(v.is_empty());
        assert_aligned(&v);
        let v: AlignedVec<f32> = AlignedVec::default();
        assert_eq!(&v[..], &[] as &[f32]);
    }

    #[test]
    fn zero_sized_elements() {
        let mut v: AlignedVec<()> = AlignedVec::new();
        assert_eq!(v.capacity(), usize::MAX);
        for _ in 0..1000 {
            v.push(());
        }
        assert_eq!(v.len(), 1000);
        assert_aligned(&v);
        v.extend_from_slice(&[(); 24]);
        assert_eq!(v.len(), 1024);
        assert_eq!(
            v.try_reserve(usize::MAX),
            Err(TryReserveError::CapacityOverflow)
        );
        let z: AlignedVec<()> = AlignedVec::zeroed(7);
        assert_eq!(z.len(), 7);
        assert_eq!(z.clone(), z);
    }

    #[test]
    fn growth_keeps_alignment_and_contents() {
        let mut v: AlignedVec<u8> = AlignedVec::new();
        for i in 0..10_000u32 {
            v.push(i as u8);
            assert_aligned(&v);
        }
        assert!(v.iter().enumerate().all(|(i, &b)| b == i as u8));
    }

    #[test]
    fn zeroed_is_zero_and_aligned() {
        for len in [1, 7, 8, 63, 64, 65, 1000, 100_000] {
            let v: AlignedVec<f64> = AlignedVec::zeroed(len);
            assert_eq!(v.len(), len);
            assert!(v.iter().all(|&x| x == 0.0));
            assert_aligned(&v);
        }
    }

    #[test]
    fn over_aligned_elements_keep_their_alignment() {
        #[derive(Clone, Copy, PartialEq, Debug)]
        #[repr(align(128))]
        struct Wide(u8);
        let mut v = AlignedVec::new();
        for i in 0..10 {
            v.push(Wide(i));
            assert_eq!(v.as_ptr() as usize % 128, 0);
        }
        assert_eq!(v[9], Wide(9));
    }

    #[test]
    fn try_reserve_reports_overflow_without_panicking() {
        let mut v: AlignedVec<f64> = AlignedVec::from_elem(1.0, 4);
        assert_eq!(
            v.try_reserve(usize::MAX),
            Err(TryReserveError::CapacityOverflow)
        );
        assert_eq!(
            v.try_reserve(isize::MAX as usize / 8),
            Err(TryReserveError::CapacityOverflow)
        );
        assert_eq!(&v[..], &[1.0; 4]);
        assert!(AlignedVec::<f64>::try_with_capacity(usize::MAX / 4).is_err());
        assert!(AlignedVec::<u64>::try_zeroed(usize::MAX).is_err());
        let msg = TryReserveError::CapacityOverflow.to_string();
        assert!(msg.contains("overflow"), "{msg}");
    }

    #[test]
    #[should_panic(expected = "capacity overflow")]
    fn reserve_panics_on_overflow_like_vec() {
        let mut v: AlignedVec<u16> = AlignedVec::new();
        v.reserve(usize::MAX);
    }

    #[test]
    fn clone_eq_debug_conversions() {
        let v: AlignedVec<i32> = (1..=5).collect();
        let c = v.clone();
        assert_eq!(v, c);
        assert_aligned(&c);
        assert_eq!(format!("{v:?}"), "[1, 2, 3, 4, 5]");
        assert_eq!(v, vec![1, 2, 3, 4, 5]);
        let from_slice = AlignedVec::from(&[1, 2, 3, 4, 5][..]);
        assert_eq!(from_slice, v);
        let back: Vec<i32> = v.clone().into();
        assert_eq!(back, vec![1, 2, 3, 4, 5]);
        let sum: i32 = (&v).into_iter().sum();
        assert_eq!(sum, 15);
        let mut m = v.clone();
        for x in &mut m {
            *x *= 2;
        }
        assert_eq!(m, [2, 4, 6, 8, 10][..]);
        let mut target: AlignedVec<i32> = AlignedVec::with_capacity(16);
        let cap = target.capacity();
        target.clone_from(&v);
        assert_eq!(target, v);
        assert_eq!(target.capacity(), cap);
    }

    #[test]
    fn clear_keeps_capacity() {
        let mut v: AlignedVec<f32> = AlignedVec::from_elem(2.0, 300);
        let cap = v.capacity();
        v.clear();
        assert!(v.is_empty());
        assert_eq!(v.capacity(), cap);
        v.resize_zeroed(10);
        assert_eq!(&v[..], &[0.0; 10]);
        v.fill(3.0);
        v.fill_zero();
        assert_eq!(&v[..], &[0.0; 10]);
    }

    #[test]
    fn spare_capacity_and_set_len() {
        let mut v: AlignedVec<u64> = AlignedVec::with_capacity(8);
        for (i, slot) in v.spare_capacity_mut().iter_mut().enumerate().take(4) {
            slot.write(i as u64);
        }
        // SAFETY: the first four slots were written just above and 4 <= capacity.
        unsafe { v.set_len(4) };
        assert_eq!(&v[..], &[0, 1, 2, 3]);
        assert_eq!(v.pop(), Some(3));
        assert_eq!(v.len(), 3);
    }
}
