//! Whether the AVX2 byte walk beats the 32-bit heaps' walk on this CPU, measured once per
//! process on a synthetic forest.
//!
//! Why measure. The byte walk decides all 63 nodes of a tree with about 40 vector
//! instructions; the 32-bit walk takes six dependent steps of about five scalar ones. Which
//! is faster depends on how many vector ports the core has and how long its loads take: on
//! an Intel Xeon (Sapphire Rapids class) capped to AVX2 the byte walk took 1.67 us against
//! 1.97 us for 500 trees, sums included. Both reach the same leaves, so the choice changes
//! only speed, never an answer. `SIMD_KERNELS_HEAP_WALK=bytes` forces the byte walk (where
//! it applies); `gather` or `lockstep` force that 32-bit walk instead.

use super::avx2;
use super::layout::ByteHeaps;
use crate::heaps::HEAP_WALK_ENV_VAR;
use crate::{Heaps, Isa};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static BYTES_ON_AVX2: OnceLock<bool> = OnceLock::new();

/// Whether AVX2 walks of at most 64 slots should take the byte heaps in this process.
pub(super) fn bytes_on_avx2() -> bool {
    *BYTES_ON_AVX2.get_or_init(|| match std::env::var(HEAP_WALK_ENV_VAR).as_deref() {
        Ok("bytes") => true,
        Ok("gather" | "lockstep") => false,
        // Anything else is refused by the 32-bit heaps' own choice.
        // The 32-bit walk it is measured against runs as `Isa::Avx2Fma`.
        _ => Isa::Avx2Fma.is_supported() && measure(),
    })
}

/// Times both walks on 512 trees of depth 6 reading 50 slots (a boosted forest's size: its
/// 32-bit nodes outgrow the L1 cache, as real ones do, which a smaller forest would hide),
/// alternating, and keeps the faster by its best time.
fn measure() -> bool {
    const DEPTH: u32 = 6;
    const TREES: usize = 512;
    const SLOTS: usize = 50;
    let mut state = 0x6279_7465_u64;
    let mut below = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        u8::try_from(state % n).unwrap_or(0)
    };
    let pairs: Vec<[u8; 2]> = (0..TREES << DEPTH)
        .map(|_| [below(SLOTS as u64), below(256)])
        .collect();
    let words: Vec<u32> = pairs
        .iter()
        .map(|&[s, l]| u32::from(s) | u32::from(l) << 16)
        .collect();
    let bytes = ByteHeaps::build(DEPTH, SLOTS, &pairs);
    let heaps = Heaps::new(DEPTH, SLOTS, &words);
    let ranks8: Vec<u8> = (0..bytes.ranks_len()).map(|_| below(256)).collect();
    let ranks16: Vec<u16> = ranks8.iter().map(|&r| u16::from(r)).collect();
    let mut out = vec![0u32; TREES];
    let (mut best_bytes, mut best_words) = (Duration::MAX, Duration::MAX);
    for _ in 0..20 {
        let t = Instant::now();
        // SAFETY: AVX2 checked by the caller; 50 slots, 128 ranks, trees 0..512 exist.
        let sum = unsafe { avx2::walk_trees(&bytes, &ranks8, 0..TREES, 0u32, |s, _, p| s + p) };
        std::hint::black_box(sum);
        best_bytes = best_bytes.min(t.elapsed());
        let t = Instant::now();
        heaps.leaves_with(Isa::Avx2Fma, &ranks16, 0, &mut out);
        std::hint::black_box(out.iter().sum::<u32>());
        best_words = best_words.min(t.elapsed());
    }
    best_bytes < best_words
}
