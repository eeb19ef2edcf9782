//! The boosting loop: gradients from the current margins, one tree per output group, leaf
//! values, margins updated exactly as the exported model will compute them (float32 sums
//! from the base margin), the validation metric and early stopping.

use super::binning::{sample_rows_of, Binned};
use super::grow::{timed, GrowClock, Grower, Tree, TreeNode};
use super::histograms::Builder;
use super::objective::{weighted_quantile, Objective};
use super::params::{GbdtParams, TrainExtras, TrainPhases, TrainedGbdt, MODEL};
use super::partition::{self, Partition};
use crate::ablation::Ablation;
use crate::error::{PipelineError, Result};
use crate::models::checks::check_shapes;
use crate::models::gbdt::compiled::{Forest, MAX_FEATURES};
use crate::models::gbdt::model::GbdtModel;
use crate::models::gbdt::objective::Link;
use fast_math::{MatRef, Par, Team};
use seeded_rng::Rng;
use std::cell::{Cell, RefCell};
use std::time::Instant;

/// Streams drawn from `seed` for each random choice, so changing one (say, bagging) leaves
/// the others as they were.
const BAG_STREAM: u64 = 0x6261_6767_696e_6731;
const FEATURE_STREAM: u64 = 0x6665_6174_7572_6531;

/// Checks everything about the data that training relies on.
pub(super) fn check_data(
    p: &GbdtParams,
    x: MatRef<'_, f64>,
    y: &[f64],
    extras: &TrainExtras<'_>,
) -> Result<()> {
    check_shapes(x, Some(y))?;
    check_sizes(p, x.nrows(), x.ncols(), y, extras)
}

/// [`check_data`] for data of `n` rows and `k` features known by their sizes only (a
/// dataset binned ahead).
pub(super) fn check_sizes(
    p: &GbdtParams,
    n: usize,
    k: usize,
    y: &[f64],
    extras: &TrainExtras<'_>,
) -> Result<()> {
    if n == 0 || k == 0 {
        return Err(PipelineError::EmptyData { rows: n, cols: k });
    }
    if y.len() != n {
        return Err(PipelineError::ShapeMismatch {
            what: "target length vs feature rows",
            expected: n,
            got: y.len(),
        });
    }
    if u32::try_from(n).is_err() || k > MAX_FEATURES {
        return Err(PipelineError::ShapeMismatch {
            what: "rows (at most 2^32 - 1) or features (at most 2^26)",
            expected: u32::MAX as usize,
            got: n,
        });
    }
    p.objective.check_labels(y, k)?;
    check_weights(extras.weights, n)?;
    if let Some(v) = &extras.valid {
        if v.x.ncols() != k {
            return Err(PipelineError::ShapeMismatch {
                what: "validation columns vs training columns",
                expected: k,
                got: v.x.ncols(),
            });
        }
        check_shapes(v.x, Some(v.y))?;
        p.objective.check_labels(v.y, k)?;
        check_weights(v.weights, v.y.len())?;
    } else if p.early_stopping_rounds.is_some() {
        return Err(PipelineError::InvalidHyperparameter {
            model: MODEL,
            name: "early_stopping_rounds",
            value: format!("{:?}", p.early_stopping_rounds),
            expected: "None without a validation set".into(),
        });
    }
    if let Some(names) = extras.feature_names {
        if names.len() != k {
            return Err(PipelineError::ShapeMismatch {
                what: "feature names vs columns",
                expected: k,
                got: names.len(),
            });
        }
    }
    Ok(())
}

fn check_weights(w: Option<&[f64]>, n: usize) -> Result<()> {
    let Some(w) = w else { return Ok(()) };
    if w.len() != n {
        return Err(PipelineError::ShapeMismatch {
            what: "weights vs rows",
            expected: n,
            got: w.len(),
        });
    }
    if let Some((row, &value)) = w
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
    {
        return Err(PipelineError::BadWeight { row, value });
    }
    if w.iter().all(|&v| v == 0.0) {
        return Err(PipelineError::BadWeight { row: 0, value: 0.0 });
    }
    Ok(())
}

/// Margins of every row, group-major, starting from the base margins.
fn start_scores(margins: &[f32], n: usize) -> Vec<f32> {
    margins
        .iter()
        .flat_map(|&m| std::iter::repeat_n(m, n))
        .collect()
}

/// Adds tree `tree`'s leaf for each row of `binned` to group `g`'s margins, in float32 as
/// the model sums.
fn add_tree(tree: &Tree, binned: &Binned, scores: &mut [f32], g: usize) {
    let n = binned.rows;
    for (i, s) in scores[g * n..(g + 1) * n].iter_mut().enumerate() {
        *s += tree.value(tree.leaf_of(binned, i));
    }
}

/// [`add_tree`] for the training rows: the rows the tree was grown on take their leaf from
/// the partition (a pass over row ranges, no walk), the others (out of the bag) walk the
/// tree. Each row gets the same float32 addition either way. Many rows are shared among
/// the team's threads by row range (each thread adds into its own part of the margins; a
/// leaf's rows are ascending, so its share of a range is a slice of them).
fn add_grown(
    grown: &Grown,
    binned: &Binned,
    bagged: Option<&[bool]>,
    scores: &mut [f32],
    g: usize,
    team: &Team,
) {
    let n = binned.rows;
    let scores = &mut scores[g * n..(g + 1) * n];
    let blocks = team.threads().min(n / partition::MIN_ROWS_PER_BLOCK).max(1);
    let per = n.div_ceil(blocks).max(1);
    let jobs: Vec<_> = scores.chunks_mut(per).enumerate().collect();
    team.for_each(jobs, |(b, part)| {
        let lo = b * per;
        let hi = lo + part.len();
        for (leaf, &node) in grown.leaves.iter().enumerate() {
            let v = grown.tree.value(node);
            let rows = grown.partition.rows(leaf);
            let rows = &rows[rows.partition_point(|&r| (r as usize) < lo)
                ..rows.partition_point(|&r| (r as usize) < hi)];
            let sparse = partition::is_sparse(rows);
            for (k, &r) in rows.iter().enumerate() {
                if sparse {
                    if let Some(&a) = rows.get(k + partition::PREFETCH_AHEAD) {
                        simd_kernels::prefetch(part, a as usize - lo);
                    }
                }
                part[r as usize - lo] += v;
            }
        }
        if let Some(bagged) = bagged {
            for (i, s) in (lo..).zip(part.iter_mut()) {
                if !bagged[i] {
                    *s += grown.tree.value(grown.tree.leaf_of(binned, i));
                }
            }
        }
    });
}

/// A tree, the rows of each of its leaves, and each leaf's node.
struct Grown {
    tree: Tree,
    partition: Partition,
    leaves: Vec<usize>,
}

/// Trains; the data and hyperparameters were checked.
#[allow(clippy::cast_possible_truncation)] // float32 leaves, u32 rows: checked or intended
#[allow(clippy::cast_precision_loss, clippy::cast_sign_loss)] // sample sizes
pub(super) fn train(
    p: &GbdtParams,
    ablation: Ablation,
    binned: &Binned,
    binning_secs: f64,
    y: &[f64],
    extras: &TrainExtras<'_>,
    par: Par,
) -> TrainedGbdt {
    let start = Instant::now();
    let (n, k) = (binned.rows, binned.mappers.len());
    let ones = vec![1.0; n];
    let w = extras.weights.unwrap_or(&ones);
    let (binning, gradients, updates) = (Cell::new(binning_secs), Cell::new(0.0), Cell::new(0.0));
    let clock = GrowClock::default();
    let valid = extras.valid.map(|v| {
        let vw = v
            .weights
            .map_or_else(|| vec![1.0; v.y.len()], <[f64]>::to_vec);
        let vb = timed(&binning, || {
            Binned::with_mappers(v.x, binned.mappers.clone())
        });
        (vb, v.y, vw)
    });
    // Row-major bins for the histograms of sparse leaves (a copy: n x k bytes more), when
    // the bins outgrow the last-level cache: then a sparse leaf's column reads miss it, one
    // line per feature and row, where a row's bins share one line. Bins that fit in the
    // cache are read faster by the column kernels.
    let row_bins = if n.saturating_mul(k) > simd_kernels::cache::CacheSizes::detect().l3 {
        timed(&binning, || binned.row_major(par))
    } else {
        Vec::new()
    };
    // The boosting loop is thousands of short parallel steps: a team whose threads wait
    // for the next step awake (the rayon pools above stay idle meanwhile).
    let team = Team::new(par.threads());
    let spare_histograms = RefCell::new(Vec::new());
    let (margins, base_score) = p.objective.base_margins(y, w);
    let groups = p.objective.n_groups();
    let mut scores = start_scores(&margins, n);
    let mut valid_scores = valid.as_ref().map(|v| start_scores(&margins, v.0.rows));
    let usable: Vec<usize> = (0..k)
        .filter(|&j| binned.mappers[j].value_bins() >= 2)
        .collect();
    let mut bag_rng = Rng::new(p.seed ^ BAG_STREAM);
    let mut feature_rng = Rng::new(p.seed ^ FEATURE_STREAM);
    let rules = p.rules();
    let mut trees: Vec<Tree> = Vec::new();
    let mut history = Vec::new();
    let mut train_history = Vec::new();
    let mut best: Option<(usize, f64)> = None;
    let mut gh = vec![vec![[0.0f32; 2]; n]; groups];
    let mut bag: Option<Vec<u32>> = None;
    let mut bagged: Option<Vec<bool>> = None;
    for it in 0..p.n_estimators {
        if p.bagging_freq > 0 && it % p.bagging_freq == 0 && p.bagging_fraction < 1.0 {
            let keep = ((p.bagging_fraction * n as f64).round() as usize).max(1);
            let rows = sample_rows_of(n, keep, bag_rng.next_u64());
            let mut mask = vec![false; n];
            for &r in &rows {
                mask[r] = true;
            }
            bagged = Some(mask);
            bag = Some(rows.into_iter().map(|r| r as u32).collect());
        }
        // Every group's gradients come from the margins before this iteration's trees.
        timed(&gradients, || {
            p.objective.gradients(y, w, &scores, &mut gh, &team);
        });
        let mut grown = Vec::with_capacity(groups);
        for (g, pairs) in gh.iter().enumerate() {
            let features = sample_features(&usable, p.feature_fraction, &mut feature_rng);
            let grower = Grower {
                rules,
                num_leaves: p.num_leaves,
                max_depth: p.max_depth,
                growth: p.growth,
                builder: Builder {
                    binned,
                    row_bins: &row_bins,
                    features: &features,
                    isa: ablation.isa,
                    team: &team,
                },
                clock: &clock,
                spare: &spare_histograms,
            };
            let (mut tree, partition, leaves) = grower.grow(pairs, bag.clone());
            let leaf_values = Instant::now();
            for (leaf, &node) in leaves.iter().enumerate() {
                let TreeNode::Leaf { value, sums } = &mut tree.nodes[node] else {
                    continue;
                };
                let raw = match p.objective {
                    // LightGBM renews quantile leaves: the alpha-quantile of the residuals.
                    Objective::Quantile { alpha } => {
                        let rows: Vec<usize> =
                            partition.rows(leaf).iter().map(|&r| r as usize).collect();
                        let score = &scores[g * n..(g + 1) * n];
                        weighted_quantile(&rows, |i| y[i] - f64::from(score[i]), w, alpha)
                    }
                    _ => rules.leaf_output(*sums),
                };
                *value = (p.learning_rate * raw) as f32;
            }
            updates.set(updates.get() + leaf_values.elapsed().as_secs_f64());
            grown.push(Grown {
                tree,
                partition,
                leaves,
            });
        }
        // LightGBM stops when no tree of an iteration could split (after the first).
        if it > 0 && grown.iter().all(|t| t.tree.nodes.len() == 1) {
            break;
        }
        let metrics = timed(&updates, || {
            for (g, grown) in grown.into_iter().enumerate() {
                add_grown(&grown, binned, bagged.as_deref(), &mut scores, g, &team);
                if let (Some((vb, _, _)), Some(vs)) = (&valid, &mut valid_scores) {
                    add_tree(&grown.tree, vb, vs, g);
                }
                trees.push(grown.tree);
            }
            train_history.push(p.objective.metric(y, w, &scores, &team));
            valid
                .as_ref()
                .zip(valid_scores.as_ref())
                .map(|((_, vy, vw), vs)| p.objective.metric(vy, vw, vs, &team))
        });
        if let Some(metric) = metrics {
            history.push(metric);
            if best.is_none_or(|(_, b)| metric < b) {
                best = Some((it, metric));
            }
            if let (Some(rounds), Some((b, _))) = (p.early_stopping_rounds, best) {
                if it - b >= rounds {
                    break;
                }
            }
        }
    }
    let best_iteration = p.early_stopping_rounds.and(best).map(|(b, _)| b);
    if let Some(b) = best_iteration {
        trees.truncate((b + 1) * groups);
    }
    let mut t = finish(
        p,
        extras,
        k,
        trees,
        &margins,
        base_score,
        history,
        best_iteration,
    );
    train_history.truncate(t.model.n_iterations());
    t.train_metric = train_history;
    t.phases = TrainPhases {
        binning: binning.get(),
        gradients: gradients.get(),
        histograms: clock.histograms.get(),
        split_finding: clock.splits.get(),
        partitioning: clock.partition.get(),
        updates: updates.get(),
        total: binning_secs + start.elapsed().as_secs_f64(),
    };
    t
}

/// `fraction` of the usable features (at least one), increasing.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
fn sample_features(usable: &[usize], fraction: f64, rng: &mut Rng) -> Vec<usize> {
    if fraction >= 1.0 {
        return usable.to_vec();
    }
    let keep = ((fraction * usable.len() as f64).round() as usize).max(1);
    sample_rows_of(usable.len(), keep, rng.next_u64())
        .into_iter()
        .map(|i| usable[i])
        .collect()
}

/// The model and report from the trees.
#[allow(clippy::too_many_arguments)] // the pieces training gathered, assembled once
fn finish(
    p: &GbdtParams,
    extras: &TrainExtras<'_>,
    k: usize,
    trees: Vec<Tree>,
    margins: &[f32],
    base_score: Vec<f32>,
    valid_metric: Vec<f64>,
    best_iteration: Option<usize>,
) -> TrainedGbdt {
    let groups = p.objective.n_groups();
    let mut forest = Forest::default();
    let mut split_count = vec![0; k];
    let mut total_gain = vec![0.0; k];
    for (t, tree) in trees.iter().enumerate() {
        forest
            .push_tree(&tree.to_raw(), t % groups, k)
            .expect("a grown tree is a valid tree");
        for node in &tree.nodes {
            if let TreeNode::Split { feature, gain, .. } = node {
                split_count[*feature] += 1;
                total_gain[*feature] += gain;
            }
        }
    }
    let link = match p.objective {
        Objective::Regression | Objective::Quantile { .. } => Link::Identity,
        Objective::Binary => Link::Sigmoid { scale: 1.0 },
        Objective::Multiclass { .. } => Link::Softmax,
    };
    let feature_names = extras.feature_names.map_or_else(
        || (0..k).map(|j| format!("f{j}")).collect(),
        <[String]>::to_vec,
    );
    let iteration_ends = (1..=trees.len() / groups).map(|i| i * groups).collect();
    let model = GbdtModel::xgboost(
        p.objective.xgboost_name(),
        feature_names,
        link,
        margins.iter().map(|&m| f64::from(m)).collect(),
        forest,
        iteration_ends,
        best_iteration,
    );
    TrainedGbdt {
        model,
        split_count,
        total_gain,
        valid_metric,
        train_metric: Vec::new(),
        metric_name: p.objective.metric_name(),
        best_iteration,
        phases: TrainPhases::default(),
        params: p.clone(),
        trees,
        base_score,
    }
}
