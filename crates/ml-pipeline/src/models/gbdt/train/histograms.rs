//! Histograms of a leaf over the features a tree may use, built with the kernels layer,
//! parallel over features, and derived by subtraction.
//!
//! A leaf's histogram holds every feature's entries side by side (`Binned::offsets`). Each
//! feature's entries are built by one thread, from the leaf's rows in partition order, so
//! the result does not depend on how many threads share the features. The larger child of a
//! split is its parent minus the smaller child, entry by entry (LightGBM's and XGBoost's
//! subtraction trick): only the smaller one reads rows.

use super::binning::Binned;
use fast_math::{for_each_job, Par};
use simd_kernels::{histogram_gh_rows_with, histogram_gh_with, Isa};

/// Row-feature pairs below which a histogram is built on the calling thread: handing work
/// to a pool thread and waiting for it costs about as much as adding a few thousand pairs.
const MIN_WORK_PER_THREAD: usize = 1 << 13;

/// A feature and its entries of a histogram.
type FeaturePart<'o> = (usize, &'o mut [[f64; 2]]);

/// The features a tree uses and how to build their histograms.
pub(super) struct Builder<'a> {
    pub binned: &'a Binned,
    pub features: &'a [usize],
    pub isa: Isa,
    pub threads: usize,
}

impl Builder<'_> {
    /// Builds into `out` (zeroed first, over the used features) the histogram of `rows`
    /// (`None`: every row in order), whose pairs `gh` are in the order of `rows`.
    pub fn build(&self, rows: Option<&[u32]>, gh: &[[f32; 2]], out: &mut [[f64; 2]]) {
        let parts = self.feature_parts(out);
        let work = |(j, part): (usize, &mut [[f64; 2]])| {
            part.fill([0.0, 0.0]);
            let col = &self.binned.cols[j];
            match rows {
                Some(r) => histogram_gh_rows_with(self.isa, col, r, gh, part),
                None => histogram_gh_with(self.isa, col, gh, part),
            }
        };
        let threads = self
            .threads
            .min(gh.len() * parts.len() / MIN_WORK_PER_THREAD)
            .max(1);
        if threads <= 1 {
            parts.into_iter().for_each(work);
            return;
        }
        // Contiguous groups of features, one per thread; each feature is built by one thread
        // alone, so the grouping changes no sum.
        let per = parts.len().div_ceil(threads);
        let mut groups: Vec<Vec<FeaturePart<'_>>> = Vec::new();
        let mut parts = parts.into_iter().peekable();
        while parts.peek().is_some() {
            groups.push(parts.by_ref().take(per).collect());
        }
        // The pool's threads persist across builds (thousands per model).
        for_each_job(Par::Rayon(threads), groups, |g| {
            g.into_iter().for_each(work)
        });
    }

    /// `parent -= child` over the used features: the parent's buffer becomes the histogram of
    /// its other child.
    pub fn subtract(&self, parent: &mut [[f64; 2]], child: &[[f64; 2]]) {
        for &j in self.features {
            let r = self.binned.range(j);
            for (p, c) in parent[r.clone()].iter_mut().zip(&child[r]) {
                p[0] -= c[0];
                p[1] -= c[1];
            }
        }
    }

    /// Each used feature with its part of `out`, in feature order.
    fn feature_parts<'o>(&self, out: &'o mut [[f64; 2]]) -> Vec<FeaturePart<'o>> {
        let mut parts = Vec::with_capacity(self.features.len());
        let mut rest = out;
        let mut at = 0;
        for &j in self.features {
            let r = self.binned.range(j);
            let (_, tail) = rest.split_at_mut(r.start - at);
            let (part, tail) = tail.split_at_mut(r.len());
            parts.push((j, part));
            rest = tail;
            at = r.end;
        }
        parts
    }
}
