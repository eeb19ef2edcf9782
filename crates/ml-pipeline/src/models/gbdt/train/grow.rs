//! Growing one tree from the gradients: leaf-wise (the leaf whose best split gains most is
//! split next, LightGBM's default) or depth-wise (leaves split level by level, in the order
//! they were made), up to `num_leaves` leaves and `max_depth` levels.

use super::binning::Binned;
use super::histograms::Builder;
use super::partition::{self, Partition};
use super::split::{best_split, Candidate, Rules, Sums};
use crate::models::gbdt::compiled::{RawNode, Split};
use crate::models::gbdt::xgboost::f32_less_as_f64_le;
use fast_math::Team;
use std::cell::{Cell, RefCell};

/// How trees grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Growth {
    /// The leaf whose best split gains most is split next (LightGBM's only mode).
    LeafWise,
    /// Leaves are split level by level (XGBoost's default `grow_policy=depthwise`).
    DepthWise,
}

/// A node of a grown tree.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum TreeNode {
    Leaf {
        /// The leaf's value, learning rate included (set after growth).
        value: f32,
        sums: Sums,
    },
    Split {
        feature: usize,
        /// The last value bin that goes left.
        bin: u8,
        /// `(float)x < threshold` goes left.
        threshold: f32,
        default_left: bool,
        gain: f64,
        left: usize,
        right: usize,
        sums: Sums,
    },
}

/// A grown tree: `nodes[0]` is the root.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Tree {
    pub nodes: Vec<TreeNode>,
}

impl Tree {
    /// The leaf node row `i` of `binned` reaches (the same leaf its raw values reach in the
    /// exported model, as bins are exact for the float32 test).
    pub fn leaf_of(&self, binned: &Binned, i: usize) -> usize {
        let mut at = 0;
        while let TreeNode::Split {
            feature,
            bin,
            default_left,
            left,
            right,
            ..
        } = self.nodes[at]
        {
            let b = binned.cols[feature][i];
            let go_left = if b == binned.mappers[feature].missing_bin() {
                default_left
            } else {
                b <= bin
            };
            at = if go_left { left } else { right };
        }
        at
    }

    /// The leaf value of node `at` (0 for a split).
    pub fn value(&self, at: usize) -> f32 {
        match self.nodes[at] {
            TreeNode::Leaf { value, .. } => value,
            TreeNode::Split { .. } => 0.0,
        }
    }

    /// The tree as the compiled forest takes it: XGBoost's float32 test as the exact float64
    /// one.
    pub fn to_raw(&self) -> Vec<RawNode> {
        self.nodes
            .iter()
            .map(|n| match *n {
                TreeNode::Leaf { value, .. } => RawNode::Leaf(f64::from(value)),
                TreeNode::Split {
                    feature,
                    threshold,
                    default_left,
                    left,
                    right,
                    ..
                } => RawNode::Split {
                    feature,
                    split: Split::Numeric {
                        // Bounds are finite or +inf, which the conversion always takes.
                        threshold: f32_less_as_f64_le(threshold).unwrap_or(f64::INFINITY),
                        nan_left: default_left,
                        zero_missing: false,
                    },
                    left,
                    right,
                },
            })
            .collect()
    }
}

/// How one tree is grown.
pub(super) struct Grower<'a> {
    pub rules: Rules,
    pub num_leaves: usize,
    pub max_depth: Option<usize>,
    pub growth: Growth,
    pub builder: Builder<'a>,
    pub clock: &'a GrowClock,
    /// Histogram buffers of earlier trees, reused: a fresh one per split costs its zeroing
    /// and, at hundreds of kilobytes, page faults. `Builder::build` zeroes the parts it
    /// fills; nothing reads the others.
    pub spare: &'a RefCell<Vec<Vec<[f64; 2]>>>,
}

/// Seconds a grower spent in each phase, summed over the trees it grew.
#[derive(Default)]
pub(super) struct GrowClock {
    pub histograms: Cell<f64>,
    pub splits: Cell<f64>,
    pub partition: Cell<f64>,
}

struct Leaf {
    node: usize,
    depth: usize,
    sums: Sums,
    /// The leaf's histogram over the used features (empty once it cannot be split).
    hist: Vec<[f64; 2]>,
    best: Option<Candidate>,
}

impl Grower<'_> {
    /// Grows a tree on the pairs `gh` (one per row of the binned data) of `rows` (`None`:
    /// every row). Leaves have value 0; the partition tells each leaf's rows, and the
    /// returned list each leaf's node.
    pub fn grow(&self, gh: &[[f32; 2]], rows: Option<Vec<u32>>) -> (Tree, Partition, Vec<usize>) {
        let binned = self.builder.binned;
        let mut hist = self.buffer();
        let sums;
        let clock = self.clock;
        let partition = match rows {
            None => {
                timed(&clock.histograms, || {
                    self.builder.build(None, gh, &mut hist)
                });
                sums = sum_pairs(gh);
                #[allow(clippy::cast_possible_truncation)] // checked: rows fit in u32
                Partition::new((0..binned.rows as u32).collect())
            }
            Some(rows) => {
                let ordered = timed(&clock.partition, || gather(gh, &rows, self.builder.team));
                timed(&clock.histograms, || {
                    self.builder.build(Some(&rows), &ordered, &mut hist);
                });
                sums = sum_pairs(&ordered);
                Partition::new(rows)
            }
        };
        let mut partition = partition;
        let mut tree = Tree {
            nodes: vec![TreeNode::Leaf { value: 0.0, sums }],
        };
        let mut leaves = vec![Leaf {
            node: 0,
            depth: 0,
            sums,
            best: None,
            hist,
        }];
        leaves[0].best = timed(&clock.splits, || self.best(&leaves[0]));
        while leaves.len() < self.num_leaves {
            let Some(l) = self.pick(&leaves) else { break };
            let Some(c) = leaves[l].best.take() else {
                break;
            };
            let col = &binned.cols[c.feature];
            let missing = binned.mappers[c.feature].missing_bin();
            let r = timed(&clock.partition, || {
                partition.split(
                    l,
                    col,
                    |b| {
                        if b == missing {
                            c.default_left
                        } else {
                            b <= c.bin
                        }
                    },
                    self.builder.team,
                )
            });
            let left = Sums {
                n: partition.rows(l).len(),
                ..c.left
            };
            let right = Sums {
                n: partition.rows(r).len(),
                ..c.right
            };
            let (left_node, right_node) = (tree.nodes.len(), tree.nodes.len() + 1);
            let parent = &leaves[l];
            tree.nodes[parent.node] = TreeNode::Split {
                feature: c.feature,
                bin: c.bin,
                threshold: binned.mappers[c.feature].bounds[usize::from(c.bin)],
                default_left: c.default_left,
                gain: c.gain,
                left: left_node,
                right: right_node,
                sums: parent.sums,
            };
            tree.nodes.push(TreeNode::Leaf {
                value: 0.0,
                sums: left,
            });
            tree.nodes.push(TreeNode::Leaf {
                value: 0.0,
                sums: right,
            });
            let depth = parent.depth + 1;
            // Histograms only where another split may follow.
            let more =
                leaves.len() + 1 < self.num_leaves && self.max_depth.is_none_or(|d| depth < d);
            let mut parent_hist = std::mem::take(&mut leaves[l].hist);
            let (mut left_hist, mut right_hist) = (Vec::new(), Vec::new());
            if more {
                let (small, small_is_left) = if left.n <= right.n {
                    (l, true)
                } else {
                    (r, false)
                };
                let rows = partition.rows(small);
                let mut small_hist = self.buffer();
                let pairs = timed(&clock.partition, || gather(gh, rows, self.builder.team));
                timed(&clock.histograms, || {
                    self.builder.build(Some(rows), &pairs, &mut small_hist);
                    self.builder.subtract(&mut parent_hist, &small_hist);
                });
                (left_hist, right_hist) = if small_is_left {
                    (small_hist, parent_hist)
                } else {
                    (parent_hist, small_hist)
                };
            } else if !parent_hist.is_empty() {
                self.spare.borrow_mut().push(parent_hist);
            }
            leaves[l] = Leaf {
                node: left_node,
                depth,
                sums: left,
                hist: left_hist,
                best: None,
            };
            leaves.push(Leaf {
                node: right_node,
                depth,
                sums: right,
                hist: right_hist,
                best: None,
            });
            if more {
                timed(&clock.splits, || {
                    leaves[l].best = self.best(&leaves[l]);
                    leaves[r].best = self.best(&leaves[r]);
                });
            }
        }
        let leaf_nodes = leaves.iter().map(|l| l.node).collect();
        self.spare
            .borrow_mut()
            .extend(leaves.into_iter().map(|l| l.hist).filter(|h| !h.is_empty()));
        (tree, partition, leaf_nodes)
    }

    /// A histogram buffer over every feature's bins: a spare one, or a new one.
    fn buffer(&self) -> Vec<[f64; 2]> {
        let total = self.builder.binned.total_bins;
        let spare = self.spare.borrow_mut().pop();
        spare
            .filter(|h| h.len() == total)
            .unwrap_or_else(|| vec![[0.0; 2]; total])
    }

    /// The next leaf to split: the largest gain (the first leaf on ties) leaf-wise; the
    /// shallowest splittable leaf, oldest first, depth-wise.
    fn pick(&self, leaves: &[Leaf]) -> Option<usize> {
        let candidates = leaves
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.best.map(|b| (i, l, b)));
        match self.growth {
            Growth::LeafWise => candidates
                .fold(None, |acc: Option<(usize, f64)>, (i, _, b)| match acc {
                    Some((_, g)) if g >= b.gain => acc,
                    _ => Some((i, b.gain)),
                })
                .map(|(i, _)| i),
            // Leaves are numbered in creation order, so the first of the least depth is the
            // oldest of the shallowest level.
            Growth::DepthWise => candidates
                .min_by_key(|(_, l, _)| l.depth)
                .map(|(i, _, _)| i),
        }
    }

    /// The best split of a leaf over the used features (the first feature on ties); the
    /// features split among the builder's threads when the leaf's histogram is large enough
    /// to repay it, each group's best then compared in feature order, so the answer does not
    /// depend on the thread count.
    fn best(&self, leaf: &Leaf) -> Option<Candidate> {
        if leaf.hist.is_empty() || self.max_depth.is_some_and(|d| leaf.depth >= d) {
            return None;
        }
        let binned = self.builder.binned;
        let features = self.builder.features;
        let rules = self.rules;
        let isa = self.builder.isa;
        let best_of = |group: &[usize]| {
            let mut best: Option<Candidate> = None;
            for &j in group {
                let c = best_split(&leaf.hist[binned.range(j)], j, leaf.sums, &rules, isa);
                if let Some(c) = c {
                    if best.is_none_or(|b| c.gain > b.gain) {
                        best = Some(c);
                    }
                }
            }
            best
        };
        let threads = self
            .builder
            .team
            .threads()
            .min(leaf.hist.len() / MIN_BINS_PER_THREAD)
            .max(1);
        if threads <= 1 {
            return best_of(features);
        }
        let groups: Vec<&[usize]> = features.chunks(features.len().div_ceil(threads)).collect();
        let mut found = vec![None; groups.len()];
        let jobs: Vec<(&[usize], &mut Option<Candidate>)> =
            groups.into_iter().zip(found.iter_mut()).collect();
        self.builder
            .team
            .for_each(jobs, |(group, out)| *out = best_of(group));
        found
            .into_iter()
            .flatten()
            .fold(None, |best, c| match best {
                Some(b) if c.gain <= b.gain => Some(b),
                _ => Some(c),
            })
    }
}

/// Adds the wall-clock time of `f` to `acc` (seconds).
pub(super) fn timed<T>(acc: &std::cell::Cell<f64>, f: impl FnOnce() -> T) -> T {
    let t = std::time::Instant::now();
    let out = f();
    acc.set(acc.get() + t.elapsed().as_secs_f64());
    out
}

/// Histogram entries (bins over all used features) below which a leaf's split search stays
/// on one thread: a search costs a few nanoseconds per bin, a hand-off to another thread
/// of the pool a few microseconds.
const MIN_BINS_PER_THREAD: usize = 2048;

/// `gh` of `rows`, in that order; a long list by the team's threads, each filling a block
/// of the output.
fn gather(gh: &[[f32; 2]], rows: &[u32], team: &Team) -> Vec<[f32; 2]> {
    let blocks = team
        .threads()
        .min(rows.len() / partition::MIN_ROWS_PER_BLOCK)
        .max(1);
    if blocks == 1 {
        // Most leaves: filled as gathered, without zeroing the output first.
        let mut out = Vec::with_capacity(rows.len());
        gather_extend(gh, rows, &mut out);
        return out;
    }
    let mut out = vec![[0.0f32; 2]; rows.len()];
    let per = rows.len().div_ceil(blocks).max(1);
    let jobs: Vec<_> = out.chunks_mut(per).zip(rows.chunks(per)).collect();
    team.for_each(jobs, |(out, rows)| gather_into(gh, rows, out));
    out
}

/// [`gather_into`] appending to `out`.
fn gather_extend(gh: &[[f32; 2]], rows: &[u32], out: &mut Vec<[f32; 2]>) {
    if !partition::is_sparse(rows) {
        out.extend(rows.iter().map(|&r| gh[r as usize]));
        return;
    }
    out.extend(rows.iter().enumerate().map(|(k, &r)| {
        if let Some(&a) = rows.get(k + partition::PREFETCH_AHEAD) {
            simd_kernels::prefetch(gh, a as usize);
        }
        gh[r as usize]
    }));
}

fn gather_into(gh: &[[f32; 2]], rows: &[u32], out: &mut [[f32; 2]]) {
    if !partition::is_sparse(rows) {
        for (o, &r) in out.iter_mut().zip(rows) {
            *o = gh[r as usize];
        }
        return;
    }
    for (k, (o, &r)) in out.iter_mut().zip(rows).enumerate() {
        if let Some(&a) = rows.get(k + partition::PREFETCH_AHEAD) {
            simd_kernels::prefetch(gh, a as usize);
        }
        *o = gh[r as usize];
    }
}

/// The sums of the pairs, in order, in float64.
fn sum_pairs(gh: &[[f32; 2]]) -> Sums {
    let (mut g, mut h) = (0.0, 0.0);
    for p in gh {
        g += f64::from(p[0]);
        h += f64::from(p[1]);
    }
    Sums { g, h, n: gh.len() }
}
