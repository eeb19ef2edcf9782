//! Both cores hammer one shared pool. No value may ever be held by two guards at once
//! (each id's flag is set on get and cleared on return, and each transition asserts the
//! previous state), and no value may be lost.
//!
//! `ZERO_COPY_POOL_STRESS_ITERS` sets the get/return cycles per thread (default
//! 1_000_000; CI sets a small value under valgrind).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use seeded_rng::Rng;
use zero_copy_pool::{AlignedVec, ObjectPool};

const THREADS: usize = 2;
/// Most guards one thread holds at once.
const MAX_HELD: usize = 3;

fn iterations() -> usize {
    std::env::var("ZERO_COPY_POOL_STRESS_ITERS")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1_000_000)
}

/// A pooled value: its id, and a payload that `reset` must have cleared.
struct Item {
    id: usize,
    payload: AlignedVec<u64>,
    drops: Option<Arc<AtomicUsize>>,
}

impl Drop for Item {
    fn drop(&mut self) {
        if let Some(drops) = &self.drops {
            drops.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn take(flags: &[AtomicBool], item: &mut Item) {
    assert!(
        item.payload.is_empty(),
        "id {} came back without reset",
        item.id
    );
    let was_held = flags[item.id].swap(true, Ordering::AcqRel);
    assert!(!was_held, "id {} handed to two guards at once", item.id);
    item.payload.push(item.id as u64);
}

fn give(flags: &[AtomicBool], item: &Item) {
    assert_eq!(
        &item.payload[..],
        &[item.id as u64],
        "payload of id {} changed",
        item.id
    );
    let was_held = flags[item.id].swap(false, Ordering::AcqRel);
    assert!(was_held, "id {} returned while not held", item.id);
}

/// Both threads hold at most `THREADS * MAX_HELD` values, fewer than the prewarmed
/// capacity, so every get is a hit and every value comes back.
#[test]
fn no_value_is_shared_or_lost() {
    const CAPACITY: usize = 16;
    let iters = iterations();
    let next_id = Arc::new(AtomicUsize::new(0));
    let ids = Arc::clone(&next_id);
    let pool = Arc::new(ObjectPool::new(
        CAPACITY,
        move || Item {
            id: ids.fetch_add(1, Ordering::Relaxed),
            payload: AlignedVec::with_capacity(4),
            drops: None,
        },
        |item: &mut Item| item.payload.clear(),
    ));
    pool.prewarm(CAPACITY);
    // Room for ids a miss would make, so a bug shows as a failed assertion, not an
    // index panic.
    let flags: Vec<AtomicBool> = (0..CAPACITY * 4).map(|_| AtomicBool::new(false)).collect();

    let gets: usize = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let pool = &pool;
                let flags = &flags;
                s.spawn(move || {
                    // A per-thread seeded choice of how many guards to hold.
                    let mut rng = Rng::new(t as u64 + 1);
                    let mut gets = 0;
                    for i in 0..iters {
                        let held = 1 + rng.below(MAX_HELD);
                        gets += held;
                        // Alternate borrowed and owned guards; both paths must be exclusive.
                        if i % 2 == 0 {
                            let mut guards: [Option<_>; MAX_HELD] = [None, None, None];
                            for slot in guards.iter_mut().take(held) {
                                let mut g = pool.get();
                                take(flags, &mut g);
                                *slot = Some(g);
                            }
                            for g in guards.iter().flatten() {
                                give(flags, g);
                            }
                        } else {
                            let mut guards: [Option<_>; MAX_HELD] = [None, None, None];
                            for slot in guards.iter_mut().take(held) {
                                let mut g = pool.get_owned();
                                take(flags, &mut g);
                                *slot = Some(g);
                            }
                            // Release in reverse order for a different interleaving.
                            for g in guards.iter().rev().flatten() {
                                give(flags, g);
                            }
                        }
                    }
                    gets
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });

    let s = pool.stats();
    assert_eq!(s.hits, gets as u64, "every get counted once: {s}");
    assert_eq!(s.misses, 0, "prewarmed pool missed: {s}");
    assert_eq!(s.discarded, 0, "{s}");
    assert_eq!(s.in_use, 0, "{s}");
    assert_eq!(s.hits, s.returns, "{s}");
    assert!(s.high_water as usize <= THREADS * MAX_HELD, "{s}");
    assert_eq!(next_id.load(Ordering::Relaxed), CAPACITY);
    // Every value comes back: draining the pool yields each id exactly once.
    let mut seen = [false; CAPACITY];
    while let Some(g) = pool.try_get() {
        assert!(
            !std::mem::replace(&mut seen[g.id], true),
            "id {} twice in the pool",
            g.id
        );
        // Detached and dropped, so the loop empties the pool (and nothing leaks).
        drop(g.into_inner());
    }
    assert!(seen.iter().all(|&x| x), "lost values: {seen:?}");
    assert!(flags.iter().all(|f| !f.load(Ordering::Relaxed)));
}

/// A pool smaller than the demand: misses make fresh values and full returns discard
/// them. Still no value is held twice, and every value made is accounted for: returned
/// to the pool (and dropped with it) or discarded.
#[test]
fn undersized_pool_accounts_for_every_value() {
    const CAPACITY: usize = 2;
    let iters = iterations();
    let drops = Arc::new(AtomicUsize::new(0));
    let made = Arc::new(AtomicUsize::new(0));
    let (d, m) = (Arc::clone(&drops), Arc::clone(&made));
    let pool = ObjectPool::new(
        CAPACITY,
        move || Item {
            id: m.fetch_add(1, Ordering::Relaxed),
            payload: AlignedVec::with_capacity(1),
            drops: Some(Arc::clone(&d)),
        },
        |item: &mut Item| item.payload.clear(),
    );
    // Each get makes at most one value, so ids stay below the total number of gets.
    let flags: Vec<AtomicBool> = (0..THREADS * MAX_HELD * iters + 1)
        .map(|_| AtomicBool::new(false))
        .collect();

    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (pool, flags) = (&pool, &flags);
            s.spawn(move || {
                let mut rng = Rng::new(t as u64 + 7);
                for _ in 0..iters {
                    let held = 1 + rng.below(MAX_HELD);
                    let mut guards: [Option<_>; MAX_HELD] = [None, None, None];
                    for slot in guards.iter_mut().take(held) {
                        let mut g = pool.get();
                        take(flags, &mut g);
                        *slot = Some(g);
                    }
                    for g in guards.iter().flatten() {
                        give(flags, g);
                    }
                }
            });
        }
    });

    let s = pool.stats();
    let made = made.load(Ordering::Relaxed) as u64;
    assert_eq!(s.misses, made, "{s}");
    assert_eq!(s.in_use, 0, "{s}");
    assert_eq!(s.gets(), s.returns + s.discarded, "{s}");
    assert_eq!(drops.load(Ordering::SeqCst) as u64, s.discarded, "{s}");
    let idle = pool.available() as u64;
    assert_eq!(
        made,
        s.discarded + idle,
        "values made = discarded + idle: {s}"
    );
    drop(pool);
    assert_eq!(
        drops.load(Ordering::SeqCst) as u64,
        made,
        "every value dropped exactly once"
    );
}
