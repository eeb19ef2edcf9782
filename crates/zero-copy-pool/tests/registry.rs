//! The global registry sees every pool type's counters under the names they registered.

use zero_copy_pool::{registry, ArenaPool, MemoryPoolManager, ObjectPool, SizeClassConfig};

#[test]
fn manager_arena_and_object_pools_register() {
    let pools = MemoryPoolManager::with_config(SizeClassConfig {
        min_len: 8,
        max_len: 32,
        buffers_per_class: 1,
    });
    pools.register("itest.scratch");
    drop(pools.take_f64(20));
    drop(pools.take_f64(20));
    drop(pools.take_f32(1000));

    let arenas = ArenaPool::new(1, 1024);
    arenas.register("itest.arenas");
    drop(arenas.get());

    let objects = ObjectPool::new(3, String::new, String::clear);
    objects.register("itest.strings");
    let held = objects.get();

    let class32 = registry()
        .stats("itest.scratch.f64.32")
        .expect("class registered");
    assert_eq!((class32.misses, class32.hits, class32.returns), (1, 1, 2));
    let over = registry()
        .stats("itest.scratch.f32.oversize")
        .expect("oversize registered");
    assert_eq!((over.misses, over.discarded), (1, 1));
    assert_eq!(registry().total("itest.scratch.").gets(), 3);
    assert_eq!(registry().stats("itest.arenas").map(|s| s.returns), Some(1));
    assert_eq!(registry().stats("itest.strings").map(|s| s.in_use), Some(1));

    let names: Vec<String> = registry()
        .snapshot()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name.starts_with("itest.scratch.f64."))
        .collect();
    assert_eq!(
        names,
        [
            "itest.scratch.f64.16",
            "itest.scratch.f64.32",
            "itest.scratch.f64.8",
            "itest.scratch.f64.oversize"
        ]
    );

    drop(held);
    assert_eq!(registry().unregister_prefix("itest.scratch."), 8);
    assert!(registry().unregister("itest.arenas"));
    assert!(registry().unregister("itest.strings"));
    assert!(registry().stats("itest.scratch.f64.32").is_none());
}
