//! [`Arena`]: a bump allocator (bumpalo's `Bump`) whose slices start on 64-byte
//! boundaries, for the many short-lived buffers of one batch; and [`ArenaPool`], a pool of
//! arenas so each batch (or each thread) reuses a warmed-up one.
//!
//! An allocation is a pointer bump; freeing is one `reset` for the whole batch. bumpalo
//! keeps the last (largest) chunk across `reset`, so once an arena has served its largest
//! batch, later batches of that size allocate nothing from the system.

use core::fmt;
use core::ptr::NonNull;
use core::slice;

use bumpalo::Bump;

use crate::block::{dangling, layout_for, TryReserveError};
use crate::object_pool::{ObjectPool, Pooled};
use crate::stats::PoolStats;
use crate::zeroable::Zeroable;

/// A bump arena handing out 64-byte aligned slices of `Copy` elements.
///
/// Slices borrow the arena; [`reset`](Self::reset) needs `&mut self`, so no slice can
/// outlive it. Elements are `Copy`, so no destructor is ever skipped by a reset.
///
/// ```
/// use zero_copy_pool::{Arena, ALIGN};
///
/// let mut arena = Arena::with_capacity(4096);
/// {
///     let a = arena.alloc_slice_zeroed::<f64>(10);
///     let b = arena.alloc_slice_copy(&[1.0f32, 2.0, 3.0]);
///     a[0] = b[2] as f64;
///     assert_eq!(a.as_ptr() as usize % ALIGN, 0);
///     assert_eq!(b.as_ptr() as usize % ALIGN, 0);
/// }
/// arena.reset();
/// ```
#[derive(Default)]
pub struct Arena {
    bump: Bump,
}

impl Arena {
    /// An empty arena; its first allocation takes a chunk from the system.
    pub fn new() -> Self {
        Self { bump: Bump::new() }
    }

    /// An arena with one chunk of at least `bytes` bytes ready.
    pub fn with_capacity(bytes: usize) -> Self {
        Self {
            bump: Bump::with_capacity(bytes),
        }
    }

    /// Uninitialized, aligned room for `len` elements; a dangling aligned pointer when no
    /// bytes are needed.
    #[inline(always)]
    fn alloc_raw<T>(&self, len: usize) -> Result<NonNull<T>, TryReserveError> {
        let layout = layout_for::<T>(len)?;
        if layout.size() == 0 {
            return Ok(dangling());
        }
        self.bump
            .try_alloc_layout(layout)
            .map(NonNull::cast)
            .map_err(|_| TryReserveError::AllocError { layout })
    }

    /// `len` zero elements.
    ///
    /// # Panics
    ///
    /// If `len * size_of::<T>()` exceeds `isize::MAX` bytes; calls the allocation error
    /// handler if the system allocator fails.
    /// [`try_alloc_slice_zeroed`](Self::try_alloc_slice_zeroed) returns those as errors.
    #[inline]
    #[allow(clippy::mut_from_ref)] // a fresh, disjoint block each call, as bumpalo's own API
    pub fn alloc_slice_zeroed<T: Zeroable>(&self, len: usize) -> &mut [T] {
        self.try_alloc_slice_zeroed(len)
            .unwrap_or_else(|e| e.raise())
    }

    /// `len` zero elements, or the reason they cannot be had.
    #[inline]
    #[allow(clippy::mut_from_ref)] // a fresh, disjoint block each call, as bumpalo's own API
    pub fn try_alloc_slice_zeroed<T: Zeroable>(
        &self,
        len: usize,
    ) -> Result<&mut [T], TryReserveError> {
        let ptr = self.alloc_raw::<T>(len)?;
        // `ptr` is aligned and valid for writes of `len` elements: a fresh block of
        // exactly that layout from the bump, which no other slice covers (or a dangling
        // pointer for zero bytes). Zero bytes are a valid `T` (`Zeroable`), so all `len`
        // elements are initialized. The block stays allocated until `reset(&mut self)` or
        // drop, neither of which can happen while the returned `&self`-bound slice lives.
        // SAFETY: aligned, in bounds, exclusive, initialized and outliving the borrow, as stated.
        unsafe {
            ptr.as_ptr().write_bytes(0, len);
            Ok(slice::from_raw_parts_mut(ptr.as_ptr(), len))
        }
    }

    /// A copy of `src`.
    ///
    /// # Panics
    ///
    /// As [`alloc_slice_zeroed`](Self::alloc_slice_zeroed) (the size cannot overflow for a
    /// slice that exists, but the system allocator can fail).
    #[inline]
    #[allow(clippy::mut_from_ref)] // a fresh, disjoint block each call, as bumpalo's own API
    pub fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> &mut [T] {
        let ptr = self.alloc_raw::<T>(src.len()).unwrap_or_else(|e| e.raise());
        // `ptr` is aligned and valid for `src.len()` elements (fresh bump block, or
        // dangling for zero bytes) and cannot overlap `src`, which existed before the block
        // was handed out; after the copy every element is initialized. Lifetime as in
        // `try_alloc_slice_zeroed`.
        // SAFETY: aligned, in bounds, non-overlapping and initialized after the copy, as stated.
        unsafe {
            ptr.as_ptr()
                .copy_from_nonoverlapping(src.as_ptr(), src.len());
            slice::from_raw_parts_mut(ptr.as_ptr(), src.len())
        }
    }

    /// `len` copies of `value`.
    ///
    /// # Panics
    ///
    /// As [`alloc_slice_zeroed`](Self::alloc_slice_zeroed).
    #[inline]
    #[allow(clippy::mut_from_ref)] // a fresh, disjoint block each call, as bumpalo's own API
    pub fn alloc_slice_fill<T: Copy>(&self, len: usize, value: T) -> &mut [T] {
        let ptr = self.alloc_raw::<T>(len).unwrap_or_else(|e| e.raise());
        // `ptr` is aligned and valid for writes of `len` elements (fresh bump block,
        // or dangling for zero bytes: a zero-sized `T` writes nothing). Each slot is written
        // once before the slice is formed, so every element is initialized. Lifetime as in
        // `try_alloc_slice_zeroed`.
        // SAFETY: aligned, in bounds and every slot written before the slice forms, as stated.
        unsafe {
            for i in 0..len {
                ptr.as_ptr().add(i).write(value);
            }
            slice::from_raw_parts_mut(ptr.as_ptr(), len)
        }
    }

    /// Frees every slice at once, keeping the largest chunk for the next batch.
    #[inline]
    pub fn reset(&mut self) {
        self.bump.reset();
    }

    /// Bytes of chunks the arena holds from the system (a chunk's unused tail included).
    pub fn allocated_bytes(&self) -> usize {
        self.bump.allocated_bytes()
    }

    /// Bytes still free in the current chunk, at the arena's minimum alignment.
    pub fn remaining_in_chunk(&self) -> usize {
        self.bump.chunk_capacity()
    }
}

impl fmt::Debug for Arena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Arena")
            .field("allocated_bytes", &self.allocated_bytes())
            .finish()
    }
}

/// A pool of [`Arena`]s, one per batch in flight: take one with [`get`](Self::get), fill it,
/// and dropping the guard resets it and returns it, chunk kept, for the next batch.
///
/// ```
/// use zero_copy_pool::ArenaPool;
///
/// let arenas = ArenaPool::new(2, 64 * 1024);
/// arenas.prewarm(2);
/// for batch in 0..3 {
///     let arena = arenas.get();
///     let xs = arena.alloc_slice_fill(100, batch as f64);
///     assert_eq!(xs[99], batch as f64);
/// }
/// assert_eq!(arenas.stats().misses, 0);
/// ```
pub struct ArenaPool {
    pool: ObjectPool<Arena>,
    chunk_bytes: usize,
}

impl ArenaPool {
    /// A pool keeping up to `capacity` idle arenas, each made with a first chunk of
    /// `chunk_bytes` bytes. Capacity 0 makes a fresh arena for every get.
    ///
    /// # Panics
    /// As [`ObjectPool::new`], for a capacity whose free list exceeds `isize::MAX` bytes.
    #[track_caller]
    pub fn new(capacity: usize, chunk_bytes: usize) -> Self {
        Self {
            pool: ObjectPool::new(
                capacity,
                move || Arena::with_capacity(chunk_bytes),
                Arena::reset,
            ),
            chunk_bytes,
        }
    }

    /// The first-chunk size of the arenas this pool makes.
    pub fn chunk_bytes(&self) -> usize {
        self.chunk_bytes
    }

    /// Makes up to `n` idle arenas (bounded by the capacity).
    pub fn prewarm(&self, n: usize) {
        self.pool.prewarm(n);
    }

    /// An idle arena, or a fresh one on a miss; reset and returned when the guard drops.
    #[inline(always)]
    pub fn get(&self) -> Pooled<'_, Arena> {
        self.pool.get()
    }

    /// An idle arena, or `None`.
    #[inline(always)]
    pub fn try_get(&self) -> Option<Pooled<'_, Arena>> {
        self.pool.try_get()
    }

    /// The pool's counters.
    pub fn stats(&self) -> PoolStats {
        self.pool.stats()
    }

    /// Publishes the pool's counters in the global [`registry`](crate::registry()).
    pub fn register(&self, name: impl Into<String>) {
        self.pool.register(name);
    }

    /// The underlying object pool.
    pub fn as_pool(&self) -> &ObjectPool<Arena> {
        &self.pool
    }
}

impl fmt::Debug for ArenaPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArenaPool")
            .field("chunk_bytes", &self.chunk_bytes)
            .field("pool", &self.pool)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ALIGN;

    #[test]
    fn slices_are_aligned_and_disjoint() {
        let arena = Arena::with_capacity(1 << 16);
        let mut ptrs = Vec::new();
        for len in 0..40usize {
            let z = arena.alloc_slice_zeroed::<f32>(len);
            assert!(z.iter().all(|&x| x == 0.0));
            z.fill(len as f32);
            let c = arena.alloc_slice_copy(&[len as u8; 3]);
            let f = arena.alloc_slice_fill(len, len as u64);
            for p in [
                z.as_ptr() as usize,
                c.as_ptr() as usize,
                f.as_ptr() as usize,
            ] {
                assert_eq!(p % ALIGN, 0, "len {len}: {p:#x}");
            }
            ptrs.push((z.as_ptr() as usize, len * 4, len as f32));
            assert_eq!(f.len(), len);
            assert_eq!(c, &[len as u8; 3]);
        }
        // Writes to one slice never show up in another.
        for &(p, bytes, want) in &ptrs {
            if bytes > 0 {
                // SAFETY: `p` is the start of a live f32 slice of `bytes / 4` elements in
                // `arena`, which is still alive and no longer mutably borrowed.
                let s = unsafe { slice::from_raw_parts(p as *const f32, bytes / 4) };
                assert!(s.iter().all(|&x| x == want));
            }
        }
    }

    #[test]
    fn zero_sized_and_overflowing_requests() {
        let arena = Arena::new();
        let units = arena.alloc_slice_fill(1000, ());
        assert_eq!(units.len(), 1000);
        assert_eq!(units.as_ptr() as usize % ALIGN, 0);
        let empty = arena.alloc_slice_copy::<f64>(&[]);
        assert!(empty.is_empty());
        assert_eq!(
            arena.try_alloc_slice_zeroed::<f64>(usize::MAX).err(),
            Some(TryReserveError::CapacityOverflow)
        );
        assert_eq!(
            arena.allocated_bytes(),
            0,
            "nothing should have been allocated"
        );
    }

    #[test]
    fn reset_reuses_the_chunk() {
        let mut arena = Arena::with_capacity(8192);
        let first = arena.alloc_slice_zeroed::<u8>(100).as_ptr() as usize;
        let before = arena.allocated_bytes();
        arena.reset();
        let again = arena.alloc_slice_zeroed::<u8>(100).as_ptr() as usize;
        assert_eq!(first, again, "reset should hand out the same memory");
        assert_eq!(arena.allocated_bytes(), before);
        assert!(arena.remaining_in_chunk() > 0);
        assert!(format!("{arena:?}").contains("allocated_bytes"));
    }

    #[test]
    fn arena_pool_resets_on_return() {
        let pool = ArenaPool::new(1, 4096);
        assert_eq!(pool.chunk_bytes(), 4096);
        let fresh = {
            let a = pool.get();
            let fresh = a.remaining_in_chunk();
            a.alloc_slice_fill(500, 1u8);
            assert!(a.remaining_in_chunk() + 500 <= fresh);
            fresh
        };
        let a = pool.try_get().expect("returned arena");
        assert_eq!(a.remaining_in_chunk(), fresh, "arena not reset");
        drop(a);
        let s = pool.stats();
        assert_eq!((s.misses, s.hits, s.returns), (1, 1, 2));
        assert_eq!(pool.as_pool().capacity(), 1);
        assert!(format!("{pool:?}").contains("ArenaPool"));
    }
}
