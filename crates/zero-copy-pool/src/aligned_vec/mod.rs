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
//!
//! The Vec-like surface of standard traits (comparison, conversion, iteration) is in
//! `impls`; the alignment and layout rules shared with the arena are in `block`.

mod impls;
#[cfg(test)]
mod tests;

use crate::mapped::{is_mapped, map_block, unmap_block};
use core::marker::PhantomData;
use core::mem::{self, MaybeUninit};
use core::ptr::{self, NonNull};
use core::slice;
use std::alloc::{alloc, alloc_zeroed, dealloc};

use crate::block::{
    advise_huge_pages, dangling, vec_layout_for, TryReserveError, ALIGN, HUGE_PAGE_MIN_BYTES,
};
use crate::zeroable::{zero_fill, Zeroable};

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
        let layout = vec_layout_for::<T>(cap)?;
        if layout.size() == 0 {
            return Ok(dangling());
        }
        let raw = if is_mapped(layout) {
            // A fresh mapping comes zero-filled; a kept block is cleared only if asked.
            map_block(layout, zeroed)
        } else if layout.size() >= HUGE_PAGE_MIN_BYTES {
            // The advice must come before the first touch, so a zeroed block is cleared
            // here, after it (the system allocator would clear an over-aligned block
            // itself, before any advice).
            // SAFETY: `layout` has a non-zero size (checked above) and a valid alignment.
            let raw = unsafe { alloc(layout) };
            if !raw.is_null() {
                advise_huge_pages(raw, layout.size());
                if zeroed {
                    // SAFETY: `raw` is a fresh block of `layout.size()` writable bytes.
                    unsafe { raw.write_bytes(0, layout.size()) };
                }
            }
            raw
        } else if zeroed {
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
        if let Ok(layout) = vec_layout_for::<T>(self.cap) {
            // A non-zero capacity of a sized `T` means `ptr` came from `allocate` with
            // exactly this layout (`layout_for(cap)` is deterministic), and it has not been
            // freed: callers replace or forget `ptr` right after.
            let ptr = self.ptr.as_ptr().cast::<u8>();
            if is_mapped(layout) {
                // SAFETY: `ptr` came from `allocate` with this layout, which mapped it
                // (`is_mapped` is a rule of the layout), and is not used again.
                unsafe { unmap_block(ptr, layout) };
            } else {
                // SAFETY: `ptr` came from the global allocator with this layout, and is not
                // used again.
                unsafe { dealloc(ptr, layout) };
            }
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
    /// blocks then cost no writes until touched: on Linux they are fresh mappings, which the
    /// kernel zero-fills page by page as they are first written).
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
