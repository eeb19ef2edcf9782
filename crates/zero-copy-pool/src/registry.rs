//! The process-wide [`PoolRegistry`]: pools' counters published under a name, so a
//! metrics endpoint or an end-of-run report can read every pool's figures in one place.
//!
//! Registration and snapshots are cold paths (they allocate and take a shard lock of the
//! map); the pools themselves never touch the registry on a get or a return, they only bump
//! their own atomics, which the registry shares through an `Arc`.

use std::sync::{OnceLock, Weak};

use dashmap::DashMap;

use crate::stats::{PoolStats, StatsSource};

/// Named pools' counters, keyed by name. Get the process-wide one with [`registry()`].
///
/// The registry holds weak handles: it never keeps a pool (or its idle values) alive, and a
/// pool that has been dropped disappears from it (its entry is pruned by the next
/// [`snapshot`](Self::snapshot)).
///
/// ```
/// use zero_copy_pool::{registry, ObjectPool};
///
/// let pool = ObjectPool::new(8, || vec![0u8; 64], |_| {});
/// pool.register("doc.example.buffers");
/// drop(pool.get());
/// let stats = registry().stats("doc.example.buffers").unwrap();
/// assert_eq!(stats.misses, 1);
/// assert_eq!(stats.returns, 1);
/// ```
pub struct PoolRegistry {
    pools: DashMap<String, Weak<dyn StatsSource>>,
}

impl Default for PoolRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl PoolRegistry {
    /// An empty registry, separate from the global one (for tests or scoped reports).
    pub fn new() -> Self {
        Self {
            pools: DashMap::new(),
        }
    }

    /// Publishes `source` under `name`, replacing whatever was registered under it (the
    /// pools' `register` methods end here).
    pub(crate) fn insert(&self, name: String, source: Weak<dyn StatsSource>) {
        self.pools.insert(name, source);
    }

    /// Removes `name`; returns whether it was registered.
    pub fn unregister(&self, name: &str) -> bool {
        self.pools.remove(name).is_some()
    }

    /// Removes every name starting with `prefix` (as registered by
    /// [`MemoryPoolManager::register`](crate::MemoryPoolManager::register)); returns how
    /// many were removed.
    pub fn unregister_prefix(&self, prefix: &str) -> usize {
        let before = self.pools.len();
        self.pools.retain(|name, _| !name.starts_with(prefix));
        before.saturating_sub(self.pools.len())
    }

    /// The current counters of the pool registered under `name`; `None` if no live pool
    /// is registered under it.
    pub fn stats(&self, name: &str) -> Option<PoolStats> {
        // The map guard is dropped at the end of this expression, before anything else
        // can touch the map from this thread.
        self.pools
            .get(name)
            .and_then(|pool| pool.upgrade())
            .map(|pool| pool.snapshot())
    }

    /// Every live registered pool's name and current counters, sorted by name. Entries of
    /// dropped pools are removed.
    pub fn snapshot(&self) -> Vec<(String, PoolStats)> {
        // `retain` takes each shard's write lock once; no other map access happens while a
        // shard is locked, so this cannot deadlock against itself.
        self.pools.retain(|_, pool| pool.strong_count() > 0);
        let mut all: Vec<(String, PoolStats)> = self
            .pools
            .iter()
            .filter_map(|entry| Some((entry.key().clone(), entry.value().upgrade()?.snapshot())))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// The sum of the counters of every pool whose name starts with `prefix`.
    pub fn total(&self, prefix: &str) -> PoolStats {
        self.pools
            .iter()
            .filter(|entry| entry.key().starts_with(prefix))
            .filter_map(|entry| entry.value().upgrade())
            .map(|pool| pool.snapshot())
            .sum()
    }

    /// Number of registered names (dropped pools included until the next snapshot).
    pub fn len(&self) -> usize {
        self.pools.len()
    }

    /// Whether no name is registered.
    pub fn is_empty(&self) -> bool {
        self.pools.is_empty()
    }
}

impl core::fmt::Debug for PoolRegistry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_map().entries(self.snapshot()).finish()
    }
}

/// The process-wide pool registry, created on first use.
pub fn registry() -> &'static PoolRegistry {
    static REGISTRY: OnceLock<PoolRegistry> = OnceLock::new();
    REGISTRY.get_or_init(PoolRegistry::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ObjectPool;

    #[test]
    fn register_snapshot_unregister() {
        let reg = PoolRegistry::new();
        assert!(reg.is_empty());
        let a = ObjectPool::new(2, || 1u8, |_| {});
        let b = ObjectPool::new(2, || 2u8, |_| {});
        reg.register("b", &b);
        reg.register("a", &a);
        drop(a.get());
        drop(b.get());
        drop(b.get());
        let snap = reg.snapshot();
        let names: Vec<&str> = snap.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(snap[1].1.gets(), 2);
        assert_eq!(reg.total("").gets(), 3);
        assert!(reg.unregister("a"));
        assert!(!reg.unregister("a"));
        assert_eq!(reg.len(), 1);
        assert!(reg.stats("a").is_none());
    }

    #[test]
    fn dropped_pools_leave_the_registry() {
        let reg = PoolRegistry::new();
        let pool = ObjectPool::new(1, || 0u64, |_| {});
        reg.register("gone", &pool);
        drop(pool.get());
        assert_eq!(reg.stats("gone").map(|s| s.misses), Some(1));
        drop(pool);
        assert!(reg.stats("gone").is_none());
        assert!(reg.snapshot().is_empty());
        assert!(reg.is_empty(), "snapshot prunes dead entries");
    }

    #[test]
    fn re_registering_replaces() {
        let reg = PoolRegistry::new();
        let first = ObjectPool::new(1, || 0u8, |_| {});
        let second = ObjectPool::new(1, || 0u8, |_| {});
        reg.register("x", &first);
        drop(first.get());
        reg.register("x", &second);
        assert_eq!(reg.stats("x"), Some(PoolStats::default()));
        assert_eq!(reg.len(), 1);
        assert!(format!("{reg:?}").contains("\"x\""));
    }

    #[test]
    fn global_registry_is_one_instance() {
        let pool = ObjectPool::new(1, || 0u8, |_| {});
        pool.register("registry::tests::global");
        assert!(std::ptr::eq(registry(), registry()));
        assert!(registry().stats("registry::tests::global").is_some());
        assert_eq!(registry().unregister_prefix("registry::tests::"), 1);
    }
}
