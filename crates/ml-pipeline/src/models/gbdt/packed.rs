//! The packed forest: the form a [`Forest`] is walked in, built once from it.
//!
//! Why. A row's walk through 500 trees of depth 6 reads 3000 nodes scattered over the
//! whole model. At 16 bytes a node (a float64 threshold, a feature, a child) such a model
//! is 1 MB and a single-row prediction waits on the last-level cache. Here a node is 8
//! bytes of small integers (`u16` ranks; `u32`, 12 bytes, when a model outgrows them), so
//! the same model fits in half the space, and the test in the walk is one integer compare.
//!
//! Ranks. Each feature's thresholds over all trees are sorted once (`cuts`). A row is
//! turned into ranks once per prediction: `rank(x)` = the number of cuts below `x` (a
//! 16-ary search per feature, [`simd_kernels::Cuts`]). Then for the cut `t_j`, `x <= t_j` exactly when
//! `rank(x) <= j`, that is `rank(x) < j + 1`: the same float64 comparisons decide both, so
//! the integer test is exact for every input, with no rounding anywhere.
//!
//! Missing values in the rank. A node's NaN direction (and LightGBM's zero-as-missing) is
//! folded into which rank it reads: a row holds five ranks per feature, and a node reads
//! the one whose missing value goes its way: `MAX` (never below a node's limit: right), 0
//! (always below it: left), or the rank of 0.0 (where 0.0 goes).
//!
//! | slot | NaN | \|x\| <= LightGBM's zero | used by |
//! |---|---|---|---|
//! | `f` | `MAX` | rank | NaN goes right |
//! | `n + f` | 0 | rank | NaN goes left |
//! | `2n + f` | 0 | 0 | zero-as-missing, missing goes left |
//! | `3n + f` | `MAX` | `MAX` | zero-as-missing, missing goes right |
//! | `4n + f` | rank of 0.0 | rank | NaN goes where 0.0 goes, at every node of the feature |
//!
//! The last serves LightGBM's missing type None (NaN read as 0): its nodes send NaN left or
//! right by the sign of their threshold, which would take two slots per feature, where one
//! rank (NaN ranked as 0.0) decides them all. A feature takes it when every node on it that
//! is not zero-as-missing sends NaN where 0.0 goes; fewer distinct slots make the byte heaps
//! (see `Perfect`) apply to more models.
//!
//! A leaf has limit 0 (no rank is below it) and its right child is itself: a walk that
//! reaches a leaf stays there, so lockstep walks need no "is it a leaf?" test. Categorical
//! splits keep their sets in the [`Forest`] and are decided by it (`SLOW` nodes); a model
//! without them is walked by code that has no such test at all.

use super::compiled::{Forest, Test, LIGHTGBM_ZERO, MAX_NODES};
use super::perfect::{Nodes, Perfect};
use simd_kernels::{Cuts, Isa};
use std::sync::OnceLock;

/// `Packed::next` flag: the node is decided by [`Forest::slow_left`].
const SLOW: u32 = 1 << 31;
/// Features ranked per kernel call (see `Packed::rank_row`).
const RANK_CHUNK: usize = 16;
// Every child index of a forest leaves the flag bit clear.
const _: () = assert!(MAX_NODES < SLOW as usize);

/// The integer type of ranks, slots and limits.
pub(super) trait Rank: Copy + Ord + std::fmt::Debug + bytemuck::Pod {
    /// The rank of a missing value that goes right: above every limit.
    const MAX: Self;
    const ZERO: Self;
    /// `v` as a rank; `v` fits (checked when the forest is packed).
    fn from_index(v: usize) -> Self;
    fn index(self) -> usize;
}

macro_rules! rank_impl {
    ($($t:ty),*) => {$(
        impl Rank for $t {
            const MAX: Self = <$t>::MAX;
            const ZERO: Self = 0;
            #[inline(always)]
            #[allow(clippy::cast_possible_truncation)] // fits, as the caller checked
            fn from_index(v: usize) -> Self {
                v as $t
            }
            #[inline(always)]
            fn index(self) -> usize {
                self as usize
            }
        }
    )*};
}
rank_impl!(u16, u32);

#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
struct Node<Q> {
    /// The rank slot the node reads (see the module table); for a `SLOW` node, the feature.
    slot: Q,
    /// Left when the rank is below this; 0 at a leaf and at a `SLOW` node.
    lim: Q,
    /// The right child, or the node itself at a leaf; `SLOW` flag in the top bit.
    next: u32,
}

/// A forest packed with rank type `Q`.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Packed<Q> {
    nodes: Vec<Node<Q>>,
    /// Each node's leaf value (0 for a split), apart from the nodes: the walk reads one per
    /// tree, at its end, so the nodes it reads on the way stay twice as dense.
    values: Vec<f64>,
    /// Each feature's distinct numeric thresholds, as the kernel layer's search trees.
    cuts: Cuts,
    /// Each feature's rank of 0.0 (slot `4n + f`'s rank of NaN).
    zero_ranks: Vec<Q>,
    /// Features a row has ranks for (the forest's `row_len`).
    n: usize,
    /// Whether any node is `SLOW`.
    has_slow: bool,
    /// The same trees as complete heaps, when the forest is close to complete.
    perfect: Option<Perfect>,
}

/// The packed form of a forest: `u16` ranks when they fit, else `u32`.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum PackedForest {
    Narrow(Packed<u16>),
    Wide(Packed<u32>),
}

/// A forest's packed form, built on first use (models build it when they are made, so a
/// first prediction neither waits nor allocates). Derived from the forest beside it, so it
/// compares equal to any other.
#[derive(Clone, Debug, Default)]
pub(super) struct PackedCache(OnceLock<Box<PackedForest>>);

impl PartialEq for PackedCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl PackedCache {
    /// The packed form of `forest`, which must be the forest this cache was first asked
    /// about (a model keeps the two side by side and never changes its forest).
    #[inline]
    pub fn get(&self, forest: &Forest) -> &PackedForest {
        self.0.get_or_init(|| Box::new(PackedForest::new(forest)))
    }
}

impl PackedForest {
    /// Packs `forest`.
    pub fn new(forest: &Forest) -> Self {
        let cuts = cuts(forest);
        let n = forest.row_len();
        let longest = cuts.iter().map(Vec::len).max().unwrap_or(0);
        // u16: slots below 5n, limits up to `longest`, and `MAX` above them all.
        if 5 * n <= usize::from(u16::MAX) + 1 && longest < usize::from(u16::MAX) {
            Self::Narrow(Packed::build(forest, &cuts))
        } else {
            Self::Wide(Packed::build(forest, &cuts))
        }
    }

    /// Whether the trees also have a perfect form (see `Perfect`).
    pub fn has_perfect(&self) -> bool {
        match self {
            Self::Narrow(p) => p.perfect().is_some(),
            Self::Wide(p) => p.perfect().is_some(),
        }
    }

    /// Whether a single row's walk decides whole trees at once on `isa` (byte heaps, see
    /// `Perfect`): then a batch is fastest row by row too.
    pub fn walks_whole_trees(&self, isa: Isa) -> bool {
        match self {
            Self::Narrow(p) => p.perfect().is_some_and(|f| f.walks_whole_trees(isa)),
            Self::Wide(_) => false,
        }
    }

    /// `f64` words of scratch a row's ranks take.
    pub fn scratch_words(&self) -> usize {
        match self {
            Self::Narrow(p) => p.rank_words(),
            Self::Wide(p) => p.rank_words(),
        }
    }
}

/// Each feature's distinct numeric thresholds, ascending.
fn cuts(forest: &Forest) -> Vec<Vec<f64>> {
    let mut cuts: Vec<Vec<f64>> = vec![Vec::new(); forest.row_len()];
    for i in 0..forest.n_nodes() {
        if let Test::Numeric {
            feature, threshold, ..
        } = forest.test(i)
        {
            cuts[feature].push(threshold);
        }
    }
    for c in &mut cuts {
        // Thresholds are never NaN (refused at push); -0.0 and 0.0 decide alike.
        c.sort_unstable_by(f64::total_cmp);
        c.dedup_by(|a, b| a == b);
    }
    cuts
}

/// Each feature's rank of 0.0, and whether NaN can read it: every node on the feature that
/// is not zero-as-missing sends NaN the way 0.0 goes (`rank(0.0) < lim`, the integer test
/// the walk makes, so the two agree exactly).
fn nan_as_zero(forest: &Forest, cuts: &[Vec<f64>]) -> (Vec<usize>, Vec<bool>) {
    let zero_ranks: Vec<usize> = cuts
        .iter()
        .map(|c| c.partition_point(|&t| t < 0.0))
        .collect();
    let mut ok = vec![true; cuts.len()];
    for i in 0..forest.n_nodes() {
        if let Test::Numeric {
            feature,
            threshold,
            nan_left,
            zero_missing: false,
            ..
        } = forest.test(i)
        {
            let lim = cuts[feature].partition_point(|&t| t < threshold) + 1;
            ok[feature] &= nan_left == (zero_ranks[feature] < lim);
        }
    }
    (zero_ranks, ok)
}

impl<Q: Rank> Packed<Q> {
    fn build(forest: &Forest, cuts: &[Vec<f64>]) -> Self {
        let n = forest.row_len();
        let (zero_ranks, nan_reads_zero) = nan_as_zero(forest, cuts);
        let mut has_slow = false;
        let nodes = (0..forest.n_nodes())
            .map(|i| {
                #[allow(clippy::cast_possible_truncation)] // below MAX_NODES, checked at push
                let own = i as u32;
                match forest.test(i) {
                    Test::Leaf => Node {
                        slot: Q::ZERO,
                        lim: Q::ZERO,
                        next: own,
                    },
                    Test::Numeric {
                        feature,
                        threshold,
                        nan_left,
                        zero_missing,
                        right,
                    } => {
                        let c = &cuts[feature];
                        // The threshold is among its feature's cuts: `j` cuts lie below it.
                        let j = c.partition_point(|&t| t < threshold);
                        let variant = match (zero_missing, nan_left) {
                            (false, _) if nan_reads_zero[feature] => 4,
                            (false, false) => 0,
                            (false, true) => 1,
                            (true, true) => 2,
                            (true, false) => 3,
                        };
                        Node {
                            slot: Q::from_index(variant * n + feature),
                            lim: Q::from_index(j + 1),
                            next: right,
                        }
                    }
                    Test::Slow { feature, right } => {
                        has_slow = true;
                        Node {
                            slot: Q::from_index(feature),
                            lim: Q::ZERO,
                            next: SLOW | right,
                        }
                    }
                }
            })
            .collect();
        let values = (0..forest.n_nodes())
            .map(|i| match forest.test(i) {
                Test::Leaf => forest.value(i),
                _ => 0.0,
            })
            .collect();
        let mut packed = Self {
            nodes,
            values,
            cuts: Cuts::new(cuts),
            zero_ranks: zero_ranks.into_iter().map(Q::from_index).collect(),
            n,
            has_slow,
            perfect: None,
        };
        packed.perfect = Perfect::build(forest, &packed);
        packed
    }

    /// The perfect form of the trees, when they have one.
    #[inline]
    pub fn perfect(&self) -> Option<&Perfect> {
        self.perfect.as_ref()
    }

    /// Ranks a row holds: five per feature, and two spare (32-bit gathers of the last rank
    /// read past it; see `Perfect`).
    pub fn rank_len(&self) -> usize {
        5 * self.n + 2
    }

    fn rank_words(&self) -> usize {
        (self.rank_len() * std::mem::size_of::<Q>()).div_ceil(8)
    }

    /// Whether walks must go through [`walk`](Self::walk)`::<_, true>`.
    pub fn has_slow(&self) -> bool {
        self.has_slow
    }

    /// The rank slice of a scratch of at least [`rank_words`](Self::rank_words) words.
    pub fn ranks_in<'s>(&self, scratch: &'s mut [f64]) -> &'s mut [Q] {
        let words = self.rank_words();
        let ranks: &mut [Q] = bytemuck::cast_slice_mut(&mut scratch[..words]);
        &mut ranks[..self.rank_len()]
    }

    /// Writes the ranks of row `x` into `q` ([`rank_len`](Self::rank_len) values), the
    /// searches on `isa`. Values a short row lacks are missing (NaN).
    #[inline]
    pub fn rank_row(&self, isa: Isa, x: &[f64], q: &mut [Q]) {
        let n = self.n;
        let (right, rest) = q.split_at_mut(n);
        let (left, rest) = rest.split_at_mut(n);
        let (zero_left, rest) = rest.split_at_mut(n);
        let (zero_right, as_zero) = rest.split_at_mut(n);
        for f0 in (0..n).step_by(RANK_CHUNK) {
            let len = RANK_CHUNK.min(n - f0);
            // Missing past the row's end (an element loop: no call to a copy routine).
            let values: [f64; RANK_CHUNK] =
                std::array::from_fn(|k| x.get(f0 + k).copied().unwrap_or(f64::NAN));
            let mut ranks = [0u32; RANK_CHUNK];
            self.cuts
                .ranks_with(isa, f0, &values[..len], &mut ranks[..len]);
            for (k, (&r, &v)) in ranks.iter().zip(&values).enumerate().take(len) {
                let f = f0 + k;
                // A rank is at most the feature's threshold count, which fits `Q` (checked
                // when the forest is packed).
                let r = Q::from_index(r as usize);
                let nan = v.is_nan();
                let missing = nan | (v.abs() <= LIGHTGBM_ZERO);
                right[f] = if nan { Q::MAX } else { r };
                left[f] = if nan { Q::ZERO } else { r };
                zero_left[f] = if missing { Q::ZERO } else { r };
                zero_right[f] = if missing { Q::MAX } else { r };
                as_zero[f] = if nan { self.zero_ranks[f] } else { r };
            }
        }
    }

    /// The leaves `L` walks reach, in lockstep (see `Forest`'s module notes): walk `k` goes
    /// down tree `trees[k]` with ranks `q[k]` (and, for `SLOW` nodes, the row `x[k]`), one
    /// level of every walk per round, for as many rounds as the deepest tree has levels.
    ///
    /// # Panics
    /// If a tree index is out of range, or a rank slice is not `rank_len` long, or (with
    /// `SLOW`) a row is shorter than the features.
    #[inline(always)]
    pub fn walk<const L: usize, const SLOW_NODES: bool>(
        &self,
        forest: &Forest,
        trees: [usize; L],
        q: [&[Q]; L],
        x: [&[f64]; L],
    ) -> [f64; L] {
        for k in 0..L {
            assert_eq!(q[k].len(), self.rank_len(), "ranks of a row");
            if SLOW_NODES {
                assert!(x[k].len() >= self.n, "row of {} values", x[k].len());
            }
        }
        let rounds = trees.iter().map(|&t| forest.depth(t)).max().unwrap_or(0);
        let mut at = trees.map(|t| forest.root(t));
        for _ in 0..rounds {
            for k in 0..L {
                at[k] = self.step::<SLOW_NODES>(forest, at[k], q[k], x[k]);
            }
        }
        at.map(|i| self.values[i])
    }

    /// One level of a walk from node `i`: the next node (`i` itself at a leaf).
    #[inline(always)]
    fn step<const SLOW_NODES: bool>(&self, forest: &Forest, i: usize, q: &[Q], x: &[f64]) -> usize {
        debug_assert!(i < self.nodes.len(), "node {i} of {}", self.nodes.len());
        // `i` is a root, or a child this function returned: a split's `i + 1` (pre-order:
        // its left child follows it), its right child, or a leaf's own index; all are nodes
        // of the forest (`Forest::push_tree` keeps trees whole), which has as many nodes
        // as `self.nodes`.
        // SAFETY: so `i < self.nodes.len()`.
        let node = unsafe { self.nodes.get_unchecked(i) };
        let left = if SLOW_NODES && node.next & SLOW != 0 {
            forest.slow_left(i, x[node.slot.index()])
        } else {
            let s = node.slot.index();
            debug_assert!(s < q.len(), "slot {s} of {}", q.len());
            // SAFETY: `build` makes slots below `5 * n` (a feature below the forest's
            // `row_len` = `n`, plus a variant times `n`), and `walk` checked that `q` holds
            // `rank_len() = 5 * n + 2` ranks.
            let r = unsafe { *q.get_unchecked(s) };
            r < node.lim
        };
        // The direction is data, as good as random to a branch predictor: ask for a
        // conditional move, not a branch.
        // Without SLOW nodes no `next` carries the flag: nothing to clear.
        let next = if SLOW_NODES {
            node.next & !SLOW
        } else {
            node.next
        };
        std::hint::select_unpredictable(left, i + 1, next as usize)
    }
}

/// What the perfect form is built from.
impl<Q: Rank> Nodes for Packed<Q> {
    fn narrow(&self) -> bool {
        std::mem::size_of::<Q>() == 2
    }

    fn has_slow(&self) -> bool {
        self.has_slow
    }

    /// `5 * n`: the module table's five slots per feature.
    fn slot_count(&self) -> usize {
        5 * self.n
    }

    fn slot_lim(&self, i: usize) -> (usize, usize) {
        (self.nodes[i].slot.index(), self.nodes[i].lim.index())
    }

    /// 0 at a split.
    fn leaf_value(&self, i: usize) -> f64 {
        self.values[i]
    }
}

#[cfg(test)]
mod tests {
    use super::super::compiled::{RawNode, Split};
    use super::*;
    use proptest::prelude::*;

    /// Values that make ties, signed zeros, LightGBM's zero band and infinities likely.
    const VALUES: [f64; 10] = [
        f64::NEG_INFINITY,
        -1.5,
        -LIGHTGBM_ZERO,
        -0.0,
        0.0,
        1e-36,
        LIGHTGBM_ZERO,
        0.25,
        1.5,
        f64::INFINITY,
    ];

    /// The textbook walk of an importer's node list.
    fn reference(nodes: &[RawNode], x: &[f64]) -> f64 {
        let mut i = 0;
        loop {
            match &nodes[i] {
                RawNode::Leaf(v) => return *v,
                RawNode::Split {
                    feature,
                    split:
                        Split::Numeric {
                            threshold,
                            nan_left,
                            zero_missing,
                        },
                    left,
                    right,
                } => {
                    let v = x[*feature];
                    let missing = v.is_nan() || (*zero_missing && v.abs() <= LIGHTGBM_ZERO);
                    let go_left = if missing { *nan_left } else { v <= *threshold };
                    i = if go_left { *left } else { *right };
                }
                RawNode::Split { .. } => unreachable!("numeric trees only"),
            }
        }
    }

    /// A random numeric tree over `n_features` from a stream of choices.
    fn tree(choices: &[u8], n_features: usize) -> Vec<RawNode> {
        let mut nodes = vec![RawNode::Leaf(0.0)];
        let mut open = vec![(0usize, 0usize)];
        let mut c = choices.iter().copied().cycle();
        let mut leaves = 0.0;
        while let Some((i, depth)) = open.pop() {
            let pick = c.next().unwrap_or(0);
            if depth >= 7 || pick % 4 == 0 {
                leaves += 1.0;
                nodes[i] = RawNode::Leaf(leaves);
                continue;
            }
            let (left, right) = (nodes.len(), nodes.len() + 1);
            nodes.push(RawNode::Leaf(0.0));
            nodes.push(RawNode::Leaf(0.0));
            let feature = usize::from(c.next().unwrap_or(0)) % n_features;
            let threshold = VALUES[usize::from(c.next().unwrap_or(0)) % VALUES.len()];
            let zero_missing = pick & 2 == 2;
            // Feature 0 follows LightGBM's missing type None (NaN read as 0) wherever it is
            // not zero-as-missing, so that its NaN ranks as 0.0 (slot `4n`).
            let nan_left = if feature == 0 && !zero_missing {
                0.0 <= threshold
            } else {
                pick & 1 == 1
            };
            nodes[i] = RawNode::Split {
                feature,
                split: Split::Numeric {
                    threshold,
                    nan_left,
                    zero_missing,
                },
                left,
                right,
            };
            open.push((right, depth + 1));
            open.push((left, depth + 1));
        }
        nodes
    }

    fn check<Q: Rank>(forest: &Forest, p: &Packed<Q>, trees: &[Vec<RawNode>], x: &[f64]) {
        let mut q = vec![Q::ZERO; p.rank_len()];
        p.rank_row(Isa::detect(), x, &mut q);
        for (t, nodes) in trees.iter().enumerate() {
            let want = reference(nodes, x);
            assert_eq!(
                p.walk::<1, false>(forest, [t], [&q], [x])[0],
                want,
                "tree {t}, row {x:?}"
            );
            assert_eq!(
                p.walk::<1, true>(forest, [t], [&q], [x])[0],
                want,
                "tree {t}, row {x:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn packed_walks_go_where_the_tests_say(
            choices in proptest::collection::vec(any::<u8>(), 1..200),
            picks in proptest::collection::vec(0usize..12, 3),
            wide_features in any::<bool>(),
        ) {
            // 20 000 features do not fit u16 slots: the wide form.
            let n = if wide_features { 20_000 } else { 3 };
            let trees: Vec<Vec<RawNode>> =
                choices.chunks(37).map(|c| tree(c, 3)).collect();
            let mut forest = Forest::default();
            for t in &trees {
                forest.push_tree(t, 0, n).unwrap();
            }
            let mut x = vec![f64::NAN; n];
            for (v, &k) in x.iter_mut().zip(&picks) {
                *v = VALUES.get(k).copied().unwrap_or(if k == 10 { f64::NAN } else { 0.3 });
            }
            match PackedForest::new(&forest) {
                PackedForest::Narrow(p) => {
                    prop_assert!(!wide_features);
                    check(&forest, &p, &trees, &x);
                    let wide = Packed::<u32>::build(&forest, &cuts(&forest));
                    check(&forest, &wide, &trees, &x);
                }
                PackedForest::Wide(p) => {
                    prop_assert!(wide_features);
                    check(&forest, &p, &trees, &x);
                }
            }
        }
    }

    proptest! {
        #[test]
        fn ranks_count_the_distinct_cuts_below(
            thresholds in proptest::collection::vec((0usize..11, -4i8..4), 0..300),
            row in proptest::collection::vec((-5i8..5, 0u8..4), 11),
        ) {
            // One stump per threshold; 11 features, some with no cut, some with many.
            let n = 11;
            let mut forest = Forest::default();
            let mut want: Vec<Vec<f64>> = vec![Vec::new(); n];
            for &(f, t) in &thresholds {
                let t = f64::from(t) / 2.0;
                forest
                    .push_tree(&[stump(f, t), RawNode::Leaf(1.0), RawNode::Leaf(2.0)], 0, n)
                    .unwrap();
                if !want[f].contains(&t) {
                    want[f].push(t);
                }
            }
            forest.push_tree(&[RawNode::Leaf(0.0)], 0, n).unwrap();
            let x: Vec<f64> = row
                .iter()
                .map(|&(v, kind)| match kind {
                    0 => f64::NAN,
                    1 => f64::from(v) / 2.0 + 0.25,
                    2 => f64::INFINITY * f64::from(v.signum()),
                    _ => f64::from(v) / 2.0,
                })
                .collect();
            let PackedForest::Narrow(p) = PackedForest::new(&forest) else { panic!("narrow") };
            let mut q = vec![0u16; p.rank_len()];
            p.rank_row(Isa::detect(), &x, &mut q);
            for f in 0..n {
                let below = want[f].iter().filter(|&&c| c < x[f]).count();
                let (nan, r) = (x[f].is_nan(), u16::try_from(below).unwrap());
                prop_assert_eq!(q[f], if nan { u16::MAX } else { r }, "feature {}", f);
                prop_assert_eq!(q[n + f], if nan { 0 } else { r });
                // Slot 4n + f: NaN ranks as 0.0 does.
                let zero = u16::try_from(want[f].iter().filter(|&&c| c < 0.0).count()).unwrap();
                prop_assert_eq!(q[4 * n + f], if nan { zero } else { r });
            }
        }
    }

    /// LightGBM's missing type None sends NaN left at thresholds >= 0 and right below: one
    /// slot (NaN ranked as 0.0) serves both; a feature with one other node keeps two.
    #[test]
    fn nan_read_as_zero_takes_one_slot() {
        let none_style = |feature: usize, threshold: f64, nan_left: bool| RawNode::Split {
            feature,
            split: Split::Numeric {
                threshold,
                nan_left,
                zero_missing: false,
            },
            left: 1,
            right: 2,
        };
        let n = 2;
        let mut forest = Forest::default();
        let stumps = [
            none_style(0, -1.0, false),
            none_style(0, 1.0, true),
            none_style(0, -0.0, true),
            none_style(1, -1.0, false),
            // NaN left below zero: not where 0.0 goes, so feature 1 keeps its variants.
            none_style(1, -2.0, true),
        ];
        for s in &stumps {
            forest
                .push_tree(&[s.clone(), RawNode::Leaf(1.0), RawNode::Leaf(2.0)], 0, n)
                .unwrap();
        }
        let PackedForest::Narrow(p) = PackedForest::new(&forest) else {
            panic!("narrow")
        };
        let slots: Vec<usize> = (0..stumps.len())
            .map(|t| p.slot_lim(forest.root(t)).0)
            .collect();
        assert_eq!(slots, [4 * n, 4 * n, 4 * n, 1, n + 1]);
        for x in [
            [f64::NAN, f64::NAN],
            [0.0, -1.5],
            [-1.0, 1.0],
            [2.0, f64::NAN],
        ] {
            check(
                &forest,
                &p,
                &stumps
                    .iter()
                    .map(|s| vec![s.clone(), RawNode::Leaf(1.0), RawNode::Leaf(2.0)])
                    .collect::<Vec<_>>(),
                &x,
            );
        }
    }

    fn stump(feature: usize, threshold: f64) -> RawNode {
        RawNode::Split {
            feature,
            split: Split::Numeric {
                threshold,
                nan_left: false,
                zero_missing: false,
            },
            left: 1,
            right: 2,
        }
    }
}
