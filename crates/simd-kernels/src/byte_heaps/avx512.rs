//! The AVX-512 VBMI byte-heap walk: a tree's ranks by one byte permute (two and a blend
//! above 128 slots), its decisions by one compare, its leaf by the mask tables.

use super::layout::ByteHeaps;
use std::arch::x86_64::{
    __m512i, _mm512_cmpge_epu8_mask, _mm512_load_si512, _mm512_loadu_si512, _mm512_mask_blend_epi8,
    _mm512_movepi8_mask, _mm512_permutex2var_epi8, _mm512_permutexvar_epi8,
};
use std::ops::Range;

/// Whether this CPU has what [`walk_trees`] uses.
pub(super) fn is_supported() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vbmi")
}

/// [`ByteHeaps::fold_leaves_with`] on AVX-512 VBMI.
///
/// # Safety
/// AVX-512 F, BW and VBMI; `ranks.len() >= heaps.ranks_len()`; `trees` is an ascending
/// range of trees that exist.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
pub(super) unsafe fn walk_trees<A>(
    heaps: &ByteHeaps,
    ranks: &[u8],
    trees: Range<usize>,
    acc: A,
    f: impl FnMut(A, usize, u32) -> A,
) -> A {
    // Every slot is below `heaps.slots` (`ByteHeaps::new`); `ranks` holds `ranks_len`
    // ranks: 128, or 256 above 128 slots.
    match heaps.slots {
        // SAFETY: the caller's contract; slots below 64, 128 ranks.
        ..=64 => unsafe { walk::<64, A>(heaps, ranks, trees, acc, f) },
        // SAFETY: the caller's contract; slots below 128, 128 ranks.
        65..=128 => unsafe { walk::<128, A>(heaps, ranks, trees, acc, f) },
        // SAFETY: the caller's contract; slots below 256 (bytes), 256 ranks.
        _ => unsafe { walk::<256, A>(heaps, ranks, trees, acc, f) },
    }
}

/// The walk with a rank table of `SLOTS` entries (64: one register, 128: two, 256: four).
///
/// # Safety
/// As [`walk_trees`], with `ranks.len() >= SLOTS.max(128)` and every slot below `SLOTS`.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
unsafe fn walk<const SLOTS: usize, A>(
    heaps: &ByteHeaps,
    ranks: &[u8],
    trees: Range<usize>,
    mut acc: A,
    mut f: impl FnMut(A, usize, u32) -> A,
) -> A {
    let p = ranks.as_ptr();
    // SAFETY: 64-byte loads of ranks 0..128 (and 128..256 above 128 slots), which `ranks`
    // holds.
    let table: [__m512i; 4] = unsafe {
        let lo = [
            _mm512_loadu_si512(p.cast()),
            _mm512_loadu_si512(p.add(64).cast()),
        ];
        let hi = if SLOTS > 128 {
            [
                _mm512_loadu_si512(p.add(128).cast()),
                _mm512_loadu_si512(p.add(192).cast()),
            ]
        } else {
            lo
        };
        [lo[0], lo[1], hi[0], hi[1]]
    };
    let tables = &heaps.tables;
    for (t, slots, lims) in heaps.lines(trees) {
        // SAFETY: `Line`s are 64-byte aligned arrays of 64 bytes.
        let (idx, lim) = unsafe {
            (
                _mm512_load_si512(slots.0.as_ptr().cast()),
                _mm512_load_si512(lims.0.as_ptr().cast()),
            )
        };
        // Up to 64 slots, one register holds the ranks (a single-table permute is the
        // cheaper instruction); else bits 0..=6 of a slot pick one of 128 ranks in a pair
        // of registers, and bit 7 the pair.
        let r = if SLOTS <= 64 {
            _mm512_permutexvar_epi8(idx, table[0])
        } else {
            let low = _mm512_permutex2var_epi8(table[0], idx, table[1]);
            if SLOTS <= 128 {
                low
            } else {
                let high = _mm512_permutex2var_epi8(table[2], idx, table[3]);
                _mm512_mask_blend_epi8(_mm512_movepi8_mask(idx), low, high)
            }
        };
        // Set where the walk goes right: the rank is not below the limit.
        let mask = _mm512_cmpge_epu8_mask(r, lim);
        acc = f(acc, t, tables.leaf(mask));
    }
    acc
}
