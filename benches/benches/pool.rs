//! Layer 2 benches: one get + drop of a pooled 4 KiB / 64 KiB `f64` buffer, ours against
//! the pools a user would pick instead (lockfree-object-pool's linear and spin-lock pools,
//! object-pool) and against allocating a fresh `vec![0.0; n]` each time; uncontended, and
//! with both cores cycling on the same pool at once. Plus an arena batch
//! (1000 small slices, then reset) against 1000 `Vec` allocations.
//!
//! Every pool holds the same kind of value, a buffer of `n` `f64`s made once, and none
//! resets it on return, so the figures compare the pools' bookkeeping alone. A bare
//! `crossbeam_queue::ArrayQueue` pop + push, the free list under our pool, is measured too:
//! it is the floor our pool's guard and counters add to.

// criterion_group!/criterion_main! generate undocumented items.
#![allow(missing_docs)]

use std::hint::spin_loop;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkGroup, Criterion};
use crossbeam_queue::ArrayQueue;
use lockfree_object_pool::{LinearObjectPool, SpinLockObjectPool};
use zero_copy_pool::{AlignedVec, Arena, MemoryPoolManager, ObjectPool, SizeClassConfig};

/// 4 KiB and 64 KiB of `f64`.
const SIZES: [(&str, usize); 2] = [("4KiB", 512), ("64KiB", 8192)];
/// Idle buffers each pool keeps; more than both threads ever hold.
const POOL_CAPACITY: usize = 16;

fn tune(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.sample_size(40)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
}

/// The pools under test, each prewarmed with buffers of `n` `f64`s.
struct Pools {
    n: usize,
    ours: ObjectPool<AlignedVec<f64>>,
    ours_sized: MemoryPoolManager,
    linear: LinearObjectPool<Vec<f64>>,
    spin: SpinLockObjectPool<Vec<f64>>,
    object_pool: object_pool::Pool<Vec<f64>>,
    /// The bare free list our pool is built on, with no guard and no counters: the floor.
    bare_queue: ArrayQueue<AlignedVec<f64>>,
}

impl Pools {
    fn new(n: usize) -> Self {
        let ours = ObjectPool::new(POOL_CAPACITY, move || AlignedVec::zeroed(n), |_| {});
        ours.prewarm(POOL_CAPACITY);
        let ours_sized = MemoryPoolManager::with_config(SizeClassConfig {
            buffers_per_class: POOL_CAPACITY,
            ..SizeClassConfig::default()
        });
        ours_sized.prewarm_f64(n, POOL_CAPACITY);
        let linear = LinearObjectPool::new(move || vec![0.0; n], |_| {});
        let spin = SpinLockObjectPool::new(move || vec![0.0; n], |_| {});
        // The lockfree-object-pool pools have no prewarm: pulling a few at once makes them.
        {
            let held: Vec<_> = (0..4).map(|_| (linear.pull(), spin.pull())).collect();
            drop(held);
        }
        let object_pool = object_pool::Pool::new(POOL_CAPACITY, move || vec![0.0; n]);
        let bare_queue = ArrayQueue::new(POOL_CAPACITY);
        while bare_queue.push(AlignedVec::zeroed(n)).is_ok() {}
        Self {
            n,
            ours,
            ours_sized,
            linear,
            spin,
            object_pool,
            bare_queue,
        }
    }

    /// One get + drop on the named pool; the buffer's address is passed through
    /// `black_box` so the get cannot be optimized away.
    #[inline(always)]
    fn cycle(&self, which: Which) {
        match which {
            Which::Ours => black_box(self.ours.get().as_ptr()),
            Which::OursSizeClass => black_box(self.ours_sized.take_f64(self.n).as_ptr()),
            Which::Linear => black_box(self.linear.pull().as_ptr()),
            Which::SpinLock => black_box(self.spin.pull().as_ptr()),
            Which::ObjectPool => {
                let n = self.n;
                black_box(self.object_pool.pull(|| vec![0.0; n]).as_ptr())
            }
            // Never empty: the queue holds more buffers than both threads take at once.
            Which::BareQueue => match self.bare_queue.pop() {
                Some(v) => {
                    let p = black_box(v.as_ptr());
                    let _ = self.bare_queue.push(v);
                    p
                }
                None => std::ptr::null(),
            },
            Which::FreshVec => black_box(vec![0.0f64; self.n].as_ptr()),
        };
    }
}

#[derive(Clone, Copy)]
enum Which {
    Ours,
    OursSizeClass,
    Linear,
    SpinLock,
    ObjectPool,
    BareQueue,
    FreshVec,
}

const ALL: [(&str, Which); 7] = [
    ("zero_copy_pool::ObjectPool", Which::Ours),
    ("zero_copy_pool::MemoryPoolManager", Which::OursSizeClass),
    ("lockfree_object_pool::LinearObjectPool", Which::Linear),
    ("lockfree_object_pool::SpinLockObjectPool", Which::SpinLock),
    ("object_pool::Pool", Which::ObjectPool),
    ("crossbeam ArrayQueue pop+push (floor)", Which::BareQueue),
    ("fresh_vec", Which::FreshVec),
];

fn bench_uncontended(c: &mut Criterion) {
    for (label, n) in SIZES {
        let pools = Pools::new(n);
        let mut g = c.benchmark_group(format!("pool_get_drop/{label}"));
        tune(&mut g);
        for (name, which) in ALL {
            g.bench_function(name, |b| b.iter(|| pools.cycle(which)));
        }
        g.finish();
    }
}

/// Both cores run `iters` cycles each on the same pool, started together; the time is
/// until both are done, so it is the time per cycle with every get and return racing the
/// other core's. (A background thread hammering until told to stop would let a
/// descheduled hammer turn the run into an uncontended one on a busy machine.)
fn contended(pools: &Pools, which: Which, iters: u64) -> Duration {
    let ready = AtomicBool::new(false);
    let go = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            ready.store(true, Ordering::Release);
            while !go.load(Ordering::Acquire) {
                spin_loop();
            }
            for _ in 0..iters {
                pools.cycle(which);
            }
        });
        while !ready.load(Ordering::Acquire) {
            spin_loop();
        }
        let start = Instant::now();
        go.store(true, Ordering::Release);
        for _ in 0..iters {
            pools.cycle(which);
        }
        // Leaving the scope joins the other thread: its cycles are inside the timing.
        start
    })
    .elapsed()
}

fn bench_contended(c: &mut Criterion) {
    for (label, n) in SIZES {
        let pools = Pools::new(n);
        let mut g = c.benchmark_group(format!("pool_get_drop_contended/{label}"));
        tune(&mut g);
        for (name, which) in ALL {
            g.bench_function(name, |b| {
                b.iter_custom(|iters| contended(&pools, which, iters))
            });
        }
        g.finish();
    }
}

/// Slice lengths of the arena batch: 1 to 16 `f64`s, the small per-row scratch of a
/// feature pipeline.
fn small_len(i: usize) -> usize {
    i % 16 + 1
}

fn bench_arena(c: &mut Criterion) {
    const BATCH: usize = 1000;
    let mut g = c.benchmark_group("arena_1000_small_slices");
    tune(&mut g);

    // Warmed up once, so the measured batches reuse the arena's chunk.
    let mut arena = Arena::with_capacity(256 * 1024);
    g.bench_function("zero_copy_pool::Arena (alloc + reset)", |b| {
        b.iter(|| {
            for i in 0..BATCH {
                let s = arena.alloc_slice_zeroed::<f64>(small_len(i));
                black_box(s.as_mut_ptr());
            }
            arena.reset();
        })
    });

    // The same 1000 buffers alive at once, then freed together, as with the arena; the
    // holder's own storage is reused across iterations.
    let mut held: Vec<Vec<f64>> = Vec::with_capacity(BATCH);
    g.bench_function("Vec (1000 vec![0.0; len], then drop)", |b| {
        b.iter(|| {
            for i in 0..BATCH {
                let v = vec![0.0f64; small_len(i)];
                black_box(v.as_ptr());
                held.push(v);
            }
            held.clear();
        })
    });
    g.finish();
}

criterion_group!(benches, bench_uncontended, bench_contended, bench_arena);
criterion_main!(benches);
