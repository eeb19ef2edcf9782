//! Large blocks mapped straight from the kernel (Linux): an anonymous mapping is zero-filled
//! and faulted page by page as it is first written, so a large zeroed buffer costs no pass of
//! its own. From the global allocator, a huge-page aligned block had to be cleared by hand
//! (the allocator cannot clear an over-aligned block, nor be advised before it touches it),
//! one extra write of every byte before the caller's: a 1024 x 1024 `f64` matrix made and
//! filled took 2.7-3.0 ms against 1.1-1.2 ms for refilling one that exists, on an Intel Xeon
//! (2 vCPUs).
//!
//! Freed blocks are kept for reuse, up to [`KEPT_BYTES`] in all, instead of being unmapped at
//! once, as the C library's `malloc` (which the peers' arrays come from) keeps freed blocks
//! of up to 32 MB on its heap: a fresh mapping pays a page fault and the kernel's clearing
//! of every page at first touch, a kept block one pass of `memset` when zeros are asked for
//! and nothing otherwise. On a Zen 4 EPYC (one thread, alternated runs), a 1024 x 1024 `f64`
//! product into a new matrix cost 0.9 ms more than into an existing one and now 0.15 ms
//! (the allocating product 1.03x as fast, 8 of 8 rounds), and making, filling and dropping
//! a 10000 x 60 matrix 0.45 -> 0.34 ms (1.28x, 6 of 6);
//! the randomized SVD of 10000 x 2000, whose large blocks are few, measured level.

use crate::block::{HUGE_PAGE, HUGE_PAGE_MIN_BYTES};
use core::alloc::Layout;
use std::collections::VecDeque;
use std::sync::Mutex;

/// Most bytes of freed blocks kept for reuse (oldest unmapped first beyond it).
pub const KEPT_BYTES: usize = 64 << 20;

/// Largest block kept for reuse: larger ones are unmapped when freed.
pub const KEPT_BLOCK_BYTES: usize = 32 << 20;

/// Freed blocks, oldest first: (address, mapped length). Each maps at least
/// `HUGE_PAGE_MIN_BYTES`, so at most 16 fit in `KEPT_BYTES`, and their total is summed
/// when needed rather than kept beside them.
static KEPT: Mutex<VecDeque<(usize, usize)>> = Mutex::new(VecDeque::new());

/// The kept blocks (a poisoned lock still guards a consistent list: every update of it
/// completes without panicking).
fn kept() -> std::sync::MutexGuard<'static, VecDeque<(usize, usize)>> {
    KEPT.lock().unwrap_or_else(|e| e.into_inner())
}

/// Bytes of the blocks in `kept`.
fn total(kept: &VecDeque<(usize, usize)>) -> usize {
    kept.iter().map(|&(_, len)| len).sum()
}

/// A kept block of exactly `len` mapped bytes whose address is a multiple of `align`.
fn take_kept(len: usize, align: usize) -> Option<*mut u8> {
    let mut kept = kept();
    let at = kept
        .iter()
        .rposition(|&(addr, l)| l == len && addr % align == 0)?;
    kept.remove(at).map(|(addr, _)| addr as *mut u8)
}

/// Unmaps every freed block kept for reuse, returning its memory to the kernel now; the
/// next large blocks are mapped afresh. Blocks in use are not touched.
pub fn release_kept_blocks() {
    let blocks = std::mem::take(&mut *kept());
    for (addr, len) in blocks {
        unmap_now(addr as *mut u8, len);
    }
}

/// The bytes of freed blocks kept for reuse now.
pub fn kept_bytes() -> usize {
    total(&kept())
}

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

/// A block for `layout` (`is_mapped(layout)`), aligned to at least a huge page and advised
/// to be backed by huge pages, its first `layout.size()` bytes zero when `zeroed` (a fresh
/// mapping is zero-filled anyway; a kept one is cleared here); null when the kernel refuses.
#[cfg(target_os = "linux")]
pub(crate) fn map_block(layout: Layout, zeroed: bool) -> *mut u8 {
    let align = layout.align().max(HUGE_PAGE);
    let len = mapped_len(layout);
    if let Some(p) = take_kept(len, align) {
        if zeroed {
            // SAFETY: `p` is a kept block of `len >= layout.size()` mapped, writable bytes
            // that nothing refers to (it left the list under the lock).
            unsafe { p.write_bytes(0, layout.size()) };
        }
        return p;
    }
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

/// Frees a block [`map_block`] returned for `layout`: kept for reuse when it is at most
/// [`KEPT_BLOCK_BYTES`], the oldest kept blocks unmapped while more than [`KEPT_BYTES`]
/// are kept; unmapped at once otherwise.
///
/// # Safety
/// `ptr` came from `map_block(layout)` with this `layout`, and is not used afterwards.
#[cfg(target_os = "linux")]
pub(crate) unsafe fn unmap_block(ptr: *mut u8, layout: Layout) {
    let len = mapped_len(layout);
    if len > KEPT_BLOCK_BYTES {
        unmap_now(ptr, len);
        return;
    }
    let mut evicted = Vec::new();
    {
        let mut kept = kept();
        kept.push_back((ptr as usize, len));
        while total(&kept) > KEPT_BYTES {
            let Some(oldest) = kept.pop_front() else {
                break;
            };
            evicted.push(oldest);
        }
    }
    for (addr, l) in evicted {
        unmap_now(addr as *mut u8, l);
    }
}

/// Returns `len` mapped bytes at `ptr` to the kernel.
#[cfg(target_os = "linux")]
fn unmap_now(ptr: *mut u8, len: usize) {
    // SAFETY: `ptr .. ptr + len` is exactly a mapping `map_block` left, which its owner
    // freed (or the kept list held) and nothing uses any more; a failed unmap would only
    // leave it mapped.
    unsafe {
        libc::munmap(ptr.cast(), len);
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn map_block(_layout: Layout, _zeroed: bool) -> *mut u8 {
    unreachable!("is_mapped is false off Linux")
}

#[cfg(not(target_os = "linux"))]
pub(crate) unsafe fn unmap_block(_ptr: *mut u8, _layout: Layout) {
    unreachable!("is_mapped is false off Linux")
}

#[cfg(not(target_os = "linux"))]
fn unmap_now(_ptr: *mut u8, _len: usize) {}
