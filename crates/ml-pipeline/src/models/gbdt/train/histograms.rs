//! Histograms of a leaf over the features a tree may use, built with the kernels layer,
//! parallel over features, and derived by subtraction.
//!
//! A leaf's histogram holds every feature's entries side by side (`Binned::offsets`). Each
//! feature's entries are built by one thread, from the leaf's rows in partition order, so
//! the result does not depend on how many threads share the features. The larger child of a
//! split is its parent minus the smaller child, entry by entry (LightGBM's and XGBoost's
//! subtraction trick): only the smaller one reads rows.

use super::binning::Binned;
use super::partition;
use fast_math::Team;
use simd_kernels::{histogram_gh_cols_with, histogram_gh_row_major_with, Isa};

/// Row-feature pairs below which a histogram is built on the calling thread: handing work
/// to a pool thread and waiting for it costs about as much as adding a few thousand pairs.
const MIN_WORK_PER_THREAD: usize = 1 << 13;

/// A feature and its entries of a histogram.
type FeaturePart<'o> = (usize, &'o mut [[f64; 2]]);

/// The features a tree uses and how to build their histograms.
pub(super) struct Builder<'a> {
    pub binned: &'a Binned,
    /// The bins row by row (`Binned::row_major`), or empty: then every histogram reads
    /// columns.
    pub row_bins: &'a [u8],
    pub features: &'a [usize],
    pub isa: Isa,
    pub team: &'a Team,
}

impl Builder<'_> {
    /// Builds into `out` (zeroed first, over the used features) the histogram of `rows`
    /// (`None`: every row in order), whose pairs `gh` are in the order of `rows`.
    ///
    /// Rows spread thinly over the data (`partition::is_sparse`) are read row by row from
    /// the row-major bins when there are some: one cache line brings a row's bins for every
    /// feature, where a column per feature costs a line per feature and row. Otherwise the
    /// columns go through the kernels layer, four features per pass over the rows. Both sum
    /// each entry's rows in order from zero, so they agree bit for bit.
    pub fn build(&self, rows: Option<&[u32]>, gh: &[[f32; 2]], out: &mut [[f64; 2]]) {
        let parts = self.feature_parts(out);
        let row_wise = rows.filter(|r| !self.row_bins.is_empty() && partition::is_sparse(r));
        let work = |group: Vec<FeaturePart<'_>>| {
            if let Some(r) = row_wise {
                self.row_wise(r, gh, group);
                return;
            }
            let cols: Vec<&[u8]> = group
                .iter()
                .map(|(j, _)| self.binned.cols[*j].as_slice())
                .collect();
            let mut hists = zeroed(group);
            histogram_gh_cols_with(self.isa, &cols, rows, gh, &mut hists);
        };
        let threads = self
            .team
            .threads()
            .min(gh.len() * parts.len() / MIN_WORK_PER_THREAD)
            .max(1);
        if threads <= 1 {
            work(parts);
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
        self.team.for_each(groups, work);
    }

    /// The histograms of `group`'s features over `rows`, row by row from the row-major bins
    /// (the kernels layer's `histogram_gh_row_major`): each entry sums its rows in order.
    fn row_wise(&self, rows: &[u32], gh: &[[f32; 2]], group: Vec<FeaturePart<'_>>) {
        let features: Vec<usize> = group.iter().map(|(j, _)| *j).collect();
        let mut hists = zeroed(group);
        let width = self.binned.cols.len();
        histogram_gh_row_major_with(
            self.isa,
            self.row_bins,
            width,
            rows,
            gh,
            &features,
            &mut hists,
        );
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

/// The parts of `group`, zeroed (the kernels add into what is there).
fn zeroed(group: Vec<FeaturePart<'_>>) -> Vec<&mut [[f64; 2]]> {
    group
        .into_iter()
        .map(|(_, part)| {
            part.fill([0.0, 0.0]);
            part
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fast_math::{Mat, Par};
    use seeded_rng::Rng;

    /// Every way to build a histogram gives the same entries, bit for bit: columns or rows,
    /// one thread or two, all features or some (each entry sums its rows in order).
    #[test]
    fn row_wise_histograms_equal_the_column_kernels() {
        let mut rng = Rng::new(3);
        let (n, k) = (6000, 7);
        let x = Mat::from_fn(n, k, |_, j| {
            if rng.uniform() < 0.1 {
                f64::NAN
            } else {
                (rng.normal() * 10.0).round() / (1.0 + j as f64)
            }
        });
        let binned = Binned::fit(x.as_ref(), 63, 200_000, 1, Par::Seq);
        let row_bins = binned.row_major(Par::Rayon(2));
        for i in [0, 1, 2999, n - 1] {
            for j in 0..k {
                assert_eq!(row_bins[i * k + j], binned.cols[j][i]);
            }
        }
        let sparse: Vec<u32> = (0..n as u32)
            .filter(|r| r % 41 == 5 || r % 53 == 0)
            .collect();
        let dense: Vec<u32> = (0..n as u32).filter(|r| r % 3 != 0).collect();
        assert!(partition::is_sparse(&sparse) && !partition::is_sparse(&dense));
        for rows in [&sparse, &dense] {
            let gh: Vec<[f32; 2]> = rows
                .iter()
                .map(|&r| [(r % 7) as f32 * 0.37 - 1.1, (r % 3) as f32 * 0.3])
                .collect();
            for features in [vec![0, 1, 2, 3, 4, 5, 6], vec![1, 4, 6]] {
                let build = |row_bins: &[u8], threads| {
                    let team = Team::new(threads);
                    let b = Builder {
                        binned: &binned,
                        row_bins,
                        features: &features,
                        isa: Isa::detect(),
                        team: &team,
                    };
                    let mut out = vec![[0.0; 2]; binned.total_bins];
                    b.build(Some(rows), &gh, &mut out);
                    out
                };
                let want = build(&[], 1);
                for threads in [1, 2] {
                    assert_eq!(build(&row_bins, threads), want, "{features:?}, {threads}");
                }
            }
        }
    }
}
