//! The scalar byte-heap walk: one step per level, each node read from its lane. A
//! reference for the vector walk and the path of CPUs without VBMI (where callers prefer
//! the 32-bit heaps' walks).

use super::layout::ByteHeaps;

/// [`ByteHeaps::fold_leaves_with`] without SIMD.
pub(super) fn walk_trees<A>(
    heaps: &ByteHeaps,
    ranks: &[u8],
    trees: std::ops::Range<usize>,
    mut acc: A,
    mut f: impl FnMut(A, usize, u32) -> A,
) -> A {
    let depth = heaps.depth;
    for (t, slots, lims) in heaps.lines(trees) {
        let (slots, lims) = (&slots.0, &lims.0);
        let mut h = 0;
        for _ in 0..depth {
            // Before each of the `depth` steps `h` is an inner node: below 63.
            let lane = usize::from(heaps.tables.lane[h & 63]);
            let right = ranks[usize::from(slots[lane])] >= lims[lane];
            h = 2 * h + 1 + usize::from(right);
        }
        // After `depth` steps `h` is in `2^depth - 1 ..= 2^(depth+1) - 2`: below 2^7.
        acc = f(acc, t, u32::try_from(h + 1 - (1 << depth)).unwrap_or(0));
    }
    acc
}
