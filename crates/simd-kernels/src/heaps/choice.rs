//! Which AVX2 walk this CPU runs faster, gathers or scalar lockstep, measured once per
//! process on a synthetic forest.
//!
//! Why measure. A gather fetches eight nodes (or ranks) in one instruction, but what it
//! costs differs by an order of magnitude between microarchitectures: on an AMD Zen 3
//! (under KVM) the gather walk of 500 trees of depth 6 took 5.3 us against 4.3 us for
//! eight scalar walks in lockstep. Both walks reach the same leaves, so the choice changes
//! only speed, never an answer. `SIMD_KERNELS_HEAP_WALK=gather|lockstep` overrides it (for
//! benchmarks of either form).

use super::avx2;
use super::layout::Heaps;
use super::scalar::{walk_rows_scalar, walk_trees_scalar};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Environment variable that forces one AVX2 heap walk.
pub const HEAP_WALK_ENV_VAR: &str = "SIMD_KERNELS_HEAP_WALK";

/// Whether gathers beat lockstep, for walks of many trees (one row) and of many rows (one
/// tree).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Choice {
    pub trees: bool,
    pub rows: bool,
}

static CHOICE: OnceLock<Choice> = OnceLock::new();

/// The choice for this process (measured on first call, when the CPU has AVX2).
pub(super) fn choice() -> Choice {
    *CHOICE.get_or_init(|| match std::env::var(HEAP_WALK_ENV_VAR).as_deref() {
        Ok("gather") => Choice {
            trees: true,
            rows: true,
        },
        Ok("lockstep") => Choice {
            trees: false,
            rows: false,
        },
        // `bytes` asks for the byte heaps' walk where it applies (see `ByteHeaps`); these
        // heaps measure their own choice for the rest.
        Ok(other) if !other.is_empty() && other != "bytes" => {
            panic!("{HEAP_WALK_ENV_VAR}={other}: expected `gather`, `lockstep` or `bytes`")
        }
        _ => measure(),
    })
}

/// Times both walks on 64 trees of depth 6 (a typical boosted forest's block) and 64 rows,
/// alternating, and keeps the faster by its best time.
fn measure() -> Choice {
    if !std::arch::is_x86_feature_detected!("avx2") {
        return Choice {
            trees: false,
            rows: false,
        };
    }
    const DEPTH: u32 = 6;
    const TREES: usize = 64;
    const SLOTS: usize = 200;
    // Any spread of slots, limits and ranks will do (xorshift: no dependency for it).
    let mut state = 0x6865_6170_u64;
    let mut below = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        u32::try_from(state % n).unwrap_or(0)
    };
    let nodes: Vec<u32> = (0..TREES << DEPTH)
        .map(|_| below(SLOTS as u64) | below(256) << 16)
        .collect();
    let heaps = Heaps::build(DEPTH, SLOTS, &nodes);
    let stride = heaps.ranks_len() + 1;
    let ranks: Vec<u16> = (0..TREES * stride).map(|_| below(256) as u16).collect();
    let mut out = vec![0u32; TREES];
    let (mut best_gather, mut best_lockstep) = ([Duration::MAX; 2], [Duration::MAX; 2]);
    for _ in 0..20 {
        let t = Instant::now();
        // SAFETY: AVX2 checked above; 64 trees exist and `ranks` holds `ranks_len` ranks.
        unsafe { avx2::walk_trees(&heaps, &ranks, 0, &mut out) };
        best_gather[0] = best_gather[0].min(t.elapsed());
        let t = Instant::now();
        walk_trees_scalar(&heaps, &ranks, 0, &mut out);
        best_lockstep[0] = best_lockstep[0].min(t.elapsed());
        let t = Instant::now();
        // SAFETY: AVX2 checked above; tree 0 exists, 64 rows of `stride >= ranks_len`
        // ranks, and `stride * 64` is far below 2^30.
        unsafe { avx2::walk_rows(&heaps, &ranks, stride, 0, &mut out) };
        best_gather[1] = best_gather[1].min(t.elapsed());
        let t = Instant::now();
        walk_rows_scalar(&heaps, &ranks, stride, 0, &mut out);
        best_lockstep[1] = best_lockstep[1].min(t.elapsed());
    }
    std::hint::black_box(&out);
    Choice {
        trees: best_gather[0] < best_lockstep[0],
        rows: best_gather[1] < best_lockstep[1],
    }
}
