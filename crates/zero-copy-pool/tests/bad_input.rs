//! Impossible sizes and degenerate pool settings: typed errors or documented behaviour,
//! never undefined behaviour. See docs/RELIABILITY.md.

use zero_copy_pool::{AlignedVec, Contents, MemoryPoolManager, ObjectPool, TryReserveError};

#[test]
fn impossible_reservations_are_typed_errors_that_keep_the_contents() {
    let mut v = AlignedVec::<f64>::new();
    v.extend_from_slice(&[1.0, 2.0, 3.0]);
    for n in [usize::MAX, usize::MAX / 8, isize::MAX as usize / 4] {
        assert_eq!(
            v.try_reserve(n),
            Err(TryReserveError::CapacityOverflow),
            "{n}"
        );
        assert_eq!(&v[..], &[1.0, 2.0, 3.0]);
    }
    let manager = MemoryPoolManager::new();
    for contents in [Contents::Zeroed, Contents::Dirty] {
        let r = manager.try_take_f64(usize::MAX, contents);
        assert!(matches!(r, Err(TryReserveError::CapacityOverflow)));
    }
}

#[test]
fn empty_and_oversize_takes_work() {
    let manager = MemoryPoolManager::new();
    assert!(manager.take_f64(0).is_empty());
    let big = manager.max_pooled_len() + 1;
    let buf = manager.take_f64_zeroed(big);
    assert_eq!(buf.len(), big);
    assert!(buf.iter().all(|&v| v == 0.0));
    assert_eq!(buf.as_ptr() as usize % zero_copy_pool::ALIGN, 0);
    drop(buf);
    let (oversize, _) = manager.oversize_stats();
    assert_eq!(oversize.misses, 1);
}

#[test]
fn a_pool_of_capacity_zero_keeps_nothing() {
    let pool = ObjectPool::new(0, || vec![0u8; 16], |v| v.fill(0));
    pool.prewarm(5);
    assert_eq!(pool.available(), 0);
    for _ in 0..3 {
        let v = pool.get();
        assert_eq!(v.len(), 16);
    }
    assert!(pool.try_get().is_none());
    let s = pool.stats();
    assert_eq!((s.hits, s.misses, s.discarded), (0, 3, 3));
}

/// The panic message of `f`, which must panic (not abort).
fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("must panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn impossible_constructor_sizes_panic_with_a_message_instead_of_aborting() {
    let m = panic_message(|| {
        let _ = ObjectPool::<u64>::new(usize::MAX, || 0, |_| ());
    });
    assert!(
        m.contains("ObjectPool::new") && m.contains("exceeds isize::MAX"),
        "{m}"
    );
    let m = panic_message(|| {
        let _ = zero_copy_pool::ArenaPool::new(usize::MAX / 2, 64);
    });
    assert!(m.contains("ObjectPool::new"), "{m}");
    // bumpalo's own message for a first chunk no allocator can give.
    let m = panic_message(|| {
        let _ = zero_copy_pool::Arena::with_capacity(usize::MAX);
    });
    assert!(m.contains("out of memory"), "{m}");
    for n in [usize::MAX, usize::MAX / 4, isize::MAX as usize / 4] {
        let m = panic_message(move || {
            let _ = AlignedVec::<f64>::with_capacity(n);
        });
        assert!(m.contains("capacity overflow"), "{n}: {m}");
        let m = panic_message(move || {
            let _ = AlignedVec::<f64>::zeroed(n);
        });
        assert!(m.contains("capacity overflow"), "{n}: {m}");
    }
}
