//! Pool counters: plain atomics bumped on every get and return, and the [`PoolStats`]
//! snapshot read from them.
//!
//! The counters of one pool share one cache-padded block rather than a line each: a get
//! and its return touch several counters in a row from the same thread, so one line
//! moving between cores costs less than four. The padding keeps the block off the lines
//! of the free list's head and tail, which other threads write at the same time.

use core::cell::Cell;
use core::fmt;
use core::ops::{Add, AddAssign};
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

use crossbeam_utils::CachePadded;

/// A snapshot of one pool's counters (or the sum over several pools).
///
/// The counters are read one by one while other threads may be using the pool, so a
/// snapshot taken under load is approximate; one taken while the pool is idle is exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PoolStats {
    /// Gets served by reusing a pooled value.
    pub hits: u64,
    /// Gets that had to make a fresh value (the free list was empty, the pool has
    /// capacity 0, or a size-class request was larger than the largest class).
    pub misses: u64,
    /// Values put back on the free list (by a guard's drop or by `recycle`).
    pub returns: u64,
    /// Values dropped instead of returned because the free list was full.
    pub discarded: u64,
    /// Values taken out of the pool for good with `into_inner`.
    pub detached: u64,
    /// Values currently held by guards.
    pub in_use: u64,
    /// The most values held by guards at once, as sampled: checked on every miss and on
    /// one hit in 16 per thread (the first included), so it can miss a peak that lasts
    /// fewer gets than that; a lower bound of the true peak, exact for a pool whose peak
    /// came with misses. For a sum of pools, the sum of each pool's own mark.
    pub high_water: u64,
}

impl PoolStats {
    /// Total gets: hits plus misses.
    #[inline]
    pub fn gets(&self) -> u64 {
        self.hits + self.misses
    }

    /// Fraction of gets served from the free list, in `[0, 1]`; `0` before any get.
    #[inline]
    pub fn hit_rate(&self) -> f64 {
        match self.gets() {
            0 => 0.0,
            gets => self.hits as f64 / gets as f64,
        }
    }
}

impl Add for PoolStats {
    type Output = Self;

    fn add(self, rhs: Self) -> Self {
        Self {
            hits: self.hits + rhs.hits,
            misses: self.misses + rhs.misses,
            returns: self.returns + rhs.returns,
            discarded: self.discarded + rhs.discarded,
            detached: self.detached + rhs.detached,
            in_use: self.in_use + rhs.in_use,
            high_water: self.high_water + rhs.high_water,
        }
    }
}

impl AddAssign for PoolStats {
    fn add_assign(&mut self, rhs: Self) {
        *self = *self + rhs;
    }
}

impl core::iter::Sum for PoolStats {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::default(), Add::add)
    }
}

impl fmt::Display for PoolStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "hits {} misses {} ({:.1}% hit) returns {} discarded {} detached {} in_use {} high_water {}",
            self.hits,
            self.misses,
            100.0 * self.hit_rate(),
            self.returns,
            self.discarded,
            self.detached,
            self.in_use,
            self.high_water
        )
    }
}

/// A pool's figures, readable without knowing its value type: what the registry holds.
///
/// It lives here, with the counters it reads, so that the registry and the pools both
/// depend on this module and not on each other.
pub(crate) trait StatsSource: Send + Sync {
    fn snapshot(&self) -> PoolStats;
}

/// The live counters behind [`PoolStats`].
///
/// A return that succeeds bumps nothing, and a hit bumps only this thread's hit slot (see
/// below). What is in use, and so how many guard drops went back to the free list, follows
/// from the other counters and the free list's length, which the caller passes in:
///
/// * values the pool owns = prewarmed + misses + recycled - discarded - detached,
/// * in use = owned - idle,
/// * returns = hits + misses + recycled - detached - in use - discarded.
///
/// Each counter is bumped after the free-list operation it describes, so a reading taken
/// during concurrent use can only lag, and stays within what is true (saturating at 0).
///
/// Hits, the one counter bumped on every get, live in cache-padded per-thread slots: each
/// of the first [`OWNED_SLOTS`] threads of the process that use any pool owns one slot in
/// every pool, and bumps it with a plain load and store (it is the slot's only writer, so
/// no update is lost, and no locked instruction is needed). Later threads share a last
/// slot, bumped with `fetch_add`. Two cores getting from one pool so never fight over a
/// counter line. The rarely written counters share one padded block, which a get only
/// reads, so it stays shared in every core's cache.
#[derive(Default)]
pub(crate) struct PoolCounters {
    hits: [CachePadded<AtomicU64>; OWNED_SLOTS + 1],
    block: CachePadded<Counters>,
}

/// Threads that get a hit slot of their own; the rest share one.
const OWNED_SLOTS: usize = 8;

/// Hits between two high-water samples on one thread. Reading the free list's length costs
/// two loads of the queue's head and tail lines, which under contention are misses; one get
/// in 16 keeps that off the common path while still catching sustained peaks.
const SAMPLE_EVERY: u32 = 16;

/// This thread's index (unique in the process, assigned on its first get from any pool),
/// and whether this get samples the high-water mark (the first get of each thread does,
/// then one in [`SAMPLE_EVERY`]).
#[inline(always)]
fn this_thread() -> (usize, bool) {
    thread_local! {
        // Const-initialized and drop-free: reading them never allocates or registers a
        // destructor, which the zero-allocation guarantee relies on.
        static INDEX: Cell<usize> = const { Cell::new(usize::MAX) };
        static TICK: Cell<u32> = const { Cell::new(0) };
    }
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    // A thread whose locals are already torn down gets `usize::MAX`: the shared slot.
    let index = INDEX
        .try_with(|slot| match slot.get() {
            usize::MAX => {
                // Saturating, so indices are never reused even in theory.
                let assigned = NEXT
                    .fetch_update(Relaxed, Relaxed, |n| n.checked_add(1))
                    .unwrap_or(usize::MAX - 1);
                slot.set(assigned);
                assigned
            }
            assigned => assigned,
        })
        .unwrap_or(usize::MAX);
    let sample = TICK
        .try_with(|tick| {
            let t = tick.get();
            tick.set(t.wrapping_add(1));
            t % SAMPLE_EVERY == 0
        })
        .unwrap_or(false);
    (index, sample)
}

#[derive(Default)]
struct Counters {
    misses: AtomicU64,
    prewarmed: AtomicU64,
    recycled: AtomicU64,
    discarded: AtomicU64,
    detached: AtomicU64,
    high_water: AtomicU64,
}

// Relaxed everywhere: the counters order nothing; the values themselves travel through the
// free list, whose own atomics publish them.
impl PoolCounters {
    /// A get served from the free list; `idle` reads the free list's length, and is only
    /// called on the gets that sample the high-water mark.
    #[inline(always)]
    pub(crate) fn hit(&self, idle: impl FnOnce() -> usize) {
        let (thread, sample) = this_thread();
        match self.hits.get(thread).filter(|_| thread < OWNED_SLOTS) {
            // Only this thread ever writes its owned slot (thread indices are unique and
            // never reused), so a load and a store count exactly.
            Some(slot) => slot.store(slot.load(Relaxed) + 1, Relaxed),
            None => {
                self.hits[OWNED_SLOTS].fetch_add(1, Relaxed);
            }
        }
        if sample {
            self.note_in_use(idle());
        }
    }

    /// A get that made (or adopted) a fresh value; always updates the high-water mark
    /// (with `idle` the free list's length, normally 0 right after a miss).
    #[inline]
    pub(crate) fn miss(&self, idle: usize) {
        self.block.misses.fetch_add(1, Relaxed);
        self.note_in_use(idle);
    }

    /// Raises the high-water mark to the current number of values in use.
    #[inline(always)]
    fn note_in_use(&self, idle: usize) {
        // Loads only: these counters rarely change, so their line stays shared, and the
        // mark itself rarely moves, so a compare first avoids a read-modify-write.
        let now = self.owned().saturating_sub(idle as u64);
        if now > self.block.high_water.load(Relaxed) {
            self.block.high_water.fetch_max(now, Relaxed);
        }
    }

    #[inline(always)]
    fn owned(&self) -> u64 {
        let c = &*self.block;
        let added = c.prewarmed.load(Relaxed) + c.misses.load(Relaxed) + c.recycled.load(Relaxed);
        added.saturating_sub(c.discarded.load(Relaxed) + c.detached.load(Relaxed))
    }

    #[inline]
    pub(crate) fn prewarmed(&self) {
        self.block.prewarmed.fetch_add(1, Relaxed);
    }

    #[inline]
    pub(crate) fn recycled(&self) {
        self.block.recycled.fetch_add(1, Relaxed);
    }

    #[inline]
    pub(crate) fn discarded(&self) {
        self.block.discarded.fetch_add(1, Relaxed);
    }

    #[inline]
    pub(crate) fn detached(&self) {
        self.block.detached.fetch_add(1, Relaxed);
    }

    /// The counters, with `idle` the free list's current length.
    pub(crate) fn snapshot(&self, idle: usize) -> PoolStats {
        let c = &*self.block;
        let hits = self.hits.iter().map(|h| h.load(Relaxed)).sum::<u64>();
        let misses = c.misses.load(Relaxed);
        let recycled = c.recycled.load(Relaxed);
        let discarded = c.discarded.load(Relaxed);
        let detached = c.detached.load(Relaxed);
        let in_use = self.owned().saturating_sub(idle as u64);
        PoolStats {
            hits,
            misses,
            returns: (hits + misses + recycled).saturating_sub(detached + in_use + discarded),
            discarded,
            detached,
            in_use,
            high_water: c.high_water.load(Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_derive_in_use_returns_and_high_water() {
        // Pool of capacity 4: one value prewarmed, then get (hit), get (miss), get (miss),
        // return one, discard one (full), one still in use.
        let c = PoolCounters::default();
        c.prewarmed(); // idle 1
        c.hit(|| 0); // idle 0, in use 1 (first get of the thread: sampled)
        c.miss(0); // in use 2
        c.miss(0); // in use 3
                   // one returned: idle 1; one discarded
        c.discarded();
        let s = c.snapshot(1);
        assert_eq!(s.hits, 1);
        assert_eq!(s.misses, 2);
        assert_eq!(s.in_use, 1);
        assert_eq!(s.returns, 1);
        assert_eq!(s.discarded, 1);
        assert_eq!(s.high_water, 3);
        assert_eq!(s.gets(), 3);
        c.detached(); // the last one taken out for good
        let s = c.snapshot(1);
        assert_eq!((s.in_use, s.detached, s.returns), (0, 1, 1));
        c.recycled(); // put back by hand: idle 2
        let s = c.snapshot(2);
        assert_eq!((s.in_use, s.returns), (0, 2));
        assert!((s.hit_rate() - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn hits_from_many_threads_are_all_counted() {
        // More threads than owned slots, so both the owned and the shared slot are used.
        const THREADS: usize = 2 * OWNED_SLOTS + 3;
        const HITS: u64 = 1000;
        let c = PoolCounters::default();
        std::thread::scope(|s| {
            for _ in 0..THREADS {
                s.spawn(|| {
                    for _ in 0..HITS {
                        c.hit(|| 0);
                    }
                });
            }
        });
        assert_eq!(c.snapshot(0).hits, THREADS as u64 * HITS);
    }

    #[test]
    fn stats_add_and_display() {
        let a = PoolStats {
            hits: 1,
            misses: 2,
            returns: 3,
            discarded: 4,
            detached: 5,
            in_use: 6,
            high_water: 7,
        };
        let sum: PoolStats = [a, a].into_iter().sum();
        assert_eq!(sum.hits, 2);
        assert_eq!(sum.high_water, 14);
        assert_eq!(PoolStats::default().hit_rate(), 0.0);
        let text = a.to_string();
        assert!(
            text.contains("hits 1") && text.contains("high_water 7"),
            "{text}"
        );
    }
}
