//! The `mlp` binary: a thin `main` around the library of this crate (`mlp::run_to_exit_code`).
//! This file adds what only a binary can: a counting global allocator, so `mlp demo` can
//! report allocations per tick, and the allocator's settings for large batches.

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

/// The system allocator, counting every allocation (any thread) so the demo can measure
/// allocations per tick.
struct CountingAlloc;

/// Allocations (including reallocations) since the process started.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// Number of heap allocations made so far by the whole process.
fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the extra work is a relaxed atomic increment, which neither
// allocates nor unwinds.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which we pass on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (every allocation goes
        // through this type), as the caller guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` with `layout`, and the caller upholds
        // `GlobalAlloc::realloc`'s contract for `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// glibc's malloc, told to keep freed memory for reuse: by default it returns every large
/// block (above 128 KiB at first) to the kernel with `munmap` or a heap trim, so the next
/// block of that size is faulted in and zeroed page by page again. `mlp features` allocates
/// and frees its output batches and Parquet row groups (tens of MB) over and over: on an
/// AMD EPYC (2 cores), 1M rows of OHLCV features to Parquet, the write phase went from
/// 2.16 s to 1.82 s on one thread and from 2.0 s to 1.45 s on two with these settings
/// (`--timings`, the output file removed before each run). Polars ships its own allocator
/// for the same reason.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    use std::ffi::c_int;
    unsafe extern "C" {
        fn mallopt(param: c_int, value: c_int) -> c_int;
    }
    /// glibc's `M_TRIM_THRESHOLD` and `M_MMAP_THRESHOLD` (malloc.h).
    const M_TRIM_THRESHOLD: c_int = -1;
    const M_MMAP_THRESHOLD: c_int = -3;
    // SAFETY: `mallopt` is glibc's, called before any thread starts, with parameters it
    // documents; a value it rejects leaves the default (its return value says so, and
    // the defaults are correct, only slower).
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() {}

fn main() -> ExitCode {
    keep_freed_memory();
    mlp::run_to_exit_code(std::env::args_os(), Some(allocations))
}
