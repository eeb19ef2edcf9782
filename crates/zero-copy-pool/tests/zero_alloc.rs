//! After prewarming, a get/return cycle on every pool type performs zero heap allocations.
//!
//! A counting global allocator counts allocations made by the current thread while
//! counting is switched on for it; other test threads in this binary do not disturb the
//! count. The count is asserted, not printed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;

use zero_copy_pool::{AlignedVec, ArenaPool, MemoryPoolManager, ObjectPool, SizeClassConfig};

struct CountingAlloc;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn note_allocation() {
    // `try_with`: the allocator can run while thread-locals are being torn down.
    let on = COUNTING.try_with(Cell::get).unwrap_or(false);
    if on {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so
// `System`'s guarantees are ours; the counting touches only const-initialized
// thread-locals, which never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded from our caller, who upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: as in `alloc`; `ptr` came from this allocator, which is `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as in `realloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Heap allocations made by this thread while running `f`.
fn allocations_in(f: impl FnOnce()) -> u64 {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn the_counter_sees_allocations() {
    let n = allocations_in(|| {
        let v = std::hint::black_box(vec![1u8; 100]);
        drop(v);
        let a: AlignedVec<f64> = std::hint::black_box(AlignedVec::zeroed(10));
        drop(a);
    });
    assert_eq!(n, 2, "the counting allocator must see both allocations");
}

#[test]
fn object_pool_cycles_allocate_nothing() {
    let pool = Arc::new(ObjectPool::new(
        4,
        || AlignedVec::<f64>::with_capacity(512),
        |v| v.clear(),
    ));
    pool.prewarm(4);
    let n = allocations_in(|| {
        for i in 0..1000 {
            let mut a = pool.get();
            a.extend_from_slice(&[i as f64; 100]);
            let mut b = pool.get_owned();
            b.push(1.0);
            let c = pool.try_get().expect("prewarmed");
            std::hint::black_box((&a[..], &b[..], &c[..]));
            drop((a, b, c));
            std::hint::black_box(pool.stats());
        }
    });
    assert_eq!(n, 0, "pool get/return allocated {n} times");
    let s = pool.stats();
    assert_eq!((s.misses, s.hits, s.discarded), (0, 3000, 0));
}

#[test]
fn size_class_cycles_allocate_nothing() {
    let pools = MemoryPoolManager::with_config(SizeClassConfig {
        min_len: 16,
        max_len: 1 << 14,
        buffers_per_class: 2,
    });
    let lens = [1, 16, 17, 100, 1000, 4096, 5000, 1 << 14];
    for len in lens {
        pools.prewarm_f64(len, 2);
        pools.prewarm_f32(len, 2);
    }
    let n = allocations_in(|| {
        for round in 0..50 {
            for len in lens {
                let mut a = pools.take_f64(len);
                let b = pools.take_f64_zeroed(len);
                let mut c = pools.take_f32_zeroed(len);
                let d = pools.take_f32(len);
                a[len - 1] = round as f64;
                c[0] = 1.0;
                std::hint::black_box((&a[..], &b[..], &c[..], &d[..]));
            }
        }
        std::hint::black_box(pools.stats());
    });
    assert_eq!(n, 0, "size-class take/return allocated {n} times");
    assert_eq!(pools.stats().misses, 0);
}

#[test]
fn arena_pool_cycles_allocate_nothing() {
    let arenas = ArenaPool::new(2, 64 * 1024);
    arenas.prewarm(2);
    let n = allocations_in(|| {
        for batch in 0..200 {
            let arena = arenas.get();
            for len in 1..40 {
                let s = arena.alloc_slice_zeroed::<f64>(len);
                s[0] = batch as f64;
                let c = arena.alloc_slice_copy(&[batch as u8; 16]);
                std::hint::black_box((s, c));
            }
        }
    });
    assert_eq!(n, 0, "arena batches allocated {n} times");
    assert_eq!(arenas.stats().misses, 0);
}

#[test]
fn aligned_vec_within_capacity_allocates_nothing() {
    let mut v: AlignedVec<f32> = AlignedVec::with_capacity(1024);
    let src = [1.5f32; 256];
    let n = allocations_in(|| {
        for _ in 0..100 {
            v.extend_from_slice(&src);
            v.push(2.0);
            v.resize(1000, 0.5);
            v.truncate(10);
            v.resize_zeroed(1024);
            v.clear();
        }
    });
    assert_eq!(n, 0);
}
