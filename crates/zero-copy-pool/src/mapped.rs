//! Large blocks mapped straight from the kernel (Linux): an anonymous mapping is zero-filled
//! and faulted page by page as it is first written, so a large zeroed buffer costs no pass of
//! its own. From the global allocator, a huge-page aligned block had to be cleared by hand
//! (the allocator cannot clear an over-aligned block, nor be advised before it touches it),
//! one extra write of every byte before the caller's: a 1024 x 1024 `f64` matrix made and
//! filled took 2.7-3.0 ms against 1.1-1.2 ms for refilling one that exists, on an Intel Xeon
//! (2 vCPUs).

use crate::block::{HUGE_PAGE, HUGE_PAGE_MIN_BYTES};
use core::alloc::Layout;

/// Whether a block of `layout` is mapped from the kernel ([`map_block`] / [`unmap_block`])
/// rather than taken from the global allocator: a rule of the layout alone, so the block's
/// owner frees it the way it came.
#[inline]
pub(crate) fn is_mapped(layout: Layout) -> bool {
    cfg!(target_os = "linux") && layout.size() >= HUGE_PAGE_MIN_BYTES
}

/// Bytes mapped for `layout`: its size rounded up to a huge page (a multiple of every base
/// page size), so the mapping's end is page aligned and its last huge page whole.
#[inline]
fn mapped_len(layout: Layout) -> usize {
    layout.size().div_ceil(HUGE_PAGE) * HUGE_PAGE
}

/// A zero-filled block for `layout` (`is_mapped(layout)`), aligned to at least a huge page
/// and advised to be backed by huge pages; null when the kernel refuses.
#[cfg(target_os = "linux")]
pub(crate) fn map_block(layout: Layout) -> *mut u8 {
    let align = layout.align().max(HUGE_PAGE);
    let len = mapped_len(layout);
    let Some(span) = len.checked_add(align) else {
        return core::ptr::null_mut();
    };
    // SAFETY: an anonymous private mapping of `span` bytes at an address of the kernel's
    // choosing; it aliases nothing, and failure is reported as MAP_FAILED.
    let raw = unsafe {
        libc::mmap(
            core::ptr::null_mut(),
            span,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if raw == libc::MAP_FAILED {
        return core::ptr::null_mut();
    }
    let start = raw as usize;
    let aligned = start.next_multiple_of(align);
    let (head, tail) = (aligned - start, align - (aligned - start));
    // The mapping is `start .. start + span`, page aligned (`align` and `len` are
    // multiples of a huge page); only `aligned .. aligned + len` is kept. A failed unmap
    // would only leave the trimmed bytes mapped.
    if head > 0 {
        // SAFETY: `start .. aligned` is a page-aligned part of the mapping just made, which
        // nothing refers to.
        unsafe { libc::munmap(raw, head) };
    }
    if tail > 0 {
        // SAFETY: `aligned + len .. start + span` is a page-aligned part of the mapping just
        // made, which nothing refers to.
        unsafe { libc::munmap((aligned + len) as *mut libc::c_void, tail) };
    }
    crate::block::advise_huge_pages(aligned as *mut u8, len);
    aligned as *mut u8
}

/// Unmaps a block [`map_block`] returned for `layout`.
///
/// # Safety
/// `ptr` came from `map_block(layout)` with this `layout`, and is not used afterwards.
#[cfg(target_os = "linux")]
pub(crate) unsafe fn unmap_block(ptr: *mut u8, layout: Layout) {
    // SAFETY: by the contract, `ptr .. ptr + mapped_len(layout)` is exactly the mapping
    // `map_block` left, unused from now on.
    unsafe {
        libc::munmap(ptr.cast(), mapped_len(layout));
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn map_block(_layout: Layout) -> *mut u8 {
    unreachable!("is_mapped is false off Linux")
}

#[cfg(not(target_os = "linux"))]
pub(crate) unsafe fn unmap_block(_ptr: *mut u8, _layout: Layout) {
    unreachable!("is_mapped is false off Linux")
}
