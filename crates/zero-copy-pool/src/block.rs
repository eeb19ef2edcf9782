//! The aligned block every buffer of the crate lives in: its alignment, its layout, the
//! dangling pointer of an empty one, and the error of a reservation that cannot be had.
//!
//! `AlignedVec` and `Arena` both allocate through these, so that an empty buffer and a
//! full one are aligned alike and an impossible size fails the same way in both.

use core::alloc::Layout;
use core::fmt;
use core::mem;
use core::ptr::{self, NonNull};
use std::alloc::handle_alloc_error;

/// Alignment in bytes of every buffer this crate hands out: one cache line, and the width
/// of an AVX-512 vector.
pub const ALIGN: usize = 64;

/// Why a reservation failed; returned by
/// [`AlignedVec::try_reserve`](crate::AlignedVec::try_reserve) and the other `try_`
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

/// Bytes from which an [`AlignedVec`](crate::AlignedVec) block is aligned to a huge page and
/// asks the kernel to back it with huge pages (NumPy does the same for arrays from 4 MiB).
pub const HUGE_PAGE_MIN_BYTES: usize = 4 << 20;

/// The huge page of x86_64 and aarch64 Linux: 2 MiB.
pub const HUGE_PAGE: usize = 2 << 20;

/// [`layout_for`], aligned to a [`HUGE_PAGE`] from [`HUGE_PAGE_MIN_BYTES`] on: the layout of
/// an `AlignedVec`'s block.
#[inline]
pub(crate) fn vec_layout_for<T>(cap: usize) -> Result<Layout, TryReserveError> {
    let layout = layout_for::<T>(cap)?;
    if layout.size() < HUGE_PAGE_MIN_BYTES || layout.align() >= HUGE_PAGE {
        return Ok(layout);
    }
    layout
        .align_to(HUGE_PAGE)
        .map_err(|_| TryReserveError::CapacityOverflow)
}

/// Asks the kernel to back the `len` bytes at `ptr` with huge pages as they are first
/// touched (`madvise(MADV_HUGEPAGE)`, for the `madvise` mode of transparent huge pages, the
/// common default): a matrix of many megabytes then faults a few 2 MiB pages instead of
/// thousands of 4 KiB ones, and strided reads across its columns (packing a GEMM block,
/// reading a column-major block in place) miss the TLB far less. A hint: where the kernel
/// declines (another OS, huge pages off, an error) nothing changes but speed.
#[inline]
pub(crate) fn advise_huge_pages(ptr: *mut u8, len: usize) {
    #[cfg(target_os = "linux")]
    {
        // `madvise` reports errors by its return value, which a hint may ignore.
        // SAFETY: `ptr .. ptr + len` is a block this crate just allocated (huge-page aligned);
        // MADV_HUGEPAGE changes no contents or permissions, only how later faults are served.
        unsafe {
            libc::madvise(ptr.cast(), len, libc::MADV_HUGEPAGE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (ptr, len);
}

/// The layout of a block of `cap` elements, or `CapacityOverflow`.
#[inline]
pub(crate) fn layout_for<T>(cap: usize) -> Result<Layout, TryReserveError> {
    let size = mem::size_of::<T>()
        .checked_mul(cap)
        .ok_or(TryReserveError::CapacityOverflow)?;
    Layout::from_size_align(size, block_align::<T>()).map_err(|_| TryReserveError::CapacityOverflow)
}
