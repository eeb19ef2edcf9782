//! The compiled forest: every tree's nodes in one flat array, as importers describe them.
//!
//! Layout. A node is 16 bytes (`value: f64`, `feature: u32` with flag bits, `right: u32`).
//! Each tree is stored in depth-first pre-order, so a node's left child is the next node
//! and only the right child's index is kept: a root-to-leaf path of a small tree stays
//! within a few lines, and child indices always grow, so traversal ends on any input (no
//! cycle can be encoded). Leaves are nodes whose `value` is the leaf value. Trees follow
//! each other in the library's order.
//!
//! One comparison for both libraries. Importers turn each library's numeric test into
//! `x <= threshold` on the float64 input (XGBoost's float32 `(float)x < t` and LightGBM's
//! zero handling are folded into the threshold at load, see `xgboost` and `lightgbm`), with
//! a flag for where NaN goes. Categorical sets are decided by [`Forest::slow_left`].
//!
//! Walks do not read this form: they read its [`PackedForest`] (same node order, half the
//! bytes, integer tests), built once; leaf values and categorical sets stay here.

/// Feature index bits of `Node::feature`; the bits above are flags.
const FEATURE_MASK: u32 = (1 << 26) - 1;
/// The largest feature count a forest may read.
pub(super) const MAX_FEATURES: usize = FEATURE_MASK as usize + 1;
const LEAF: u32 = 1 << 31;
const NAN_LEFT: u32 = 1 << 30;
/// Zero-as-missing or categorical: decided by [`Forest::slow_left`].
const SLOW: u32 = 1 << 29;
const CATEGORICAL: u32 = 1 << 28;
/// Categorical: categories outside the set's range (and negative ones) go left.
const OTHER_LEFT: u32 = 1 << 27;
/// Categorical: XGBoost's reading of a category (float32, any negative value invalid);
/// otherwise LightGBM's (truncated float64, negative after truncation invalid).
const XGBOOST_CATEGORY: u32 = 1 << 26;

/// Words of categorical sets a forest may hold (64 MiB): a category number costs a few
/// bytes in a file but a bit in every set up to it, so this bounds what a file can demand.
const MAX_SET_WORDS: u64 = 1 << 24;

/// LightGBM reads any |x| <= this (its `kZeroThreshold`, 1e-35 as float32) as zero.
pub(super) const LIGHTGBM_ZERO: f64 = 1.000_000_018_002_509_5e-35;

/// A split test, as importers describe it.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Split {
    /// Left when `x <= threshold` (float64); NaN goes left when `nan_left`. With
    /// `zero_missing`, values with |x| <= [`LIGHTGBM_ZERO`] go the NaN way too.
    Numeric {
        threshold: f64,
        nan_left: bool,
        zero_missing: bool,
    },
    /// Left when the category (see `xgboost_style`) has its bit set in `left_set` (32
    /// categories per word); categories beyond the set and invalid ones go left when
    /// `other_left`; NaN goes left when `nan_left`.
    Categorical {
        left_set: Vec<u32>,
        nan_left: bool,
        other_left: bool,
        xgboost_style: bool,
    },
}

/// A node as importers describe it: children are indices into the tree's node list.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum RawNode {
    Leaf(f64),
    Split {
        feature: usize,
        split: Split,
        left: usize,
        right: usize,
    },
}

#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
struct Node {
    /// Threshold, leaf value, or for a categorical split the set's word offset (high 32
    /// bits) and word count (low 32 bits) as raw bits.
    value: f64,
    feature: u32,
    right: u32,
}

/// What a node tests, as [`PackedForest`] needs it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Test {
    Leaf,
    /// `x <= threshold`, with where NaN (and, with `zero_missing`, LightGBM's zeros) go.
    Numeric {
        feature: usize,
        threshold: f64,
        nan_left: bool,
        zero_missing: bool,
        right: u32,
    },
    /// Categorical: decided by [`Forest::slow_left`].
    Slow {
        feature: usize,
        right: u32,
    },
}

/// The largest node count a forest holds: child indices of 31 bits leave the packed form
/// (`packed`) a flag bit.
pub(super) const MAX_NODES: usize = (1 << 31) - 1;

/// Every tree of an ensemble, compiled.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Forest {
    nodes: Vec<Node>,
    /// First node of each tree.
    roots: Vec<u32>,
    /// Output group each tree adds to.
    groups: Vec<u32>,
    /// Splits on each tree's longest root-to-leaf path: the rounds a walk of it needs.
    depths: Vec<u32>,
    /// Values a row needs for the unchecked walk: the largest feature count of any tree
    /// pushed, at least 1 (a leaf reads feature 0 and ignores it).
    row_len: usize,
    /// Categorical sets, 32 categories per word.
    words: Vec<u32>,
}

impl Forest {
    /// Trees in the forest.
    pub fn n_trees(&self) -> usize {
        self.roots.len()
    }

    /// Compiles one tree (`nodes[0]` is its root) that adds to output `group`. Nodes no path
    /// from the root reaches (XGBoost's deleted nodes) are dropped.
    ///
    /// # Errors
    /// A message (the importer adds where) when a child index is out of range, a node is
    /// reached twice, a feature is not below `n_features`, or the forest outgrows its
    /// 32-bit indices.
    pub fn push_tree(
        &mut self,
        nodes: &[RawNode],
        group: usize,
        n_features: usize,
    ) -> Result<(), String> {
        // All or nothing: a tree refused half-way leaves no root or child index pointing
        // past the nodes, which the unchecked walk relies on.
        let lens = (self.nodes.len(), self.roots.len(), self.words.len());
        let pushed = self.push_whole_tree(nodes, group, n_features);
        if pushed.is_err() {
            self.nodes.truncate(lens.0);
            self.roots.truncate(lens.1);
            self.groups.truncate(lens.1);
            self.depths.truncate(lens.1);
            self.words.truncate(lens.2);
        } else {
            self.row_len = self.row_len.max(n_features).max(1);
        }
        pushed
    }

    fn push_whole_tree(
        &mut self,
        nodes: &[RawNode],
        group: usize,
        n_features: usize,
    ) -> Result<(), String> {
        if nodes.is_empty() {
            return Err("tree has no node".into());
        }
        let index = |i: usize| {
            u32::try_from(i)
                .ok()
                .filter(|&i| i as usize <= MAX_NODES)
                .ok_or_else(|| format!("forest larger than {MAX_NODES} nodes"))
        };
        self.roots.push(index(self.nodes.len())?);
        self.groups.push(index(group)?);
        let mut seen = vec![false; nodes.len()];
        let mut depth = 0;
        // (node of the tree, compiled parent whose right child it is, splits above it)
        let mut stack = vec![(0usize, None::<usize>, 0u32)];
        while let Some((i, parent, above)) = stack.pop() {
            let raw = nodes
                .get(i)
                .ok_or_else(|| format!("child index {i} beyond the {} nodes", nodes.len()))?;
            if std::mem::replace(&mut seen[i], true) {
                return Err(format!("node {i} is reached twice: not a tree"));
            }
            let here = self.nodes.len();
            if let Some(p) = parent {
                self.nodes[p].right = index(here)?;
            }
            let node = self.node(raw, n_features)?;
            self.nodes.push(node);
            if let RawNode::Split { left, right, .. } = *raw {
                stack.push((right, Some(here), above + 1));
                stack.push((left, None, above + 1));
            } else {
                depth = depth.max(above);
            }
        }
        index(self.nodes.len())?;
        self.depths.push(depth);
        Ok(())
    }

    fn node(&mut self, raw: &RawNode, n_features: usize) -> Result<Node, String> {
        let (feature, split) = match raw {
            RawNode::Leaf(v) => {
                return Ok(Node {
                    value: *v,
                    feature: LEAF,
                    right: 0,
                })
            }
            RawNode::Split { feature, split, .. } => (*feature, split),
        };
        if feature >= n_features {
            return Err(format!(
                "split on feature {feature}, but the model has {n_features} features"
            ));
        }
        // n_features <= MAX_FEATURES was checked by the importer.
        let mut flags = u32::try_from(feature).map_err(|_| "feature index too large")?;
        let flag = |on: bool, bit: u32| if on { bit } else { 0 };
        let value = match split {
            Split::Numeric {
                threshold,
                nan_left,
                zero_missing,
            } => {
                if threshold.is_nan() {
                    return Err("threshold is NaN".into());
                }
                flags |= flag(*nan_left, NAN_LEFT) | flag(*zero_missing, SLOW);
                *threshold
            }
            Split::Categorical {
                left_set,
                nan_left,
                other_left,
                xgboost_style,
            } => {
                flags |= SLOW
                    | CATEGORICAL
                    | flag(*nan_left, NAN_LEFT)
                    | flag(*other_left, OTHER_LEFT)
                    | flag(*xgboost_style, XGBOOST_CATEGORY);
                let offset = u64::try_from(self.words.len()).unwrap_or(u64::MAX);
                let len = u64::try_from(left_set.len()).unwrap_or(u64::MAX);
                if offset + len > MAX_SET_WORDS {
                    return Err(format!(
                        "categorical sets larger than {MAX_SET_WORDS} words in all"
                    ));
                }
                self.words.extend_from_slice(left_set);
                f64::from_bits((offset << 32) | len)
            }
        };
        Ok(Node {
            value,
            feature: flags,
            right: 0,
        })
    }

    /// Nodes of all trees.
    pub fn n_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Values a row must hold: the largest feature count of a tree, at least 1.
    pub fn row_len(&self) -> usize {
        self.row_len
    }

    /// The first node of tree `t`.
    #[inline(always)]
    pub fn root(&self, t: usize) -> usize {
        self.roots[t] as usize
    }

    /// Splits on tree `t`'s longest root-to-leaf path: the rounds a walk of it needs.
    #[inline(always)]
    pub fn depth(&self, t: usize) -> u32 {
        self.depths[t]
    }

    /// The leaf value of node `i` (meaningful at a leaf).
    #[inline(always)]
    pub fn value(&self, i: usize) -> f64 {
        self.nodes[i].value
    }

    /// What node `i` tests, for [`PackedForest`](super::packed::PackedForest).
    pub fn test(&self, i: usize) -> Test {
        let n = self.nodes[i];
        let feature = (n.feature & FEATURE_MASK) as usize;
        if n.feature & LEAF != 0 {
            Test::Leaf
        } else if n.feature & CATEGORICAL != 0 {
            Test::Slow {
                feature,
                right: n.right,
            }
        } else {
            Test::Numeric {
                feature,
                threshold: n.value,
                nan_left: n.feature & NAN_LEFT != 0,
                zero_missing: n.feature & SLOW != 0,
                right: n.right,
            }
        }
    }

    /// The output group tree `t` adds to.
    #[inline(always)]
    pub fn group(&self, t: usize) -> usize {
        self.groups[t] as usize
    }

    /// Whether `v` goes left at node `i`, a categorical or zero-as-missing split.
    #[cold]
    #[inline(never)]
    pub fn slow_left(&self, i: usize, v: f64) -> bool {
        let n = self.nodes[i];
        if n.feature & LEAF != 0 {
            return false;
        }
        let nan_left = n.feature & NAN_LEFT != 0;
        if v.is_nan() {
            return nan_left;
        }
        if n.feature & CATEGORICAL == 0 {
            // LightGBM's zero-as-missing: zeros go where NaN goes.
            return if v.abs() <= LIGHTGBM_ZERO {
                nan_left
            } else {
                v <= n.value
            };
        }
        let other_left = n.feature & OTHER_LEFT != 0;
        let category = if n.feature & XGBOOST_CATEGORY != 0 {
            // XGBoost reads the input as float32 and rejects any negative value.
            #[allow(clippy::cast_possible_truncation)] // as XGBoost does
            let c = v as f32;
            if c < 0.0 {
                return other_left;
            }
            f64::from(c).trunc()
        } else {
            let c = v.trunc();
            if c < 0.0 {
                return other_left;
            }
            c
        };
        let bits = n.value.to_bits();
        let (offset, len) = ((bits >> 32) as usize, (bits & 0xffff_ffff) as usize);
        let set = &self.words[offset..offset + len];
        #[allow(clippy::cast_precision_loss)] // set sizes are far below 2^53
        if category >= (set.len() * 32) as f64 {
            return other_left;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 0 <= c < len * 32
        let c = category as usize;
        set[c / 32] >> (c % 32) & 1 == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Forest {
        /// The leaf value `x` reaches in tree `t`, through the packed walk.
        fn leaf(&self, t: usize, x: &[f64]) -> f64 {
            use super::super::packed::PackedForest;
            match PackedForest::new(self) {
                PackedForest::Narrow(p) => {
                    let mut q = vec![0; p.rank_len()];
                    p.rank_row(simd_kernels::Isa::detect(), x, &mut q);
                    p.walk::<1, true>(self, [t], [&q], [x])[0]
                }
                PackedForest::Wide(p) => {
                    let mut q = vec![0; p.rank_len()];
                    p.rank_row(simd_kernels::Isa::detect(), x, &mut q);
                    p.walk::<1, true>(self, [t], [&q], [x])[0]
                }
            }
        }
    }

    fn split(feature: usize, threshold: f64, left: usize, right: usize) -> RawNode {
        RawNode::Split {
            feature,
            split: Split::Numeric {
                threshold,
                nan_left: true,
                zero_missing: false,
            },
            left,
            right,
        }
    }

    #[test]
    fn preorder_layout_traverses_like_the_node_list() {
        // Root's children listed out of order, to check the re-layout.
        let nodes = [
            split(0, 0.5, 2, 1),
            RawNode::Leaf(3.0),
            split(1, -1.0, 3, 4),
            RawNode::Leaf(1.0),
            RawNode::Leaf(2.0),
        ];
        let mut f = Forest::default();
        f.push_tree(&nodes, 0, 2).unwrap();
        assert_eq!(f.leaf(0, &[0.5, -1.0]), 1.0);
        assert_eq!(f.leaf(0, &[0.0, 0.0]), 2.0);
        assert_eq!(f.leaf(0, &[0.6, -5.0]), 3.0);
        assert_eq!(f.leaf(0, &[f64::NAN, f64::NAN]), 1.0);
    }

    #[test]
    fn malformed_trees_are_refused() {
        let mut f = Forest::default();
        assert!(f.push_tree(&[split(0, 0.0, 0, 0)], 0, 1).is_err());
        assert!(f
            .push_tree(&[split(0, 0.0, 1, 5), RawNode::Leaf(0.0)], 0, 1)
            .is_err());
        let e = f.push_tree(
            &[split(3, 0.0, 1, 2), RawNode::Leaf(0.0), RawNode::Leaf(1.0)],
            0,
            2,
        );
        assert!(e.unwrap_err().contains("feature 3"));
        assert!(f.push_tree(&[], 0, 2).is_err());
    }

    #[test]
    fn categorical_sets_follow_each_library() {
        let cat = |xgboost_style, other_left| RawNode::Split {
            feature: 0,
            split: Split::Categorical {
                left_set: vec![0b1010],
                nan_left: false,
                other_left,
                xgboost_style,
            },
            left: 1,
            right: 2,
        };
        let mut f = Forest::default();
        f.push_tree(
            &[cat(true, true), RawNode::Leaf(1.0), RawNode::Leaf(0.0)],
            0,
            1,
        )
        .unwrap();
        f.push_tree(
            &[cat(false, false), RawNode::Leaf(1.0), RawNode::Leaf(0.0)],
            0,
            1,
        )
        .unwrap();
        let go = |t, x| f.leaf(t, &[x]);
        assert_eq!((go(0, 1.0), go(0, 3.9), go(0, 2.0)), (1.0, 1.0, 0.0));
        // XGBoost: negative or beyond the set goes left; LightGBM: right.
        assert_eq!((go(0, -0.5), go(0, 40.0)), (1.0, 1.0));
        assert_eq!((go(1, -0.5), go(1, -1.0), go(1, 40.0)), (0.0, 0.0, 0.0));
        assert_eq!(go(1, 1.5), 1.0);
        assert_eq!(go(0, f64::NAN), 0.0);
    }
}
