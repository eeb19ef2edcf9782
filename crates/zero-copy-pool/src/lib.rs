//! `zero-copy-pool` (layer 2): 64-byte aligned buffers, lock-free object pools with RAII
//! guards, a size-class pool manager, bump arenas and pool metrics.
//!
//! This crate is what lets the hot path allocate nothing after warm-up:
//!
//! * [`AlignedVec`] is the storage type of the layers above (matrices, GEMM packing
//!   buffers): a `Vec`-like buffer whose data starts on a 64-byte boundary ([`ALIGN`]).
//! * [`ObjectPool`] keeps idle values on a bounded lock-free free list and hands them out
//!   through guards ([`Pooled`], [`PooledOwned`]) that reset and return them on drop.
//! * [`MemoryPoolManager`] serves `f64`/`f32` scratch of any length from power-of-two size
//!   classes.
//! * [`Arena`] bump-allocates aligned slices for one batch; [`ArenaPool`] reuses arenas.
//! * [`registry()`] publishes named pools' [`PoolStats`] for reports.
//!
//! After a pool is prewarmed, a get/return cycle performs no heap allocation (the crate's
//! integration tests count allocations with a global allocator to prove it).
//!
//! ```
//! use std::sync::Arc;
//! use zero_copy_pool::{AlignedVec, MemoryPoolManager, ObjectPool, ALIGN};
//!
//! // A pool of feature buffers shared by worker threads.
//! let pool = Arc::new(ObjectPool::new(
//!     8,
//!     || AlignedVec::<f64>::with_capacity(256),
//!     |buf| buf.clear(),
//! ));
//! pool.prewarm(8);
//! pool.register("example.features");
//!
//! let worker = {
//!     let pool = Arc::clone(&pool);
//!     std::thread::spawn(move || {
//!         let mut buf = pool.get_owned();
//!         buf.extend_from_slice(&[1.0, 2.0, 3.0]);
//!         buf.iter().sum::<f64>()
//!     })
//! };
//! assert_eq!(worker.join().unwrap(), 6.0);
//!
//! // Scratch of any length from size classes, always 64-byte aligned.
//! let scratch_pools = MemoryPoolManager::new();
//! let scratch = scratch_pools.take_f64_zeroed(1000);
//! assert_eq!(scratch.as_ptr() as usize % ALIGN, 0);
//!
//! let stats = zero_copy_pool::registry().stats("example.features").unwrap();
//! assert_eq!((stats.hits, stats.misses), (1, 0));
//! ```

mod aligned_vec;
mod arena;
mod block;
mod mapped;
mod object_pool;
mod registry;
mod size_class;
mod stats;
mod zeroable;

pub use aligned_vec::AlignedVec;
pub use arena::{Arena, ArenaPool};
pub use block::{TryReserveError, ALIGN};
pub use mapped::{kept_bytes, release_kept_blocks, KEPT_BLOCK_BYTES, KEPT_BYTES};
pub use object_pool::{ObjectPool, Pooled, PooledOwned};
pub use registry::{registry, PoolRegistry};
pub use size_class::{ClassStats, Contents, MemoryPoolManager, PooledBuf, SizeClassConfig};
pub use stats::PoolStats;
pub use zeroable::Zeroable;
