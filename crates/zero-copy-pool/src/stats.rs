//! Pool counters: plain atomics bumped on every get and return, and the [`PoolStats`]
//! snapshot read from them.
//!
//! The counters of one pool share one cache-padded block rather than a line each: a get
//! and its return touch several counters in a row from the same thread, so one line
//! moving between cores costs less than four. The padding keeps the block off the lines
//! of the free list's head and tail, which other threads write at the same time.

use core::fmt;
use core::ops::{Add, AddAssign};
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

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
    /// The most values held by guards at once (for a sum of pools, the sum of each
    /// pool's own high-water mark).
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

/// The live counters behind [`PoolStats`]. Shared through an `Arc` between a pool and the
/// registry, so a registered pool's figures stay readable after the pool is gone.
#[derive(Default)]
pub(crate) struct PoolCounters {
    block: CachePadded<Counters>,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    returns: AtomicU64,
    discarded: AtomicU64,
    detached: AtomicU64,
    in_use: AtomicU64,
    high_water: AtomicU64,
}

// Relaxed everywhere: the counters order nothing; the values themselves travel through the
// free list, whose own atomics publish them.
impl PoolCounters {
    #[inline(always)]
    pub(crate) fn hit(&self) {
        self.block.hits.fetch_add(1, Relaxed);
        self.acquired();
    }

    #[inline(always)]
    pub(crate) fn miss(&self) {
        self.block.misses.fetch_add(1, Relaxed);
        self.acquired();
    }

    #[inline(always)]
    fn acquired(&self) {
        let now = self.block.in_use.fetch_add(1, Relaxed) + 1;
        // A plain load first: the mark rarely moves, and a load leaves the line shared
        // where an unconditional `fetch_max` would take it exclusive on every get.
        if now > self.block.high_water.load(Relaxed) {
            self.block.high_water.fetch_max(now, Relaxed);
        }
    }

    /// A guard gave its value up (returned, discarded or detached right after).
    #[inline(always)]
    pub(crate) fn released(&self) {
        self.block.in_use.fetch_sub(1, Relaxed);
    }

    #[inline(always)]
    pub(crate) fn returned(&self) {
        self.block.returns.fetch_add(1, Relaxed);
    }

    #[inline]
    pub(crate) fn discarded(&self) {
        self.block.discarded.fetch_add(1, Relaxed);
    }

    #[inline]
    pub(crate) fn detached(&self) {
        self.block.detached.fetch_add(1, Relaxed);
    }

    pub(crate) fn snapshot(&self) -> PoolStats {
        let c = &*self.block;
        PoolStats {
            hits: c.hits.load(Relaxed),
            misses: c.misses.load(Relaxed),
            returns: c.returns.load(Relaxed),
            discarded: c.discarded.load(Relaxed),
            detached: c.detached.load(Relaxed),
            in_use: c.in_use.load(Relaxed),
            high_water: c.high_water.load(Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_track_in_use_and_high_water() {
        let c = PoolCounters::default();
        c.miss();
        c.hit();
        c.hit();
        c.released();
        c.returned();
        c.released();
        c.discarded();
        c.hit();
        let s = c.snapshot();
        assert_eq!(s.hits, 3);
        assert_eq!(s.misses, 1);
        assert_eq!(s.returns, 1);
        assert_eq!(s.discarded, 1);
        assert_eq!(s.in_use, 2);
        assert_eq!(s.high_water, 3);
        assert_eq!(s.gets(), 4);
        assert!((s.hit_rate() - 0.75).abs() < 1e-12);
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
