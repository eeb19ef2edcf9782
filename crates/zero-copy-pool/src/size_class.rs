//! [`MemoryPoolManager`]: pools of aligned `f64` and `f32` buffers in power-of-two size
//! classes, so code that needs scratch of varying length gets a reused, 64-byte aligned
//! buffer without a pool per call site.
//!
//! A request for `len` elements is served by the smallest class of at least `len`
//! elements, so at most half of a buffer is slack. Pooled buffers always hold their full
//! class length of initialized elements; the guard exposes only the first `len`, which is
//! why a "dirty" take costs nothing and a zeroed take costs one fill of `len` elements.

use core::fmt;
use core::ops::{Deref, DerefMut};

use crate::aligned_vec::AlignedVec;
use crate::block::TryReserveError;
use crate::object_pool::{ObjectPool, Pooled};
use crate::stats::PoolStats;
use crate::zeroable::{zero_fill, Zeroable};

/// The shape of a [`MemoryPoolManager`]: which class lengths exist and how many idle
/// buffers each keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeClassConfig {
    /// Length in elements of the smallest class (rounded up to a power of two; 0 is read
    /// as 1).
    pub min_len: usize,
    /// Length in elements of the largest class (rounded up to a power of two, at least
    /// `min_len`, at most 2^40). Longer requests get a fresh buffer each time.
    pub max_len: usize,
    /// Idle buffers each class keeps (per element type). 0 turns pooling off: every take
    /// allocates.
    pub buffers_per_class: usize,
}

impl Default for SizeClassConfig {
    /// Classes from 64 elements (512 bytes of `f64`) to 2^20 elements (8 MiB of `f64`),
    /// keeping up to 8 idle buffers each. Nothing is allocated until used or prewarmed.
    fn default() -> Self {
        Self {
            min_len: 64,
            max_len: 1 << 20,
            buffers_per_class: 8,
        }
    }
}

/// Whether a taken buffer must read as zero, or may hold whatever its last user left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    /// Every element is `0`.
    Zeroed,
    /// Elements are initialized but arbitrary (a previous user's data, or zero for a
    /// freshly allocated buffer). For buffers that are written before they are read.
    Dirty,
}

/// Largest class shift: 2^40 elements, far beyond any buffer this crate's users need, and
/// low enough that `1 << shift` times an element size cannot overflow.
const MAX_SHIFT: u32 = 40;

/// The size classes for one element type.
struct ClassSet<T: Zeroable + Send + 'static> {
    min_shift: u32,
    classes: Box<[ObjectPool<AlignedVec<T>>]>,
    /// Capacity 0: its guards drop oversized buffers on return and count them as
    /// misses and discards.
    oversize: ObjectPool<AlignedVec<T>>,
}

impl<T: Zeroable + Send + 'static> ClassSet<T> {
    fn new(config: &SizeClassConfig) -> Self {
        let min_shift = ceil_log2(config.min_len.max(1)).min(MAX_SHIFT);
        let max_shift = ceil_log2(config.max_len).clamp(min_shift, MAX_SHIFT);
        let classes = (min_shift..=max_shift)
            .map(|shift| {
                let class_len = 1usize << shift;
                // Buffers are made zeroed: that initializes them (dirty takes expose them
                // as-is) and costs no writes for large, freshly mapped blocks.
                ObjectPool::new(
                    config.buffers_per_class,
                    move || AlignedVec::zeroed(class_len),
                    // The guard only hands out a slice, so the length cannot change and
                    // nothing needs resetting.
                    |_: &mut AlignedVec<T>| {},
                )
            })
            .collect();
        Self {
            min_shift,
            classes,
            oversize: ObjectPool::new(0, AlignedVec::new, |_| {}),
        }
    }

    /// The index of the smallest class holding `len` elements, if any does.
    #[inline(always)]
    fn class_of(&self, len: usize) -> Option<usize> {
        let index = ceil_log2(len).saturating_sub(self.min_shift) as usize;
        (index < self.classes.len()).then_some(index)
    }

    fn class_len(&self, index: usize) -> usize {
        1 << (self.min_shift as usize + index)
    }

    #[inline(always)]
    fn take(&self, len: usize, contents: Contents) -> Result<PooledBuf<'_, T>, TryReserveError> {
        let Some(index) = self.class_of(len) else {
            return self.take_oversize(len);
        };
        let mut buf = PooledBuf {
            buf: self.classes[index].get(),
            len,
        };
        debug_assert!(
            buf.buf.len() >= len,
            "size class {index} buffer of {} elements cannot serve {len}",
            buf.buf.len()
        );
        if contents == Contents::Zeroed {
            zero_fill(&mut buf);
        }
        Ok(buf)
    }

    #[cold]
    #[inline(never)]
    fn take_oversize(&self, len: usize) -> Result<PooledBuf<'_, T>, TryReserveError> {
        let fresh = AlignedVec::try_zeroed(len)?;
        Ok(PooledBuf {
            buf: self.oversize.adopt(fresh),
            len,
        })
    }

    fn prewarm(&self, len: usize, count: usize) {
        if let Some(index) = self.class_of(len) {
            self.classes[index].prewarm(count);
        }
    }

    fn stats(&self) -> PoolStats {
        self.classes
            .iter()
            .map(ObjectPool::stats)
            .sum::<PoolStats>()
            + self.oversize.stats()
    }

    fn class_stats(&self) -> Vec<ClassStats> {
        self.classes
            .iter()
            .enumerate()
            .map(|(index, pool)| ClassStats {
                class_len: self.class_len(index),
                stats: pool.stats(),
            })
            .collect()
    }

    fn register(&self, prefix: &str, type_name: &str) {
        for (index, pool) in self.classes.iter().enumerate() {
            pool.register(format!("{prefix}.{type_name}.{}", self.class_len(index)));
        }
        self.oversize
            .register(format!("{prefix}.{type_name}.oversize"));
    }
}

/// `ceil(log2(n))`, with `n <= 1` giving 0.
#[inline(always)]
fn ceil_log2(n: usize) -> u32 {
    if n <= 1 {
        0
    } else {
        usize::BITS - (n - 1).leading_zeros()
    }
}

/// One size class's length and counters, from [`MemoryPoolManager::f64_class_stats`] and
/// [`MemoryPoolManager::f32_class_stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassStats {
    /// Length in elements of the class's buffers.
    pub class_len: usize,
    /// The class pool's counters.
    pub stats: PoolStats,
}

/// Size-class pools of 64-byte aligned `f64` and `f32` buffers.
///
/// `take_f64(len)` returns a guard over exactly `len` elements of a pooled buffer from the
/// smallest class that fits; its contents are whatever the last user left
/// ([`Contents::Dirty`]). `take_f64_zeroed(len)` zeroes those `len` elements first. A request
/// longer than the largest class gets a fresh zeroed buffer, counted as a miss, and dropped
/// (counted as discarded) when the guard goes. Every buffer, pooled or fresh, starts on a
/// 64-byte boundary. The `f32` methods mirror the `f64` ones.
///
/// ```
/// use zero_copy_pool::{MemoryPoolManager, ALIGN};
///
/// let pools = MemoryPoolManager::new();
/// pools.prewarm_f64(1000, 2);
/// let mut scratch = pools.take_f64_zeroed(1000);
/// assert_eq!(scratch.len(), 1000);
/// assert_eq!(scratch.as_ptr() as usize % ALIGN, 0);
/// scratch[0] = 1.0;
/// drop(scratch);
/// assert_eq!(pools.stats().misses, 0);
/// ```
pub struct MemoryPoolManager {
    config: SizeClassConfig,
    f64s: ClassSet<f64>,
    f32s: ClassSet<f32>,
}

impl Default for MemoryPoolManager {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryPoolManager {
    /// A manager with the [default classes](SizeClassConfig::default).
    pub fn new() -> Self {
        Self::with_config(SizeClassConfig::default())
    }

    /// A manager with the given classes. Out-of-range settings are clamped, never
    /// rejected (see [`SizeClassConfig`]).
    pub fn with_config(config: SizeClassConfig) -> Self {
        Self {
            config,
            f64s: ClassSet::new(&config),
            f32s: ClassSet::new(&config),
        }
    }

    /// The configuration this manager was built with (before clamping).
    pub fn config(&self) -> SizeClassConfig {
        self.config
    }

    /// The element lengths of the classes, smallest first.
    pub fn class_lens(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.f64s.classes.len()).map(|index| self.f64s.class_len(index))
    }

    /// The longest request served from a pool; longer ones allocate.
    pub fn max_pooled_len(&self) -> usize {
        self.f64s.class_len(self.f64s.classes.len() - 1)
    }

    /// `len` `f64`s with arbitrary (initialized) contents.
    ///
    /// # Panics
    ///
    /// Only for a request beyond the largest class whose size overflows `isize::MAX` bytes
    /// (calls the allocation error handler if the allocator refuses);
    /// [`try_take_f64`](Self::try_take_f64) returns those as errors.
    #[inline(always)]
    pub fn take_f64(&self, len: usize) -> PooledBuf<'_, f64> {
        self.f64s
            .take(len, Contents::Dirty)
            .unwrap_or_else(|e| e.raise())
    }

    /// `len` zero `f64`s.
    ///
    /// # Panics
    ///
    /// As [`take_f64`](Self::take_f64).
    #[inline(always)]
    pub fn take_f64_zeroed(&self, len: usize) -> PooledBuf<'_, f64> {
        self.f64s
            .take(len, Contents::Zeroed)
            .unwrap_or_else(|e| e.raise())
    }

    /// `len` `f64`s with the given contents, or the reason a fresh buffer could not be had.
    #[inline]
    pub fn try_take_f64(
        &self,
        len: usize,
        contents: Contents,
    ) -> Result<PooledBuf<'_, f64>, TryReserveError> {
        self.f64s.take(len, contents)
    }

    /// `len` `f32`s with arbitrary (initialized) contents.
    ///
    /// # Panics
    ///
    /// As [`take_f64`](Self::take_f64).
    #[inline(always)]
    pub fn take_f32(&self, len: usize) -> PooledBuf<'_, f32> {
        self.f32s
            .take(len, Contents::Dirty)
            .unwrap_or_else(|e| e.raise())
    }

    /// `len` zero `f32`s.
    ///
    /// # Panics
    ///
    /// As [`take_f64`](Self::take_f64).
    #[inline(always)]
    pub fn take_f32_zeroed(&self, len: usize) -> PooledBuf<'_, f32> {
        self.f32s
            .take(len, Contents::Zeroed)
            .unwrap_or_else(|e| e.raise())
    }

    /// `len` `f32`s with the given contents, or the reason a fresh buffer could not be had.
    #[inline]
    pub fn try_take_f32(
        &self,
        len: usize,
        contents: Contents,
    ) -> Result<PooledBuf<'_, f32>, TryReserveError> {
        self.f32s.take(len, contents)
    }

    /// Allocates up to `count` idle `f64` buffers in the class serving `len` (nothing for a
    /// length beyond the largest class).
    pub fn prewarm_f64(&self, len: usize, count: usize) {
        self.f64s.prewarm(len, count);
    }

    /// Allocates up to `count` idle `f32` buffers in the class serving `len`.
    pub fn prewarm_f32(&self, len: usize, count: usize) {
        self.f32s.prewarm(len, count);
    }

    /// The sum of every class's counters, both element types, oversized requests included.
    pub fn stats(&self) -> PoolStats {
        self.f64s.stats() + self.f32s.stats()
    }

    /// Counters of each `f64` class, smallest first. Allocates (a cold path).
    pub fn f64_class_stats(&self) -> Vec<ClassStats> {
        self.f64s.class_stats()
    }

    /// Counters of each `f32` class, smallest first. Allocates (a cold path).
    pub fn f32_class_stats(&self) -> Vec<ClassStats> {
        self.f32s.class_stats()
    }

    /// Counters of requests beyond the largest class (misses and discards only):
    /// `(f64, f32)`.
    pub fn oversize_stats(&self) -> (PoolStats, PoolStats) {
        (self.f64s.oversize.stats(), self.f32s.oversize.stats())
    }

    /// Registers every class pool in the global [`registry`](crate::registry()) as
    /// `"{prefix}.f64.{class_len}"`, `"{prefix}.f32.{class_len}"`, and
    /// `"{prefix}.f64.oversize"` / `"{prefix}.f32.oversize"`.
    pub fn register(&self, prefix: &str) {
        self.f64s.register(prefix, "f64");
        self.f32s.register(prefix, "f32");
    }
}

impl fmt::Debug for MemoryPoolManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryPoolManager")
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// A buffer of exactly the requested length from a [`MemoryPoolManager`], dereferencing to
/// a 64-byte aligned slice. Dropping it returns the buffer to its class.
#[must_use = "dropping the guard returns the buffer to the pool at once"]
pub struct PooledBuf<'a, T: Copy> {
    buf: Pooled<'a, AlignedVec<T>>,
    len: usize,
}

impl<T: Copy> PooledBuf<'_, T> {
    /// Length of the whole underlying buffer (the class length, or the request itself
    /// for an oversized one); at least `len()`.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Takes the buffer out of the pool for good, shortened to the requested length (its
    /// capacity stays the class length). Counted as detached.
    pub fn into_inner(self) -> AlignedVec<T> {
        let len = self.len;
        let mut v = self.buf.into_inner();
        v.truncate(len);
        v
    }
}

impl<T: Copy> Deref for PooledBuf<'_, T> {
    type Target = [T];

    #[inline(always)]
    fn deref(&self) -> &[T] {
        &self.buf[..self.len]
    }
}

impl<T: Copy> DerefMut for PooledBuf<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.buf[..self.len]
    }
}

impl<T: Copy> AsRef<[T]> for PooledBuf<'_, T> {
    fn as_ref(&self) -> &[T] {
        self
    }
}

impl<T: Copy> AsMut<[T]> for PooledBuf<'_, T> {
    fn as_mut(&mut self) -> &mut [T] {
        self
    }
}

impl<T: Copy + fmt::Debug> fmt::Debug for PooledBuf<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ALIGN;

    fn small() -> MemoryPoolManager {
        MemoryPoolManager::with_config(SizeClassConfig {
            min_len: 4,
            max_len: 64,
            buffers_per_class: 2,
        })
    }

    #[test]
    fn ceil_log2_values() {
        let cases = [
            (0, 0),
            (1, 0),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (1024, 10),
            (1025, 11),
        ];
        for (n, want) in cases {
            assert_eq!(ceil_log2(n), want, "ceil_log2({n})");
        }
        assert_eq!(ceil_log2(usize::MAX), usize::BITS);
    }

    #[test]
    fn classes_are_powers_of_two() {
        let m = small();
        assert_eq!(m.class_lens().collect::<Vec<_>>(), [4, 8, 16, 32, 64]);
        assert_eq!(m.max_pooled_len(), 64);
    }

    #[test]
    fn every_class_is_aligned_and_long_enough() {
        let m = small();
        for len in 0..=70 {
            let a = m.take_f64(len);
            let b = m.take_f32_zeroed(len);
            assert_eq!(a.len(), len);
            assert_eq!(b.len(), len);
            assert!(a.capacity() >= len && b.capacity() >= len);
            assert_eq!(a.as_ptr() as usize % ALIGN, 0, "f64 len {len}");
            assert_eq!(b.as_ptr() as usize % ALIGN, 0, "f32 len {len}");
        }
    }

    #[test]
    fn zeroed_take_clears_dirty_data() {
        let m = small();
        {
            let mut a = m.take_f64(10);
            a.fill(7.0);
        }
        let dirty = m.take_f64(10);
        assert!(
            dirty.iter().all(|&x| x == 7.0),
            "dirty reuse keeps data: {dirty:?}"
        );
        drop(dirty);
        let zero = m.take_f64_zeroed(10);
        assert!(zero.iter().all(|&x| x == 0.0));
        assert_eq!(m.stats().misses, 1);
    }

    #[test]
    fn oversize_is_fresh_miss_then_discard() {
        let m = small();
        let big = m.take_f64(65);
        assert_eq!(big.len(), 65);
        assert_eq!(big.as_ptr() as usize % ALIGN, 0);
        drop(big);
        let (f64s, f32s) = m.oversize_stats();
        assert_eq!((f64s.misses, f64s.discarded, f64s.hits), (1, 1, 0));
        assert_eq!(f32s, PoolStats::default());
        assert_eq!(m.stats().misses, 1);
        let err = m.try_take_f32(usize::MAX, Contents::Zeroed);
        assert_eq!(err.err(), Some(TryReserveError::CapacityOverflow));
    }

    #[test]
    fn prewarmed_take_hits() {
        let m = small();
        m.prewarm_f32(20, 2);
        m.prewarm_f32(1 << 20, 2); // beyond the largest class: ignored
        let a = m.take_f32(17);
        let b = m.take_f32(32);
        assert_eq!(a.capacity(), 32);
        drop((a, b));
        let s = m.f32_class_stats();
        let class32 = s.iter().find(|c| c.class_len == 32).unwrap();
        assert_eq!((class32.stats.hits, class32.stats.misses), (2, 0));
    }

    #[test]
    fn into_inner_keeps_requested_len() {
        let m = small();
        let mut a = m.take_f64_zeroed(5);
        a[4] = 2.0;
        let v = a.into_inner();
        assert_eq!(&v[..], &[0.0, 0.0, 0.0, 0.0, 2.0]);
        assert_eq!(v.capacity(), 8);
        assert_eq!(m.stats().detached, 1);
    }

    #[test]
    fn odd_configs_are_clamped_not_rejected() {
        let m = MemoryPoolManager::with_config(SizeClassConfig {
            min_len: 0,
            max_len: 0,
            buffers_per_class: 0,
        });
        assert_eq!(m.class_lens().collect::<Vec<_>>(), [1]);
        let a = m.take_f64_zeroed(1);
        assert_eq!(&a[..], &[0.0]);
        drop(a);
        let s = m.stats();
        assert_eq!((s.misses, s.discarded), (1, 1));
        let huge = MemoryPoolManager::with_config(SizeClassConfig {
            min_len: usize::MAX,
            max_len: usize::MAX,
            buffers_per_class: 1,
        });
        // One class of 2^40 elements: it is never taken here, only its shape is checked.
        assert_eq!(huge.max_pooled_len(), 1 << MAX_SHIFT);
        assert_eq!(huge.class_lens().count(), 1);
        assert!(format!("{huge:?}").contains("MemoryPoolManager"));
    }
}
