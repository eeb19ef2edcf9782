//! GEMM allocates nothing after warm-up: packing buffers come from the pool layer.
//! (Its own test binary, so no other test allocates concurrently.)

use fast_math::{gemm_with, Mat, Par};
use simd_kernels::Isa;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts allocations.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's; ptr came from System.alloc.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn sequential_gemm_allocates_nothing_after_warm_up() {
    for isa in Isa::available() {
        let a = Mat::<f64>::from_fn(300, 700, |i, j| (i + 2 * j) as f64 * 1e-3);
        let b = Mat::<f64>::from_fn(700, 250, |i, j| (3 * i + j) as f64 * 1e-3);
        let mut c = Mat::<f64>::zeros(300, 250);
        let a32 = Mat::<f32>::from_fn(90, 600, |i, j| (i + j) as f32);
        let b32 = Mat::<f32>::from_fn(600, 70, |i, j| (i * j % 7) as f32);
        let mut c32 = Mat::<f32>::zeros(90, 70);
        for round in 0..3 {
            let before = ALLOCS.load(Ordering::Relaxed);
            gemm_with(isa, 1.0, a.as_ref(), b.as_ref(), 0.0, c.as_mut(), Par::Seq);
            gemm_with(isa, 2.0, a.as_ref(), b.as_ref(), 1.0, c.as_mut(), Par::Seq);
            gemm_with(
                isa,
                1.0,
                a32.as_ref(),
                b32.as_ref(),
                0.0,
                c32.as_mut(),
                Par::Seq,
            );
            let n = ALLOCS.load(Ordering::Relaxed) - before;
            if round > 0 {
                assert_eq!(n, 0, "{isa}: round {round} allocated {n} times");
            }
        }
    }
}
