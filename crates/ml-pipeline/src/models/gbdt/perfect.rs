//! Perfect trees: a forest whose trees are (nearly) complete, walked with no child links.
//!
//! Why. Trees trained with a depth limit (XGBoost's default, LightGBM with `max_depth`)
//! are close to complete binary trees. Padded to the complete tree of the forest's depth
//! `D`, each tree is a heap: node `h`'s children are `2h + 1` and `2h + 2`, so a node needs
//! no child index and shrinks to its rank slot and limit (4 bytes, half the packed node). A
//! tree's top four levels share one cache line, so a walk of depth 6 touches about three
//! lines instead of six, and the nodes of 500 such trees (128 KB) stay in the L2 cache
//! beside the cuts, where the packed nodes (500 KB) spill to the last level. Every walk
//! takes exactly `D` steps, which lets the kernel layer walk eight trees (or eight rows) per
//! AVX2 register with gathers ([`simd_kernels::Heaps`]).
//!
//! Padding. Where the tree has a leaf above depth `D`, its place in the heap holds a dummy
//! node (slot 0, limit 0: never left) over a subtree of dummies whose `2^(D - d)` leaves all
//! hold that leaf's value: whichever way the walk goes below it, it ends on that value.
//!
//! The form is used when padding costs little (see [`Perfect::build`]), the ranks are `u16`
//! (the kernel's node holds a 16-bit slot and limit) and no split is categorical (those are
//! decided by the [`Forest`] itself).

use super::compiled::{Forest, Test};
use simd_kernels::{Heaps, Isa, HEAPS_MAX_DEPTH};

/// What a perfect form is built from, besides the forest: the packed form's view of its
/// nodes (see `packed`).
pub(super) trait Nodes {
    /// Whether node tests take `u16` ranks (the kernel's nodes hold 16-bit slots and limits).
    fn narrow(&self) -> bool;
    /// Whether any node is categorical.
    fn has_slow(&self) -> bool;
    /// The slots nodes read are below this.
    fn slot_count(&self) -> usize;
    /// Node `i`'s rank slot and limit.
    fn slot_lim(&self, i: usize) -> (usize, usize);
    /// Node `i`'s leaf value.
    fn leaf_value(&self, i: usize) -> f64;
}

/// Deepest forest packed perfect: a deeper padded tree outgrows the caches the form is for.
const MAX_DEPTH: u32 = 12;
const _: () = assert!(MAX_DEPTH <= HEAPS_MAX_DEPTH);

/// Trees a single-row walk hands to the kernel at a time.
const ROW_CHUNK: usize = 32;

/// A forest of complete trees of one depth, in heap order, and their leaf values.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Perfect {
    heaps: Heaps,
    /// `2^depth` leaf values per tree, left to right.
    leaves: Vec<f64>,
}

impl Perfect {
    /// The perfect form of `forest`, whose packed form is `p`, when it pays: `u16` ranks,
    /// no categorical split, depth at most `MAX_DEPTH`, and padded trees at most twice the
    /// forest's nodes (then the 4-byte nodes take no more room than the 8-byte packed ones).
    pub fn build(forest: &Forest, p: &impl Nodes) -> Option<Self> {
        let n_trees = forest.n_trees();
        if !p.narrow() || p.has_slow() || n_trees == 0 {
            return None;
        }
        let depth = (0..n_trees).map(|t| forest.depth(t)).max().unwrap_or(0);
        if depth > MAX_DEPTH {
            return None;
        }
        let width = 1usize << depth;
        if n_trees.checked_mul(width)? > 2 * forest.n_nodes() {
            return None;
        }
        // Dummy nodes are 0: slot 0, limit 0.
        let mut nodes = vec![0u32; n_trees * width];
        let mut leaves = vec![0.0; n_trees * width];
        let mut stack = Vec::with_capacity(2 * depth as usize + 2);
        for t in 0..n_trees {
            let base = t * width;
            // (heap place, forest node): the forest node decides the place and below.
            stack.push((0usize, forest.root(t)));
            while let Some((h, i)) = stack.pop() {
                if h >= width - 1 {
                    // A leaf place: `i` is a leaf, as no path is deeper than `depth`.
                    debug_assert!(matches!(forest.test(i), Test::Leaf));
                    leaves[base + h - (width - 1)] = p.leaf_value(i);
                    continue;
                }
                match forest.test(i) {
                    Test::Leaf => {
                        stack.push((2 * h + 1, i));
                        stack.push((2 * h + 2, i));
                    }
                    Test::Numeric { right, .. } => {
                        let (slot, lim) = p.slot_lim(i);
                        // u16 ranks: both fit 16 bits.
                        let (slot, lim) = (u32::try_from(slot).ok()?, u32::try_from(lim).ok()?);
                        nodes[base + h] = slot | lim << 16;
                        // Pre-order: a split's left child follows it.
                        stack.push((2 * h + 1, i + 1));
                        stack.push((2 * h + 2, right as usize));
                    }
                    Test::Slow { .. } => return None,
                }
            }
        }
        Some(Self {
            heaps: Heaps::new(depth, p.slot_count(), &nodes),
            leaves,
        })
    }

    /// Calls `visit(t, leaf)` for trees `0..places.len()` in order, with the leaf a row of
    /// ranks `q` reaches in each; `places` is scratch.
    ///
    /// # Panics
    /// If `q` is shorter than a row's ranks or there are fewer trees than places.
    #[inline(always)]
    pub fn row_leaves(
        &self,
        isa: Isa,
        q: &[u16],
        places: &mut [u32],
        mut visit: impl FnMut(usize, f64),
    ) {
        let width = 1usize << self.heaps.depth();
        // A chunk's leaves are summed right after its walks, so the summation (a chain of
        // dependent additions, in the library's order) runs while the next chunk's loads
        // are in flight, instead of after all the walks.
        for (c, places) in places.chunks_mut(ROW_CHUNK).enumerate() {
            let first = c * ROW_CHUNK;
            self.heaps.leaves_with(isa, q, first, places);
            for (t, &place) in (first..).zip(places.iter()) {
                visit(t, self.leaves[t * width + place as usize]);
            }
        }
    }

    /// Calls `visit(r, leaf)` for rows `0..places.len()`, with the leaf row `r` (ranks
    /// `qs[r * stride..]`) reaches in tree `t`; `places` is scratch.
    ///
    /// # Panics
    /// As [`Heaps::leaves_rows_with`].
    #[inline(always)]
    pub fn tree_leaves(
        &self,
        isa: Isa,
        t: usize,
        qs: &[u16],
        stride: usize,
        places: &mut [u32],
        mut visit: impl FnMut(usize, f64),
    ) {
        self.heaps.leaves_rows_with(isa, qs, stride, t, places);
        let leaves = &self.leaves[t << self.heaps.depth()..(t + 1) << self.heaps.depth()];
        for (r, &place) in places.iter().enumerate() {
            visit(r, leaves[place as usize]);
        }
    }
}
