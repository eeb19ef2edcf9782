//! [`ObjectPool`]: a bounded, lock-free free list of reusable values, handed out through
//! RAII guards ([`Pooled`], [`PooledOwned`]) that reset and return the value on drop.
//!
//! The free list is a `crossbeam_queue::ArrayQueue` (Vyukov's bounded MPMC queue): a get is
//! one pop and a return one push, both a single CAS when uncontended, and neither ever
//! allocates. A value lives either in the queue or in exactly one guard, never both, so no
//! value can be handed to two guards at once.

use core::fmt;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use std::sync::Arc;

use crossbeam_queue::ArrayQueue;

use crate::registry::{registry, PoolRegistry};
use crate::stats::{PoolCounters, PoolStats, StatsSource};

type MakeFn<T> = Box<dyn Fn() -> T + Send + Sync>;
type ResetFn<T> = Box<dyn Fn(&mut T) + Send + Sync>;

/// A bounded pool of reusable values of type `T`.
///
/// * [`get`](Self::get) pops a pooled value, or makes a fresh one with the `make` closure
///   on a miss; [`try_get`](Self::try_get) only reuses.
/// * Dropping the guard runs the `reset` closure on the value and pushes it back; when the
///   free list already holds `capacity` values, the value is dropped instead and counted as
///   discarded.
/// * After [`prewarm`](Self::prewarm), a get/return cycle allocates nothing, provided
///   `reset` does not.
/// * A pool with capacity 0 keeps nothing: every get makes a fresh value (a miss) and every
///   return drops it (a discard). It is the "pooling off" setting, useful to measure what
///   pooling buys.
///
/// The pool is `Sync` when `T: Send`, so one pool can serve many threads; use
/// [`get_owned`](Self::get_owned) for a guard that outlives the borrow of the pool (for
/// example one sent to another thread).
///
/// ```
/// use zero_copy_pool::{AlignedVec, ObjectPool};
///
/// let pool = ObjectPool::new(4, || AlignedVec::<f64>::with_capacity(1024), |v| v.clear());
/// pool.prewarm(4);
/// {
///     let mut buf = pool.get();
///     buf.extend_from_slice(&[1.0, 2.0]);
///     assert_eq!(buf.len(), 2);
/// } // reset (cleared) and returned here
/// assert!(pool.get().is_empty());
/// assert_eq!(pool.stats().misses, 0);
/// ```
pub struct ObjectPool<T> {
    /// The free list and counters, behind an `Arc` so the registry can read a named
    /// pool's figures (through a `Weak`) without owning the pool.
    shared: Arc<Shared<T>>,
    make: MakeFn<T>,
    reset: ResetFn<T>,
}

/// What the registry can see of a pool.
pub(crate) struct Shared<T> {
    /// `None` for capacity 0: `ArrayQueue::new(0)` panics.
    free: Option<ArrayQueue<T>>,
    counters: PoolCounters,
}

impl<T> Shared<T> {
    #[inline(always)]
    fn idle(&self) -> usize {
        self.free.as_ref().map_or(0, ArrayQueue::len)
    }
}

impl<T: Send> StatsSource for Shared<T> {
    fn snapshot(&self) -> PoolStats {
        self.counters.snapshot(self.idle())
    }
}

impl<T> ObjectPool<T> {
    /// A pool that keeps at most `capacity` idle values, making new ones with `make` and
    /// cleaning returned ones with `reset`. The pool starts empty; see
    /// [`prewarm`](Self::prewarm).
    ///
    /// `capacity` 0 is allowed and gives a pool that never keeps anything (every get is a
    /// miss, every return a discard). `reset` runs on the returning thread inside the
    /// guard's drop, so it should be cheap and must not allocate if the zero-allocation
    /// guarantee is wanted.
    ///
    /// The free list is allocated up front: `capacity` slots of a `T` and a `usize` stamp.
    ///
    /// # Panics
    /// If that free list would exceed `isize::MAX` bytes. A representable size the
    /// allocator cannot provide aborts the process, as `Vec::with_capacity` does.
    #[track_caller]
    pub fn new(
        capacity: usize,
        make: impl Fn() -> T + Send + Sync + 'static,
        reset: impl Fn(&mut T) + Send + Sync + 'static,
    ) -> Self {
        if std::alloc::Layout::array::<(usize, T)>(capacity).is_err() {
            panic!("ObjectPool::new: a free list of {capacity} slots exceeds isize::MAX bytes");
        }
        Self {
            shared: Arc::new(Shared {
                free: (capacity > 0).then(|| ArrayQueue::new(capacity)),
                counters: PoolCounters::default(),
            }),
            make: Box::new(make),
            reset: Box::new(reset),
        }
    }

    /// The most idle values the pool keeps.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.shared.free.as_ref().map_or(0, ArrayQueue::capacity)
    }

    /// Idle values ready to be reused now (a racy figure under concurrent use).
    #[inline]
    pub fn available(&self) -> usize {
        self.shared.idle()
    }

    /// Makes up to `n` fresh values and stores them, stopping early when the free list is
    /// full (values it could not keep are never made). Prewarmed values count as neither
    /// hits nor misses.
    pub fn prewarm(&self, n: usize) {
        let Some(free) = &self.shared.free else {
            return;
        };
        for _ in 0..n {
            if free.is_full() {
                break;
            }
            if free.push((self.make)()).is_err() {
                // Another thread filled the last slot between the check and the push.
                break;
            }
            self.shared.counters.prewarmed();
        }
    }

    /// A pooled value, or a fresh one from `make` when none is idle.
    #[inline(always)]
    pub fn get(&self) -> Pooled<'_, T> {
        let value = match self.pop() {
            Some(value) => value,
            None => self.make_on_miss(),
        };
        Pooled::new(value, self)
    }

    /// A pooled value, or `None` when none is idle; never makes a value and counts nothing
    /// on `None`.
    #[inline(always)]
    pub fn try_get(&self) -> Option<Pooled<'_, T>> {
        let value = self.pop()?;
        Some(Pooled::new(value, self))
    }

    /// As [`get`](Self::get), with a guard that holds an `Arc` of the pool instead of a
    /// borrow: it can be stored, or sent to another thread, and keeps the pool alive until
    /// it is dropped.
    #[inline(always)]
    pub fn get_owned(self: &Arc<Self>) -> PooledOwned<T> {
        let value = match self.pop() {
            Some(value) => value,
            None => self.make_on_miss(),
        };
        PooledOwned::new(value, Arc::clone(self))
    }

    /// As [`try_get`](Self::try_get), with an owned guard.
    #[inline(always)]
    pub fn try_get_owned(self: &Arc<Self>) -> Option<PooledOwned<T>> {
        let value = self.pop()?;
        Some(PooledOwned::new(value, Arc::clone(self)))
    }

    /// Resets `value` and adds it to the free list (counted as a return), or drops it when
    /// the list is full (counted as discarded). For values that did not come from a guard,
    /// such as one taken out with `into_inner`.
    pub fn recycle(&self, mut value: T) {
        (self.reset)(&mut value);
        self.shared.counters.recycled();
        self.push_or_discard(value);
    }

    /// A snapshot of the pool's counters.
    pub fn stats(&self) -> PoolStats {
        self.shared.counters.snapshot(self.shared.idle())
    }

    /// Wraps a value made outside the pool in a guard, counted as a miss; the size-class
    /// manager's path for requests larger than its largest class.
    #[inline]
    pub(crate) fn adopt(&self, value: T) -> Pooled<'_, T> {
        self.shared.counters.miss(self.shared.idle());
        Pooled::new(value, self)
    }

    /// Pops an idle value and counts the hit.
    #[inline(always)]
    fn pop(&self) -> Option<T> {
        let free = self.shared.free.as_ref()?;
        let value = free.pop()?;
        self.shared.counters.hit(|| free.len());
        Some(value)
    }

    #[cold]
    #[inline(never)]
    fn make_on_miss(&self) -> T {
        let value = (self.make)();
        // Counted once made, so the figures never show a value that does not exist yet.
        self.shared.counters.miss(self.shared.idle());
        value
    }

    /// The guards' drop path: reset the value where it lies (in the guard, so it is not
    /// moved an extra time just to be passed to `reset`), then return or discard it. A
    /// successful return bumps no counter (see `PoolCounters`).
    ///
    /// # Safety
    ///
    /// `value` must hold a value (not yet taken), and the caller must never read or drop
    /// it again: it is moved out here.
    #[inline(always)]
    unsafe fn give_back(&self, value: &mut ManuallyDrop<T>) {
        (self.reset)(value);
        // SAFETY: the caller guarantees the value is present and never used again.
        let value = unsafe { ManuallyDrop::take(value) };
        self.push_or_discard(value);
    }

    #[inline(always)]
    fn push_or_discard(&self, value: T) {
        match &self.shared.free {
            Some(free) => {
                if let Err(value) = free.push(value) {
                    self.discard(value);
                }
            }
            None => self.discard(value),
        }
    }

    #[cold]
    #[inline(never)]
    fn discard(&self, value: T) {
        drop(value);
        self.shared.counters.discarded();
    }

    /// Counts a value leaving the pool for good through `into_inner`.
    fn detach(&self) {
        self.shared.counters.detached();
    }
}

impl<T: Send + 'static> ObjectPool<T> {
    /// Publishes this pool's counters in the global [`registry`](crate::registry()) under
    /// `name` (replacing any pool registered under that name) until the pool is dropped or
    /// unregistered. A cold path: it allocates.
    pub fn register(&self, name: impl Into<String>) {
        registry().register(name, self);
    }

    /// The registry's handle on this pool's figures.
    fn stats_source(&self) -> std::sync::Weak<dyn StatsSource> {
        let shared: Arc<dyn StatsSource> = self.shared.clone();
        Arc::downgrade(&shared)
    }
}

// The registry sits below the pools and only knows `StatsSource`; publishing an
// `ObjectPool` is written here, where the pool type is known, so the registry never
// imports this module.
impl PoolRegistry {
    /// Publishes `pool`'s counters under `name`, replacing any pool registered under that
    /// name before.
    pub fn register<T: Send + 'static>(&self, name: impl Into<String>, pool: &ObjectPool<T>) {
        self.insert(name.into(), pool.stats_source());
    }
}

impl<T> fmt::Debug for ObjectPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectPool")
            .field("capacity", &self.capacity())
            .field("available", &self.available())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// A value borrowed from an [`ObjectPool`]; dereferences to the value. On drop the value is
/// reset and returned to the pool (or dropped and counted as discarded when the pool is
/// full). [`into_inner`](Self::into_inner) keeps the value instead.
#[must_use = "dropping the guard returns the value to the pool at once"]
pub struct Pooled<'a, T> {
    // Taken out exactly once, in `drop` or `into_inner`.
    value: ManuallyDrop<T>,
    pool: &'a ObjectPool<T>,
}

impl<'a, T> Pooled<'a, T> {
    #[inline(always)]
    fn new(value: T, pool: &'a ObjectPool<T>) -> Self {
        Self {
            value: ManuallyDrop::new(value),
            pool,
        }
    }

    /// Takes the value out of the pool for good: it is not reset, not returned, and counted
    /// as detached.
    pub fn into_inner(self) -> T {
        let mut this = ManuallyDrop::new(self);
        this.pool.detach();
        // SAFETY: `this` is never dropped (it is wrapped in `ManuallyDrop`), so `value` is
        // taken exactly once here and never read again.
        unsafe { ManuallyDrop::take(&mut this.value) }
    }

    /// The pool this value goes back to.
    pub fn pool(&self) -> &'a ObjectPool<T> {
        self.pool
    }
}

impl<T> Deref for Pooled<'_, T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for Pooled<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T> Drop for Pooled<'_, T> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: `drop` runs at most once and `into_inner` skips it, so the value is still
        // present, and nothing touches it after this call.
        unsafe { self.pool.give_back(&mut self.value) };
    }
}

impl<T: fmt::Debug> fmt::Debug for Pooled<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value, f)
    }
}

/// A value from an [`ObjectPool`] held through an `Arc` of the pool: `'static` when `T` is,
/// `Send` when `T: Send`, and it keeps the pool alive even after every other handle to the
/// pool is dropped. Drop and [`into_inner`](Self::into_inner) behave as for [`Pooled`].
#[must_use = "dropping the guard returns the value to the pool at once"]
pub struct PooledOwned<T> {
    // Taken out exactly once, in `drop` or `into_inner`.
    value: ManuallyDrop<T>,
    pool: ManuallyDrop<Arc<ObjectPool<T>>>,
}

impl<T> PooledOwned<T> {
    #[inline(always)]
    fn new(value: T, pool: Arc<ObjectPool<T>>) -> Self {
        Self {
            value: ManuallyDrop::new(value),
            pool: ManuallyDrop::new(pool),
        }
    }

    /// Takes the value out of the pool for good: it is not reset, not returned, and counted
    /// as detached. The guard's handle on the pool is released.
    pub fn into_inner(self) -> T {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so each field is taken exactly once here and
        // never read again.
        let (value, pool) = unsafe {
            (
                ManuallyDrop::take(&mut this.value),
                ManuallyDrop::take(&mut this.pool),
            )
        };
        pool.detach();
        value
    }

    /// The pool this value goes back to.
    pub fn pool(&self) -> &Arc<ObjectPool<T>> {
        &self.pool
    }
}

impl<T> Deref for PooledOwned<T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for PooledOwned<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T> Drop for PooledOwned<T> {
    #[inline(always)]
    fn drop(&mut self) {
        // The value goes back before this handle on the pool is released, so the pool is
        // alive for the push even if this guard held its last handle.
        // SAFETY: `drop` runs at most once and `into_inner` skips it, so the value and the
        // handle are still present; each is moved out once here and never touched again.
        unsafe {
            self.pool.give_back(&mut self.value);
            drop(ManuallyDrop::take(&mut self.pool));
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for PooledOwned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counting_pool(capacity: usize) -> (ObjectPool<Vec<u8>>, Arc<AtomicUsize>) {
        let made = Arc::new(AtomicUsize::new(0));
        let m = Arc::clone(&made);
        let pool = ObjectPool::new(
            capacity,
            move || {
                m.fetch_add(1, Ordering::Relaxed);
                Vec::with_capacity(16)
            },
            |v: &mut Vec<u8>| v.clear(),
        );
        (pool, made)
    }

    #[test]
    fn get_reuses_and_resets() {
        let (pool, made) = counting_pool(2);
        {
            let mut a = pool.get();
            a.push(7);
        }
        let a = pool.get();
        assert!(a.is_empty(), "reset did not run: {a:?}");
        assert_eq!(made.load(Ordering::Relaxed), 1);
        let s = pool.stats();
        assert_eq!((s.hits, s.misses, s.returns, s.in_use), (1, 1, 1, 1));
    }

    #[test]
    fn full_pool_discards() {
        let (pool, _) = counting_pool(1);
        let a = pool.get();
        let b = pool.get();
        drop(a);
        drop(b);
        let s = pool.stats();
        assert_eq!(s.returns, 1);
        assert_eq!(s.discarded, 1);
        assert_eq!(s.in_use, 0);
        assert_eq!(s.high_water, 2);
        assert_eq!(pool.available(), 1);
    }

    #[test]
    fn capacity_zero_always_makes_fresh() {
        let (pool, made) = counting_pool(0);
        assert_eq!(pool.capacity(), 0);
        pool.prewarm(10);
        assert_eq!(made.load(Ordering::Relaxed), 0);
        for _ in 0..3 {
            drop(pool.get());
        }
        assert!(pool.try_get().is_none());
        assert_eq!(made.load(Ordering::Relaxed), 3);
        let s = pool.stats();
        assert_eq!((s.hits, s.misses, s.returns, s.discarded), (0, 3, 0, 3));
        pool.recycle(Vec::new());
        assert_eq!(pool.stats().discarded, 4);
    }

    #[test]
    fn prewarm_stops_at_capacity() {
        let (pool, made) = counting_pool(3);
        pool.prewarm(10);
        assert_eq!(made.load(Ordering::Relaxed), 3);
        assert_eq!(pool.available(), 3);
        pool.prewarm(1);
        assert_eq!(made.load(Ordering::Relaxed), 3);
        assert_eq!(pool.stats(), PoolStats::default());
    }

    #[test]
    fn try_get_only_reuses() {
        let (pool, made) = counting_pool(2);
        assert!(pool.try_get().is_none());
        pool.prewarm(1);
        let a = pool.try_get().expect("prewarmed value");
        assert!(pool.try_get().is_none());
        drop(a);
        assert_eq!(made.load(Ordering::Relaxed), 1);
        assert_eq!(pool.stats().hits, 1);
        assert_eq!(pool.stats().misses, 0);
    }

    #[test]
    fn into_inner_detaches() {
        let (pool, _) = counting_pool(2);
        let mut a = pool.get();
        a.push(1);
        let v = a.into_inner();
        assert_eq!(v, vec![1]);
        assert_eq!(pool.available(), 0);
        let s = pool.stats();
        assert_eq!((s.detached, s.in_use, s.returns), (1, 0, 0));
        pool.recycle(v);
        assert_eq!(pool.available(), 1);
        assert!(pool.get().is_empty(), "recycle must reset");
    }

    #[test]
    fn owned_guard_keeps_pool_alive() {
        let dropped = Arc::new(AtomicUsize::new(0));
        struct Tracked(Arc<AtomicUsize>);
        impl Drop for Tracked {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let d = Arc::clone(&dropped);
        let pool = Arc::new(ObjectPool::new(4, move || Tracked(Arc::clone(&d)), |_| {}));
        let guard = pool.get_owned();
        let weak = Arc::downgrade(&pool);
        drop(pool);
        assert!(weak.upgrade().is_some(), "guard must keep the pool alive");
        let handle = std::thread::spawn(move || {
            let g = guard;
            assert_eq!(g.pool().stats().in_use, 1);
            drop(g);
        });
        handle.join().unwrap();
        assert!(
            weak.upgrade().is_none(),
            "last guard gone: pool must be freed"
        );
        assert_eq!(
            dropped.load(Ordering::SeqCst),
            1,
            "pooled value dropped with the pool"
        );
    }

    #[test]
    fn owned_into_inner_releases_pool() {
        let pool = Arc::new(ObjectPool::new(2, || 5u32, |_| {}));
        let g = pool.get_owned();
        assert_eq!(Arc::strong_count(&pool), 2);
        assert_eq!(g.into_inner(), 5);
        assert_eq!(Arc::strong_count(&pool), 1);
        assert_eq!(pool.stats().detached, 1);
        pool.prewarm(1);
        let t = pool.try_get_owned().expect("prewarmed");
        assert_eq!(*t, 5);
    }

    #[test]
    fn high_water_sees_a_sustained_peak_of_hits() {
        let pool = ObjectPool::new(64, || 0u32, |_| {});
        pool.prewarm(64);
        // A fresh thread, so its sampling tick starts at the first get.
        std::thread::scope(|s| {
            s.spawn(|| {
                let held: Vec<_> = (0..40).map(|_| pool.get()).collect();
                assert_eq!(pool.stats().in_use, 40);
                drop(held);
            });
        });
        let st = pool.stats();
        assert_eq!((st.hits, st.misses, st.in_use, st.returns), (40, 0, 0, 40));
        // Sampled at gets 1, 17 and 33: the mark is at least 33 and never above the truth.
        assert!((33..=40).contains(&st.high_water), "{st}");
    }

    #[test]
    fn debug_output_names_capacity() {
        let (pool, _) = counting_pool(3);
        let text = format!("{pool:?}");
        assert!(text.contains("capacity: 3"), "{text}");
        let mut g = pool.get();
        g.push(9);
        assert_eq!(format!("{g:?}"), "[9]");
    }
}
