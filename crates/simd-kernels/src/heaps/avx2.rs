//! The AVX2 heap walks: eight walks per register, nodes and ranks fetched by `vpgatherdd`.

use super::layout::{Heaps, LANES};
use std::arch::x86_64::{
    __m256i, _mm256_add_epi32, _mm256_and_si256, _mm256_cmpgt_epi32, _mm256_i32gather_epi32,
    _mm256_mullo_epi32, _mm256_set1_epi32, _mm256_setr_epi32, _mm256_setzero_si256,
    _mm256_srli_epi32, _mm256_storeu_si256, _mm256_sub_epi32,
};

/// Registers of walks in flight: enough independent gather chains to cover a step's
/// latency (two dependent gathers, about 40 cycles) at one step issued every ~10.
const GROUPS: usize = 4;

/// One step of eight walks: `h` places, node offsets `at` (`h` plus each lane's block
/// start) from `nodes`, ranks at `row + slot` from `ranks`. Returns the next places.
///
/// # Safety
/// AVX2; each lane's `at` is an inner node of `nodes` (`i32` word offset from the
/// pointer), and each lane's `row + slot` plus one (the gathers read 32 bits) is a rank
/// of `ranks` (`u16` offset).
#[inline(always)]
unsafe fn step8(
    nodes: *const i32,
    ranks: *const i32,
    h: __m256i,
    at: __m256i,
    row: __m256i,
) -> __m256i {
    // SAFETY: AVX2 is enabled in every caller (target_feature); the loads are in
    // bounds by the contract: node words at `4 * at` bytes, ranks at `2 * (row + slot)`
    // bytes, four bytes each.
    unsafe {
        let node = _mm256_i32gather_epi32::<4>(nodes, at);
        let low = _mm256_set1_epi32(0xFFFF);
        let slot = _mm256_and_si256(node, low);
        let lim = _mm256_srli_epi32::<16>(node);
        let r = _mm256_i32gather_epi32::<2>(ranks, _mm256_add_epi32(row, slot));
        let r = _mm256_and_si256(r, low);
        // -1 where the rank is below the limit (both below 2^16: signed compare is
        // exact): left, `2h + 1`; else `2h + 2`.
        let left = _mm256_cmpgt_epi32(lim, r);
        let two = _mm256_set1_epi32(2);
        _mm256_add_epi32(_mm256_add_epi32(h, h), _mm256_add_epi32(two, left))
    }
}

/// Stores the leaf places of `h` (`width - 1` less) into `out` (up to eight).
#[inline(always)]
unsafe fn store_places(h: __m256i, width: usize, out: &mut [u32]) {
    let mut lanes = [0u32; LANES];
    // SAFETY: AVX2 in the caller; `lanes` is 32 writable bytes.
    unsafe {
        let w1 = _mm256_set1_epi32(i32::try_from(width - 1).unwrap_or(i32::MAX));
        _mm256_storeu_si256(lanes.as_mut_ptr().cast(), _mm256_sub_epi32(h, w1));
    }
    let n = out.len();
    out.copy_from_slice(&lanes[..n]);
}

/// [`Heaps::leaves_with`] on AVX2.
///
/// # Safety
/// AVX2; `ranks.len() >= heaps.ranks_len()`; trees `first..first + out.len()` exist.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn walk_trees(heaps: &Heaps, ranks: &[u16], first: usize, out: &mut [u32]) {
    let nodes = heaps.nodes();
    let depth = heaps.depth;
    let width = 1usize << depth;
    // Offsets fit `i32`: blocks of at most 2^16 nodes, 32 of them from one base.
    let w = i32::try_from(width).unwrap_or(i32::MAX);
    let lane = _mm256_mullo_epi32(
        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
        _mm256_set1_epi32(w),
    );
    let zero = _mm256_setzero_si256();
    let qp = ranks.as_ptr().cast::<i32>();
    let full = out.len() / (GROUPS * LANES) * (GROUPS * LANES);
    let (bulk, tail) = out.split_at_mut(full);
    for (c, o) in bulk.chunks_exact_mut(GROUPS * LANES).enumerate() {
        let t0 = first + c * GROUPS * LANES;
        // SAFETY: tree `t0` exists, so its block start is inside `nodes`.
        let base = unsafe { nodes.as_ptr().add(t0 * width) }.cast::<i32>();
        let off: [__m256i; GROUPS] =
            std::array::from_fn(|g| _mm256_add_epi32(lane, _mm256_set1_epi32(w * 8 * g as i32)));
        let mut h = [zero; GROUPS];
        for _ in 0..depth {
            for g in 0..GROUPS {
                // Lane `k` of group `g` walks tree `t0 + 8g + k`, which exists; its `h` is
                // an inner place before each of the `depth` steps, so `off + h` is a node of
                // its block; slots are below `slots` and `ranks` holds `slots + 1` ranks.
                // SAFETY: so every lane's node and rank (row offset 0) are in bounds.
                h[g] = unsafe { step8(base, qp, h[g], _mm256_add_epi32(off[g], h[g]), zero) };
            }
        }
        for (g, o) in o.chunks_exact_mut(LANES).enumerate() {
            // SAFETY: AVX2 enabled here.
            unsafe { store_places(h[g], width, o) };
        }
    }
    let t0 = first + full;
    for (c, o) in tail.chunks_mut(LANES).enumerate() {
        let t = t0 + c * LANES;
        // Lanes past the last tree walk tree `t` again (lane offset 0) and are dropped.
        let live = _mm256_cmpgt_epi32(
            _mm256_set1_epi32(i32::try_from(o.len()).unwrap_or(8)),
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
        );
        let off = _mm256_and_si256(lane, live);
        // SAFETY: tree `t` exists.
        let base = unsafe { nodes.as_ptr().add(t * width) }.cast::<i32>();
        let mut h = zero;
        for _ in 0..depth {
            // SAFETY: live lanes as in the bulk loop; dead lanes walk tree `t`.
            h = unsafe { step8(base, qp, h, _mm256_add_epi32(off, h), zero) };
        }
        // SAFETY: AVX2 enabled here.
        unsafe { store_places(h, width, o) };
    }
}

/// [`Heaps::leaves_rows_with`] on AVX2.
///
/// # Safety
/// AVX2; `stride >= heaps.ranks_len()`, `ranks.len() >= out.len() * stride`,
/// `tree < n_trees`, and `stride * 8 * LANES < 2^30`.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn walk_rows(
    heaps: &Heaps,
    ranks: &[u16],
    stride: usize,
    tree: usize,
    out: &mut [u32],
) {
    let nodes = heaps.nodes();
    let depth = heaps.depth;
    let width = 1usize << depth;
    // SAFETY: `tree < n_trees`: its block is inside `nodes`.
    let base = unsafe { nodes.as_ptr().add(tree * width) }.cast::<i32>();
    let zero = _mm256_setzero_si256();
    let s = i32::try_from(stride).unwrap_or(i32::MAX);
    let lane_row = _mm256_mullo_epi32(
        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
        _mm256_set1_epi32(s),
    );
    let chunk = GROUPS * LANES;
    for (c, o) in out.chunks_mut(chunk).enumerate() {
        let r0 = c * chunk;
        // SAFETY: row `r0` exists, so its ranks start inside `ranks`.
        let qp = unsafe { ranks.as_ptr().add(r0 * stride) }.cast::<i32>();
        // Lanes past the last row read row 0 of the chunk again and are dropped.
        let rows: [__m256i; GROUPS] = std::array::from_fn(|g| {
            let first = i32::try_from(g * LANES).unwrap_or(0);
            let live = _mm256_cmpgt_epi32(
                _mm256_set1_epi32(i32::try_from(o.len()).unwrap_or(0) - first),
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            );
            _mm256_and_si256(
                _mm256_add_epi32(lane_row, _mm256_set1_epi32(first * s)),
                live,
            )
        });
        let groups = o.len().div_ceil(LANES);
        let mut h = [zero; GROUPS];
        for _ in 0..depth {
            for g in 0..groups {
                // `h` is an inner place of tree `tree`'s block before each step; a live
                // lane's row `r0 + 8g + k` exists and holds `stride >= slots + 1` ranks;
                // dead lanes read row `r0`; byte offsets stay below 2^31 (`stride * 8 *
                // LANES < 2^30`).
                // SAFETY: so every lane's node and rank are in bounds.
                h[g] = unsafe { step8(base, qp, h[g], h[g], rows[g]) };
            }
        }
        for (g, o) in o.chunks_mut(LANES).enumerate() {
            // SAFETY: AVX2 enabled here.
            unsafe { store_places(h[g], width, o) };
        }
    }
}
