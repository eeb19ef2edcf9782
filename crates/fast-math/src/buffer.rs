//! The one place matrix storage and packing scratch come from: the pool layer.
//!
//! Matrix storage is a 64-byte aligned [`AlignedVec`](zero_copy_pool::AlignedVec). Packing buffers come from one
//! process-wide [`MemoryPoolManager`] (power-of-two size classes, lock-free free lists), so
//! after the first call of a given size GEMM allocates nothing: each call takes its packed
//! panels from the pool and the guards return them when the call ends. The pool registers
//! itself as `fast-math.pack` in the pool layer's metrics registry.

use std::sync::OnceLock;
use zero_copy_pool::{MemoryPoolManager, PooledBuf, SizeClassConfig};

pub(crate) use zero_copy_pool::AlignedVec as Storage;

/// The packing-buffer pool.
pub(crate) fn pack_pool() -> &'static MemoryPoolManager {
    static POOL: OnceLock<MemoryPoolManager> = OnceLock::new();
    POOL.get_or_init(|| {
        let pool = MemoryPoolManager::with_config(SizeClassConfig {
            min_len: 1 << 10,
            // The largest packed block: KC x NC = 512 x 4096 elements (16 MiB of f64).
            max_len: 1 << 21,
            // One B block per concurrent GEMM plus one A block per worker thread.
            buffers_per_class: 16,
        });
        pool.register("fast-math.pack");
        pool
    })
}

/// A packing buffer of `len` `f64`s (contents unspecified).
#[inline]
pub(crate) fn take_f64(len: usize) -> PooledBuf<'static, f64> {
    pack_pool().take_f64(len)
}

/// A packing buffer of `len` `f32`s (contents unspecified).
#[inline]
pub(crate) fn take_f32(len: usize) -> PooledBuf<'static, f32> {
    pack_pool().take_f32(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_buffers_are_aligned() {
        for len in [1, 1000, 5000, 1 << 22] {
            let b = take_f64(len);
            assert_eq!(b.len(), len);
            assert_eq!(b.as_ptr() as usize % 64, 0);
            let f = take_f32(len);
            assert_eq!(f.len(), len);
            assert_eq!(f.as_ptr() as usize % 64, 0);
        }
    }
}
