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
//! decided by the [`Forest`] itself). Shallow trees with small limits also get byte nodes
//! (see `Bytes`), which single rows walk a whole tree at a time where the CPU has AVX-512
//! VBMI.

use super::compiled::{Forest, Test};
use simd_kernels::{
    ByteHeaps, Heaps, Isa, BYTE_HEAPS_MAX_DEPTH, BYTE_HEAPS_MAX_SLOTS, HEAPS_MAX_DEPTH,
};

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
    /// The same heaps with byte nodes, when they fit (see `Bytes`).
    bytes: Option<Bytes>,
    /// `2^depth` leaf values per tree, left to right.
    leaves: Vec<f64>,
}

/// The heaps with byte slots and limits, for single-row walks where the kernel layer runs
/// them faster ([`ByteHeaps::is_fast_on`]): a whole tree decided by a few instructions.
/// Built when the depth is at most 6, every limit fits a byte (then so does every rank
/// below `MAX`: a feature's largest limit is its cut count) and the forest reads at most
/// 256 distinct rank slots, renumbered densely in the order first read.
#[derive(Clone, Debug, PartialEq)]
struct Bytes {
    heaps: ByteHeaps,
    /// The rank slot (of the packed form's row) each byte slot stands for.
    slots: Vec<u16>,
}

impl Bytes {
    fn build(depth: u32, nodes: &[u32]) -> Option<Self> {
        if depth > BYTE_HEAPS_MAX_DEPTH {
            return None;
        }
        let width = 1usize << depth;
        let mut dense = std::collections::HashMap::new();
        let mut slots = Vec::new();
        let mut bytes = Vec::with_capacity(nodes.len());
        for (k, &node) in nodes.iter().enumerate() {
            // Each tree's last word is no node (see `Heaps`); dummy nodes (0) read slot 0.
            if k % width == width - 1 {
                bytes.push([0, 0]);
                continue;
            }
            let (slot, lim) = (node & 0xFFFF, node >> 16);
            let lim = u8::try_from(lim).ok()?;
            let next = slots.len();
            let byte = *dense.entry(slot).or_insert(next);
            if byte == next {
                slots.push(u16::try_from(slot).ok()?);
            }
            bytes.push([u8::try_from(byte).ok()?, lim]);
        }
        if slots.len() > BYTE_HEAPS_MAX_SLOTS {
            return None;
        }
        Some(Self {
            heaps: ByteHeaps::new(depth, slots.len().max(1), &bytes),
            slots,
        })
    }

    /// A row's byte ranks from its `u16` ranks `q`: `MAX` (a missing value that goes
    /// right) becomes 255, which no byte limit exceeds; every other rank is at most its
    /// feature's cut count, which `build` found below 256.
    #[inline(always)]
    fn ranks(&self, q: &[u16]) -> [u8; BYTE_HEAPS_MAX_SLOTS] {
        let mut ranks = [0u8; BYTE_HEAPS_MAX_SLOTS];
        for (r, &slot) in ranks.iter_mut().zip(&self.slots) {
            *r = u8::try_from(q[usize::from(slot)]).unwrap_or(u8::MAX);
        }
        ranks
    }
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
            bytes: Bytes::build(depth, &nodes),
            heaps: Heaps::new(depth, p.slot_count(), &nodes),
            leaves,
        })
    }

    /// Whether single-row walks can take the byte heaps (where the CPU runs them fast).
    #[cfg(test)]
    pub fn has_bytes(&self) -> bool {
        self.bytes.is_some()
    }

    /// Whether a single row's walk on `isa` takes the byte heaps.
    pub fn walks_whole_trees(&self, isa: Isa) -> bool {
        self.bytes.as_ref().is_some_and(|b| b.heaps.is_fast_on(isa))
    }

    /// Folds `f` over trees `0..places.len()` in order, `acc = f(acc, t, leaf)` with the
    /// leaf a row of ranks `q` reaches in tree `t`; `places` is scratch.
    ///
    /// # Panics
    /// If `q` is shorter than a row's ranks or there are fewer trees than places.
    #[inline(always)]
    pub fn row_leaves<A>(
        &self,
        isa: Isa,
        q: &[u16],
        places: &mut [u32],
        mut acc: A,
        mut f: impl FnMut(A, usize, f64) -> A,
    ) -> A {
        let width = 1usize << self.heaps.depth();
        if let Some(b) = self.bytes.as_ref().filter(|b| b.heaps.is_fast_on(isa)) {
            // Each leaf is summed as its tree's walk ends, inside the kernel's loop.
            let leaves = &self.leaves;
            let trees = 0..places.len();
            return b
                .heaps
                .fold_leaves_with(isa, &b.ranks(q), trees, acc, |acc, t, place| {
                    f(acc, t, leaves[t * width + place as usize])
                });
        }
        // A chunk's leaves are summed right after its walks, so the summation (a chain of
        // dependent additions, in the library's order) runs while the next chunk's loads
        // are in flight, instead of after all the walks.
        for (c, places) in places.chunks_mut(ROW_CHUNK).enumerate() {
            let first = c * ROW_CHUNK;
            self.heaps.leaves_with(isa, q, first, places);
            for (t, &place) in (first..).zip(places.iter()) {
                acc = f(acc, t, self.leaves[t * width + place as usize]);
            }
        }
        acc
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

#[cfg(test)]
mod tests {
    use super::super::compiled::{Forest, RawNode, Split};
    use super::super::packed::PackedForest;
    use simd_kernels::Isa;

    /// A forest of stumps: tree `t` splits feature `feature(t)` at `threshold(t)`, leaves
    /// `2t` and `2t + 1`.
    fn stumps(
        n: usize,
        features: usize,
        feature: impl Fn(usize) -> usize,
        threshold: impl Fn(usize) -> f64,
    ) -> Forest {
        let mut forest = Forest::default();
        for t in 0..n {
            let split = RawNode::Split {
                feature: feature(t),
                split: Split::Numeric {
                    threshold: threshold(t),
                    nan_left: t % 2 == 0,
                    zero_missing: false,
                },
                left: 1,
                right: 2,
            };
            let (left, right) = (
                RawNode::Leaf(2.0 * t as f64),
                RawNode::Leaf(2.0 * t as f64 + 1.0),
            );
            forest
                .push_tree(&[split, left, right], 0, features)
                .unwrap();
        }
        forest
    }

    /// Whether the byte form was built, after checking that the heaps reach the packed
    /// walk's leaves on every ISA for rows of values around the thresholds.
    fn bytes_and_check(forest: &Forest, features: usize) -> bool {
        let PackedForest::Narrow(p) = PackedForest::new(forest) else {
            panic!("narrow")
        };
        let perfect = p.perfect().expect("stumps are complete");
        for v in [f64::NAN, -1.0, 0.0, 0.5, 7.0, 255.0, 256.5, 299.0, 1e9] {
            let x = vec![v; features];
            let mut q = vec![0u16; p.rank_len()];
            p.rank_row(Isa::detect(), &x, &mut q);
            let want: Vec<f64> = (0..forest.n_trees())
                .map(|t| p.walk::<1, false>(forest, [t], [&q], [&x])[0])
                .collect();
            for isa in Isa::available() {
                let mut places = vec![0; forest.n_trees()];
                let mut got = Vec::new();
                perfect.row_leaves(isa, &q, &mut places, (), |(), _, leaf| got.push(leaf));
                assert_eq!(got, want, "{isa:?}, value {v}");
            }
        }
        perfect.has_bytes()
    }

    #[test]
    fn byte_heaps_are_built_only_where_ranks_and_slots_fit_a_byte() {
        // 255 cuts on one feature: the largest limit and rank are 255.
        assert!(bytes_and_check(&stumps(255, 1, |_| 0, |t| t as f64), 1));
        // 256 cuts: a limit of 256 does not fit.
        assert!(!bytes_and_check(&stumps(256, 1, |_| 0, |t| t as f64), 1));
        // 128 features read with both NaN directions: 256 slots fit, 129 features do not.
        assert!(bytes_and_check(&stumps(256, 128, |t| t / 2, |_| 0.5), 128));
        assert!(!bytes_and_check(&stumps(258, 129, |t| t / 2, |_| 0.5), 129));
    }
}
