//! The AVX2 byte-heap walk, for at most 64 slots: a tree's ranks by four `vpshufb` per
//! 32 nodes (AVX2 has no byte permute across a register, so the 64-entry table is four
//! 16-entry chunks, each lane's look-up zeroed outside its own chunk), its decisions by an
//! unsigned compare and `vpmovmskb`, its leaf by the mask tables.

use super::layout::ByteHeaps;
use std::arch::x86_64::{
    __m256i, _mm256_adds_epu8, _mm256_broadcastsi128_si256, _mm256_cmpeq_epi8, _mm256_load_si256,
    _mm256_max_epu8, _mm256_movemask_epi8, _mm256_or_si256, _mm256_set1_epi8, _mm256_shuffle_epi8,
    _mm256_xor_si256, _mm_loadu_si128,
};
use std::ops::Range;

/// Most slots the AVX2 walk reads: four chunks of 16.
pub(super) const MAX_SLOTS: usize = 64;

/// The ranks of 32 nodes whose slots are `idx` (each below 64), from the four 16-rank
/// chunks of `table` (each in both 128-bit halves).
///
/// `vpshufb` reads a lane's low four bits and gives 0 when its bit 7 is set. For chunk `k`,
/// `idx ^ 16k` has bits 4 and 5 clear exactly in the lanes of chunk `k`; adding 0x70 with
/// unsigned saturation keeps those lanes below 0x80 (low bits intact) and lifts every other
/// lane to 0x80 or more. So each chunk's look-up is zero outside its lanes, and the OR of
/// the four is every lane's rank.
#[inline]
#[target_feature(enable = "avx2")]
fn ranks_of(table: &[__m256i; 4], idx: __m256i) -> __m256i {
    let bias = _mm256_set1_epi8(0x70);
    let mut r = _mm256_shuffle_epi8(table[0], _mm256_adds_epu8(idx, bias));
    for (k, chunk) in (1i8..).zip(&table[1..]) {
        let own = _mm256_adds_epu8(_mm256_xor_si256(idx, _mm256_set1_epi8(16 * k)), bias);
        r = _mm256_or_si256(r, _mm256_shuffle_epi8(*chunk, own));
    }
    r
}

/// [`ByteHeaps::fold_leaves_with`] on AVX2.
///
/// # Safety
/// AVX2; `heaps.slots <= MAX_SLOTS`; `ranks.len() >= 64`; `trees` is an ascending range of
/// trees that exist.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn walk_trees<A>(
    heaps: &ByteHeaps,
    ranks: &[u8],
    trees: Range<usize>,
    mut acc: A,
    mut f: impl FnMut(A, usize, u32) -> A,
) -> A {
    let p = ranks.as_ptr();
    // SAFETY: four 16-byte loads of ranks 0..64, which `ranks` holds.
    let table: [__m256i; 4] = std::array::from_fn(|k| unsafe {
        _mm256_broadcastsi128_si256(_mm_loadu_si128(p.add(16 * k).cast()))
    });
    let tables = &heaps.tables;
    for (t, slots, lims) in heaps.lines(trees) {
        let mut mask = 0u64;
        for half in 0..2 {
            // SAFETY: `Line`s are 64-byte aligned arrays of 64 bytes; each half is 32 bytes
            // at a 32-byte aligned offset.
            let (idx, lim) = unsafe {
                (
                    _mm256_load_si256(slots.0.as_ptr().add(32 * half).cast()),
                    _mm256_load_si256(lims.0.as_ptr().add(32 * half).cast()),
                )
            };
            let r = ranks_of(&table, idx);
            // Set where the walk goes right: max(r, lim) == r, that is r >= lim unsigned.
            let right = _mm256_cmpeq_epi8(_mm256_max_epu8(r, lim), r);
            // The 32 sign bits, as an unsigned 32-bit pattern.
            let bits = u64::from(_mm256_movemask_epi8(right).cast_unsigned());
            mask |= bits << (32 * half);
        }
        acc = f(acc, t, tables.leaf(mask));
    }
    acc
}
