//! The scalar heap walks: eight walks in lockstep, the depth a constant.

use super::layout::{Heaps, LANES};

/// Where a node's slot and limit sit in its pair of halves (`slot | lim << 16` in memory).
const SLOT: usize = if cfg!(target_endian = "little") { 0 } else { 1 };
const LIM: usize = 1 - SLOT;

/// One step from place `h` of the block at `base`, on `ranks`. Places count from 1 here
/// (the root is 1, the children of `h` are `2h` and `2h + 1`, node `h` is the block's word
/// `h - 1`), so that a step is `2h` plus the comparison: a load of the slot, a load of its
/// rank, a compare with the limit in memory and one address computation. Read as halves, a
/// node needs no masking or shifting.
///
/// # Safety
/// `base + h - 1` is a node of `nodes` (an inner place of a tree's block), and `ranks` holds
/// more than every slot of `nodes`.
#[inline(always)]
unsafe fn step(nodes: &[[u16; 2]], base: usize, h: usize, ranks: &[u16]) -> usize {
    // SAFETY: the caller's contract.
    let node = unsafe { *nodes.get_unchecked(base + h - 1) };
    // SAFETY: the slot of a node is below `slots` (`Heaps::new`), below `ranks.len()`.
    let r = unsafe { *ranks.get_unchecked(usize::from(node[SLOT])) };
    // Left (`2h`) when the rank is below the limit, else right (`2h + 1`): arithmetic on
    // the comparison, nothing for the branch predictor to miss.
    2 * h + usize::from(r >= node[LIM])
}

/// [`Heaps::leaves_with`] on the scalar path, for the heaps' depth as a constant.
pub(super) fn walk_trees_scalar(heaps: &Heaps, ranks: &[u16], first: usize, out: &mut [u32]) {
    macro_rules! by_depth {
        ($($d:literal)*) => {
            match heaps.depth {
                $($d => walk_trees_depth::<$d>(heaps, ranks, first, out),)*
                d => unreachable!("depth {d} above HEAPS_MAX_DEPTH"),
            }
        };
    }
    by_depth!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
}

/// `LANES` consecutive trees in lockstep, so their chains of dependent loads overlap. With
/// the depth a constant, lane `k`'s block sits `k * 2^D` nodes from the group's first: an
/// address is one register (the lane's place) plus constants, and the eight places stay in
/// registers.
#[inline(always)]
fn walk_trees_depth<const D: u32>(heaps: &Heaps, ranks: &[u16], first: usize, out: &mut [u32]) {
    let (nodes, width) = (heaps.pairs(), 1usize << D);
    for (g, o) in out.chunks_mut(LANES).enumerate() {
        let t0 = first + g * LANES;
        let mut h = [1usize; LANES];
        if o.len() == LANES {
            let block = &nodes[t0 * width..(t0 + LANES) * width];
            for _ in 0..D {
                for (k, h) in h.iter_mut().enumerate() {
                    // SAFETY: before step `s` of `D`, `h` is in `2^s ..= 2^(s+1) - 1`, an
                    // inner place of lane `k`'s block (inside `block`, which holds `LANES`
                    // blocks); `ranks` holds `slots + 1` ranks.
                    *h = unsafe { step(block, k * width, *h, ranks) };
                }
            }
        } else {
            for _ in 0..D {
                for (k, h) in h.iter_mut().enumerate().take(o.len()) {
                    // SAFETY: tree `t0 + k` is below `n_trees` (checked by the caller), and
                    // `h` is an inner place before each step, as above.
                    *h = unsafe { step(nodes, (t0 + k) * width, *h, ranks) };
                }
            }
        }
        for (o, h) in o.iter_mut().zip(h) {
            // After `D` steps `h` is in `width ..= 2 * width - 1`.
            *o = u32::try_from(h - width).expect("depth <= 16");
        }
    }
}

/// [`Heaps::leaves_rows_with`] on the scalar path: `LANES` rows in lockstep.
pub(super) fn walk_rows_scalar(
    heaps: &Heaps,
    ranks: &[u16],
    stride: usize,
    tree: usize,
    out: &mut [u32],
) {
    let (nodes, width) = (heaps.pairs(), 1usize << heaps.depth);
    let base = tree * width;
    for (g, o) in out.chunks_mut(LANES).enumerate() {
        let r0 = g * LANES;
        let mut h = [1usize; LANES];
        for _ in 0..heaps.depth {
            for (k, h) in h.iter_mut().enumerate().take(o.len()) {
                let row = &ranks[(r0 + k) * stride..(r0 + k + 1) * stride];
                // SAFETY: `tree < n_trees` and `h` is an inner place (as in
                // `walk_trees_scalar`); each row holds `stride >= slots + 1` ranks.
                *h = unsafe { step(nodes, base, *h, row) };
            }
        }
        for (o, h) in o.iter_mut().zip(h) {
            *o = u32::try_from(h - width).expect("depth <= 16");
        }
    }
}
