//! Freed large blocks are kept for reuse within bounds (Linux, where they are mapped from
//! the kernel). One test in its own binary: the kept list is process-wide, so no other test
//! may free blocks while this one counts them.

#[cfg(target_os = "linux")]
#[test]
fn freed_large_blocks_are_reused_zeroed_within_bounds_and_released() {
    use zero_copy_pool::{
        kept_bytes, release_kept_blocks, AlignedVec, KEPT_BLOCK_BYTES, KEPT_BYTES,
    };
    const MIB: usize = 1 << 20;
    release_kept_blocks();
    assert_eq!(kept_bytes(), 0);

    // 5 MiB of f64, mapped as three 2 MiB huge pages; written all over, then freed: kept.
    let len = 5 * MIB / 8;
    let mut a: AlignedVec<f64> = AlignedVec::zeroed(len);
    a.iter_mut()
        .enumerate()
        .for_each(|(i, v)| *v = i as f64 + 0.5);
    let addr = a.as_ptr() as usize;
    drop(a);
    assert_eq!(kept_bytes(), 6 * MIB);

    // The same length again: the kept block, cleared although it was written.
    let b: AlignedVec<f64> = AlignedVec::zeroed(len);
    assert_eq!(b.as_ptr() as usize, addr, "the kept block is reused");
    assert_eq!(kept_bytes(), 0);
    assert!(
        b.iter().all(|&v| v == 0.0),
        "a reused block comes back zeroed"
    );
    drop(b);

    // Another length does not take it (a block is reused only for its own mapped length),
    // and an uninitialised buffer of the same length takes it without clearing it.
    let c: AlignedVec<f64> = AlignedVec::zeroed(9 * MIB / 8);
    assert_eq!(kept_bytes(), 6 * MIB);
    assert!(c.iter().all(|&v| v == 0.0));
    let mut d: AlignedVec<f64> = AlignedVec::with_capacity(len);
    assert_eq!(d.as_ptr() as usize, addr);
    d.resize(len, 1.0);
    assert!(d.iter().all(|&v| v == 1.0));
    drop((c, d));
    assert_eq!(kept_bytes(), 16 * MIB);

    // A block above the largest kept size is unmapped when freed.
    let big: AlignedVec<u8> = AlignedVec::zeroed(KEPT_BLOCK_BYTES + 1);
    drop(big);
    assert_eq!(kept_bytes(), 16 * MIB);

    // Many blocks freed at once: the oldest are unmapped beyond the bound.
    let many: Vec<AlignedVec<f64>> = (0..2 * KEPT_BYTES / (6 * MIB))
        .map(|_| AlignedVec::zeroed(len))
        .collect();
    drop(many);
    assert!(kept_bytes() <= KEPT_BYTES && kept_bytes() > KEPT_BYTES - 6 * MIB);

    release_kept_blocks();
    assert_eq!(kept_bytes(), 0);
}
