//! [`GbdtModel`]: an imported tree ensemble, compiled, behind the [`Predict`] interface.

use super::compiled::Forest;
use super::objective::Link;
use super::packed::{Packed, PackedCache, PackedForest, Rank};
use super::walkers::{with_walk, Walk};
use crate::error::{PipelineError, Result};
use crate::traits::{check_batch, Output, Predict};
use crate::workers::{chunk_rows, for_row_chunks_into};
use fast_math::{MatRef, Par};
use simd_kernels::Isa;

/// The library that trained a model, which fixes how it is evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Library {
    /// XGBoost: inputs read as float32, `x < threshold`, leaves summed in float32.
    XGBoost,
    /// LightGBM: float64 throughout, `x <= threshold`.
    LightGbm,
}

/// A gradient-boosted tree ensemble imported from XGBoost or LightGBM, predicting what the
/// library's own `predict` returns.
///
/// Built by [`from_xgboost_json`](Self::from_xgboost_json),
/// [`from_xgboost_ubjson`](Self::from_xgboost_ubjson),
/// [`from_lightgbm_text`](Self::from_lightgbm_text) or [`load`](Self::load). Predictions
/// go through [`Predict`]: `predict_one` writes [`output`](Predict::output)`.width()`
/// values into the caller's buffer and allocates nothing.
///
/// Inputs: one value per feature in [`feature_names`](Self::feature_names) order, NaN for a
/// missing value, category codes (0, 1, ...) for categorical features, as the library saw
/// them in training (a model trained on pandas categories expects the codes pandas gave).
///
/// Outputs, as the library's `predict` returns them: [`Output::Value`] for regression (or
/// [`Output::Margins`] with one value per target for XGBoost's multi-target regression),
/// [`Output::Probability`] of class 1 for binary objectives, [`Output::Probabilities`] for
/// softmax, [`Output::ClassIndex`] for XGBoost's `multi:softmax`; with
/// [`with_raw_margin`](Self::with_raw_margin), the margins before the link. All
/// iterations are used, as `Booster.predict` does; [`truncate`](Self::truncate) keeps the
/// first ones (`truncate(best_iteration + 1)` for early stopping's best model).
#[derive(Clone, Debug, PartialEq)]
pub struct GbdtModel {
    pub(super) library: Library,
    pub(super) objective: String,
    pub(super) feature_names: Vec<String>,
    pub(super) n_features: usize,
    /// Margins per row: 1, or the class count of a multiclass model.
    pub(super) n_groups: usize,
    pub(super) link: Link,
    /// The margin every row starts from, per group (XGBoost's base score; 0 for LightGBM,
    /// which folds it into the first trees).
    pub(super) base_margin: Vec<f64>,
    pub(super) forest: Forest,
    /// The walks' form of `forest`.
    pub(super) packed: PackedCache,
    /// Trees up to the end of each iteration (boosting round), cumulative.
    pub(super) iteration_ends: Vec<usize>,
    pub(super) best_iteration: Option<usize>,
    /// Iterations summed: all of them, or the first ones after `truncate`.
    pub(super) used_iterations: usize,
    /// Trees of those iterations.
    pub(super) used_trees: usize,
    pub(super) raw_margin: bool,
}

/// Rows a batch prediction evaluates together, tree by tree: enough to reuse each tree
/// while it is in cache, few enough that the rows stay in L1.
const BLOCK: usize = 32;
/// Fewest rows of a chunk a thread takes in a batch prediction (a row costs at least a
/// tree), so a batch of at most this many rows stays on one thread.
const ROWS_PER_THREAD: usize = 256;

impl GbdtModel {
    /// A model with XGBoost's semantics (float32 tests and sums), as XGBoost's importer and
    /// the trainer build it: one iteration per `iteration_ends` entry, trees in iteration
    /// order, each adding to the group its push gave; one base margin per group.
    pub(super) fn xgboost(
        objective: &str,
        feature_names: Vec<String>,
        link: Link,
        base_margin: Vec<f64>,
        forest: Forest,
        iteration_ends: Vec<usize>,
        best_iteration: Option<usize>,
    ) -> Self {
        let model = GbdtModel {
            library: Library::XGBoost,
            objective: objective.to_string(),
            n_features: feature_names.len(),
            feature_names,
            n_groups: base_margin.len(),
            link,
            base_margin,
            used_iterations: iteration_ends.len(),
            used_trees: forest.n_trees(),
            forest,
            iteration_ends,
            best_iteration,
            raw_margin: false,
            packed: PackedCache::default(),
        };
        // Packed now, so the first prediction neither waits nor allocates.
        model.packed();
        model
    }

    /// The packed form of the forest.
    #[inline]
    pub(super) fn packed(&self) -> &PackedForest {
        self.packed.get(&self.forest)
    }

    /// The form the trees are walked in on this CPU: `"perfect"` (complete heaps of 4-byte
    /// nodes, for forests close to complete, such as depth-limited ones), `"perfect-bytes"`
    /// (the same, and rows walk 2-byte nodes a whole tree at a time: depth at most 6, byte
    /// limits, and a CPU where that is faster, see `simd_kernels::ByteHeaps`) or `"packed"`
    /// (pre-order nodes with child links, for any other forest and for categorical splits).
    pub fn layout(&self) -> &'static str {
        let packed = self.packed();
        if packed.walks_whole_trees(Isa::detect()) {
            "perfect-bytes"
        } else if packed.has_perfect() {
            "perfect"
        } else {
            "packed"
        }
    }

    /// The library that trained the model.
    pub fn library(&self) -> Library {
        self.library
    }

    /// The objective as the library names it (`"binary:logistic"`, `"multiclass"`, ...).
    pub fn objective(&self) -> &str {
        &self.objective
    }

    /// Input feature names, in the order rows must hold them (the library's own names, or
    /// `f0`, `f1`, ... / `Column_0`, ... when it stored none).
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Whether the file named the features: `false` when every name is the library's
    /// default name for its position (`f0`, `f1`, ... which XGBoost gives a model trained
    /// without names; `Column_0`, ... which LightGBM writes then), so a caller knows the
    /// names cannot select input columns.
    pub fn has_feature_names(&self) -> bool {
        let prefix = match self.library {
            Library::XGBoost => "f",
            Library::LightGbm => "Column_",
        };
        !self.feature_names.iter().enumerate().all(|(i, name)| {
            name.strip_prefix(prefix)
                .is_some_and(|digits| digits == i.to_string())
        })
    }

    /// Classes of a classifier (2 for binary, k for multiclass); `None` for regression.
    pub fn n_classes(&self) -> Option<usize> {
        match self.link {
            Link::Identity => None,
            Link::Sigmoid { .. } => Some(2),
            Link::Softmax | Link::Argmax => Some(self.n_groups),
        }
    }

    /// Raw margins per row (1, or the class count of a multiclass model).
    pub fn n_margins(&self) -> usize {
        self.n_groups
    }

    /// Trees in the file.
    pub fn n_trees(&self) -> usize {
        self.forest.n_trees()
    }

    /// Boosting iterations in the file.
    pub fn n_iterations(&self) -> usize {
        self.iteration_ends.len()
    }

    /// Iterations predictions use (all, unless [`truncate`](Self::truncate)d).
    pub fn iterations_used(&self) -> usize {
        self.used_iterations
    }

    /// The best iteration early stopping recorded (0-based, as XGBoost's
    /// `best_iteration`), if the file holds one (XGBoost's files do; XGBoost 1.7 records the
    /// last iteration when there was no early stopping; LightGBM's text has none). Predict
    /// with it through `truncate(best + 1)`.
    pub fn best_iteration(&self) -> Option<usize> {
        self.best_iteration
    }

    /// The model predicting with the first `n` iterations only (XGBoost's
    /// `iteration_range=(0, n)`, LightGBM's `num_iteration=n`).
    ///
    /// # Errors
    /// [`PipelineError::InvalidSetting`] unless `1 <= n <= n_iterations()`.
    pub fn truncate(mut self, n: usize) -> Result<Self> {
        if n == 0 || n > self.iteration_ends.len() {
            return Err(PipelineError::InvalidSetting {
                name: "iterations",
                value: n.to_string(),
                expected: format!("in 1..={}", self.iteration_ends.len()),
            });
        }
        self.used_trees = self.iteration_ends[n - 1];
        self.used_iterations = n;
        Ok(self)
    }

    /// The model predicting raw margins ([`Output::Margins`]) instead of transformed values
    /// (XGBoost's `output_margin=True`, LightGBM's `raw_score=True`), or back.
    pub fn with_raw_margin(mut self, raw: bool) -> Self {
        self.raw_margin = raw;
        self
    }

    /// Whether predictions are raw margins.
    pub fn is_raw_margin(&self) -> bool {
        self.raw_margin
    }

    /// Sums the used trees' leaves for a row (`x`, its ranks `q`) into `m` (one value per
    /// group), in the library's precision and order: XGBoost starts from the base margin and
    /// adds tree after tree in float32; LightGBM adds tree after tree in float64 from zero.
    /// `places` is the walk's scratch.
    #[inline]
    fn margins<Q: Rank, W: Walk<Q>>(
        &self,
        (w, isa): (&W, Isa),
        x: &[f64],
        q: &[Q],
        places: &mut [u32],
        m: &mut [f64],
    ) {
        m.copy_from_slice(&self.base_margin);
        let f = &self.forest;
        let used = self.used_trees;
        // One group (regression, binary): the sum stays in a register. Through memory, each
        // addition would wait on the store of the one before (store forwarding, conversions):
        // a chain of ~15 cycles per tree, the larger part of a single-row prediction.
        match (m, self.library) {
            ([m], Library::XGBoost) => {
                #[allow(clippy::cast_possible_truncation)] // float32 sums, as XGBoost's
                let s = w.row_leaves(isa, used, x, q, places, *m as f32, |s, _, leaf| {
                    s + leaf as f32
                });
                *m = f64::from(s);
            }
            ([m], Library::LightGbm) => {
                *m = w.row_leaves(isa, used, x, q, places, *m, |s, _, leaf| s + leaf);
            }
            (m, _) => w.row_leaves(isa, used, x, q, places, (), |(), t, leaf| {
                self.add(&mut m[f.group(t)], leaf);
            }),
        }
    }

    /// `predict_one` once the packed form is known: ranks into `ranks`, margins into `m`
    /// (`out` itself when it holds them all), the output into `out`.
    #[inline]
    fn predict_packed<Q: Rank>(
        &self,
        (p, isa): (&Packed<Q>, Isa),
        x: &[f64],
        (ranks, places): (&mut [f64], &mut [f64]),
        margins: &mut [f64],
        out: &mut [f64],
    ) {
        let q = p.ranks_in(ranks);
        p.rank_row(isa, x, q);
        let q: &[Q] = q;
        let places: &mut [u32] = bytemuck::cast_slice_mut(places);
        let g = self.n_groups;
        let f = &self.forest;
        let mut m = |m: &mut [f64]| {
            with_walk!(p, f, |w| self.margins((w, isa), x, q, places, m));
            self.finish(m);
        };
        if out.len() == g {
            m(out);
        } else {
            m(&mut margins[..g]);
            out[0] = margins[0];
        }
    }

    /// Adds a leaf to a margin in the library's precision.
    #[inline(always)]
    fn add(&self, m: &mut f64, leaf: f64) {
        *m = match self.library {
            Library::XGBoost => add_f32(*m, leaf),
            Library::LightGbm => *m + leaf,
        };
    }

    /// Scratch words of a row's ranks, and of its leaf places (a perfect forest's walk
    /// writes one `u32` per tree).
    fn scratch_parts(&self) -> (usize, usize) {
        let packed = self.packed();
        let places = if packed.has_perfect() {
            self.forest.n_trees().div_ceil(2)
        } else {
            0
        };
        (packed.scratch_words(), places)
    }

    /// Scratch words of margins kept apart from the output (a class-index output).
    fn margin_scratch(&self) -> usize {
        if self.output().width() < self.n_groups {
            self.n_groups
        } else {
            0
        }
    }

    /// Turns margins into the output (the first `output().width()` values of `m`).
    #[inline]
    fn finish(&self, m: &mut [f64]) {
        if self.raw_margin {
            return;
        }
        match self.library {
            Library::XGBoost => self.link.transform_f32(m),
            Library::LightGbm => self.link.transform_f64(m),
        }
    }

    /// Predicts the rows of `x` in `rows` into `out`, `BLOCK` rows at a time, tree-major
    /// within a block. Each row's sum still runs tree after tree, so results equal
    /// `predict_one`'s bit for bit.
    fn predict_block_rows<Q: Rank, W: Walk<Q>>(
        &self,
        p: &Packed<Q>,
        w: &W,
        x: MatRef<'_, f64>,
        rows: std::ops::Range<usize>,
        out: &mut [f64],
    ) {
        let (k, g, width) = (self.n_features, self.n_groups, self.output().width());
        let rl = p.rank_len();
        let mut xs = vec![0.0; BLOCK * k];
        let mut qs = vec![Q::ZERO; BLOCK * rl];
        let mut ms = vec![0.0; BLOCK * g];
        let mut places = vec![0u32; BLOCK];
        let isa = Isa::detect();
        let f = &self.forest;
        let mut start = rows.start;
        for o in out.chunks_mut(BLOCK * width) {
            // Every output has at least one value per row.
            let n = o.len() / width;
            for r in 0..n {
                let xr = &mut xs[r * k..(r + 1) * k];
                for (j, v) in xr.iter_mut().enumerate() {
                    *v = x.get(start + r, j);
                }
                p.rank_row(isa, xr, &mut qs[r * rl..(r + 1) * rl]);
                ms[r * g..(r + 1) * g].copy_from_slice(&self.base_margin);
            }
            // Sums still run tree after tree per row.
            for t in 0..self.used_trees {
                let grp = f.group(t);
                let (xs, qs) = ((&xs[..n * k], k), (&qs[..n * rl], rl));
                w.tree_leaves(isa, t, xs, qs, n, &mut places, |r, leaf| {
                    self.add(&mut ms[r * g + grp], leaf);
                });
            }
            for (r, orow) in o.chunks_exact_mut(width).enumerate().take(n) {
                let m = &mut ms[r * g..(r + 1) * g];
                self.finish(m);
                orow.copy_from_slice(&m[..width]);
            }
            start += n;
        }
    }

    /// `predict_block_rows` for the packed form's rank type and nodes; or row by row, each as
    /// `predict_one`, where a row's walk decides whole trees at once (byte heaps), which
    /// beats walking rows through one tree at a time. Either way each row's sum runs in tree
    /// order, so the results are the same bits.
    fn predict_rows(&self, x: MatRef<'_, f64>, rows: std::ops::Range<usize>, out: &mut [f64]) {
        let isa = Isa::detect();
        if self.packed().walks_whole_trees(isa) {
            let width = self.output().width();
            let mut row = vec![0.0; self.n_features];
            let mut scratch = vec![0.0; self.scratch_len()];
            for (r, o) in rows.zip(out.chunks_exact_mut(width)) {
                for (j, v) in row.iter_mut().enumerate() {
                    *v = x.get(r, j);
                }
                self.predict_one_with(isa, &row, &mut scratch, o);
            }
            return;
        }
        match self.packed() {
            PackedForest::Narrow(p) => self.predict_rows_with(p, x, rows, out),
            PackedForest::Wide(p) => self.predict_rows_with(p, x, rows, out),
        }
    }

    fn predict_rows_with<Q: Rank>(
        &self,
        p: &Packed<Q>,
        x: MatRef<'_, f64>,
        rows: std::ops::Range<usize>,
        out: &mut [f64],
    ) {
        with_walk!(p, &self.forest, |w| self
            .predict_block_rows(p, w, x, rows, out));
    }
}

/// `a + b` rounded to float32, both float32 values held in `f64`s.
#[inline(always)]
#[allow(clippy::cast_possible_truncation)] // the values are float32 already
fn add_f32(a: f64, b: f64) -> f64 {
    f64::from(a as f32 + b as f32)
}

impl Predict for GbdtModel {
    fn n_features(&self) -> usize {
        self.n_features
    }

    fn output(&self) -> Output {
        if self.raw_margin {
            return Output::Margins(self.n_groups);
        }
        match self.link {
            Link::Identity if self.n_groups == 1 => Output::Value,
            Link::Identity => Output::Margins(self.n_groups),
            Link::Sigmoid { .. } => Output::Probability,
            Link::Softmax => Output::Probabilities(self.n_groups),
            Link::Argmax => Output::ClassIndex,
        }
    }

    /// A row's threshold ranks (see `packed`), for a multiclass model whose output is a
    /// class index (XGBoost's `multi:softmax`) its margins, and for a perfect forest the
    /// leaf places of its trees (see `perfect`).
    fn scratch_len(&self) -> usize {
        let (ranks, places) = self.scratch_parts();
        ranks + self.margin_scratch() + places
    }

    #[inline]
    fn predict_one_with(&self, isa: Isa, x: &[f64], scratch: &mut [f64], out: &mut [f64]) {
        // The heap walks of a perfect forest run on `isa` (gathers on AVX2); the packed
        // walk is scalar on every ISA (dependent loads and selects, which SIMD does not
        // shorten); the ISA is checked either way, as the interface promises.
        assert!(
            isa.is_supported(),
            "predict_one_with: the CPU lacks {isa:?}"
        );
        assert_eq!(
            x.len(),
            self.n_features,
            "predict_one: {} features, model has {}",
            x.len(),
            self.n_features
        );
        let width = self.output().width();
        assert_eq!(
            out.len(),
            width,
            "predict_one: output of {} values, model writes {width}",
            out.len()
        );
        let need = self.scratch_len();
        assert!(
            scratch.len() >= need,
            "predict_one: scratch of {} values, model needs {need}",
            scratch.len()
        );
        let (rank_words, place_words) = self.scratch_parts();
        let (ranks, rest) = scratch.split_at_mut(rank_words);
        let (margins, rest) = rest.split_at_mut(self.margin_scratch());
        let places = &mut rest[..place_words];
        match self.packed() {
            PackedForest::Narrow(p) => {
                self.predict_packed((p, isa), x, (ranks, places), margins, out);
            }
            PackedForest::Wide(p) => {
                self.predict_packed((p, isa), x, (ranks, places), margins, out);
            }
        }
    }

    fn predict_into(&self, x: MatRef<'_, f64>, out: &mut [f64], par: Par) {
        let width = self.output().width();
        check_batch(self.n_features, width, x, out);
        let n = x.nrows();
        // Chunks of at least ROWS_PER_THREAD rows; a batch of fewer chunks than threads
        // leaves the extra threads out.
        let threads = par.threads();
        let chunk = chunk_rows(n, threads, ROWS_PER_THREAD);
        for_row_chunks_into(n, threads, width, chunk, out, |rows, part| {
            self.predict_rows(x, rows, part);
        });
    }
}
