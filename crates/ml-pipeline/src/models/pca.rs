//! Principal component analysis with scikit-learn's definitions, on randomized SVD.

use super::centered_blocks::{block_rows, center_block, center_column, Sums};
use super::checks::check_xy;
use crate::ablation::Ablation;
use crate::error::{PipelineError, Result};
use crate::traits::{Fit, Target, Transform};
use crate::workers::map_row_ranges;
use fast_math::rsvd::{randomized_svd, RsvdOptions};
use fast_math::{Mat, MatRef, Par};
use serde::{Deserialize, Serialize};
use simd_kernels::Isa;
use std::ops::Range;

/// Widest data solved through the covariance matrix rather than randomized SVD.
const COVARIANCE_MAX_FEATURES: usize = 512;

/// PCA: centers the data and keeps the top `n_components` right singular vectors
/// (scikit-learn's `PCA(n_components)`).
///
/// Like scikit-learn's automatic solver choice, tall data with at most 512 features goes
/// through the covariance matrix (one pass for `X^T X`, then a small symmetric
/// eigenproblem); wider data through randomized SVD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pca {
    /// Components kept (1..=min(n, k)).
    pub n_components: usize,
}

/// A fitted PCA.
///
/// Sign convention (scikit-learn's): in each component the entry of largest magnitude is
/// positive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PcaModel {
    /// Feature means removed before projecting.
    pub mean: Vec<f64>,
    /// Components, one row per component, `n_components x k`, row-major.
    pub components: Vec<f64>,
    /// Variance along each component (`s^2 / (n - 1)`), descending.
    pub explained_variance: Vec<f64>,
    /// Share of the total variance along each component.
    pub explained_variance_ratio: Vec<f64>,
}

impl Fit for Pca {
    type Fitted = PcaModel;

    fn check(&self) -> Result<()> {
        if self.n_components == 0 {
            return Err(self.bad_components("at least 1".into()));
        }
        Ok(())
    }

    /// Fits on the rows of `x` (the target is ignored). With `fast_math` off, a full SVD
    /// (nalgebra) replaces the randomized one.
    ///
    /// # Errors
    /// [`PipelineError::EmptyData`], [`PipelineError::NonFinite`],
    /// [`PipelineError::InvalidHyperparameter`] when `n_components` is 0 or above
    /// `min(n, k)`.
    fn fit_ablated(
        &self,
        ablation: Ablation,
        x: MatRef<'_, f64>,
        _y: Target<'_>,
        par: Par,
    ) -> Result<PcaModel> {
        self.check()?;
        let (n, k) = (x.nrows(), x.ncols());
        if n == 0 || k == 0 {
            check_xy(x, None)?;
        }
        if self.n_components > n.min(k) {
            return Err(self.bad_components(format!("in 1..={} for {n} x {k} data", n.min(k))));
        }
        let r = self.n_components;
        let dof = (n as f64 - 1.0).max(1.0);
        let covariance = ablation.fast_math && k <= COVARIANCE_MAX_FEATURES && n >= 4 * k;
        let (mean, s, vt, total_var) = if covariance {
            // Tall and narrow (scikit-learn's "covariance_eigh" case): one pass for the
            // means and the centered X^T X, then a small symmetric eigenproblem.
            let (mean, g) = mean_and_centered_gram(ablation, x, par)?;
            // The total variance is the trace of the centered Gram: no pass of its own.
            let total_var = (0..k).map(|j| g[(j, j)]).sum::<f64>() / dof;
            let (s, vt) = top_eigenpairs(&g, r);
            (mean, s, vt, total_var)
        } else {
            let mean = checked_column_means(ablation, x)?;
            let xc = centered_copy(x, &mean);
            let total_var =
                simd_kernels::dot_with(ablation.isa, xc.as_slice(), xc.as_slice()) / dof;
            let (s, vt) = if ablation.fast_math {
                let svd = randomized_svd(xc.as_ref(), &RsvdOptions::new(r), par)?;
                (svd.s, svd.vt)
            } else {
                top_singular_pairs(xc, r)?
            };
            (mean, s, vt, total_var)
        };
        Ok(fitted(mean, &s, &vt, dof, total_var))
    }
}

/// The fitted model of the top singular values `s` of the centered data and their right
/// singular vectors (the rows of `vt`), with scikit-learn's sign convention; `dof` is
/// `n - 1` (at least 1), `total_var` the variance summed over every feature.
pub(super) fn fitted(
    mean: Vec<f64>,
    s: &[f64],
    vt: &Mat<f64>,
    dof: f64,
    total_var: f64,
) -> PcaModel {
    let (r, k) = (s.len(), mean.len());
    let mut components = Vec::with_capacity(r * k);
    for c in 0..r {
        let row: Vec<f64> = (0..k).map(|j| vt[(c, j)]).collect();
        let big = row
            .iter()
            .copied()
            .fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
        let sign = if big < 0.0 { -1.0 } else { 1.0 };
        components.extend(row.iter().map(|v| v * sign));
    }
    let explained_variance: Vec<f64> = s.iter().map(|v| v * v / dof).collect();
    let explained_variance_ratio = explained_variance.iter().map(|v| v / total_var).collect();
    PcaModel {
        mean,
        components,
        explained_variance,
        explained_variance_ratio,
    }
}

/// Column means of `x`, which doubles as the data check: an infinity or NaN makes its
/// column's sum non-finite, so the full check (which names the first bad value in
/// reading order) runs only then, instead of a strided scan of every fit's data.
///
/// # Errors
/// [`PipelineError::EmptyData`], [`PipelineError::NonFinite`].
fn checked_column_means(ablation: Ablation, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
    let (n, k) = (x.nrows(), x.ncols());
    if n == 0 || k == 0 {
        check_xy(x, None)?;
    }
    let mut gathered = Vec::new();
    let mut sums = Vec::with_capacity(k);
    for j in 0..k {
        let col = match x.col_slice(j) {
            Some(col) => col,
            None => {
                gathered.clear();
                gathered.extend((0..n).map(|i| x.get(i, j)));
                &gathered
            }
        };
        sums.push(simd_kernels::sum_compensated_with(ablation.isa, col));
    }
    if sums.iter().any(|s| !s.is_finite()) {
        // Finite values whose sum overflows pass the check, as they did before it.
        check_xy(x, None)?;
    }
    Ok(sums.into_iter().map(|s| s / n as f64).collect())
}

/// `x` minus its column means, column-major.
fn centered_copy(x: MatRef<'_, f64>, mean: &[f64]) -> Mat<f64> {
    let n = x.nrows();
    let mut xc = Mat::zeros(n, mean.len());
    for (j, (col, &mu)) in xc.as_mut_slice().chunks_exact_mut(n).zip(mean).enumerate() {
        center_column(x, j, 0..n, mu, col);
    }
    xc
}

/// Fewest rows worth a thread of their own (spawning costs about as much as a few blocks).
const MIN_ROWS_PER_THREAD: usize = 8192;

/// The column means of `x` and the Gram matrix of the centered data,
/// `(X - 1 mean^T)^T (X - 1 mean^T)`, in one pass over `x` and without a centered copy of
/// it. Each block of rows is read once: its column sums (compensated), then the block
/// centered on its own means into a cache-resident buffer and its Gram added, while the
/// next block of `x` is prefetched (its 64 short column runs, read cold, streamed at about
/// 10 GB/s on a Zen 4 EPYC, against 26 GB/s for one long run; 100000 x 64, one thread,
/// alternated runs: 1.11x with AVX2, 1.15x with AVX-512). The blocks
/// combine exactly as Chan et al.'s pairwise update does: with `n_b` rows and means `m_b`
/// per block and `m` the overall mean, `G = sum G_b + sum n_b (m_b - m)(m_b - m)^T`.
/// (Centering before multiplying keeps the accuracy of a centered copy, which
/// `X^T X - n mean mean^T` would lose to cancellation; the means are compensated sums of
/// compensated block sums.) With `Par::Rayon(t)` each of up to `t` threads takes a
/// contiguous range of rows.
///
/// Error: [`PipelineError`] naming the first non-finite value, when a column's sum is not
/// finite (finite values whose sum overflows pass, as in [`checked_column_means`]).
fn mean_and_centered_gram(
    ablation: Ablation,
    x: MatRef<'_, f64>,
    par: Par,
) -> Result<(Vec<f64>, Mat<f64>)> {
    let (n, k) = (x.nrows(), x.ncols());
    let threads = par.threads().min(n / MIN_ROWS_PER_THREAD).max(1);
    let parts = map_row_ranges(n, threads, |rows| block_centered_gram(ablation, x, rows));
    let mut g: Option<Mat<f64>> = None;
    let mut blocks = Vec::new();
    for (part, part_blocks) in parts {
        match &mut g {
            None => g = Some(part),
            Some(g) => add_to(g, &part),
        }
        blocks.extend(part_blocks);
    }
    let mut g = g.expect("at least one range");
    let mut column = Vec::with_capacity(blocks.len());
    let mut mean = Vec::with_capacity(k);
    for j in 0..k {
        column.clear();
        column.extend(blocks.iter().map(|(_, sums)| sums[j]));
        let sum = simd_kernels::sum_compensated_with(ablation.isa, &column);
        if !sum.is_finite() {
            check_xy(x, None)?;
        }
        mean.push(sum / n as f64);
    }
    // The between-block scatter `sum_b n_b d_b d_b^T`, `d_b = m_b - m`: the Gram matrix of
    // the rows `sqrt(n_b) d_b`, by the same kernel (lower triangle), then mirrored (exactly
    // symmetric).
    let nb = blocks.len();
    let mut d = Mat::zeros(nb, k);
    for (b, (rows, sums)) in blocks.iter().enumerate() {
        let (count, root) = (*rows as f64, (*rows as f64).sqrt());
        for (j, (s, m)) in sums.iter().zip(&mean).enumerate() {
            d[(b, j)] = root * (s / count - m);
        }
    }
    ablation.gram_add_lower(d.as_ref(), &mut g);
    for j in 0..k {
        for i in 0..j {
            g[(i, j)] = g[(j, i)];
        }
    }
    Ok((mean, g))
}

/// The lower triangle of the Gram matrix of `rows` (the rest is zero), each block centered
/// on its own column means, and per block its row count and column sums.
fn block_centered_gram(
    ablation: Ablation,
    x: MatRef<'_, f64>,
    rows: Range<usize>,
) -> (Mat<f64>, Vec<(usize, Vec<f64>)>) {
    let k = x.ncols();
    let block = block_rows(k).min(rows.len()).max(1);
    let ld = fast_math::padded_col_stride::<f64>(block);
    let mut buf = vec![0.0; ld * k];
    let mut g = Mat::zeros(k, k);
    let mut blocks = Vec::with_capacity(rows.len().div_ceil(block));
    for r0 in rows.clone().step_by(block) {
        let m = block.min(rows.end - r0);
        let sums = center_block(
            ablation.isa,
            x,
            r0..r0 + m,
            rows.clone(),
            &mut buf,
            ld,
            Sums::Compensated,
        );
        // Added where the sum lies: no `k x k` matrix per block to allocate, mirror and add.
        // The next block of `x` streams in while this one's Gram is computed.
        let after = r0 + m;
        let ahead = x.submatrix(after, 0, block.min(rows.end - after), k);
        let here = MatRef::from_slice(&buf, m, k, 1, ld);
        ablation.gram_add_lower_ahead(here, ahead, &mut g);
        blocks.push((m, sums));
    }
    (g, blocks)
}

/// `acc += part`, element by element.
fn add_to(acc: &mut Mat<f64>, part: &Mat<f64>) {
    for (a, p) in acc.as_mut_slice().iter_mut().zip(part.as_slice()) {
        *a += p;
    }
}

/// The `r` largest eigenvalues' square roots (the singular values of the centered data)
/// and their eigenvectors as the rows of `r x k`, from the symmetric Gram matrix `g`.
fn top_eigenpairs(g: &Mat<f64>, r: usize) -> (Vec<f64>, Mat<f64>) {
    let k = g.ncols();
    let eig = nalgebra::SymmetricEigen::new(nalgebra::DMatrix::from_fn(k, k, |i, j| g[(i, j)]));
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let s = order[..r]
        .iter()
        .map(|&i| eig.eigenvalues[i].max(0.0).sqrt())
        .collect();
    (
        s,
        Mat::from_fn(r, k, |c, j| eig.eigenvectors[(j, order[c])]),
    )
}

/// The `r` largest singular values of the centered data and their right singular vectors
/// (rows of `r x k`), by nalgebra's full SVD: the path without `fast_math`.
///
/// # Errors
/// [`PipelineError::NoConvergence`] if the SVD does not converge.
pub(super) fn top_singular_pairs(xc: Mat<f64>, r: usize) -> Result<(Vec<f64>, Mat<f64>)> {
    let (n, k) = (xc.nrows(), xc.ncols());
    let svd = nalgebra::linalg::SVD::new(
        nalgebra::DMatrix::from_fn(n, k, |i, j| xc[(i, j)]),
        false,
        true,
    );
    let v_t = svd
        .v_t
        .ok_or(PipelineError::NoConvergence { what: "SVD" })?;
    let mut order: Vec<usize> = (0..svd.singular_values.len()).collect();
    order.sort_by(|&a, &b| svd.singular_values[b].total_cmp(&svd.singular_values[a]));
    let s = order[..r].iter().map(|&i| svd.singular_values[i]).collect();
    Ok((s, Mat::from_fn(r, k, |c, j| v_t[(order[c], j)])))
}

impl Pca {
    pub(super) fn bad_components(&self, expected: String) -> PipelineError {
        PipelineError::InvalidHyperparameter {
            model: "PCA",
            name: "n_components",
            value: self.n_components.to_string(),
            expected,
        }
    }
}

impl PcaModel {
    /// Number of components.
    pub fn n_components(&self) -> usize {
        self.explained_variance.len()
    }

    /// Checks a model read from a file: shapes that fit `k` features, finite values.
    pub(crate) fn validate(&self, field: &str, k: usize) -> Result<()> {
        let r = self.n_components();
        if self.mean.len() != k
            || self.components.len() != r * k
            || self.explained_variance_ratio.len() != r
        {
            return Err(PipelineError::content(
                field,
                format!("PCA shapes do not fit {k} features and {r} components"),
            ));
        }
        if self
            .mean
            .iter()
            .chain(&self.components)
            .any(|v| !v.is_finite())
        {
            return Err(PipelineError::content(field, "PCA values must be finite"));
        }
        Ok(())
    }
}

impl Transform for PcaModel {
    fn n_features(&self) -> usize {
        self.mean.len()
    }

    fn n_outputs(&self) -> usize {
        self.n_components()
    }

    /// The centered row.
    fn scratch_len(&self) -> usize {
        self.mean.len()
    }

    /// Centers `x` (into the scratch) and writes its component scores to `out`.
    #[inline]
    fn transform_one_with(&self, isa: Isa, x: &[f64], scratch: &mut [f64], out: &mut [f64]) {
        let k = self.mean.len();
        assert_eq!(x.len(), k, "pca: {} values for {k} features", x.len());
        assert_eq!(
            out.len(),
            self.n_components(),
            "pca: {} outputs for {} components",
            out.len(),
            self.n_components()
        );
        assert!(
            scratch.len() >= k,
            "pca: scratch of {} for {k} features",
            scratch.len()
        );
        let centered = &mut scratch[..k];
        for ((c, v), m) in centered.iter_mut().zip(x).zip(&self.mean) {
            *c = v - m;
        }
        for (o, comp) in out.iter_mut().zip(self.components.chunks_exact(k)) {
            *o = simd_kernels::dot_with(isa, centered, comp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic data far from the origin, so centering matters.
    fn offset_data(n: usize, k: usize) -> Mat<f64> {
        let mut rng = seeded_rng::Rng::new(1);
        Mat::from_fn(n, k, |_, j| (j as f64 + 1.0) * (1e4 + rng.uniform()))
    }

    #[test]
    fn one_pass_means_and_centered_gram_match_two_passes() {
        // Several blocks per thread and a ragged last block, on one and three threads.
        let x = offset_data(2 * MIN_ROWS_PER_THREAD + 1234, 7);
        let ablation = Ablation::default();
        let mean = checked_column_means(ablation, x.as_ref()).unwrap();
        let want = ablation.gram(centered_copy(x.as_ref(), &mean).as_ref(), Par::Seq);
        let scale = want.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for par in [Par::Seq, Par::Rayon(3)] {
            let (got_mean, got) = mean_and_centered_gram(ablation, x.as_ref(), par).unwrap();
            for (g, w) in got_mean.iter().zip(&mean) {
                assert!(
                    (g - w).abs() <= 4.0 * f64::EPSILON * w.abs(),
                    "{par:?}: {g} vs {w}"
                );
            }
            for (g, w) in got.as_slice().iter().zip(want.as_slice()) {
                assert!((g - w).abs() <= 1e-12 * scale, "{par:?}: {g} vs {w}");
            }
            for j in 0..7 {
                for i in 0..j {
                    assert_eq!(got[(i, j)].to_bits(), got[(j, i)].to_bits());
                }
            }
        }
    }

    #[test]
    fn a_non_finite_value_is_named_by_the_one_pass_fit() {
        let mut x = offset_data(500, 3);
        x[(321, 2)] = f64::NAN;
        let err = Pca { n_components: 2 }
            .fit(x.as_ref(), Target::None, Par::Seq)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("321") || err.contains("non-finite") || err.contains("NaN"),
            "{err}"
        );
    }

    #[test]
    fn threaded_fit_is_deterministic_and_matches_sequential() {
        let x = offset_data(3 * MIN_ROWS_PER_THREAD, 5);
        let pca = Pca { n_components: 3 };
        let seq = pca.fit(x.as_ref(), Target::None, Par::Seq).unwrap();
        let par = pca.fit(x.as_ref(), Target::None, Par::Rayon(2)).unwrap();
        assert_eq!(
            par,
            pca.fit(x.as_ref(), Target::None, Par::Rayon(2)).unwrap()
        );
        for (a, b) in par.components.iter().zip(&seq.components) {
            assert!((a - b).abs() < 1e-10, "{a} vs {b}");
        }
        for (a, b) in par.explained_variance.iter().zip(&seq.explained_variance) {
            assert!((a - b).abs() <= 1e-12 * b, "{a} vs {b}");
        }
    }
}
